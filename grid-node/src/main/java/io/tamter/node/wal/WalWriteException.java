package io.tamter.node.wal;

/**
 * Writing a segment failed after all retries ({@code wal.write_retries}) and the writer could not
 * settle it either; the cause is the last I/O error. The outcome of the append is
 * <em>unknown</em>: the segment may have been stored with its response lost, so the payload may
 * still appear in the log, whole (maps to HTTP 500 {@code write_outcome_unknown}). Callers read
 * back or retry with an idempotent write (upserts and deletes by id are). The writer settles the
 * uncertain sequence number by itself once the store answers, refusing appends meanwhile
 * ({@link WalUnavailableException}); see {@link WalWriter}.
 */
public class WalWriteException extends WalException {
    public WalWriteException(String message, Throwable cause) {
        super(message, cause);
    }
}
