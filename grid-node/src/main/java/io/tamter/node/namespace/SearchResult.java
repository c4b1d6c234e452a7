package io.tamter.node.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/** The matches of a search, best first. */
public record SearchResult(List<Match> matches) {
    /**
     * One match: the id in the type it was written, the score (higher is better: cosine
     * similarity, negated distance, dot product, BM25 or fused score), the raw vector distance
     * ({@code null} for BM25-only matches), the requested attributes, and the vector and text
     * when asked for (null otherwise).
     */
    public record Match(JsonNode id, float score, Float dist, Map<String, JsonNode> metadata, float[] vector, String text) {}
}
