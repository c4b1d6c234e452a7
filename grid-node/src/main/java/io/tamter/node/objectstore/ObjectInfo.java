package io.tamter.node.objectstore;

import java.util.Objects;

/**
 * What the object store knows about one object without reading it.
 *
 * @param key        the object's key (see {@link ObjectKeys})
 * @param size       payload size in bytes (what {@link ObjectStore#get} returns, no framing)
 * @param generation the object's generation: opaque, positive, and strictly greater after every
 *                   write of the key, so it is the precondition of
 *                   {@link ObjectStore#compareAndSet}. Never {@link ObjectStore#NO_GENERATION}.
 */
public record ObjectInfo(String key, long size, long generation) {
    public ObjectInfo {
        Objects.requireNonNull(key, "key");
        if (size < 0) throw new IllegalArgumentException("size must be >= 0; key='" + key + "', size=" + size);
        if (generation <= ObjectStore.NO_GENERATION) {
            throw new IllegalArgumentException("generation must be > 0; key='" + key + "', generation=" + generation);
        }
    }
}
