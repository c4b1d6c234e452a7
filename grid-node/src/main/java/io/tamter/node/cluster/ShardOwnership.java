package io.tamter.node.cluster;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.namespace.Namespace;
import io.tamter.node.namespace.NamespaceManager;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCache;
import org.apache.ignite.cache.CacheMode;
import org.apache.ignite.configuration.CacheConfiguration;
import org.apache.ignite.events.Event;
import org.apache.ignite.events.EventType;
import org.apache.ignite.lang.IgnitePredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shard ownership on the Ignite topology (ARCHITECTURE.md "The grid"): this node serves shard
 * {@code s} of namespace {@code ns} exactly when it is the primary node of the key {@code ns/s} in
 * {@link GridNode#SHARDS_CACHE} ({@link #servesHere}). It reacts to ownership moves: on every
 * discovery event (a node joined, left, failed), on the end of a rebalance, and every
 * {@code grid.ownership_check_ms} in any case, it compares the shards it has open with the shards
 * it owns ({@link #reconcile}; the namespaces are listed from the object store at start, after
 * each such event and every {@value #LIST_EVERY_MS} ms on a grid of several nodes, the periodic
 * checks in between look at the namespaces open here: a listing walks the store): a shard gained is opened from the object store (checkpoint + WAL
 * tail, claiming the WAL's next sequence number, which fences the previous owner); a shard lost is
 * drained (operations using it finish), closed (its WAL writer writes what it holds; a final
 * checkpoint unless fenced) and released. A request for a shard this node owns but has not opened
 * yet opens it on the spot; one for a shard it does not own is answered 503 {@code shard_moved} and
 * routed again by its coordinator.
 *
 * <p>Namespace settings: {@code meta.json} in the shared object store is the truth; the
 * REPLICATED cache {@value #NAMESPACES_CACHE} holds, per namespace, a token that changes whenever a
 * node changes the settings ({@link #changed}); every node compares it with the token it loaded
 * its settings at on each access (a local read) and reads {@code meta.json} again when it differs.
 */
final class ShardOwnership implements NamespaceManager.ShardPlacement, NamespaceManager.SettingsSync, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ShardOwnership.class);
    /** Settings-change tokens by namespace. */
    static final String NAMESPACES_CACHE = "tamter-namespaces";
    static final int[] EVENTS = {EventType.EVT_NODE_JOINED, EventType.EVT_NODE_LEFT, EventType.EVT_NODE_FAILED,
            EventType.EVT_CACHE_REBALANCE_STOPPED};

    private final Ignite ignite;
    private final NamespaceManager engine;
    private final IgniteCache<String, String> tokens;
    private final ScheduledExecutorService worker;
    private final IgnitePredicate<Event> listener;
    private final AtomicBoolean pending = new AtomicBoolean();
    /** How often the periodic check lists the namespaces in the store (on a grid of several nodes). */
    static final long LIST_EVERY_MS = 30_000;
    private volatile long lastListing = System.nanoTime();
    private volatile boolean ready;
    /** Server nodes in the grid, as of the last topology event. */
    private volatile int servers;
    private volatile boolean closed;

    ShardOwnership(Ignite ignite, NamespaceManager engine, Settings settings) {
        this.ignite = ignite;
        this.engine = engine;
        CacheConfiguration<String, String> c = new CacheConfiguration<>(NAMESPACES_CACHE);
        c.setCacheMode(CacheMode.REPLICATED);
        this.tokens = ignite.getOrCreateCache(c);
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tamter-ownership");
            t.setDaemon(true);
            return t;
        });
        this.servers = ignite.cluster().forServers().nodes().size();
        this.listener = e -> {
            servers = ignite.cluster().forServers().nodes().size();
            soon(); // never block the discovery thread: the work runs on the ownership thread
            return true;
        };
    }

    /** Starts reacting to topology changes and checking ownership periodically. */
    void start(Settings settings) {
        ignite.events().localListen(listener, EVENTS);
        // joining a grid: the shards this node owns are open when the node is started (ready). Alone
        // (the one-node default) namespaces open on their first request, as they always did: a start
        // does not wait for every namespace in the store to open
        if (servers > 1) reconcileQuietly(true);
        else ready = true;
        long every = settings.getLong(Params.GRID_OWNERSHIP_CHECK_MS);
        worker.scheduleWithFixedDelay(() -> reconcileQuietly(listingDue()), every, every, TimeUnit.MILLISECONDS);
    }

    /** Runs a reconcile as soon as the ownership thread is free (coalescing bursts of events). */
    void soon() {
        if (closed || !pending.compareAndSet(false, true)) return;
        worker.execute(() -> {
            pending.set(false);
            reconcileQuietly(true);
        });
    }

    @Override
    public boolean servesHere(String namespace, int shard) {
        return ignite.affinity(GridNode.SHARDS_CACHE).isPrimary(ignite.cluster().localNode(), GridNode.shardKey(namespace, shard));
    }

    @Override
    public Object token(String namespace) {
        if (servers <= 1) return null; // no other node changes settings: spare the hot path a cache read
        try {
            return tokens.get(namespace);
        } catch (RuntimeException e) {
            return null; // the node is stopping: keep the settings it has
        }
    }

    @Override
    public void changed(String namespace) {
        tokens.put(namespace, UUID.randomUUID().toString());
    }

    @Override
    public void deleted(String namespace) {
        tokens.remove(namespace);
    }

    /** Whether the last reconcile found every shard this node owns open (the {@code /ready} check). */
    boolean ready() {
        return ready;
    }

    private boolean listingDue() {
        if (!ready) return true; // the last pass left an owned shard closed: look at everything again
        return System.nanoTime() - lastListing > TimeUnit.MILLISECONDS.toNanos(LIST_EVERY_MS)
                && ignite.cluster().forServers().nodes().size() > 1; // alone, no other node creates namespaces
    }

    private void reconcileQuietly(boolean list) {
        if (closed) return;
        try {
            ready = reconcile(list) && (list || ready);
        } catch (RuntimeException | java.io.IOException e) {
            ready = false;
            LOG.warn("shard ownership check failed (retried in a moment): {}", e.toString());
        }
    }

    /**
     * Opens the shards this node owns and has not opened, closes those it has open and no longer
     * owns. With {@code list}, of every namespace in the shared object store (so a namespace another
     * node created is served here too), else of the namespaces open here.
     *
     * @return whether every owned shard is open
     */
    boolean reconcile(boolean list) throws java.io.IOException {
        boolean all = true;
        List<String> names;
        if (list) {
            lastListing = System.nanoTime();
            names = engine.list("");
        } else {
            names = engine.openNamespaces().stream().map(Namespace::name).toList();
        }
        for (String name : names) {
            if (closed) return false;
            Optional<Namespace> found;
            try {
                found = engine.find(name);
            } catch (java.io.IOException | RuntimeException e) {
                LOG.warn("cannot open namespace {} for its shards: {}", name, e.toString());
                all = false;
                continue;
            }
            if (found.isEmpty()) continue; // deleted meanwhile
            Namespace ns = found.get();
            for (int s = 0; s < ns.numShards(); s++) {
                boolean owns = servesHere(name, s);
                try {
                    // a shard the cold tier closed (idle, or past the disk budget) stays closed until a request needs it
                    if (owns && !ns.isOpen(s) && !ns.isParked(s)) {
                        long t0 = System.nanoTime();
                        ns.attachShard(s);
                        LOG.info("shard {}/{}: owned by node {} now, opened in {} ms", name, s, ignite.cluster().localNode().consistentId(),
                                (System.nanoTime() - t0) / 1_000_000);
                    } else if (!owns && ns.isOpen(s)) {
                        long t0 = System.nanoTime();
                        ns.detachShard(s);
                        LOG.info("shard {}/{}: moved away from node {}, drained and closed in {} ms", name, s, ignite.cluster().localNode().consistentId(),
                                (System.nanoTime() - t0) / 1_000_000);
                    }
                } catch (java.io.IOException | RuntimeException e) {
                    all = false;
                    LOG.warn("shard {}/{}: {} failed (retried in a moment): {}", name, s, owns ? "opening" : "closing", e.toString());
                }
            }
        }
        return all;
    }

    /** Stops reacting (before the engine closes). */
    @Override
    public void close() {
        closed = true;
        try {
            ignite.events().stopLocalListen(listener, EVENTS);
        } catch (RuntimeException ignored) {
            // stopping anyway
        }
        worker.shutdown();
        try {
            worker.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
