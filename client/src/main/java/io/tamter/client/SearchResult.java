package io.tamter.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A search's answer: the matches, best first, and the server's time for it. {@link #json()} is
 * the response body as the REST API returns it (for fields this class does not model).
 */
public record SearchResult(List<Match> matches, long searchTimeMs, JsonNode json) {
    /**
     * One match: its id (Long, BigInteger above 2^63-1, or String, the type it was written with),
     * the score (higher is better), the raw distance for vector matches (null otherwise), its
     * attributes, and its vector and text when asked for (null otherwise).
     */
    public record Match(Object id, double score, Double dist, Map<String, Object> attributes, float[] vector, String text) {}

    static SearchResult fromJson(JsonNode body) {
        List<Match> out = new ArrayList<>();
        for (JsonNode m : body.path("matches")) {
            out.add(new Match(Json.id(m.get("id")), m.path("score").asDouble(), m.hasNonNull("dist") ? m.get("dist").asDouble() : null,
                    Json.attributes(m.get("metadata")), Json.vector(m.get("vector")), m.hasNonNull("text") ? m.get("text").asText() : null));
        }
        return new SearchResult(List.copyOf(out), body.path("search_time_ms").asLong(), body);
    }

    /** The cursor of the next page of a rank_by search; null after the last page (or for other searches). */
    public String nextCursor() {
        JsonNode c = json.get("next_cursor");
        return c == null || c.isNull() ? null : c.asText();
    }

    /** The ids of the matches, best first. */
    public List<Object> ids() {
        return matches.stream().map(Match::id).toList();
    }
}
