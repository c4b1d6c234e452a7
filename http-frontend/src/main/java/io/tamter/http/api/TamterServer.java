package io.tamter.http.api;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.cluster.GridNode;
import io.tamter.node.namespace.Namespace;
import io.tamter.node.namespace.NamespaceManager;
import io.tamter.node.namespace.ShardCache;
import io.tamter.node.shard.Shard;
import io.tamter.node.objectstore.ObjectStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * A whole server in this JVM: a grid node ({@link GridNode}: Ignite + engine) and the REST server
 * in front of it. {@code tamter serve} runs one; tests and benchmarks that go through HTTP start
 * their own.
 */
public final class TamterServer implements AutoCloseable {
    private final GridNode node;
    private final HttpServer http;

    private TamterServer(GridNode node, HttpServer http) {
        this.node = node;
        this.http = http;
    }

    /** Starts the node, then the HTTP server (which listens when this returns). */
    public static TamterServer start(Path data, String nodeId, Settings settings) throws IOException {
        return start(GridNode.start(data, nodeId, settings), settings);
    }

    /** {@link #start(Path, String, Settings)} on {@code store} (owned by the server from here on) instead of {@code data/objects}. */
    public static TamterServer start(Path data, String nodeId, Settings settings, ObjectStore store) throws IOException {
        return start(GridNode.start(data, nodeId, settings, store), settings);
    }

    private static TamterServer start(GridNode node, Settings settings) throws IOException {
        try {
            HttpServer http = new HttpServer(settings, new GridExecutor(node.ignite(), settings.getInt(Params.GRID_JOB_THREADS)), node::ready, reg -> gauges(reg, node.engine()));
            http.start();
            // GET /v1/cluster names every node's REST URL: a wildcard bind is reached at the grid host
            String host = settings.get(Params.HTTP_HOST);
            if (host.equals("0.0.0.0") || host.equals("::") || host.isBlank()) host = settings.get(Params.GRID_HOST);
            node.ignite().cluster().nodeLocalMap().put(GridNode.HTTP_URL_KEY, "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + http.port());
            return new TamterServer(node, http);
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
    }

    public GridNode node() {
        return node;
    }

    public HttpServer http() {
        return http;
    }

    public int port() {
        return http.port();
    }

    /** Drains in-flight requests, stops HTTP, then closes the node (WAL flushed, final checkpoints). */
    @Override
    public void close() throws IOException {
        try {
            http.drainAndStop();
        } finally {
            node.close();
        }
    }

    /** Engine gauges for /metrics: open namespaces, documents, and WAL records not yet covered by a checkpoint. */
    static void gauges(PrometheusMeterRegistry reg, NamespaceManager engine) {
        Gauge.builder("tamter.namespaces.open", engine, e -> e.openNamespaces().size()).register(reg);
        Gauge.builder("tamter.documents", engine, sum(ns -> {
            long n = 0;
            for (int i = 0; i < ns.settings().numShards(); i++) if (ns.shard(i) != null) n += ns.shard(i).count();
            return n;
        })).description("documents in the open namespaces").register(reg);
        Gauge.builder("tamter.wal.uncheckpointed.records", engine, sum(ns -> {
            long n = 0;
            for (int i = 0; i < ns.settings().numShards(); i++)
                if (ns.shard(i) != null) n += Math.max(0, ns.shard(i).appliedSeq() - ns.shard(i).checkpointSeq());
            return n;
        })).description("WAL segments applied but not yet covered by a checkpoint").register(reg);
        Gauge.builder("tamter.index.live.vectors", engine, sum(ns -> {
            long n = 0;
            for (int i = 0; i < ns.settings().numShards(); i++)
                if (ns.shard(i) != null && ns.shard(i).vectorIndex() != null) n += ns.shard(i).vectorIndex().liveCount();
            return n;
        })).description("vectors live in the SPFresh indexes of the open namespaces").register(reg);
        Gauge.builder("tamter.index.unindexed.bytes", engine, sum(ns -> {
            long n = 0;
            for (int i = 0; i < ns.settings().numShards(); i++) if (ns.shard(i) != null) n += ns.shard(i).unindexedBytes();
            return n;
        })).description("WAL bytes applied and searchable (by the exact tail scan) but not yet in the vector indexes").register(reg);
        // over the open shards only: ns.info() would reload the shards the cold tier closed
        Gauge.builder("tamter.index.pending.tasks", engine, sum(ns -> {
            long n = 0;
            for (int i = 0; i < ns.settings().numShards(); i++) {
                Shard sh = ns.shard(i);
                if (sh == null) continue;
                if (sh.vectorIndex() != null) {
                    var st = sh.vectorIndex().rebalancerStats();
                    n += st.getOrDefault("queued", 0L) + st.getOrDefault("running", 0L);
                }
            }
            return n;
        })).description("background index work queued or running (LIRE rebalancer, metric rebuilds)").register(reg);
        cacheMetrics(reg, engine.cache());
    }

    /** The cold tier's counters (io.tamter.node.namespace.ShardCache): shard cache hits, misses (loads), evictions, unloads, load times. */
    static void cacheMetrics(PrometheusMeterRegistry reg, ShardCache cache) {
        FunctionCounter.builder("tamter.shard.cache.hits", cache, ShardCache::hits)
                .description("operations that found their shard open").register(reg);
        FunctionCounter.builder("tamter.shard.cache.misses", cache, ShardCache::misses)
                .description("shard loads: an operation found its shard closed (unloaded, evicted, not opened yet) and opened it").register(reg);
        FunctionCounter.builder("tamter.shard.cache.evictions", cache, ShardCache::evictions)
                .description("shards closed and their local state deleted (storage.local_disk_budget_bytes)").register(reg);
        FunctionCounter.builder("tamter.shard.cache.unloads", cache, ShardCache::unloads)
                .description("idle shards closed, local state kept (storage.idle_unload_ms)").register(reg);
        Gauge.builder("tamter.shard.cache.local.bytes", cache, c -> Math.max(0, c.localBytes()))
                .description("local shard state under --data at the last sweep (measured only with a disk budget)").baseUnit("bytes").register(reg);
        Gauge.builder("tamter.shard.cache.budget.bytes", cache, ShardCache::budgetBytes)
                .description("storage.local_disk_budget_bytes (0: unlimited)").baseUnit("bytes").register(reg);
        Timer loads = Timer.builder("tamter.shard.cache.load").description("time to open a shard on a miss (from the object store when evicted)")
                .publishPercentileHistogram().register(reg);
        cache.onLoad(nanos -> loads.record(nanos, TimeUnit.NANOSECONDS));
    }

    interface NsLong {
        long apply(Namespace ns) throws IOException;
    }

    private static ToDoubleFunction<NamespaceManager> sum(NsLong f) {
        return e -> {
            double total = 0;
            for (Namespace ns : e.openNamespaces()) {
                try {
                    total += f.apply(ns);
                } catch (IOException | RuntimeException ex) {
                    // a namespace closing under the scrape: skip it this time
                }
            }
            return total;
        };
    }
}
