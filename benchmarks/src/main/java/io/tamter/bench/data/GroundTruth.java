package io.tamter.bench.data;

import io.tamter.kernels.Kernels;
import io.tamter.kernels.VectorKernels;
import io.tamter.node.vector.VectorMetric;
import java.util.stream.IntStream;

/**
 * Exact top-k by brute force, parallel over queries, with the same kernels and metric as the
 * index (cosine compares normalized vectors). Ties are broken by the smaller row number.
 */
public final class GroundTruth {
    private GroundTruth() {}

    /** Exact top-k among all rows. */
    public static int[][] compute(float[][] base, float[][] queries, int k, VectorMetric metric) {
        return compute(base, null, queries, k, metric);
    }

    /**
     * Exact top-k among the rows whose {@code live} flag is set (all rows when {@code live} is null).
     */
    public static int[][] compute(float[][] base, boolean[] live, float[][] queries, int k, VectorMetric metric) {
        VectorKernels kern = Kernels.get();
        float[][] prepared = prepare(base, metric);
        int[][] out = new int[queries.length][];
        IntStream.range(0, queries.length).parallel().forEach(qi -> {
            float[] q = metric.prepare(queries[qi]);
            int[] ids = new int[k];
            float[] ds = new float[k];
            int size = 0;
            for (int i = 0; i < prepared.length; i++) {
                if (live != null && !live[i]) continue;
                float d = kern.distance(metric.kernelMetric(), q, 0, prepared[i], 0, q.length);
                if (size < k) {
                    int j = size++;
                    while (j > 0 && (ds[j - 1] > d)) {
                        ds[j] = ds[j - 1];
                        ids[j] = ids[j - 1];
                        j--;
                    }
                    ds[j] = d;
                    ids[j] = i;
                } else if (d < ds[k - 1]) {
                    int j = k - 1;
                    while (j > 0 && ds[j - 1] > d) {
                        ds[j] = ds[j - 1];
                        ids[j] = ids[j - 1];
                        j--;
                    }
                    ds[j] = d;
                    ids[j] = i;
                }
            }
            out[qi] = java.util.Arrays.copyOf(ids, size);
        });
        return out;
    }

    /** The vectors as the metric compares them (normalized copies for cosine, the same arrays otherwise). */
    public static float[][] prepare(float[][] base, VectorMetric metric) {
        if (metric != VectorMetric.COSINE_DISTANCE) return base;
        float[][] p = new float[base.length][];
        IntStream.range(0, base.length).parallel().forEach(i -> p[i] = metric.prepare(base[i]));
        return p;
    }

    /** Mean over queries of |result ∩ truth top-k| / k. */
    public static double recall(int[][] results, int[][] truth, int k) {
        double sum = 0;
        for (int q = 0; q < results.length; q++) sum += recall(results[q], truth[q], k);
        return sum / results.length;
    }

    public static double recall(int[] result, int[] truth, int k) {
        int n = Math.min(k, truth.length);
        if (n == 0) return 1.0;
        java.util.Set<Integer> t = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) t.add(truth[i]);
        int hit = 0;
        for (int i = 0; i < Math.min(k, result.length); i++) if (t.contains(result[i])) hit++;
        return hit / (double) n;
    }
}
