package io.tamter.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/** A stored document: id (Long, BigInteger or String), vector (null unless asked for), text (or null) and attributes. */
public record Document(Object id, float[] vector, String text, Map<String, Object> attributes) {
    static Document fromJson(JsonNode d) {
        return new Document(Json.id(d.get("id")), Json.vector(d.get("vector")), d.hasNonNull("text") ? d.get("text").asText() : null,
                Json.attributes(d.get("metadata")));
    }
}
