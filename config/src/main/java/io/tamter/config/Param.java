package io.tamter.config;

import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * One setting: its key, type, default, unit, bounds and a one-line description. Every
 * setting of Tamter is a {@code Param} declared in {@link Params}; nothing reads a raw string
 * key anywhere else.
 *
 * @param <T> the value type (Integer, Long, Double, Boolean or String)
 */
public final class Param<T extends Comparable<T>> {
    private final String key;
    private final Class<T> type;
    private final T defaultValue;
    private final T min;
    private final T max;
    private final String unit;
    private final String doc;
    private final Function<String, T> parser;
    private final boolean secret;

    private Param(String key, Class<T> type, T defaultValue, T min, T max, String unit, String doc,
                  Function<String, T> parser) {
        this(key, type, defaultValue, min, max, unit, doc, parser, false);
    }

    private Param(String key, Class<T> type, T defaultValue, T min, T max, String unit, String doc,
                  Function<String, T> parser, boolean secret) {
        this.key = Objects.requireNonNull(key);
        this.type = type;
        this.defaultValue = defaultValue;
        this.min = min;
        this.max = max;
        this.unit = unit;
        this.doc = doc;
        this.parser = parser;
        this.secret = secret;
        validate(defaultValue);
    }

    static Param<Integer> ofInt(String key, int def, int min, int max, String unit, String doc) {
        return new Param<>(key, Integer.class, def, min, max, unit, doc, s -> Integer.parseInt(s.trim().replace("_", "")));
    }

    static Param<Long> ofLong(String key, long def, long min, long max, String unit, String doc) {
        return new Param<>(key, Long.class, def, min, max, unit, doc, Param::parseLongWithSuffix);
    }

    static Param<Double> ofDouble(String key, double def, double min, double max, String unit, String doc) {
        return new Param<>(key, Double.class, def, min, max, unit, doc, s -> Double.parseDouble(s.trim()));
    }

    static Param<Boolean> ofBool(String key, boolean def, String doc) {
        return new Param<>(key, Boolean.class, def, null, null, "", doc, Param::parseBool);
    }

    static Param<String> ofString(String key, String def, String doc) {
        return new Param<>(key, String.class, def, null, null, "", doc, String::trim);
    }

    /**
     * A string setting whose value must never be shown (a password): {@link Settings#overrides()}
     * masks it, and its default must be empty so the table never documents a real secret.
     */
    static Param<String> ofSecret(String key, String doc) {
        return new Param<>(key, String.class, "", null, null, "", doc, s -> s, true);
    }

    /** Accepts plain numbers and the binary suffixes k, m, g (e.g. {@code 256m}). */
    private static Long parseLongWithSuffix(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT).replace("_", "");
        long mul = 1;
        if (t.endsWith("k") || t.endsWith("kb") || t.endsWith("kib")) mul = 1L << 10;
        else if (t.endsWith("m") || t.endsWith("mb") || t.endsWith("mib")) mul = 1L << 20;
        else if (t.endsWith("g") || t.endsWith("gb") || t.endsWith("gib")) mul = 1L << 30;
        if (mul != 1) t = t.replaceAll("[a-z]+$", "");
        return Math.multiplyExact(Long.parseLong(t), mul);
    }

    private static Boolean parseBool(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> Boolean.TRUE;
            case "false", "no", "off", "0" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException("not a boolean: '" + s + "'");
        };
    }

    /** Parses a textual value (from a file, the environment or a system property). */
    public T parse(String text) {
        T value;
        try {
            value = parser.apply(text);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + ": cannot parse '" + (secret ? "***" : text) + "' as " + type.getSimpleName().toLowerCase(Locale.ROOT), e);
        }
        validate(value);
        return value;
    }

    /** Throws with the offending value in the message when {@code value} is out of bounds. */
    public void validate(T value) {
        if (value == null) throw new IllegalArgumentException(key + " must be set");
        if (min != null && value.compareTo(min) < 0)
            throw new IllegalArgumentException(key + " must be >= " + min + "; " + key + "=" + value);
        if (max != null && value.compareTo(max) > 0)
            throw new IllegalArgumentException(key + " must be <= " + max + "; " + key + "=" + value);
    }

    public T cast(Object o) {
        return type.cast(o);
    }

    public String key() { return key; }
    public Class<T> type() { return type; }
    public T defaultValue() { return defaultValue; }
    public T min() { return min; }
    public T max() { return max; }
    public String unit() { return unit; }
    public String doc() { return doc; }
    /** True for a value that must not appear in logs or benchmark output (see {@link #ofSecret}). */
    public boolean secret() { return secret; }

    /** The environment variable that overrides this key: {@code index.max_posting} → {@code TAMTER_INDEX_MAX_POSTING}. */
    public String envName() {
        return "TAMTER_" + key.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    @Override
    public String toString() {
        return key;
    }
}
