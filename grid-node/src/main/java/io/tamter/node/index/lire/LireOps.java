package io.tamter.node.index.lire;

import io.tamter.kernels.VectorKernels;

import io.tamter.node.index.spann.BalancedKMeans;
import io.tamter.node.index.spann.HeadCodec;
import io.tamter.node.index.spann.HeadIndex;
import io.tamter.node.index.spann.HeadNeighbourhood;
import io.tamter.node.index.spann.IndexParams;
import io.tamter.node.index.spann.LivePosting;
import io.tamter.node.index.spann.LockStripes;
import io.tamter.node.index.spann.PostingCodec;
import io.tamter.node.index.spann.SpannCore;
import io.tamter.node.index.spann.SpannStorage;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import org.rocksdb.WriteBatch;

/**
 * The three LIRE operations of SPFresh (Xu et al., SOSP 2023, §4) on one shard's index. Each
 * posting rewrite is one RocksDB write batch taken under the exclusive lock of the postings it
 * touches; reassignment runs afterwards without those locks, through the core's version-checked
 * {@link SpannCore#replace}, so a foreground write to the same vector always wins.
 */
final class LireOps {
    private final SpannCore core;
    private final IndexParams params;
    final AtomicLong splits = new AtomicLong();
    final AtomicLong merges = new AtomicLong();
    final AtomicLong garbageCollections = new AtomicLong();
    final AtomicLong reassigned = new AtomicLong();
    final AtomicLong reassignChecks = new AtomicLong();
    /** Reassignments by cause: members of a split posting, vectors of its neighbours, vectors a merge moved. */
    final AtomicLong movedSplitMembers = new AtomicLong();
    final AtomicLong movedNeighbours = new AtomicLong();
    final AtomicLong movedMerged = new AtomicLong();
    final AtomicLong movedScrubbed = new AtomicLong();
    /** Neighbours' vectors appended to a split's new postings without a move (see SpannCore#recheckNeighbour). */
    final AtomicLong addedNeighbours = new AtomicLong();
    final AtomicLong scrubs = new AtomicLong();
    /** Heads replaced by one at their live entries' mean (see {@link #drifted}). */
    final AtomicLong recenters = new AtomicLong();
    /** Re-checks whose nearest heads a {@link HeadNeighbourhood} proved, and those that searched all heads. */
    final AtomicLong neighbourhoodExact = new AtomicLong();
    final AtomicLong neighbourhoodFallbacks = new AtomicLong();
    private long seed = 0x11AE;
    /** Told the heads a split created: their postings are re-checked later, see {@link #scrub}. */
    private final IntConsumer splitCreated;

    LireOps(SpannCore core, IntConsumer splitCreated) {
        this.core = core;
        this.params = core.params();
        this.splitCreated = splitCreated;
    }

