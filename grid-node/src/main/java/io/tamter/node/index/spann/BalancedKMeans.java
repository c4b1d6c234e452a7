package io.tamter.node.index.spann;

import io.tamter.kernels.VectorKernels;
import io.tamter.node.vector.VectorMetric;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Balanced k-means over rows of a packed matrix (SPANN builds its heads this way, as SPTAG's
 * BKT does): k-means++ seeding, then Lloyd iterations whose assignment cost adds a size
 * penalty {@code λ·meanDist·count_j/(n/k)} using the previous round's cluster sizes, so large
 * clusters shed points to their neighbours and the postings start near their target length.
 * Training uses at most {@code sample} rows; the final assignment covers every row.
 *
 * <p>For cosine, vectors are unit length and centroids are re-normalized after each update
 * (spherical k-means), so a head is a unit vector like the data it stands for.
 *
 * <p>Parallel over rows with the common fork-join pool; deterministic for a given seed
 * (each row's result depends only on the centroids of the round).
 */
public final class BalancedKMeans {
    private final VectorMetric metric;
    private final VectorKernels kernels;
    private final int dim;
    private final int iterations;
    private final int sample;
    private final double balance;

    public BalancedKMeans(VectorMetric metric, VectorKernels kernels, int dim, int iterations, int sample, double balance) {
        this.metric = metric;
        this.kernels = kernels;
        this.dim = dim;
        this.iterations = iterations;
        this.sample = sample;
        this.balance = balance;
    }

    /** Centroids and the assignment of each row (index into {@code rows}) to one of them. */
    public record Clustering(float[][] centroids, int[] assignment) {}

    /**
     * Clusters {@code rows} (indexes of vectors in {@code data}, {@code dim} floats each) into
     * at most {@code k} non-empty clusters.
     */
    public Clustering cluster(float[] data, int[] rows, int k, long seed) {
        return cluster(data, rows, k, seed, true);
    }

    /**
     * As {@link #cluster(float[], int[], int, long)}; with {@code balancedFinal} false the final
     * assignment puts every row in its nearest centroid (training stays balanced). A posting
     * split wants that: a vector left in the farther half would never be reassigned, since
     * LIRE's conditions only move vectors whose old head was closer than both new ones.
     */
    public Clustering cluster(float[] data, int[] rows, int k, long seed, boolean balancedFinal) {
        int n = rows.length;
        if (k <= 1 || n <= 1) {
            return new Clustering(new float[][] {mean(data, rows, null, 0)}, new int[n]);
        }
        k = Math.min(k, n);
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] train = rows;
        if (n > sample) {
            train = rows.clone();
            for (int i = 0; i < sample; i++) { // partial Fisher-Yates: the first `sample` rows are a uniform sample
                int j = i + rnd.nextInt(n - i);
                int t = train[i];
                train[i] = train[j];
                train[j] = t;
            }
            train = Arrays.copyOf(train, sample);
        }
        float[][] centroids = seedPlusPlus(data, train, k, rnd);
        int[] counts = new int[k];
        Arrays.fill(counts, train.length / k);
        int[] assign = new int[train.length];
        for (int it = 0; it < iterations; it++) {
            double meanDist = assignAll(data, train, centroids, counts, assign, it == 0 ? 0 : balance);
            int[] newCounts = new int[k];
            float[][] sums = new float[k][dim];
            for (int i = 0; i < train.length; i++) {
                int c = assign[i];
                newCounts[c]++;
                float[] s = sums[c];
                int off = train[i] * dim;
                for (int d = 0; d < dim; d++) s[d] += data[off + d];
            }
            int largest = 0;
            for (int c = 1; c < k; c++) if (newCounts[c] > newCounts[largest]) largest = c;
            for (int c = 0; c < k; c++) {
                if (newCounts[c] == 0) {
                    // an empty cluster restarts at a random member of the largest one (perturbed)
                    int pick = pickMember(train, assign, largest, rnd);
                    System.arraycopy(data, train[pick] * dim, centroids[c], 0, dim);
                    for (int d = 0; d < dim; d++) centroids[c][d] += (float) (1e-4 * (rnd.nextDouble() - 0.5));
                } else {
                    float inv = 1f / newCounts[c];
                    for (int d = 0; d < dim; d++) centroids[c][d] = sums[c][d] * inv;
                }
                normalizeIfCosine(centroids[c]);
            }
            counts = newCounts;
            if (meanDist == 0) break;
        }
        int[] all = new int[n];
        // final balanced assignment of every row against the trained centroids and sizes scaled to n
        int[] scaled = new int[k];
        for (int c = 0; c < k; c++) scaled[c] = (int) ((long) counts[c] * n / Math.max(1, train.length));
        assignAll(data, rows, centroids, scaled, all, balancedFinal ? balance : 0);
        return compact(centroids, all);
    }

    private static int pickMember(int[] train, int[] assign, int cluster, SplittableRandom rnd) {
        int start = rnd.nextInt(train.length);
        for (int i = 0; i < train.length; i++) {
            int j = (start + i) % train.length;
            if (assign[j] == cluster) return j;
        }
        return start;
    }

    /** Drops empty clusters and renumbers the assignment. */
    private Clustering compact(float[][] centroids, int[] assign) {
        int k = centroids.length;
        int[] count = new int[k];
        for (int a : assign) count[a]++;
        int[] remap = new int[k];
        int m = 0;
        for (int c = 0; c < k; c++) remap[c] = count[c] > 0 ? m++ : -1;
        if (m == k) return new Clustering(centroids, assign);
        float[][] out = new float[m][];
        for (int c = 0; c < k; c++) if (remap[c] >= 0) out[remap[c]] = centroids[c];
        for (int i = 0; i < assign.length; i++) assign[i] = remap[assign[i]];
        return new Clustering(out, assign);
    }

    private float[][] seedPlusPlus(float[] data, int[] train, int k, SplittableRandom rnd) {
        int n = train.length;
        float[][] c = new float[k][];
        int first = train[rnd.nextInt(n)];
        c[0] = Arrays.copyOfRange(data, first * dim, first * dim + dim);
        float[] best = new float[n];
        Arrays.fill(best, Float.POSITIVE_INFINITY);
        for (int j = 1; j < k; j++) {
            float[] prev = c[j - 1];
            IntStream.range(0, n).parallel().forEach(i -> {
                float d = seedDistance(data, train[i], prev);
                if (d < best[i]) best[i] = d;
            });
            double total = 0;
            for (float b : best) total += b;
            int pick;
            if (total <= 0) {
                pick = rnd.nextInt(n);
            } else {
                double r = rnd.nextDouble() * total;
                pick = n - 1;
                for (int i = 0; i < n; i++) {
                    r -= best[i];
                    if (r <= 0) {
                        pick = i;
                        break;
                    }
                }
            }
            c[j] = Arrays.copyOfRange(data, train[pick] * dim, train[pick] * dim + dim);
        }
        return c;
    }

    /** Non-negative distance for seeding weights (squared L2 works for every metric here). */
    private float seedDistance(float[] data, int row, float[] centroid) {
        float s = 0;
        int off = row * dim;
        for (int d = 0; d < dim; d++) {
            float x = data[off + d] - centroid[d];
            s += x * x;
        }
        return s;
    }

    /**
     * Assigns each row to the centroid minimizing {@code dist + penalty·count}; returns the mean
     * distance (before penalty) so the caller can scale the penalty.
     */
    private double assignAll(float[] data, int[] rows, float[][] centroids, int[] counts, int[] out, double lambda) {
        int k = centroids.length;
        double[] penalty = new double[k];
        if (lambda > 0) {
            double meanD = sampleMeanDistance(data, rows, centroids);
            double target = Math.max(1.0, rows.length / (double) k);
            for (int c = 0; c < k; c++) penalty[c] = lambda * meanD * counts[c] / target;
        }
        double total = IntStream.range(0, rows.length).parallel().mapToDouble(i -> {
            int off = rows[i] * dim;
            float bestCost = Float.POSITIVE_INFINITY;
            float bestDist = 0;
            int best = 0;
            for (int c = 0; c < k; c++) {
                float d = ruleDistance(data, off, centroids[c]);
                float cost = (float) (d + penalty[c]);
                if (cost < bestCost) {
                    bestCost = cost;
                    bestDist = d;
                    best = c;
                }
            }
            out[i] = best;
            return bestDist;
        }).sum();
        return rows.length == 0 ? 0 : total / rows.length;
    }

    private double sampleMeanDistance(float[] data, int[] rows, float[][] centroids) {
        int step = Math.max(1, rows.length / 512);
        double s = 0;
        int m = 0;
        for (int i = 0; i < rows.length; i += step) {
            float best = Float.POSITIVE_INFINITY;
            for (float[] c : centroids) best = Math.min(best, ruleDistance(data, rows[i] * dim, c));
            s += best;
            m++;
        }
        return m == 0 ? 0 : s / m;
    }

    /** Non-negative distance used for assignment: the metric's ratio distance, squared L2 for dot products. */
    private float ruleDistance(float[] data, int off, float[] centroid) {
        if (metric == VectorMetric.DOT_PRODUCT) return kernels.squaredL2(data, off, centroid, 0, dim);
        return metric.ratioDistance(kernels.distance(metric.kernelMetric(), data, off, centroid, 0, dim));
    }

    private float[] mean(float[] data, int[] rows, int[] assign, int cluster) {
        float[] m = new float[dim];
        int count = 0;
        for (int i = 0; i < rows.length; i++) {
            if (assign != null && assign[i] != cluster) continue;
            int off = rows[i] * dim;
            for (int d = 0; d < dim; d++) m[d] += data[off + d];
            count++;
        }
        if (count > 0) for (int d = 0; d < dim; d++) m[d] /= count;
        normalizeIfCosine(m);
        return m;
    }

    /** The mean of the given rows (normalized for cosine): a leaf's head. */
    public float[] centroidOf(float[] data, int[] rows) {
        return mean(data, rows, null, 0);
    }

    private void normalizeIfCosine(float[] v) {
        if (metric != VectorMetric.COSINE_DISTANCE) return;
        double n = 0;
        for (float x : v) n += (double) x * x;
        if (n == 0) return;
        float inv = (float) (1 / Math.sqrt(n));
        for (int i = 0; i < v.length; i++) v[i] *= inv;
    }
}
