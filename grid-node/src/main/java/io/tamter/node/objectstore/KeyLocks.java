package io.tamter.node.objectstore;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Mutual exclusion per key across threads and processes for the read-check-write steps of a
 * {@link LocalDirectoryObjectStore} (compare-and-set, and every write that must take a generation
 * above the current one).
 *
 * <p>Keys hash onto {@value #STRIPES} lock files in {@code <root>/.tamter-locks}; a bounded set
 * of files because a lock file can never be deleted safely (a process may have opened it and be
 * about to lock it). A holder first takes the stripe's {@link ReentrantLock}, shared by every
 * store on the same root in this JVM, then opens the stripe's file and takes an exclusive
 * {@link java.nio.channels.FileLock} on it (POSIX record lock: other processes). Each
 * acquisition opens its own channel and closes it on release, which is safe because the
 * in-JVM lock guarantees no other channel of this JVM has that file open at that moment:
 * closing a channel drops every lock the process holds on the file, and an interrupt during
 * {@code FileChannel.lock} closes the channel, so a channel shared between threads would let
 * one thread silently release another's lock.
 */
final class KeyLocks {
    static final int STRIPE_BITS = 8;
    static final int STRIPES = 1 << STRIPE_BITS;
    private static final ConcurrentHashMap<Path, ReentrantLock[]> JVM_LOCKS = new ConcurrentHashMap<>();

    private final Path dir;
    private final ReentrantLock[] locks;

    KeyLocks(Path dir) throws IOException {
        Files.createDirectories(dir);
        this.dir = dir.toRealPath();
        this.locks = JVM_LOCKS.computeIfAbsent(this.dir, d -> {
            ReentrantLock[] l = new ReentrantLock[STRIPES];
            for (int i = 0; i < STRIPES; i++) l[i] = new ReentrantLock();
            return l;
        });
    }

    /** Blocks until this thread holds {@code key}'s stripe in this JVM and across processes. */
    Held lock(String key) throws IOException {
        int stripe = stripe(key);
        ReentrantLock lock = locks[stripe];
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the lock of key '" + key + "'");
        }
        FileChannel ch = null;
        try {
            ch = FileChannel.open(dir.resolve(String.format("stripe-%03d", stripe)),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            ch.lock();
            return new Held(lock, ch);
        } catch (IOException | RuntimeException | Error e) {
            try {
                if (ch != null) ch.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            } finally {
                lock.unlock();
            }
            throw e;
        }
    }

    static int stripe(String key) {
        // String.hashCode is specified, so every JVM maps a key to the same stripe; the top bits
        // of a Fibonacci hash spread keys that differ only in their last characters (WAL seqs)
        return (key.hashCode() * 0x9E3779B1) >>> (32 - STRIPE_BITS);
    }

    /** A held key lock; {@link #close()} releases the file lock, then the in-JVM lock. */
    static final class Held implements AutoCloseable {
        private final ReentrantLock lock;
        private final FileChannel channel;

        private Held(ReentrantLock lock, FileChannel channel) {
            this.lock = lock;
            this.channel = channel;
        }

        @Override
        public void close() throws IOException {
            try {
                channel.close();
            } finally {
                lock.unlock();
            }
        }
    }
}
