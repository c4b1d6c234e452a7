package io.tamter.kernels;

/**
 * The distance the kernels compute. Smaller is closer for both.
 * <ul>
 *   <li>{@link #L2}: squared Euclidean distance {@code sum((a_i - b_i)^2)}.</li>
 *   <li>{@link #DOT}: negated inner product {@code -sum(a_i * b_i)}. Cosine distance is
 *       {@code 1 + DOT} on unit vectors; the index normalizes vectors for cosine namespaces.</li>
 * </ul>
 */
public enum Metric {
    L2(0),
    DOT(1);

    /** The code the C kernels use for this metric. */
    public final int code;

    Metric(int code) {
        this.code = code;
    }
}
