package io.tamter.bench.engine;

import io.github.jbellis.jvector.graph.GraphIndexBuilder;
import io.github.jbellis.jvector.graph.GraphSearcher;
import io.github.jbellis.jvector.graph.RandomAccessVectorValues;
import io.github.jbellis.jvector.graph.SearchResult;
import io.github.jbellis.jvector.graph.similarity.BuildScoreProvider;
import io.github.jbellis.jvector.graph.similarity.DefaultSearchScoreProvider;
import io.github.jbellis.jvector.util.Bits;
import io.github.jbellis.jvector.vector.VectorSimilarityFunction;
import io.github.jbellis.jvector.vector.VectorizationProvider;
import io.github.jbellis.jvector.vector.types.VectorFloat;
import io.github.jbellis.jvector.vector.types.VectorTypeSupport;
import io.tamter.node.vector.VectorMetric;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JVector's graph index (DiskANN/Vamana with an HNSW-style hierarchy), in memory: graph only, no
 * quantization, vectors on the heap. A re-inserted id gets a fresh graph ordinal (JVector does not
 * replace a node's vector); deleted ordinals are marked and removed from the graph once they are a
 * fifth of it. {@code ef} (the search beam) is the search knob.
 */
public final class JVectorEngine implements AnnEngine {
    private static final VectorTypeSupport VTS = VectorizationProvider.getInstance().getVectorTypeSupport();

    private final int dim;
    private final int maxDegree;
    private final int beamWidth;
    private final VectorSimilarityFunction vsf;
    private final Ravv ravv = new Ravv();
    private GraphIndexBuilder builder;
    private GraphSearcher searcher;
    private int[] ordToId = new int[1024];
    private int[] idToOrd = new int[1024];
    private boolean[] liveOrd = new boolean[1024];
    private int nextOrd;
    private int deletedOrds;
    private int ef = 100;
    private final Bits live = i -> i < liveOrd.length && liveOrd[i];

    public JVectorEngine(VectorMetric metric, int dim, int maxDegree, int beamWidth) {
        this.dim = dim;
        this.maxDegree = maxDegree;
        this.beamWidth = beamWidth;
        this.vsf = switch (metric) {
            case EUCLIDEAN_SQUARED -> VectorSimilarityFunction.EUCLIDEAN;
            case COSINE_DISTANCE -> VectorSimilarityFunction.COSINE;
            case DOT_PRODUCT -> VectorSimilarityFunction.DOT_PRODUCT;
        };
        reset();
    }

    private void reset() {
        if (builder != null) close();
        ravv.vectors = new VectorFloat<?>[1024];
        Arrays.fill(idToOrd, -1);
        nextOrd = 0;
        deletedOrds = 0;
        liveOrd = new boolean[1024];
        builder = new GraphIndexBuilder(BuildScoreProvider.randomAccessScoreProvider(ravv, vsf), dim, maxDegree, beamWidth, 1.2f, 1.2f, true, true);
        searcher = null;
    }

    @Override
    public String name() {
        return "jvector";
    }

    @Override
    public Map<String, Object> params() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("M", maxDegree);
        p.put("beam_width", beamWidth);
        p.put("ef", ef);
        return p;
    }

    private int newOrd(int id, float[] v) {
        int ord = nextOrd++;
        if (ord >= ravv.vectors.length) {
            int n = ravv.vectors.length * 2;
            ravv.vectors = Arrays.copyOf(ravv.vectors, n);
            ordToId = Arrays.copyOf(ordToId, n);
            liveOrd = Arrays.copyOf(liveOrd, n);
        }
        if (id >= idToOrd.length) {
            int old = idToOrd.length;
            idToOrd = Arrays.copyOf(idToOrd, Math.max(id + 1, old * 2));
            Arrays.fill(idToOrd, old, idToOrd.length, -1);
        }
        ravv.vectors[ord] = VTS.createFloatVector(v.clone());
        ordToId[ord] = id;
        idToOrd[id] = ord;
        liveOrd[ord] = true;
        return ord;
    }

    @Override
    public void build(float[][] vectors, int[] ids) {
        reset();
        for (int id : ids) newOrd(id, vectors[id]);
        builder.build(ravv);
        searcher = null;
    }

    @Override
    public void insert(int id, float[] vector) {
        if (id < idToOrd.length && idToOrd[id] >= 0) delete(id);
        int ord = newOrd(id, vector);
        builder.addGraphNode(ord, ravv.vectors[ord]);
    }

    @Override
    public void delete(int id) {
        if (id >= idToOrd.length || idToOrd[id] < 0) return;
        int ord = idToOrd[id];
        idToOrd[id] = -1;
        liveOrd[ord] = false;
        builder.markNodeDeleted(ord);
        if (++deletedOrds > Math.max(1000, (nextOrd - deletedOrds) / 5)) {
            builder.removeDeletedNodes();
            deletedOrds = 0;
        }
    }

    @Override
    public int[] search(float[] query, int k) {
        if (searcher == null) searcher = new GraphSearcher(builder.getGraph());
        SearchResult r = searcher.search(DefaultSearchScoreProvider.exact(VTS.createFloatVector(query), vsf, ravv), k,
                Math.max(k, ef), 0f, 0f, live);
        SearchResult.NodeScore[] nodes = r.getNodes();
        int[] out = new int[Math.min(k, nodes.length)];
        for (int i = 0; i < out.length; i++) out[i] = ordToId[nodes[i].node];
        return out;
    }

    @Override
    public List<Map<String, Object>> searchSweep() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int e : new int[] {10, 20, 40, 60, 100, 150, 200, 300}) out.add(Map.of("ef", e));
        return out;
    }

    @Override
    public void applySearchParams(Map<String, Object> p) {
        if (p.containsKey("ef")) ef = ((Number) p.get("ef")).intValue();
    }

    @Override
    public void close() {
        try {
            if (searcher != null) searcher.close();
            builder.close();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The vectors by ordinal; removed ordinals keep their vector (the graph may still read it). */
    private final class Ravv implements RandomAccessVectorValues {
        VectorFloat<?>[] vectors;

        @Override
        public int size() {
            return nextOrd;
        }

        @Override
        public int dimension() {
            return dim;
        }

        @Override
        public VectorFloat<?> getVector(int node) {
            return vectors[node];
        }

        @Override
        public boolean isValueShared() {
            return false;
        }

        @Override
        public RandomAccessVectorValues copy() {
            return this;
        }
    }
}
