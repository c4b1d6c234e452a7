package io.tamter.node.index.spann;

import io.tamter.kernels.PostingLayout;
import io.tamter.kernels.VectorKernels;
import io.tamter.node.index.spann.IndexMetaCodec.Meta;
import io.tamter.node.index.spann.IndexMetaCodec.State;
import io.tamter.node.storage.ShardDb;
import io.tamter.node.vector.VectorMetric;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The shared state of one shard's SPFresh index and its write paths: insert, delete, and the
 * version-checked re-placement LIRE uses. Search lives in {@link SpannSearcher}, the static build
 * in {@link SpannBuilder}, split/merge/reassign in {@code io.tamter.node.index.lire}.
 *
 * <p>Invariant kept by every path (the integrity check verifies it): every live vid has an entry
 * of its current version in at least one posting whose head exists, and every posting has a
 * head and vice versa. Each mutation is one RocksDB write batch, so a crash anywhere leaves
 * either the state before or the state after it.
 *
 * <p>Locks, always taken in this order: the vid stripe (serializes version changes of a vid),
 * the state lock (shared by all, exclusive only for the flat→built switch), head stripes
 * (shared for appends, exclusive for rewrites).
 */
public final class SpannCore {
    /** What the rebalancer is told; requests are hints and may be dropped. */
    public interface Maintenance {
        void requestSplit(int headId);

        void requestMerge(int headId);

        /** Whether splits, merges or reassignments are queued or running: the index is moving vectors ({@link ProbeCalibrator}). */
        default boolean busy() {
            return false;
        }
    }

    final ShardDb db;
    final SpannStorage storage;
    final VectorMetric metric;
    final int dim;
    final IndexParams params;
    final VectorKernels kernels;
    final VersionMap versions;
    /** How many postings each vid was last written to: LIRE's hint (see {@link ReplicaCounts}). */
    final ReplicaCounts replicas = new ReplicaCounts();
    final LockStripes headLocks = new LockStripes(4096);
    private final ReentrantLock[] vidLocks = new ReentrantLock[4096];
    final ReplicaSelector selector;
    final ReentrantReadWriteLock stateLock = new ReentrantReadWriteLock();
    volatile State state;
    volatile HeadIndex heads;
    /** Count of version bumps of live vids (updates and deletes): each leaves stale entries behind. */
    final AtomicLong bumps = new AtomicLong();
    final AtomicLong liveCount = new AtomicLong();
    /**
     * Inserts, deletes and vectors the rebalancer moved (splits, merges, reassignments) since the
     * index opened, bulk builds counting each vector: how much changed where searches find
     * vectors, for {@link ProbeCalibrator}.
     */
    final AtomicLong writes = new AtomicLong();
    final AtomicInteger nextHeadId;
    /** LIRE's recent re-placements, for searches that overlap them ({@link MoveLog}). */
    final MoveLog moves = new MoveLog();
    /** Entries in the flat posting (live and stale) while the index is flat. */
    final AtomicInteger flatLength = new AtomicInteger();
    volatile Maintenance maintenance = new Maintenance() {
        @Override
        public void requestSplit(int headId) {}

        @Override
        public void requestMerge(int headId) {}
    };

    SpannCore(ShardDb db, VectorMetric metric, int dim, IndexParams params, VectorKernels kernels, State state, int nextHeadId) {
        this.db = db;
        this.storage = new SpannStorage(db, params.postingCacheBytes() > 0 ? new PostingCache(params.postingCacheBytes()) : null);
        this.metric = metric;
        this.dim = dim;
        this.params = params;
        this.kernels = kernels;
        this.versions = new VersionMap(1 << 16);
        this.selector = new ReplicaSelector(metric, kernels, params.replicaCount(), params.closureEpsilon(), params.rngFactor());
        this.state = state;
        this.nextHeadId = new AtomicInteger(nextHeadId);
        for (int i = 0; i < vidLocks.length; i++) vidLocks[i] = new ReentrantLock();
    }

    // ---- accessors for the rebalancer and the integrity check (other packages) ----

