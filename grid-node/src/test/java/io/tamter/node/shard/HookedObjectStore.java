package io.tamter.node.shard;

import io.tamter.node.objectstore.ForwardingObjectStore;
import io.tamter.node.objectstore.ObjectInfo;
import io.tamter.node.objectstore.ObjectStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Delegates to another store; records the keys of {@link #putFile} and runs hooks before every
 * {@link #putIfAbsent} (WAL segments), {@link #putFile} and {@link #compareAndSet}.
 */
class HookedObjectStore extends ForwardingObjectStore {
    interface Hook {
        void run(String key) throws IOException;
    }

    final ObjectStore delegate;
    final List<String> uploads = new CopyOnWriteArrayList<>();
    volatile Hook beforeCompareAndSet = k -> { };
    volatile Hook beforePutFile = k -> { };
    volatile Hook beforePutIfAbsent = k -> { };

    HookedObjectStore(ObjectStore delegate) {
        this.delegate = delegate;
    }

    @Override
    protected ObjectStore delegate() {
        return delegate;
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
}
