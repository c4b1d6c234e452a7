package io.tamter.node.wal;

/**
 * The object store cannot take this shard's WAL writes now, and the payload was <em>not</em>
 * written: either it was refused at once, because an earlier segment's outcome is still unknown
 * and the writer writes nothing after it until the store answers again (see {@link WalWriter},
 * "I/O errors"), or its group was settled as not written (an empty segment took its sequence
 * number). The writer recovers by itself when the store is back; retry later (maps to HTTP 503
 * {@code storage_unavailable}).
 */
public class WalUnavailableException extends WalException {
    public WalUnavailableException(String message) {
        super(message);
    }

    public WalUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
