package io.tamter.node.wal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The binary format of one WAL segment: the payloads of one group commit, stored as the object
 * {@code <ns>/shards/<s>/wal/<seq, 20 digits>.log}. All integers little-endian.
 *
 * <pre>
 * header (40 bytes):
 *   [u32]  magic           0x4C415754 ("TWAL" as bytes on disk)
 *   [u8]   format version  {@link #VERSION_CURRENT}
 *   [u8]   flags           0 (reserved; a reader of this version rejects other values)
 *   [u16]  reserved        0
 *   [int64] namespace hash {@link WalShard#namespaceHash()}: FNV-1a 64 of the namespace name
 *   [u32]  shard           shard number
 *   [int64] seq            the segment's sequence number, equal to the one in its key
 *   [int64] writer id      random per {@link WalWriter} instance: tells a writer its own segment
 *                          (a write whose response was lost) from another writer's (fencing)
 *   [u32]  entry count     number of entries that follow
 * entries (entry count times):
 *   [u32]  length          payload bytes
 *   [u8 x length] payload  opaque: the document-level write batch, encoded by the caller
 * footer:
 *   [u32]  CRC32C of all preceding bytes
 * </pre>
 *
 * <p>Decoding checks, in order: minimum length, magic, version, flags, the checksum, then that
 * the entry lengths add up to exactly the bytes between header and footer, and that the
 * namespace hash, shard and seq are those of the key it was read from. Each failure is a
 * {@link CorruptWalException} naming the key.
 *
 * <p>Version history: 1 — initial format.
 */
public final class WalSegmentCodec {
    private WalSegmentCodec() {}

    public static final int MAGIC = 0x4C415754;
    public static final int VERSION_START = 1;
    public static final int VERSION_CURRENT = 1;
    public static final int HEADER_BYTES = 40;
    public static final int ENTRY_OVERHEAD = 4;
    public static final int FOOTER_BYTES = 4;
    /** Largest encoded segment: what fits in a Java array. */
    static final long MAX_SEGMENT_BYTES = Integer.MAX_VALUE - 16;

    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** Encoded size of a segment holding payloads of {@code payloadBytes} in total, {@code entries} of them. */
    public static long encodedSize(int entries, long payloadBytes) {
        return HEADER_BYTES + (long) ENTRY_OVERHEAD * entries + payloadBytes + FOOTER_BYTES;
    }

    /** Encodes segment {@code seq} of {@code shard}, written by {@code writerId}, holding {@code payloads} in order. */
    public static byte[] encode(WalShard shard, long seq, long writerId, List<byte[]> payloads) {
        if (seq < WalShard.FIRST_SEQ) throw new IllegalArgumentException("WAL sequence numbers start at 1; seq=" + seq);
        long total = 0;
        for (byte[] p : payloads) total += p.length;
        long size = encodedSize(payloads.size(), total);
        if (size > MAX_SEGMENT_BYTES) {
            throw new IllegalArgumentException("WAL segment of " + payloads.size() + " entries would be " + size + " bytes, over "
                    + MAX_SEGMENT_BYTES);
        }
        byte[] b = new byte[(int) size];
        I32.set(b, 0, MAGIC);
        b[4] = (byte) VERSION_CURRENT;
        b[5] = 0;
        I16.set(b, 6, (short) 0);
        I64.set(b, 8, shard.namespaceHash());
        I32.set(b, 16, shard.shard());
        I64.set(b, 20, seq);
        I64.set(b, 28, writerId);
        I32.set(b, 36, payloads.size());
        int o = HEADER_BYTES;
        for (byte[] p : payloads) {
            I32.set(b, o, p.length);
            System.arraycopy(p, 0, b, o + ENTRY_OVERHEAD, p.length);
            o += ENTRY_OVERHEAD + p.length;
        }
        CRC32C crc = new CRC32C();
        crc.update(b, 0, o);
        I32.set(b, o, (int) crc.getValue());
        return b;
    }

    /**
     * Decodes and validates the segment read from {@code key}, which must be segment
     * {@code expectedSeq} of {@code expectedShard}.
     *
     * @throws CorruptWalException naming {@code key} when the bytes are not that segment
     */
    public static WalSegment decode(String key, byte[] b, WalShard expectedShard, long expectedSeq) throws CorruptWalException {
        WalSegment s = decode(key, b);
        if (s.namespaceHash() != expectedShard.namespaceHash()) {
            throw new CorruptWalException(key, "namespace hash 0x" + Long.toHexString(s.namespaceHash()) + " is not that of namespace '"
                    + expectedShard.namespace() + "' (0x" + Long.toHexString(expectedShard.namespaceHash()) + ")");
        }
        if (s.shard() != expectedShard.shard()) {
            throw new CorruptWalException(key, "segment of shard " + s.shard() + ", expected shard " + expectedShard.shard());
        }
        if (s.seq() != expectedSeq) {
            throw new CorruptWalException(key, "segment has seq " + s.seq() + ", its key says " + expectedSeq);
        }
        return s;
    }

    /**
     * Decodes and validates a segment without checking whose it is.
     *
     * @throws CorruptWalException naming {@code key} when the bytes are not a valid segment
     */
    public static WalSegment decode(String key, byte[] b) throws CorruptWalException {
        if (b.length < HEADER_BYTES + FOOTER_BYTES) {
            throw new CorruptWalException(key, "WAL segment is " + b.length + " bytes, shorter than header + footer ("
                    + (HEADER_BYTES + FOOTER_BYTES) + ")");
        }
        int magic = (int) I32.get(b, 0);
        if (magic != MAGIC) {
            throw new CorruptWalException(key, "bad WAL segment magic 0x" + Integer.toHexString(magic) + ", expected 0x"
                    + Integer.toHexString(MAGIC));
        }
        int version = b[4] & 0xFF;
        if (version < VERSION_START || version > VERSION_CURRENT) {
            throw new CorruptWalException(key, "WAL segment format version " + version + "; this build reads versions "
                    + VERSION_START + ".." + VERSION_CURRENT);
        }
        CRC32C crc = new CRC32C();
        crc.update(b, 0, b.length - FOOTER_BYTES);
        int stored = (int) I32.get(b, b.length - FOOTER_BYTES);
        if (stored != (int) crc.getValue()) {
            throw new CorruptWalException(key, "WAL segment fails its checksum (stored 0x" + Integer.toHexString(stored)
                    + ", computed 0x" + Integer.toHexString((int) crc.getValue()) + ", " + b.length + " bytes)");
        }
        int flags = b[5] & 0xFF;
        int reserved = Short.toUnsignedInt((short) I16.get(b, 6));
        if (flags != 0 || reserved != 0) {
            throw new CorruptWalException(key, "WAL segment has unknown flags 0x" + Integer.toHexString(flags) + " / reserved 0x"
                    + Integer.toHexString(reserved));
        }
        long nsHash = (long) I64.get(b, 8);
        int shard = (int) I32.get(b, 16);
        long seq = (long) I64.get(b, 20);
        long writerId = (long) I64.get(b, 28);
        long count = Integer.toUnsignedLong((int) I32.get(b, 36));
        int end = b.length - FOOTER_BYTES;
        if (count > (end - HEADER_BYTES) / ENTRY_OVERHEAD) {
            throw new CorruptWalException(key, "WAL segment claims " + count + " entries but has only " + (end - HEADER_BYTES)
                    + " entry bytes");
        }
        List<byte[]> entries = new ArrayList<>((int) count);
        int o = HEADER_BYTES;
        for (int i = 0; i < count; i++) {
            if (end - o < ENTRY_OVERHEAD) {
                throw new CorruptWalException(key, "WAL segment entry " + i + " of " + count + " has no length: it starts at byte "
                        + o + " and the entries end at " + end);
            }
            long len = Integer.toUnsignedLong((int) I32.get(b, o));
            o += ENTRY_OVERHEAD;
            if (len > end - o) {
                throw new CorruptWalException(key, "WAL segment entry " + i + " of " + count + " has length " + len + " but only "
                        + (end - o) + " bytes remain");
            }
            byte[] p = new byte[(int) len];
            System.arraycopy(b, o, p, 0, (int) len);
            entries.add(p);
            o += (int) len;
        }
        if (o != end) {
            throw new CorruptWalException(key, "WAL segment has " + (end - o) + " bytes after its " + count + " entries");
        }
        return new WalSegment(nsHash, shard, seq, writerId, entries);
    }
}
