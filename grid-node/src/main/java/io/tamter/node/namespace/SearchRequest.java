package io.tamter.node.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.node.doc.InvalidRequestException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A search (API.md "Search"). {@code vector} or {@code text} (or both for hybrid); {@code mode}
 * null picks vector search (of the vector, or of the embedded text). {@code includeMetadata} null
 * means all attributes, an empty list none. {@code distanceThreshold} NaN means no bound.
 */
public record SearchRequest(float[] vector, String text, Mode mode, JsonNode filter, int topK, List<String> includeMetadata,
        boolean includeVectors, boolean includeText, float distanceThreshold) {
    public enum Mode { VECTOR, BM25, HYBRID }

    public static final int MAX_TOP_K = 10_000;
    private static final Set<String> KEYS = Set.of("vector", "text", "mode", "filter", "top_k", "include_metadata", "include_vectors",
            "include_text", "distance_threshold");

    public SearchRequest {
        if (topK < 1 || topK > MAX_TOP_K)
            throw new InvalidRequestException("invalid_request", "top_k", "top_k: must be in 1.." + MAX_TOP_K + "; top_k=" + topK);
        if (vector == null && text == null)
            throw new InvalidRequestException("invalid_request", "", "a search needs a vector or a text");
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
        return new SearchRequest(vector, text, mode, f, topK, includeMetadata, includeVectors, includeText, distanceThreshold);
    }

    public SearchRequest withVector(float[] v) {
        return new SearchRequest(v, text, mode, filter, topK, includeMetadata, includeVectors, includeText, distanceThreshold);
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
        return new SearchRequest(v, text, mode, o.get("filter"), k, meta, bool(o, "include_vectors"), bool(o, "include_text"), threshold);
    }

    private static boolean bool(JsonNode o, String k) {
        JsonNode n = o.get(k);
        if (n == null || n.isNull()) return false;
        if (!n.isBoolean()) throw new InvalidRequestException("invalid_request", k, k + ": must be true or false; got " + n);
        return n.booleanValue();
    }
}
