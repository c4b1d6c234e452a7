package io.tamter.http.api;

import io.tamter.client.wire.Op;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * API keys and their scopes (API.md "Auth"), from the {@code http.api_keys} setting:
 * {@code KEY=SCOPE[,SCOPE...];KEY2=...}, a scope being {@code admin}, {@code read:PREFIX} or
 * {@code write:PREFIX} (namespaces whose name starts with PREFIX; an empty prefix is all).
 * {@code write} does not imply {@code read}: an ingest key can be write-only. {@code admin} allows
 * everything, including encryption settings and {@code /metrics}.
 */
public final class ApiKeys {
    /** One key's grants. */
    public record Grant(boolean admin, List<String> readPrefixes, List<String> writePrefixes) {
        public boolean allows(Op.Access access, String namespace) {
            if (admin) return true;
            List<String> prefixes = switch (access) {
                case READ -> readPrefixes;
                case WRITE -> writePrefixes;
                case ADMIN -> List.of();
            };
            if (namespace == null) return !prefixes.isEmpty(); // listing: filtered by mayRead afterwards
            for (String p : prefixes) if (namespace.startsWith(p)) return true;
            return false;
        }

        public boolean mayRead(String namespace) {
            return allows(Op.Access.READ, namespace);
        }
    }

    private final Map<String, Grant> byKey;

    private ApiKeys(Map<String, Grant> byKey) {
        this.byKey = byKey;
    }

    public static ApiKeys parse(String spec) {
        Map<String, Grant> out = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) return new ApiKeys(out);
        for (String entry : spec.split(";")) {
            if (entry.isBlank()) continue;
            int eq = entry.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("http.api_keys: an entry is KEY=SCOPE[,SCOPE...]; got an entry without '='");
            String key = entry.substring(0, eq).trim();
            if (key.length() < 16)
                throw new IllegalArgumentException("http.api_keys: keys must have at least 16 characters (one has " + key.length() + ")");
            boolean admin = false;
            List<String> read = new ArrayList<>();
            List<String> write = new ArrayList<>();
            for (String scope : entry.substring(eq + 1).split(",")) {
                String s = scope.trim();
                if (s.equals("admin")) admin = true;
                else if (s.startsWith("read:") || s.equals("read")) read.add(s.equals("read") ? "" : s.substring(5));
                else if (s.startsWith("write:") || s.equals("write")) write.add(s.equals("write") ? "" : s.substring(6));
                else throw new IllegalArgumentException("http.api_keys: unknown scope '" + s.toLowerCase(Locale.ROOT)
                        + "'; scopes are admin, read:PREFIX, write:PREFIX");
            }
            if (out.put(key, new Grant(admin, List.copyOf(read), List.copyOf(write))) != null)
                throw new IllegalArgumentException("http.api_keys: a key is listed twice");
        }
        return new ApiKeys(out);
    }

    public boolean enabled() {
        return !byKey.isEmpty();
    }

    /** The grant of {@code presented}, or null if it is no key. Compared in constant time per key. */
    public Grant lookup(String presented) {
        if (presented == null) return null;
        byte[] p = presented.getBytes(StandardCharsets.UTF_8);
        Grant found = null;
        for (Map.Entry<String, Grant> e : byKey.entrySet())
            if (MessageDigest.isEqual(p, e.getKey().getBytes(StandardCharsets.UTF_8))) found = e.getValue();
        return found;
    }
}
