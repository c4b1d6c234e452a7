package io.tamter.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
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
    private String rankBy;
    private boolean rankDescending;
    private String cursor;
    private ObjectNode aggregateBy;
    private List<String> groupBy;
    private String consistency;
    private Integer rrfK;
    private ObjectNode weights;

    private SearchRequest() {}

    /**
     * The documents matching {@link #filter} ordered by {@code attribute} (missing values last,
     * ties by id), {@link #topK} per page; pass the previous page's
     * {@link SearchResult#nextCursor()} as {@link #cursor} for the next page.
     */
    public static SearchRequest rankBy(String attribute, boolean descending) {
        SearchRequest r = new SearchRequest();
        r.rankBy = attribute;
        r.rankDescending = descending;
        return r;
    }

    /** Only aggregations (add them with {@link #aggregate}); no matches. */
    public static SearchRequest aggregations() {
        return new SearchRequest();
    }

    /** The page after the one whose {@link SearchResult#nextCursor()} this is (a {@link #rankBy} search). */
    public SearchRequest cursor(String cursor) {
        this.cursor = cursor;
        return this;
    }

    /**
     * Adds an aggregation named {@code name}: {@code function} count (attribute null), sum, avg, min
     * or max of {@code attribute}; answered in {@link SearchResult#json()} as {@code aggregations}
     * or, with {@link #groupBy}, {@code aggregation_groups}.
     */
    public SearchRequest aggregate(String name, String function, String attribute) {
        if (aggregateBy == null) aggregateBy = Json.F.objectNode();
        ArrayNode f = aggregateBy.putArray(name).add(function);
        if (attribute != null) f.add(attribute);
        return this;
    }

    /** Groups the aggregations by these attributes. */
    public SearchRequest groupBy(String... attributes) {
        this.groupBy = List.of(attributes);
        return this;
    }

    /** {@code "strong"} (the default: every acked write is seen) or {@code "eventual"} (may skip writes not yet indexed). */
    public SearchRequest consistency(String consistency) {
        this.consistency = consistency;
        return this;
    }

    /** Hybrid fusion: the k of reciprocal rank fusion (default 60). */
    public SearchRequest rrfK(int k) {
        this.rrfK = k;
        return this;
    }

    /** Hybrid fusion: the weights of the vector and the BM25 ranking (default 1 each). */
    public SearchRequest weights(double vector, double bm25) {
        this.weights = Json.F.objectNode().put("vector", vector).put("bm25", bm25);
        return this;
    }

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
        if (rankBy != null) o.putArray("rank_by").add(rankBy).add(rankDescending ? "desc" : "asc");
        if (cursor != null) o.put("cursor", cursor);
        if (aggregateBy != null) o.set("aggregate_by", aggregateBy);
        if (groupBy != null) {
            ArrayNode g = o.putArray("group_by");
            groupBy.forEach(g::add);
        }
        if (consistency != null) o.put("consistency", consistency);
        if (rrfK != null) o.put("rrf_k", rrfK);
        if (weights != null) o.set("weights", weights);
        return o;
    }
}