    /**
     * Split (§4.1): drop the posting's stale entries; if it is still longer than
     * {@code max_posting}, cluster it into new heads that replace the old one, then reassign.
     *
     * <p>SPFresh always splits in two. Here the posting is cut into
     * {@code k = max(2, round(live / (max_posting/2)))} parts, which is two for a posting that just
     * crossed the limit, the common case. The difference matters under bursts: when vectors of a
     * region the index has not seen arrive faster than the rebalancer runs, a posting can reach many
     * times the limit before its split comes up, and halving it again and again costs ~log2 rounds
     * of clustering and reassignment where one k-way split does the same work once.
     */
    void split(int headId) {
        HeadIndex heads = core.heads();
        if (heads == null) return;
        int parts;
        // phase 1: under the old head's lock, collect garbage or find out that a split is due
        try (LockStripes.Held held = core.lockExclusive(headId)) {
            HeadIndex.Head h = heads.get(headId);
            if (h == null) return;
            byte[] p = core.storage().posting(headId);
            if (p == null) return;
            LivePosting live = LivePosting.of(p, core.dim(), core.versions(), headId);
            if (live.count() <= params.maxPosting()) {
                if (live.count() >= params.minPosting() && live.count() < live.totalEntries() && drifted(h.centroid, live)) {
                    parts = 1; // re-center: a "split" into one part at the live entries' mean
                } else {
                    if (live.count() < live.totalEntries()) rewrite(h, live);
                    else core.noteRewritten(h, live.count());
                    if (live.count() < params.minPosting()) core.maintenance().requestMerge(headId);
                    return;
                }
            } else {
                parts = splitParts(live.count(), params.maxPosting());
            }
        }
        // phase 2: the new heads get ids first so all postings are locked together, in ascending
        // stripe order: no insert may append to a new head before its posting is written (the
        // split's put would overwrite the append), and no search may see the old posting gone
        // before the new heads are searchable
        int[] newIds = new int[parts];
        for (int i = 0; i < parts; i++) newIds[i] = core.newHeadId();
        int[] locked = java.util.Arrays.copyOf(newIds, parts + 1);
        locked[parts] = headId;
        float[] oldCentroid;
        LivePosting live;
        float[][] newCentroids;
        int[] assignment;
        int[] created;
        try (LockStripes.Held held = core.lockExclusive(locked)) {
            HeadIndex.Head h = heads.get(headId);
            if (h == null) return;
            byte[] p = core.storage().posting(headId);
            if (p == null) return;
            live = LivePosting.of(p, core.dim(), core.versions(), headId);
            if (parts == 1) {
                if (live.count() < params.minPosting() || !drifted(h.centroid, live)) {
                    if (live.count() < live.totalEntries()) rewrite(h, live);
                    return;
                }
                assignment = new int[live.count()];
                newCentroids = new float[][] {mean(live)};
                recenters.incrementAndGet();
            } else {
                if (live.count() <= params.maxPosting()) {
                    if (live.count() < live.totalEntries()) rewrite(h, live);
                    return;
                }
                BalancedKMeans.Clustering c = cluster(live, parts);
                if (c.centroids().length < 2) { // all vectors identical: nothing to split on
                    if (live.count() < live.totalEntries()) rewrite(h, live);
                    h.splitDeclinedAt = live.count(); // the posting's length from here (rewritten to its live entries)
                    return;
                }
                assignment = c.assignment();
                newCentroids = c.centroids();
            }
            int k = newCentroids.length;
            oldCentroid = h.centroid;
            created = java.util.Arrays.copyOf(newIds, k); // clustering may return fewer non-empty parts
            int[][] positions = new int[k][live.count()];
            int[] sizes = new int[k];
            for (int i = 0; i < live.count(); i++) positions[assignment[i]][sizes[assignment[i]]++] = i;
            LivePosting[] pieces = new LivePosting[k];
            for (int s = 0; s < k; s++) {
                pieces[s] = live.subset(positions[s], sizes[s]);
                core.noteRewritten(heads.add(created[s], newCentroids[s], pieces[s].count()), pieces[s].count());
            }
            try (SpannStorage.PostingBatch b = new SpannStorage.PostingBatch()) {
                for (int s = 0; s < k; s++) {
                    SpannStorage.putHead(b, core.db(), created[s], HeadCodec.encode(newCentroids[s], pieces[s].count()));
                    SpannStorage.putPosting(b, core.db(), created[s], pieces[s].encode(core.dim()));
                }
                SpannStorage.deleteHeadAndPosting(b, core.db(), headId);
                core.storage().commit(b);
            } catch (RuntimeException e) {
                for (int id : created) heads.remove(id); // nothing was written: the old head stays
                throw e;
            }
            heads.remove(headId);
            if (k > 1) splits.incrementAndGet();
            core.noteMoved(live.count());
        }
        reassignAfterSplit(heads, oldCentroid, created, newCentroids, live, assignment);
        for (int id : created) splitCreated.accept(id);
        heads.compactIfWorthIt();
    }

