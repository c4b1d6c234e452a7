package io.tamter.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A query prepared once per search for the kernels: the floats on the heap and, for the
 * native kernels, a little-endian direct copy (JNA would otherwise copy a {@code float[]} on
 * every call).
 */
public final class QueryVector {
    private final float[] values;
    private ByteBuffer direct;

    public QueryVector(float[] values) {
        this.values = values;
    }

    public float[] values() {
        return values;
    }

    public int dim() {
        return values.length;
    }

    /** The off-heap copy, made on first use. */
    public ByteBuffer direct() {
        if (direct == null) {
            ByteBuffer b = ByteBuffer.allocateDirect(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            direct = b;
        }
        return direct;
    }
}
