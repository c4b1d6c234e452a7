package io.tamter.node.index.spann;

import io.tamter.kernels.Metric;
import io.tamter.kernels.QueryVector;
import io.tamter.node.index.spann.IndexMetaCodec.State;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Search over one shard's index (SPFRESH.md "Search"):
 * <ol>
 *   <li>the {@code nprobe} nearest heads, pruned query-aware: head {@code c_j} is skipped when
 *       {@code d(q,c_j) > (1+ε)·d(q,c_1)};</li>
 *   <li>their postings in one multi-get, each scanned by the kernel against the current k-th
 *       distance, skipping stale and deleted entries (and, with a filter, non-matching vids);
 *       replicas are merged by {@link TopK};</li>
 *   <li>with a filter, when fewer than k matches were found, the heads the pruning skipped are read,
 *       then {@code nprobe} doubles (the heads
 *       already scanned are not read again) until k are found or every head was scanned.</li>
 * </ol>
 * A posting that vanished between the head search and the read (a split or merge replaced
 * it) makes the search look its heads up again, so a concurrent split does not hide vectors.
 * Not covered (known, as in SPFresh): a vector that LIRE re-places between this search's
 * multi-get and its scan is missed by that one search — the fetched entry is already stale by
 * the version map and the new entry was written after the fetch.
 * While the index is flat (below its build threshold) the one flat posting is scanned exactly.
 * Every posting read also feeds the rebalancer ({@link SpannCore#observe}).
 */
public final class SpannSearcher {
    private final SpannCore core;

    public SpannSearcher(SpannCore core) {
        this.core = core;
    }

    /** Search-time parameters. */
    public record SearchParams(int k, int nprobe, double epsilon, ByteBuffer filter, long filterLimitBits, float maxKernelDistance) {
        public SearchParams {
            if (k < 1) throw new IllegalArgumentException("k must be >= 1; k=" + k);
            if (nprobe < 1) throw new IllegalArgumentException("nprobe must be >= 1; nprobe=" + nprobe);
        }

        public SearchParams withNprobe(int n) {
            return new SearchParams(k, n, epsilon, filter, filterLimitBits, maxKernelDistance);
        }
    }

    /** What a search did, for benchmarks and the recall debug route. */
    public record Stats(int postingsScanned, int entriesScanned) {}

    public record Result(TopK.Result matches, Stats stats) {}

    public Result search(float[] q, SearchParams sp) {
        core.stateLock.readLock().lock();
        try {
            if (core.state == State.FLAT) return searchFlat(q, sp);
            return searchBuilt(q, sp);
        } finally {
            core.stateLock.readLock().unlock();
        }
    }

    private Result searchFlat(float[] q, SearchParams sp) {
        TopK top = new TopK(sp.k());
        byte[] p = core.storage.posting(SpannStorage.FLAT_HEAD);
        if (p == null) return new Result(top.sorted(), new Stats(0, 0));
        int count = PostingCodec.count(p, core.dim, SpannStorage.FLAT_HEAD);
        scan(p, count, new QueryVector(q), sp, top, new long[sp.k()], new float[sp.k()]);
        return new Result(top.sorted(), new Stats(1, count));
    }

    private Result searchBuilt(float[] q, SearchParams sp) {
        HeadIndex heads = core.heads;
        QueryVector qv = new QueryVector(q);
        TopK top = new TopK(sp.k());
        long[] outVids = new long[sp.k()];
        float[] outDists = new float[sp.k()];
        Set<Integer> scanned = new HashSet<>();
        int nprobe = sp.nprobe();
        double epsilon = sp.epsilon();
        int postings = 0, entries = 0;
        int vanishedRounds = 0;
        while (true) {
            int[] ids = new int[nprobe];
            float[] ds = new float[nprobe];
            int found = heads.nearest(q, nprobe, ids, ds);
            int n = prune(ds, found, epsilon);
            int[] todo = new int[n];
            int t = 0;
            for (int i = 0; i < n; i++) if (scanned.add(ids[i])) todo[t++] = ids[i];
            List<byte[]> values = core.storage.postings(todo, t);
            boolean vanished = false;
            for (int i = 0; i < t; i++) {
                byte[] p = values.get(i);
                if (p == null) { // split or merged away since the head search: its entries live on under new heads
                    vanished = true;
                    continue;
                }
                int count = PostingCodec.count(p, core.dim, todo[i]);
                scan(p, count, qv, sp, top, outVids, outDists);
                postings++;
                entries += count;
                HeadIndex.Head h = heads.get(todo[i]);
                if (h != null) core.observe(h, p, count);
            }
            // a vanished posting's entries now sit under heads the first head search did not see: look again
            if (vanished && vanishedRounds++ < 3) continue;
            // a filter that leaves fewer than k: first the heads the pruning skipped, then twice as many heads
            boolean widen = sp.filter() != null && !top.full() && (n < found || (found == nprobe && nprobe < heads.size()));
            if (!widen) break;
            if (n < found) epsilon = Double.POSITIVE_INFINITY;
            else nprobe = (int) Math.min((long) nprobe * 2, heads.size());
        }
        return new Result(top.sorted(), new Stats(postings, entries));
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
