package io.tamter.node.index.spann;

import io.tamter.kernels.VectorKernels;
import io.tamter.node.vector.VectorMetric;

/**
 * The {@code size} heads nearest a point, packed, for finding the nearest heads of many vectors
 * that lie near that point — a posting's vectors near its head, a split's members and its
 * neighbours' vectors near the old head — without a search over all heads per vector.
 *
 * <p>Why: LIRE re-checks a vector by finding its {@code head_candidates} nearest heads and
 * applying the replica rules; a split re-checks a few hundred vectors, a scrub a posting's worth.
 * On the clustered-shift runbook those head searches were 92 % of the rebalancer's time, and the
 * rebalancer fell minutes behind the writes.
 *
 * <p>Exact, by the triangle inequality: with c the centre, R the distance from c to the farthest
 * head kept (every head nearer c than R is kept) and δ = |x − c|, a head h left out has
 * |x − h| ≥ |c − h| − δ ≥ R − δ. So when the {@code want}-th nearest kept head is within R − δ
 * of x, no head left out can be nearer and the answer is the same as a search over all heads
 * (an exact scan; the graph is approximate). The replica rules read only a prefix of that list:
 * the walk stops at the first candidate past the closure limit ({@code (1+ε₁)} times the
 * nearest's rule distance, a squared Euclidean distance for both metrics, so
 * {@code sqrt(1+ε₁)·|x − c₁|} in Euclidean terms). So it is enough that the prefix up to that
 * limit is proven: every head within it is kept, the heads past it that the list shows instead of
 * the true ones are never read. Otherwise {@link #nearest} answers -1 and the caller searches
 * all heads. (Asking for the whole list of {@code head_candidates} proved only 19 % of the
 * re-checks on the clustered-shift runbook; the closure prefix proves most.) Distances are Euclidean: squared L2 kernels directly, cosine through
 * |a − b|² = 2 (1 + kernel) on unit vectors; a raw inner product has no such bound and gets no
 * neighbourhood ({@link SpannCore#neighbourhood}). The heads kept come from
 * {@link HeadIndex#nearest}, exact up to {@code index.head_scan_floats}; past it the graph may
 * miss a head, and the answer is then as approximate as the graph's own.
 *
 * <p>A snapshot: heads removed later are skipped; heads added later (a concurrent split on
 * another rebalancer thread) are not seen, the same window a full head search has between
 * searching and locking, which {@code place} closes by re-checking the chosen heads under their
 * locks. Not thread-safe (one per rebalancer operation).
 */
public final class HeadNeighbourhood {
    private final HeadIndex heads;
    private final VectorKernels kernels;
    private final VectorMetric metric;
    private final int dim;
    private final float[] center;
    private final int[] ids;
    private final float[] matrix;
    private final int n;
    /** Euclidean distance from the centre to the farthest head kept; infinite when every head is kept. */
    private final double radius;
    private final float[] ds;
    private long exact;
    private long fallbacks;

    private HeadNeighbourhood(HeadIndex heads, VectorKernels kernels, VectorMetric metric, float[] center, int size) {
        this.heads = heads;
        this.kernels = kernels;
        this.metric = metric;
        this.dim = heads.dim();
        this.center = center;
        int[] found = new int[size];
        float[] foundDs = new float[size];
        int m = heads.nearest(center, size, found, foundDs);
        int[] keep = new int[m];
        float[] mat = new float[m * dim];
        int k = 0;
        for (int i = 0; i < m; i++) {
            HeadIndex.Head h = heads.get(found[i]);
            if (h == null) continue;
            keep[k] = h.id;
            System.arraycopy(h.centroid, 0, mat, k * dim, dim);
            k++;
        }
        this.ids = keep;
        this.matrix = mat;
        this.n = k;
        // fewer found than asked: every live head is in the set
        this.radius = m < size ? Double.POSITIVE_INFINITY : metric.euclidean(foundDs[m - 1]);
        this.ds = new float[Math.max(1, k)];
    }

    /** The neighbourhood of {@code center}; the caller checks that the metric has a triangle bound. */
    static HeadNeighbourhood around(HeadIndex heads, VectorKernels kernels, VectorMetric metric, float[] center, int size) {
        return new HeadNeighbourhood(heads, kernels, metric, center, size);
    }

    /**
     * The {@code want} nearest live heads of {@code x} ascending, as {@link HeadIndex#nearest}
     * writes them, when the neighbourhood proves them exact up to {@code closure} (a ratio of rule
     * distances, see the class comment; infinite for the whole list); else -1 (search all heads).
     */
    int nearest(float[] x, int want, int[] outIds, float[] outDists, double closure) {
        if (n == 0) return -1;
        kernels.distances(metric.kernelMetric(), x, matrix, 0, n, dim, ds);
        for (int i = 0; i < n; i++) if (!heads.isAlive(ids[i])) ds[i] = Float.POSITIVE_INFINITY; // merged or split since
        int m = HeadIndex.sortTop(ids, ds, n, want, outIds, outDists);
        while (m > 0 && outDists[m - 1] == Float.POSITIVE_INFINITY) m--;
        boolean proven;
        if (radius == Double.POSITIVE_INFINITY) {
            proven = true; // every head is here
        } else if (m < want) {
            proven = false;
        } else {
            double delta = Math.sqrt(Math.max(0f, kernels.squaredL2(x, 0, center, 0, dim)));
            double needed = Math.min(metric.euclidean(outDists[m - 1]), Math.sqrt(closure) * metric.euclidean(outDists[0]));
            // shave by more than float rounding can move the distances compared
            proven = needed * (1 + 1e-5) <= radius - delta;
        }
        if (proven) {
            exact++;
            return m;
        }
        fallbacks++;
        return -1;
    }

    /** Lookups answered here, and those sent to the full head search. */
    public long exactCount() {
        return exact;
    }

    public long fallbackCount() {
        return fallbacks;
    }

}
