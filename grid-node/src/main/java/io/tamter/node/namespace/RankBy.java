package io.tamter.node.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.node.doc.DocId;
import io.tamter.node.doc.InvalidRequestException;
import io.tamter.node.schema.AttributeSpec;
import io.tamter.node.schema.AttributeType;
import io.tamter.node.schema.Schema;
import io.tamter.node.schema.Values;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Comparator;
import java.util.Iterator;

/**
 * A search ordered by an attribute (API.md {@code "rank_by": ["price", "asc"|"desc"]}) and the
 * cursor of its pages.
 *
 * <p><b>Order.</b> Documents with a value come first, by value (ascending or descending), then
 * documents without one; ties (equal values, or both missing) by id ({@link DocId#compareTo},
 * ascending in both directions). Values are compared as their type says: int and datetime as
 * 64-bit integers (datetime as epoch milliseconds, whatever form it was written in), float as a
 * double, string by UTF-16 code units ({@link String#compareTo}), bool false before true. That is
 * a total order over documents, so pages never overlap and never skip a document that exists
 * throughout the paging (a document written or changed meanwhile lands on whichever page its
 * value puts it). Array attributes have no order and are refused.
 *
 * <p><b>Keys.</b> A document's position is its {@link Key}: the normalized value (a long, a
 * double, a string or a boolean as JSON; null when missing) and its id. The key is what shards
 * send to the coordinator and what the cursor carries, so merging and the cursor need no schema.
 *
 * <p><b>Cursor.</b> Opaque to clients: {@code "1"} (the version) and the unpadded base64url form of
 * {@code {"by":attr,"o":"asc"|"desc","k":value,"id":base64url(id key)}}, the last key of the page.
 * A page holds the documents after it. A cursor of another attribute or direction is refused.
 */
