package io.tamter.node.shard;

import io.tamter.node.wal.WalBackpressureException;

/**
 * A write refused because its shard's unindexed tail is past {@code index.max_unindexed_bytes}:
 * nothing of it was resolved or logged. Retry later; like every {@link WalBackpressureException}
 * it maps to HTTP 429 with Retry-After.
 */
public class IndexBackpressureException extends WalBackpressureException {
    public IndexBackpressureException(String message) {
        super(message);
    }
}