    /**
     * Re-checks every live vector of a posting ({@code SpannCore#staysPut} decides whether it
     * moves). The rebalancer runs it for postings that splits created, once no split or merge is
     * waiting. Not in SPFresh. Why: a region whose vectors arrive faster than splits run (a cluster
     * the index has not seen, inserted at once) ends with vectors in postings that are not their
     * nearest ones and with fewer replicas than the rules give; the re-checks at split time happen
     * while the region's heads are still being made and do not reach them all. On the
     * clustered-shift runbook, re-checking every vector once at the end of the insert phase moved
     * half of them and kept the delete phase's recall at 0.97 instead of 0.81.
     */
    void scrub(int headId) {
        HeadIndex heads = core.heads();
        if (heads == null || !heads.isAlive(headId)) return;
        byte[] p = core.storage().posting(headId);
        if (p == null) return;
        scrubs.incrementAndGet();
        LivePosting live = LivePosting.of(p, core.dim(), core.versions(), headId);
        HeadIndex.Head h = heads.get(headId);
        HeadNeighbourhood nb = h == null ? null : core.neighbourhood(h.centroid);
        Set<Long> done = new HashSet<>();
        try {
            for (int i = 0; i < live.count(); i++) {
                if (!heads.isAlive(headId)) return; // split or merged meanwhile: its vectors were re-checked there
                replaceOnce(live.vid(i), live.version(i), live.vector(i), headId, done, movedScrubbed, nb);
            }
        } finally {
            count(nb);
        }
    }

    /**
     * Whether a posting's head no longer describes its live entries: the head is farther from
     * their mean than they are on average. Deletes do that: when the vectors a head was made for
     * are deleted, what is left can be a few replicas of a neighbouring cluster's edge, and the
     * head still sits where the deleted vectors were. Queries about that region then find it
     * nearest and query-aware pruning drops the heads that hold the true neighbours
     * (clustered-shift runbook, delete phase). Such a head is replaced by one at the mean (a split
     * into one part, with the split's re-checks).
     */
    private boolean drifted(float[] centroid, LivePosting live) {
        float[] m = mean(live);
        double spread = 0;
        for (int i = 0; i < live.count(); i++) spread += core.selector().ruleDistance(live.vector(i), m);
        spread /= live.count();
        return core.selector().ruleDistance(centroid, m) > spread;
    }

    private float[] mean(LivePosting live) {
        float[] m = new float[core.dim()];
        for (int i = 0; i < live.count(); i++) {
            float[] x = live.vector(i);
            for (int j = 0; j < m.length; j++) m[j] += x[j];
        }
        for (int j = 0; j < m.length; j++) m[j] /= live.count();
        return core.metric().prepare(m);
    }

    /** How many parts a posting of {@code live} entries is split into (see {@link #split}). */
    static int splitParts(int live, int maxPosting) {
        return Math.max(2, (int) Math.round(live / (maxPosting / 2.0)));
    }

    private BalancedKMeans.Clustering cluster(LivePosting live, int k) {
        int dim = core.dim();
        float[] data = new float[live.count() * dim];
        int[] rows = new int[live.count()];
        for (int i = 0; i < live.count(); i++) {
            System.arraycopy(live.vector(i), 0, data, i * dim, dim);
            rows[i] = i;
        }
        BalancedKMeans km = new BalancedKMeans(core.metric(), core.kernels(), dim, params.kmeansIterations(),
                params.kmeansSample(), params.kmeansBalance());
        long s;
        synchronized (this) {
            s = ++seed;
        }
        // nearest final assignment first (see BalancedKMeans#cluster); when that leaves a part under
        // min_posting, which clustered data does (a posting holding 90 vectors of one cluster and 7
        // of another splits 90/7), use the balanced one: the small part would be merged straight
        // back into its big neighbour, overflowing it again, a split/merge cycle that never ends
        BalancedKMeans.Clustering c = km.cluster(data, rows, k, s, false);
        int[] sizes = new int[c.centroids().length];
        for (int a : c.assignment()) sizes[a]++;
        for (int size : sizes) {
            if (size < params.minPosting()) {
                c = km.cluster(data, rows, k, s, true);
                break;
            }
        }
        return c.centroids().length >= 2 ? c : farthestPair(live);
    }

