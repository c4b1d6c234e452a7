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
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code tamter bench ann}: static recall and speed of each engine on one dataset, against exact
 * ground truth, all in one run (BENCHMARKS.md). One JSON line per engine and parameter point,
 * then a summary line.
 */
final class AnnBench {
    private AnnBench() {}

    static void run(String[] argv) throws Exception {
        Args a = new Args(argv, Set.of("sweep"));
        a.checkKnown(Set.of("dataset", "k", "engines", "metric", "sweep", "threads", "queries", "work"));
        int k = a.getInt("k", 10);
        int threads = a.getInt("threads", 1);
        VectorMetric metric = VectorMetric.fromShortName(a.get("metric", "l2"));
        List<String> engines = Engines.parse(a.get("engines", "spfresh,exact,lucene-hnsw,jvector"));
        Settings settings = Engines.settings(a.sets());
        Path work = Files.createDirectories(Path.of(a.get("work", System.getProperty("java.io.tmpdir"))).resolve("tamter-bench-" + ProcessHandle.current().pid()));

        long t0 = System.nanoTime();
        Dataset d = Datasets.load(a.require("dataset"), null, metric);
        int nq = a.getInt("queries", d.queries().length);
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
                List<Map<String, Object>> points = a.flag("sweep") && !e.searchSweep().isEmpty() ? e.searchSweep() : List.of(Map.of());
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
     * Recall from one pass over the queries; QPS and latency percentiles over as many passes as
     * fill {@link #MIN_TIMED_SECONDS}.
     */
    static Map<String, Object> measure(AnnEngine e, Dataset d, int k, int threads) throws Exception {
        float[][] qs = d.queries();
        int[][] first = null;
        List<long[]> lats = new ArrayList<>();
        double wall = 0;
        int passes = 0;
        while (passes == 0 || wall < MIN_TIMED_SECONDS) {
            int[][] got = new int[qs.length][];
            long[] lat = new long[qs.length];
            wall += pass(e, qs, k, threads, got, lat);
            if (first == null) first = got;
            lats.add(lat);
            passes++;
        }
        long[] sorted = lats.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("recall", Json.round(GroundTruth.recall(first, d.groundTruth(), k), 4));
        m.put("qps", Json.round((double) qs.length * passes / wall, 1));
        m.put("p50_ms", Json.round(sorted[sorted.length / 2] / 1e6, 3));
        m.put("p99_ms", Json.round(sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)] / 1e6, 3));
        return m;
    }

    /** One pass over the queries; returns its wall time in seconds. */
    private static double pass(AnnEngine e, float[][] qs, int k, int threads, int[][] got, long[] lat) throws Exception {
        long t0 = System.nanoTime();
        if (threads <= 1) {
            for (int i = 0; i < qs.length; i++) {
                long s = System.nanoTime();
                got[i] = e.search(qs[i], k);
                lat[i] = System.nanoTime() - s;
            }
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int start = t;
                    fs.add(pool.submit(() -> {
                        for (int i = start; i < qs.length; i += threads) {
                            long s = System.nanoTime();
                            got[i] = e.search(qs[i], k);
                            lat[i] = System.nanoTime() - s;
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) f.get();
            } finally {
                pool.shutdown();
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    static void log(String fmt, Object... args) {
        System.err.printf("[bench] " + fmt + "%n", args);
    }
}
