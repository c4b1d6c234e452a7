package io.tamter.node.index.spann;

import io.tamter.kernels.Metric;
import io.tamter.kernels.VectorKernels;
import io.tamter.node.vector.VectorMetric;

/**
 * Chooses the postings a vector is written to (SPANN §3.2, SPFRESH.md "Insert"): walk the
 * candidate heads nearest first and take head {@code c_j} unless
 * <ul>
 *   <li>closure: {@code d(x,c_j) > (1+ε₁)·d(x,c_1)} — it is too far compared with the nearest
 *       (candidates are sorted, so the walk stops there), or</li>
 *   <li>RNG: some already chosen {@code c_i} has {@code rng·d(c_i,c_j) < d(x,c_j)} — {@code c_j}
 *       lies behind {@code c_i} as seen from x, so a query near x reaching c_j would reach c_i
 *       first; replicating there buys little recall for its cost;</li>
 * </ul>
 * and stop at {@code replica_count}.
 *
 * <p>The rules compare distances as magnitudes: squared L2 for euclidean, {@code 1 - cos} for
 * cosine (heads are unit vectors there), and squared L2 for dot-product namespaces, whose
 * negated inner products are not magnitudes (the candidates still come ranked by dot product).
 */
public final class ReplicaSelector {
    private final VectorMetric metric;
    private final VectorKernels kernels;
    private final int replicaCount;
    private final float closure;
    private final float rng;

    public ReplicaSelector(VectorMetric metric, VectorKernels kernels, int replicaCount, double closureEpsilon, double rngFactor) {
        this.metric = metric;
        this.kernels = kernels;
        this.replicaCount = replicaCount;
        this.closure = (float) (1.0 + closureEpsilon);
        this.rng = (float) rngFactor;
    }

    /** A rule distance between two stored vectors. */
    public float ruleDistance(float[] a, float[] b) {
        if (metric == VectorMetric.DOT_PRODUCT) return kernels.squaredL2(a, 0, b, 0, a.length);
        return metric.ratioDistance(kernels.distance(metric.kernelMetric(), a, 0, b, 0, a.length));
    }

    /** The rule distance of a candidate whose kernel distance to x is known. */
    private float ruleDistance(float kernelDistance, float[] x, float[] centroid) {
        if (metric == VectorMetric.DOT_PRODUCT) return kernels.squaredL2(x, 0, centroid, 0, x.length);
        return metric.ratioDistance(kernelDistance);
    }

    /**
     * @param x          the (prepared) vector
     * @param candIds    candidate head ids sorted by distance to x, nearest first
     * @param candDists  their kernel distances to x
     * @param n          number of candidates
     * @param centroids  access to candidate centroids
     * @param out        receives the chosen head ids (length ≥ replica_count)
     * @return how many heads were chosen (≥ 1 when n ≥ 1)
     */
    public int select(float[] x, int[] candIds, float[] candDists, int n, CentroidLookup centroids, int[] out) {
        if (n == 0) return 0;
        float[][] chosenCentroids = new float[replicaCount][];
        float d1 = ruleDistance(candDists[0], x, centroids.centroid(candIds[0]));
        int m = 0;
        for (int j = 0; j < n && m < replicaCount; j++) {
            float[] cj = centroids.centroid(candIds[j]);
            if (cj == null) continue;
            float dj = ruleDistance(candDists[j], x, cj);
            if (m > 0 && dj > closure * d1) {
                // sorted by the metric; for dot products the rule geometry differs, so keep walking
                if (metric != VectorMetric.DOT_PRODUCT) break;
                continue;
            }
            boolean blocked = false;
            for (int i = 0; i < m && !blocked; i++) {
                if (rng * ruleDistance(chosenCentroids[i], cj) < dj) blocked = true;
            }
            if (blocked) continue;
            chosenCentroids[m] = cj;
            out[m++] = candIds[j];
        }
        return m;
    }

    /**
     * Whether {@code current} passes the closure rule for x: its rule distance is within
     * {@code (1+ε)} of the nearest candidate's. LIRE uses this as its hysteresis (see
     * {@code SpannCore#place}).
     */
    public boolean withinClosure(float[] x, float nearestKernelDistance, float[] nearest, float[] current) {
        float d1 = ruleDistance(nearestKernelDistance, x, nearest);
        return ruleDistance(x, current) <= closure * d1;
    }

    /** Looks up a head's centroid (null when the head is gone). */
    public interface CentroidLookup {
        float[] centroid(int headId);
    }

    /** The closure limit as a ratio of rule distances, {@code 1 + ε₁}. */
    public double closure() {
        return closure;
    }

    public Metric kernelMetric() {
        return metric.kernelMetric();
    }
}
