package io.tamter.node.index.spann;

import java.util.Arrays;

/**
 * vid → how many postings its current version was written to, in memory only: a hint for LIRE,
 * not part of the index's state (it is not persisted; after a reopen every vid reads
 * {@link #UNKNOWN} until it is written again).
 *
 * <p>Why LIRE needs it: a re-check of a vector found in posting P can see that P is the
 * vector's nearest head, but not whether the vector also sits in the other postings the
 * replica rules now choose. A vector that arrived before its region had heads was written to
 * one far posting; splits then only partition that posting, so without this count it stays a
 * single replica forever (clustered-shift runbook: 1.18 replicas per vector where the rules
 * give ~1.5, and 37 % of the vectors outside their nearest head's posting; re-placing every
 * vector once by the rules at the end of the insert phase raised the delete phase's recall
 * from 0.71 to 0.97).
 *
 * <p>The count is an upper bound: a split moves each entry to one part (the count holds), a
 * merge that finds a vector already in its target drops one entry (the count is not lowered).
 * Writes are serialized (and also happen under the vid's lock in {@link SpannCore}); readers
 * may see an older value, which only makes a re-check more or less eager.
 */
public final class ReplicaCounts {
    /** A vid whose count is not known (never written since the index was opened). */
    public static final int UNKNOWN = 0;

    private volatile byte[] counts = new byte[1024];

    /** The count of {@code vid}, or {@link #UNKNOWN}. */
    public int get(long vid) {
        byte[] c = counts;
        return vid >= 0 && vid < c.length ? c[(int) vid] & 0xFF : UNKNOWN;
    }

    /** Records that the current version of {@code vid} was written to {@code n} postings (capped at 255). */
    public synchronized void set(long vid, int n) {
        if (vid < 0 || vid > Integer.MAX_VALUE - 8) return; // a hint: vids beyond an array stay unknown
        int v = (int) vid;
        byte[] c = counts;
        if (v >= c.length) { // grow under the monitor, so no write to the old array is lost
            long cap = c.length;
            while (cap <= v) cap *= 2;
            c = Arrays.copyOf(c, (int) Math.min(cap, Integer.MAX_VALUE - 8));
            counts = c;
        }
        c[v] = (byte) Math.min(n, 255);
    }

    public long ramBytesUsed() {
        return counts.length;
    }
}
