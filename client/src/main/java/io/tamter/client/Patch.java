package io.tamter.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A change to one existing document's attributes (API.md's {@code patch_rows} entry): only the
 * attributes given change; {@link #remove} drops one. A patch of an id that does not exist creates
 * nothing and is listed in {@link WriteResult#errors()}. {@code Patch.of(7).set("kind", "b").remove("old")}.
 */
public final class Patch {
    private final Object id;
    private final Map<String, Object> changes = new LinkedHashMap<>();

    private Patch(Object id) {
        Json.id(id);
        this.id = id;
    }

    public static Patch of(Object id) {
        return new Patch(id);
    }

    public Patch set(String name, Object value) {
        if (value == null) throw new IllegalArgumentException(name + ": a null value removes the attribute; say so with remove(\"" + name + "\")");
        changes.put(name, value);
        return this;
    }

    public Patch remove(String name) {
        changes.put(name, null);
        return this;
    }

    public Object id() {
        return id;
    }

    ObjectNode toJson() {
        ObjectNode o = Json.F.objectNode();
        o.set("id", Json.id(id));
        o.set("metadata", Json.metadata(changes));
        return o;
    }
}
