package io.tamter.node.doc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A document id as API.md defines it: an unsigned 64-bit integer (a JSON integer
 * {@code 0..2^64-1}), a UUID (a string in the 8-4-4-4-12 hex form, any case, kept in canonical
 * lower-case form) or any other string of 1..64 UTF-8 bytes without control characters
 * (U+0000-U+001F, U+007F). An id comes back in the type it was given ({@link #toJson()}).
 *
 * <h2>Key encoding</h2>
 * {@link #key()} is a stable binary form, a type tag then the value:
 * <pre>
 *   [u8 0x01] [u64 big-endian]          unsigned integer
 *   [u8 0x02] [u64 msb] [u64 lsb]       UUID (big-endian, RFC 4122 byte order)
 *   [u8 0x03] [UTF-8 bytes, 1..64]      string
 * </pre>
 * Byte-wise order of keys is: all integers (numerically), then all UUIDs, then all strings (by
 * UTF-8 bytes). The encoding is part of the on-disk format of the {@code docs} column family and
 * of WAL payloads; it must never change.
 *
 * <h2>Routing</h2>
 * {@link #shard(int)} is {@code FNV-1a-64(key()) mod numShards} (unsigned remainder); FNV-1a with
 * the standard 64-bit offset basis {@code 0xcbf29ce484222325} and prime {@code 0x100000001b3}. It
 * is stable across versions and JVMs (never {@code hashCode()}).
 */
public final class DocId implements Comparable<DocId> {
    public enum Kind { U64, UUID, STRING }

    public static final int MAX_STRING_BYTES = 64;
    private static final byte TAG_U64 = 1, TAG_UUID = 2, TAG_STRING = 3;
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);
    private static final Pattern UUID_FORM =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final Kind kind;
    private final long bits;        // U64 value (unsigned) or UUID msb
    private final long bits2;       // UUID lsb
    private final String string;    // STRING value
    private final byte[] key;

    private DocId(Kind kind, long bits, long bits2, String string) {
        this.kind = kind;
        this.bits = bits;
        this.bits2 = bits2;
        this.string = string;
        this.key = encode();
    }

    /** An unsigned 64-bit id; {@code value} is read as unsigned (-1 is 2^64-1). */
    public static DocId ofU64(long value) {
        return new DocId(Kind.U64, value, 0, null);
    }

    public static DocId ofUuid(UUID u) {
        return new DocId(Kind.UUID, u.getMostSignificantBits(), u.getLeastSignificantBits(), null);
    }

    /** A string id; a string in UUID form becomes a UUID id. */
    public static DocId ofString(String s, String path) {
        if (s.isEmpty()) throw new InvalidRequestException("invalid_id", path, path + ": an id string must not be empty");
        // API.md: control characters are refused; a NUL or a newline in an id breaks logs, URLs and
        // every client that prints ids, and no real key needs one
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F)
                throw new InvalidRequestException("invalid_id", path, String.format(Locale.ROOT,
                        "%s: an id string must not contain control characters (U+0000-U+001F, U+007F); U+%04X at index %d", path, (int) c, i));
        }
        return ofCheckedString(s, path);
    }

    private static DocId ofCheckedString(String s, String path) {
        if (UUID_FORM.matcher(s).matches()) return ofUuid(UUID.fromString(s.toLowerCase(Locale.ROOT)));
        int n = s.getBytes(StandardCharsets.UTF_8).length;
        if (n > MAX_STRING_BYTES)
            throw new InvalidRequestException("invalid_id", path, path + ": an id string is at most " + MAX_STRING_BYTES
                    + " UTF-8 bytes; this one has " + n);
        return new DocId(Kind.STRING, 0, 0, s);
    }

    /**
     * The id in a JSON request.
     *
     * @param path JSON path for the error message, e.g. {@code upsert_rows[2].id}
     * @throws InvalidRequestException for anything but a non-negative integer below 2^64 or a string id
     */
    public static DocId fromJson(JsonNode v, String path) {
        if (v == null || v.isNull() || v.isMissingNode())
            throw new InvalidRequestException("invalid_id", path, path + ": id is missing");
        if (v.isTextual()) return ofString(v.textValue(), path);
        if (v.isIntegralNumber()) {
            BigInteger b = v.bigIntegerValue();
            if (b.signum() < 0 || b.compareTo(TWO_64) >= 0)
                throw new InvalidRequestException("invalid_id", path, path + ": an integer id must be in 0..2^64-1; id=" + b);
            return ofU64(b.longValue());
        }
        if (v.isNumber() && v.decimalValue().stripTrailingZeros().scale() <= 0) {
            // 5.0 written by a client that only has doubles: still an integer
            return fromJson(JsonNodeFactory.instance.numberNode(v.decimalValue().toBigIntegerExact()), path);
        }
        throw new InvalidRequestException("invalid_id", path, path + ": an id is an unsigned integer, a UUID or a string of at most "
                + MAX_STRING_BYTES + " bytes; got " + v);
    }

    /**
     * An id in the engine's own JSON (a shard's search answer), not in a client's request: string
     * ids stored before control characters were refused must still come back, so only the type
     * and length are checked.
     */
    public static DocId fromStoredJson(JsonNode v) {
        if (v != null && v.isTextual() && !v.textValue().isEmpty()) return ofCheckedString(v.textValue(), "id");
        return fromJson(v, "id");
    }

    /** Decodes {@link #key()}. */
    public static DocId fromKey(byte[] key) {
        return fromKey(key, 0, key.length);
    }

    public static DocId fromKey(byte[] key, int off, int len) {
        if (len < 2) throw new IllegalArgumentException("id key too short: " + len + " bytes");
        ByteBuffer b = ByteBuffer.wrap(key, off, len);
        byte tag = b.get();
        return switch (tag) {
            case TAG_U64 -> {
                if (len != 9) throw new IllegalArgumentException("u64 id key has " + len + " bytes, not 9");
                yield ofU64(b.getLong());
            }
            case TAG_UUID -> {
                if (len != 17) throw new IllegalArgumentException("uuid id key has " + len + " bytes, not 17");
                yield new DocId(Kind.UUID, b.getLong(), b.getLong(), null);
            }
            case TAG_STRING -> new DocId(Kind.STRING, 0, 0, new String(key, off + 1, len - 1, StandardCharsets.UTF_8));
            default -> throw new IllegalArgumentException("unknown id key tag " + tag);
        };
    }

    private byte[] encode() {
        return switch (kind) {
            case U64 -> ByteBuffer.allocate(9).put(TAG_U64).putLong(bits).array();
            case UUID -> ByteBuffer.allocate(17).put(TAG_UUID).putLong(bits).putLong(bits2).array();
            case STRING -> {
                byte[] s = string.getBytes(StandardCharsets.UTF_8);
                byte[] k = new byte[s.length + 1];
                k[0] = TAG_STRING;
                System.arraycopy(s, 0, k, 1, s.length);
                yield k;
            }
        };
    }

    public Kind kind() {
        return kind;
    }

    /** The binary key (a copy). */
    public byte[] key() {
        return key.clone();
    }

    /** The shard of this id: {@code FNV-1a-64(key) mod numShards}, unsigned. */
    public int shard(int numShards) {
        if (numShards <= 0) throw new IllegalArgumentException("numShards must be > 0; numShards=" + numShards);
        return (int) Long.remainderUnsigned(fnv1a64(key), numShards);
    }

    /** FNV-1a, 64-bit, over {@code bytes}. */
    public static long fnv1a64(byte[] bytes) {
        long h = 0xcbf29ce484222325L;
        for (byte x : bytes) {
            h ^= x & 0xFF;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** The id as the client gave it: a JSON number for integers, a string otherwise. */
    public JsonNode toJson() {
        return switch (kind) {
            case U64 -> bits >= 0 ? JsonNodeFactory.instance.numberNode(bits)
                    : JsonNodeFactory.instance.numberNode(new BigInteger(Long.toUnsignedString(bits)));
            case UUID, STRING -> JsonNodeFactory.instance.textNode(toString());
        };
    }

    @Override
    public String toString() {
        return switch (kind) {
            case U64 -> Long.toUnsignedString(bits);
            case UUID -> new UUID(bits, bits2).toString();
            case STRING -> string;
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DocId d && Arrays.equals(d.key, key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key);
    }

    /** The byte-wise order of {@link #key()}. */
    @Override
    public int compareTo(DocId o) {
        return Arrays.compareUnsigned(key, o.key);
    }
}