    public ShardDb db() { return db; }
    public SpannStorage storage() { return storage; }
    public VectorMetric metric() { return metric; }
    public int dim() { return dim; }
    public IndexParams params() { return params; }
    public VectorKernels kernels() { return kernels; }
    public VersionMap versions() { return versions; }
    public ReplicaCounts replicas() { return replicas; }
    public HeadIndex heads() { return heads; }
    public State state() { return state; }
    public ReplicaSelector selector() { return selector; }
    public long bumps() { return bumps.get(); }
    public long liveCount() { return liveCount.get(); }
    public Maintenance maintenance() { return maintenance; }

    public void setMaintenance(Maintenance m) {
        this.maintenance = m;
    }

    public int newHeadId() {
        int id = nextHeadId.getAndIncrement();
        if (id == SpannStorage.FLAT_HEAD || id < 0) throw new IllegalStateException("head ids exhausted");
        return id;
    }

    /** Exclusive hold on the postings of the given heads (for rewrites); close to release. */
    public LockStripes.Held lockExclusive(int... headIds) {
        return headLocks.exclusive(headIds);
    }

    /** Records that the posting of {@code h} was just rewritten with {@code count} live entries. */
    /** The rebalancer moved {@code n} vectors to other postings (a split or merge; see {@link #writes}). */
    public void noteMoved(int n) {
        writes.addAndGet(n);
    }

    public void noteRewritten(HeadIndex.Head h, int count) {
        h.length = count;
        h.liveLength = count;
        h.checkedAtBumps = bumps.get();
    }

    /** Like {@link #observe}, but always counts live entries (the rebalancer's sweep). */
    public void observeFully(HeadIndex.Head h, byte[] posting, int count) {
        h.liveLength = -1;
        observe(h, posting, count);
    }

    Meta meta() {
        return new Meta(state, metric, dim, nextHeadId.get());
    }

    private ReentrantLock vidLock(long vid) {
        long h = vid * 0x9E3779B97F4A7C15L;
        return vidLocks[(int) (h >>> 52) & (vidLocks.length - 1)];
    }

    // ---- writes ----

    /**
     * Inserts or replaces the vector of {@code vid}. The vector must already be prepared
     * ({@link VectorMetric#prepare}). Returns true when the index should build its heads now
     * (the flat phase reached its threshold); the caller does that outside every lock.
     */
    boolean insert(long vid, float[] x) {
        ReentrantLock l = vidLock(vid);
        l.lock();
        try {
            int cur = versions.get(vid);
            int next = VersionMap.nextVersion(cur);
            boolean wasLive = !VersionMap.isDeleted(cur);
            stateLock.readLock().lock();
            try {
                if (state == State.FLAT) appendFlat(vid, next, x);
                else place(vid, next, x, -1);
            } finally {
                stateLock.readLock().unlock();
            }
            if (wasLive) bumps.incrementAndGet();
            else liveCount.incrementAndGet();
            writes.incrementAndGet();
            return state == State.FLAT && liveCount.get() >= params.buildThreshold();
        } finally {
            l.unlock();
        }
    }

    /** Marks {@code vid} deleted; its entries become stale. Returns false when it was not live. */
    boolean delete(long vid) {
        ReentrantLock l = vidLock(vid);
        l.lock();
        try {
            int cur = versions.get(vid);
            if (VersionMap.isDeleted(cur)) return false;
            int deleted = cur | PostingLayout.DELETED_BIT;
            try (SpannStorage.PostingBatch b = new SpannStorage.PostingBatch()) {
                SpannStorage.putVersion(b, db, vid, deleted);
                storage.commit(b);
            }
            versions.set(vid, deleted);
            liveCount.decrementAndGet();
            bumps.incrementAndGet();
            writes.incrementAndGet();
            return true;
        } finally {
            l.unlock();
        }
    }