    /**
     * A two-way split around the two entries farthest apart (the entry farthest from the mean,
     * then the one farthest from it), each entry to the nearer: for when the k-means came back
     * with one non-empty part although the entries differ. Seen on sift10k: a posting of 97
     * distinct vectors stayed over {@code max_posting} after the drain in about 1 streaming build
     * in 3, its split declined as if all its vectors were equal. One part (all entries equal)
     * only when they are.
     */
    private BalancedKMeans.Clustering farthestPair(LivePosting live) {
        int n = live.count();
        float[][] vectors = new float[n][];
        for (int i = 0; i < n; i++) vectors[i] = live.vector(i);
        int[] assignment = farthestPairParts(vectors, core.kernels());
        if (assignment == null) return new BalancedKMeans.Clustering(new float[][] {mean(live)}, new int[n]); // all equal
        int[] count = new int[2];
        float[][] sums = new float[2][core.dim()];
        for (int i = 0; i < n; i++) {
            count[assignment[i]]++;
            for (int j = 0; j < vectors[i].length; j++) sums[assignment[i]][j] += vectors[i][j];
        }
        float[][] centroids = new float[2][];
        for (int p = 0; p < 2; p++) {
            for (int j = 0; j < sums[p].length; j++) sums[p][j] /= count[p];
            centroids[p] = core.metric().prepare(sums[p]);
        }
        return new BalancedKMeans.Clustering(centroids, assignment);
    }

    /**
     * Two parts around a far pair of vectors: a the farthest from the mean, b the farthest from
     * a, each vector with the nearer of the two; null when every vector is the same. By squared
     * Euclidean distance whatever the metric: the split is geometric, and the dot kernel's
     * distances are negative, so a farthest-from-zero search by them found no b at all on
     * cosine data and every split that needed this fallback declined (SciFact vectors: three
     * postings of 105-118 entries that each search's observe asked to split again, keeping the
     * rebalancer busy with k-means through the whole search phase of bench ann).
     */
    static int[] farthestPairParts(float[][] vectors, VectorKernels kernels) {
        int n = vectors.length, dim = n == 0 ? 0 : vectors[0].length;
        float[] m = new float[dim];
        for (float[] x : vectors) for (int j = 0; j < dim; j++) m[j] += x[j] / n;
        int a = 0;
        float best = -1;
        for (int i = 0; i < n; i++) {
            float d = kernels.squaredL2(vectors[i], 0, m, 0, dim);
            if (d > best) { best = d; a = i; }
        }
        int b = a;
        best = 0;
        for (int i = 0; i < n; i++) {
            float d = kernels.squaredL2(vectors[i], 0, vectors[a], 0, dim);
            if (d > best) { best = d; b = i; }
        }
        if (b == a) return null;
        int[] assignment = new int[n];
        for (int i = 0; i < n; i++) {
            assignment[i] = kernels.squaredL2(vectors[i], 0, vectors[a], 0, dim) <= kernels.squaredL2(vectors[i], 0, vectors[b], 0, dim) ? 0 : 1;
        }
        return assignment;
    }

    /** Rewrites a posting with only its live entries (garbage collection of stale ones). */
    private void rewrite(HeadIndex.Head h, LivePosting live) {
        try (SpannStorage.PostingBatch b = new SpannStorage.PostingBatch()) {
            SpannStorage.putPosting(b, core.db(), h.id, live.encode(core.dim()));
            SpannStorage.putHead(b, core.db(), h.id, HeadCodec.encode(h.centroid, live.count()));
            core.storage().commit(b);
        }
        core.noteRewritten(h, live.count());
        garbageCollections.incrementAndGet();
    }

    /**
     * Reassign (§4.2). Every vector of the split posting is re-checked: SPFresh checks only those
     * the old head was closer to than their new one, which is enough only if every vector already
     * sat in its nearest postings (see {@code SpannCore#staysPut} for the vectors that do not). A
     * vector of one of the {@code reassign_k} postings nearest the old head is re-checked, as in
     * SPFresh ({@code CheckIsNeedReassign}), only if a new head is closer to it than both its
     * current head and the old head (otherwise the split changed nothing for it); it stays in its
     * posting while the rules still choose that, and is added to the new postings they choose
     * ({@code SpannCore#recheckNeighbour}). A re-checked member moves unless it {@code staysPut}.
     */
    private void reassignAfterSplit(HeadIndex heads, float[] oldCentroid, int[] newIds, float[][] newCentroids,
                                    LivePosting live, int[] assignment) {
        HeadNeighbourhood nb = core.neighbourhood(oldCentroid);
        try {
            reassignAfterSplit(heads, oldCentroid, newIds, newCentroids, live, assignment, nb);
        } finally {
            count(nb);
        }
    }

