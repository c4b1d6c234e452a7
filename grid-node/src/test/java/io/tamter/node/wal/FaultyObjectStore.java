package io.tamter.node.wal;

import io.tamter.node.objectstore.ObjectInfo;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.objectstore.StoredObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real store with injected faults, for the WAL's error paths: responses lost after a successful
 * create, an outage in which every call fails before reaching the store, and a gate that holds
 * creates back (to fill the writer's queue).
 */
final class FaultyObjectStore implements ObjectStore {
    private final ObjectStore delegate;
    /** This many successful {@code putIfAbsent} calls throw after the object was created. */
    final AtomicInteger loseResponses = new AtomicInteger();
    /** While set, every call fails without touching the store. */
    volatile boolean down;
    /** When set, {@code putIfAbsent} waits for it before doing anything. */
    volatile CountDownLatch gate;
    /** When set, counted down by each {@code putIfAbsent} that reaches the gate (tests wait on it instead of sleeping). */
    volatile CountDownLatch atGate;
    final AtomicInteger putIfAbsentCalls = new AtomicInteger();

    FaultyObjectStore(ObjectStore delegate) {
        this.delegate = delegate;
    }

    private void check(String op, String key) throws IOException {
        if (down) throw new IOException("simulated outage: " + op + " " + key);
    }

    @Override
    public boolean putIfAbsent(String key, byte[] bytes) throws IOException {
        putIfAbsentCalls.incrementAndGet();
        CountDownLatch g = gate;
        if (g != null) {
            CountDownLatch arrived = atGate;
            if (arrived != null) arrived.countDown();
            try {
                g.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted at the gate", e);
            }
        }
        check("putIfAbsent", key);
        boolean created = delegate.putIfAbsent(key, bytes);
        if (created && loseResponses.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new IOException("simulated lost response: " + key + " was created");
        }
        return created;
    }

    @Override
    public ObjectInfo put(String key, byte[] bytes) throws IOException {
        check("put", key);
        return delegate.put(key, bytes);
    }

    @Override
    public ObjectInfo putFile(String key, Path source) throws IOException {
        check("putFile", key);
        return delegate.putFile(key, source);
    }

    @Override
    public boolean compareAndSet(String key, long expectedGeneration, byte[] bytes) throws IOException {
        check("compareAndSet", key);
        return delegate.compareAndSet(key, expectedGeneration, bytes);
    }

    @Override
    public Optional<StoredObject> getObject(String key) throws IOException {
        check("getObject", key);
        return delegate.getObject(key);
    }

    @Override
    public byte[] getRange(String key, long offset, int length) throws IOException {
        check("getRange", key);
        return delegate.getRange(key, offset, length);
    }

    @Override
    public ObjectInfo downloadTo(String key, Path target) throws IOException {
        check("downloadTo", key);
        return delegate.downloadTo(key, target);
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        check("stat", key);
        return delegate.stat(key);
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        check("list", prefix);
        return delegate.list(prefix);
    }

    @Override
    public boolean delete(String key) throws IOException {
        check("delete", key);
        return delegate.delete(key);
    }

    @Override
    public int deletePrefix(String prefix) throws IOException {
        check("deletePrefix", prefix);
        return delegate.deletePrefix(prefix);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
