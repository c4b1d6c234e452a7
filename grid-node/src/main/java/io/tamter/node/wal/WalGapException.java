package io.tamter.node.wal;

/**
 * A segment the replay needs is missing: the shard's segments are not contiguous after the
 * applied sequence number. Segments are only ever deleted below a checkpoint, so this means
 * either lost objects or a local state older than the oldest kept segment (restore the
 * checkpoint first). {@link #key()} is the key of the first missing segment.
 */
public class WalGapException extends CorruptWalException {
    private final long missingSeq;

    public WalGapException(String key, long missingSeq, String reason) {
        super(key, reason);
        this.missingSeq = missingSeq;
    }

    /** The first missing sequence number. */
    public long missingSeq() {
        return missingSeq;
    }
}
