package io.tamter.node.index.spann;

import io.tamter.kernels.Metric;
import io.tamter.kernels.VectorKernels;

/**
 * 1-bit codes of a posting's vectors, quantized against the posting's head (their residuals),
 * with what a search needs to turn a code into a distance estimate <em>and a bound on its
 * error</em>: the search scans the codes and computes the exact distance only for the entries
 * whose lower bound can still beat its current k-th (see {@link SpannSearcher}). Memory
 * traffic per entry falls from {@code 4·dim} bytes to {@code dim/8 + 20}.
 *
 * <p><b>The estimate</b> (the RaBitQ estimator). Everything below happens after a random rotation
 * P ({@link #rotate}), which preserves distances and dot products, over the padded dimension
 * d. For an entry x of a posting with centre c, let r = x − c, b its sign bits ({@code b_j = r_j > 0}) and u the unit
 * vector {@code (2b − 1)/√d}. For a query q and v = q − c,
 * {@code <r, v> ≈ |r|·<u, v>/<u, r/|r|>}; with {@code √d·<u, v> = 2·S_b(v) − S(v)} (S_b: the sum
 * over the set bits, S: over all) and {@code <u, r/|r|> = Σ|r_j| / (√d·|r|)} this is
 * {@code factor·(2·S_b(q) − S(q) − corr)}, where {@code factor = |r|²/Σ|r_j|} and
 * {@code corr = 2·S_b(c) − S(c)} are per entry. S_b(q) comes from the query quantized to
 * {@value #QUERY_BITS} bits per component ({@link Query}: {@code q̃_j = lo + Δ·k_j}):
 * {@code S_b(q̃) = lo·ones + Δ·Σ_p 2^p·popcount(b AND plane_p)}, with {@code ones} = popcount(b)
 * per entry and the popcounts from {@link VectorKernels#bitPlaneSums}. Then
 * <ul>
 *   <li>squared L2: {@code |x − q|² = |r|² − 2<r, v> + |v|²} ({@code base} = |r|²);</li>
 *   <li>dot (kernel distance {@code −<x, q>}): {@code <x, q> = <c, q> + <r, c> + <r, v>}
 *       ({@code base} = <r, c>).</li>
 * </ul>
 * <b>The bound.</b> RaBitQ's error of {@code <r, v>} is within
 * {@code ε0·|r|·|v|·√(1 − a²)/(a·√(d − 1))}, a = {@code <u, r/|r|>}, with high probability over
 * the rotation; {@code error} holds everything but {@code ε0·|v|}. {@code index.code_error_bound}
 * is ε0 (RaBitQ's 1.9), and the benchmarks measure recall with it (benchmarks/README.md). The query's rounding adds {@code Σ ±e_j} to
 * {@code 2·S_b(q) − S(q)} (e = q − q̃, the signs the code's), at most {@code |e|_1}: the bound adds
 * {@code factor·|e|_1}, exactly, so that an entry equal to the query is never cut by rounding
 * ({@link #QUERY_BITS} says why 4 bits; a table per code byte in place of the bit planes, one
 * load per byte, was slower than 8 planes in PostingScanBench: 5.3 against 4.2 µs for 64 entries
 * at 384 dimensions).
 *
 * <p>Codes are derived from the decoded vectors when a posting enters the {@link PostingCache},
 * never stored: the vectors stay the truth and the format on disk does not change.
 */
public final class ResidualCodes {
    /** The centre the residuals were taken against, as given (a copy: a head may be re-centred later). */
    final float[] centre;
    final Metric metric;
    /** |c|², for |q − c|² from <q, c> under the dot metric. */
    final float centreNormSquared;
    /** 64-bit words per code: the rotated space's {@link #paddedDim} bits. */
    final int words;
    /** The sign bits of the rotated residuals, {@link #words} per entry; bit j of word w is component 64w + j. */
    final long[] bits;
    /** popcount of each code. */
    final float[] ones;
    final float[] factor;
    final float[] corr;
    final float[] base;
    final float[] error;
    /** The largest |base| and |factor·corr| of the entries: the sizes the scan's float rounding is relative to. */
    final float maxAbsBase, maxAbsCorrTerm;

    /**
     * Bits per component of the quantized query, as in RaBitQ and Lucene's BBQ. With the rounding
     * bounded exactly (see the class comment) 8 bits computed 177 exact distances per SciFact
     * query against 962 at 4, but the bit-plane popcounts, which are most of the scan, doubled:
     * 1,674 against 2,229 QPS (benchmarks/README.md, 2026-12-07 session 3).
     */
    static final int QUERY_BITS = 4;

