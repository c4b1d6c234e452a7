package io.tamter.node.index.spann;

import io.tamter.node.index.spann.IndexMetaCodec.State;

/**
 * Exact figures of an index, read from every posting: what the benchmarks report
 * ({@code max_posting}, {@code stale_fraction}) and what the integrity tests compare against
 * the configured limits.
 *
 * @param state            flat or built
 * @param liveVectors      live vids
 * @param heads            heads (postings)
 * @param entries          posting entries, live and stale, over all postings
 * @param liveEntries      entries of the current version of a live vid
 * @param maxPosting       the longest posting, in entries
 * @param maxLivePosting   the most live entries in one posting
 * @param meanPosting      mean entries per posting
 * @param replication      live entries per live vector (the effective replica count)
 * @param staleFraction    share of entries that are stale
 */
public record IndexStats(State state, long liveVectors, int heads, long entries, long liveEntries, int maxPosting,
                         int maxLivePosting, double meanPosting, double replication, double staleFraction) {

    static IndexStats compute(SpannCore core) {
        long[] entries = {0};
        long[] liveEntries = {0};
        int[] maxLen = {0};
        int[] maxLive = {0};
        int[] postings = {0};
        core.storage.forEachPosting((id, value) -> {
            int n = PostingCodec.count(value, core.dim, id);
            int live = LivePosting.countLive(value, core.dim, n, core.versions);
            entries[0] += n;
            liveEntries[0] += live;
            maxLen[0] = Math.max(maxLen[0], n);
            maxLive[0] = Math.max(maxLive[0], live);
            postings[0]++;
        });
        long lv = core.liveCount.get();
        return new IndexStats(core.state, lv, postings[0], entries[0], liveEntries[0], maxLen[0], maxLive[0],
                postings[0] == 0 ? 0 : entries[0] / (double) postings[0],
                lv == 0 ? 0 : liveEntries[0] / (double) lv,
                entries[0] == 0 ? 0 : 1.0 - liveEntries[0] / (double) entries[0]);
    }
}
