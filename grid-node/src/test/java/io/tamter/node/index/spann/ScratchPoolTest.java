package io.tamter.node.index.spann;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ScratchPoolTest {
    /** A scratch object that knows whether someone holds it. */
    static final class Held {
        final AtomicBoolean inUse = new AtomicBoolean();
    }

    @Test
    void givesBackWhatWasReturnedAndMakesMoreWhenEmpty() {
        AtomicInteger made = new AtomicInteger();
        ScratchPool<Object> pool = new ScratchPool<>(2, () -> { made.incrementAndGet(); return new Object(); });
        Object a = pool.take(), b = pool.take();
        assertNotSame(a, b);
        assertEquals(2, made.get());
        pool.give(a);
        assertSame(a, pool.take(), "an idle object is lent again, not a new one");
        pool.give(a);
        pool.give(b);
        pool.give(new Object()); // more than the pool keeps: dropped, not an error
        List<Object> again = List.of(pool.take(), pool.take());
        assertTrue(again.contains(a) && again.contains(b));
        assertEquals(2, made.get());
    }

    @Test
    void neverLendsOneObjectToTwoHoldersAtOnce() throws Exception {
        ScratchPool<Held> pool = new ScratchPool<>(4, Held::new);
        AtomicInteger clashes = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Runnable r = () -> {
                for (int i = 0; i < 20_000; i++) {
                    Held h = pool.take();
                    if (!h.inUse.compareAndSet(false, true)) clashes.incrementAndGet();
                    Thread.onSpinWait();
                    h.inUse.set(false);
                    pool.give(h);
                }
            };
            threads.add(t % 2 == 0 ? Thread.ofVirtual().start(r) : Thread.ofPlatform().start(r));
        }
        for (Thread t : threads) t.join();
        assertEquals(0, clashes.get());
    }
}
