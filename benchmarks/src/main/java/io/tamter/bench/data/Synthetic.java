package io.tamter.bench.data;

import io.tamter.node.vector.VectorMetric;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * A deterministic clustered Gaussian mixture, from a spec such as
 * {@code synthetic:n=1000000,dim=128,clusters=1000,seed=7[,queries=1000][,order=shuffled|clustered][,intrinsic=12]}.
 *
 * <ul>
 *   <li>Cluster c has centre {@code μ_c ~ N(0, I)}, spread {@code σ_c ~ U[0.5, 1.5]} and a random
 *       basis {@code B_c} (dim × m, entries {@code N(0, 1/m)}) of an m-dimensional subspace,
 *       {@code m = intrinsic} (default 12), all drawn from {@code seed}. Neighbouring clusters
 *       overlap and densities differ.</li>
 *   <li>Row r of cluster c is {@code μ_c + σ_c·(B_c·z + 0.1·ν)}, {@code z ~ N(0, I_m)},
 *       {@code ν ~ N(0, I_dim)}: a cluster spans the same radius as a full-rank Gaussian of spread
 *       σ_c but has intrinsic dimension about m, as real embeddings do (they live near
 *       low-dimensional manifolds). With {@code intrinsic ≥ dim} a row is {@code μ_c + σ_c·N(0, I)}
 *       (full rank): there every point of a cluster is about equally far from every other (distance
 *       concentration), an adversarial case for any ANN index and for partition indexes most; it
 *       was this generator's only shape at first, and is kept to be measured as such.</li>
 *   <li>Cluster sizes follow Zipf with exponent 1 ({@code size_c ∝ 1/(c+1)}), rounded so they sum
 *       to n: with 1,000 clusters the largest holds ~13% of the rows and the smallest ~0.01%.</li>
 *   <li>Row r is drawn from a generator seeded by (seed, r), so rows are produced in parallel and
 *       are identical on every run.</li>
 *   <li>{@code order=clustered} (default {@code shuffled}) keeps the rows of a cluster together (the
 *       streaming runbooks insert clusters the index has not seen); shuffled order applies a
 *       seeded permutation.</li>
 *   <li>Queries are fresh draws from the same mixture (a cluster picked by size, then a point), not
 *       copies of base rows; default 1,000.</li>
 * </ul>
 */
public final class Synthetic {
    private Synthetic() {}

    public static boolean isSpec(String spec) {
        return spec.startsWith("synthetic:");
    }

    public static Dataset generate(String spec, VectorMetric metric) {
        Map<String, String> p = parse(spec);
        for (String k : p.keySet()) {
            if (!java.util.Set.of("n", "dim", "clusters", "seed", "queries", "order", "intrinsic").contains(k)) {
                throw new IllegalArgumentException("unknown synthetic parameter '" + k + "' in " + spec);
            }
        }
        int n = intParam(p, "n", -1);
        int dim = intParam(p, "dim", -1);
        int clusters = intParam(p, "clusters", 100);
        long seed = Long.parseLong(p.getOrDefault("seed", "1"));
        int queries = intParam(p, "queries", 1000);
        String order = p.getOrDefault("order", "shuffled");
        int intrinsic = intParam(p, "intrinsic", 12);
        if (intrinsic <= 0) throw new IllegalArgumentException("intrinsic must be > 0: " + spec);
        if (n <= 0 || dim <= 0) throw new IllegalArgumentException("synthetic dataset needs n>0 and dim>0: " + spec);
        if (clusters <= 0 || clusters > n) throw new IllegalArgumentException("clusters must be in 1..n: " + spec);
        if (!order.equals("shuffled") && !order.equals("clustered")) {
            throw new IllegalArgumentException("order must be shuffled or clustered: " + spec);
        }
        SplittableRandom r = new SplittableRandom(seed);
        float[][] centres = new float[clusters][dim];
        float[] spread = new float[clusters];
        for (int c = 0; c < clusters; c++) {
            for (int j = 0; j < dim; j++) centres[c][j] = (float) gaussian(r);
            spread[c] = (float) (0.5 + r.nextDouble());
        }
        // drawn after centres and spreads so that those stay what they were before the basis existed
        int m = Math.min(intrinsic, dim);
        float[][] basis = intrinsic >= dim ? null : new float[clusters][dim * m];
        if (basis != null) {
            float scale = (float) (1.0 / Math.sqrt(m));
            for (int c = 0; c < clusters; c++) for (int j = 0; j < dim * m; j++) basis[c][j] = scale * (float) gaussian(r);
        }
        int[] sizes = zipfSizes(n, clusters);
        int[] clusterOfRow = new int[n];
        int row = 0;
        for (int c = 0; c < clusters; c++) for (int i = 0; i < sizes[c]; i++) clusterOfRow[row++] = c;
        if (order.equals("shuffled")) {
            SplittableRandom pr = new SplittableRandom(seed ^ 0x5DEECE66DL);
            for (int i = n - 1; i > 0; i--) {
                int j = pr.nextInt(i + 1);
                int t = clusterOfRow[i];
                clusterOfRow[i] = clusterOfRow[j];
                clusterOfRow[j] = t;
            }
        }
        float[][] base = new float[n][];
        IntStream.range(0, n).parallel().forEach(i -> base[i] = point(centres, spread, basis, m, clusterOfRow[i], seed, i, dim));
        double[] cumulative = new double[clusters];
        double acc = 0;
        for (int c = 0; c < clusters; c++) {
            acc += sizes[c] / (double) n;
            cumulative[c] = acc;
        }
        float[][] qs = new float[queries][];
        IntStream.range(0, queries).parallel().forEach(i -> {
            SplittableRandom qr = new SplittableRandom(mix(seed + 0x9E3779B97F4A7C15L, i));
            double u = qr.nextDouble();
            int c = 0;
            while (c < clusters - 1 && cumulative[c] < u) c++;
            qs[i] = point(centres, spread, basis, m, c, seed + 0x51ED, i, dim);
        });
        return new Dataset(canonical(p), metric, base, qs, null);
    }

