package io.tamter.node.objectstore;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;

/**
 * The rules every {@link ObjectStore} applies to keys and prefixes, in one place so the local
 * directory and GCS reject exactly the same keys (a key that works on a laptop must work in the
 * cloud).
 *
 * <p>A key is a {@code '/'}-separated path of non-empty segments. It is rejected with an
 * {@link IllegalArgumentException} naming the key when it is empty, longer than
 * {@value #MAX_KEY_BYTES} bytes in UTF-8 (the GCS limit), starts or ends with {@code '/'},
 * contains {@code "//"}, {@code ".."}, a backslash, a control character (NUL, CR, LF, …: GCS
 * refuses CR and LF, and NUL ends a path in the OS), an unpaired surrogate (no UTF-8 form), a
 * segment {@code "."}, or a segment starting with {@value #RESERVED_PREFIX} (the local store's
 * temporary, lock and version files live under that prefix, so no key may name them).
 *
 * <p>Keys sort by their UTF-8 bytes ({@link #ORDER}), which is the order of GCS listings and,
 * for the fixed-width sequence numbers of WAL segments, numeric order.
 */
public final class ObjectKeys {
    /** Longest key in UTF-8 bytes. */
    public static final int MAX_KEY_BYTES = 1024;
    /** File names under this prefix belong to the store, never to a key. */
    public static final String RESERVED_PREFIX = ".tamter-";
    /** Lexicographic order of the UTF-8 bytes of keys: the order of {@link ObjectStore#list}. */
    public static final Comparator<String> ORDER = (a, b) -> Arrays.compareUnsigned(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    private ObjectKeys() {
    }

    /** Returns {@code key} when it is a valid object key, else throws naming it. */
    public static String validateKey(String key) {
        if (key == null) throw new IllegalArgumentException("object key must not be null");
        if (key.isEmpty()) throw invalid("key", key, "empty");
        if (key.endsWith("/")) throw invalid("key", key, "ends with '/'");
        check("key", key, key);
        return key;
    }

    /**
     * Returns {@code prefix} when it is a valid listing prefix, else throws naming it. A prefix
     * follows the key rules except that it may be empty (everything) and may end with '/' or in
     * the middle of a segment ({@code "ns/shards/1"} matches {@code "ns/shards/10/…"} too).
     */
    public static String validatePrefix(String prefix) {
        if (prefix == null) throw new IllegalArgumentException("object key prefix must not be null");
        if (prefix.isEmpty()) return prefix;
        int lastSlash = prefix.lastIndexOf('/');
        // the complete segments are checked as in a key; the trailing partial one only for characters
        check("prefix", prefix, lastSlash < 0 ? "" : prefix.substring(0, lastSlash + 1));
        return prefix;
    }

    private static void check(String what, String whole, String segments) {
        if (whole.startsWith("/")) throw invalid(what, whole, "starts with '/'");
        if (whole.contains("//")) throw invalid(what, whole, "contains '//'");
        if (whole.contains("..")) throw invalid(what, whole, "contains '..'");
        for (int i = 0; i < whole.length(); i++) {
            char c = whole.charAt(i);
            if (c == '\\') throw invalid(what, whole, "contains a backslash");
            if (Character.isISOControl(c)) {
                throw invalid(what, whole, String.format("contains the control character U+%04X at index %d", (int) c, i));
            }
            if (Character.isHighSurrogate(c) && i + 1 < whole.length() && Character.isLowSurrogate(whole.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw invalid(what, whole, "contains an unpaired surrogate at index " + i);
            }
        }
        int bytes = whole.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_KEY_BYTES) throw invalid(what, whole, "is " + bytes + " bytes in UTF-8, over " + MAX_KEY_BYTES);
        for (String segment : segments.split("/")) {
            if (segment.equals(".")) throw invalid(what, whole, "has a '.' segment");
            if (segment.startsWith(RESERVED_PREFIX)) {
                throw invalid(what, whole, "has a segment starting with the reserved '" + RESERVED_PREFIX + "'");
            }
        }
    }

    private static IllegalArgumentException invalid(String what, String value, String reason) {
        return new IllegalArgumentException("invalid object " + what + " '" + printable(value) + "': " + reason);
    }

    /** The key as it can be shown in a message: control characters escaped, very long keys cut. */
    static String printable(String key) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < key.length() && sb.length() < 200; i++) {
            char c = key.charAt(i);
            if (Character.isISOControl(c)) sb.append(String.format("\\u%04X", (int) c));
            else sb.append(c);
        }
        if (sb.length() >= 200 && key.length() > 200) sb.append("…(").append(key.length()).append(" chars)");
        return sb.toString();
    }
}
