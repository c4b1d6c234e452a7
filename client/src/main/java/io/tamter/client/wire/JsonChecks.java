package io.tamter.client.wire;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * What strict parsing lets through but the engine cannot keep as written, found before the body
 * leaves this node:
 * <ul>
 *   <li>bytes that are not well-formed UTF-8 ({@link #firstInvalidUtf8}): Jackson reads an overlong
 *       {@code C0 AF} as '/';</li>
 *   <li>a number too large for a double: {@code 1e400} parses as Infinity, which the trip to the
 *       owning node turned into the string "Infinity", so {@code "deletes":[1e400]} deleted the
 *       document with string id "Infinity";</li>
 *   <li>a string or key with an unpaired UTF-16 surrogate: an escaped lone surrogate such as U+D800
 *       is valid JSON syntax but no Unicode text; stored as UTF-8 it became "?", so two different ids
 *       collided.</li>
 * </ul>
 */
public final class JsonChecks {
    private JsonChecks() {}

    /** A value the engine cannot keep: the error code ({@code invalid_number}, {@code invalid_string}), its JSON path and why. */
    public record Problem(String code, String path, String message) {}

    /** The first such value, or null when there is none. */
    public static Problem firstUnrepresentable(JsonNode root) {
        Found f = walk(root);
        if (f == null) return null;
        String path = f.path.toString();
        String why = switch (f.kind) {
            case NUMBER -> "the number is outside the range of a 64-bit float";
            case KEY -> "the key holds an unpaired UTF-16 surrogate (an escape in \\uD800-\\uDFFF without its pair), which is not Unicode text";
            case STRING -> "the string holds an unpaired UTF-16 surrogate (an escape in \\uD800-\\uDFFF without its pair), which is not Unicode text";
        };
        return new Problem(f.kind == Kind.NUMBER ? "invalid_number" : "invalid_string", path, path + ": " + why);
    }

    private enum Kind { NUMBER, STRING, KEY }

    /** What was found; the path is built on the way back up, so a clean body (the common case) allocates no paths. */
    private static final class Found {
        final Kind kind;
        final StringBuilder path = new StringBuilder();

        Found(Kind kind) {
            this.kind = kind;
        }

        Found under(String segment) {
            if (!path.isEmpty() && path.charAt(0) != '[') path.insert(0, '.');
            path.insert(0, segment);
            return this;
        }
    }

    private static Found walk(JsonNode n) {
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (hasUnpairedSurrogate(e.getKey())) return new Found(Kind.KEY).under(e.getKey());
                Found bad = walk(e.getValue());
                if (bad != null) return bad.under(e.getKey());
            }
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                Found bad = walk(n.get(i));
                if (bad != null) return bad.under("[" + i + "]");
            }
        } else if (n.isTextual()) {
            if (hasUnpairedSurrogate(n.textValue())) return new Found(Kind.STRING);
        } else if (n.isFloatingPointNumber() && !Double.isFinite(n.doubleValue())) {
            return new Found(Kind.NUMBER);
        }
        return null;
    }

    /**
     * The offset of the first byte that is not well-formed UTF-8 (RFC 3629: no overlong forms, no encoded
     * surrogates, nothing above U+10FFFF), or -1. Jackson decodes an overlong {@code C0 AF} as '/' without
     * complaint, so a body could smuggle characters past a byte-level look; the JDK's decoder is strict.
     */
    public static int firstInvalidUtf8(byte[] bytes) {
        int i = 0;
        while (i < bytes.length && bytes[i] >= 0) i++; // ASCII fast path: most bodies are ASCII throughout
        if (i == bytes.length) return -1;
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, i, bytes.length - i);
        CharBuffer out = CharBuffer.allocate(4096);
        while (true) {
            CoderResult r = d.decode(in, out, true);
            if (r.isError()) return in.position();
            if (r.isUnderflow()) break;
            out.clear();
        }
        out.clear();
        return d.flush(out).isError() ? in.position() : -1;
    }

    public static boolean hasUnpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) i++;
                else return true;
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }
}
