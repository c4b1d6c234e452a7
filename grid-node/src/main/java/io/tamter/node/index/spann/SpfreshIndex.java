package io.tamter.node.index.spann;

import io.tamter.config.Settings;
import io.tamter.kernels.Kernels;
import io.tamter.kernels.VectorKernels;
import io.tamter.node.index.lire.Rebalancer;
import io.tamter.node.index.spann.IndexMetaCodec.Meta;
import io.tamter.node.index.spann.IndexMetaCodec.State;
import io.tamter.node.storage.ShardDb;
import io.tamter.node.vector.VectorMetric;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.IntToLongFunction;
import java.util.stream.IntStream;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SPFresh vector index of one shard: SPANN layout (heads in memory, postings in RocksDB),
 * kept fresh by the LIRE rebalancer. See {@code package-info} and SPFRESH.md.
 *
 * <p>Vectors are identified by a dense, non-negative {@code vid} chosen by the caller (the
 * shard's document store assigns them). {@link #insert} is an upsert; {@link #delete} makes
 * every entry of the vid stale. Both are durable in RocksDB when they return. Searches see
 * every completed write. Everything is restored by {@link #open} from RocksDB alone.
 */
public final class SpfreshIndex implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SpfreshIndex.class);

    private final SpannCore core;
    private final SpannSearcher searcher;
    private final Rebalancer rebalancer;
    private final ShardDb ownedDb;

    private SpfreshIndex(SpannCore core, ShardDb ownedDb) {
        this.core = core;
        this.searcher = new SpannSearcher(core);
        this.rebalancer = new Rebalancer(core);
        this.ownedDb = ownedDb;
        core.setMaintenance(rebalancer);
    }

    /**
     * Opens the index stored in {@code db}, creating it when absent.
     *
     * @param metric the namespace's metric; must match a stored index
     * @param dim    vector dimensions; 0 to take them from a stored index
     */
    public static SpfreshIndex open(ShardDb db, VectorMetric metric, int dim, Settings settings) {
        return open(db, metric, dim, settings, null);
    }

    /** Opens (creating) a standalone index in its own directory; closing the index closes its database. */
    public static SpfreshIndex openStandalone(Path dir, VectorMetric metric, int dim, Settings settings) {
        ShardDb db = ShardDb.open(dir, settings);
        try {
            return open(db, metric, dim, settings, db);
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    private static SpfreshIndex open(ShardDb db, VectorMetric metric, int dim, Settings settings, ShardDb owned) {
        IndexParams params = IndexParams.from(settings);
        VectorKernels kernels = Kernels.get();
        SpannStorage storage = new SpannStorage(db);
        byte[] metaBytes = storage.meta();
        Meta meta;
        if (metaBytes == null) {
            if (dim <= 0) throw new IllegalArgumentException("no index in " + db.dir() + " and no dimensions given to create one");
            if (metric == null) throw new IllegalArgumentException("no index in " + db.dir() + " and no metric given to create one");
            meta = new Meta(State.FLAT, metric, dim, 0);
            try (SpannStorage.PostingBatch b = new SpannStorage.PostingBatch()) {
                SpannStorage.putMeta(b, db, IndexMetaCodec.encode(meta));
                // appends are blind merges, so the flat posting's header exists from the start
                SpannStorage.putPosting(b, db, SpannStorage.FLAT_HEAD, PostingCodec.header(dim));
                db.write(b);
            }
        } else {
            meta = IndexMetaCodec.decode(metaBytes);
            if (dim > 0 && dim != meta.dim()) {
                throw new IllegalArgumentException("index in " + db.dir() + " has " + meta.dim() + " dimensions, not " + dim);
            }
            if (metric != null && metric != meta.metric()) {
                throw new IllegalArgumentException("index in " + db.dir() + " uses " + meta.metric().apiName() + ", not " + metric.apiName());
            }
        }
        SpannCore core = new SpannCore(db, meta.metric(), meta.dim(), params, kernels, meta.state(), (int) meta.nextHeadId());
        long t0 = System.nanoTime();
        long[] live = {0};
        storage.forEachVersion((vid, v) -> {
            int slot = VersionMap.decode(vid, v);
            core.versions.set(vid, slot);
            if (!VersionMap.isDeleted(slot)) live[0]++;
        });
        core.liveCount.set(live[0]);
        if (meta.state() == State.BUILT) {
            SpannBuilder builder = new SpannBuilder(core);
            HeadIndex hs = builder.newHeadIndex();
            List<Object[]> loaded = new ArrayList<>();
            int[] maxId = {-1};
            storage.forEachHead((id, value) -> {
                HeadCodec.Head h = HeadCodec.decode(value, meta.dim(), id);
                loaded.add(new Object[] {(int) id, h});
                maxId[0] = Math.max(maxId[0], (int) id);
            });
            IntStream.range(0, loaded.size()).parallel().forEach(i -> {
                HeadCodec.Head h = (HeadCodec.Head) loaded.get(i)[1];
                hs.add((Integer) loaded.get(i)[0], h.centroid(), h.lengthHint());
            });
            core.heads = hs;
            core.nextHeadId.accumulateAndGet(maxId[0] + 1, Math::max);
        } else {
            byte[] flat = storage.posting(SpannStorage.FLAT_HEAD);
            core.flatLength.set(flat == null ? 0 : PostingCodec.count(flat, meta.dim(), SpannStorage.FLAT_HEAD));
        }
        LOG.info("opened SPFresh index in {}: {} live vectors, state {}, {} heads, {} ms", db.dir(), live[0], meta.state(),
                core.heads == null ? 0 : core.heads.size(), (System.nanoTime() - t0) / 1_000_000);
        SpfreshIndex index = new SpfreshIndex(core, owned);
        index.buildIfDue();
        return index;
    }

    public VectorMetric metric() {
        return core.metric;
    }

    public int dim() {
        return core.dim;
    }

    public long liveCount() {
        return core.liveCount.get();
    }

    /** The core, for the rebalancer, the integrity check and tests. */
    public SpannCore core() {
        return core;
    }

    /** Inserts or replaces the vector of {@code vid}. Durable when it returns. */
    public void insert(long vid, float[] vector) {
        checkVector(vector, "vector");
        if (vid < 0 || vid >= Integer.MAX_VALUE - 8) throw new IllegalArgumentException("vid must be in 0.." + (Integer.MAX_VALUE - 9) + "; vid=" + vid);
        if (core.insert(vid, core.metric.prepare(vector))) buildIfDue();
        else core.compactFlatIfWorthIt();
    }

    /** Deletes {@code vid}; returns whether it was live. Durable when it returns. */
    public boolean delete(long vid) {
        boolean was = core.delete(vid);
        core.compactFlatIfWorthIt();
        return was;
    }

    /** Whether {@code vid} is live. */
    public boolean contains(long vid) {
        return !VersionMap.isDeleted(core.versions.get(vid));
    }

    private void checkVector(float[] v, String field) {
        if (v == null) throw new IllegalArgumentException(field + " is missing");
        if (v.length != core.dim) throw new IllegalArgumentException(field + " has " + v.length + " dimensions, index has " + core.dim);
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) throw new IllegalArgumentException(field + "[" + i + "] is " + v[i] + "; vectors must be finite");
        }
    }

    private void buildIfDue() {
        if (core.state != State.FLAT || core.liveCount.get() < core.params.buildThreshold()) return;
        core.stateLock.writeLock().lock();
        try {
            if (core.state == State.FLAT && core.liveCount.get() >= core.params.buildThreshold()) new SpannBuilder(core).buildFromFlat();
        } finally {
            core.stateLock.writeLock().unlock();
        }
    }

    /**
     * Bulk-loads an empty index from {@code n} vectors (a static SPANN build: benchmarks and
     * large initial imports). Not atomic as a whole; see {@link SpannBuilder}.
     */
    public void bulkBuild(int n, IntToLongFunction vids, IntFunction<float[]> vectors) {
        core.stateLock.writeLock().lock();
        try {
            if (core.liveCount.get() != 0 || core.flatLength.get() != 0 || core.state != State.FLAT) {
                throw new IllegalStateException("bulkBuild needs an empty index");
            }
            new SpannBuilder(core).bulk(new SpannBuilder.Source() {
                @Override
                public int size() {
                    return n;
                }

                @Override
                public long vid(int i) {
                    return vids.applyAsLong(i);
                }

                @Override
                public float[] vector(int i) {
                    return vectors.apply(i);
                }
            });
        } finally {
            core.stateLock.writeLock().unlock();
        }
    }

    /**
     * Search options; use {@link #defaults} and the withers. {@code radiusFactor} is the radius
     * rule's factor (see {@link SpannSearcher}): 1 skips only postings the triangle inequality
     * proves useless, smaller values skip more. {@code targetRecall} above 0 makes {@code nprobe}
     * a cap and probes as deep as the index's own queries need ({@link ProbeCalibrator}); an
     * explicit {@link #withNprobe} sets it to 0 (that many postings, always).
     */
    public record SearchOptions(int k, int nprobe, double targetRecall, double epsilon, double radiusFactor, int patience, ByteBuffer filter,
                                long filterLimitBits, float maxDistance) {
        /** Probes {@code n} postings (fewer only by the radius, ε and patience rules): the adaptive depth is off. */
        public SearchOptions withNprobe(int n) {
            return new SearchOptions(k, n, 0, epsilon, radiusFactor, patience, filter, filterLimitBits, maxDistance);
        }

        /** Probes as deep as the index's queries need for this recall, {@code nprobe} the cap (0: always nprobe). */
        public SearchOptions withTargetRecall(double r) {
            return new SearchOptions(k, nprobe, r, epsilon, radiusFactor, patience, filter, filterLimitBits, maxDistance);
        }

        public SearchOptions withEpsilon(double e) {
            return new SearchOptions(k, nprobe, targetRecall, e, radiusFactor, patience, filter, filterLimitBits, maxDistance);
        }

        /** Stop after this many postings in a row left the top k unchanged (0: off); see {@link SpannSearcher}. */
        public SearchOptions withPatience(int p) {
            return new SearchOptions(k, nprobe, targetRecall, epsilon, radiusFactor, p, filter, filterLimitBits, maxDistance);
        }

        /** The radius rule's factor; 1 makes every skip exact (an exhaustive search then reads what can matter only). */
        public SearchOptions withRadiusFactor(double f) {
            return new SearchOptions(k, nprobe, targetRecall, epsilon, f, patience, filter, filterLimitBits, maxDistance);
        }

        /** Only vids whose bit is set in {@code bits} (little-endian 64-bit words) are returned. */
        public SearchOptions withFilter(ByteBuffer bits, long limitBits) {
            return new SearchOptions(k, nprobe, targetRecall, epsilon, radiusFactor, patience, bits, limitBits, maxDistance);
        }

        /** Only matches at most this far (in the metric's user-facing distance) are returned. */
        public SearchOptions withMaxDistance(float d) {
            return new SearchOptions(k, nprobe, targetRecall, epsilon, radiusFactor, patience, filter, filterLimitBits, d);
        }
    }

    public SearchOptions defaults(int k) {
        return new SearchOptions(k, core.params.nprobe(), core.params.probeTargetRecall(), core.params.searchEpsilon(), core.params.probeRadiusFactor(),
                core.params.probePatience(), null, 0, Float.NaN);
    }

    /** A match: the vid, the user-facing distance and score (see {@link VectorMetric}). */
    public record Match(long vid, float distance, float score) {}

    /**
     * A search's matches and what it did: postings scanned (and their entries), postings the
     * radius rule skipped, and entries whose exact distance was computed after their code could
     * not rule them out (0 without codes: then every entry scanned is computed exactly).
     */
    public record SearchResult(List<Match> matches, int postingsScanned, int entriesScanned, int postingsSkipped, int entriesRescored) {}

    public SearchResult search(float[] query, int k) {
        return search(query, defaults(k));
    }

    public SearchResult search(float[] query, SearchOptions o) {
        checkVector(query, "query vector");
        float maxKernel = Float.isNaN(o.maxDistance()) ? Float.POSITIVE_INFINITY : Math.nextUp(core.metric.kernelDistance(o.maxDistance()));
        SpannSearcher.Result r = searcher.search(core.metric.prepare(query),
                new SpannSearcher.SearchParams(o.k(), o.nprobe(), o.targetRecall(), o.epsilon(), o.radiusFactor(), o.patience(), o.filter(),
                        o.filterLimitBits(), maxKernel));
        TopK.Result m = r.matches();
        List<Match> out = new ArrayList<>(m.size());
        for (int i = 0; i < m.size(); i++) {
            float d = m.dists()[i];
            out.add(new Match(m.vids()[i], core.metric.apiDistance(d), core.metric.score(d)));
        }
        return new SearchResult(out, r.stats().postingsScanned(), r.stats().entriesScanned(), r.stats().postingsSkipped(), r.stats().entriesRescored());
    }

    /** Postings an adaptive search probes now ({@link ProbeCalibrator}); 0 while it has no plan (searches then run at nprobe). */
    public int probeDepth() {
        return searcher.probeDepth();
    }

    /** {@code query} as this index's searches use it (normalized under cosine), for {@link #exactMatch}. */
    public float[] prepareQuery(float[] query) {
        checkVector(query, "query vector");
        return core.metric.prepare(query);
    }

    /**
     * {@code vector} (of {@code vid}) as a match of a {@link #prepareQuery prepared} query, its
     * distance computed as this index's searches compute it (the same preparation and kernel), so
     * that a caller merging exact results with this index's (the shard's unindexed tail) ranks and
     * scores them alike.
     */
    public Match exactMatch(long vid, float[] preparedQuery, float[] vector) {
        // prepare copies; only cosine changes the vector (normalizes), so the others are read as they are
        float[] v = core.metric == VectorMetric.COSINE_DISTANCE ? core.metric.prepare(vector) : vector;
        float d = core.kernels.distance(core.metric.kernelMetric(), preparedQuery, 0, v, 0, core.dim);
        return new Match(vid, core.metric.apiDistance(d), core.metric.score(d));
    }

    /** Waits for the rebalancer to drain (see {@link Rebalancer#awaitQuiescent()}). */
    public void awaitQuiescent() {
        rebalancer.awaitQuiescent();
    }

    public Map<String, Long> rebalancerStats() {
        return rebalancer.stats();
    }

    /** Exact statistics over every posting (reads them all). */
    public IndexStats stats() {
        return IndexStats.compute(core);
    }

    /** Bytes this index keeps on the heap for heads and cached postings (RocksDB's own memory is the shard's). */
    public long heapBytes() {
        HeadIndex hs = core.heads;
        PostingCache c = core.storage.cache();
        return (hs == null ? 0 : hs.ramBytesUsed()) + (c == null ? 0 : c.bytes());
    }

    /** The posting cache's size in bytes and its hit and miss counts since the index opened. */
    public Map<String, Long> postingCacheStats() {
        PostingCache c = core.storage.cache();
        if (c == null) return Map.of("bytes", 0L, "hits", 0L, "misses", 0L);
        return Map.of("bytes", c.bytes(), "hits", c.hits(), "misses", c.misses());
    }

    @Override
    public void close() {
        rebalancer.close();
        if (core.heads != null) core.heads.close();
        if (ownedDb != null) ownedDb.close();
    }
}
