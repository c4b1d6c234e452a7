package io.tamter.node.wal;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Which shard's WAL: a namespace and a shard number, and from them the object store keys
 * {@code <ns>/shards/<s>/wal/<seq, 20 digits>.log} (layout in ARCHITECTURE.md).
 *
 * <p>Sequence numbers start at {@link #FIRST_SEQ}; {@code 0} means "nothing applied yet". They
 * are zero-padded to {@value #SEQ_DIGITS} digits (enough for {@link Long#MAX_VALUE}) so that the
 * byte order of keys, the order of {@code ObjectStore.list}, is numeric order.
 *
 * @param namespace namespace name, {@code [A-Za-z0-9_.-]{1,128}}
 * @param shard     shard number, {@code >= 0}
 */
public record WalShard(String namespace, int shard) {
    /** The first sequence number a shard's WAL uses. */
    public static final long FIRST_SEQ = 1;
    /** Width of the zero-padded sequence number in a segment key. */
    public static final int SEQ_DIGITS = 20;
    /** File-name suffix of a segment key. */
    public static final String SUFFIX = ".log";

    private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9_.-]{1,128}");

    public WalShard {
        if (namespace == null || !NAMESPACE.matcher(namespace).matches()) {
            throw new IllegalArgumentException("namespace must match [A-Za-z0-9_.-]{1,128}; namespace='" + namespace + "'");
        }
        if (namespace.equals(".") || namespace.equals("..")) {
            throw new IllegalArgumentException("namespace must not be '.' or '..'; namespace='" + namespace + "'");
        }
        if (shard < 0) throw new IllegalArgumentException("shard must be >= 0; shard=" + shard);
    }

    /** The key prefix of this shard's segments, {@code <ns>/shards/<s>/wal/}. */
    public String prefix() {
        return namespace + "/shards/" + shard + "/wal/";
    }

    /** The key of segment {@code seq}. */
    public String segmentKey(long seq) {
        if (seq < FIRST_SEQ) throw new IllegalArgumentException("WAL sequence numbers start at 1; seq=" + seq);
        return prefix() + String.format("%0" + SEQ_DIGITS + "d", seq) + SUFFIX;
    }

    /**
     * The sequence number in a segment key of this shard.
     *
     * @throws CorruptWalException if {@code key} is under {@link #prefix()} but is not a segment key
     */
    public long parseSeq(String key) throws CorruptWalException {
        String p = prefix();
        if (!key.startsWith(p)) throw new IllegalArgumentException("key '" + key + "' is not under the WAL prefix '" + p + "'");
        String name = key.substring(p.length());
        if (name.length() != SEQ_DIGITS + SUFFIX.length() || !name.endsWith(SUFFIX)) {
            throw new CorruptWalException(key, "not a WAL segment key (expected " + SEQ_DIGITS + " digits + '" + SUFFIX + "')");
        }
        long seq = 0;
        for (int i = 0; i < SEQ_DIGITS; i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') throw new CorruptWalException(key, "not a WAL segment key (non-digit '" + c + "')");
            if (seq > (Long.MAX_VALUE - (c - '0')) / 10) throw new CorruptWalException(key, "sequence number overflows 64 bits");
            seq = seq * 10 + (c - '0');
        }
        if (seq < FIRST_SEQ) throw new CorruptWalException(key, "sequence number 0 is never written");
        return seq;
    }

    /**
     * A 64-bit hash of the namespace name (FNV-1a over its UTF-8 bytes), stored in every segment
     * so that a segment copied or restored under the wrong namespace is detected.
     */
    public long namespaceHash() {
        long h = 0xcbf29ce484222325L;
        for (byte b : namespace.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        return h;
    }

    @Override
    public String toString() {
        return namespace + "/" + shard;
    }
}
