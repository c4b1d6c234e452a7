package io.tamter.node.objectstore;

import java.io.IOException;

/**
 * The object a read needed does not exist. Thrown by reads that cannot answer "absent" with an
 * empty result ({@link ObjectStore#getRange}, {@link ObjectStore#downloadTo}); it is an
 * {@link IOException} because a missing WAL segment or checkpoint file is a storage failure for
 * the caller, not a programming error.
 */
public class ObjectNotFoundException extends IOException {
    private final String key;

    public ObjectNotFoundException(String key) {
        super("object not found: '" + key + "'");
        this.key = key;
    }

    /** The key that was asked for. */
    public String key() {
        return key;
    }
}
