package io.tamter.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Every fast implementation against {@link ScalarKernels}, at awkward sizes (tails of every
 * vector width) and on random postings mixing live, stale, deleted, out-of-range and
 * filtered-out entries. The native library's variants are each exercised where the CPU runs them.
 */
class KernelParityTest {
    private static final int[] DIMS = {1, 7, 16, 70, 128, 207, 384, 1021};
    private static final ScalarKernels REF = new ScalarKernels();

    private static long seed() {
        String s = System.getProperty("tamter.seed");
        long seed = s != null ? Long.parseLong(s) : new Random().nextLong();
        System.out.println("KernelParityTest seed " + seed + " (re-run with -Dtamter.seed=" + seed + ")");
        return seed;
    }

    private static List<VectorKernels> fast() {
        List<VectorKernels> out = new ArrayList<>();
        out.add(new VectorApiKernels());
        out.add(new NativeKernels());
        return out;
    }

    private static void close(float expected, float actual, String what) {
        float tol = 1e-4f * (Math.abs(expected) + Math.abs(actual)) + 1e-4f;
        assertThat(Math.abs(expected - actual)).as(what + ": expected " + expected + ", got " + actual).isLessThanOrEqualTo(tol);
    }

    @Test
    void bothFastImplementationsLoadHere() {
        assertThat(Kernels.select("vector").name()).isEqualTo("vector");
        assertThat(Kernels.select("native").name()).isEqualTo("native");
        assertThat(Kernels.select("scalar").name()).isEqualTo("scalar");
        assertThat(Kernels.select("auto").name()).isIn("vector", "native");
        assertThat(NativeKernels.variant()).isIn("avx512", "avx2", "portable");
    }

    /** The code scan's bit-plane sums are the quantized query summed over each code's set bits. */
    @Test
    void bitPlaneSumsAreTheQueryOverTheSetBits() {
        Random r = new Random(seed());
        List<VectorKernels> all = new ArrayList<>(fast());
        all.add(REF);
        for (int dim : DIMS) {
            int words = (dim + 63) / 64;
            for (int bits : new int[] {1, 4, 8}) {
                int[] q = new int[dim];
                long[] planes = new long[bits * words];
                for (int j = 0; j < dim; j++) {
                    q[j] = r.nextInt(1 << bits);
                    for (int p = 0; p < bits; p++) if ((q[j] >>> p & 1) != 0) planes[p * words + j / 64] |= 1L << (j % 64);
                }
                int count = 1 + r.nextInt(40);
                long[] codes = new long[count * words];
                for (int i = 0; i < count; i++) {
                    for (int j = 0; j < dim; j++) if (r.nextBoolean()) codes[i * words + j / 64] |= 1L << (j % 64);
                }
                for (VectorKernels k : all) {
                    int[] out = new int[count];
                    k.bitPlaneSums(codes, words, count, planes, bits, out);
                    for (int i = 0; i < count; i++) {
                        int expected = 0;
                        for (int j = 0; j < dim; j++) if ((codes[i * words + j / 64] >>> (j % 64) & 1) != 0) expected += q[j];
                        assertThat(out[i]).as(k.name() + " bit-plane sums dim " + dim + " bits " + bits + " code " + i).isEqualTo(expected);
                    }
                }
            }
        }
    }

    @Test
    void singleVectorFunctions() {
        Random r = new Random(seed());
        for (VectorKernels k : fast()) {
            for (int dim : DIMS) {
                int off = r.nextInt(5);
                float[] a = gaussian(r, dim + off), b = gaussian(r, dim + off);
                close(REF.dot(a, off, b, off, dim), k.dot(a, off, b, off, dim), k.name() + " dot dim " + dim);
                close(REF.squaredL2(a, off, b, off, dim), k.squaredL2(a, off, b, off, dim), k.name() + " l2 dim " + dim);
                int count = 1 + r.nextInt(9);
                float[] m = gaussian(r, off + count * dim);
                float[] q = gaussian(r, dim);
                for (Metric metric : Metric.values()) {
                    float[] e = new float[count], g = new float[count];
                    REF.distances(metric, q, m, off, count, dim, e);
                    k.distances(metric, q, m, off, count, dim, g);
                    for (int j = 0; j < count; j++) close(e[j], g[j], k.name() + " distances " + metric + " dim " + dim);
                }
            }
        }
    }

    @Test
    void postingScansAgreeWithTheReference() {
        long seed = seed();
        for (int variant = 0; variant <= 2; variant++) {
            if (!NativeKernels.supports(variant)) continue;
            assertThat(NativeKernels.forceVariant(variant)).isTrue();
            try {
                scanParity(new Random(seed + variant), "native variant " + NativeKernels.variant());
            } finally {
                NativeKernels.forceVariant(NativeKernels.supports(2) ? 2 : NativeKernels.supports(1) ? 1 : 0);
            }
        }
        scanParity(new Random(seed), "vector");
    }

