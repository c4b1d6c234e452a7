package io.tamter.kernels;

/**
 * The packed entry layout the posting scan kernels read (the index's posting codec writes it,
 * posting format version 2):
 * <pre>
 *   [int64 LE] vid       vector id, dense per shard (indexes the version map)
 *   [u16 LE]   version   low 15 bits; an entry is live iff it equals the version map slot of vid
 *   [f32 LE x dim]       the vector
 * </pre>
 * Entries are contiguous and unaligned (10-byte header), so kernels use unaligned loads.
 *
 * <p>The version map the kernels are given holds one little-endian u16 per vid
 * ({@link #VERSION_SLOT_BYTES} bytes, slot of vid at byte offset {@code 2 * vid}): bits 0..14 the
 * version, bit 15 ({@link #DELETED_BIT}) set when the vid is deleted (or was never written).
 * Kernels read the two bytes individually, so they do not depend on the buffer's byte order
 * setting. Format version 1 had a u8 version (7 bits + deleted bit 7), which wrapped after 128
 * updates and let a stale entry match again (ABA); it is no longer read.
 */
public final class PostingLayout {
    private PostingLayout() {}

    public static final int VID_BYTES = 8;
    public static final int VERSION_BYTES = 2;
    public static final int ENTRY_HEADER_BYTES = VID_BYTES + VERSION_BYTES;
    /** Bytes per vid in the version map buffer. */
    public static final int VERSION_SLOT_BYTES = 2;
    /** Bit 15 of a version map slot marks the vid deleted; entry versions never have it set. */
    public static final int DELETED_BIT = 0x8000;
    public static final int VERSION_MASK = 0x7FFF;

    public static int entryBytes(int dim) {
        return ENTRY_HEADER_BYTES + Float.BYTES * dim;
    }

    /** The version map slot of {@code vid} (u16, little-endian at byte {@code 2 * vid}); the caller checks the limit. */
    public static int versionSlot(java.nio.ByteBuffer versions, int vid) {
        int o = vid * VERSION_SLOT_BYTES;
        return (versions.get(o) & 0xFF) | (versions.get(o + 1) & 0xFF) << 8;
    }

    /**
     * Whether {@code vid}'s bit is set in an allow-list of little-endian 64-bit words (the
     * kernels' {@code filter} argument); vids at or past {@code limitBits} are not allowed.
     */
    public static boolean allowed(java.nio.ByteBuffer filter, long limitBits, long vid) {
        if (vid >= limitBits) return false;
        long word = filter.getLong((int) (vid >>> 6) << 3);
        if (filter.order() != java.nio.ByteOrder.LITTLE_ENDIAN) word = Long.reverseBytes(word);
        return (word & (1L << (vid & 63))) != 0;
    }

    /** The version field (u16 LE) of the entry starting at {@code entryOffset}. */
    public static int entryVersion(java.nio.ByteBuffer posting, int entryOffset) {
        int o = entryOffset + VID_BYTES;
        return (posting.get(o) & 0xFF) | (posting.get(o + 1) & 0xFF) << 8;
    }
}