    private void reassignAfterSplit(HeadIndex heads, float[] oldCentroid, int[] newIds, float[][] newCentroids,
                                    LivePosting live, int[] assignment, HeadNeighbourhood nb) {
        Set<Long> done = new HashSet<>();
        for (int i = 0; i < live.count(); i++) {
            float[] x = live.vector(i);
            int part = assignment[i];
            float dAssigned = dist(x, newCentroids[part]);
            boolean nearestPart = true; // a balanced split may leave a vector in a part that is not its nearest
            for (int c = 0; c < newCentroids.length && nearestPart; c++) nearestPart = c == part || dist(x, newCentroids[c]) >= dAssigned;
            if (!nearestPart || splitMemberMayMove(dist(x, oldCentroid), dAssigned)) {
                replaceOnce(live.vid(i), live.version(i), x, newIds[part], done, movedSplitMembers, nb);
            }
        }
        if (params.reassignK() == 0) return;
        int want = params.reassignK() + newIds.length;
        int[] ids = new int[want];
        float[] ds = new float[want];
        int n = heads.nearest(oldCentroid, want, ids, ds);
        Set<Integer> fresh = new HashSet<>();
        for (int id : newIds) fresh.add(id);
        int[] neighbours = new int[n];
        int m = 0;
        for (int i = 0; i < n && m < params.reassignK(); i++) if (!fresh.contains(ids[i])) neighbours[m++] = ids[i];
        List<byte[]> values = core.storage().postings(neighbours, m);
        for (int j = 0; j < m; j++) {
            byte[] p = values.get(j);
            HeadIndex.Head nh = heads.get(neighbours[j]);
            if (p == null || nh == null) continue;
            LivePosting lp = LivePosting.of(p, core.dim(), core.versions(), neighbours[j]);
            for (int i = 0; i < lp.count(); i++) {
                float[] x = lp.vector(i);
                float dNew = Float.POSITIVE_INFINITY;
                for (float[] c : newCentroids) dNew = Math.min(dNew, dist(x, c));
                if (neighbourMayMove(dist(x, oldCentroid), dist(x, nh.centroid), dNew, dNew) && done.add(lp.vid(i))) {
                    reassignChecks.incrementAndGet();
                    switch (core.recheckNeighbour(lp.vid(i), lp.version(i), x, nh.id, newIds, nb)) {
                        case REPLACED -> {
                            reassigned.incrementAndGet();
                            movedNeighbours.incrementAndGet();
                        }
                        case ADDED -> addedNeighbours.incrementAndGet();
                        case STAYED -> { }
                    }
                }
            }
        }
    }

    private void count(HeadNeighbourhood nb) {
        if (nb == null) return;
        neighbourhoodExact.addAndGet(nb.exactCount());
        neighbourhoodFallbacks.addAndGet(nb.fallbackCount());
    }

    /** A vector of the split posting may need another home when the old head was closer to it than its new head. */
    static boolean splitMemberMayMove(float dOld, float dAssigned) {
        return dOld < dAssigned;
    }

    /**
     * A vector of a neighbouring posting may need another home only when a new head is closer
     * to it than both the old head (else the split changed nothing for it) and its current head.
     */
    static boolean neighbourMayMove(float dOld, float dCurrent, float dNew0, float dNew1) {
        float dNew = Math.min(dNew0, dNew1);
        return dNew < dOld && dNew < dCurrent;
    }

    private void replaceOnce(long vid, int version, float[] x, int previousHead, Set<Long> done, AtomicLong cause, HeadNeighbourhood nb) {
        if (!done.add(vid)) return;
        reassignChecks.incrementAndGet();
        if (core.replace(vid, version, x, previousHead, nb)) {
            reassigned.incrementAndGet();
            cause.incrementAndGet();
        }
    }

    private float dist(float[] a, float[] b) {
        return core.kernels().distance(core.metric().kernelMetric(), a, 0, b, 0, a.length);
    }

