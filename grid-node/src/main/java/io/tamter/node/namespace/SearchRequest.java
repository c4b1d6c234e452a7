package io.tamter.node.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.node.doc.InvalidRequestException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A search (API.md "Search" and v1.1's "Ordering, aggregations, several queries"). {@code vector}
 * or {@code text} (or both for hybrid), or neither when {@code rankBy} orders the matching
 * documents by an attribute or {@code aggregate} asks only for aggregations; {@code mode} null
 * picks vector search (of the vector, or of the embedded text). {@code includeMetadata} null means
 * all attributes, an empty list none. {@code distanceThreshold} NaN means no bound. {@code after}
 * is the decoded {@code cursor} of a rank_by page (null: the first page). {@code eventual} is
 * {@code "consistency":"eventual"} (see {@link Namespace}'s search). {@code rrfK} and the two
 * weights tune hybrid fusion ({@link ShardSearch#merge}).
 */
public record SearchRequest(float[] vector, String text, Mode mode, JsonNode filter, int topK, List<String> includeMetadata,
        boolean includeVectors, boolean includeText, float distanceThreshold, RankBy rankBy, RankBy.Key after,
        Aggregation.Spec aggregate, boolean eventual, int rrfK, float vectorWeight, float bm25Weight) {
    public enum Mode { VECTOR, BM25, HYBRID }

    public static final int MAX_TOP_K = 10_000;
    /** The default of {@code rrf_k} (Cormack, Clarke and Büttcher's k). */
    public static final int DEFAULT_RRF_K = 60;
    /** The largest {@code rrf_k} taken. */
    public static final int MAX_RRF_K = 1_000_000;
    /** The fields of a search body (the OpenAPI schema of that body is checked against them). */
    public static final Set<String> KEYS = Set.of("vector", "text", "mode", "filter", "top_k", "include_metadata", "include_vectors",
            "include_text", "distance_threshold", "rank_by", "cursor", "aggregate_by", "group_by", "consistency", "rrf_k", "weights");

    /** A search as before v1.1: no ranking by attribute, no aggregations, strong consistency, default fusion. */
    public SearchRequest(float[] vector, String text, Mode mode, JsonNode filter, int topK, List<String> includeMetadata,
            boolean includeVectors, boolean includeText, float distanceThreshold) {
        this(vector, text, mode, filter, topK, includeMetadata, includeVectors, includeText, distanceThreshold, null, null, null, false,
                DEFAULT_RRF_K, 1f, 1f);
    }

    public SearchRequest {
        if (topK < 1 || topK > MAX_TOP_K)
            throw new InvalidRequestException("invalid_request", "top_k", "top_k: must be in 1.." + MAX_TOP_K + "; top_k=" + topK);
        if (vector == null && text == null && rankBy == null && aggregate == null)
            throw new InvalidRequestException("invalid_request", "", "a search needs a vector, a text, a rank_by or an aggregate_by");
        if (rankBy != null && (vector != null || text != null))
            throw new InvalidRequestException("invalid_request", "rank_by", "rank_by: orders documents by an attribute and takes no "
                    + (vector != null ? "vector" : "text") + "; send one or the other");
        if (after != null && rankBy == null)
            throw new InvalidRequestException("invalid_request", "cursor", "cursor: pages a rank_by search; this search has no rank_by");
        if (mode != null && vector == null && text == null)
            throw new InvalidRequestException("invalid_request", "mode", "mode: needs a vector or a text to search");
        if (mode != Mode.HYBRID && (rrfK != DEFAULT_RRF_K || vectorWeight != 1f || bm25Weight != 1f))
            throw new InvalidRequestException("invalid_request", rrfK != DEFAULT_RRF_K ? "rrf_k" : "weights", (rrfK != DEFAULT_RRF_K ? "rrf_k"
                    : "weights") + ": tunes the fusion of mode hybrid; this search's mode is "
                    + (mode == null ? "vector" : mode.name().toLowerCase(Locale.ROOT)));
        if ((mode == Mode.BM25 || mode == Mode.HYBRID) && text == null)
            throw new InvalidRequestException("invalid_request", "text", "text: mode " + mode.name().toLowerCase(Locale.ROOT) + " needs a text");
        vector = vector == null ? null : vector.clone();
        includeMetadata = includeMetadata == null ? null : List.copyOf(includeMetadata);
    }

    /** A vector search for the {@code k} nearest, with all attributes. */
    public static SearchRequest ofVector(float[] v, int k) {
        return new SearchRequest(v, null, Mode.VECTOR, null, k, null, false, false, Float.NaN);
    }

    /** A text search in {@code mode}, with all attributes. */
    public static SearchRequest ofText(String text, Mode mode, int k) {
        return new SearchRequest(null, text, mode, null, k, null, false, false, Float.NaN);
    }

    public SearchRequest withFilter(JsonNode f) {
        return new SearchRequest(vector, text, mode, f, topK, includeMetadata, includeVectors, includeText, distanceThreshold, rankBy, after,
                aggregate, eventual, rrfK, vectorWeight, bm25Weight);
    }

    public SearchRequest withVector(float[] v) {
        return new SearchRequest(v, text, mode, filter, topK, includeMetadata, includeVectors, includeText, distanceThreshold, rankBy, after,
                aggregate, eventual, rrfK, vectorWeight, bm25Weight);
    }

    /** Whether the search answers matches (a vector, a text or a rank_by), not only aggregations. */
    public boolean hasMatches() {
        return vector != null || text != null || rankBy != null;
    }

    /** Parses the JSON body of {@code POST …/search}. */
    public static SearchRequest fromJson(JsonNode o) {
        if (o == null || !o.isObject()) throw new InvalidRequestException("invalid_request", "", "a search request is a JSON object");
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) throw new InvalidRequestException("invalid_request", k, k + ": unknown search field; known: " + KEYS);
        }
        float[] v = null;
        JsonNode vn = o.get("vector");
        if (vn != null && !vn.isNull()) v = RowParser.parseVector(vn, "vector");
        String text = null;
        JsonNode tn = o.get("text");
        if (tn != null && !tn.isNull()) {
            if (!tn.isTextual()) throw new InvalidRequestException("invalid_request", "text", "text: must be a string");
            text = tn.textValue();
        }
        Mode mode = null;
        JsonNode mn = o.get("mode");
        if (mn != null && !mn.isNull()) {
            mode = switch (mn.asText()) {
                case "vector" -> Mode.VECTOR;
                case "bm25" -> Mode.BM25;
                case "hybrid" -> Mode.HYBRID;
                default -> throw new InvalidRequestException("invalid_request", "mode", "mode: must be vector, bm25 or hybrid; got " + mn);
            };
        }
        int k = 10;
        JsonNode kn = o.get("top_k");
        if (kn != null && !kn.isNull()) {
            if (!kn.isIntegralNumber() || !kn.canConvertToInt())
                throw new InvalidRequestException("invalid_request", "top_k", "top_k: must be an integer in 1.." + MAX_TOP_K + "; got " + kn);
            k = kn.asInt();
        }
        List<String> meta = null;
        JsonNode im = o.get("include_metadata");
        if (im != null && !im.isNull()) {
            if (im.isBoolean()) meta = im.booleanValue() ? null : List.of();
            else if (im.isArray()) {
                meta = new ArrayList<>();
                for (int i = 0; i < im.size(); i++) {
                    if (!im.get(i).isTextual())
                        throw new InvalidRequestException("invalid_request", "include_metadata[" + i + "]", "include_metadata[" + i + "]: must be an attribute name");
                    meta.add(im.get(i).textValue());
                }
            } else throw new InvalidRequestException("invalid_request", "include_metadata", "include_metadata: must be a boolean or a list of names");
        }
        float threshold = Float.NaN;
        JsonNode dt = o.get("distance_threshold");
        if (dt != null && !dt.isNull()) {
            if (!dt.isNumber() || !Double.isFinite(dt.asDouble()))
                throw new InvalidRequestException("invalid_request", "distance_threshold", "distance_threshold: must be a finite number; got " + dt);
            threshold = (float) dt.asDouble();
        }
        RankBy rankBy = null;
        JsonNode rb = o.get("rank_by");
        if (rb != null && !rb.isNull()) rankBy = RankBy.parse(rb, "rank_by");
        RankBy.Key after = null;
        JsonNode cn = o.get("cursor");
        if (cn != null && !cn.isNull()) {
            if (!cn.isTextual()) throw new InvalidRequestException("invalid_cursor", "cursor", "cursor: must be the next_cursor string of the previous page; got " + cn);
            if (rankBy == null)
                throw new InvalidRequestException("invalid_request", "cursor", "cursor: pages a rank_by search; this search has no rank_by");
            if (!cn.textValue().isEmpty()) after = rankBy.decodeCursor(cn.textValue(), "cursor");
        }
        Aggregation.Spec agg = null;
        JsonNode ab = o.get("aggregate_by");
        JsonNode gb = o.get("group_by");
        if (ab != null && !ab.isNull()) agg = Aggregation.parse(ab, gb);
        else if (gb != null && !gb.isNull())
            throw new InvalidRequestException("invalid_request", "group_by", "group_by: groups aggregations; give aggregate_by too");
        boolean eventual = false;
        JsonNode cs = o.get("consistency");
        if (cs != null && !cs.isNull()) {
            if (!cs.isTextual() || !(cs.textValue().equals("strong") || cs.textValue().equals("eventual")))
                throw new InvalidRequestException("invalid_request", "consistency", "consistency: must be \"strong\" or \"eventual\"; got " + cs);
            eventual = cs.textValue().equals("eventual");
        }
        int rrfK = DEFAULT_RRF_K;
        JsonNode rk = o.get("rrf_k");
        if (rk != null && !rk.isNull()) {
            if (!rk.isIntegralNumber() || !rk.canConvertToInt() || rk.intValue() < 0 || rk.intValue() > MAX_RRF_K)
                throw new InvalidRequestException("invalid_request", "rrf_k", "rrf_k: must be an integer in 0.." + MAX_RRF_K + "; got " + rk);
            rrfK = rk.intValue();
            if (mode != Mode.HYBRID) throw notHybrid("rrf_k", mode);
        }
        float wv = 1f, wb = 1f;
        JsonNode w = o.get("weights");
        if (w != null && !w.isNull()) {
            if (!w.isObject()) throw new InvalidRequestException("invalid_request", "weights", "weights: must be {\"vector\": w, \"bm25\": w}; got " + w);
            for (Iterator<String> it = w.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!f.equals("vector") && !f.equals("bm25"))
                    throw new InvalidRequestException("invalid_request", "weights." + f, "weights." + f + ": unknown ranking; weights has vector and bm25");
            }
            wv = weight(w, "vector");
            wb = weight(w, "bm25");
            if (wv == 0 && wb == 0) throw new InvalidRequestException("invalid_request", "weights", "weights: at least one must be above 0");
            if (mode != Mode.HYBRID) throw notHybrid("weights", mode);
        }
        return new SearchRequest(v, text, mode, o.get("filter"), k, meta, bool(o, "include_vectors"), bool(o, "include_text"), threshold,
                rankBy, after, agg, eventual, rrfK, wv, wb);
    }

    private static InvalidRequestException notHybrid(String field, Mode mode) {
        return new InvalidRequestException("invalid_request", field, field + ": tunes the fusion of mode hybrid; this search's mode is "
                + (mode == null ? "vector (the default)" : mode.name().toLowerCase(Locale.ROOT)));
    }

    private static float weight(JsonNode w, String k) {
        JsonNode n = w.get(k);
        if (n == null || n.isNull()) return 1f;
        if (!n.isNumber() || !Double.isFinite(n.doubleValue()) || n.doubleValue() < 0 || n.doubleValue() > 1e6)
            throw new InvalidRequestException("invalid_request", "weights." + k, "weights." + k + ": must be a number in 0..1000000; got " + n);
        return (float) n.doubleValue();
    }

    private static boolean bool(JsonNode o, String k) {
        JsonNode n = o.get(k);
        if (n == null || n.isNull()) return false;
        if (!n.isBoolean()) throw new InvalidRequestException("invalid_request", k, k + ": must be true or false; got " + n);
        return n.booleanValue();
    }
}
