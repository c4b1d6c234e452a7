package io.tamter.node.doc;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One document: its id, an optional vector (as the client wrote it or as the embedding model
 * produced it; not normalized), an optional {@code text} and its attributes (name → non-null JSON
 * value, in the order written). Immutable.
 */
public record Document(DocId id, float[] vector, String text, Map<String, JsonNode> attributes) {
    public Document {
        Objects.requireNonNull(id, "id");
        vector = vector == null ? null : vector.clone();
        Map<String, JsonNode> m = new LinkedHashMap<>();
        if (attributes != null) {
            for (Map.Entry<String, JsonNode> e : attributes.entrySet()) {
                JsonNode v = e.getValue();
                if (v != null && !v.isNull() && !v.isMissingNode()) m.put(e.getKey(), v);
            }
        }
        attributes = Collections.unmodifiableMap(m);
    }

    @Override
    public float[] vector() {
        return vector == null ? null : vector.clone();
    }

    /** The attributes as the text index takes them: the attributes plus {@code text} when present. */
    public Map<String, JsonNode> indexedAttributes() {
        Map<String, JsonNode> m = new LinkedHashMap<>(attributes);
        if (text != null) m.put("text", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.textNode(text));
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Document d && d.id.equals(id) && Arrays.equals(d.vector, vector) && Objects.equals(d.text, text)
                && d.attributes.equals(attributes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, Arrays.hashCode(vector), text, attributes);
    }

    @Override
    public String toString() {
        return "Document{id=" + id + ", dims=" + (vector == null ? 0 : vector.length) + ", text=" + text + ", attributes=" + attributes + "}";
    }
}
