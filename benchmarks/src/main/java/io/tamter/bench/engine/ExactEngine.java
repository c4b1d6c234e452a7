package io.tamter.bench.engine;

import io.tamter.bench.data.GroundTruth;
import io.tamter.node.vector.VectorMetric;
import java.util.Map;

/** Brute force over the live vectors: recall 1 by construction, the floor every index must beat on speed. */
public final class ExactEngine implements AnnEngine {
    private final VectorMetric metric;
    private float[][] vectors = new float[0][];
    private boolean[] live = new boolean[0];

    public ExactEngine(VectorMetric metric) {
        this.metric = metric;
    }

    @Override
    public String name() {
        return "exact";
    }

    @Override
    public Map<String, Object> params() {
        return Map.of();
    }

    @Override
    public void build(float[][] data, int[] ids) {
        vectors = new float[0][];
        live = new boolean[0];
        for (int id : ids) insert(id, data[id]);
    }

    private void ensure(int id) {
        if (id >= vectors.length) {
            int n = Math.max(id + 1, vectors.length * 2);
            vectors = java.util.Arrays.copyOf(vectors, n);
            live = java.util.Arrays.copyOf(live, n);
        }
    }

    @Override
    public void insert(int id, float[] v) {
        ensure(id);
        vectors[id] = metric.prepare(v);
        live[id] = true;
    }

    @Override
    public void delete(int id) {
        if (id < live.length) {
            live[id] = false;
            vectors[id] = null;
        }
    }

    @Override
    public int[] search(float[] q, int k) {
        return GroundTruth.compute(vectors, live, new float[][] {q}, k, prepared())[0];
    }

    /** Stored vectors are already prepared; compare them as stored. */
    private VectorMetric prepared() {
        return metric == VectorMetric.COSINE_DISTANCE ? VectorMetric.DOT_PRODUCT : metric;
    }

    /** Exact top-k for many queries at once (parallel): the ground truth of the stream bench. */
    public int[][] searchAll(float[][] queries, int k) {
        float[][] q = new float[queries.length][];
        for (int i = 0; i < q.length; i++) q[i] = metric.prepare(queries[i]);
        return GroundTruth.compute(vectors, live, q, k, prepared());
    }

    public boolean[] liveMask() {
        return live;
    }

    @Override
    public void close() {
        vectors = null;
    }
}
