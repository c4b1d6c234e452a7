package io.tamter.kernels;

/**
 * The packed entry layout the posting scan kernels read (the index's posting codec writes it):
 * <pre>
 *   [int64 LE] vid       vector id, dense per shard (indexes the version map)
 *   [u8]       version   low 7 bits; an entry is live iff it equals the version map byte of vid
 *   [f32 LE x dim]       the vector
 * </pre>
 * Entries are contiguous and unaligned (9-byte header), so kernels use unaligned loads.
 */
public final class PostingLayout {
    private PostingLayout() {}

    public static final int VID_BYTES = 8;
    public static final int VERSION_BYTES = 1;
    public static final int ENTRY_HEADER_BYTES = VID_BYTES + VERSION_BYTES;
    /** Bit 7 of a version map byte marks the vid deleted; entry versions never have it set. */
    public static final int DELETED_BIT = 0x80;
    public static final int VERSION_MASK = 0x7F;

    public static int entryBytes(int dim) {
        return ENTRY_HEADER_BYTES + Float.BYTES * dim;
    }
}
