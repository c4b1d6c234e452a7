package io.tamter.node.index.spann;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Striped read/write locks over head ids. Appends to a posting take its stripe shared (RocksDB
 * merges are atomic, so appends need not exclude each other); a split or merge that rewrites
 * or removes a posting takes it exclusive. Several stripes are always taken in ascending
 * order, so two multi-posting operations cannot deadlock.
 */
public final class LockStripes {
    private final ReentrantReadWriteLock[] stripes;
    private final int mask;

    LockStripes(int count) {
        int n = Integer.highestOneBit(Math.max(16, count - 1)) << 1;
        stripes = new ReentrantReadWriteLock[n];
        for (int i = 0; i < n; i++) stripes[i] = new ReentrantReadWriteLock();
        mask = n - 1;
    }

    private int stripe(int headId) {
        int h = headId * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }

    /** Held stripes; {@link #close()} releases them. */
    /** Held stripes (see {@link SpannCore#lockExclusive}). */
    public final class Held implements AutoCloseable {
        private final int[] held;
        private final boolean exclusive;

        private Held(int[] held, boolean exclusive) {
            this.held = held;
            this.exclusive = exclusive;
        }

        @Override
        public void close() {
            for (int i = held.length - 1; i >= 0; i--) {
                if (exclusive) stripes[held[i]].writeLock().unlock();
                else stripes[held[i]].readLock().unlock();
            }
        }
    }

    Held shared(int[] headIds, int count) {
        return lock(headIds, count, false);
    }

    Held exclusive(int... headIds) {
        return lock(headIds, headIds.length, true);
    }

    private Held lock(int[] headIds, int count, boolean exclusive) {
        int[] s = new int[count];
        for (int i = 0; i < count; i++) s[i] = stripe(headIds[i]);
        Arrays.sort(s);
        int n = 0;
        for (int i = 0; i < count; i++) if (n == 0 || s[n - 1] != s[i]) s[n++] = s[i];
        int[] held = Arrays.copyOf(s, n);
        for (int st : held) {
            if (exclusive) stripes[st].writeLock().lock();
            else stripes[st].readLock().lock();
        }
        return new Held(held, exclusive);
    }
}
