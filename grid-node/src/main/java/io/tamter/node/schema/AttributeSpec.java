package io.tamter.node.schema;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One attribute of a namespace schema.
 *
 * @param fullText the full-text options, or null when the attribute is not full-text indexed
 *                 (only {@code string} and {@code []string} attributes may be)
 */
public record AttributeSpec(String name, AttributeType type, boolean filterable, FullTextOptions fullText) {

    public AttributeSpec {
        if (fullText != null && type.element() != AttributeType.STRING)
            throw new IllegalArgumentException("full_text_search needs a string or []string attribute; " + name + " is " + type);
    }

    public boolean fullTextSearch() {
        return fullText != null;
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("type", type.apiName()).put("filterable", filterable);
        if (fullText == null) o.put("full_text_search", false);
        else o.set("full_text_search", fullText.toJson());
        return o;
    }
}
