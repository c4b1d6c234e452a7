package io.tamter.node.schema;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts JSON attribute values to the form they are indexed and compared in, checking them
 * against the attribute's type. Every failure is a {@link SchemaException} with code
 * {@code type_mismatch} that names the attribute and the path.
 */
public final class Values {
    private Values() {}

    /** JSON values of a present attribute: the elements of an array, or the one scalar. */
    public static List<JsonNode> elements(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) return List.of();
        if (!value.isArray()) return List.of(value);
        List<JsonNode> out = new ArrayList<>(value.size());
        value.forEach(out::add);
        return out;
    }

    /**
     * Checks a whole attribute value (null = absent, always fine) against its type: arrays for
     * array types, elements non-null and of the element type.
     */
    public static void check(AttributeSpec spec, JsonNode value, String path) {
        if (value == null || value.isNull() || value.isMissingNode()) return;
        AttributeType t = spec.type();
        if (t.isArray()) {
            if (!value.isArray()) throw mismatch(spec.name(), path, t, value);
            for (int i = 0; i < value.size(); i++) {
                JsonNode e = value.get(i);
                String p = path + "[" + i + "]";
                if (e.isNull()) throw new SchemaException("type_mismatch", p, p + ": attribute '" + spec.name() + "' of type " + t + " cannot hold null elements");
                checkScalar(spec.name(), t.element(), e, p);
            }
        } else {
            if (value.isArray()) throw mismatch(spec.name(), path, t, value);
            checkScalar(spec.name(), t, value, path);
        }
    }

    private static void checkScalar(String attr, AttributeType t, JsonNode v, String path) {
        switch (t) {
            case STRING -> asString(attr, v, path);
            case INT -> asInt(attr, v, path);
            case FLOAT -> asFloat(attr, v, path);
            case BOOL -> asBool(attr, v, path);
            case DATETIME -> asDatetime(attr, v, path);
            default -> throw new IllegalStateException(t.apiName());
        }
    }

    public static String asString(String attr, JsonNode v, String path) {
        if (!v.isTextual()) throw mismatch(attr, path, AttributeType.STRING, v);
        return v.textValue();
    }

    /** An integer in int64 range; a float with an integral value (5.0) is accepted. */
    public static long asInt(String attr, JsonNode v, String path) {
        if (v.isIntegralNumber() && v.canConvertToLong()) return v.longValue();
        if (v.isFloatingPointNumber()) {
            double d = v.doubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 0x1p63) return (long) d;
        }
        throw mismatch(attr, path, AttributeType.INT, v);
    }

    /** A finite number (an int is widened). */
    public static double asFloat(String attr, JsonNode v, String path) {
        if (!v.isNumber() || !Double.isFinite(v.doubleValue())) throw mismatch(attr, path, AttributeType.FLOAT, v);
        return v.doubleValue();
    }

    public static boolean asBool(String attr, JsonNode v, String path) {
        if (!v.isBoolean()) throw mismatch(attr, path, AttributeType.BOOL, v);
        return v.booleanValue();
    }

    /**
     * Epoch milliseconds of an ISO-8601 date-time with offset ({@code 2025-06-15T10:30:00Z},
     * {@code …+02:00}), a local date-time (read as UTC), a date (its start in UTC) or an integer of
     * epoch milliseconds. Sub-millisecond digits are truncated.
     */
    public static long asDatetime(String attr, JsonNode v, String path) {
        if (v.isIntegralNumber() && v.canConvertToLong()) return v.longValue();
        if (v.isTextual()) {
            Long ms = parseDatetime(v.textValue());
            if (ms != null) return ms;
        }
        throw mismatch(attr, path, AttributeType.DATETIME, v);
    }

    /** Epoch milliseconds of a datetime string, or null when it is not one. */
    public static Long parseDatetime(String s) {
        String t = s.strip();
        try {
            return OffsetDateTime.parse(t).toInstant().toEpochMilli();
        } catch (DateTimeParseException ignored) {
            // try the next form
        }
        try {
            return Instant.parse(t).toEpochMilli();
        } catch (DateTimeParseException ignored) {
            // try the next form
        }
        try {
            return LocalDateTime.parse(t).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeParseException ignored) {
            // try the next form
        }
        try {
            return LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    static SchemaException mismatch(String attr, String path, AttributeType expected, JsonNode got) {
        String shown = got.toString();
        if (shown.length() > 60) shown = shown.substring(0, 57) + "...";
        return new SchemaException("type_mismatch", path, path + ": attribute '" + attr + "' has type " + expected
                + ", got " + describe(got) + " " + shown);
    }

    static String describe(JsonNode v) {
        if (v.isTextual()) return "string";
        if (v.isIntegralNumber()) return "integer";
        if (v.isNumber()) return "number";
        if (v.isBoolean()) return "bool";
        if (v.isArray()) return "array";
        if (v.isObject()) return "object";
        return v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    }
}
