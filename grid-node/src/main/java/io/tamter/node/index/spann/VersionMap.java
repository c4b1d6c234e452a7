package io.tamter.node.index.spann;

import io.tamter.kernels.PostingLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * vid → 16-bit version slot, in one direct buffer the posting-scan kernels read without a copy
 * (SPFRESH.md "Versions"). Each vid has {@value PostingLayout#VERSION_SLOT_BYTES} bytes at byte
 * offset {@code 2 * vid}, little-endian (the order {@link PostingLayout} documents and every
 * kernel reads). Bits 0..14: the version; bit 15 ({@code 0x8000}): deleted. A vid never written
 * reads as {@code 0x8000}, deleted at version 0, so its first insert writes version 1; a delete
 * sets bit 15 and keeps the version; the next insert writes {@code (version + 1) & 0x7FFF}.
 *
 * <p>Versions were 7 bits + deleted in one byte until posting format 2. That wrapped after 128
 * updates of a vid, and an entry left stale in a posting that was never rewritten matched the
 * current version again (ABA). 15 bits make that need 32768 updates of one vid while an entry
 * of it survives unrewritten in some posting.
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

    private static final int SLOT = PostingLayout.VERSION_SLOT_BYTES;

    /** A buffer of {@code capacity} vids, all unseen ({@link #UNSEEN}). */
    private static ByteBuffer fresh(int capacity) {
        ByteBuffer b = ByteBuffer.allocateDirect(capacity * SLOT).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < capacity; i++) b.putShort(i * SLOT, (short) UNSEEN);
        return b;
    }

    /** The slot of a vid never written: deleted at version 0. */
    public static final int UNSEEN = PostingLayout.DELETED_BIT;

    /** Number of vids the buffer {@code b} holds. */
    private static int vids(ByteBuffer b) {
        return b.capacity() / SLOT;
    }

    /** The current 16-bit slot of {@code vid} (deleted at version 0 when never written). */
    public int get(long vid) {
        ByteBuffer b = buf;
        if (vid < 0 || vid >= vids(b)) return UNSEEN;
        return PostingLayout.versionSlot(b, (int) vid);
    }

    public static boolean isDeleted(int b) {
        return (b & PostingLayout.DELETED_BIT) != 0;
    }

    public static int version(int b) {
        return b & PostingLayout.VERSION_MASK;
    }

    /** The version an insert of a vid whose slot is {@code current} writes (wraps 0x7FFF → 0). */
    public static int nextVersion(int current) {
        return (version(current) + 1) & PostingLayout.VERSION_MASK;
    }

    /** Sets the slot of {@code vid}; {@code value} is a 16-bit slot (version | optional {@link PostingLayout#DELETED_BIT}). */
    public synchronized void set(long vid, int value) {
        if (vid < 0 || vid >= MAX_VIDS) throw new IllegalArgumentException("vid out of range: " + vid);
        if ((value & ~0xFFFF) != 0) throw new IllegalArgumentException("version slot out of range: 0x" + Integer.toHexString(value));
        int v = (int) vid;
        ByteBuffer b = buf;
        if (v >= vids(b)) {
            int cap = vids(b);
            while (cap <= v) cap = cap >= MAX_VIDS / 2 ? MAX_VIDS : cap * 2;
            ByteBuffer g = fresh(cap);
            g.put(0, b, 0, b.capacity());
            b = g;
            buf = g;
        }
        b.putShort(v * SLOT, (short) value);
        if (v >= limit) limit = v + 1;
    }

    /** The most vids a map can hold (a direct buffer of 2 bytes per vid stays below 2 GiB). */
    static final int MAX_VIDS = (Integer.MAX_VALUE - 8) / SLOT;

    /** The value stored in the {@code versions} column family for a slot: 2 bytes, little-endian. */
    public static byte[] encode(int value) {
        return new byte[] {(byte) value, (byte) (value >>> 8)};
    }

    /**
     * Reads a {@code versions} column family value. Only the 2-byte form is accepted: a 1-byte
     * value is from a store written before 16-bit versions (posting format 1), which this build
     * does not convert (there are no such deployed stores); rebuild the index.
     *
     * @throws CorruptIndexException for any other length
     */
    public static int decode(long vid, byte[] value) {
        if (value.length == 1) {
            throw new CorruptIndexException("version record of vid " + vid + " has 1 byte: written by a build with 8-bit versions"
                    + " (posting format 1), which this build does not read; rebuild the index");
        }
        if (value.length != SLOT) {
            throw new CorruptIndexException("version record of vid " + vid + " has " + value.length + " bytes, expected " + SLOT);
        }
        return (value[0] & 0xFF) | (value[1] & 0xFF) << 8;
    }

    /** The buffer for the kernels (absolute reads; do not change its position). */
    public ByteBuffer buffer() {
        return buf;
    }

    /** One past the largest vid written: the {@code versionsLimit} (in vids, not bytes) kernels are given. */
    public int limit() {
        return limit;
    }

    /** The limit (in vids) to pass to a kernel together with {@code b} (a buffer read earlier may be smaller than the current limit). */
    public int limitFor(ByteBuffer b) {
        return Math.min(limit, vids(b));
    }

    public long capacityBytes() {
        return buf.capacity();
    }
}
