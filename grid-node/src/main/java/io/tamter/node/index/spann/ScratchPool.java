package io.tamter.node.index.spann;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * Reusable per-search scratch (arrays a search grows to the index's size, a direct buffer), lent to
 * one search at a time whatever thread runs it.
 *
 * <p>Why not a {@code ThreadLocal}: REST searches run on the virtual thread that handles the
 * request (a new one per request), so a thread-local would be allocated again for every search;
 * handing each search to a pool of platform threads instead, to keep their thread-locals, cost two
 * thread switches per request, more than the search itself on small namespaces (benchmarks/README,
 * session 7). A handful of slots is enough: as many scratch objects are live as searches run at
 * once, and a search that finds every slot empty makes a new one (dropped again if no slot is free
 * when it is returned).
 *
 * <p>Lock-free: {@link #take} and {@link #give} claim slots with one atomic swap each, starting at a
 * slot picked by the thread's id so that concurrent searches rarely touch the same slot.
 */
public final class ScratchPool<T> {
    private final Supplier<T> make;
    private final AtomicReferenceArray<T> slots;

    /** @param slots how many idle objects it keeps */
    public ScratchPool(int slots, Supplier<T> make) {
        if (slots < 1) throw new IllegalArgumentException("slots must be >= 1; got " + slots);
        this.make = make;
        this.slots = new AtomicReferenceArray<>(slots);
    }

    /** A pool sized for the machine's cores (a few searches per core at once). */
    public static <T> ScratchPool<T> forCores(Supplier<T> make) {
        return new ScratchPool<>(Math.max(8, 4 * Runtime.getRuntime().availableProcessors()), make);
    }

    /** An idle object, or a new one; the caller owns it until it {@linkplain #give gives} it back. */
    public T take() {
        int n = slots.length(), start = start(n);
        for (int i = 0; i < n; i++) {
            int at = (start + i) % n;
            if (slots.getPlain(at) != null) {
                T t = slots.getAndSet(at, null);
                if (t != null) return t;
            }
        }
        return make.get();
    }

    /** Returns an object taken from this pool; the caller must not use it afterwards. */
    public void give(T t) {
        if (t == null) return;
        int n = slots.length(), start = start(n);
        for (int i = 0; i < n; i++) {
            int at = (start + i) % n;
            if (slots.getPlain(at) == null && slots.compareAndSet(at, null, t)) return;
        }
        // every slot is taken: more searches ran at once than the pool keeps; let this one go
    }

    private static int start(int n) {
        return (int) Long.remainderUnsigned(Thread.currentThread().threadId() * 0x9E3779B97F4A7C15L >>> 32, n);
    }
}
