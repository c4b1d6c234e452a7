package io.tamter.node.vector;

import io.tamter.kernels.Metric;
import java.util.Locale;

/**
 * The distance metric of a namespace, as API.md names it, and how it maps onto the kernels.
 *
 * <p>Cosine namespaces store and search unit vectors: a vector is normalized once on the way
 * in ({@link #prepare}), after which cosine distance is {@code 1 - dot}, i.e. {@code 1 + DOT}
 * in kernel terms, and ranking by squared L2 or by negated dot is the same ranking.
 */
public enum VectorMetric {
    COSINE_DISTANCE("cosine_distance", Metric.DOT, 1f),
    EUCLIDEAN_SQUARED("euclidean_squared", Metric.L2, 0f),
    DOT_PRODUCT("dot_product", Metric.DOT, 0f);

    private final String apiName;
    private final Metric kernelMetric;
    /** api distance = kernel distance + offset. */
    private final float offset;

    VectorMetric(String apiName, Metric kernelMetric, float offset) {
        this.apiName = apiName;
        this.kernelMetric = kernelMetric;
        this.offset = offset;
    }

    public String apiName() {
        return apiName;
    }

    public Metric kernelMetric() {
        return kernelMetric;
    }

    public static VectorMetric fromApiName(String name) {
        for (VectorMetric m : values()) if (m.apiName.equals(name)) return m;
        throw new IllegalArgumentException("distance_metric must be one of cosine_distance, euclidean_squared, dot_product; distance_metric="
                + name);
    }

    /** Short names used by the benchmark command line: l2, cosine, dot. */
    public static VectorMetric fromShortName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "l2", "euclidean", "euclidean_squared" -> EUCLIDEAN_SQUARED;
            case "cosine", "cosine_distance" -> COSINE_DISTANCE;
            case "dot", "ip", "dot_product" -> DOT_PRODUCT;
            default -> throw new IllegalArgumentException("metric must be l2, cosine or dot; metric=" + name);
        };
    }

    /**
     * The vector as the index stores it: a copy, normalized for cosine. A zero vector cannot be
     * normalized and is rejected for cosine.
     */
    public float[] prepare(float[] v) {
        float[] out = v.clone();
        if (this == COSINE_DISTANCE) {
            double n = 0;
            for (float x : out) n += (double) x * x;
            if (n == 0) throw new IllegalArgumentException("a zero vector has no cosine distance");
            float inv = (float) (1.0 / Math.sqrt(n));
            for (int i = 0; i < out.length; i++) out[i] *= inv;
        }
        return out;
    }

    /** The distance reported to users from a kernel distance. */
    public float apiDistance(float kernelDistance) {
        return kernelDistance + offset;
    }

    /** The kernel distance that corresponds to a user-facing distance (for thresholds). */
    public float kernelDistance(float apiDistance) {
        return apiDistance - offset;
    }

    /** API.md's score, higher is better: cosine similarity, negated distance, or the dot product. */
    public float score(float kernelDistance) {
        return switch (this) {
            case COSINE_DISTANCE -> -kernelDistance;        // 1 - (1 + DOT) = -DOT = cosine similarity
            case EUCLIDEAN_SQUARED -> -kernelDistance;
            case DOT_PRODUCT -> -kernelDistance;            // = dot product
        };
    }

    /**
     * Whether ratio-based pruning rules (closure assignment, query-aware pruning) apply: they
     * compare distances as non-negative magnitudes, which negated dot products are not.
     */
    public boolean nonNegativeDistances() {
        return this != DOT_PRODUCT;
    }

    /**
     * Whether kernel distances follow from Euclidean ones, so that the triangle inequality bounds
     * them: squared L2 itself, and cosine on unit vectors ({@code |a-b|^2 = 2 * (1 + kernel)}).
     * An inner product of vectors of any length has no such bound.
     */
    public boolean hasTriangleBound() {
        return this != DOT_PRODUCT;
    }

    /**
     * The Euclidean distance a kernel distance stands for, where {@link #hasTriangleBound} holds:
     * {@code sqrt} of squared L2, and {@code sqrt(2 * (1 + kernel))} for cosine on unit vectors.
     */
    public double euclidean(float kernelDistance) {
        if (!hasTriangleBound()) throw new IllegalStateException(apiName + " distances have no Euclidean form");
        return Math.sqrt(Math.max(0f, this == EUCLIDEAN_SQUARED ? kernelDistance : 2 * (1 + kernelDistance)));
    }

    /** Kernel distance turned into a non-negative quantity for ratio rules (cosine: 1 - cos ∈ [0, 2]). */
    public float ratioDistance(float kernelDistance) {
        return kernelDistance + offset;
    }
}
