package io.tamter.node.wal;

/**
 * Another writer created the segment this writer was about to write: it owns the shard now
 * (fencing by create-if-absent). The writer has stopped; nothing it still held was written and
 * nothing will be. The node must stop serving the shard.
 */
public class WalFencedException extends WalException {
    public WalFencedException(String message) {
        super(message);
    }
}
