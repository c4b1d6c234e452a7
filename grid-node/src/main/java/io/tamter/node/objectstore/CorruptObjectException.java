package io.tamter.node.objectstore;

import java.io.IOException;

/**
 * A stored object failed its framing or checksum check. The object store is the source of
 * truth, so this is never repaired silently: the caller (recovery, checkpoint download) decides
 * whether another copy exists.
 */
public class CorruptObjectException extends IOException {
    private final String key;

    public CorruptObjectException(String key, String reason) {
        super("corrupt object '" + key + "': " + reason);
        this.key = key;
    }

    /** The key of the corrupt object. */
    public String key() {
        return key;
    }
}
