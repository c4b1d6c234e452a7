package io.tamter.node.index.spann;

import io.tamter.kernels.PostingLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The binary format of one posting list (a value of the {@code postings} column family, key =
 * head id). All integers and floats little-endian.
 *
 * <pre>
 * header (8 bytes, written once when the head is created or its posting rewritten):
 *   [u32]  magic          0x54535054 ("TPST" as bytes on disk)
 *   [u8]   format version   {@link #VERSION_CURRENT}
 *   [u8]   entry encoding   0 = float32 vectors (reserved for a quantized form)
 *   [u16]  dim              vector dimensions; every entry has exactly this many floats
 * entries (count = (length - 8) / (10 + 4*dim)), appended by the RocksDB merge operator:
 *   [int64] vid             dense vector id of the shard
 *   [u16]   version         low 15 bits (bit 15 always 0); live iff equal to the version map's slot for vid
 *   [f32 x dim] vector      as stored (unit length for cosine namespaces)
 * </pre>
 *
 * <p>Appends are single entries concatenated by RocksDB's {@code StringAppendOperator("")}, so
 * an insert never reads the posting. That is why there is no checksum footer: a footer cannot
 * be maintained under blind appends. Integrity of the bytes is RocksDB's (block and blob
 * checksums); structural integrity is checked here (magic, version, dim, a length that is a
 * whole number of entries) on every read, and by the integrity check.
 *
 * <p>Version history:
 * <ul>
 *   <li>1 — initial format: entry {@code [i64 vid][u8 version][f32 x dim]}, 7-bit versions + a
 *       deleted bit in the version map. Versions wrapped after 128 updates of one vid, so an
 *       entry left stale in a posting that was never rewritten could match again (ABA) and
 *       its old vector was read as the vid's content. <b>No longer read:</b> {@link #count}
 *       rejects a version-1 posting with a message saying to rebuild the index (no version-1
 *       data was ever deployed). The {@code versions} column family changed with it from 1 to 2
 *       bytes per vid ({@link VersionMap#decode}).</li>
 *   <li>2 — entry {@code [i64 vid][u16 version][f32 x dim]}: 15-bit versions + deleted bit 15
 *       in the version map (see {@link PostingLayout}). The header is unchanged.</li>
 * </ul>
 */
public final class PostingCodec {
    private PostingCodec() {}

    public static final int MAGIC = 0x54535054;
    /** The oldest format version this build reads (1 had 8-bit entry versions; see the class comment). */
    public static final int VERSION_START = 2;
    public static final int VERSION_CURRENT = 2;
    public static final int HEADER_BYTES = 8;
    static final int ENCODING_FLOAT32 = 0;

    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle F32 = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    public static int entryBytes(int dim) {
        return PostingLayout.entryBytes(dim);
    }

    /** An empty posting: just the header. */
    public static byte[] header(int dim) {
        byte[] b = new byte[HEADER_BYTES];
        writeHeader(b, dim);
        return b;
    }

    private static void writeHeader(byte[] b, int dim) {
        if (dim <= 0 || dim > 0xFFFF) throw new IllegalArgumentException("dim must be in 1..65535; dim=" + dim);
        I32.set(b, 0, MAGIC);
        b[4] = (byte) VERSION_CURRENT;
        b[5] = (byte) ENCODING_FLOAT32;
        I16.set(b, 6, (short) dim);
    }

    /** One entry, without header: the merge operand of an append. */
    public static byte[] entry(long vid, int version, float[] vector) {
        byte[] b = new byte[entryBytes(vector.length)];
        writeEntry(b, 0, vid, version, vector, 0, vector.length);
        return b;
    }

    static void writeEntry(byte[] b, int offset, long vid, int version, float[] src, int srcOffset, int dim) {
        I64.set(b, offset, vid);
        I16.set(b, offset + PostingLayout.VID_BYTES, (short) (version & PostingLayout.VERSION_MASK));
        int v = offset + PostingLayout.ENTRY_HEADER_BYTES;
        for (int i = 0; i < dim; i++) F32.set(b, v + 4 * i, src[srcOffset + i]);
    }

    /** A whole posting (header + entries) from parallel arrays. */
    public static byte[] encode(int dim, int count, long[] vids, int[] versions, float[][] vectors) {
        int eb = entryBytes(dim);
        byte[] b = new byte[HEADER_BYTES + count * eb];
        writeHeader(b, dim);
        for (int i = 0; i < count; i++) {
            if (vectors[i].length != dim) {
                throw new IllegalArgumentException("entry " + i + " has " + vectors[i].length + " dimensions, posting has " + dim);
            }
            writeEntry(b, HEADER_BYTES + i * eb, vids[i], versions[i], vectors[i], 0, dim);
        }
        return b;
    }

    /**
     * Validates a stored posting and returns its entry count.
     *
     * @throws CorruptIndexException when the bytes are not a posting of this dimension
     */
    public static int count(byte[] value, int expectedDim, long headId) {
        if (value.length < HEADER_BYTES) {
            throw new CorruptIndexException("posting of head " + headId + " is " + value.length + " bytes, shorter than its header");
        }
        int magic = (int) I32.get(value, 0);
        if (magic != MAGIC) {
            throw new CorruptIndexException("posting of head " + headId + " has magic 0x" + Integer.toHexString(magic)
                    + ", expected 0x" + Integer.toHexString(MAGIC));
        }
        int version = value[4] & 0xFF;
        if (version == 1) {
            throw new CorruptIndexException("posting of head " + headId + " has format version 1 (8-bit entry versions),"
                    + " which this build no longer reads (it reads versions " + VERSION_START + ".." + VERSION_CURRENT
                    + "); rebuild the index");
        }
        if (version < VERSION_START || version > VERSION_CURRENT) {
            throw new CorruptIndexException("posting of head " + headId + " has format version " + version
                    + "; this build reads versions " + VERSION_START + ".." + VERSION_CURRENT);
        }
        if (value[5] != ENCODING_FLOAT32) {
            throw new CorruptIndexException("posting of head " + headId + " has unknown entry encoding " + value[5]);
        }
        int dim = Short.toUnsignedInt((short) I16.get(value, 6));
        if (dim != expectedDim) {
            throw new CorruptIndexException("posting of head " + headId + " has dim " + dim + ", index has " + expectedDim);
        }
        int body = value.length - HEADER_BYTES;
        int eb = entryBytes(dim);
        if (body % eb != 0) {
            throw new CorruptIndexException("posting of head " + headId + " has " + body + " entry bytes, not a multiple of "
                    + eb + " (torn append?)");
        }
        return body / eb;
    }

    public static long vid(byte[] value, int dim, int i) {
        return (long) I64.get(value, HEADER_BYTES + i * entryBytes(dim));
    }

    public static int version(byte[] value, int dim, int i) {
        return Short.toUnsignedInt((short) I16.get(value, HEADER_BYTES + i * entryBytes(dim) + PostingLayout.VID_BYTES));
    }

    /** Copies the vector of entry {@code i} into {@code dst}. */
    public static float[] vector(byte[] value, int dim, int i, float[] dst) {
        return vector(value, dim, i, dst, 0);
    }

    /** The vector of entry {@code i} into {@code dst[dstOffset .. dstOffset + dim)}. */
    public static float[] vector(byte[] value, int dim, int i, float[] dst, int dstOffset) {
        int v = HEADER_BYTES + i * entryBytes(dim) + PostingLayout.ENTRY_HEADER_BYTES;
        for (int j = 0; j < dim; j++) dst[dstOffset + j] = (float) F32.get(value, v + 4 * j);
        return dst;
    }
}
