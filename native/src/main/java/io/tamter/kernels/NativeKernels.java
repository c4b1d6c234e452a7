package io.tamter.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;

/**
 * Kernels in C (AVX2+FMA / AVX-512F / portable, picked by the library at load time), called
 * through JNA direct mapping. Per STACK.md a JNA call costs ~180 ns, so the only call worth
 * making natively is the posting scan, once per posting list over off-heap memory: postings read
 * by RocksDB into direct buffers, the query from {@link QueryVector#direct()}, the version map
 * and filter bitsets as direct buffers. Heap postings and the single-vector functions on
 * {@code float[]} work too, by copying into per-thread direct scratch buffers — correct, but not
 * a path worth taking on a hot loop.
 */
public final class NativeKernels implements VectorKernels {
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread direct buffers for copies and results. */
    private static final class Scratch {
        ByteBuffer a = ByteBuffer.allocateDirect(4096).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer b = ByteBuffer.allocateDirect(4096).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer posting = ByteBuffer.allocateDirect(1 << 16);
        ByteBuffer vids = ByteBuffer.allocateDirect(8 * 64).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer dists = ByteBuffer.allocateDirect(4 * 64).order(ByteOrder.LITTLE_ENDIAN);

        static ByteBuffer ensure(ByteBuffer b, int bytes) {
            if (b.capacity() >= bytes) return b;
            return ByteBuffer.allocateDirect(Math.max(bytes, b.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    public NativeKernels() {
        // loading the class loads the library; fail here (with the reason) when it cannot
        String v = NativeLibrary.tk_variant();
        if (v == null) throw new IllegalStateException("native kernel library reports no variant");
    }

    /** The CPU variant the library picked: avx512, avx2 or portable. */
    public static String variant() {
        return NativeLibrary.tk_variant();
    }

    /** Forces a variant (0 portable, 1 avx2, 2 avx512) for tests; false when the CPU cannot run it. */
    public static boolean forceVariant(int variant) {
        return NativeLibrary.tk_force_variant(variant) == 1;
    }

    public static boolean supports(int variant) {
        return NativeLibrary.tk_supports(variant) == 1;
    }

    @Override
    public String name() {
        return "native";
    }

    @Override
    public BufferKind preferredBuffer() {
        return BufferKind.DIRECT;
    }

    private static FloatBuffer copy(ByteBuffer into, float[] src, int off, int dim) {
        FloatBuffer fb = into.clear().asFloatBuffer();
        fb.put(src, off, dim);
        return fb;
    }

    @Override
    public float dot(float[] a, int aOffset, float[] b, int bOffset, int dim) {
        Scratch s = SCRATCH.get();
        s.a = Scratch.ensure(s.a, 4 * dim);
        s.b = Scratch.ensure(s.b, 4 * dim);
        copy(s.a, a, aOffset, dim);
        copy(s.b, b, bOffset, dim);
        return NativeLibrary.tk_dot(NativeLibrary.address(s.a), NativeLibrary.address(s.b), dim);
    }

    @Override
    public float squaredL2(float[] a, int aOffset, float[] b, int bOffset, int dim) {
        Scratch s = SCRATCH.get();
        s.a = Scratch.ensure(s.a, 4 * dim);
        s.b = Scratch.ensure(s.b, 4 * dim);
        copy(s.a, a, aOffset, dim);
        copy(s.b, b, bOffset, dim);
        return NativeLibrary.tk_l2sq(NativeLibrary.address(s.a), NativeLibrary.address(s.b), dim);
    }

    @Override
    public void distances(Metric metric, float[] query, float[] matrix, int offset, int count, int dim, float[] out) {
        Scratch s = SCRATCH.get();
        s.a = Scratch.ensure(s.a, 4 * dim);
        s.b = Scratch.ensure(s.b, 4 * count * dim);
        s.dists = Scratch.ensure(s.dists, 4 * count);
        copy(s.a, query, 0, dim);
        copy(s.b, matrix, offset, count * dim);
        NativeLibrary.tk_distances(metric.code, NativeLibrary.address(s.a), NativeLibrary.address(s.b), count, dim,
                NativeLibrary.address(s.dists));
        s.dists.clear().asFloatBuffer().get(out, 0, count);
    }

    @Override
    public int scanPosting(ByteBuffer posting, int offset, int count, QueryVector query, Metric metric,
                           ByteBuffer versions, int versionsLimit, ByteBuffer filter, long filterLimitBits,
                           float threshold, int k, long[] outVids, float[] outDists) {
        Scratch s = SCRATCH.get();
        int dim = query.dim();
        long postingAddr;
        long off;
        if (posting.isDirect()) {
            postingAddr = NativeLibrary.address(posting);
            off = offset;
        } else {
            int len = count * PostingLayout.entryBytes(dim);
            s.posting = Scratch.ensure(s.posting, len);
            s.posting.clear();
            s.posting.put(0, posting, offset, len);
            postingAddr = NativeLibrary.address(s.posting);
            off = 0;
        }
        s.vids = Scratch.ensure(s.vids, 8 * k);
        s.dists = Scratch.ensure(s.dists, 4 * k);
        if (!versions.isDirect()) throw new IllegalArgumentException("the version map must be a direct buffer");
        long filterAddr = 0;
        if (filter != null) {
            if (!filter.isDirect()) throw new IllegalArgumentException("native kernels need a direct filter bitset");
            filterAddr = NativeLibrary.address(filter);
            // never let the kernel read past the bitset
            filterLimitBits = Math.min(filterLimitBits, (long) (filter.capacity() / 8) * 64);
        }
        int n = NativeLibrary.tk_scan_posting(postingAddr, off, count, dim, NativeLibrary.address(query.direct()), metric.code,
                NativeLibrary.address(versions), Math.min(versionsLimit, versions.capacity() / PostingLayout.VERSION_SLOT_BYTES), filterAddr, filterLimitBits,
                threshold, k, NativeLibrary.address(s.vids), NativeLibrary.address(s.dists));
        LongBuffer lv = s.vids.clear().asLongBuffer();
        FloatBuffer fd = s.dists.clear().asFloatBuffer();
        lv.get(outVids, 0, n);
        fd.get(outDists, 0, n);
        return n;
    }
}