    private void scanParity(Random r, String label) {
        List<VectorKernels> impls = label.startsWith("native") ? List.of(new NativeKernels()) : List.of(new VectorApiKernels());
        for (int dim : DIMS) {
            for (int round = 0; round < 6; round++) {
                int count = 1 + r.nextInt(120);
                int offset = r.nextInt(13);
                int entry = PostingLayout.entryBytes(dim);
                int vidRange = count + 40;
                // one u16 LE slot per vid; versions span all 15 bits so stale entries may differ only in the high byte
                ByteBuffer versions = ByteBuffer.allocateDirect(2 * vidRange).order(ByteOrder.LITTLE_ENDIAN);
                for (int v = 0; v < vidRange; v++) versions.putShort(2 * v, (short) (1 + r.nextInt(PostingLayout.VERSION_MASK)));
                int versionsLimit = vidRange - r.nextInt(20); // some vids past the limit
                byte[] heap = new byte[offset + count * entry];
                ByteBuffer hb = ByteBuffer.wrap(heap).order(ByteOrder.LITTLE_ENDIAN);
                // distinct vids, as in a real posting (one entry per vid and version)
                List<Integer> pool = new ArrayList<>();
                for (int v = 0; v < vidRange; v++) pool.add(v);
                java.util.Collections.shuffle(pool, r);
                for (int e = 0; e < count; e++) {
                    int p = offset + e * entry;
                    long vid = pool.get(e);
                    hb.putLong(p, vid);
                    int kind = r.nextInt(10);
                    int ver = Short.toUnsignedInt(versions.getShort(2 * (int) vid));
                    if (kind == 0) ver ^= r.nextBoolean() ? 0x100 : 0x1; // stale: differs in the high or the low byte
                    hb.putShort(p + PostingLayout.VID_BYTES, (short) ver);
                    if (kind == 1) versions.putShort(2 * (int) vid, (short) (PostingLayout.DELETED_BIT | ver)); // deleted
                    for (int i = 0; i < dim; i++) hb.putFloat(p + PostingLayout.ENTRY_HEADER_BYTES + 4 * i, (float) r.nextGaussian());
                }
                ByteBuffer direct = ByteBuffer.allocateDirect(heap.length).order(ByteOrder.LITTLE_ENDIAN);
                direct.put(0, heap);
                ByteBuffer filter = null;
                long filterBits = 0;
                if (r.nextBoolean()) {
                    filterBits = vidRange - r.nextInt(10);
                    filter = ByteBuffer.allocateDirect(((vidRange + 63) / 64) * 8).order(ByteOrder.LITTLE_ENDIAN);
                    for (int v = 0; v < vidRange; v++) {
                        if (r.nextInt(4) != 0) {
                            int w = (v >>> 6) << 3;
                            filter.putLong(w, filter.getLong(w) | (1L << (v & 63)));
                        }
                    }
                }
                QueryVector q = new QueryVector(gaussian(r, dim));
                int k = new int[] {1, 5, 10, 200}[r.nextInt(4)];
                for (Metric metric : Metric.values()) {
                    float threshold = r.nextInt(3) == 0 ? Float.POSITIVE_INFINITY : (float) (metric == Metric.L2 ? dim * 2.0 : 0.0);
                    Map<Long, Float> expected = scan(REF, hb, offset, count, q, metric, versions, versionsLimit, filter, filterBits, threshold, k);
                    for (VectorKernels impl : impls) {
                        for (ByteBuffer posting : new ByteBuffer[] {ByteBuffer.wrap(heap), direct}) {
                            Map<Long, Float> got = scan(impl, posting, offset, count, q, metric, versions, versionsLimit, filter, filterBits, threshold, k);
                            String what = label + " dim " + dim + " count " + count + " k " + k + " " + metric + (posting.isDirect() ? " direct" : " heap");
                            assertSameTopK(expected, got, k, what);
                        }
                    }
                }
            }
        }
    }

    /** Same entries, except that ties at the k-th distance may be broken differently. */
    private static void assertSameTopK(Map<Long, Float> expected, Map<Long, Float> got, int k, String what) {
        assertThat(got.size()).as(what + " size").isEqualTo(expected.size());
        float worst = expected.values().stream().max(Float::compare).orElse(0f);
        for (Map.Entry<Long, Float> e : got.entrySet()) {
            Float ref = expected.get(e.getKey());
            if (ref == null) {
                close(worst, e.getValue(), what + " extra vid " + e.getKey() + " must tie the k-th distance");
            } else {
                close(ref, e.getValue(), what + " vid " + e.getKey());
            }
        }
    }

    private static Map<Long, Float> scan(VectorKernels impl, ByteBuffer posting, int offset, int count, QueryVector q, Metric metric,
                                         ByteBuffer versions, int versionsLimit, ByteBuffer filter, long filterBits, float threshold, int k) {
        long[] vids = new long[k];
        float[] dists = new float[k];
        int n = impl.scanPosting(posting, offset, count, q, metric, versions, versionsLimit, filter, filterBits, threshold, k, vids, dists);
        Map<Long, Float> m = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            assertThat(m.put(vids[i], dists[i])).as("vid reported twice").isNull();
            assertThat(dists[i]).isLessThan(threshold);
        }
        return m;
    }

    private static float[] gaussian(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }
}