    /**
     * LIRE's re-placement of a live vector: insert-with-version-bump, dropped when the vid's
     * version slot is no longer {@code expected} (it was updated or deleted meanwhile), and also
     * when the vector is where the replica rules want it (see {@link #staysPut}): then a
     * version bump would only make garbage (SPFresh's {@code RNGSelection(..., checkHeadID)}).
     *
     * @param previousHead the posting the vector was found in
     * @return whether the vector was re-placed
     */
    public boolean replace(long vid, int expected, float[] x, int previousHead) {
        return replace(vid, expected, x, previousHead, null);
    }

    /** {@link #replace} finding the vector's nearest heads in {@code nb} when it can (null: search all heads). */
    public boolean replace(long vid, int expected, float[] x, int previousHead, HeadNeighbourhood nb) {
        ReentrantLock l = vidLock(vid);
        l.lock();
        try {
            if (versions.get(vid) != expected || VersionMap.isDeleted(expected)) return false;
            int next = VersionMap.nextVersion(expected);
            stateLock.readLock().lock();
            try {
                if (state != State.BUILT) return false;
                int want = params.headCandidates();
                int[] ids = new int[want];
                float[] ds = new float[want];
                int known = nb == null ? -1 : nb.nearest(x, want, ids, ds, selector.closure());
                if (!place(vid, next, x, previousHead, ids, ds, known)) return false;
            } finally {
                stateLock.readLock().unlock();
            }
            bumps.incrementAndGet();
            writes.incrementAndGet(); // a moved vector changes where searches find it, as a write does
            return true;
        } finally {
            l.unlock();
        }
    }

    /**
     * The heads around {@code center} for LIRE's re-checks of the vectors near it (see
     * {@link HeadNeighbourhood}), or null when the metric has no triangle bound or no head exists.
     * Its size: four times {@code head_candidates}, at least 256 heads (a 64-d scan of 256 heads
     * costs what a few graph hops do), so that most vectors of a posting and of its neighbours
     * find all their candidates inside it.
     */
    public HeadNeighbourhood neighbourhood(float[] center) {
        HeadIndex hs = heads;
        if (hs == null || !metric.hasTriangleBound()) return null;
        return HeadNeighbourhood.around(hs, kernels, metric, center, Math.max(256, 4 * params.headCandidates()));
    }

    /** What {@link #recheckNeighbour} did. */
    public enum Recheck { STAYED, ADDED, REPLACED }

