package io.tamter.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * An immutable set of values for the parameters of {@link Params}. Sources, later winning:
 * defaults, a {@code key = value} file, environment variables ({@code TAMTER_INDEX_NPROBE}),
 * system properties ({@code -Dtamter.index.nprobe=64}), then explicit {@link #with} calls.
 * Every value is validated on the way in and the whole set is cross-checked by
 * {@link #validate()}, so a bad setting fails at start with the value in the message.
 */
public final class Settings {
    private final Map<Param<?>, Object> values;

    private Settings(Map<Param<?>, Object> values) {
        this.values = values;
    }

    public static Settings defaults() {
        return new Settings(Map.of());
    }

    /** Defaults overridden by the environment and system properties (no file). */
    public static Settings fromEnvironment() {
        return load(null, System.getenv(), System.getProperties());
    }

    /**
     * Defaults, then {@code file} (may be null), then {@code env}, then {@code sysProps}.
     * Unknown keys in the file are rejected (a typo must not silently fall back to a default).
     */
    public static Settings load(Path file, Map<String, String> env, Properties sysProps) {
        Map<Param<?>, Object> v = new HashMap<>();
        if (file != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read config file " + file + ": " + e.getMessage(), e);
            }
            for (String k : p.stringPropertyNames()) {
                Param<?> param = Params.byKey(k);
                if (param == null) throw new IllegalArgumentException("unknown setting '" + k + "' in " + file);
                v.put(param, param.parse(p.getProperty(k)));
            }
        }
        for (Param<?> param : Params.all()) {
            String e = env == null ? null : env.get(param.envName());
            if (e != null) v.put(param, param.parse(e));
            String s = sysProps == null ? null : sysProps.getProperty("tamter." + param.key());
            if (s != null) v.put(param, param.parse(s));
        }
        Settings out = new Settings(Map.copyOf(v));
        out.validate();
        return out;
    }

    public <T extends Comparable<T>> T get(Param<T> p) {
        Object o = values.get(p);
        return o == null ? p.defaultValue() : p.cast(o);
    }

    /** The value of a parameter of any type (for display: logs and benchmark lines). */
    public Object value(Param<?> p) {
        Object o = values.get(p);
        return o == null ? p.defaultValue() : o;
    }

    public int getInt(Param<Integer> p) { return get(p); }
    public long getLong(Param<Long> p) { return get(p); }
    public double getDouble(Param<Double> p) { return get(p); }

    /** A copy with {@code p} set to {@code value} (validated, including cross-checks). */
    public <T extends Comparable<T>> Settings with(Param<T> p, T value) {
        p.validate(value);
        Map<Param<?>, Object> v = new HashMap<>(values);
        v.put(p, value);
        Settings out = new Settings(Map.copyOf(v));
        out.validate();
        return out;
    }

    /** A copy with a setting given as text, e.g. from a command line {@code --set index.nprobe=64}. */
    /**
     * Several overrides at once, validated together: settings that constrain each other
     * ({@code build_posting <= max_posting}) can move past each other in one step, which a
     * chain of {@link #withText} calls would reject half-way.
     */
    public Settings withTexts(Map<String, String> keyToText) {
        Map<Param<?>, Object> v = new HashMap<>(values);
        for (Map.Entry<String, String> e : keyToText.entrySet()) {
            Param<?> p = Params.byKey(e.getKey());
            if (p == null) throw new IllegalArgumentException("unknown setting '" + e.getKey() + "'");
            v.put(p, p.parse(e.getValue()));
        }
        Settings out = new Settings(Map.copyOf(v));
        out.validate();
        return out;
    }

    public Settings withText(String key, String text) {
        return withTexts(Map.of(key, text));
    }

    /** Checks that span several parameters. */
    public void validate() {
        int max = get(Params.MAX_POSTING), min = get(Params.MIN_POSTING), build = get(Params.BUILD_POSTING);
        if (max <= min) {
            throw new IllegalArgumentException("index.max_posting must be > index.min_posting; index.max_posting="
                    + max + ", index.min_posting=" + min);
        }
        if (build > max) {
            throw new IllegalArgumentException("index.build_posting must be <= index.max_posting; index.build_posting="
                    + build + ", index.max_posting=" + max);
        }
        // a merge that leaves a posting just above min must not immediately trigger a split
        if (2 * min > max) {
            throw new IllegalArgumentException("index.max_posting must be >= 2 * index.min_posting; index.max_posting="
                    + max + ", index.min_posting=" + min);
        }
        int run = get(Params.EMBED_TEXTS_PER_RUN), batch = get(Params.EMBED_BATCH_SIZE);
        if (run > batch) {
            throw new IllegalArgumentException("embed.texts_per_run must be <= embed.batch_size; embed.texts_per_run="
                    + run + ", embed.batch_size=" + batch);
        }
        long group = get(Params.WAL_GROUP_COMMIT_MAX_BYTES), pending = get(Params.WAL_MAX_PENDING_BYTES);
        if (pending < group) {
            throw new IllegalArgumentException("wal.max_pending_bytes must be >= wal.group_commit_max_bytes; wal.max_pending_bytes="
                    + pending + ", wal.group_commit_max_bytes=" + group);
        }
        String k = get(Params.KERNELS);
        if (!k.equals("auto") && !k.equals("scalar") && !k.equals("vector") && !k.equals("native")) {
            throw new IllegalArgumentException("kernels must be one of auto, scalar, vector, native; kernels=" + k);
        }
    }

    /** Only the values that differ from the defaults, for logs and benchmark output; secrets show as {@code ***}. */
    public Map<String, Object> overrides() {
        Map<String, Object> out = new java.util.TreeMap<>();
        values.forEach((p, v) -> {
            if (!v.equals(p.defaultValue())) out.put(p.key(), p.secret() ? "***" : v);
        });
        return out;
    }
}
