package io.tamter.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A search (API.md's search body): by vector ({@link #vector}), by text ({@link #text}, semantic by
 * default, {@link Mode#BM25} or {@link Mode#HYBRID}), with an optional filter and the top k.
 * {@code SearchRequest.vector(q).topK(10).filter(Map.of("kind", "a"))}.
 */
public final class SearchRequest {
    /** How a text query ranks: embedded and searched by vector, by BM25, or both fused (reciprocal rank fusion). */
    public enum Mode { VECTOR, BM25, HYBRID }

    private float[] vector;
    private String text;
    private Mode mode;
    private JsonNode filter;
    private Integer topK;
    private JsonNode includeMetadata;
    private Boolean includeVectors;
    private Boolean includeText;
    private Double distanceThreshold;

    private SearchRequest() {}

    /** Nearest neighbours of {@code vector}. */
    public static SearchRequest vector(float... vector) {
        SearchRequest r = new SearchRequest();
        r.vector = vector.clone();
        return r;
    }

    /** Documents matching {@code text}: semantic unless {@link #mode} says otherwise. */
    public static SearchRequest text(String text) {
        SearchRequest r = new SearchRequest();
        r.text = text;
        return r;
    }

    public SearchRequest mode(Mode mode) {
        this.mode = mode;
        return this;
    }

    /** 1..10000; the server's default is 10. */
    public SearchRequest topK(int topK) {
        this.topK = topK;
        return this;
    }

    /** A Mongo-style filter (API.md "Filters") as a map: {@code Map.of("price", Map.of("$lt", 50))}. */
    public SearchRequest filter(Map<String, ?> filter) {
        this.filter = Json.value(filter);
        return this;
    }

    /** A filter as JSON text: {@code {"kind":"a","price":{"$lt":50}}}. */
    public SearchRequest filter(String filterJson) {
        this.filter = Json.parse(filterJson);
        return this;
    }

    public SearchRequest filter(JsonNode filter) {
        this.filter = filter;
        return this;
    }

    /** Whether matches carry their attributes (the server's default: all). */
    public SearchRequest includeMetadata(boolean include) {
        this.includeMetadata = Json.F.booleanNode(include);
        return this;
    }

    /** Only these attributes on the matches. */
    public SearchRequest includeMetadata(String... names) {
        this.includeMetadata = Json.value(List.of(names));
        return this;
    }

    public SearchRequest includeVectors(boolean include) {
        this.includeVectors = include;
        return this;
    }

    public SearchRequest includeText(boolean include) {
        this.includeText = include;
        return this;
    }

    public SearchRequest distanceThreshold(double threshold) {
        this.distanceThreshold = threshold;
        return this;
    }

    /** The body as API.md has it. */
    public ObjectNode toJson() {
        ObjectNode o = Json.F.objectNode();
        if (vector != null) o.set("vector", Json.vector(vector));
        if (text != null) o.put("text", text);
        if (mode != null) o.put("mode", mode.name().toLowerCase(Locale.ROOT));
        if (filter != null) o.set("filter", filter);
        if (topK != null) o.put("top_k", topK);
        if (includeMetadata != null) o.set("include_metadata", includeMetadata);
        if (includeVectors != null) o.put("include_vectors", includeVectors);
        if (includeText != null) o.put("include_text", includeText);
        if (distanceThreshold != null) o.put("distance_threshold", distanceThreshold);
        return o;
    }
}
