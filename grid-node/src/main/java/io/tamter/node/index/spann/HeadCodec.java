package io.tamter.node.index.spann;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The binary format of a head (centroid) record: a value of the {@code centroids} column
 * family, key = head id. Little-endian.
 *
 * <pre>
 *   [u32]  magic          0x44454854 ("THED" as bytes on disk)
 *   [u8]   format version {@link #VERSION_CURRENT}
 *   [u8]   reserved (0)
 *   [u16]  dim
 *   [u32]  length hint    posting entries when the record was written (the in-memory count
 *                         is refreshed from real reads; this only seeds it at open)
 *   [f32 x dim] centroid
 *   [u32]  CRC32C of all preceding bytes
 * </pre>
 * Version history: 1 — initial format.
 */
public final class HeadCodec {
    private HeadCodec() {}

    public static final int MAGIC = 0x44454854;
    public static final int VERSION_START = 1;
    public static final int VERSION_CURRENT = 1;
    private static final int FIXED = 12;

    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle F32 = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

    public record Head(float[] centroid, int lengthHint) {}

    public static byte[] encode(float[] centroid, int lengthHint) {
        int dim = centroid.length;
        byte[] b = new byte[FIXED + 4 * dim + 4];
        I32.set(b, 0, MAGIC);
        b[4] = (byte) VERSION_CURRENT;
        I16.set(b, 6, (short) dim);
        I32.set(b, 8, lengthHint);
        for (int i = 0; i < dim; i++) F32.set(b, FIXED + 4 * i, centroid[i]);
        CRC32C crc = new CRC32C();
        crc.update(b, 0, b.length - 4);
        I32.set(b, b.length - 4, (int) crc.getValue());
        return b;
    }

    public static Head decode(byte[] b, int expectedDim, long headId) {
        if (b.length < FIXED + 4 || (int) I32.get(b, 0) != MAGIC) {
            throw new CorruptIndexException("head record " + headId + " has no head magic");
        }
        int version = b[4] & 0xFF;
        if (version < VERSION_START || version > VERSION_CURRENT) {
            throw new CorruptIndexException("head record " + headId + " has format version " + version
                    + "; this build reads " + VERSION_START + ".." + VERSION_CURRENT);
        }
        int dim = Short.toUnsignedInt((short) I16.get(b, 6));
        if (dim != expectedDim || b.length != FIXED + 4 * dim + 4) {
            throw new CorruptIndexException("head record " + headId + " has dim " + dim + " and " + b.length
                    + " bytes; index dim is " + expectedDim);
        }
        CRC32C crc = new CRC32C();
        crc.update(b, 0, b.length - 4);
        if ((int) crc.getValue() != (int) I32.get(b, b.length - 4)) {
            throw new CorruptIndexException("head record " + headId + " fails its checksum");
        }
        float[] c = new float[dim];
        for (int i = 0; i < dim; i++) c[i] = (float) F32.get(b, FIXED + 4 * i);
        return new Head(c, (int) I32.get(b, 8));
    }
}