    /** Sizes ∝ 1/(c+1), rounded by largest remainder so they sum to n; every cluster gets at least one row. */
    static int[] zipfSizes(int n, int clusters) {
        double h = 0;
        for (int c = 0; c < clusters; c++) h += 1.0 / (c + 1);
        int[] sizes = new int[clusters];
        double[] rem = new double[clusters];
        int total = 0;
        for (int c = 0; c < clusters; c++) {
            double exact = (n - clusters) * (1.0 / (c + 1)) / h;
            sizes[c] = 1 + (int) Math.floor(exact);
            rem[c] = exact - Math.floor(exact);
            total += sizes[c];
        }
        Integer[] byRem = new Integer[clusters];
        for (int c = 0; c < clusters; c++) byRem[c] = c;
        java.util.Arrays.sort(byRem, (a, b) -> Double.compare(rem[b], rem[a]));
        for (int i = 0; total < n; i++, total++) sizes[byRem[i % clusters]]++;
        return sizes;
    }

    private static float[] point(float[][] centres, float[] spread, float[][] basis, int m, int c, long seed, int i, int dim) {
        SplittableRandom pr = new SplittableRandom(mix(seed, i));
        float[] v = new float[dim];
        if (basis == null) {
            for (int j = 0; j < dim; j++) v[j] = centres[c][j] + spread[c] * (float) gaussian(pr);
            return v;
        }
        float[] z = new float[m];
        for (int t = 0; t < m; t++) z[t] = (float) gaussian(pr);
        float[] b = basis[c];
        for (int j = 0; j < dim; j++) {
            float acc = 0;
            for (int t = 0; t < m; t++) acc += b[j * m + t] * z[t];
            v[j] = centres[c][j] + spread[c] * (acc + 0.1f * (float) gaussian(pr));
        }
        return v;
    }

    private static long mix(long seed, long i) {
        long z = seed + i * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Marsaglia's polar method (SplittableRandom has no nextGaussian before Java 17's RandomGenerator). */
    private static double gaussian(SplittableRandom r) {
        double u, v, s;
        do {
            u = 2 * r.nextDouble() - 1;
            v = 2 * r.nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        return u * Math.sqrt(-2 * Math.log(s) / s);
    }

    private static Map<String, String> parse(String spec) {
        Map<String, String> p = new TreeMap<>();
        String body = spec.substring("synthetic:".length());
        for (String kv : body.split(",")) {
            if (kv.isBlank()) continue;
            String[] f = kv.split("=", 2);
            if (f.length != 2) throw new IllegalArgumentException("synthetic parameter '" + kv + "' is not key=value in " + spec);
            p.put(f[0].trim().toLowerCase(Locale.ROOT), f[1].trim());
        }
        return p;
    }

    private static int intParam(Map<String, String> p, String key, int def) {
        String v = p.get(key);
        if (v == null) return def;
        try {
            return Integer.parseInt(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("synthetic parameter " + key + " must be an integer; " + key + "=" + v);
        }
    }

    private static String canonical(Map<String, String> p) {
        StringBuilder sb = new StringBuilder("synthetic:");
        p.forEach((k, v) -> sb.append(k).append('=').append(v).append(','));
        return sb.substring(0, sb.length() - 1);
    }
}
