package io.tamter.node.wal;

/**
 * Too many payload bytes are waiting for this shard's WAL ({@code wal.max_pending_bytes}); the
 * append was refused without being queued. Retry later (maps to HTTP 429).
 */
public class WalBackpressureException extends WalException {
    public WalBackpressureException(String message) {
        super(message);
    }
}