    /**
     * Merge (§4.1): a posting whose live length fell under {@code min_posting} is folded into the
     * nearest head whose posting stays within {@code max_posting}; the head is removed and its
     * vectors are reassigned when another head now suits them better.
     */
    void merge(int headId) {
        HeadIndex heads = core.heads();
        if (heads == null) return;
        HeadIndex.Head h = heads.get(headId);
        if (h == null) return;
        int target = -1;
        LivePosting moved;
        try (LockStripes.Held held = core.lockExclusive(headId)) {
            if (!heads.isAlive(headId)) return;
            byte[] p = core.storage().posting(headId);
            if (p == null) return;
            LivePosting live = LivePosting.of(p, core.dim(), core.versions(), headId);
            if (live.count() >= params.minPosting()) {
                if (live.count() < live.totalEntries()) rewrite(h, live);
                return;
            }
            if (live.count() == 0) {
                if (heads.size() <= 1) {
                    if (live.totalEntries() > 0) rewrite(h, live);
                    return;
                }
                try (SpannStorage.PostingBatch b = new SpannStorage.PostingBatch()) {
                    SpannStorage.deleteHeadAndPosting(b, core.db(), headId);
                    core.storage().commit(b);
                }
                heads.remove(headId);
                merges.incrementAndGet();
                return;
            }
            target = pickTarget(heads, h, live.count());
        }
        if (target < 0) return;
        // take both postings exclusively (ascending stripe order inside lockExclusive), then re-validate
        try (LockStripes.Held held = core.lockExclusive(headId, target)) {
            HeadIndex.Head g = heads.get(target);
            if (!heads.isAlive(headId) || g == null) return;
            byte[] p = core.storage().posting(headId);
            byte[] pg = core.storage().posting(target);
            if (p == null || pg == null) return;
            moved = LivePosting.of(p, core.dim(), core.versions(), headId);
            LivePosting merged = LivePosting.of(pg, core.dim(), core.versions(), target).union(moved);
            if (merged.count() > params.maxPosting()) {
                // the target grew since it was picked: a merge must never create a posting that needs a split
                core.noteRewritten(g, LivePosting.countLive(pg, core.dim(), PostingCodec.count(pg, core.dim(), target), core.versions()));
                return;
            }
            try (SpannStorage.PostingBatch b = new SpannStorage.PostingBatch()) {
                SpannStorage.putPosting(b, core.db(), target, merged.encode(core.dim()));
                SpannStorage.putHead(b, core.db(), target, HeadCodec.encode(g.centroid, merged.count()));
                SpannStorage.deleteHeadAndPosting(b, core.db(), headId);
                core.storage().commit(b);
            }
            core.noteRewritten(g, merged.count());
            heads.remove(headId);
            merges.incrementAndGet();
            core.noteMoved(moved.count());
        }
        HeadIndex.Head g = heads.get(target);
        if (g == null) return;
        // SPFresh's MergePostings re-checks a moved vector when its new head is farther than its old
        // one, which is nearly always; the target's centroid does not describe the moved vectors, so
        // every one is re-checked
        Set<Long> done = new HashSet<>();
        HeadNeighbourhood nb = core.neighbourhood(h.centroid); // the moved vectors lie around the merged head
        try {
            for (int i = 0; i < moved.count(); i++) replaceOnce(moved.vid(i), moved.version(i), moved.vector(i), target, done, movedMerged, nb);
        } finally {
            count(nb);
        }
        if (g.length() > params.maxPosting()) core.maintenance().requestSplit(target);
        heads.compactIfWorthIt();
    }

    /** The nearest other head whose posting has room for {@code incoming} more entries, or -1. */
    private int pickTarget(HeadIndex heads, HeadIndex.Head h, int incoming) {
        int want = 16;
        int[] ids = new int[want];
        float[] ds = new float[want];
        int n = heads.nearest(h.centroid, want, ids, ds);
        for (int i = 0; i < n; i++) {
            if (ids[i] == h.id) continue;
            HeadIndex.Head g = heads.get(ids[i]);
            if (g != null && g.length() + incoming <= params.maxPosting()) return ids[i];
        }
        return -1;
    }

    /** Reads one posting and reports what it needs (the sweep); returns whether a request was made. */
    void sweepOne(HeadIndex.Head h) {
        byte[] p = core.storage().posting(h.id);
        if (p == null) return;
        core.observeFully(h, p, PostingCodec.count(p, core.dim(), h.id));
    }
}
