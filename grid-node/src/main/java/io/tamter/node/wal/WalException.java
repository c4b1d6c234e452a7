package io.tamter.node.wal;

/** A WAL append did not become durable. The subclasses say why and what the caller should do. */
public class WalException extends RuntimeException {
    public WalException(String message) {
        super(message);
    }

    public WalException(String message, Throwable cause) {
        super(message, cause);
    }
}