public record RankBy(String attribute, boolean descending) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final char VERSION = '1';

    /** A document's place in the order: its normalized value (null: missing) and id. */
    public record Key(JsonNode value, DocId id) {
        public Key {
            if (value != null && value.isNull()) value = null;
        }
    }

    /** Parses {@code ["attr", "asc"|"desc"]} at {@code path}. */
    static RankBy parse(JsonNode n, String path) {
        if (n == null || !n.isArray() || n.size() != 2 || !n.get(0).isTextual() || !n.get(1).isTextual())
            throw new InvalidRequestException("invalid_request", path, path + ": must be [\"<attribute>\", \"asc\"|\"desc\"]; got " + n);
        String attr = n.get(0).textValue();
        if (attr.isEmpty()) throw new InvalidRequestException("invalid_request", path + "[0]", path + "[0]: an attribute name; got \"\"");
        return switch (n.get(1).textValue()) {
            case "asc" -> new RankBy(attr, false);
            case "desc" -> new RankBy(attr, true);
            default -> throw new InvalidRequestException("invalid_request", path + "[1]", path + "[1]: must be \"asc\" or \"desc\"; got "
                    + n.get(1));
        };
    }

    /** The attribute's type in {@code schema}; an unknown or array attribute is a 400 at {@code path}. */
    AttributeType checkType(Schema schema, String path) {
        return scalarType(schema, attribute, path);
    }

    /** The scalar type of {@code attr}, for ordering and grouping; unknown or array types are a 400 at {@code path}. */
    static AttributeType scalarType(Schema schema, String attr, String path) {
        AttributeSpec spec = schema.get(attr);
        if (spec == null) throw new InvalidRequestException("unknown_attribute", path, path + ": unknown attribute '" + attr + "'");
        if (spec.type().isArray())
            throw new InvalidRequestException("invalid_request", path, path + ": attribute '" + attr + "' is of type " + spec.type().apiName()
                    + ", which has no order; use a scalar attribute");
        return spec.type();
    }

    /**
     * The normalized form of a stored value of type {@code t} (null for a missing value): int and
     * datetime as a long, float as a double (-0 as 0), string as is, bool as is.
     */
    static JsonNode normalize(AttributeType t, String attr, JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) return null;
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (t) {
            case INT -> f.numberNode(Values.asInt(attr, v, attr));
            case DATETIME -> f.numberNode(Values.asDatetime(attr, v, attr));
            case FLOAT -> f.numberNode(Values.asFloat(attr, v, attr) == 0.0 ? 0.0 : Values.asFloat(attr, v, attr));
            case STRING -> f.textNode(v.textValue());
            case BOOL -> f.booleanNode(v.booleanValue());
            default -> throw new IllegalStateException("no order for " + t);
        };
    }

    /** The order of this ranking over keys (see the class comment). */
    public Comparator<Key> order() {
        return (a, b) -> {
            JsonNode x = a.value(), y = b.value();
            if (x == null || y == null) {
                if (x != y) return x == null ? 1 : -1; // missing last, in both directions
                return a.id().compareTo(b.id());
            }
            int c = compareValues(x, y);
            if (descending) c = -c;
            return c != 0 ? c : a.id().compareTo(b.id());
        };
    }

    /** Compares two normalized values of one attribute (both present). */
    static int compareValues(JsonNode x, JsonNode y) {
        if (x.isTextual()) return x.textValue().compareTo(y.asText());
        if (x.isBoolean()) return Boolean.compare(x.booleanValue(), y.booleanValue());
        if (x.isIntegralNumber() && y.isIntegralNumber()) return Long.compare(x.longValue(), y.longValue());
        return Double.compare(x.doubleValue(), y.doubleValue());
    }

    /** The cursor after {@code last}. */
    public String cursor(Key last) {
        ObjectNode o = JSON.createObjectNode();
        o.put("by", attribute);
        o.put("o", descending ? "desc" : "asc");
        if (last.value() == null) o.putNull("k");
        else o.set("k", last.value());
        o.put("id", Base64.getUrlEncoder().withoutPadding().encodeToString(last.id().key()));
        return VERSION + Base64.getUrlEncoder().withoutPadding().encodeToString(o.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The key a cursor of this ranking starts after; a malformed cursor, or one of another ranking, is a 400 at {@code path}. */
    public Key decodeCursor(String cursor, String path) {
        JsonNode o;
        try {
            if (cursor.isEmpty() || cursor.charAt(0) != VERSION) throw new IllegalArgumentException("unknown cursor version");
            o = JSON.readTree(Base64.getUrlDecoder().decode(cursor.substring(1)));
        } catch (Exception e) {
            throw badCursor(path);
        }
        if (o == null || !o.isObject() || o.size() != 4 || !o.path("by").isTextual() || !o.path("o").isTextual() || !o.path("id").isTextual()
                || !o.has("k"))
            throw badCursor(path);
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("by") && !f.equals("o") && !f.equals("k") && !f.equals("id")) throw badCursor(path);
        }
        if (!o.get("by").textValue().equals(attribute) || !o.get("o").textValue().equals(descending ? "desc" : "asc"))
            throw new InvalidRequestException("invalid_cursor", path, path + ": the cursor belongs to rank_by [\"" + o.get("by").textValue()
                    + "\", \"" + o.get("o").textValue() + "\"], not to this rank_by; start again without a cursor");
        JsonNode k = o.get("k");
        if (!(k.isNull() || k.isTextual() || k.isBoolean() || k.isNumber()) || (k.isNumber() && !Double.isFinite(k.doubleValue())))
            throw badCursor(path);
        DocId id;
        try {
            id = DocId.fromKey(Base64.getUrlDecoder().decode(o.get("id").textValue()));
        } catch (RuntimeException e) {
            throw badCursor(path);
        }
        return new Key(k.isNull() ? null : k, id);
    }

    private static InvalidRequestException badCursor(String path) {
        return new InvalidRequestException("invalid_cursor", path, path + ": not a cursor of this search (pass the next_cursor of the "
                + "previous page)");
    }
}
