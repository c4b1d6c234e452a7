package io.tamter.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The reference implementation: plain Java loops, always available, the one every faster
 * implementation is tested against. Reads posting buffers of either kind with absolute
 * little-endian gets.
 */
public final class ScalarKernels implements VectorKernels {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public BufferKind preferredBuffer() {
        return BufferKind.HEAP;
    }

    @Override
    public float dot(float[] a, int aOffset, float[] b, int bOffset, int dim) {
        float s = 0f;
        for (int i = 0; i < dim; i++) s += a[aOffset + i] * b[bOffset + i];
        return s;
    }

    @Override
    public float squaredL2(float[] a, int aOffset, float[] b, int bOffset, int dim) {
        float s = 0f;
        for (int i = 0; i < dim; i++) {
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
        ByteBuffer p = posting.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer f = filter == null ? null : filter.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] q = query.values();
        int dim = q.length;
        int entry = PostingLayout.entryBytes(dim);
        int size = 0;
        for (int e = 0; e < count; e++) {
            int base = offset + e * entry;
            long vid = p.getLong(base);
            if (vid < 0 || vid >= versionsLimit) continue;
            if (PostingLayout.versionSlot(versions, (int) vid) != PostingLayout.entryVersion(p, base)) continue;
            if (f != null && (vid >= filterLimitBits || (f.getLong((int) (vid >>> 6) << 3) & (1L << (vid & 63))) == 0)) continue;
            int v = base + PostingLayout.ENTRY_HEADER_BYTES;
            float s = 0f;
            if (metric == Metric.L2) {
                for (int i = 0; i < dim; i++) {
                    float d = q[i] - p.getFloat(v + 4 * i);
                    s += d * d;
                }
            } else {
                for (int i = 0; i < dim; i++) s += q[i] * p.getFloat(v + 4 * i);
                s = -s;
            }
            if (s < BoundedMaxHeap.bound(outDists, size, k, threshold)) {
                size = BoundedMaxHeap.offer(outVids, outDists, size, k, vid, s);
            }
        }
        return size;
    }
}