    private ResidualCodes(float[] centre, Metric metric, float centreNormSquared, int words, long[] bits, float[] ones, float[] factor, float[] corr, float[] base, float[] error) {
        float mb = 0, mc = 0;
        for (int i = 0; i < base.length; i++) {
            mb = Math.max(mb, Math.abs(base[i]));
            mc = Math.max(mc, Math.abs(factor[i] * corr[i]));
        }
        this.maxAbsBase = mb;
        this.maxAbsCorrTerm = mc;
        this.centre = centre;
        this.metric = metric;
        this.centreNormSquared = centreNormSquared;
        this.words = words;
        this.bits = bits;
        this.ones = ones;
        this.factor = factor;
        this.corr = corr;
        this.base = base;
        this.error = error;
    }

    /** The rotated space's dimension: the next power of two (the Hadamard transform's length). */
    static int paddedDim(int dim) {
        return Math.max(64, Integer.highestOneBit(dim - 1) << 1);
    }

    static int words(int dim) {
        return paddedDim(dim) >>> 6;
    }

    /**
     * The random rotation P of RaBitQ, here a randomized Hadamard transform: random signs, then
     * the normalized Walsh–Hadamard transform over the padded length (n log n, against d² for a
     * dense random matrix). Orthogonal, so {@code <Pr, Pv> = <r, v>} and |Pr| = |r|; it spreads
     * every vector's mass over all components, which the sign code needs (without it, SIFT's
     * skewed components broke the bound often enough to cost 1% recall). The signs are fixed per
     * padded length; codes live only in memory, so they never need to match across versions.
     */
    static void rotate(float[] x, int xOffset, int dim, float[] out) {
        int n = paddedDim(dim);
        long[] signs = signs(n);
        for (int j = 0; j < n; j++) {
            float v = j < dim ? x[xOffset + j] : 0f;
            out[j] = (signs[j >>> 6] >>> j & 1) != 0 ? -v : v;
        }
        for (int h = 1; h < n; h <<= 1) {
            for (int i = 0; i < n; i += h << 1) {
                for (int j = i; j < i + h; j++) {
                    float a = out[j], b = out[j + h];
                    out[j] = a + b;
                    out[j + h] = a - b;
                }
            }
        }
        float scale = (float) (1 / Math.sqrt(n));
        for (int j = 0; j < n; j++) out[j] *= scale;
    }

    private static final java.util.concurrent.ConcurrentHashMap<Integer, long[]> SIGNS = new java.util.concurrent.ConcurrentHashMap<>();

    private static long[] signs(int n) {
        return SIGNS.computeIfAbsent(n, k -> {
            java.util.SplittableRandom r = new java.util.SplittableRandom(0x7A3D5EEDL + k);
            long[] s = new long[k >>> 6];
            for (int i = 0; i < s.length; i++) s[i] = r.nextLong();
            return s;
        });
    }

    /** Codes of {@code count} vectors ({@code dim} floats each, row after row) against {@code centre}. */
    public static ResidualCodes encode(float[] centre, float[] vectors, int count, int dim, Metric metric) {
        centre = centre.clone(); // read once: the codes and the scan must see the same centre
        int n = paddedDim(dim), words = n >>> 6;
        float[] pc = new float[n], px = new float[n];
        rotate(centre, 0, dim, pc);
        long[] bits = new long[count * words];
        float[] ones = new float[count];
        float[] factor = new float[count], corr = new float[count], base = new float[count], error = new float[count];
        double sumC = 0, cc = 0;
        for (int j = 0; j < n; j++) sumC += pc[j];
        for (int j = 0; j < dim; j++) cc += (double) centre[j] * centre[j];
        double sqrtN = Math.sqrt(n), sqrtN1 = Math.sqrt(n - 1);
        for (int i = 0; i < count; i++) {
            int off = i * dim;
            double rr = 0, rc = 0;
            for (int j = 0; j < dim; j++) {
                double r = (double) vectors[off + j] - centre[j];
                rr += r * r;
                rc += r * centre[j];
            }
            rotate(vectors, off, dim, px);
            double abs = 0, sumBitsC = 0;
            int set = 0;
            for (int j = 0; j < n; j++) {
                double r = (double) px[j] - pc[j];
                abs += Math.abs(r);
                if (r > 0) {
                    bits[i * words + (j >>> 6)] |= 1L << j;
                    sumBitsC += pc[j];
                    set++;
                }
            }
            ones[i] = set;
            corr[i] = (float) (2 * sumBitsC - sumC);
            base[i] = (float) (metric == Metric.L2 ? rr : rc);
            if (abs > 0 && rr > 0) {
                factor[i] = (float) (rr / abs);
                double a = Math.min(1, abs / (sqrtN * Math.sqrt(rr)));
                error[i] = (float) (Math.sqrt(rr) * Math.sqrt(1 - a * a) / (a * sqrtN1));
            }
        }
        return new ResidualCodes(centre, metric, (float) cc, words, bits, ones, factor, corr, base, error);
    }

