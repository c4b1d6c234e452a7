package io.tamter.node.objectstore;

import java.util.Objects;

/**
 * An object's bytes together with the generation they belong to, read in one step. A
 * read-modify-{@link ObjectStore#compareAndSet compare-and-set} loop (manifests, namespace
 * settings) must start from this pair: a separate {@code get} and {@code stat} could pair the
 * bytes of one write with the generation of a later one, and the compare-and-set would then
 * silently overwrite a write its caller never saw.
 *
 * @param info  key, size and generation of {@code bytes}
 * @param bytes the payload (the array is the caller's; the store keeps no reference)
 */
public record StoredObject(ObjectInfo info, byte[] bytes) {
    public StoredObject {
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length != info.size()) {
            throw new IllegalArgumentException("size mismatch for key '" + info.key() + "': info.size=" + info.size()
                    + ", bytes=" + bytes.length);
        }
    }

    public long generation() {
        return info.generation();
    }
}
