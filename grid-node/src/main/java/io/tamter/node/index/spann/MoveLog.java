package io.tamter.node.index.spann;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The recent re-placements of live vectors (LIRE's reassignments), so that a search sees the
 * index as of its own start: it closes the window in which a search could miss a vector that
 * LIRE moved while the search ran.
 *
 * <p><b>The window.</b> A re-placement writes the vector to its new postings at version
 * {@code v+1}, then sets the version map to {@code v+1}, which makes the copies at {@code v}
 * stale. A search that read the old posting before the move and scans it after finds the entry
 * stale by the version map; if it read the new posting before the write, or does not probe it,
 * it never sees the vector. Without this log that search misses the vector (the miss rate grew
 * with LIRE's activity; tests had to wait for the rebalancer to drain).
 *
 * <p>What it does not cover: a search that reads a posting only after a merge deleted it finds
 * no old copy to count; the merged vectors went to other postings, which the search may have
 * scanned before they arrived. SpannSearcher catches that case by the vanished posting itself
 * (it scans every head again).
 *
 * <p><b>The rule.</b> A search takes {@link #epoch()} when it starts. An entry of vid at version
 * {@code e} that the version map calls stale (current {@code c}) still counts when the moves of
 * vid recorded after the search started lead from {@code e} to {@code c}: then the entry was the
 * vector's current copy when the search started, and a move does not change the vector, so its
 * distance is the vector's. An update or delete is not a move: it breaks the chain, and the
 * stale entry stays out. A vector seen both at its old and at its new copy counts once
 * ({@link TopK} keeps one pair per vid).
 *
 * <p><b>Order.</b> A move is recorded before the version map changes (under the vid's lock, after
 * the new copy is committed), so a search that sees the new version finds its record.
 *
 * <p><b>Size.</b> The last {@value #CAPACITY} moves are kept (a ring; the oldest is forgotten
 * first), about 1.5 MB once full, allocated at the first move. A search that overlaps more moves
 * than that can still miss a vector moved in the forgotten part, as before.
 *
 * <p>Thread-safe: moves are recorded under this object's lock (LIRE's few threads); lookups are
 * lock-free, and a search that overlapped no move pays one volatile read per stale entry.
 */
final class MoveLog {
    static final int CAPACITY = 1 << 14;

    /** Moves recorded so far; a move's epoch is its number (1, 2, …). */
    private volatile long epoch;
    /** vid → its retained moves as (from, to, epoch) triples, oldest first; replaced whole on change. */
    private final ConcurrentHashMap<Long, long[]> byVid = new ConcurrentHashMap<>();
    private long[] ringVids;
    private long[] ringEpochs;

    /** The number of moves recorded so far: a search's start. */
    long epoch() {
        return epoch;
    }

    /** Records that {@code vid} moved from version {@code from} to {@code to}; before the version map changes. */
    synchronized void record(long vid, int from, int to) {
        if (ringVids == null) {
            ringVids = new long[CAPACITY];
            ringEpochs = new long[CAPACITY];
        }
        long e = epoch + 1;
        int slot = (int) (e & (CAPACITY - 1));
        if (e > CAPACITY) forget(ringVids[slot], ringEpochs[slot]);
        ringVids[slot] = vid;
        ringEpochs[slot] = e;
        long[] old = byVid.get(vid);
        int n = old == null ? 0 : old.length;
        long[] moves = old == null ? new long[3] : java.util.Arrays.copyOf(old, n + 3);
        moves[n] = from;
        moves[n + 1] = to;
        moves[n + 2] = e;
        byVid.put(vid, moves);
        epoch = e; // published last: a search that reads this epoch finds the record
    }

    private void forget(long vid, long e) {
        long[] moves = byVid.get(vid);
        if (moves == null) return;
        int at = -1;
        for (int i = 0; i < moves.length; i += 3) if (moves[i + 2] == e) at = i;
        if (at < 0) return;
        if (moves.length == 3) {
            byVid.remove(vid);
            return;
        }
        long[] rest = new long[moves.length - 3];
        System.arraycopy(moves, 0, rest, 0, at);
        System.arraycopy(moves, at + 3, rest, at, moves.length - at - 3);
        byVid.put(vid, rest);
    }

    /**
     * Whether an entry of {@code vid} at version {@code entry} was the vector's current copy when a
     * search that started at {@code since} began, although the version map now says {@code current}:
     * the moves recorded after {@code since} lead from one to the other (see the class comment).
     */
    boolean movedSince(long vid, int entry, int current, long since) {
        if (epoch == since || VersionMap.isDeleted(current)) return false;
        long[] moves = byVid.get(vid);
        if (moves == null) return false;
        int v = entry;
        boolean moved = false;
        for (int i = 0; i < moves.length; i += 3) {
            if (moves[i + 2] <= since) continue;
            if (moves[i] != v) return false; // something other than a move changed it in between
            v = (int) moves[i + 1];
            moved = true;
        }
        return moved && v == current;
    }

    /** Whether any move was recorded after {@code since}. */
    boolean movedAfter(long since) {
        return epoch != since;
    }
}
