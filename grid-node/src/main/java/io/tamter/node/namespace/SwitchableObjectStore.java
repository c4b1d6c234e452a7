package io.tamter.node.namespace;

import io.tamter.node.objectstore.ObjectInfo;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.objectstore.StoredObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The object store a namespace's shards write through: the node's store, or an
 * {@link io.tamter.node.crypto.EncryptingObjectStore} over it for customer-managed encryption.
 * The target changes only when the namespace's encryption changes, which is allowed only while
 * the namespace has no data objects and no write runs ({@link NamespaceManager#setEncryption}),
 * so no object is ever read with another key than it was written with. Closing it does nothing:
 * the node's store is shared.
 */
final class SwitchableObjectStore implements ObjectStore {
    private volatile ObjectStore target;

    SwitchableObjectStore(ObjectStore target) {
        this.target = target;
    }

    void switchTo(ObjectStore next) {
        this.target = next;
    }

    ObjectStore target() {
        return target;
    }

    @Override
    public ObjectInfo put(String key, byte[] bytes) throws IOException {
        return target.put(key, bytes);
    }

    @Override
    public boolean putIfAbsent(String key, byte[] bytes) throws IOException {
        return target.putIfAbsent(key, bytes);
    }

    @Override
    public ObjectInfo putFile(String key, Path source) throws IOException {
        return target.putFile(key, source);
    }

    @Override
    public boolean compareAndSet(String key, long expectedGeneration, byte[] bytes) throws IOException {
        return target.compareAndSet(key, expectedGeneration, bytes);
    }

    @Override
    public Optional<StoredObject> getObject(String key) throws IOException {
        return target.getObject(key);
    }

    @Override
    public byte[] getRange(String key, long offset, int length) throws IOException {
        return target.getRange(key, offset, length);
    }

    @Override
    public ObjectInfo downloadTo(String key, Path target) throws IOException {
        return this.target.downloadTo(key, target);
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        return target.stat(key);
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        return target.list(prefix);
    }

    @Override
    public boolean delete(String key) throws IOException {
        return target.delete(key);
    }

    @Override
    public int deletePrefix(String prefix) throws IOException {
        return target.deletePrefix(prefix);
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "SwitchableObjectStore[" + target + "]";
    }
}
