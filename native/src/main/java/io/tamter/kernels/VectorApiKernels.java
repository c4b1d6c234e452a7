package io.tamter.kernels;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on the (incubating) Java Vector API, using the platform's preferred vector width
 * (256 bits with AVX2, 512 with AVX-512) and fused multiply-add.
 *
 * <p>Postings are scanned straight from a heap buffer's backing array: each group of floats is
 * loaded as a byte vector of the same shape and reinterpreted as floats, which is a plain
 * vector load on a little-endian CPU (the posting format is little-endian). {@code MemorySegment}
 * loads would read direct buffers in place, but that API is a preview in Java 21, our bytecode
 * level; a direct posting is therefore copied into a per-thread scratch array first. The
 * constructor refuses big-endian platforms and vectors narrower than 128 bits, so
 * {@link Kernels} falls back instead of running a slow or wrong kernel.
 */
public final class VectorApiKernels implements VectorKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();
    private static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle F32 = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    private static final ThreadLocal<byte[][]> SCRATCH = ThreadLocal.withInitial(() -> new byte[1][0]);
    /** Lane i ↔ lane i xor 2^j, one shuffle per halving step of {@link #sum}. */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] HALVES = new VectorShuffle[Integer.numberOfTrailingZeros(LANES)];

    static {
        for (int j = 0; j < HALVES.length; j++) {
            int step = LANES >>> (j + 1);
            HALVES[j] = VectorShuffle.fromOp(F, i -> i ^ step);
        }
    }

    /**
     * The sum of the lanes in a fixed order (a butterfly of lane-wise adds). Not
     * {@code reduceLanes(ADD)}: its order is left to the implementation, and the JIT's intrinsic
     * and the Java fallback that runs before the JIT compiles a method add in different orders, so
     * the same query scored the same vector differently in the last bit depending on how warm the
     * JVM was (seen as results that differed before and after a restore in ShardCheckpointTest).
     */
    static float sum(FloatVector v) {
        for (VectorShuffle<Float> h : HALVES) v = v.add(v.rearrange(h));
        return v.lane(0);
    }

    public VectorApiKernels() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("posting vectors are little-endian; this CPU is big-endian");
        }
        if (F.vectorBitSize() < 128 || B.vectorBitSize() != F.vectorBitSize()) {
            throw new UnsupportedOperationException("preferred vector width is " + F.vectorBitSize() + " bits");
        }
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public BufferKind preferredBuffer() {
        return BufferKind.HEAP;
    }

    @Override
    public float dot(float[] a, int aOffset, float[] b, int bOffset, int dim) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(dim); i < bound; i += LANES) {
            acc = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc);
        }
        float s = sum(acc);
        for (; i < dim; i++) s += a[aOffset + i] * b[bOffset + i];
        return s;
    }

    @Override
    public float squaredL2(float[] a, int aOffset, float[] b, int bOffset, int dim) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(dim); i < bound; i += LANES) {
            FloatVector d = FloatVector.fromArray(F, a, aOffset + i).sub(FloatVector.fromArray(F, b, bOffset + i));
            acc = d.fma(d, acc);
        }
        float s = sum(acc);
        for (; i < dim; i++) {
            float d = a[aOffset + i] - b[bOffset + i];
            s += d * d;
        }
        return s;
    }

    @Override
    public void distances(Metric metric, float[] query, float[] matrix, int offset, int count, int dim, float[] out) {
        for (int j = 0; j < count; j++) out[j] = distance(metric, query, 0, matrix, offset + j * dim, dim);
    }

    @Override
    public int scanPosting(ByteBuffer posting, int offset, int count, QueryVector query, Metric metric,
                           ByteBuffer versions, int versionsLimit, ByteBuffer filter, long filterLimitBits,
                           float threshold, int k, long[] outVids, float[] outDists) {
        float[] q = query.values();
        int dim = q.length;
        int entry = PostingLayout.entryBytes(dim);
        byte[] arr;
        int base;
        if (posting.hasArray()) {
            arr = posting.array();
            base = posting.arrayOffset() + offset;
        } else {
            int len = count * entry;
            byte[][] holder = SCRATCH.get();
            if (holder[0].length < len) holder[0] = new byte[Math.max(len, holder[0].length * 2)];
            arr = holder[0];
            posting.get(offset, arr, 0, len);
            base = 0;
        }
        boolean l2 = metric == Metric.L2;
        int bound = F.loopBound(dim);
        int size = 0;
        for (int e = 0; e < count; e++) {
            int p = base + e * entry;
            long vid = (long) I64.get(arr, p);
            if (vid < 0 || vid >= versionsLimit) continue;
            int ev = (arr[p + PostingLayout.VID_BYTES] & 0xFF) | (arr[p + PostingLayout.VID_BYTES + 1] & 0xFF) << 8;
            if (PostingLayout.versionSlot(versions, (int) vid) != ev) continue;
            if (filter != null && !PostingLayout.allowed(filter, filterLimitBits, vid)) continue;
            int v = p + PostingLayout.ENTRY_HEADER_BYTES;
            FloatVector acc = FloatVector.zero(F);
            int i = 0;
            if (l2) {
                for (; i < bound; i += LANES) {
                    FloatVector x = ByteVector.fromArray(B, arr, v + 4 * i).reinterpretAsFloats();
                    FloatVector d = FloatVector.fromArray(F, q, i).sub(x);
                    acc = d.fma(d, acc);
                }
            } else {
                for (; i < bound; i += LANES) {
                    FloatVector x = ByteVector.fromArray(B, arr, v + 4 * i).reinterpretAsFloats();
                    acc = FloatVector.fromArray(F, q, i).fma(x, acc);
                }
            }
            float s = sum(acc);
            for (; i < dim; i++) {
                float x = (float) F32.get(arr, v + 4 * i);
                if (l2) {
                    float d = q[i] - x;
                    s += d * d;
                } else {
                    s += q[i] * x;
                }
            }
            if (!l2) s = -s;
            if (s < BoundedMaxHeap.bound(outDists, size, k, threshold)) size = BoundedMaxHeap.offer(outVids, outDists, size, k, vid, s);
        }
        return size;
    }
}
