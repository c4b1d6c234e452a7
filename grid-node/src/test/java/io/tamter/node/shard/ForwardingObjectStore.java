package io.tamter.node.shard;

import io.tamter.node.objectstore.ObjectInfo;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.objectstore.StoredObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Delegates to another store; records the keys of {@link #putFile} and runs hooks before every
 * {@link #putIfAbsent} (WAL segments), {@link #putFile} and {@link #compareAndSet}.
 */
class ForwardingObjectStore implements ObjectStore {
    interface Hook {
        void run(String key) throws IOException;
    }

    final ObjectStore delegate;
    final List<String> uploads = new CopyOnWriteArrayList<>();
    volatile Hook beforeCompareAndSet = k -> { };
    volatile Hook beforePutFile = k -> { };
    volatile Hook beforePutIfAbsent = k -> { };

    ForwardingObjectStore(ObjectStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public ObjectInfo put(String key, byte[] bytes) throws IOException {
        return delegate.put(key, bytes);
    }

    @Override
    public boolean putIfAbsent(String key, byte[] bytes) throws IOException {
        beforePutIfAbsent.run(key);
        return delegate.putIfAbsent(key, bytes);
    }

    @Override
    public ObjectInfo putFile(String key, Path source) throws IOException {
        beforePutFile.run(key);
        uploads.add(key);
        return delegate.putFile(key, source);
    }

    @Override
    public boolean compareAndSet(String key, long expectedGeneration, byte[] bytes) throws IOException {
        beforeCompareAndSet.run(key);
        return delegate.compareAndSet(key, expectedGeneration, bytes);
    }

    @Override
    public Optional<StoredObject> getObject(String key) throws IOException {
        return delegate.getObject(key);
    }

    @Override
    public byte[] getRange(String key, long offset, int length) throws IOException {
        return delegate.getRange(key, offset, length);
    }

    @Override
    public ObjectInfo downloadTo(String key, Path target) throws IOException {
        return delegate.downloadTo(key, target);
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        return delegate.stat(key);
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        return delegate.list(prefix);
    }

    @Override
    public boolean delete(String key) throws IOException {
        return delegate.delete(key);
    }

    @Override
    public int deletePrefix(String prefix) throws IOException {
        return delegate.deletePrefix(prefix);
    }

    @Override
    public void close() {
        // the delegate belongs to the test
    }
}
