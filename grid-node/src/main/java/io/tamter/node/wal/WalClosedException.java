package io.tamter.node.wal;

/** The writer was closed before the append was accepted; nothing was written. */
public class WalClosedException extends WalException {
    public WalClosedException(String message) {
        super(message);
    }
}
