package io.tamter.node.index.spann;

import io.tamter.node.index.spann.IndexMetaCodec.State;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.stream.IntStream;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The static SPANN build: heads by hierarchical balanced k-means (each node of the hierarchy
 * is split into {@code min(kmeans_branching, ⌈size/build_posting⌉)} balanced clusters until a
 * cluster holds at most {@code build_posting} vectors; the leaves' centroids are the heads),
 * then every vector is written to the postings chosen by the closure and RNG rules
 * ({@link ReplicaSelector}).
 *
 * <p>Used twice: when a flat shard reaches {@code build_threshold} (one atomic write batch,
 * under the index's state lock), and to bulk-load an empty index (benchmarks and large
 * imports; written in bounded batches, so not atomic as a whole — the meta record switches to
 * BUILT in the last batch, and an interrupted bulk load leaves an index the integrity check
 * rejects).
 */
final class SpannBuilder {
    private static final Logger LOG = LoggerFactory.getLogger(SpannBuilder.class);
    private static final long BATCH_BYTES = 32L << 20;

    private final SpannCore core;

    SpannBuilder(SpannCore core) {
        this.core = core;
    }

    /** A vector source for the bulk build (vectors as given; the builder prepares them). */
    interface Source {
        int size();

        long vid(int i);

        float[] vector(int i);
    }

    /** Switches a flat index to heads + postings. Caller holds the state lock exclusively. */
    void buildFromFlat() {
        byte[] p = core.storage.posting(SpannStorage.FLAT_HEAD);
        LivePosting live = p == null ? null : LivePosting.of(p, core.dim, core.versions, SpannStorage.FLAT_HEAD);
        int n = live == null ? 0 : live.count();
        float[] data = new float[n * core.dim];
        long[] vids = new long[n];
        int[] vers = new int[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(live.vector(i), 0, data, i * core.dim, core.dim);
            vids[i] = live.vid(i);
            vers[i] = live.version(i);
        }
        long t0 = System.nanoTime();
        HeadIndex hs = newHeadIndex();
        Assignment a = buildAndAssign(hs, data, n);
        try (SpannStorage.PostingBatch b = new SpannStorage.PostingBatch()) {
            writePostings(b, hs, a, data, vids, vers);
            SpannStorage.deletePosting(b, core.db, SpannStorage.FLAT_HEAD);
            SpannStorage.putMeta(b, core.db, IndexMetaCodec.encode(new IndexMetaCodec.Meta(State.BUILT, core.metric, core.dim,
                    core.nextHeadId.get())));
            core.storage.commit(b);
        }
        for (int i = 0; i < n; i++) core.replicas.set(vids[i], a.replicasPerRow()[i]);
        core.heads = hs;
        core.state = State.BUILT;
        core.flatLength.set(0);
        LOG.info("index built from its flat posting: {} vectors, {} heads in {} ms", n, hs.size(), (System.nanoTime() - t0) / 1_000_000);
    }

    /** Bulk-loads an empty index. Caller holds the state lock exclusively. */
    void bulk(Source src) {
        int n = src.size();
        int dim = core.dim;
        if ((long) n * dim > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("bulk build of " + n + "x" + dim + " exceeds one array");
        float[] data = new float[n * dim];
        long[] vids = new long[n];
        IntStream.range(0, n).parallel().forEach(i -> {
            float[] v = src.vector(i);
            if (v.length != dim) throw new IllegalArgumentException("vector " + i + " has " + v.length + " dimensions, index has " + dim);
            System.arraycopy(core.metric.prepare(v), 0, data, i * dim, dim);
            vids[i] = src.vid(i);
        });
        int[] vers = new int[n];
        Arrays.fill(vers, 1);
        HeadIndex hs = newHeadIndex();
        Assignment a = buildAndAssign(hs, data, n);
        try (WriteBatch versionsBatch = new WriteBatch()) {
            for (int i = 0; i < n; i++) {
                SpannStorage.putVersion(versionsBatch, core.db, vids[i], 1);
                if (versionsBatch.getDataSize() > BATCH_BYTES) {
                    core.db.write(versionsBatch);
                    versionsBatch.clear();
                }
            }
            core.db.write(versionsBatch);
        }
        for (int i = 0; i < n; i++) {
            core.versions.set(vids[i], 1);
            core.replicas.set(vids[i], a.replicasPerRow()[i]);
        }
        writePostings(null, hs, a, data, vids, vers);
        try (SpannStorage.PostingBatch b = new SpannStorage.PostingBatch()) {
            SpannStorage.deletePosting(b, core.db, SpannStorage.FLAT_HEAD);
            SpannStorage.putMeta(b, core.db, IndexMetaCodec.encode(new IndexMetaCodec.Meta(State.BUILT, core.metric, core.dim,
                    core.nextHeadId.get())));
            core.storage.commit(b);
        }
        core.liveCount.set(n);
        core.writes.addAndGet(n);
        core.heads = hs;
        core.state = State.BUILT;
    }

    HeadIndex newHeadIndex() {
        IndexParams p = core.params;
        return new HeadIndex(core.dim, core.metric.kernelMetric(), core.kernels, p.headGraphDegree(), p.headGraphBeam(),
                p.headSearchOverquery(), p.headScanFloats());
    }

    /** Per head (index in {@code headIds}), the rows assigned to it. */
    record Assignment(int[] headIds, int[][] rowsPerHead, int[] replicasPerRow) {}

    /** At most this many rounds of {@link #refine}; what is left over is LIRE's work. */
    private static final int REFINE_ROUNDS = 3;

    private Assignment buildAndAssign(HeadIndex hs, float[] data, int n) {
        long t0 = System.nanoTime();
        List<float[]> centroids = hierarchicalCentroids(data, n);
        long t1 = System.nanoTime();
        int firstId = core.nextHeadId.get();
        int[] leafIds = new int[centroids.size()];
        for (int i = 0; i < leafIds.length; i++) leafIds[i] = core.newHeadId();
        IntStream.range(0, leafIds.length).parallel().forEach(i -> hs.add(leafIds[i], centroids.get(i), 0));
        long t2 = System.nanoTime();
        int[][] chosen = new int[n][];
        assign(hs, data, IntStream.range(0, n), chosen);
        long t3 = System.nanoTime();
        int rounds = 0;
        int[] changed;
        while (rounds < REFINE_ROUNDS && (changed = refine(hs, data, chosen, firstId)).length > 0) {
            rounds++;
            java.util.BitSet gone = new java.util.BitSet();
            for (int id : changed) gone.set(id - firstId);
            // a row whose nearest head went away is assigned again; any other row only loses the
            // replicas that went away (assigning every touched row again cost as much as the first
            // assignment per round at 1M vectors)
            IntStream.range(0, n).parallel().forEach(r -> {
                int[] c = chosen[r];
                if (gone.get(c[0] - firstId)) return;
                int keep = 0;
                for (int id : c) if (!gone.get(id - firstId)) keep++;
                if (keep == c.length) return;
                int[] kept = new int[keep];
                int k = 0;
                for (int id : c) if (!gone.get(id - firstId)) kept[k++] = id;
                chosen[r] = kept;
            });
            assign(hs, data, IntStream.range(0, n).filter(r -> gone.get(chosen[r][0] - firstId)), chosen);
        }
        hs.compactIfWorthIt();
        // invert: rows per head
        int span = core.nextHeadId.get() - firstId;
        int[] counts = new int[span];
        long replicas = 0;
        for (int[] c : chosen) {
            for (int id : c) counts[id - firstId]++;
            replicas += c.length;
        }
        int[][] rows = new int[span][];
        for (int i = 0; i < span; i++) rows[i] = new int[counts[i]];
        int[] fill = new int[span];
        for (int r = 0; r < n; r++) for (int id : chosen[r]) rows[id - firstId][fill[id - firstId]++] = r;
        int[] headIds = IntStream.range(firstId, firstId + span).filter(hs::isAlive).toArray();
        int[][] perHead = new int[headIds.length][];
        for (int i = 0; i < headIds.length; i++) perHead[i] = rows[headIds[i] - firstId];
        LOG.info("SPANN build: {} vectors -> {} heads (k-means {} ms, head graph {} ms, assignment {} ms, {} refinement rounds {} ms), {} replicas per vector",
                n, headIds.length, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000, rounds,
                (System.nanoTime() - t3) / 1_000_000, String.format("%.2f", n == 0 ? 0.0 : replicas / (double) n));
        int[] perRow = new int[n];
        for (int r = 0; r < n; r++) perRow[r] = chosen[r].length;
        return new Assignment(headIds, perHead, perRow);
    }

    /** Chooses the postings of the given rows by the replica rules against the heads as they are. */
    private void assign(HeadIndex hs, float[] data, IntStream rows, int[][] chosen) {
        int want = core.params.headCandidates();
        rows.parallel().forEach(r -> {
            float[] x = Arrays.copyOfRange(data, r * core.dim, (r + 1) * core.dim);
            int[] ids = new int[want];
            float[] ds = new float[want];
            int m = hs.nearest(x, want, ids, ds);
            int[] out = new int[core.params.replicaCount()];
            int c = core.selector.select(x, ids, ds, m, id -> {
                HeadIndex.Head h = hs.get(id);
                return h == null ? null : h.centroid;
            }, out);
            chosen[r] = Arrays.copyOf(out, c);
        });
    }

    /**
     * One round of bringing the postings the assignment produced within the limits LIRE keeps:
     * a head with fewer than {@code min_posting} vectors is dropped, one with more than
     * {@code max_posting} is replaced by balanced k-means of its vectors into parts of about
     * {@code build_posting}. Returns the heads removed (their rows are assigned again).
     *
     * <p>Why: balanced k-means leaves are balanced, but assigning each vector to its nearest
     * heads is not. On clustered data (synthetic, 60k×64, 200 clusters) a third of the postings
     * came out under 8 vectors and a few over 2× the limit; leaving them to LIRE cost ~1.7k
     * merges, ~1k splits and 2× n reassignments before the index was quiet. Doing it here,
     * before anything is written, costs a few partial re-assignments.
     */
    private int[] refine(HeadIndex hs, float[] data, int[][] chosen, int firstId) {
        IndexParams p = core.params;
        int span = core.nextHeadId.get() - firstId;
        int[] counts = new int[span];
        for (int[] c : chosen) for (int id : c) counts[id - firstId]++;
        List<Integer> removed = new ArrayList<>();
        List<Integer> big = new ArrayList<>();
        int alive = 0;
        for (int i = 0; i < span; i++) if (hs.isAlive(firstId + i)) alive++;
        for (int i = 0; i < span; i++) {
            int id = firstId + i;
            if (!hs.isAlive(id)) continue;
            if (counts[i] > p.maxPosting()) big.add(id);
            else if (counts[i] < p.minPosting() && alive - removed.size() > 1) removed.add(id);
        }
        if (big.isEmpty() && removed.isEmpty()) return new int[0];
        for (int id : removed) hs.remove(id);
        BalancedKMeans km = new BalancedKMeans(core.metric, core.kernels, core.dim, p.kmeansIterations(), p.kmeansSample(), p.kmeansBalance());
        long seed = 0xB16 + span;
        int[] bigIndex = new int[span];
        Arrays.fill(bigIndex, -1);
        int[][] bigRows = new int[big.size()][];
        int[] bigFill = new int[big.size()];
        for (int b = 0; b < big.size(); b++) {
            bigIndex[big.get(b) - firstId] = b;
            bigRows[b] = new int[counts[big.get(b) - firstId]];
        }
        for (int r = 0; r < chosen.length; r++) {
            for (int c : chosen[r]) {
                int b = bigIndex[c - firstId];
                if (b >= 0) bigRows[b][bigFill[b]++] = r;
            }
        }
        for (int b = 0; b < big.size(); b++) {
            int id = big.get(b);
            int[] rows = bigRows[b];
            int k = Math.max(2, (rows.length + p.buildPosting() - 1) / p.buildPosting());
            BalancedKMeans.Clustering c = km.cluster(data, rows, k, seed++);
            if (c.centroids().length < 2) continue; // identical vectors: nothing to cut on
            for (float[] centroid : c.centroids()) hs.add(core.newHeadId(), centroid, 0);
            hs.remove(id);
            removed.add(id);
        }
        return removed.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Leaves of the balanced k-means hierarchy, as centroids. */
    List<float[]> hierarchicalCentroids(float[] data, int n) {
        IndexParams p = core.params;
        BalancedKMeans km = new BalancedKMeans(core.metric, core.kernels, core.dim, p.kmeansIterations(), p.kmeansSample(), p.kmeansBalance());
        List<float[]> leaves = new ArrayList<>();
        if (n == 0) return leaves;
        Deque<int[]> work = new ArrayDeque<>();
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        work.push(all);
        long seed = 0x5EED;
        while (!work.isEmpty()) {
            int[] rows = work.pop();
            int target = p.buildPosting();
            if (rows.length <= target) {
                leaves.add(km.centroidOf(data, rows));
                continue;
            }
            int k = (int) Math.min(p.kmeansBranching(), Math.max(2, (rows.length + target - 1) / target));
            BalancedKMeans.Clustering c = km.cluster(data, rows, k, seed++);
            int kk = c.centroids().length;
            if (kk < 2) { // cannot split (identical vectors): one head
                leaves.add(km.centroidOf(data, rows));
                continue;
            }
            int[] sizes = new int[kk];
            for (int a : c.assignment()) sizes[a]++;
            int[][] groups = new int[kk][];
            for (int g = 0; g < kk; g++) groups[g] = new int[sizes[g]];
            int[] f = new int[kk];
            for (int i = 0; i < rows.length; i++) {
                int g = c.assignment()[i];
                groups[g][f[g]++] = rows[i];
            }
            for (int[] g : groups) if (g.length > 0) work.push(g);
        }
        return leaves;
    }

    /**
     * Writes heads and postings. Heads that received no vector are dropped (a head without
     * entries would only cost a probe). With {@code into} non-null everything goes into that
     * one batch; otherwise batches of bounded size are written as they fill.
     */
    private void writePostings(SpannStorage.PostingBatch into, HeadIndex hs, Assignment a, float[] data, long[] vids, int[] vers) {
        int dim = core.dim;
        SpannStorage.PostingBatch b = into != null ? into : new SpannStorage.PostingBatch();
        try {
            for (int i = 0; i < a.headIds().length; i++) {
                int id = a.headIds()[i];
                int[] rows = a.rowsPerHead()[i];
                if (rows.length == 0) {
                    hs.remove(id);
                    continue;
                }
                long[] pv = new long[rows.length];
                int[] pver = new int[rows.length];
                float[][] vec = new float[rows.length][];
                for (int j = 0; j < rows.length; j++) {
                    int r = rows[j];
                    pv[j] = vids[r];
                    pver[j] = vers[r];
                    vec[j] = Arrays.copyOfRange(data, r * dim, (r + 1) * dim);
                }
                HeadIndex.Head h = hs.get(id);
                h.length = rows.length;
                SpannStorage.putHead(b, core.db, id, HeadCodec.encode(h.centroid, rows.length));
                SpannStorage.putPosting(b, core.db, id, PostingCodec.encode(dim, rows.length, pv, pver, vec));
                if (into == null && b.getDataSize() > BATCH_BYTES) {
                    core.storage.commit(b);
                    b.clear();
                }
            }
            if (into == null) core.storage.commit(b);
        } finally {
            if (into == null) b.close();
        }
        hs.compact();
    }
}
