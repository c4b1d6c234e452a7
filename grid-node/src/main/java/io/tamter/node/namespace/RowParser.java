package io.tamter.node.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tamter.node.doc.DocId;
import io.tamter.node.doc.InvalidRequestException;
import io.tamter.node.schema.Schema;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Parsing of the row forms of write requests ({@code upsert_rows}, {@code patch_rows},
 * {@code deletes}) into {@link Row}s and ids, with every error naming its JSON path
 * ({@code upsert_rows[3].vector[5]}). Pure functions; {@link Namespace} validates the rows against
 * the namespace's settings afterwards.
 */
final class RowParser {
    private RowParser() {
    }

    /** A parsed row of an upsert or patch. {@code attrs} keeps nulls (a patch removes those). */
    record Row(int index, String path, DocId id, float[] vector, boolean hasText, String text, Map<String, JsonNode> attrs, JsonNode raw) {}

    static float[] parseVector(JsonNode v, String path) {
        if (!v.isArray()) throw new InvalidRequestException("invalid_vector", path, path + ": a vector is an array of numbers");
        if (v.isEmpty()) throw new InvalidRequestException("invalid_vector", path, path + ": a vector must not be empty");
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = v.get(i);
            if (!x.isNumber())
                throw new InvalidRequestException("invalid_vector", path + "[" + i + "]", path + "[" + i + "]: not a number: " + x);
            float f = (float) x.asDouble();
            if (!Float.isFinite(f))
                throw new InvalidRequestException("invalid_vector", path + "[" + i + "]", path + "[" + i + "]: is " + x.asDouble()
                        + "; vectors must be finite float32 values");
            out[i] = f;
        }
        return out;
    }

    static Row parseRow(JsonNode row, int i, String list, boolean patch) {
        String path = list + "[" + i + "]";
        if (row == null || !row.isObject()) throw new InvalidRequestException("invalid_row", path, path + ": a row is a JSON object");
        DocId id = DocId.fromJson(row.get("id"), path + ".id");
        return parseFields(row, i, path, id, patch);
    }

    /**
     * The {@code patch} of an update-by-filter: the attributes (and text) a patch row would carry,
     * without an id (the filter picks the documents) or a vector; errors name {@code patch.<attr>}.
     * The row's id is a placeholder.
     */
    static Row parsePatch(JsonNode patch) {
        String path = "patch";
        if (patch == null || !patch.isObject() || patch.isEmpty())
            throw new InvalidRequestException("invalid_request", path, path + ": must be an object of attribute -> value (null removes "
                    + "the attribute), with at least one attribute");
        if (patch.has("id"))
            throw new InvalidRequestException("invalid_row", path + ".id", path + ".id: the filter picks the documents; a patch has no id");
        return parseFields(patch, 0, path, DocId.ofU64(0), true);
    }

    private static Row parseFields(JsonNode row, int i, String path, DocId id, boolean patch) {
        float[] vector = null;
        JsonNode vn = row.get("vector");
        if (vn != null && !vn.isNull()) {
            if (patch) throw new InvalidRequestException("invalid_row", path + ".vector", path + ".vector: a patch cannot change the vector; upsert the document");
            vector = parseVector(vn, path + ".vector");
        }
        boolean hasText = row.has("text");
        String text = null;
        JsonNode tn = row.get("text");
        if (tn != null && !tn.isNull()) {
            if (!tn.isTextual()) throw new InvalidRequestException("type_mismatch", path + ".text", path + ".text: must be a string; got " + tn);
            text = tn.textValue();
        }
        Map<String, JsonNode> attrs = new LinkedHashMap<>();
        JsonNode meta = row.get("metadata");
        if (meta != null && !meta.isNull()) {
            if (!meta.isObject()) throw new InvalidRequestException("invalid_row", path + ".metadata", path + ".metadata: must be an object");
            for (Iterator<Map.Entry<String, JsonNode>> it = meta.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String p = path + ".metadata." + e.getKey();
                checkAttrName(e.getKey(), p);
                if (e.getKey().equals("text") || Schema.RESERVED.contains(e.getKey()))
                    throw new InvalidRequestException("invalid_attribute", p, p + ": '" + e.getKey() + "' is a reserved row field, not an attribute");
                attrs.put(e.getKey(), e.getValue());
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = row.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            if (k.equals("text") || Schema.RESERVED.contains(k)) continue;
            String p = path + "." + k;
            checkAttrName(k, p);
            if (attrs.containsKey(k))
                throw new InvalidRequestException("duplicate_attribute", p, p + ": attribute '" + k + "' is given both in metadata and at the top level");
            attrs.put(k, e.getValue());
        }
        return new Row(i, path, id, vector, hasText, text, attrs, row);
    }

    static void checkAttrName(String k, String p) {
        if (k.startsWith("$")) throw new InvalidRequestException("invalid_attribute", p, p + ": attribute names must not start with '$'");
    }

    static List<Row> parseRows(JsonNode rows, String list, boolean patch) {
        if (rows == null || !rows.isArray()) throw new InvalidRequestException("invalid_request", list, list + ": must be an array of rows");
        List<Row> out = new ArrayList<>(rows.size());
        Set<DocId> seen = new HashSet<>();
        for (int i = 0; i < rows.size(); i++) {
            Row r = parseRow(rows.get(i), i, list, patch);
            if (!seen.add(r.id()))
                throw new InvalidRequestException("duplicate_id", r.path() + ".id", r.path() + ".id: id " + r.id() + " appears more than once in the request");
            out.add(r);
        }
        return out;
    }

    static List<DocId> parseIds(JsonNode ids, String list) {
        if (ids == null || !ids.isArray()) throw new InvalidRequestException("invalid_request", list, list + ": must be an array of ids");
        List<DocId> out = new ArrayList<>();
        Set<DocId> seen = new HashSet<>();
        for (int i = 0; i < ids.size(); i++) {
            String p = list + "[" + i + "]";
            DocId id = DocId.fromJson(ids.get(i), p);
            if (!seen.add(id)) throw new InvalidRequestException("duplicate_id", p, p + ": id " + id + " appears more than once in the request");
            out.add(id);
        }
        return out;
    }

    /** The row's values for {@code $ref_new}: attributes, text and id. */
    static Function<String, JsonNode> refNew(Row r) {
        return attr -> {
            if (attr.equals("text")) return r.text() == null ? null : JsonNodeFactory.instance.textNode(r.text());
            if (attr.equals("id")) return r.id().toJson();
            return r.attrs().get(attr);
        };
    }

    static Function<String, JsonNode> noRefNew() {
        return attr -> null;
    }

}
