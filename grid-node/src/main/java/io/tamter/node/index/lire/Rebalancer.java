package io.tamter.node.index.lire;

import io.tamter.node.index.spann.HeadIndex;
import io.tamter.node.index.spann.SpannCore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LIRE rebalancer of one shard: a bounded pool of background threads running split and
 * merge (and the reassignments they cause). Requests come from the write path and from
 * searches ({@link SpannCore.Maintenance}); they never block the caller: a request already
 * pending is not queued twice, and when the queue is full a request is dropped — the posting
 * asks again on its next append or read, and {@link #awaitQuiescent()}'s sweep finds the rest.
 */
public final class Rebalancer implements SpannCore.Maintenance, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Rebalancer.class);

    private final SpannCore core;
    private final LireOps ops;
    private final ThreadPoolExecutor pool;
    private final Set<Long> pending = ConcurrentHashMap.newKeySet();
    private final AtomicInteger running = new AtomicInteger();
    /**
     * Jobs and scrub passes submitted and not yet finished: raised before a job is handed to the
     * pool, lowered when it ends (or is rejected). {@link #waitIdle} reads this one counter: reading
     * pending, the queue and the running count one after another let a job slip between the
     * reads (taken off the queue, not yet counted as running), and awaitQuiescent returned with a
     * split still to come (SpfreshSiftTest found postings of 98-110 entries after the drain).
     */
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    /** Postings to re-check when idle (heads created by splits), FIFO, each once. */
    private final java.util.Queue<Integer> dirty = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final Set<Integer> dirtySet = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicBoolean scrubbing = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean closed;

    public Rebalancer(SpannCore core) {
        this.core = core;
        this.ops = new LireOps(core, this::requestScrub);
        int threads = core.params().rebalancerThreads();
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(core.params().rebalancerQueue()), r -> {
                    Thread t = new Thread(r, "tamter-lire-" + n.incrementAndGet());
                    t.setDaemon(true);
                    t.setPriority(Thread.NORM_PRIORITY - 1);
                    return t;
                }, (r, ex) -> {
                    dropped.incrementAndGet();
                    if (r instanceof Job j) pending.remove(j.key); // let a later request try again
                    if (r instanceof ScrubPass) scrubbing.set(false);
                    outstanding.decrementAndGet();
                });
    }

    @Override
    public void requestSplit(int headId) {
        submit(headId, false);
    }

    @Override
    public void requestMerge(int headId) {
        submit(headId, true);
    }

    /**
     * Queues a re-check of a posting's vectors ({@link LireOps#scrub}). Scrubs run only while no
     * split or merge is queued: a posting is re-checked once its region's heads have settled,
     * which is what the re-check needs (see {@code scrub}), and never delays a split.
     */
    private void requestScrub(int headId) {
        if (!closed && dirtySet.add(headId)) dirty.add(headId);
    }

    /** Starts a scrub pass unless one is queued or running; called when a job finishes. */
    private void maybeScrub() {
        if (closed || dirty.isEmpty() || !pool.getQueue().isEmpty() || !scrubbing.compareAndSet(false, true)) return;
        outstanding.incrementAndGet();
        try {
            pool.execute(new ScrubPass());
        } catch (RuntimeException e) { // shut down meanwhile
            scrubbing.set(false);
            outstanding.decrementAndGet();
        }
    }

    /** One pass over the dirty postings; a class so the rejection handler can tell it apart. */
    private final class ScrubPass implements Runnable {
        @Override
        public void run() {
            scrubWhileIdle();
        }
    }

    private void scrubWhileIdle() {
        running.incrementAndGet();
        try {
            Integer id;
            while (!closed && pool.getQueue().isEmpty() && (id = dirty.poll()) != null) {
                dirtySet.remove(id);
                try {
                    ops.scrub(id);
                } catch (RuntimeException e) {
                    if (!closed) {
                        failures.incrementAndGet();
                        LOG.warn("scrub of head {} failed: {}", id, e.toString(), e);
                    }
                }
            }
        } finally {
            scrubbing.set(false);
            running.decrementAndGet();
            maybeScrub(); // the queue may have emptied again (or a request raced the flag); before the count drops
            outstanding.decrementAndGet();
        }
    }

    private void submit(int headId, boolean merge) {
        if (closed) return;
        Job job = new Job(headId, merge);
        if (!pending.add(job.key)) return;
        outstanding.incrementAndGet();
        try {
            pool.execute(job);
        } catch (RuntimeException e) { // shut down meanwhile (the rejection handler lowered the count)
            pending.remove(job.key);
        }
    }

    /** One split or merge request; its key de-duplicates pending requests. */
    private final class Job implements Runnable {
        final int headId;
        final boolean merge;
        final long key;

        Job(int headId, boolean merge) {
            this.headId = headId;
            this.merge = merge;
            this.key = (merge ? 1L << 32 : 0L) | (headId & 0xFFFFFFFFL);
        }

        @Override
        public void run() {
            running.incrementAndGet();
            pending.remove(key);
            try {
                if (closed) return;
                if (merge) ops.merge(headId);
                else ops.split(headId);
            } catch (RuntimeException e) {
                if (!closed) {
                    failures.incrementAndGet();
                    LOG.warn("{} of head {} failed: {}", merge ? "merge" : "split", headId, e.toString(), e);
                }
            } finally {
                running.decrementAndGet();
                maybeScrub(); // before the count drops, so that waitIdle never sees neither
                outstanding.decrementAndGet();
            }
        }
    }

    /**
     * Waits until no split or merge is queued or running, then sweeps every posting (reading it
     * and counting its live entries) and repeats while the sweep found work. When it returns,
     * every posting is within {@code max_posting} (unless its vectors cannot be split apart) and
     * no posting with live entries below {@code min_posting} has a head with room to take it.
     */
    public void awaitQuiescent() {
        for (int round = 0; round < 64 && !closed; round++) {
            waitIdle();
            long before = activity();
            HeadIndex heads = core.heads();
            if (heads == null) return;
            List<HeadIndex.Head> all = new ArrayList<>();
            heads.forEach(all::add);
            for (HeadIndex.Head h : all) {
                if (heads.isAlive(h.id)) ops.sweepOne(h);
            }
            waitIdle();
            if (activity() == before) return;
        }
    }

    private long activity() {
        return ops.splits.get() + ops.merges.get() + ops.garbageCollections.get() + ops.reassigned.get() + ops.recenters.get();
    }

    private void waitIdle() {
        // outstanding first: once it reads 0 nothing runs that could add to dirty
        while (!closed && (outstanding.get() > 0 || !dirty.isEmpty())) {
            maybeScrub(); // dirty postings left when the last job finished while another was queued
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public boolean busy() {
        return outstanding.get() > 0;
    }

    /** Counters for benchmarks and logs. */
    public Map<String, Long> stats() {
        Map<String, Long> m = new java.util.TreeMap<>();
        m.put("splits", ops.splits.get());
        m.put("merges", ops.merges.get());
        m.put("gc_rewrites", ops.garbageCollections.get());
        m.put("reassigned", ops.reassigned.get());
        m.put("reassigned_split_members", ops.movedSplitMembers.get());
        m.put("reassigned_neighbours", ops.movedNeighbours.get());
        m.put("added_neighbours", ops.addedNeighbours.get());
        m.put("reassigned_merged", ops.movedMerged.get());
        m.put("reassigned_scrubbed", ops.movedScrubbed.get());
        m.put("scrubs", ops.scrubs.get());
        m.put("recenters", ops.recenters.get());
        m.put("scrubs_pending", (long) dirty.size());
        m.put("reassign_checks", ops.reassignChecks.get());
        m.put("neighbourhood_exact", ops.neighbourhoodExact.get());
        m.put("neighbourhood_fallbacks", ops.neighbourhoodFallbacks.get());
        m.put("dropped_requests", dropped.get());
        m.put("failures", failures.get());
        m.put("queued", (long) pool.getQueue().size());
        m.put("running", (long) running.get());
        HeadIndex heads = core.heads();
        m.put("head_graph_shortfalls", heads == null ? 0L : heads.graphShortfalls());
        return m;
    }

    @Override
    public void close() {
        closed = true; // no new jobs from here on (every request checks it)
        // clear before shutdown: shut down first, and a worker that saw the queue non-empty could
        // block in take() after the clear with nobody left to wake it (a close hung for minutes
        // in the long crash test); in this order shutdown's interrupt finds an empty queue
        pool.getQueue().clear();
        pool.shutdown();
        // a running split or merge finishes its write batch; RocksDB must not close under it
        try {
            while (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("waiting for a running split/merge to finish");
                pool.getQueue().clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
