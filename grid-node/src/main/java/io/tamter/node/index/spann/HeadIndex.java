package io.tamter.node.index.spann;

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
import io.tamter.kernels.Metric;
import io.tamter.kernels.VectorKernels;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The heads (posting centroids) of one shard, in memory, in a JVector graph that supports
 * concurrent add and delete (SPFRESH.md: "do not write a graph index by hand").
 *
 * <p>Head ids are the graph's ordinals. They are never reused, so a retired head's ordinal
 * stays marked deleted until {@link #compact()} removes it from the graph; its vector is then
 * replaced by a shared zero vector (JVector may still read any ordinal below the upper bound).
 * {@link #nearest} asks the graph for {@code overquery} times more candidates than wanted and
 * ranks them by exact kernel distance; with few heads it scans them all instead.
 *
 * <p>Thread safety: adds, removes and searches run concurrently; {@link #compact()} excludes
 * adds and graph searches (JVector's removal of deleted nodes must not race them), and after a
 * compaction; every head search uses a new {@code GraphSearcher} (see {@link #searcher()}).
 */
public final class HeadIndex implements AutoCloseable {
    private static final VectorTypeSupport VTS = VectorizationProvider.getInstance().getVectorTypeSupport();
    private static final int CHUNK_BITS = 12;
    private static final int CHUNK = 1 << CHUNK_BITS;
    /**
     * Up to this many centroid floats (live heads × dim) {@link #nearest} scans the packed
     * centroids exactly instead of searching the graph ({@code index.head_scan_floats}). Measured
     * here (2 cores, AVX2, Gaussian heads, 32 nearest of each query, machine busy): dim 64 — 4,000
     * heads 102 µs by scan against 759 µs through the graph, 16,000 heads 343 against 722 µs,
     * 32,000 heads 742 against 1,609 µs; dim 128 — 8,000 heads 131 against 349 µs, 32,000 heads
     * 2,606 against 2,344 µs. The graph only wins past ~4M floats; the default scans up to 2M
     * (8 MB, well inside the L3 cache). The head search runs on every insert and on every LIRE
     * re-check: on the clustered-shift runbook it was 92 % of the rebalancer's time with the
     * graph taking over at 2,048 heads (the earlier, count-based limit).
     */
    private final long scanFloats;

    /** One head: its centroid and what the index knows of its posting. */
    public static final class Head {
        public final int id;
        public final float[] centroid;
        final VectorFloat<?> jv;
        /** Entries in the posting (live and stale), as last written or read. */
        volatile int length;
        /** Live entries when the posting was last read, -1 if unknown. */
        volatile int liveLength = -1;
        /** Value of the index's version-bump counter when live entries were last counted. */
        volatile long checkedAtBumps;
        /**
         * The posting length at which a split last found nothing to split on (every live vector
         * the same), -1 if none: reads of the posting do not ask again until its length changes,
         * or every search that read it would set off the same futile k-means.
         */
        public volatile int splitDeclinedAt = -1;

        Head(int id, float[] centroid, int length) {
            this.id = id;
            this.centroid = centroid;
            this.jv = VTS.createFloatVector(centroid);
            this.length = length;
        }

        public int length() {
            return length;
        }
    }

    private final int dim;
    private final Metric metric;
    private final VectorKernels kernels;
    private final float overquery;
    private final VectorFloat<?> zero;
    private volatile Head[][] chunks = new Head[1][];
    private final Object growLock = new Object();
    private final AtomicInteger live = new AtomicInteger();
    private final AtomicInteger upperBound = new AtomicInteger();
    private final AtomicInteger retiredInGraph = new AtomicInteger();
    private final Ravv ravv = new Ravv();
    private final GraphIndexBuilder builder;
    private final ReentrantReadWriteLock compactLock = new ReentrantReadWriteLock();
    private final Bits aliveBits = this::isAlive;
    private final Object slotLock = new Object();
    private final java.util.concurrent.atomic.AtomicLong graphShortfalls = new java.util.concurrent.atomic.AtomicLong();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HeadIndex.class);

    public HeadIndex(int dim, Metric metric, VectorKernels kernels, int degree, int beam, double overquery) {
        this(dim, metric, kernels, degree, beam, overquery, io.tamter.config.Params.HEAD_SCAN_FLOATS.defaultValue());
    }

    /** With {@code scanFloats}: see {@link #scanFloats}; tests pass a small one to exercise the graph. */
    public HeadIndex(int dim, Metric metric, VectorKernels kernels, int degree, int beam, double overquery, long scanFloats) {
        this.dim = dim;
        this.scanFloats = scanFloats;
        this.metric = metric;
        this.kernels = kernels;
        this.overquery = (float) overquery;
        this.zero = VTS.createFloatVector(new float[dim]);
        chunks[0] = new Head[CHUNK];
        // L2 ranks by squared distance; DOT (also used for cosine on unit vectors) by inner product.
        VectorSimilarityFunction vsf = metric == Metric.L2 ? VectorSimilarityFunction.EUCLIDEAN : VectorSimilarityFunction.DOT_PRODUCT;
        BuildScoreProvider bsp = BuildScoreProvider.randomAccessScoreProvider(ravv, vsf);
        this.builder = new GraphIndexBuilder(bsp, dim, degree, beam, 1.2f, 1.2f, true, false);
        this.vsf = vsf;
    }

    private final VectorSimilarityFunction vsf;

    public int dim() {
        return dim;
    }

    /** Number of live heads. */
    public int size() {
        return live.get();
    }

    /** One past the largest head id ever added. */
    public int upperBound() {
        return upperBound.get();
    }

    public Head get(int id) {
        Head[][] c = chunks;
        int ci = id >>> CHUNK_BITS;
        if (id < 0 || ci >= c.length || c[ci] == null) return null;
        return c[ci][id & (CHUNK - 1)];
    }

    public boolean isAlive(int id) {
        return get(id) != null;
    }

    /** Adds a head (its id must be new) and links it into the graph. */
    public Head add(int id, float[] centroid, int length) {
        if (centroid.length != dim) throw new IllegalArgumentException("head " + id + " has " + centroid.length + " dims, index has " + dim);
        Head h = new Head(id, centroid, length);
        synchronized (slotLock) {
            if (get(id) != null) throw new IllegalStateException("head " + id + " already exists");
            put(id, h);
            upperBound.accumulateAndGet(id + 1, Math::max);
            live.incrementAndGet();
            modCount.incrementAndGet();
        }
        compactLock.readLock().lock();
        try {
            builder.addGraphNode(id, h.jv);
        } finally {
            compactLock.readLock().unlock();
        }
        return h;
    }

    /** Removes a head: it stops being returned at once and leaves the graph at the next {@link #compact()}. */
    public void remove(int id) {
        Head h;
        synchronized (slotLock) { // two removers of one id must not both count it
            h = get(id);
            if (h == null) return;
            retired.set(id, h.jv); // keep the vector readable by the graph until compaction
            put(id, null);
            live.decrementAndGet();
            modCount.incrementAndGet();
        }
        retiredInGraph.incrementAndGet();
        compactLock.readLock().lock();
        try {
            builder.markNodeDeleted(id);
        } finally {
            compactLock.readLock().unlock();
        }
    }

    private final RetiredVectors retired = new RetiredVectors();

    /** Vectors of removed heads that the graph may still traverse until compaction. */
    private final class RetiredVectors {
        private final java.util.concurrent.ConcurrentHashMap<Integer, VectorFloat<?>> map = new java.util.concurrent.ConcurrentHashMap<>();

        void set(int id, VectorFloat<?> v) {
            map.put(id, v);
        }

        VectorFloat<?> get(int id) {
            return map.get(id);
        }

        void clear() {
            map.clear();
        }
    }

    /** Physically removes deleted heads from the graph when they are a sizeable fraction of it. */
    public void compactIfWorthIt() {
        if (retiredInGraph.get() > Math.max(64, live.get() / 8)) compact();
    }

    public void compact() {
        compactLock.writeLock().lock();
        try {
            builder.removeDeletedNodes();
            retiredInGraph.set(0);
            retired.clear();
        } finally {
            compactLock.writeLock().unlock();
        }
    }

    private void put(int id, Head h) {
        int ci = id >>> CHUNK_BITS;
        Head[][] c = chunks;
        if (ci >= c.length || c[ci] == null) {
            synchronized (growLock) {
                c = chunks;
                if (ci >= c.length) c = Arrays.copyOf(c, Math.max(ci + 1, c.length * 2));
                if (c[ci] == null) c[ci] = new Head[CHUNK];
                chunks = c;
            }
        }
        c[ci][id & (CHUNK - 1)] = h;
    }

    /**
     * The {@code n} nearest live heads to {@code q} by exact kernel distance, ascending.
     *
     * @return how many were written to {@code outIds}/{@code outDists} (≤ n)
     */
    public int nearest(float[] q, int n, int[] outIds, float[] outDists) {
        int liveNow = live.get();
        if (liveNow == 0 || n <= 0) return 0;
        if (liveNow <= 2 * n || (long) liveNow * dim <= scanFloats) return bruteForce(q, n, outIds, outDists);
        int want = Math.min(liveNow, (int) Math.ceil(n * overquery));
        SearchResult r;
        // JVector's removal of deleted nodes rewrites neighbour lists: no graph search may run meanwhile
        compactLock.readLock().lock();
        try (GraphSearcher gs = searcher()) {
            r = gs.search(DefaultSearchScoreProvider.exact(VTS.createFloatVector(q), vsf, ravv), want, aliveBits);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            compactLock.readLock().unlock();
        }
        SearchResult.NodeScore[] nodes = r.getNodes();
        int m = 0;
        int[] ids = new int[nodes.length];
        float[] ds = new float[nodes.length];
        for (SearchResult.NodeScore ns : nodes) {
            Head h = get(ns.node);
            if (h == null) continue; // removed after the graph returned it
            ids[m] = h.id;
            ds[m] = kernels.distance(metric, q, 0, h.centroid, 0, dim);
            m++;
        }
        if (m < Math.min(n, liveNow)) {
            // the graph came back short: seen in a streaming run once most heads had been removed
            // and re-added (recall fell to 0 and every insert became a singleton head). An exact
            // scan is always right; how often this happens is counted in graphShortfalls().
            if (graphShortfalls.incrementAndGet() == 1) {
                LOG.warn("head graph returned {} of {} wanted heads ({} live): scanning all heads; further shortfalls are only counted",
                        m, n, liveNow);
            }
            return bruteForce(q, n, outIds, outDists);
        }
        return sortTop(ids, ds, m, n, outIds, outDists);
    }

    /** How many graph searches returned too few heads and were answered by a scan instead. */
    public long graphShortfalls() {
        return graphShortfalls.get();
    }

    /**
     * A searcher over the graph as it is now. JVector's searcher only sees nodes whose insertion
     * had completed when it was created, and replacing its view ({@code setView}) was not enough
     * here (tested: a head added after a thread's first search stayed invisible, so inserts piled
     * into old postings once the head count passed the brute-force limit). A searcher per head
     * search costs a few small allocations, little next to the posting reads it leads to.
     */
    private GraphSearcher searcher() {
        return new GraphSearcher(builder.getGraph());
    }

    /**
     * The live heads' centroids packed row after row, for the exact scan: one kernel call over a
     * contiguous matrix instead of a call per head through the chunk table. Rebuilt on the first
     * scan after a head was added or removed ({@code modCount}); heads change at split and merge
     * rate, searches far more often.
     */
    private record Packed(long modCount, int[] ids, float[] matrix, int n) {}

    private final java.util.concurrent.atomic.AtomicLong modCount = new java.util.concurrent.atomic.AtomicLong();
    private volatile Packed packed = new Packed(-1, new int[0], new float[0], 0);
    private final ScratchPool<float[]> scanDists = ScratchPool.forCores(() -> new float[0]);

    private Packed packed() {
        Packed p = packed;
        long mc = modCount.get();
        if (p.modCount() == mc) return p;
        int ub = upperBound.get();
        int[] ids = new int[Math.max(16, live.get() + 16)];
        float[] m = new float[ids.length * dim];
        int n = 0;
        for (int id = 0; id < ub; id++) {
            Head h = get(id);
            if (h == null) continue;
            if (n == ids.length) {
                ids = Arrays.copyOf(ids, n * 2);
                m = Arrays.copyOf(m, n * 2 * dim);
            }
            ids[n] = id;
            System.arraycopy(h.centroid, 0, m, n * dim, dim);
            n++;
        }
        // a head added or removed meanwhile bumped modCount again: the next scan rebuilds
        p = new Packed(mc, ids, m, n);
        packed = p;
        return p;
    }

    private int bruteForce(float[] q, int n, int[] outIds, float[] outDists) {
        Packed p = packed();
        float[] ds = scanDists.take();
        if (ds.length < p.n()) ds = new float[p.ids().length];
        try {
            kernels.distances(metric, q, p.matrix(), 0, p.n(), dim, ds);
            return sortTop(p.ids(), ds, p.n(), n, outIds, outDists);
        } finally {
            scanDists.give(ds);
        }
    }

    /**
     * The {@code n} smallest of {@code m} (id, distance) pairs, ascending, into the out arrays:
     * a bounded max-heap over primitives (this runs on every insert and search), then a sort of
     * the n survivors.
     */
    static int sortTop(int[] ids, float[] ds, int m, int n, int[] outIds, float[] outDists) {
        int k = Math.min(n, m);
        int size = 0;
        for (int i = 0; i < m; i++) {
            float d = ds[i];
            if (size < k) {
                int j = size++;
                while (j > 0) { // sift up in a max-heap kept in outDists/outIds
                    int p = (j - 1) >>> 1;
                    if (outDists[p] >= d) break;
                    outDists[j] = outDists[p];
                    outIds[j] = outIds[p];
                    j = p;
                }
                outDists[j] = d;
                outIds[j] = ids[i];
            } else if (d < outDists[0]) {
                int j = 0;
                while (true) {
                    int l = 2 * j + 1;
                    if (l >= size) break;
                    int r = l + 1;
                    int c = (r < size && outDists[r] > outDists[l]) ? r : l;
                    if (outDists[c] <= d) break;
                    outDists[j] = outDists[c];
                    outIds[j] = outIds[c];
                    j = c;
                }
                outDists[j] = d;
                outIds[j] = ids[i];
            }
        }
        // heap-sort the survivors into ascending order
        for (int end = size - 1; end > 0; end--) {
            float td = outDists[0];
            int ti = outIds[0];
            float d = outDists[end];
            int id = outIds[end];
            outDists[end] = td;
            outIds[end] = ti;
            int j = 0;
            while (true) {
                int l = 2 * j + 1;
                if (l >= end) break;
                int r = l + 1;
                int c = (r < end && outDists[r] > outDists[l]) ? r : l;
                if (outDists[c] <= d) break;
                outDists[j] = outDists[c];
                outIds[j] = outIds[c];
                j = c;
            }
            outDists[j] = d;
            outIds[j] = id;
        }
        return k;
    }

    /** Calls {@code action} for every live head. */
    public void forEach(java.util.function.Consumer<Head> action) {
        int ub = upperBound.get();
        for (int id = 0; id < ub; id++) {
            Head h = get(id);
            if (h != null) action.accept(h);
        }
    }

    /** Heap bytes of the head structures: centroids and the graph, as JVector accounts it. */
    public long ramBytesUsed() {
        return (long) live.get() * (dim * 4L + 64) + builder.ramBytesUsed();
    }

    @Override
    public void close() {
        try {
            builder.close();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The vectors JVector reads by ordinal: live heads, then retired ones, then zero. */
    private final class Ravv implements RandomAccessVectorValues {
        @Override
        public int size() {
            return upperBound.get();
        }

        @Override
        public int dimension() {
            return dim;
        }

        @Override
        public VectorFloat<?> getVector(int node) {
            Head h = get(node);
            if (h != null) return h.jv;
            VectorFloat<?> r = retired.get(node);
            return r != null ? r : zero;
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
