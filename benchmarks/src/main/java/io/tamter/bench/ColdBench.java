package io.tamter.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.bench.data.Dataset;
import io.tamter.bench.data.Datasets;
import io.tamter.bench.engine.Dirs;
import io.tamter.config.Settings;
import io.tamter.node.index.spann.SpfreshIndex;
import io.tamter.node.namespace.Namespace;
import io.tamter.node.namespace.NamespaceManager;
import io.tamter.node.namespace.SearchRequest;
import io.tamter.node.namespace.ShardCache;
import io.tamter.node.objectstore.GcsTestServer;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.objectstore.ObjectStores;
import io.tamter.node.shard.Shard;
import io.tamter.node.vector.VectorMetric;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tamter bench cold}: cold-query latency (issue 11's acceptance point). One namespace of the
 * namespace engine is loaded into each object store target, its shards checkpointed; then, for
 * each round, every shard is evicted (closed, local directory deleted: {@link ShardCache#evict})
 * and one query is timed (the <em>cold</em> query: it reloads the shards from the object store,
 * checkpoint plus WAL tail, then searches), followed by {@code --warm} queries on the loaded shards.
 *
 * <p>Targets ({@code --targets}): {@code local} is a local-directory store; {@code gcs:MS} is
 * {@code GcsObjectStore} over HTTP against the in-process {@code GcsTestServer} (grid-node's
 * test jar, on this module's classpath for that reason) with {@code MS} milliseconds added to every
 * request (the server sleeps before it answers), turned on after the load so that only the
 * measured part pays it.
 */
final class ColdBench {
    private ColdBench() {}

    private static final ObjectMapper M = new ObjectMapper();

    @Command(name = "cold", synopsisHeading = "usage: ", separator = " ", sortOptions = false, descriptionHeading = "%n",
            optionListHeading = "%noptions:%n", sortSynopsis = false,
            description = {
                "Cold-query latency: the first query after evicting every shard, then warm ones.",
                "",
                "Per target, one namespace is loaded and checkpointed; then each round evicts every "
                    + "shard and times the first query (a reload from the object store) and --warm queries after it. One JSON line "
                    + "per target, then a summary line."})
    static final class Options implements Callable<Integer> {
        @Mixin
        io.tamter.http.cli.TamterMain.HelpOption help;

        @Option(names = "--dataset", paramLabel = "DIR|NAME|SPEC", defaultValue = "synthetic:n=100000,dim=128,clusters=200,seed=7,queries=1000",
                description = "a directory of base/query.fvecs, a name under ../shared/data, or synthetic:... (default ${DEFAULT-VALUE})")
        String dataset;

        @Option(names = "--targets", paramLabel = "A,B", split = ",", hideParamSyntax = true, defaultValue = "local,gcs:20,gcs:50",
                description = "object stores: local (a directory), gcs:MS (an in-process GCS server adding MS ms to every request) "
                        + "(default ${DEFAULT-VALUE})")
        List<String> targets;

        @Option(names = "--rounds", paramLabel = "N", description = "evictions, each followed by one cold query (default ${DEFAULT-VALUE})")
        int rounds = 20;

        @Option(names = "--warm", paramLabel = "N", description = "warm queries after each cold one (default ${DEFAULT-VALUE})")
        int warm = 20;

        @Option(names = "--shards", paramLabel = "N", description = "shards of the namespace (default ${DEFAULT-VALUE})")
        int shards = 1;

        @Option(names = "--k", paramLabel = "N", description = "neighbours per query (default ${DEFAULT-VALUE})")
        int k = 10;

        @Mixin
        BenchOptions.Metric metric;

        @Option(names = "--batch", paramLabel = "N", description = "rows per write while loading (default ${DEFAULT-VALUE})")
        int batch = 256;

        @Mixin
        BenchOptions.Sets sets;

        @Mixin
        BenchOptions.Work work;

        @Override
        public Integer call() throws Exception {
            run(this);
            return 0;
        }
    }

    static void run(Options o) throws Exception {
        int k = o.k;
        int rounds = o.rounds;
        int warm = o.warm;
        int shards = o.shards;
        int batch = o.batch;
        if (rounds < 1 || warm < 1 || shards < 1) throw new IllegalArgumentException("--rounds, --warm and --shards must be at least 1");
        VectorMetric metric = o.metric.metric;
        List<String> targets = o.targets;
        for (String t : targets) latencyOf(t); // reject a bad target before any work
        Settings settings = o.sets.settings();
        Path work = o.work.dir;
        Dataset d = Datasets.load(o.dataset, null, metric);
        int n = d.base().length;
        AnnBench.log("cold %s: %d vectors, %d shards, targets %s, %d rounds of 1 cold + %d warm queries", d.name(), n, shards, targets,
                rounds, warm);

        List<Map<String, Object>> results = new ArrayList<>();
        for (String target : targets) {
            Path dir = Files.createDirectories(work.resolve("tamter-cold-" + ProcessHandle.current().pid() + "-" + System.nanoTime()));
            GcsTestServer gcs = null;
            ObjectStore store = null;
            NamespaceManager engine = null;
            try {
                int latency = latencyOf(target);
                if (latency < 0) {
                    store = new LocalDirectoryObjectStore(dir.resolve("store"));
                } else {
                    gcs = new GcsTestServer().createBucket("tamter-bench");
                    String host = gcs.endpoint().replaceFirst("^http://", "");
                    store = ObjectStores.open(URI.create("gs://tamter-bench/cold"), Map.of("STORAGE_EMULATOR_HOST", host));
                }
                engine = new NamespaceManager(dir.resolve("data"), store, settings, null);
                ObjectNode options = M.createObjectNode().put("num_shards", shards).put("distance_metric", metric.apiName());
                options.putNull("embedding_model");
                Namespace ns = engine.create("bench", options);
                long t0 = System.nanoTime();
                for (int from = 0; from < n; from += batch) {
                    ArrayNode rows = M.createArrayNode();
                    for (int i = from; i < Math.min(n, from + batch); i++) {
                        ArrayNode v = rows.addObject().put("id", i).putArray("vector");
                        for (float x : d.base()[i]) v.add(x);
                    }
                    ns.upsert(rows, null);
                }
                awaitQuiescent(ns);
                double loadS = AnnBench.secs(t0);
                // the first eviction takes each shard's final checkpoint (uploads); later ones find nothing to upload
                long c0 = System.nanoTime();
                for (int s = 0; s < shards; s++) engine.cache().evict("bench", s);
                double checkpointS = AnnBench.secs(c0);
                long checkpointBytes = 0;
                for (var obj : store.list("bench/")) checkpointBytes += obj.size();
                AnnBench.log("%s: loaded %d vectors in %.1f s, checkpointed in %.1f s (%d bytes in the store)", target, n, loadS, checkpointS,
                        checkpointBytes);
                if (gcs != null) for (GcsTestServer.Op op : GcsTestServer.Op.values())
                    gcs.inject(op, GcsTestServer.FaultKind.LATENCY, 0, latency, Integer.MAX_VALUE);

                ShardCache cache = engine.cache();
                long[] cold = new long[rounds];
                long[] warmNs = new long[rounds * warm];
                long[] evictNs = new long[rounds];
                long missesBefore = cache.misses(), loadBefore = cache.loadNanosTotal();
                int q = 0;
                for (int r = 0; r < rounds; r++) {
                    long e0 = System.nanoTime();
                    for (int s = 0; s < shards; s++) engine.cache().evict("bench", s);
                    evictNs[r] = System.nanoTime() - e0;
                    long s0 = System.nanoTime();
                    search(ns, d.queries()[q++ % d.queries().length], k);
                    cold[r] = System.nanoTime() - s0;
                    for (int w = 0; w < warm; w++) {
                        long w0 = System.nanoTime();
                        search(ns, d.queries()[q++ % d.queries().length], k);
                        warmNs[r * warm + w] = System.nanoTime() - w0;
                    }
                }
                long loads = cache.misses() - missesBefore;
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("bench", "cold");
                line.put("target", target);
                line.put("store", latency < 0 ? "local" : "gcs-test-server");
                line.put("latency_ms", Math.max(latency, 0));
                line.put("cold_p50_ms", ms(percentile(cold, 0.5)));
                line.put("cold_p90_ms", ms(percentile(cold, 0.9)));
                line.put("cold_mean_ms", ms(mean(cold)));
                line.put("warm_p50_ms", ms(percentile(warmNs, 0.5)));
                line.put("warm_p90_ms", ms(percentile(warmNs, 0.9)));
                line.put("warm_mean_ms", ms(mean(warmNs)));
                line.put("load_mean_ms", loads == 0 ? null : ms((double) (cache.loadNanosTotal() - loadBefore) / loads));
                line.put("evict_mean_ms", ms(mean(evictNs)));
                line.put("loads", loads);
                line.put("rounds", rounds);
                line.put("checkpoint_bytes", checkpointBytes);
                line.put("load_s", Json.round(loadS, 2));
                Json.line(line);
                results.add(line);
            } finally {
                if (engine != null) engine.close();
                if (store != null) store.close();
                if (gcs != null) gcs.close();
                Dirs.deleteTree(dir);
            }
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("bench", "cold");
        s.put("summary", true);
        s.put("dataset", d.name());
        s.put("vectors", n);
        s.put("dim", d.base()[0].length);
        s.put("shards", shards);
        s.put("k", k);
        s.put("rounds", rounds);
        s.put("warm_per_round", warm);
        Map<String, Object> byTarget = new LinkedHashMap<>();
        for (Map<String, Object> r : results)
            byTarget.put((String) r.get("target"), Map.of("cold_p50_ms", r.get("cold_p50_ms"), "warm_p50_ms", r.get("warm_p50_ms")));
        s.put("targets", byTarget);
        s.put("settings", settings.overrides());
        s.put("machine", Json.machine());
        Json.line(s);
    }

    /** -1 for {@code local}, the added milliseconds for {@code gcs:MS}. */
    static int latencyOf(String target) {
        String t = target.strip();
        if (t.equals("local")) return -1;
        if (t.startsWith("gcs:")) {
            try {
                int ms = Integer.parseInt(t.substring(4));
                if (ms >= 0) return ms;
            } catch (NumberFormatException ignored) {
                // the message below
            }
        }
        throw new IllegalArgumentException("--targets takes local and gcs:MS (MS: milliseconds added to every request, >= 0); got '" + target + "'");
    }

    private static void search(Namespace ns, float[] q, int k) throws java.io.IOException {
        ns.search(new SearchRequest(q, null, SearchRequest.Mode.VECTOR, null, k, List.of(), false, false, Float.NaN));
    }

    private static void awaitQuiescent(Namespace ns) throws InterruptedException {
        for (int i = 0; i < ns.numShards(); i++) {
            Shard sh = ns.shard(i);
            if (sh == null) continue;
            if (!sh.awaitIndexed(java.util.concurrent.TimeUnit.HOURS.toMillis(24))) throw new IllegalStateException("shard " + i + " did not finish indexing");
            SpfreshIndex idx = sh.vectorIndex();
            if (idx != null) idx.awaitQuiescent();
        }
    }

    private static double percentile(long[] v, double p) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.floor(p * s.length))];
    }

    private static double mean(long[] v) {
        double t = 0;
        for (long x : v) t += x;
        return t / v.length;
    }

    private static double ms(double nanos) {
        return Json.round(nanos / 1e6, 2);
    }
}
