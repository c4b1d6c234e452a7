package io.tamter.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A document to upsert (API.md's {@code upsert_rows} entry): an id, an optional vector, optional
 * text (stored, full-text indexed and, without a vector, embedded by the server when the namespace
 * embeds) and attributes. {@code Row.of(7).vector(v).text("…").attr("kind", "a")}.
 */
public final class Row {
    private final Object id;
    private float[] vector;
    private String text;
    private final Map<String, Object> attributes = new LinkedHashMap<>();

    private Row(Object id) {
        Json.id(id); // checks the id's type now, not at send time
        this.id = id;
    }

    /** A row with id {@code id}: a Long/Integer (unsigned 64-bit), BigInteger, UUID or String. */
    public static Row of(Object id) {
        return new Row(id);
    }

    public Row vector(float... vector) {
        this.vector = vector.clone();
        return this;
    }

    public Row text(String text) {
        this.text = text;
        return this;
    }

    /** Sets attribute {@code name} to {@code value} (String, number, Boolean, List, Map, or a Jackson JsonNode). */
    public Row attr(String name, Object value) {
        attributes.put(name, value);
        return this;
    }

    public Object id() {
        return id;
    }

    ObjectNode toJson() {
        ObjectNode o = Json.F.objectNode();
        o.set("id", Json.id(id));
        if (vector != null) o.set("vector", Json.vector(vector));
        if (text != null) o.put("text", text);
        if (!attributes.isEmpty()) o.set("metadata", Json.metadata(attributes));
        return o;
    }
}