    /** The number of coded entries. */
    public int count() {
        return ones.length;
    }

    static double normSquared(float[] q) {
        double sq = 0;
        for (float x : q) sq += (double) x * x;
        return sq;
    }

    /**
     * A lower bound on the kernel distance from the query to every coded entry, into
     * {@code out[0..count)} (the scan of a coded posting; see the class comment):
     * {@code lb = alpha + sigma·base − lambda·(factor·(g + roundScale) + errScale·error)} with
     * {@code g = 2·step·popcounts + 2·lo·ones − S(q̃) − corr}; L2: alpha = |v|², sigma = 1,
     * lambda = 2; dot: alpha = −<q, c>, sigma = −1, lambda = 1. Floats in a branch-free loop
     * the JIT vectorizes; float rounding (relative 1e-7 of the terms) is covered by shaving the
     * bound by 1e-5 of the terms' sizes.
     *
     * @param cq       the query, quantized ({@link Query#quantize})
     * @param q        the query itself
     * @param qq       |q|²
     * @param eps      ε0 ({@code index.code_error_bound})
     * @param popcounts scratch of at least {@link #count()} ints
     */
    public void lowerBounds(VectorKernels kernels, Query cq, float[] q, double qq, Metric metric, double eps, int[] popcounts, float[] out) {
        int count = ones.length, dim = centre.length;
        kernels.bitPlaneSums(bits, words, count, cq.planes, QUERY_BITS, popcounts);
        boolean l2 = metric == Metric.L2;
        double qc = kernels.dot(q, 0, centre, 0, dim);
        double vv = l2 ? kernels.squaredL2(q, 0, centre, 0, dim) : Math.max(0, qq - 2 * qc + centreNormSquared);
        float alpha = (float) (l2 ? vv : -qc), sigma = l2 ? 1f : -1f, lambda = l2 ? 2f : 1f;
        float errScale = (float) (eps * Math.sqrt(vv)), roundScale = (float) cq.roundingL1;
        float k1 = 2 * cq.step, k0 = 2 * cq.lo, sumQ = (float) cq.sum;
        float rounding = (float) (1e-5 * (vv + Math.abs(qc) + Math.abs(cq.sum) + maxAbsBase + maxAbsCorrTerm));
        for (int i = 0; i < count; i++) {
            float g = k1 * popcounts[i] + k0 * ones[i] - sumQ - corr[i];
            out[i] = alpha + sigma * base[i] - lambda * (factor[i] * (g + roundScale) + errScale * error[i]) - rounding;
        }
    }

    long bytes() {
        return 8L * bits.length + 4L * (ones.length * 5L + centre.length);
    }

    /**
     * A query rotated ({@link #rotate}) and quantized for {@link VectorKernels#bitPlaneSums}:
     * {@code q̃_j = lo + Δ·k_j}, k_j in [0, 2^{@value #QUERY_BITS}), rounded to nearest; plane p
     * holds bit p of every k_j. Built once per search, reused for every coded posting it scans.
     */
    public static final class Query {
        long[] planes = new long[0];
        private float[] rotated = new float[0];
        float lo, step;
        /** S(q̃), and the L1 norm of the rounding Pq − q̃ (its exact bound, see the class comment). */
        double sum, roundingL1;

        public void quantize(float[] q) {
            int dim = q.length, n = paddedDim(dim), words = n >>> 6;
            if (rotated.length < n) rotated = new float[n];
            rotate(q, 0, dim, rotated);
            if (planes.length < QUERY_BITS * words) planes = new long[QUERY_BITS * words];
            java.util.Arrays.fill(planes, 0, QUERY_BITS * words, 0L);
            float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                min = Math.min(min, rotated[j]);
                max = Math.max(max, rotated[j]);
            }
            int levels = (1 << QUERY_BITS) - 1;
            lo = min;
            step = max > min ? (max - min) / levels : 0f;
            double s = 0, e1 = 0;
            for (int j = 0; j < n; j++) {
                int k = step == 0f ? 0 : Math.min(levels, Math.max(0, Math.round((rotated[j] - lo) / step)));
                float qt = lo + step * k;
                s += qt;
                e1 += Math.abs((double) rotated[j] - qt);
                for (int p = 0; p < QUERY_BITS; p++) if ((k >>> p & 1) != 0) planes[p * words + (j >>> 6)] |= 1L << j;
            }
            sum = s;
            roundingL1 = e1;
        }
    }
}