    /**
     * LIRE's re-check of a vector found in posting {@code previousHead} next to a split that
     * created {@code freshHeads}. When the rules still choose {@code previousHead}, or it is among
     * the vector's {@code replica_count} nearest heads and within the closure, the vector stays
     * there and is appended, at its current version, to the fresh heads the rules choose:
     * a split's new postings hold only the split posting's vectors, so this vector is in none of
     * them and the append makes no duplicate, no version bump and no stale entry. Otherwise it is
     * re-placed as by {@link #replace}. (Re-placing every neighbour whose nearest head is now a new
     * one tripled the vectors moved on clustered data: ClusteredStreamTest.)
     */
    public Recheck recheckNeighbour(long vid, int expected, float[] x, int previousHead, int[] freshHeads, HeadNeighbourhood nb) {
        ReentrantLock l = vidLock(vid);
        l.lock();
        try {
            if (versions.get(vid) != expected || VersionMap.isDeleted(expected)) return Recheck.STAYED;
            stateLock.readLock().lock();
            try {
                if (state != State.BUILT) return Recheck.STAYED;
                HeadIndex hs = heads;
                int want = params.headCandidates();
                int[] ids = new int[want];
                float[] ds = new float[want];
                int[] chosen = new int[params.replicaCount()];
                int n = nb == null ? -1 : nb.nearest(x, want, ids, ds, selector.closure());
                if (n < 0) n = hs.nearest(x, want, ids, ds);
                int m = selector.select(x, ids, ds, n, id -> {
                    HeadIndex.Head h = hs.get(id);
                    return h == null ? null : h.centroid;
                }, chosen);
                boolean keepsPrevious = false;
                int[] add = new int[m];
                int a = 0;
                for (int i = 0; i < m; i++) {
                    if (chosen[i] == previousHead) keepsPrevious = true;
                    for (int f : freshHeads) if (chosen[i] == f) add[a++] = f;
                }
                if (!keepsPrevious && n > 0) {
                    // the closure hysteresis: a posting among its replica_count nearest that the closure
                    // admits may keep it while the new head is added (re-placing such vectors instead
                    // moved 1.5 vectors per vector inserted on clustered data: ClusteredStreamTest)
                    int near = Math.min(n, params.replicaCount());
                    HeadIndex.Head cur = null;
                    for (int i = 0; i < near && cur == null; i++) if (ids[i] == previousHead) cur = hs.get(previousHead);
                    HeadIndex.Head first = hs.get(ids[0]);
                    keepsPrevious = cur != null && first != null && selector.withinClosure(x, ds[0], first.centroid, cur.centroid);
                }
                if (!keepsPrevious) {
                    if (!place(vid, VersionMap.nextVersion(expected), x, previousHead, ids, ds, n)) return Recheck.STAYED;
                    bumps.incrementAndGet();
                    return Recheck.REPLACED;
                }
                if (a == 0) return Recheck.STAYED;
                try (LockStripes.Held held = headLocks.shared(add, a)) {
                    for (int i = 0; i < a; i++) if (!hs.isAlive(add[i])) return Recheck.STAYED; // split again meanwhile
                    byte[] entry = PostingCodec.entry(vid, expected, x);
                    try (SpannStorage.PostingBatch b = new SpannStorage.PostingBatch()) {
                        for (int i = 0; i < a; i++) SpannStorage.append(b, db, add[i], entry);
                        storage.commit(b);
                    }
                    int known = replicas.get(vid);
                    if (known != ReplicaCounts.UNKNOWN) replicas.set(vid, known + a);
                    for (int i = 0; i < a; i++) {
                        HeadIndex.Head h = hs.get(add[i]);
                        if (h != null && ++h.length > params.maxPosting()) maintenance.requestSplit(h.id);
                    }
                    return Recheck.ADDED;
                }
            } finally {
                stateLock.readLock().unlock();
            }
        } finally {
            l.unlock();
        }
    }

    /**
     * Whether a vector LIRE re-checks stays where it is: the posting it was found in
     * ({@code previousHead}) is its nearest head ({@code nearestChosen}, the first head the rules
     * choose), and it was last written to at least as many postings ({@code knownReplicas},
     * {@link ReplicaCounts#UNKNOWN} when not known) as the rules choose now ({@code chosen}).
     *
     * <p>SPFresh keeps a vector whenever the rules still choose the posting it is in, any of its
     * replicas. That assumes the vector went to its nearest heads when it was written. A vector
     * written before its region had heads (clusters arriving faster than splits run) went to
     * one far posting; later splits create its real nearest heads but the rules still choose the
     * far posting as a replica, or, under the closure hysteresis used before, admit it, so the
     * vector never reaches its nearest head nor gains replicas. Queries near it still find it
     * while its cluster is there; once that cluster is deleted, queries about the region need
     * exactly such vectors of the neighbouring clusters (clustered-shift runbook, delete phase).
     */
    static boolean staysPut(int previousHead, int nearestChosen, int chosen, int knownReplicas) {
        return previousHead == nearestChosen && (knownReplicas == ReplicaCounts.UNKNOWN || chosen <= knownReplicas);
    }

    /**
     * Appends (vid, version, x) to the postings chosen by the replica rules and records the new
     * version, in one batch. Retries when a chosen head disappears (split or merged away) between
     * choosing it and locking it. With {@code previousHead} ≥ 0 (a LIRE re-check), writes nothing
     * and returns false when the vector {@link #staysPut}.
     *
     * <p>The in-memory version changes while the head locks are still held: a rewrite of one of
     * these postings that came right after the write would otherwise judge the new entry stale by
     * the old version and drop it, and once the version changed the vector would be in no posting.
     */
    boolean place(long vid, int version, float[] x, int previousHead) {
        int want = params.headCandidates();
        return place(vid, version, x, previousHead, new int[want], new float[want], -1);
    }

