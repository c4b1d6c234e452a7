package io.tamter.node.index.spann;

import io.tamter.kernels.Metric;
import io.tamter.kernels.PostingLayout;
import io.tamter.kernels.QueryVector;
import io.tamter.node.index.spann.IndexMetaCodec.State;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Search over one shard's index (SPFRESH.md "Search"):
 * <ol>
 *   <li>the nearest heads, as many as the adaptive depth says ({@link ProbeCalibrator}: the depth at
 *       which this index's own recent queries found {@code index.probe_target_recall} of their
 *       top k; {@code nprobe} is the cap, and samples, queries unlike the measured ones and every
 *       search while the rebalancer moves vectors run at the cap), pruned query-aware: head
 *       {@code c_j} is skipped when {@code d(q,c_j) > (1+ε)·d(q,c_1)};</li>
 *   <li>their postings, nearest head first: a posting whose radius is known (the cache keeps
 *       it since the posting was last read) is skipped when the radius rule below says it cannot
 *       hold a better match than the current k-th; a posting in the {@link PostingCache} (decoded
 *       into arrays when it was read) is scanned there: the distances of all its entries in one
 *       kernel call ({@code VectorKernels.distances}), then version (stale and deleted entries are
 *       skipped), filter and top-k checks for those under the current k-th distance; the others are
 *       read from RocksDB in multi-gets of {@value #MISS_BATCH}, decoded, offered to the cache and
 *       scanned the same way (with the cache off, scanned as read by the kernels' posting scan).
 *       At {@code index.code_min_dims} dimensions and more, a cached posting also carries 1-bit
 *       codes of its entries ({@link ResidualCodes}): the scan reads the codes, gets a lower
 *       bound on each entry's distance, and computes the exact distance only for live entries
 *       whose bound is under the current k-th (on SciFact's 384-d vectors about 600 of the 2,440
 *       entries a query scans; benchmarks/README.md). Replicas are merged by {@link TopK};</li>
 *   <li>with a filter, when fewer than k matches were found, the heads the pruning skipped are read,
 *       then {@code nprobe} doubles (the heads
 *       already scanned are not read again) until k are found or every head was scanned.</li>
 * </ol>
 * <b>Radius rule.</b> By the triangle inequality no entry x of a posting with head c and radius
 * r (the largest |x − c| of its entries, live or stale) is closer to the query than
 * {@code |q − c| − r}; once k matches are known and that bound (as a kernel distance) is past
 * the k-th, the posting is skipped without losing anything. The bound is exact, so unlike the
 * ε rule it cannot cost recall on out-of-distribution queries, and it needs only the radius,
 * which the cache keeps after the posting itself was evicted. It skips much where postings are
 * tight and far apart (low intrinsic dimension, well separated clusters) and almost nothing on
 * SIFT or text embeddings, where the entries of a posting sit on a shell around their head
 * (1 posting of 126 on sift10k; benchmarks/README.md). Euclidean and cosine (unit vectors:
 * |q − x|² = 2·(1 + kernel distance)) have it; dot product has no such bound.
 *
 * <p>{@code index.probe_radius_factor} below 1 replaces r by factor·r (and r by the radius of
 * the posting without its outliers, which are then scanned alone): a heuristic that bets on that
 * shell. It pays on SIFT and text embeddings (factor 0.1: 17 of 126 postings read at recall
 * 0.98 on sift10k, 27 of 128 at 0.988 on SciFact vectors) and fails where postings are pieces of
 * low-dimensional clusters, whose true neighbours lie right across a posting boundary (the
 * clustered-shift stream fell from ≥ 0.96 to 0.5–0.8). So the default is 1 (exact).
 *
 * <p><b>Patience rule</b> ({@code index.probe_patience} = P > 0): once k matches are known, the
 * search stops after P postings in a row left the k-th distance unchanged; {@code nprobe} stays
 * the cap. Postings come nearest head first, so a query whose neighbours sit in a few postings
 * (well separated data) stops early and one whose neighbours are spread (text embeddings,
 * queries between clusters) reads on. Postings the radius rule skipped do not count.
 *
 * <p><b>Emptied postings.</b> A posting whose live entries (counted by observe as it is scanned)
 * are fewer than {@code min_posting} is waiting for a merge: right after a batch of deletes the
 * heads of a deleted cluster still come first for queries about it, although their postings
 * hold nothing, and would use up nprobe. Each such posting adds one head to the probe (up to
 * twice nprobe more) and does not count for the patience rule.
 *
 * <p>A posting that vanished between the head search and the read (a split or merge replaced
 * it) makes the search look its heads up again, so a concurrent split does not hide vectors.
 * A vector that LIRE re-places while the search runs is not missed either when the search read
 * its old posting before the move: that entry is stale by the version map when it is scanned,
 * and the search counts it anyway when {@link MoveLog} shows that only moves made it stale since
 * the search started (SPFresh itself leaves this window open). A merge that moves a posting's
 * vectors into postings this search already scanned, and deletes the posting before the search
 * reads it, is caught by the vanished posting: the search then scans every head it finds again,
 * from RocksDB.
 * While the index is flat (below its build threshold) the one flat posting is scanned exactly.
 * Every posting scanned also feeds the rebalancer ({@link SpannCore#observe}).
 */
public final class SpannSearcher {
    /** Postings missing from the cache are read from RocksDB this many at a time. */
    static final int MISS_BATCH = 16;
    /**
     * An entry farther from its head than this many times the posting's median entry is an
     * outlier: scanned even when the radius rule skips the rest of its posting. In a settled
     * posting the entries' distances to the head concentrate (no outliers); a vector that arrived
     * before its own cluster had a head sits far out in some other posting until LIRE moves it,
     * and the queries about that cluster need exactly those vectors (clustered-shift stream).
     */
    static final float OUTLIER_RATIO = 1.5f;
    private static final int[] NO_OUTLIERS = new int[0];

    private final SpannCore core;
    private final ProbeCalibrator calibrator = new ProbeCalibrator();
    private final ScratchPool<Scratch> scratch = ScratchPool.forCores(Scratch::new);

    public SpannSearcher(SpannCore core) {
        this.core = core;
        core.storage.setWarmer(this::warm);
    }

    /** A posting just written whole, as the cache should hold it (see {@link SpannStorage#commit}); null when its head is not (yet) known. */
    private PostingCache.Entry warm(int headId, byte[] posting) {
        HeadIndex heads = core.heads;
        HeadIndex.Head h = heads == null ? null : heads.get(headId);
        if (h == null) return null;
        return describe(h, PostingCache.Entry.decode(posting, core.dim, PostingCodec.count(posting, core.dim, headId)));
    }

    /** Search-time parameters. */
    /** The adaptive depth's current plan: postings a search probes (0: no plan, searches run at nprobe). */
    public int probeDepth() {
        ProbeCalibrator.Plan p = calibrator.current();
        return p == null ? 0 : p.nprobe();
    }

    /** Search-time parameters; {@code targetRecall} above 0 makes {@code nprobe} a cap (see {@link ProbeCalibrator}). */
    public record SearchParams(int k, int nprobe, double targetRecall, double epsilon, double radiusFactor, int patience, ByteBuffer filter,
                               long filterLimitBits, float maxKernelDistance) {
        public SearchParams {
            if (k < 1) throw new IllegalArgumentException("k must be >= 1; k=" + k);
            if (nprobe < 1) throw new IllegalArgumentException("nprobe must be >= 1; nprobe=" + nprobe);
        }
    }

    /**
     * What a search did, for benchmarks and the recall debug route: postings scanned, their
     * entries, postings the radius bound skipped, and entries computed exactly after their code
     * could not rule them out.
     */
    public record Stats(int postingsScanned, int entriesScanned, int postingsSkipped, int entriesRescored) {}

    public record Result(TopK.Result matches, Stats stats) {}

    /**
     * Per-thread arrays reused by every search of the thread (a search allocates only its
     * {@link TopK} and result), and the set of heads already scanned by this search.
     */
    private static final class Scratch {
        int[] ids = new int[0];
        float[] ds = new float[0];
        final int[] miss = new int[MISS_BATCH];
        final long[] missStamps = new long[MISS_BATCH];
        /** The rank (1 = nearest head) of each queued miss, for {@link TopK#tag}. */
        final int[] missRanks = new int[MISS_BATCH];
        /** Heads this search has taken in order so far (scanned or skipped). */
        int visited;
        long[] outVids = new long[0];
        float[] outDists = new float[0];
        float[] dists = new float[128];
        long[] scanned = new long[64];
        int[] scannedList = new int[64];
        int scannedCount;
        int postings, entries, skipped, rescored;
        /** {@link MoveLog#epoch()} when this search started: entries LIRE moved since still count. */
        long moveEpoch;
        /** The query quantized for the codes ({@link ResidualCodes.Query}), by the first coded posting of a search. */
        final ResidualCodes.Query coded = new ResidualCodes.Query();
        boolean quantized;
        /** |q|² of that query. */
        double qq;
        int[] popcounts = new int[128];
        float[] lbs = new float[128];

        void quantize(float[] q) {
            coded.quantize(q);
            qq = ResidualCodes.normSquared(q);
            quantized = true;
        }
        /** The patience rule's state: postings in a row that left the k-th distance where it was. */
        int patience, stale;
        float lastBound;
        boolean settled;

        /** Starts a search: room for nprobe heads and k results, counters and rule state reset. */
        void begin(int nprobe, int k, int patience) {
            this.patience = patience;
            stale = 0;
            wasted = 0;
            lastBound = Float.POSITIVE_INFINITY;
            settled = false;
            postings = entries = skipped = rescored = 0;
            visited = 0;
            quantized = false;
            ensure(nprobe, k);
        }

        /** Postings scanned that held fewer than min_posting live entries (see {@link #searchBuilt}). */
        int wasted;

        /**
         * Called after each posting scanned: counts it as wasted when the head's live count (just
         * refreshed by observe) is under {@code min_posting}, else applies the patience rule and
         * sets {@link #settled} once it says stop.
         */
        void scanned(TopK top, HeadIndex.Head h, int minPosting) {
            if (h != null && h.liveLength >= 0 && h.liveLength < minPosting) {
                wasted++;
                return;
            }
            if (patience <= 0 || !top.full()) return;
            float b = top.bound();
            if (b < lastBound) {
                lastBound = b;
                stale = 0;
            } else if (++stale >= patience) {
                settled = true;
            }
        }

        /** Room for nprobe heads and k results (a search that widens its probe keeps its counters). */
        void ensure(int nprobe, int k) {
            if (ids.length < nprobe) {
                ids = new int[nprobe];
                ds = new float[nprobe];
            }
            if (outVids.length < k) {
                outVids = new long[k];
                outDists = new float[k];
            }
        }

        /** Marks {@code head} scanned by this search; false if it already was. */
        boolean mark(int head) {
            int w = head >>> 6;
            if (w >= scanned.length) scanned = Arrays.copyOf(scanned, Math.max(w + 1, scanned.length * 2));
            long bit = 1L << head;
            if ((scanned[w] & bit) != 0) return false;
            scanned[w] |= bit;
            if (scannedCount == scannedList.length) scannedList = Arrays.copyOf(scannedList, scannedCount * 2);
            scannedList[scannedCount++] = head;
            return true;
        }

        /** Forgets which heads were scanned (at the end of a search, or to scan them all again: see searchBuilt). */
        void end() {
            for (int i = 0; i < scannedCount; i++) scanned[scannedList[i] >>> 6] = 0;
            scannedCount = 0;
        }
    }

    public Result search(float[] q, SearchParams sp) {
        core.stateLock.readLock().lock();
        try {
            Scratch s = scratch.take();
            try {
                if (core.state == State.FLAT) return searchFlat(q, sp, s);
                try {
                    return searchBuilt(q, sp, s);
                } finally {
                    s.end();
                }
            } finally {
                scratch.give(s);
            }
        } finally {
            core.stateLock.readLock().unlock();
        }
    }

    private Result searchFlat(float[] q, SearchParams sp, Scratch s) {
        TopK top = new TopK(sp.k());
        PostingCache cache = core.storage.cache();
        PostingCache.Entry e = cache == null ? null : cache.get(SpannStorage.FLAT_HEAD);
        if (e == null) {
            long stamp = cache == null ? 0 : cache.stamp(SpannStorage.FLAT_HEAD);
            byte[] p = core.storage.posting(SpannStorage.FLAT_HEAD);
            if (p == null) return new Result(top.sorted(), new Stats(0, 0, 0, 0));
            int count = PostingCodec.count(p, core.dim, SpannStorage.FLAT_HEAD);
            if (cache == null) {
                s.ensure(1, sp.k());
                scan(p, count, new QueryVector(q), sp, top, s.outVids, s.outDists);
                return new Result(top.sorted(), new Stats(1, count, 0, 0));
            }
            e = PostingCache.Entry.decode(p, core.dim, count);
            cache.offer(SpannStorage.FLAT_HEAD, stamp, e);
        }
        s.moveEpoch = core.moves.epoch();
        scanDecoded(e, q, sp, top, s);
        return new Result(top.sorted(), new Stats(1, e.count(), 0, 0));
    }

    private Result searchBuilt(float[] q, SearchParams sp, Scratch s) {
        HeadIndex heads = core.heads;
        PostingCache cache = core.storage.cache();
        QueryVector qv = new QueryVector(q);
        TopK top = new TopK(sp.k());
        // the adaptive depth (ProbeCalibrator): a plan, or this search runs at the cap and is measured
        // not while the rebalancer moves vectors: a vector inserted before its region had heads sits in a far
        // posting until a split or reassignment places it, so depths measured before say nothing about it
        boolean adaptive = sp.targetRecall() > 0 && sp.filter() == null && !core.maintenance.busy();
        ProbeCalibrator.Plan plan = adaptive ? calibrator.plan(sp.targetRecall(), core.writes.get()) : null;
        boolean sample = adaptive && plan == null;
        int nprobe = plan == null ? sp.nprobe() : Math.min(sp.nprobe(), plan.nprobe());
        float nearestHead = Float.NaN;
        double epsilon = sp.epsilon();
        int vanishedRounds = 0;
        int extended = 0;
        s.begin(Math.max(sp.nprobe(), 1), sp.k(), sp.patience());
        s.moveEpoch = core.moves.epoch(); // before the first head lookup: the index as of now
        while (true) {
            s.ensure(nprobe, sp.k());
            int found = heads.nearest(q, nprobe, s.ids, s.ds);
            if (s.visited == 0 && found > 0) {
                nearestHead = s.ds[0];
                // farther from every head than the measured queries were: their depth says nothing about it
                if (plan != null && nearestHead > plan.headLimit() && nprobe < sp.nprobe()) {
                    plan = null;
                    nprobe = sp.nprobe();
                    continue;
                }
            }
            int n = prune(s.ds, found, epsilon);
            boolean vanished = false;
            int m = 0;
            for (int i = 0; i < n && !s.settled; i++) {
                int id = s.ids[i];
                if (!s.mark(id)) continue;
                // its rank for ProbeCalibrator: postings a delete emptied do not count, as they do not count against nprobe
                int rank = ++s.visited - s.wasted;
                HeadIndex.Head h = heads.get(id);
                if (cache != null && cannotImprove(h, cache.radius(id), 1.0, s.ds[i], top, sp)) { // exact: nothing in it can enter
                    s.skipped++;
                    continue;
                }
                PostingCache.Entry e = cache == null ? null : cache.get(id);
                if (e == null) {
                    s.miss[m] = id;
                    s.missStamps[m] = cache == null ? 0 : cache.stamp(id);
                    s.missRanks[m] = rank;
                    if (++m == MISS_BATCH) {
                        vanished |= readAndScan(s, m, qv, sp, top, heads, cache);
                        m = 0;
                    }
                    continue;
                }
                top.tag = rank;
                if (sp.radiusFactor() < 1.0 && cannotImprove(h, e.coreRadius(), sp.radiusFactor(), s.ds[i], top, sp)) {
                    s.skipped++;
                    scanOutliers(e, q, sp, top, s);
                    continue;
                }
                scanEntry(h, e, q, sp, top, s);
                s.scanned(top, h, core.params.minPosting());
            }
            if (m > 0 && !s.settled) vanished |= readAndScan(s, m, qv, sp, top, heads, cache);
            if (s.settled) break;
            // A vanished posting (split or merged away since the head search) moved its entries to other
            // postings: new ones the first head search did not see, or ones this search scanned before the
            // entries arrived. So the heads are looked up again and every one is scanned again, from RocksDB:
            // the batch that deleted the posting rewrote the others, and the cache may hold their old content
            // for a moment after it (SpannStorage.commit updates it after the write). TopK counts a vector
            // seen twice once. Rare (a move racing this very search), so its cost does not matter.
            if (vanished && vanishedRounds++ < 3) {
                s.end();
                cache = null;
                continue;
            }
            // postings a delete (nearly) emptied, before LIRE merged them away, do not count against
            // nprobe: as many more heads are probed, up to twice nprobe more in all
            if (s.wasted > extended && found == nprobe && nprobe < heads.size() && extended < 2 * sp.nprobe()) {
                nprobe = (int) Math.min((long) nprobe + (s.wasted - extended), heads.size());
                extended = s.wasted;
                continue;
            }
            // the plan's depth is done, but the k-th is still farther than the measured queries' were (or fewer
            // than k were found): its neighbours lie elsewhere, so it goes on to the cap (ProbeCalibrator)
            if (plan != null && nprobe < sp.nprobe() && (!top.full() || top.bound() > plan.kthLimit())) {
                plan = null;
                nprobe = sp.nprobe();
                continue;
            }
            // a filter that leaves fewer than k: first the heads the pruning skipped, then twice as many heads
            boolean widen = sp.filter() != null && !top.full() && (n < found || (found == nprobe && nprobe < heads.size()));
            if (!widen) break;
            if (n < found) epsilon = Double.POSITIVE_INFINITY;
            else nprobe = (int) Math.min((long) nprobe * 2, heads.size());
        }
        if (sample && !Float.isNaN(nearestHead))
            calibrator.record(top.keptTags(), nearestHead, top.bound(), sp.targetRecall(), sp.nprobe(), core.writes.get(), core.liveCount.get());
        return new Result(top.sorted(), new Stats(s.postings, s.entries, s.skipped, s.rescored));
    }

    /**
     * Reads the {@code m} postings of {@code s.miss} in one multi-get and scans them: decoded and
     * offered to the cache when there is one, else straight from the bytes read. True if one vanished.
     */
    private boolean readAndScan(Scratch s, int m, QueryVector qv, SearchParams sp, TopK top, HeadIndex heads, PostingCache cache) {
        List<byte[]> values = core.storage.postings(s.miss, m);
        boolean vanished = false;
        for (int i = 0; i < m; i++) {
            byte[] p = values.get(i);
            if (p == null) { // split or merged away since the head search: its entries live on under new heads
                vanished = true;
                continue;
            }
            int id = s.miss[i];
            int count = PostingCodec.count(p, core.dim, id);
            HeadIndex.Head h = heads.get(id);
            top.tag = s.missRanks[i];
            s.postings++;
            s.entries += count;
            if (cache == null) {
                if (!core.moves.movedAfter(s.moveEpoch)) scan(p, count, qv, sp, top, s.outVids, s.outDists);
                else scanDecoded(PostingCache.Entry.decode(p, core.dim, count), qv.values(), sp, top, s); // the kernel cannot read the move log
                if (h != null) core.observe(h, p, count);
                s.scanned(top, h, core.params.minPosting());
                continue;
            }
            PostingCache.Entry e = PostingCache.Entry.decode(p, core.dim, count);
            if (h != null) {
                e = describe(h, e);
                cache.offer(id, s.missStamps[i], e);
            }
            scanDecoded(e, qv.values(), sp, top, s);
            if (h != null) core.observe(h, e);
            s.scanned(top, h, core.params.minPosting());
        }
        return vanished;
    }

    /** Scans only the outlier entries of a posting whose other entries the radius rule skipped. */
    private void scanOutliers(PostingCache.Entry e, float[] q, SearchParams sp, TopK top, Scratch s) {
        int dim = core.dim;
        Metric metric = core.metric.kernelMetric();
        for (int idx : e.outliers()) {
            float d = core.kernels.distance(metric, q, 0, e.vectors(), idx * dim, dim);
            offer(e, idx, d, sp, top, s);
        }
        s.entries += e.outliers().length;
    }

    /** Scans a cached posting. */
    private void scanEntry(HeadIndex.Head h, PostingCache.Entry e, float[] q, SearchParams sp, TopK top, Scratch s) {
        scanDecoded(e, q, sp, top, s);
        s.postings++;
        s.entries += e.count();
        if (h != null) core.observe(h, e);
    }

    /**
     * The hot loop over a decoded posting: the distances of all entries in one kernel call, then
     * version, filter and top-k checks only for those under the current k-th distance.
     */
    private void scanDecoded(PostingCache.Entry e, float[] q, SearchParams sp, TopK top, Scratch s) {
        if (e.codes() != null) {
            scanCoded(e, q, sp, top, s);
            return;
        }
        int count = e.count();
        if (s.dists.length < count) s.dists = new float[Math.max(count, s.dists.length * 2)];
        float[] d = s.dists;
        core.kernels.distances(core.metric.kernelMetric(), q, e.vectors(), 0, count, core.dim, d);
        float bound = Math.min(top.bound(), sp.maxKernelDistance());
        for (int i = 0; i < count; i++) {
            if (d[i] < bound && offer(e, i, d[i], sp, top, s)) bound = Math.min(top.bound(), sp.maxKernelDistance());
        }
    }

    /**
     * A coded posting: a distance estimate and its error bound per entry from the codes (see
     * {@link ResidualCodes}), and the exact distance only for live entries whose lower bound is
     * under the current k-th. The top k holds exact distances only, so every other rule (radius,
     * patience, max distance) works as on a posting scanned in full.
     */
    private void scanCoded(PostingCache.Entry e, float[] q, SearchParams sp, TopK top, Scratch s) {
        ResidualCodes c = e.codes();
        int count = e.count(), dim = core.dim;
        if (!s.quantized) s.quantize(q);
        if (s.lbs.length < count) {
            s.lbs = new float[Math.max(count, s.lbs.length * 2)];
            s.popcounts = new int[s.lbs.length];
        }
        float[] lbs = s.lbs;
        Metric metric = core.metric.kernelMetric();
        c.lowerBounds(core.kernels, s.coded, q, s.qq, metric, core.params.codeErrorBound(), s.popcounts, lbs);
        float[] vectors = e.vectors();
        long[] vids = e.vids();
        short[] versions = e.versions();
        ByteBuffer filter = sp.filter();
        float bound = Math.min(top.bound(), sp.maxKernelDistance());
        int rescored = 0;
        for (int i = 0; i < count; i++) {
            if (!(lbs[i] < bound)) continue;
            long vid = vids[i];
            if (!current(vid, versions[i] & 0xFFFF, s)) continue;
            if (filter != null && !PostingLayout.allowed(filter, sp.filterLimitBits(), vid)) continue;
            rescored++;
            float d = core.kernels.distance(metric, q, 0, vectors, i * dim, dim);
            if (d < bound && top.offer(vid, d)) bound = Math.min(top.bound(), sp.maxKernelDistance());
        }
        s.rescored += rescored;
    }

    /**
     * Whether an entry of {@code vid} at version {@code version} is the vector's copy as of this
     * search's start: current by the version map, or made stale since only by LIRE moving the
     * vector ({@link MoveLog}), so that a move racing the search cannot hide the vector.
     */
    private boolean current(long vid, int version, Scratch s) {
        int now = core.versions.get(vid);
        return now == version || core.moves.movedSince(vid, version, now, s.moveEpoch);
    }

    /** Offers entry {@code i} at distance {@code d} if it is live (its version is the vid's, or was
     * when this search started: {@link #current}) and passes the filter.
     */
    private boolean offer(PostingCache.Entry e, int i, float d, SearchParams sp, TopK top, Scratch s) {
        if (!(d < sp.maxKernelDistance())) return false;
        long vid = e.vids()[i];
        if (!current(vid, e.versions()[i] & 0xFFFF, s)) return false;
        ByteBuffer filter = sp.filter();
        if (filter != null && !PostingLayout.allowed(filter, sp.filterLimitBits(), vid)) return false;
        return top.offer(vid, d);
    }

    /**
     * Whether the radius bound proves that no entry of the posting of {@code h} can enter the
     * top k (see the class comment). {@code headDist} is d(q, c) by the kernel metric.
     */
    private boolean cannotImprove(HeadIndex.Head h, float radius, double factor, float headDist, TopK top, SearchParams sp) {
        if (Float.isNaN(radius) || h == null) return false;
        float bound = Math.min(top.bound(), sp.maxKernelDistance());
        if (bound == Float.POSITIVE_INFINITY) return false;
        // |q - c| from the head search's distance (cosine: query and heads are unit vectors), not a second kernel call
        double lb = core.metric.euclidean(headDist) - factor * radius;
        if (lb <= 0) return false;
        // shave the bound by a little more than float rounding of |q-c| and r can move it
        double lbSquared = lb * lb * (1 - 1e-5);
        double lbKernel = core.metric.kernelMetric() == Metric.L2 ? lbSquared : lbSquared / 2 - 1;
        return lbKernel > bound;
    }

    /**
     * A posting just read with its radius, core radius and outliers (see {@link PostingCache.Entry});
     * unchanged (NaNs) when the metric has no triangle bound.
     */
    private PostingCache.Entry describe(HeadIndex.Head h, PostingCache.Entry e) {
        int count = e.count();
        if (core.dim >= core.params.codeMinDims() && count > 0) {
            e = e.withCodes(ResidualCodes.encode(h.centroid, e.vectors(), count, core.dim, core.metric.kernelMetric()));
        }
        if (!core.metric.hasTriangleBound() || count == 0) return e;
        float[] d = new float[count];
        core.kernels.distances(Metric.L2, h.centroid, e.vectors(), 0, count, core.dim, d);
        for (int i = 0; i < count; i++) d[i] = (float) Math.sqrt(d[i]);
        float[] sorted = d.clone();
        Arrays.sort(sorted);
        float cut = OUTLIER_RATIO * sorted[count / 2];
        int n = 0;
        float coreMax = 0f;
        for (float x : d) {
            if (x > cut) n++;
            else coreMax = Math.max(coreMax, x);
        }
        int[] outliers = n == 0 ? NO_OUTLIERS : new int[n];
        for (int i = 0, j = 0; i < count && n > 0; i++) if (d[i] > cut) outliers[j++] = i;
        return e.withBounds(sorted[count - 1], coreMax, outliers);
    }

    /** Keeps the heads within (1+ε) of the nearest one, by the metric's ratio distance. */
    private int prune(float[] ds, int n, double epsilon) {
        if (n <= 1 || !core.metric.nonNegativeDistances()) return n;
        double limit = (1.0 + epsilon) * core.metric.ratioDistance(ds[0]);
        int m = 1;
        while (m < n && core.metric.ratioDistance(ds[m]) <= limit) m++;
        return m;
    }

    private void scan(byte[] p, int count, QueryVector qv, SearchParams sp, TopK top, long[] outVids, float[] outDists) {
        ByteBuffer versions = core.versions.buffer();
        int limit = core.versions.limitFor(versions);
        Metric metric = core.metric.kernelMetric();
        float bound = Math.min(top.bound(), sp.maxKernelDistance());
        int m = core.kernels.scanPosting(ByteBuffer.wrap(p), PostingCodec.HEADER_BYTES, count, qv, metric,
                versions, limit, sp.filter(), sp.filterLimitBits(), bound, sp.k(), outVids, outDists);
        for (int i = 0; i < m; i++) top.offer(outVids[i], outDists[i]);
    }
}
