package io.tamter.node.crypto;

import io.tamter.node.objectstore.CorruptObjectException;

/**
 * An encrypted object failed authentication: a ciphertext byte was changed, chunks were
 * reordered, truncated or taken from another object, or the object was encrypted with another
 * data key. Nothing of the object's plaintext is returned when this is thrown. A
 * {@link CorruptObjectException}, so callers treat it like any other corrupt object (look for
 * another copy, never repair silently).
 */
public class ObjectIntegrityException extends CorruptObjectException {
    public ObjectIntegrityException(String key, String reason) {
        super(key, "integrity check failed: " + reason);
    }
}
