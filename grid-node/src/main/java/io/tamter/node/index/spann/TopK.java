package io.tamter.node.index.spann;

import java.util.Arrays;

/**
 * The k closest (vid, distance) pairs seen so far, without duplicates: a vector replicated
 * into several postings is reported by each of their scans with the same distance, and must
 * count once. A max-heap on distance; duplicates are found by a scan of the k vids when k is
 * small (at k = 10 that is faster than a hash set: its tombstones made probe chains long, and it
 * showed in SciFact profiles), by an open-addressing set of the vids in the heap above
 * {@value #LINEAR_MAX}.
 *
 * <p>Each kept pair also carries the {@linkplain #tag tag} that was current when it was first
 * offered: the search sets it to the rank of the posting it scans, so that a search run for
 * {@link ProbeCalibrator} knows where each of its final k was found.
 */
public final class TopK {
    private final int k;
    private final long[] vids;
    private final float[] dists;
    private final int[] tags;
    private int size;
    /** The tag given to pairs offered from now on (see the class comment). */
    int tag;
    /** Null up to {@value #LINEAR_MAX} pairs: duplicates are found by a scan of {@link #vids}. */
    private long[] table;
    private int tableCount;
    private int tableTombs;

    private static final long EMPTY = -1L;
    private static final long TOMB = -2L;
    static final int LINEAR_MAX = 64;

    public TopK(int k) {
        if (k < 1) throw new IllegalArgumentException("k must be >= 1; k=" + k);
        this.k = k;
        this.vids = new long[k];
        this.dists = new float[k];
        this.tags = new int[k];
        if (k > LINEAR_MAX) {
            this.table = new long[Integer.highestOneBit(Math.max(8, k * 4 - 1)) << 1];
            Arrays.fill(table, EMPTY);
        }
    }

    public int size() {
        return size;
    }

    public int k() {
        return k;
    }

    public boolean full() {
        return size == k;
    }

    /** Distances at or above this cannot enter (+∞ until full). */
    public float bound() {
        return size < k ? Float.POSITIVE_INFINITY : dists[0];
    }

    /**
     * Offers a pair; returns whether it was kept. A vid already kept keeps the smaller of its two
     * distances: the copies of a vector in different postings are meant to be equal, and if two
     * differ in the last bit the answer must not depend on which posting was scanned first (the
     * radius rule and the posting cache change that order from one search to the next).
     */
    public boolean offer(long vid, float dist) {
        if (size == k && dist >= dists[0]) return false;
        int at = indexOf(vid);
        if (at >= 0) {
            if (dist >= dists[at]) return false;
            siftDown(at, vid, dist, tags[at]); // a smaller key in a max-heap moves down; the first tag stays
            return true;
        }
        if (size < k) {
            siftUp(size++, vid, dist, tag);
        } else {
            if (table != null) remove(vids[0]);
            siftDown(0, vid, dist, tag);
        }
        if (table != null) insert(vid);
        return true;
    }

    /** Where {@code vid} sits in the heap, or -1. */
    private int indexOf(long vid) {
        if (table != null && !contains(vid)) return -1;
        for (int i = 0; i < size; i++) if (vids[i] == vid) return i;
        return -1;
    }

    /** The tags of the pairs kept, in no particular order. */
    int[] keptTags() {
        return Arrays.copyOf(tags, size);
    }

    private void siftUp(int i, long vid, float dist, int t) {
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (dists[p] >= dist) break;
            dists[i] = dists[p];
            vids[i] = vids[p];
            tags[i] = tags[p];
            i = p;
        }
        dists[i] = dist;
        vids[i] = vid;
        tags[i] = t;
    }

    private void siftDown(int i, long vid, float dist, int t) {
        while (true) {
            int l = 2 * i + 1;
            if (l >= size) break;
            int r = l + 1;
            int c = (r < size && dists[r] > dists[l]) ? r : l;
            if (dists[c] <= dist) break;
            dists[i] = dists[c];
            vids[i] = vids[c];
            tags[i] = tags[c];
            i = c;
        }
        dists[i] = dist;
        vids[i] = vid;
        tags[i] = t;
    }

    private int slot(long vid) {
        long h = vid * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & (table.length - 1);
    }

    private boolean contains(long vid) {
        int mask = table.length - 1;
        for (int i = slot(vid); ; i = (i + 1) & mask) {
            long t = table[i];
            if (t == EMPTY) return false;
            if (t == vid) return true;
        }
    }

    private void insert(long vid) {
        if ((tableCount + tableTombs + 1) * 2 > table.length) rehash();
        int mask = table.length - 1;
        for (int i = slot(vid); ; i = (i + 1) & mask) {
            long t = table[i];
            if (t == EMPTY || t == TOMB) {
                if (t == TOMB) tableTombs--;
                table[i] = vid;
                tableCount++;
                return;
            }
        }
    }

    private void remove(long vid) {
        int mask = table.length - 1;
        for (int i = slot(vid); ; i = (i + 1) & mask) {
            long t = table[i];
            if (t == EMPTY) return;
            if (t == vid) {
                table[i] = TOMB;
                tableCount--;
                tableTombs++;
                return;
            }
        }
    }

    private void rehash() {
        long[] old = table;
        table = new long[old.length];
        Arrays.fill(table, EMPTY);
        tableCount = 0;
        tableTombs = 0;
        for (long t : old) if (t >= 0) insert(t);
    }

    /** The pairs sorted by distance ascending (ties by vid), as parallel arrays in a record. */
    public Result sorted() {
        Integer[] order = new Integer[size];
        for (int i = 0; i < size; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> {
            int c = Float.compare(dists[a], dists[b]);
            return c != 0 ? c : Long.compare(vids[a], vids[b]);
        });
        long[] v = new long[size];
        float[] d = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = vids[order[i]];
            d[i] = dists[order[i]];
        }
        return new Result(v, d);
    }

    /** Sorted search results: {@code vids[i]} at kernel distance {@code dists[i]}. */
    public record Result(long[] vids, float[] dists) {
        public int size() {
            return vids.length;
        }
    }
}
