package io.tamter.bench;

import io.tamter.bench.data.Dataset;
import io.tamter.bench.data.Datasets;
import io.tamter.bench.data.GroundTruth;
import io.tamter.bench.engine.AnnEngine;
import io.tamter.config.Settings;
import io.tamter.node.vector.VectorMetric;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tamter bench ann}: static recall and speed of each engine on one dataset, against exact
 * ground truth, all in one run (BENCHMARKS.md). One JSON line per engine and parameter point,
 * then a summary line.
 */
final class AnnBench {
    private AnnBench() {}

    @Command(name = "ann", synopsisHeading = "usage: ", separator = " ", sortOptions = false, descriptionHeading = "%n",
            optionListHeading = "%noptions:%n", sortSynopsis = false,
            description = {
                "Static recall and speed of each engine on one dataset, against exact ground truth.",
                "",
                "All engines run in one process and one run (BENCHMARKS.md). One JSON line per engine and parameter point, then a summary line."})
    static final class Options implements Callable<Integer> {
        @Mixin
        io.tamter.http.cli.TamterMain.HelpOption help;

        @Option(names = "--dataset", paramLabel = "DIR|NAME|SPEC", required = true, description = "a directory of base/query.fvecs, "
                + "a name under ../shared/data, or synthetic:n=..,dim=..,clusters=..,seed=..[,queries=..]")
        String dataset;

        @Option(names = "--k", paramLabel = "N", description = "neighbours per query (default ${DEFAULT-VALUE})")
        int k = 10;

        @Option(names = "--engines", paramLabel = "A,B", split = ",", hideParamSyntax = true, converter = BenchOptions.EngineConverter.class,
                defaultValue = "spfresh,exact,lucene-hnsw,jvector", description = "engines to run, in order (default ${DEFAULT-VALUE})")
        List<String> engines;

        @Mixin
        BenchOptions.Metric metric;

        @Option(names = "--sweep", description = "search each engine at every point of its parameter sweep, not only its default")
        boolean sweep;

        @Option(names = "--threads", paramLabel = "N", description = "concurrent searching threads (default ${DEFAULT-VALUE})")
        int threads = 1;

        @Option(names = "--queries", paramLabel = "N", description = "use the first N queries (default: all)")
        Integer queries;

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
        int threads = o.threads;
        VectorMetric metric = o.metric.metric;
        List<String> engines = o.engines;
        Settings settings = o.sets.settings();
        Path work = Files.createDirectories(o.work.dir.resolve("tamter-bench-" + ProcessHandle.current().pid()));

        long t0 = System.nanoTime();
        Dataset d = Datasets.load(o.dataset, null, metric);
        int nq = o.queries != null ? o.queries : d.queries().length;
        if (nq < d.queries().length) d = d.withQueries(Arrays.copyOf(d.queries(), nq));
        log("dataset %s: %d x %d, %d queries (%.1f s)", d.name(), d.base().length, d.dim(), d.queries().length, secs(t0));
        t0 = System.nanoTime();
        d = Datasets.withGroundTruth(d, k);
        log("ground truth ready (%.1f s)", secs(t0));

        // native libraries load once per JVM; load them now so no engine's memory reading includes them
        org.rocksdb.RocksDB.loadLibrary();
        io.tamter.kernels.Kernels.get();
        int[] ids = new int[d.base().length];
        for (int i = 0; i < ids.length; i++) ids[i] = i;
        List<Map<String, Object>> results = new ArrayList<>();
        for (String name : engines) {
            MemoryProbe.Reading before = MemoryProbe.read();
            AnnEngine e = Engines.create(name, metric, d.dim(), settings, work);
            try {
                log("%s: building", name);
                long b0 = System.nanoTime();
                e.build(d.base(), ids);
                e.awaitQuiescent(); // a static index is measured after its background work settled
                double buildS = secs(b0);
                log("%s: built in %.1f s", name, buildS);
                for (float[] q : d.queries()) e.search(q, k); // warm-up, and touch what searches touch
                Map<String, Object> memory = MemoryProbe.delta(before, MemoryProbe.read(), e.nativeBytes());
                List<Map<String, Object>> points = o.sweep && !e.searchSweep().isEmpty() ? e.searchSweep() : List.of(Map.of());
                for (Map<String, Object> p : points) {
                    e.applySearchParams(p);
                    Map<String, Object> line = measure(e, d, k, threads);
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("bench", "ann");
                    out.put("dataset", d.name());
                    out.put("engine", name);
                    out.put("k", k);
                    out.put("params", e.params());
                    out.putAll(line);
                    out.put("build_s", Json.round(buildS, 2));
                    out.put("index_bytes", e.indexBytes());
                    out.put("memory_bytes", memory.get("total"));
                    out.put("memory", memory);
                    out.put("raw_vector_bytes", d.rawVectorBytes());
                    out.put("threads", threads);
                    Map<String, Object> stats = e.stats();
                    if (!stats.isEmpty()) out.put("stats", stats);
                    Json.line(out);
                    results.add(out);
                }
            } finally {
                e.close();
            }
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("bench", "ann");
        summary.put("summary", true);
        summary.put("dataset", d.name());
        summary.put("n", d.base().length);
        summary.put("dim", d.dim());
        summary.put("queries", d.queries().length);
        summary.put("k", k);
        summary.put("metric", metric.apiName());
        summary.put("raw_vector_bytes", d.rawVectorBytes());
        Map<String, Object> best = new LinkedHashMap<>();
        for (Map<String, Object> r : results) {
            best.merge((String) r.get("engine"), Map.of("recall", r.get("recall"), "qps", r.get("qps"), "memory_bytes", r.get("memory_bytes")),
                    (x, y) -> x);
        }
        summary.put("engines", best);
        summary.put("settings", settings.overrides());
        summary.put("machine", Json.machine());
        Json.line(summary);
        io.tamter.bench.engine.Dirs.deleteTree(work);
    }

