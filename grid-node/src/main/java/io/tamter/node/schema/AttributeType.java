package io.tamter.node.schema;

import java.util.Locale;

/**
 * The type of an attribute, as spelled in the schema API: a scalar ({@code string}, {@code int},
 * {@code float}, {@code bool}, {@code datetime}) or an array of one ({@code []string}, …).
 *
 * <p>Values: {@code int} is a signed 64-bit integer, {@code float} a finite 64-bit double,
 * {@code datetime} an instant kept as epoch milliseconds (written as an ISO-8601 string such as
 * {@code 2025-06-15T10:30:00Z}, a date {@code 2025-06-15} meaning its start in UTC, or an integer
 * of epoch milliseconds).
 */
public enum AttributeType {
    STRING("string"), INT("int"), FLOAT("float"), BOOL("bool"), DATETIME("datetime"),
    STRING_ARRAY("[]string"), INT_ARRAY("[]int"), FLOAT_ARRAY("[]float"), BOOL_ARRAY("[]bool"), DATETIME_ARRAY("[]datetime");

    private final String apiName;

    AttributeType(String apiName) {
        this.apiName = apiName;
    }

    /** The name used in the API ({@code "[]int"}). */
    public String apiName() {
        return apiName;
    }

    public boolean isArray() {
        return ordinal() >= STRING_ARRAY.ordinal();
    }

    /** The scalar type of an array's elements; a scalar type is its own element type. */
    public AttributeType element() {
        return isArray() ? values()[ordinal() - STRING_ARRAY.ordinal()] : this;
    }

    /** The array type whose elements are this scalar type. */
    public AttributeType arrayOf() {
        if (isArray()) throw new IllegalStateException("no arrays of arrays: " + apiName);
        return values()[ordinal() + STRING_ARRAY.ordinal()];
    }

    /** Types compared as numbers (range operators work on every type except bool). */
    public boolean isNumeric() {
        AttributeType e = element();
        return e == INT || e == FLOAT || e == DATETIME;
    }

    /** Parses an API type name; null when unknown. Case-insensitive, surrounding blanks ignored. */
    public static AttributeType fromApiName(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        for (AttributeType t : values()) if (t.apiName.equals(n)) return t;
        return null;
    }

    @Override
    public String toString() {
        return apiName;
    }
}
