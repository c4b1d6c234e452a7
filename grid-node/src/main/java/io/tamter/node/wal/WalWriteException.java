package io.tamter.node.wal;

/**
 * Writing a segment failed after all retries ({@code wal.write_retries}); the cause is the last
 * I/O error. The outcome of the append is <em>unknown</em>: the segment may have been stored
 * with its response lost, so the payload may still appear in the log. Callers retry with an
 * idempotent write (upserts are). The writer itself keeps going: its next segment resolves the
 * uncertain sequence number (see {@link WalWriter}).
 */
public class WalWriteException extends WalException {
    public WalWriteException(String message, Throwable cause) {
        super(message, cause);
    }
}
