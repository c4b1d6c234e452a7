package io.tamter.node.index.spann;

import io.tamter.kernels.PostingLayout;
import java.nio.ByteBuffer;

/**
 * vid → version byte, in one direct buffer the posting-scan kernels read without a copy
 * (SPFRESH.md "Versions"). Low 7 bits: the version; bit 7: deleted. A vid never written reads
 * as deleted at version 0, so its first insert writes version 1.
 *
 * <p>Readers are lock-free: they read the current buffer, which only ever grows (a grown
 * buffer is a copy published after the copy is complete). Writers are serialized, so a write
 * racing a grow cannot be lost. The persistent copy is the {@code versions} column family,
 * written in the same batch as the postings it makes live or stale.
 */
public final class VersionMap {
    private volatile ByteBuffer buf;
    /** One past the largest vid written (the limit kernels are given). */
    private volatile int limit;

    public VersionMap(int initialCapacity) {
        buf = fresh(Math.max(1024, initialCapacity));
    }

    private static ByteBuffer fresh(int capacity) {
        ByteBuffer b = ByteBuffer.allocateDirect(capacity);
        for (int i = 0; i < capacity; i++) b.put(i, (byte) PostingLayout.DELETED_BIT);
        return b;
    }

    /** The current byte of {@code vid} (deleted at version 0 when never written). */
    public int get(long vid) {
        ByteBuffer b = buf;
        if (vid < 0 || vid >= b.capacity()) return PostingLayout.DELETED_BIT;
        return b.get((int) vid) & 0xFF;
    }

    public static boolean isDeleted(int b) {
        return (b & PostingLayout.DELETED_BIT) != 0;
    }

    public static int version(int b) {
        return b & PostingLayout.VERSION_MASK;
    }

    /** The version an insert of a vid whose byte is {@code current} writes. */
    public static int nextVersion(int current) {
        return (version(current) + 1) & PostingLayout.VERSION_MASK;
    }

    public synchronized void set(long vid, int value) {
        if (vid < 0 || vid > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("vid out of range: " + vid);
        int v = (int) vid;
        ByteBuffer b = buf;
        if (v >= b.capacity()) {
            int cap = b.capacity();
            while (cap <= v) cap = cap >= (1 << 29) ? Integer.MAX_VALUE - 8 : cap * 2;
            ByteBuffer g = fresh(cap);
            for (int i = 0; i < b.capacity(); i++) g.put(i, b.get(i));
            b = g;
            buf = g;
        }
        b.put(v, (byte) value);
        if (v >= limit) limit = v + 1;
    }

    /** The buffer for the kernels (absolute reads; do not change its position). */
    public ByteBuffer buffer() {
        return buf;
    }

    public int limit() {
        return limit;
    }

    /** The limit to pass to a kernel together with {@code b} (a buffer read earlier may be smaller than the current limit). */
    public int limitFor(ByteBuffer b) {
        return Math.min(limit, b.capacity());
    }

    public long capacityBytes() {
        return buf.capacity();
    }
}
