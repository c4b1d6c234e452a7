package io.tamter.node.objectstore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * An object store that hands every call to {@link #delegate()}; subclasses override what they
 * change. {@link #close()} does nothing: the delegate belongs to whoever created it.
 */
public abstract class ForwardingObjectStore implements ObjectStore {
    /** The store calls go to (may change between calls). */
    protected abstract ObjectStore delegate();

    @Override
    public ObjectInfo put(String key, byte[] bytes) throws IOException {
        return delegate().put(key, bytes);
    }

    @Override
    public boolean putIfAbsent(String key, byte[] bytes) throws IOException {
        return delegate().putIfAbsent(key, bytes);
    }

    @Override
    public ObjectInfo putFile(String key, Path source) throws IOException {
        return delegate().putFile(key, source);
    }

    @Override
    public boolean compareAndSet(String key, long expectedGeneration, byte[] bytes) throws IOException {
        return delegate().compareAndSet(key, expectedGeneration, bytes);
    }

    @Override
    public Optional<StoredObject> getObject(String key) throws IOException {
        return delegate().getObject(key);
    }

    @Override
    public byte[] getRange(String key, long offset, int length) throws IOException {
        return delegate().getRange(key, offset, length);
    }

    @Override
    public ObjectInfo downloadTo(String key, Path target) throws IOException {
        return delegate().downloadTo(key, target);
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        return delegate().stat(key);
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        return delegate().list(prefix);
    }

    @Override
    public boolean delete(String key) throws IOException {
        return delegate().delete(key);
    }

    @Override
    public int deletePrefix(String prefix) throws IOException {
        return delegate().deletePrefix(prefix);
    }

    @Override
    public void close() {
        // the delegate is not ours
    }
}