    /**
     * {@link #place} with the first attempt's nearest heads already found ({@code known} of them in
     * {@code ids}/{@code ds}, or -1 to search): a re-check that decided to move a vector has just
     * searched them, and the head search is most of what a LIRE re-check costs.
     */
    private boolean place(long vid, int version, float[] x, int previousHead, int[] ids, float[] ds, int known) {
        HeadIndex hs = heads;
        int want = ids.length;
        int[] chosen = new int[params.replicaCount()];
        byte[] entry = PostingCodec.entry(vid, version, x);
        for (int attempt = 0; ; attempt++) {
            int n = attempt == 0 && known >= 0 ? known : hs.nearest(x, want, ids, ds);
            if (n == 0 || (previousHead < 0 && attempt == 0 && opensNewRegion(ids[0], ds[0]))) {
                createSingletonHead(vid, version, x);
                return true;
            }
            int m = selector.select(x, ids, ds, n, id -> {
                HeadIndex.Head h = hs.get(id);
                return h == null ? null : h.centroid;
            }, chosen);
            if (m == 0) continue;
            if (previousHead >= 0 && attempt == 0 && staysPut(previousHead, chosen[0], m, replicas.get(vid))) return false;
            try (LockStripes.Held held = headLocks.shared(chosen, m)) {
                boolean allAlive = true;
                for (int i = 0; i < m && allAlive; i++) allAlive = hs.isAlive(chosen[i]);
                if (!allAlive) {
                    if (attempt > 1000) throw new IllegalStateException("could not place vid " + vid + ": heads keep moving");
                    continue;
                }
                try (SpannStorage.PostingBatch b = new SpannStorage.PostingBatch()) {
                    for (int i = 0; i < m; i++) SpannStorage.append(b, db, chosen[i], entry);
                    SpannStorage.putVersion(b, db, vid, version);
                    storage.commit(b);
                }
                if (previousHead >= 0) moves.record(vid, versions.get(vid), version); // a re-placement: before the version changes
                versions.set(vid, version);
                replicas.set(vid, m);
                for (int i = 0; i < m; i++) {
                    HeadIndex.Head h = hs.get(chosen[i]);
                    if (h != null && ++h.length > params.maxPosting()) maintenance.requestSplit(h.id);
                }
                return true;
            }
        }
    }

    /**
     * Whether a new vector lies farther from its nearest head than {@value #NEW_REGION_FACTOR}
     * times that posting's radius (as last read; unknown after a write or with the cache off:
     * false), i.e. outside every posting: the first vector of a region the index has not seen.
     * It then becomes a head of its own, and the vectors of its region that follow attach to it.
     * Without this they all went to the nearest old posting, far away, which grew to thousands
     * of entries before LIRE split it; until then (and until the scrub re-placed them) queries
     * from the region's other sides did not probe that far head, and the clustered-shift stream
     * measured 0.81 right after such a batch. A lone outlier's head is merged away later
     * like any posting under {@code min_posting}. Not for LIRE's re-placements: their vectors
     * were placed before.
     */
    private boolean opensNewRegion(int nearestHead, float kernelDistance) {
        PostingCache cache = storage.cache();
        if (cache == null || !metric.hasTriangleBound()) return false;
        float r = cache.radius(nearestHead);
        if (!(r > 0)) return false;
        return metric.euclidean(kernelDistance) > NEW_REGION_FACTOR * r;
    }

    /** See {@link #opensNewRegion}. */
    static final float NEW_REGION_FACTOR = 2f;

    /** With no head at all (everything was deleted and merged away), the vector becomes a head. */
    private void createSingletonHead(long vid, int version, float[] x) {
        int id = newHeadId();
        float[] c = x.clone();
        try (LockStripes.Held held = headLocks.exclusive(id); SpannStorage.PostingBatch b = new SpannStorage.PostingBatch()) {
            SpannStorage.putHead(b, db, id, HeadCodec.encode(c, 1));
            SpannStorage.putPosting(b, db, id, PostingCodec.encode(dim, 1, new long[] {vid}, new int[] {version}, new float[][] {x}));
            SpannStorage.putVersion(b, db, vid, version);
            storage.commit(b);
            versions.set(vid, version);
            replicas.set(vid, 1);
            heads.add(id, c, 1);
        }
    }