    /** Minimum timed duration per parameter point: short runs on a small query set are noise. */
    static final double MIN_TIMED_SECONDS = 2.0;

    /**
     * Recall from one pass over the queries; QPS and latency percentiles from {@code threads}
     * threads each searching the queries round and round (from different starting points) until
     * {@link #MIN_TIMED_SECONDS} have passed. The threads start once and run to the same deadline,
     * so that neither a pool's start nor the wait for the slowest thread at the end of a short
     * pass is counted as search time (per-pass pools of 100 sift10k queries cost ~15 % at 2 threads).
     */
    static Map<String, Object> measure(AnnEngine e, Dataset d, int k, int threads) throws Exception {
        float[][] qs = d.queries();
        int[][] first = new int[qs.length][];
        for (int i = 0; i < qs.length; i++) first[i] = e.search(qs[i], k);
        int n = Math.max(1, threads);
        long[][] lats = new long[n][];
        int[] done = new int[n];
        long t0 = System.nanoTime();
        long deadline = t0 + (long) (MIN_TIMED_SECONDS * 1e9);
        long end;
        if (n == 1) {
            lats[0] = searchUntil(e, qs, k, 0, deadline, done, 0);
            end = System.nanoTime();
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(n);
            try {
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                List<Future<long[]>> fs = new ArrayList<>();
                for (int t = 0; t < n; t++) {
                    int worker = t;
                    fs.add(pool.submit(() -> {
                        go.await();
                        return searchUntil(e, qs, k, worker * qs.length / n, deadline, done, worker);
                    }));
                }
                t0 = System.nanoTime();
                go.countDown();
                for (int t = 0; t < n; t++) lats[t] = fs.get(t).get();
                end = System.nanoTime();
            } finally {
                pool.shutdown();
            }
        }
        long[] sorted = Arrays.stream(lats).flatMapToLong(Arrays::stream).sorted().toArray();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("recall", Json.round(GroundTruth.recall(first, d.groundTruth(), k), 4));
        m.put("qps", Json.round(Arrays.stream(done).sum() / ((end - t0) / 1e9), 1));
        m.put("p50_ms", Json.round(sorted[sorted.length / 2] / 1e6, 3));
        m.put("p99_ms", Json.round(sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)] / 1e6, 3));
        return m;
    }

    /** One thread's share of {@link #measure}: searches from query {@code start} on, wrapping around, until the deadline; returns the latencies. */
    private static long[] searchUntil(AnnEngine e, float[][] qs, int k, int start, long deadline, int[] done, int worker) throws Exception {
        long[] lat = new long[1024];
        int c = 0;
        for (int i = start; c == 0 || System.nanoTime() < deadline; i = (i + 1) % qs.length) {
            long s = System.nanoTime();
            e.search(qs[i], k);
            if (c == lat.length) lat = Arrays.copyOf(lat, c * 2);
            lat[c++] = System.nanoTime() - s;
        }
        done[worker] = c;
        return Arrays.copyOf(lat, c);
    }

    static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    static void log(String fmt, Object... args) {
        System.err.printf("[bench] " + fmt + "%n", args);
    }
}
