package io.tamter.http.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Turns one line of a JSONL file into one row of API.md's {@code upsert_rows}, for
 * {@code tamter load}. Three shapes are read:
 * <ul>
 *   <li><b>upsert rows</b>: a line with an {@code id} (and no {@code --id-field}/{@code --text-fields})
 *   is sent as it is, so files written for the API load unchanged;</li>
 *   <li><b>BEIR corpora</b>: a line with {@code _id} and no {@code id} becomes
 *   {@code {"id": _id, "text": title + " " + text, "metadata": {"title": title, …}}} (the same
 *   document text {@code bench beir} indexes; the title is also kept as an attribute so search
 *   results can show it without {@code include_text});</li>
 *   <li><b>other JSONL</b>: {@code --id-field NAME} names the id and {@code --text-fields a,b} the
 *   fields joined (with a space, in that order, empty ones skipped) into the document text.</li>
 * </ul>
 * In the last two shapes every other field becomes an attribute in {@code metadata}, except
 * {@code vector}, which stays the row's vector; the entries of an object-valued {@code metadata}
 * field are merged in (BEIR has {@code "metadata":{}}). Fields named by {@code --text-fields} are
 * not also kept as attributes: string attributes are filterable by default, and a long body in the
 * filter index costs space (and Lucene refuses terms over 32 KiB). BEIR's title is the exception
 * above: short, and what a result list shows. Mapping errors name the field; the caller adds the
 * file and line.
 */
final class JsonlRows {
    static final List<String> BEIR_TEXT_FIELDS = List.of("title", "text");

    private final String idField;         // null: "id", else "_id" (BEIR)
    private final List<String> textFields; // null: as the shape says

    JsonlRows(String idField, List<String> textFields) {
        this.idField = idField;
        this.textFields = textFields == null ? null : List.copyOf(textFields);
    }

    /** The upsert row for one parsed line; an {@link IllegalArgumentException} says what is wrong with it. */
    ObjectNode map(ObjectNode line) {
        if (idField == null && textFields == null && line.has("id")) return line; // already an upsert row
        String idName = idField != null ? idField : line.has("id") ? "id" : line.has("_id") ? "_id" : null;
        if (idName == null)
            throw new IllegalArgumentException("no id: a row needs \"id\" (upsert rows), \"_id\" (BEIR) or the field --id-field names");
        JsonNode id = line.get(idName);
        if (id == null || id.isNull())
            throw new IllegalArgumentException("no \"" + idName + "\" field (the id" + (idField != null ? ", --id-field)" : ")"));
        List<String> texts = textFields != null ? textFields : idName.equals("_id") ? BEIR_TEXT_FIELDS : List.of("text");

        ObjectNode row = JsonNodeFactory.instance.objectNode();
        row.set("id", id);
        List<String> parts = new ArrayList<>(texts.size());
        for (String f : texts) {
            JsonNode v = line.get(f);
            if (v == null || v.isNull()) continue;
            if (!v.isTextual()) throw new IllegalArgumentException("text field \"" + f + "\" is not a string: " + abbreviate(v));
            if (!v.textValue().isBlank()) parts.add(v.textValue().strip());
        }
        if (!parts.isEmpty()) row.put("text", String.join(" ", parts));
        if (line.has("vector")) row.set("vector", line.get("vector"));

        ObjectNode meta = row.putObject("metadata");
        for (Iterator<Map.Entry<String, JsonNode>> it = line.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            if (k.equals(idName) || k.equals("vector")) continue;
            if (texts.contains(k) && !(textFields == null && k.equals("title"))) continue;
            if (k.equals("text"))
                throw new IllegalArgumentException("\"text\" is the reserved document text; name it in --text-fields or rename it");
            if (k.equals("metadata") && e.getValue().isObject()) {
                e.getValue().fields().forEachRemaining(m -> putAttribute(meta, m.getKey(), m.getValue()));
                continue;
            }
            if (e.getValue().isNull()) continue; // absent, as in upsert-columns
            putAttribute(meta, k, e.getValue());
        }
        if (meta.isEmpty()) row.remove("metadata");
        return row;
    }

    private static void putAttribute(ObjectNode meta, String name, JsonNode value) {
        if (meta.has(name)) throw new IllegalArgumentException("attribute \"" + name + "\" is given twice (top level and in metadata)");
        meta.set(name, value);
    }

    private static String abbreviate(JsonNode v) {
        String s = v.toString();
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
