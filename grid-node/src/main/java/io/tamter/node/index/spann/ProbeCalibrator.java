package io.tamter.node.index.spann;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How many postings, nearest head first, this index's own queries need: the adaptive probe
 * rule of {@code index.probe_target_recall} (issue 8, "probe only what can matter").
 *
 * <p><b>Why measure.</b> How deep a query must probe depends on the data and on the queries,
 * and no bound computed from heads and radii tells it in high dimensions (the radius rule skips
 * nearly nothing on text embeddings). SciFact's queries find their ten neighbours within 16–48
 * postings; the clustered-shift stream's queries about clusters that are not (or no longer) in the
 * index need 128 (benchmarks/README.md). A fixed {@code nprobe} serves one of them; so does a
 * per-query rule that guesses from the order in which the top k fill up (patience, measured and
 * dropped). This class measures instead: every {@value #SAMPLE_EVERY}th search runs at the cap
 * ({@code index.nprobe}) and records the rank (position in head order) of the posting where each
 * of its final k was first seen. From the last {@value #WINDOW} such samples, the plan is the
 * smallest probe depth at which their mean recall against their own cap answer reaches the
 * target. Samples are taken uniformly, so the estimate is of the workload's own queries.
 *
 * <p><b>Queries unlike the measured ones.</b> A query whose nearest head is farther than all
 * but one of the sampled queries' nearest heads (out of distribution: its own cluster is missing)
 * runs at the cap, whatever the plan says, so a workload of familiar queries does not cost a rare
 * strange one its recall (the second largest, so that one strange sample does not open the door to
 * all strange queries). So does a query whose k-th distance, once it has probed the plan's depth,
 * is still farther than all but one of the samples' final k-th distances: its neighbours are
 * farther than the measured queries' were (a query about a cluster just deleted, whose emptied
 * heads are still the nearest ones, or whose neighbours are spread over many postings). Such
 * queries enter the window at the same sampling rate as any other, so a workload that becomes
 * strange is measured as such.
 *
 * <p><b>Changes to the data.</b> A sample is dropped once the index has taken more writes (inserts,
 * deletes, and vectors the rebalancer moved) than
 * {@value #STALE_CHANGE} of its live vectors (at least {@value #MIN_STALE_WRITES}) since it was
 * measured: inserts create new heads and move neighbours, so an old depth can be too shallow.
 * Until the window is full again every search runs at the cap and is a sample. While the
 * rebalancer has splits, merges or reassignments queued or running, searches run at the cap and
 * are not samples: vectors that arrived before their region had heads sit in far postings until
 * LIRE places them (the clustered-shift stream's insert steps lost up to 0.2 recall when the
 * plan applied during that time).
 *
 * <p>Thread-safe: searches read the plan (a volatile record); samples are added under the
 * object's lock (one search in {@value #SAMPLE_EVERY}).
 */
final class ProbeCalibrator {
    /** Samples the plan is computed from. */
    static final int WINDOW = 128;
    /** One search in this many runs at the cap and becomes a sample. */
    static final int SAMPLE_EVERY = 32;
    /** A sample is dropped after this many writes per live vector since it was taken. */
    static final double STALE_CHANGE = 0.02;
    static final long MIN_STALE_WRITES = 256;

    /**
     * What searches probe while the window holds.
     *
     * @param target     the recall it was computed for
     * @param nprobe     postings to probe, nearest head first
     * @param headLimit  the second largest nearest-head kernel distance among the samples: a query beyond it runs at the cap
     * @param kthLimit   the second largest final k-th kernel distance among the samples: a query whose k-th is beyond it
     *                   after the plan's depth goes on to the cap
     * @param validUntil the index's write count past which the oldest sample is stale
     */
    record Plan(double target, int nprobe, float headLimit, float kthLimit, long validUntil) {}

    private record Sample(int[] ranks, float nearestHead, float kth, long writes) {}

    private final ArrayDeque<Sample> window = new ArrayDeque<>();
    private final AtomicLong searches = new AtomicLong();
    private volatile Plan plan;

    /**
     * The plan a search at {@code target} follows, or null when it must run at the cap and be
     * recorded as a sample: every {@value #SAMPLE_EVERY}th search, and all of them while the
     * window is not full, was computed for another target, or holds a stale sample.
     */
    Plan plan(double target, long writes) {
        Plan p = plan;
        if (searches.getAndIncrement() % SAMPLE_EVERY == 0) return null;
        if (p == null || p.target != target || writes > p.validUntil) return null;
        return p;
    }

    /**
     * Records a search run at the cap: {@code ranks} are the ranks (1 = nearest head) of the
     * postings where its final matches were first seen, {@code nearestHead} its nearest head's
     * kernel distance, {@code kth} its final k-th kernel distance (+∞ when it found fewer than k),
     * {@code writes} and {@code live} the index's write count and live vectors now.
     */
    synchronized void record(int[] ranks, float nearestHead, float kth, double target, int cap, long writes, long live) {
        long allowance = Math.max(MIN_STALE_WRITES, (long) (STALE_CHANGE * live));
        while (!window.isEmpty() && writes - window.peekFirst().writes > allowance) window.pollFirst();
        if (ranks.length > 0) {
            if (window.size() == WINDOW) window.pollFirst();
            window.addLast(new Sample(ranks, nearestHead, kth, writes));
        }
        plan = window.size() < WINDOW ? null : compute(target, cap, window.peekFirst().writes + allowance);
    }

    /** The smallest depth at which the window's mean recall reaches {@code target}, and the nearest-head limit. */
    private Plan compute(double target, int cap, long validUntil) {
        int maxRank = 1;
        float[] heads = new float[window.size()], kths = new float[window.size()];
        int i = 0;
        for (Sample s : window) {
            heads[i] = s.nearestHead;
            kths[i++] = s.kth;
            for (int r : s.ranks) maxRank = Math.max(maxRank, r);
        }
        // each sample's recall at depth d is the share of its ranks <= d; the window's is their mean
        double[] atRank = new double[maxRank + 1];
        for (Sample s : window) for (int r : s.ranks) atRank[Math.max(1, r)] += 1.0 / (s.ranks.length * (double) window.size());
        double recall = 0;
        int depth = maxRank;
        for (int d = 1; d <= maxRank; d++) {
            recall += atRank[d];
            if (recall >= target - 1e-9) {
                depth = d;
                break;
            }
        }
        return new Plan(target, Math.max(1, Math.min(cap, depth)), secondLargest(heads), secondLargest(kths), validUntil);
    }

    /** The second largest value (one outlier sample must not set a limit). */
    static float secondLargest(float[] xs) {
        float first = Float.NEGATIVE_INFINITY, second = Float.NEGATIVE_INFINITY;
        for (float x : xs) {
            if (x > first) {
                second = first;
                first = x;
            } else if (x > second) {
                second = x;
            }
        }
        return second;
    }

    /** The current plan, for stats and tests (null: every search runs at the cap). */
    Plan current() {
        return plan;
    }
}
