package io.tamter.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.client.wire.Envelope;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** Conversions between the typed API and the JSON bodies of API.md. */
final class Json {
    private Json() {}

    static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** A document id as JSON: an unsigned 64-bit integer (Long, Integer, BigInteger), a UUID or a string. */
    static JsonNode id(Object id) {
        if (id instanceof Long || id instanceof Integer || id instanceof Short) {
            long v = ((Number) id).longValue();
            if (v < 0) throw new IllegalArgumentException("a numeric id is an unsigned 64-bit integer; id=" + v);
            return F.numberNode(v);
        }
        if (id instanceof BigInteger b) return F.numberNode(b);
        if (id instanceof String || id instanceof UUID) return F.textNode(id.toString());
        throw new IllegalArgumentException("an id is a Long, Integer, BigInteger, UUID or String; got " + (id == null ? "null" : id.getClass().getName()));
    }

    /** An id as it came back: Long for integers up to 2^63-1, BigInteger above, String otherwise. */
    static Object id(JsonNode n) {
        if (n == null || n.isNull()) return null;
        if (n.isIntegralNumber()) return n.canConvertToLong() ? (Object) n.longValue() : n.bigIntegerValue();
        return n.asText();
    }

    static ArrayNode vector(float[] v) {
        ArrayNode a = F.arrayNode(v.length);
        for (float x : v) a.add(x);
        return a;
    }

    static float[] vector(JsonNode n) {
        if (n == null || !n.isArray()) return null;
        float[] v = new float[n.size()];
        for (int i = 0; i < v.length; i++) v[i] = n.get(i).floatValue();
        return v;
    }

    static JsonNode value(Object v) {
        return v instanceof JsonNode j ? j : Envelope.JSON.valueToTree(v);
    }

    /** Attributes as API.md's {@code metadata} object; a null value is JSON null (a patch's removal). */
    static ObjectNode metadata(Map<String, Object> attributes) {
        ObjectNode meta = F.objectNode();
        attributes.forEach((k, v) -> {
            if (v == null) meta.putNull(k);
            else meta.set(k, value(v));
        });
        return meta;
    }

    /** A JSON object's fields as plain Java values (String, Integer/Long/Double, Boolean, List, Map, null). */
    static Map<String, Object> attributes(JsonNode meta) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (meta != null && meta.isObject())
            meta.fields().forEachRemaining(e -> out.put(e.getKey(), Envelope.JSON.convertValue(e.getValue(), Object.class)));
        return out;
    }

    static JsonNode parse(String json) {
        try {
            return Envelope.JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
    }
}
