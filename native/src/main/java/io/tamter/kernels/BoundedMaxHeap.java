package io.tamter.kernels;

/**
 * A max-heap of (distance, vid) kept inside two caller-owned arrays, used by the posting scan
 * kernels to keep the k closest entries without allocating. The root ({@code dists[0]}) is
 * the worst kept distance.
 */
final class BoundedMaxHeap {
    private BoundedMaxHeap() {}

    /**
     * Offers one entry to a heap of {@code size} elements that holds at most {@code k}.
     * @return the new size
     */
    static int offer(long[] vids, float[] dists, int size, int k, long vid, float dist) {
        if (size < k) {
            int i = size;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (dists[parent] >= dist) break;
                dists[i] = dists[parent];
                vids[i] = vids[parent];
                i = parent;
            }
            dists[i] = dist;
            vids[i] = vid;
            return size + 1;
        }
        if (dist >= dists[0]) return size;
        // replace the root and sift down
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            if (l >= size) break;
            int r = l + 1;
            int c = (r < size && dists[r] > dists[l]) ? r : l;
            if (dists[c] <= dist) break;
            dists[i] = dists[c];
            vids[i] = vids[c];
            i = c;
        }
        dists[i] = dist;
        vids[i] = vid;
        return size;
    }

    /** The bound below which an entry can still enter: the threshold until the heap is full, then the root. */
    static float bound(float[] dists, int size, int k, float threshold) {
        return size < k ? threshold : Math.min(threshold, dists[0]);
    }
}
