package io.tamter.node.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The schema of a namespace: its attributes with their types and index options. Immutable; every
 * change returns a new schema, so a reader holding one never sees it move.
 *
 * <p>Rules (API.md "schema" and "rows"):
 * <ul>
 *   <li>The reserved row field {@code text} is always present: a {@code string}, full-text indexed
 *       with the defaults, not filterable. Its options may be changed, not its type.
 *       {@code id} and {@code vector} are not attributes; names starting with {@code $} are
 *       rejected.</li>
 *   <li>An attribute written without a schema entry gets its type from its first non-null value
 *       ({@link #withInferred}): a JSON string is a {@code string} (datetimes are only recognized in
 *       attributes declared {@code datetime}; ISO-8601 strings still compare correctly as strings),
 *       an integer an {@code int}, another number a {@code float}, a boolean a {@code bool}, an array
 *       the array of its first non-null element's type. Empty arrays and nulls infer nothing.
 *       An {@code int} written into a {@code float} attribute is widened; a fraction written into an
 *       {@code int} attribute is a type mismatch (declare the attribute {@code float}).</li>
 *   <li>{@code filterable} defaults to true, except for attributes with {@code full_text_search}
 *       (false unless set: the filter index of long text is large and rarely wanted).</li>
 *   <li>Changing the type of an existing attribute is rejected (its data is indexed by type).</li>
 * </ul>
 */
public final class Schema {
    /** The reserved row field that is full-text indexed by default. */
    public static final String TEXT = "text";
    /** Row fields that are never attributes. */
    public static final Set<String> RESERVED = Set.of("id", "vector", "metadata");
    /** Longest attribute name, in UTF-8 bytes. */
    public static final int MAX_NAME_BYTES = 128;

    private static final AttributeSpec TEXT_DEFAULT = new AttributeSpec(TEXT, AttributeType.STRING, false, FullTextOptions.DEFAULTS);
    private static final Schema EMPTY = new Schema(Map.of(TEXT, TEXT_DEFAULT));

    private final Map<String, AttributeSpec> attributes;

    private Schema(Map<String, AttributeSpec> attributes) {
        this.attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
    }

    /** A schema with only the reserved {@code text} attribute. */
    public static Schema empty() {
        return EMPTY;
    }

    /** A schema from its JSON form ({@link #toJson()} or a schema request applied to an empty schema). */
    public static Schema fromJson(JsonNode json) {
        return EMPTY.update(json);
    }

    /** Builds a schema from specs (tests, codecs); {@code text} is added with defaults if absent. */
    public static Schema of(Collection<AttributeSpec> specs) {
        Map<String, AttributeSpec> m = new LinkedHashMap<>(EMPTY.attributes);
        for (AttributeSpec s : specs) {
            checkName(s.name(), s.name());
            if (s.name().equals(TEXT) && s.type() != AttributeType.STRING)
                throw new SchemaException(TEXT, "text: the reserved attribute 'text' is a string");
            m.put(s.name(), s);
        }
        return new Schema(m);
    }

    /** The attribute, or null when the schema has none of that name. */
    public AttributeSpec get(String name) {
        return attributes.get(name);
    }

    public Collection<AttributeSpec> attributes() {
        return attributes.values();
    }

    /** Attributes with full-text search, in schema order. */
    public List<AttributeSpec> fullTextAttributes() {
        List<AttributeSpec> out = new ArrayList<>();
        for (AttributeSpec s : attributes.values()) if (s.fullTextSearch()) out.add(s);
        return out;
    }

    /**
     * Applies a schema request ({@code {"attr": {"type":…, "filterable":…, "full_text_search":…}}}):
     * new attributes need a {@code type}; for existing ones an absent key keeps its setting and a
     * different {@code type} is rejected. The request is validated as a whole: on any error
     * nothing changes (this schema is immutable anyway).
     */
    public Schema update(JsonNode request) {
        if (request == null || !request.isObject())
            throw new SchemaException("", "schema must be a JSON object of attribute name to options");
        Map<String, AttributeSpec> m = new LinkedHashMap<>(attributes);
        for (Iterator<Map.Entry<String, JsonNode>> it = request.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            checkName(name, name);
            m.put(name, updateOne(name, attributes.get(name), e.getValue()));
        }
        return new Schema(m);
    }

    private static AttributeSpec updateOne(String name, AttributeSpec old, JsonNode o) {
        if (o == null || !o.isObject())
            throw new SchemaException(name, name + ": attribute options must be an object like {\"type\":\"string\"}");
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("type") && !k.equals("filterable") && !k.equals("full_text_search"))
                throw new SchemaException(name + "." + k, name + "." + k + ": unknown attribute option '" + k
                        + "'; known: type, filterable, full_text_search");
        }
        AttributeType type;
        JsonNode t = o.get("type");
        if (t == null || t.isNull()) {
            if (old == null) throw new SchemaException(name + ".type", name + ".type: a new attribute needs a type");
            type = old.type();
        } else {
            if (!t.isTextual() || AttributeType.fromApiName(t.textValue()) == null)
                throw new SchemaException(name + ".type", name + ".type: unknown type " + t
                        + "; known: string, int, float, bool, datetime and their arrays ([]string, …)");
            type = AttributeType.fromApiName(t.textValue());
            if (old != null && old.type() != type)
                throw new SchemaException("type_change", name + ".type", name + ".type: cannot change the type of attribute '"
                        + name + "' from " + old.type() + " to " + type);
        }
        if (name.equals(TEXT) && type != AttributeType.STRING)
            throw new SchemaException(TEXT + ".type", "text.type: the reserved attribute 'text' is a string");
        FullTextOptions fts = old == null ? null : old.fullText();
        if (o.has("full_text_search")) fts = FullTextOptions.parse(o.get("full_text_search"), name + ".full_text_search");
        if (fts != null && type.element() != AttributeType.STRING)
            throw new SchemaException(name + ".full_text_search", name + ".full_text_search: only string and []string attributes can be full-text indexed; '"
                    + name + "' is " + type);
        boolean filterable;
        JsonNode f = o.get("filterable");
        if (f != null && !f.isNull()) {
            if (!f.isBoolean()) throw new SchemaException(name + ".filterable", name + ".filterable: must be true or false, got " + f);
            filterable = f.booleanValue();
        } else if (old != null) {
            filterable = old.filterable();
        } else {
            filterable = fts == null;
        }
        return new AttributeSpec(name, type, filterable, fts);
    }

    /**
     * Returns this schema plus the attributes of a row that it does not know yet, typed by their
     * values (see the class comment); this same schema when nothing is new. Values of known
     * attributes are checked against their types.
     *
     * @param attributes a row's attributes (name → JSON value; nulls allowed)
     * @param path JSON path of the row for error messages, e.g. {@code upsert_rows[3]}
     */
    public Schema withInferred(Map<String, JsonNode> attributes, String path) {
        Map<String, AttributeSpec> added = null;
        for (Map.Entry<String, JsonNode> e : attributes.entrySet()) {
            String name = e.getKey();
            String p = path.isEmpty() ? name : path + "." + name;
            checkName(name, p);
            AttributeSpec spec = this.attributes.get(name);
            if (spec == null && added != null) spec = added.get(name);
            if (spec == null) {
                AttributeType t = infer(name, e.getValue(), p);
                if (t == null) continue;
                spec = new AttributeSpec(name, t, true, null);
                if (added == null) added = new LinkedHashMap<>();
                added.put(name, spec);
            }
            Values.check(spec, e.getValue(), p);
        }
        if (added == null) return this;
        Map<String, AttributeSpec> m = new LinkedHashMap<>(this.attributes);
        m.putAll(added);
        return new Schema(m);
    }

    /** The type a first value implies, or null when it implies none (null, empty array). */
    static AttributeType infer(String name, JsonNode v, String path) {
        if (v == null || v.isNull() || v.isMissingNode()) return null;
        if (v.isArray()) {
            for (int i = 0; i < v.size(); i++) {
                JsonNode e = v.get(i);
                if (e.isNull()) continue;
                if (e.isArray() || e.isObject())
                    throw new SchemaException("type_mismatch", path + "[" + i + "]", path + "[" + i + "]: attribute '" + name
                            + "': arrays hold scalars (string, number, bool), not " + Values.describe(e) + "s");
                return inferScalar(name, e, path + "[" + i + "]").arrayOf();
            }
            return null;
        }
        if (v.isObject())
            throw new SchemaException("type_mismatch", path, path + ": attribute '" + name
                    + "' is an object; attributes are scalars or arrays of scalars");
        return inferScalar(name, v, path);
    }

    private static AttributeType inferScalar(String name, JsonNode v, String path) {
        if (v.isTextual()) return AttributeType.STRING;
        if (v.isBoolean()) return AttributeType.BOOL;
        if (v.isIntegralNumber()) {
            if (!v.canConvertToLong())
                throw new SchemaException("type_mismatch", path, path + ": attribute '" + name + "': integer " + v + " is outside the int64 range");
            return AttributeType.INT;
        }
        if (v.isNumber()) return AttributeType.FLOAT;
        throw new SchemaException("type_mismatch", path, path + ": attribute '" + name + "' has an unsupported value " + v);
    }

    static void checkName(String name, String path) {
        if (name.isEmpty()) throw new SchemaException(path, path + ": attribute names must not be empty");
        if (name.startsWith("$")) throw new SchemaException(path, path + ": attribute names must not start with '$': " + name);
        if (RESERVED.contains(name)) throw new SchemaException(path, path + ": '" + name + "' is a reserved row field, not an attribute");
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES)
            throw new SchemaException(path, path + ": attribute names are at most " + MAX_NAME_BYTES + " bytes");
    }

    /** The schema as returned by {@code GET …/schema}: attribute name → options. */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        for (AttributeSpec s : attributes.values()) o.set(s.name(), s.toJson());
        return o;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Schema s && s.attributes.equals(attributes);
    }

    @Override
    public int hashCode() {
        return attributes.hashCode();
    }

    @Override
    public String toString() {
        return toJson().toString();
    }
}
