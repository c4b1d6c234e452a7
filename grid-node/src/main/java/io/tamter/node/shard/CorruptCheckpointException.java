package io.tamter.node.shard;

import java.io.IOException;

/** A checkpoint manifest or file that cannot be used: unreadable, of an unknown version, or not the bytes it lists. */
public final class CorruptCheckpointException extends IOException {
    private final String key;

    public CorruptCheckpointException(String key, String reason) {
        super("corrupt checkpoint object '" + key + "': " + reason);
        this.key = key;
    }

    /** The object key of the corrupt manifest or file. */
    public String key() {
        return key;
    }
}
