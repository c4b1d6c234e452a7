package io.tamter.node.namespace;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cold tier of one node (ARCHITECTURE.md: memory, then local disk, then the object store).
 * A shard is <em>loaded</em> (open: RocksDB, Lucene, its heads in memory), <em>unloaded</em>
 * (closed, its local directory under {@code --data} kept) or <em>evicted</em> (closed and its
 * local directory deleted: only the object store holds it, as its checkpoint plus WAL tail). The
 * next request for an unloaded or evicted shard reopens it ({@link Namespace}: one load however
 * many requests wait for it), through the same path a new owner or a restart with a wiped
 * {@code --data} takes ({@link io.tamter.node.shard.Shard#open}).
 *
 * <p>A sweep, every {@code storage.cache_sweep_interval_ms} and soon after each load:
 * <ol>
 *   <li>unloads the open shards no operation used for {@code storage.idle_unload_ms} (0: never);
 *   <li>measures the local shard directories ({@code <data>/<ns>/shards/<n>/}) and, while they
 *       exceed {@code storage.local_disk_budget_bytes} (0: unlimited), evicts shards least
 *       recently used first: open, unloaded, or of namespaces not open on this node (those count
 *       as used longest ago).
 * </ol>
 * Only idle shards are taken: none of their namespace's operations in flight at that moment
 * (the namespace's slot lock is free), not used since the sweep measured them, and no index work
 * pending (unindexed tail, metric rebuild, LIRE rebalancing); the most recently used shard is
 * never evicted (a budget smaller than one shard would otherwise evict the shard just loaded).
 * So the local state can stay above the budget by busy shards and that one shard until a later
 * sweep. Closing takes a final checkpoint (a clean close), so a reopen replays little WAL; even
 * when that checkpoint fails, the WAL holds every acked write and the checkpoint truncates it
 * only up to what the checkpoint holds, so deleting the local state never loses one.
 *
 * <p>Counters for /metrics: hits (an operation found its shard open), misses (it loaded the
 * shard), evictions, unloads, load times.
 */
public final class ShardCache implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ShardCache.class);

    private final NamespaceManager engine;
    private final Path dataDir;
    private final long budget;
    private final long idleNanos;
    private final ScheduledExecutorService sweeper;
    private final AtomicBoolean sweepQueued = new AtomicBoolean();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder unloads = new LongAdder();
    private final LongAdder loadNanos = new LongAdder();
    private final LongAccumulator maxLoadNanos = new LongAccumulator(Math::max, 0);
    private final List<LongConsumer> loadListeners = new CopyOnWriteArrayList<>();
    /** Bytes of local shard state at the last sweep that measured it (-1: none measured yet). */
    private volatile long localBytes = -1;

    ShardCache(NamespaceManager engine, Path dataDir, Settings settings) {
        this.engine = engine;
        this.dataDir = dataDir;
        this.budget = settings.get(Params.LOCAL_DISK_BUDGET_BYTES);
        this.idleNanos = TimeUnit.MILLISECONDS.toNanos(settings.get(Params.IDLE_UNLOAD_MS));
        if (budget > 0 || idleNanos > 0) {
            sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "tamter-shard-cache");
                t.setDaemon(true);
                return t;
            });
            long every = settings.get(Params.CACHE_SWEEP_INTERVAL_MS);
            sweeper.scheduleWithFixedDelay(this::sweepQuietly, every, every, TimeUnit.MILLISECONDS);
        } else {
            sweeper = null;
        }
    }

    /** The disk budget in bytes, 0 when unlimited. */
    public long budgetBytes() {
        return budget;
    }

    /** Whether the node unloads or evicts shards at all (a budget or an idle time is set). */
    public boolean enabled() {
        return sweeper != null;
    }

    public long hits() {
        return hits.sum();
    }

    /** Loads: an operation found its shard closed and opened it. */
    public long misses() {
        return misses.sum();
    }

    public long evictions() {
        return evictions.sum();
    }

    public long unloads() {
        return unloads.sum();
    }

    /** Total time spent loading shards, in nanoseconds (divide by {@link #misses()} for the mean). */
    public long loadNanosTotal() {
        return loadNanos.sum();
    }

    public long maxLoadNanos() {
        return maxLoadNanos.get();
    }

    /** Local shard state in bytes at the last sweep that measured it (-1: none yet; sweeps measure when a budget is set). */
    public long localBytes() {
        return localBytes;
    }

    /** Told the time of every load, in nanoseconds (a metrics timer). */
    public void onLoad(LongConsumer listener) {
        loadListeners.add(listener);
    }

    void hit() {
        hits.increment();
    }

    void loaded(long nanos) {
        misses.increment();
        loadNanos.add(nanos);
        maxLoadNanos.accumulate(nanos);
        for (LongConsumer l : loadListeners) l.accept(nanos);
        // a load grows the local state: measure it against the budget soon, not at the next tick
        if (budget > 0 && sweeper != null && sweepQueued.compareAndSet(false, true)) {
            try {
                sweeper.execute(() -> {
                    sweepQueued.set(false);
                    sweepQuietly();
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                sweepQueued.set(false); // closing
            }
        }
    }

    private void sweepQuietly() {
        try {
            sweep();
        } catch (IOException | RuntimeException e) {
            LOG.warn("shard cache sweep failed (retried at the next one): {}", e.toString());
        }
    }

    /** What one sweep did. */
    public record Sweep(int unloaded, int evicted, long localBytesBefore, long localBytesAfter) {}

    /**
     * Runs a sweep now (the periodic one calls this; tests and operations may too): idle unload,
     * then the disk budget. One sweep at a time.
     */
    public synchronized Sweep sweep() throws IOException {
        int unloaded = 0, evicted = 0;
        if (idleNanos > 0) {
            long cutoff = System.nanoTime() - idleNanos;
            for (Namespace ns : engine.openNamespaces()) {
                for (int i = 0; i < ns.numShards(); i++) {
                    if (!ns.isOpen(i) || ns.lastUse(i) > cutoff) continue;
                    if (ns.unload(i, cutoff, false, false) == Namespace.Unloaded.CLOSED) {
                        unloaded++;
                        unloads.increment();
                        LOG.info("shard {}/{} unloaded: idle for {} ms", ns.name(), i, TimeUnit.NANOSECONDS.toMillis(idleNanos));
                    }
                }
            }
        }
        if (budget <= 0) return new Sweep(unloaded, 0, -1, -1);
        List<Local> all = measure();
        long total = 0;
        for (Local l : all) total += l.bytes;
        long before = total;
        if (total > budget) {
            all.sort(Comparator.comparingLong(Local::lastUse));
            Local newest = all.get(all.size() - 1);
            for (Local l : all) {
                if (total <= budget) break;
                if (l == newest) continue;
                boolean gone;
                if (l.ns != null) {
                    gone = l.ns.unload(l.shard, l.lastUse, true, false) == Namespace.Unloaded.EVICTED;
                } else {
                    gone = engine.evictUnopened(l.name, l.shard);
                }
                if (!gone) continue;
                total -= l.bytes;
                evicted++;
                evictions.increment();
                LOG.info("shard {}/{} evicted ({} bytes of local state; {} of {} budget bytes now in use)", l.name, l.shard, l.bytes,
                        Math.max(total, 0), budget);
            }
        }
        localBytes = Math.max(total, 0);
        return new Sweep(unloaded, evicted, before, localBytes);
    }

    /**
     * Evicts shard {@code shard} of namespace {@code name} now, waiting for its operations in
     * flight, whatever its recent use (tests, benchmarks, operations).
     *
     * @return whether it was open or had local state
     */
    public boolean evict(String name, int shard) throws IOException {
        Optional<Namespace> ns = engine.openNamespace(name);
        boolean gone = ns.isPresent() ? ns.get().unload(shard, Long.MAX_VALUE, true, true) == Namespace.Unloaded.EVICTED
                : engine.evictUnopened(name, shard);
        if (gone) evictions.increment();
        return gone;
    }

    /** Unloads shard {@code shard} of namespace {@code name} now (closed, local files kept), waiting for its operations in flight. */
    public boolean unload(String name, int shard) throws IOException {
        Optional<Namespace> ns = engine.openNamespace(name);
        boolean done = ns.isPresent() && ns.get().unload(shard, Long.MAX_VALUE, false, true) == Namespace.Unloaded.CLOSED;
        if (done) unloads.increment();
        return done;
    }

    /** One shard's local directory. */
    private record Local(String name, int shard, Namespace ns, long bytes, long lastUse) {}

    /** Every shard directory under the data directory, with its size and its shard's last use (0 when its namespace is not open). */
    private List<Local> measure() throws IOException {
        List<Local> out = new ArrayList<>();
        if (!Files.isDirectory(dataDir)) return out;
        try (DirectoryStream<Path> nss = Files.newDirectoryStream(dataDir)) {
            for (Path nsDir : nss) {
                Path shardsDir = nsDir.resolve("shards");
                if (!Files.isDirectory(shardsDir)) continue;
                String name = nsDir.getFileName().toString();
                Namespace ns = engine.openNamespace(name).orElse(null);
                try (DirectoryStream<Path> shs = Files.newDirectoryStream(shardsDir)) {
                    for (Path d : shs) {
                        int shard;
                        try {
                            shard = Integer.parseInt(d.getFileName().toString());
                        } catch (NumberFormatException e) {
                            continue;
                        }
                        if (ns != null && shard >= ns.numShards()) continue;
                        long bytes = sizeOf(d);
                        if (bytes > 0) out.add(new Local(name, shard, ns, bytes, ns == null ? 0 : ns.lastUse(shard)));
                    }
                }
            }
        }
        return out;
    }

    /** Bytes of the regular files under {@code dir}; files that vanish meanwhile (compactions, merges) are skipped. */
    static long sizeOf(Path dir) throws IOException {
        long[] total = {0};
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile()) total[0] += attrs.size();
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                return FileVisitResult.CONTINUE;
            }
        });
        return total[0];
    }

    /** Stops the sweeps, waiting for one that runs (before the namespaces close). */
    @Override
    public void close() {
        if (sweeper == null) return;
        sweeper.shutdown();
        try {
            if (!sweeper.awaitTermination(60, TimeUnit.SECONDS)) LOG.warn("a shard cache sweep still runs after 60 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
