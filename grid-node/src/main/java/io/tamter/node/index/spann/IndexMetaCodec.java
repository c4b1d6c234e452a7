package io.tamter.node.index.spann;

import io.tamter.node.vector.VectorMetric;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The index's own metadata record: key {@code "spfresh"} of the {@code meta} column family.
 * Little-endian.
 *
 * <pre>
 *   [u32]  magic          0x58444954 ("TIDX" as bytes on disk)
 *   [u8]   format version  {@link #VERSION_CURRENT}
 *   [u8]   state           0 = FLAT (exact search over one flat posting), 1 = BUILT (heads + postings)
 *   [u8]   metric          0 = cosine_distance, 1 = euclidean_squared, 2 = dot_product
 *   [u8]   reserved (0)
 *   [u16]  dim
 *   [u16]  reserved (0)
 *   [i64]  next head id    head ids are never reused
 *   [u32]  CRC32C of all preceding bytes
 * </pre>
 * Version history: 1 — initial format.
 */
public final class IndexMetaCodec {
    private IndexMetaCodec() {}

    public static final int MAGIC = 0x58444954;
    public static final int VERSION_START = 1;
    public static final int VERSION_CURRENT = 1;
    static final int BYTES = 24;

    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    public enum State { FLAT, BUILT }

    public record Meta(State state, VectorMetric metric, int dim, long nextHeadId) {}

    public static byte[] encode(Meta m) {
        byte[] b = new byte[BYTES];
        I32.set(b, 0, MAGIC);
        b[4] = (byte) VERSION_CURRENT;
        b[5] = (byte) m.state().ordinal();
        b[6] = (byte) m.metric().ordinal();
        I16.set(b, 8, (short) m.dim());
        I64.set(b, 12, m.nextHeadId());
        CRC32C crc = new CRC32C();
        crc.update(b, 0, BYTES - 4);
        I32.set(b, BYTES - 4, (int) crc.getValue());
        return b;
    }

    public static Meta decode(byte[] b) {
        if (b.length != BYTES || (int) I32.get(b, 0) != MAGIC) {
            throw new CorruptIndexException("index meta record is not a Tamter SPFresh meta record (" + b.length + " bytes)");
        }
        int version = b[4] & 0xFF;
        if (version < VERSION_START || version > VERSION_CURRENT) {
            throw new CorruptIndexException("index meta has format version " + version + "; this build reads "
                    + VERSION_START + ".." + VERSION_CURRENT);
        }
        CRC32C crc = new CRC32C();
        crc.update(b, 0, BYTES - 4);
        if ((int) crc.getValue() != (int) I32.get(b, BYTES - 4)) throw new CorruptIndexException("index meta fails its checksum");
        State[] states = State.values();
        VectorMetric[] metrics = VectorMetric.values();
        int s = b[5] & 0xFF, m = b[6] & 0xFF;
        if (s >= states.length || m >= metrics.length) throw new CorruptIndexException("index meta has state " + s + ", metric " + m);
        return new Meta(states[s], metrics[m], Short.toUnsignedInt((short) I16.get(b, 8)), (long) I64.get(b, 12));
    }
}
