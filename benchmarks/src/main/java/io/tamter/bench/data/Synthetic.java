package io.tamter.bench.data;

import io.tamter.node.vector.VectorMetric;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * A deterministic clustered Gaussian mixture, from a spec such as
 * {@code synthetic:n=1000000,dim=128,clusters=1000,seed=7[,queries=1000][,order=shuffled|clustered]}.
 *
 * <ul>
 *   <li>Cluster c has centre {@code μ_c ~ N(0, I)} and spread {@code σ_c ~ U[0.5, 1.5]}, drawn from
 *       {@code seed}. With unit-variance centres and noise, neighbouring clusters overlap, as real
 *       embeddings do; the spreads differ so densities differ.</li>
 *   <li>Cluster sizes follow Zipf with exponent 1 ({@code size_c ∝ 1/(c+1)}), rounded so they sum
 *       to n: with 1,000 clusters the largest holds ~13% of the rows and the smallest ~0.01%.</li>
 *   <li>Row r of cluster c is {@code μ_c + σ_c·N(0, I)} drawn from a generator seeded by (seed, r),
 *       so rows are produced in parallel and are identical on every run.</li>
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
            if (!java.util.Set.of("n", "dim", "clusters", "seed", "queries", "order").contains(k)) {
                throw new IllegalArgumentException("unknown synthetic parameter '" + k + "' in " + spec);
            }
        }
        int n = intParam(p, "n", -1);
        int dim = intParam(p, "dim", -1);
        int clusters = intParam(p, "clusters", 100);
        long seed = Long.parseLong(p.getOrDefault("seed", "1"));
        int queries = intParam(p, "queries", 1000);
        String order = p.getOrDefault("order", "shuffled");
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
        IntStream.range(0, n).parallel().forEach(i -> base[i] = point(centres, spread, clusterOfRow[i], seed, i, dim));
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
            qs[i] = point(centres, spread, c, seed + 0x51ED, i, dim);
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

    private static float[] point(float[][] centres, float[] spread, int c, long seed, int i, int dim) {
        SplittableRandom pr = new SplittableRandom(mix(seed, i));
        float[] v = new float[dim];
        for (int j = 0; j < dim; j++) v[j] = centres[c][j] + spread[c] * (float) gaussian(pr);
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