    private void appendFlat(long vid, int version, float[] x) {
        int[] flat = {SpannStorage.FLAT_HEAD};
        try (LockStripes.Held held = headLocks.shared(flat, 1); SpannStorage.PostingBatch b = new SpannStorage.PostingBatch()) {
            SpannStorage.append(b, db, SpannStorage.FLAT_HEAD, PostingCodec.entry(vid, version, x));
            SpannStorage.putVersion(b, db, vid, version);
            storage.commit(b);
            versions.set(vid, version); // under the flat posting's lock, as in place()
            replicas.set(vid, 1);
        }
        flatLength.incrementAndGet();
    }

    /** Rewrites the flat posting without its stale entries once they are most of it. */
    void compactFlatIfWorthIt() {
        if (state != State.FLAT || flatLength.get() < 64 || flatLength.get() < 2 * liveCount.get()) return;
        stateLock.readLock().lock();
        try (LockStripes.Held held = headLocks.exclusive(SpannStorage.FLAT_HEAD)) {
            if (state != State.FLAT) return;
            byte[] p = storage.posting(SpannStorage.FLAT_HEAD);
            if (p == null) return;
            LivePosting live = LivePosting.of(p, dim, versions, SpannStorage.FLAT_HEAD);
            try (SpannStorage.PostingBatch b = new SpannStorage.PostingBatch()) {
                SpannStorage.putPosting(b, db, SpannStorage.FLAT_HEAD, live.encode(dim));
                storage.commit(b);
            }
            flatLength.set(live.count());
        } finally {
            stateLock.readLock().unlock();
        }
    }

    /**
     * What a read of a posting teaches: its length (appends raise it between reads), and, when
     * enough version bumps happened since it was last counted, how many entries are live. A long
     * posting asks for a split (which first drops stale entries); a short one for a merge.
     */
    public void observe(HeadIndex.Head h, byte[] posting, int count) {
        long b = liveCountDue(h, count);
        if (b >= 0) noteLive(h, count, LivePosting.countLive(posting, dim, count, versions), b);
    }

    /** {@link #observe(HeadIndex.Head, byte[], int)} for a posting the search scanned from the cache. */
    void observe(HeadIndex.Head h, PostingCache.Entry e) {
        long b = liveCountDue(h, e.count());
        if (b >= 0) noteLive(h, e.count(), LivePosting.countLive(e.vids(), e.versions(), e.count(), versions), b);
    }

    /**
     * Records the posting's length; asks for a split when it is too long (returns -1), else
     * returns the bump counter to count live entries against when a count is due, -1 when not.
     * (Two steps rather than a callback: this runs for every posting a search reads.)
     */
    private long liveCountDue(HeadIndex.Head h, int count) {
        // written only when it changed: every search reads the same hot heads, and a volatile store
        // per posting read made the searching cores take each other's cache lines
        if (h.length != count) h.length = count;
        long b = bumps.get();
        if (count > params.maxPosting()) {
            if (count != h.splitDeclinedAt) maintenance.requestSplit(h.id);
            return -1;
        }
        return h.liveLength < 0 || b - h.checkedAtBumps > Math.max(8, h.liveLength / 4) ? b : -1;
    }

    private void noteLive(HeadIndex.Head h, int count, int live, long bumpsWhenDue) {
        h.liveLength = live;
        h.checkedAtBumps = bumpsWhenDue;
        if (live < params.minPosting() || live < params.gcLiveFraction() * count) {
            // few live entries: merge away; many stale ones: a rewrite (the split path drops them)
            if (live < params.minPosting()) maintenance.requestMerge(h.id);
            else maintenance.requestSplit(h.id);
        }
    }
}
