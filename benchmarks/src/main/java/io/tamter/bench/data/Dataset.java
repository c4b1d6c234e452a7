package io.tamter.bench.data;

import io.tamter.node.vector.VectorMetric;

/**
 * Vectors to index and queries to ask, with the metric to compare them by. Row numbers are the
 * vector ids. {@code groundTruth} is the exact top-k per query (row numbers), or null until computed.
 */
public record Dataset(String name, VectorMetric metric, float[][] base, float[][] queries, int[][] groundTruth) {
    public int dim() {
        return base.length == 0 ? queries[0].length : base[0].length;
    }

    public long rawVectorBytes() {
        return (long) base.length * dim() * Float.BYTES;
    }

    public Dataset withGroundTruth(int[][] gt) {
        return new Dataset(name, metric, base, queries, gt);
    }

    public Dataset withQueries(float[][] q) {
        return new Dataset(name, metric, base, q, null);
    }
}
