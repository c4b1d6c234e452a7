package io.tamter.bench;

import io.tamter.bench.data.Dataset;
import io.tamter.bench.data.Datasets;
import io.tamter.bench.data.GroundTruth;
import io.tamter.bench.engine.AnnEngine;
import io.tamter.bench.engine.ExactEngine;
import io.tamter.config.Settings;
import io.tamter.node.vector.VectorMetric;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tamter bench stream}: freshness under inserts and deletes (BENCHMARKS.md). Each engine
 * replays the runbook; every search step is scored against exact search over the live rows at that
 * moment, without waiting for background work (freshness under load is the point). After the
 * last step the engine drains ({@link AnnEngine#awaitQuiescent()}) and is searched once more
 * ({@code final_recall}); a fresh instance built statically from the final live rows gives the
 * bar ({@code static_rebuild_recall}).
 */
final class StreamBench {
    private StreamBench() {}

    @Command(name = "stream", synopsisHeading = "usage: ", separator = " ", sortOptions = false, descriptionHeading = "%n",
            optionListHeading = "%noptions:%n", sortSynopsis = false,
            description = {
                "Freshness under inserts and deletes: a runbook replayed, every search step scored.",
                "",
                "Each engine replays a NeurIPS'23-style runbook (BENCHMARKS.md); every "
                    + "search step is scored against exact search over the live rows at that moment; after the last step the engine "
                    + "drains and is searched once more (final_recall), and a static rebuild of the final rows gives the bar."})
    static final class Options implements Callable<Integer> {
        @Mixin
        io.tamter.http.cli.TamterMain.HelpOption help;

        @Option(names = "--runbook", paramLabel = "FILE", required = true, description = "the runbook (YAML, e.g. benchmarks/runbooks/)")
        Path runbook;

        @Option(names = "--dataset", paramLabel = "DIR|NAME|SPEC", description = "replaces the runbook's dataset (relative to the "
                + "working directory; the runbook's own is relative to the runbook)")
        String dataset;

        @Option(names = "--engines", paramLabel = "A,B", split = ",", hideParamSyntax = true, converter = BenchOptions.EngineConverter.class,
                defaultValue = "spfresh,lucene-hnsw", description = "engines to run, in order (default ${DEFAULT-VALUE})")
        List<String> engines;

        @Option(names = "--k", paramLabel = "N", description = "neighbours per query (default ${DEFAULT-VALUE})")
        int k = 10;

        @Mixin
        BenchOptions.Metric metric;

        @Option(names = "--queries", paramLabel = "N", description = "use the first N queries (default: up to 1000)")
        Integer queries;

        @Option(names = "--step-stats", description = "add the index's shape (stats) to each search step's line; reads every posting")
        boolean stepStats;

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
        boolean stepStats = o.stepStats;
        Path file = o.runbook;
        Runbook rb = Runbook.load(file);
        int k = o.k;
        VectorMetric metric = o.metric.metric;
        List<String> engines = o.engines;
        Settings settings = o.sets.settings();
        Path work = Files.createDirectories(o.work.dir.resolve("tamter-stream-" + ProcessHandle.current().pid()));

        // --dataset replaces the runbook's (a runbook over vectors made by `bench embed` names no fixed path)
        String spec = o.dataset != null ? o.dataset : rb.dataset();
        Path relativeTo = o.dataset != null ? Path.of("").toAbsolutePath() : file.toAbsolutePath().getParent();
        Dataset d = Datasets.load(spec, relativeTo, metric);
        int nq = o.queries != null ? o.queries : Math.min(d.queries().length, 1000);
        if (nq < d.queries().length) d = d.withQueries(java.util.Arrays.copyOf(d.queries(), nq));
        if (d.base().length < rb.maxPts()) throw new IllegalArgumentException(spec + " has " + d.base().length + " rows; runbook wants " + rb.maxPts());
        AnnBench.log("runbook %s: dataset %s, %d steps, %d queries", file.getFileName(), d.name(), rb.steps().size(), d.queries().length);

        for (String name : engines) {
            try (AnnEngine e = Engines.create(name, metric, d.dim(), settings, work); ExactEngine exact = new ExactEngine(metric)) {
                List<Double> recalls = new ArrayList<>();
                long inserted = 0, deleted = 0;
                double insertS = 0, deleteS = 0;
                for (Runbook.Step st : rb.steps()) {
                    switch (st.operation()) {
                        case "insert" -> {
                            long t0 = System.nanoTime();
                            for (int id = st.start(); id < st.end(); id++) e.insert(id, d.base()[id]);
                            insertS += AnnBench.secs(t0);
                            inserted += st.end() - st.start();
                            for (int id = st.start(); id < st.end(); id++) exact.insert(id, d.base()[id]);
                        }
                        case "delete" -> {
                            long t0 = System.nanoTime();
                            for (int id = st.start(); id < st.end(); id++) e.delete(id);
                            deleteS += AnnBench.secs(t0);
                            deleted += st.end() - st.start();
                            for (int id = st.start(); id < st.end(); id++) exact.delete(id);
                        }
                        default -> {
                            Map<String, Object> r = search(e, exact, d, k);
                            recalls.add((Double) r.get("recall"));
                            Map<String, Object> line = new LinkedHashMap<>();
                            line.put("bench", "stream");
                            line.put("engine", name);
                            line.put("step", st.number());
                            line.putAll(r);
                            if (stepStats) line.put("stats", e.stats()); // the index's shape at this step (reads every posting)
                            Json.line(line);
                        }
                    }
                    AnnBench.log("%s: step %d %s done", name, st.number(), st.operation());
                }
                long q0 = System.nanoTime();
                e.awaitQuiescent();
                double drainS = AnnBench.secs(q0);
                double fin = (Double) search(e, exact, d, k).get("recall");
                Map<String, Object> stats = e.stats();
                double rebuilt;
                Map<String, Object> rebuiltStats; // the static build's shape, to compare heads and replication with
                try (AnnEngine fresh = Engines.create(name, metric, d.dim(), settings, work.resolve("rebuild"))) {
                    boolean[] live = exact.liveMask();
                    int[] ids = java.util.stream.IntStream.range(0, live.length).filter(i -> live[i]).toArray();
                    fresh.build(d.base(), ids);
                    rebuilt = (Double) search(fresh, exact, d, k).get("recall");
                    rebuiltStats = fresh.stats();
                }
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("bench", "stream");
                s.put("summary", true);
                s.put("engine", name);
                s.put("runbook", file.getFileName().toString());
                s.put("dataset", d.name());
                s.put("params", e.params());
                s.put("mean_recall", Json.round(recalls.stream().mapToDouble(x -> x).average().orElse(Double.NaN), 4));
                s.put("min_recall", Json.round(recalls.stream().mapToDouble(x -> x).min().orElse(Double.NaN), 4));
                s.put("final_recall", Json.round(fin, 4));
                s.put("static_rebuild_recall", Json.round(rebuilt, 4));
                s.put("insert_per_s", Json.round(inserted / Math.max(insertS, 1e-9), 1));
                s.put("delete_per_s", Json.round(deleted / Math.max(deleteS, 1e-9), 1));
                s.put("drain_s", Json.round(drainS, 2));
                s.put("max_posting", stats.get("max_posting"));
                s.put("stale_fraction", stats.get("stale_fraction"));
                if (!stats.isEmpty()) s.put("stats", stats);
                if (!rebuiltStats.isEmpty()) s.put("static_rebuild_stats", rebuiltStats);
                s.put("settings", settings.overrides());
                s.put("machine", Json.machine());
                Json.line(s);
            }
        }
        io.tamter.bench.engine.Dirs.deleteTree(work);
    }

    private static Map<String, Object> search(AnnEngine e, ExactEngine exact, Dataset d, int k) throws Exception {
        int[][] truth = exact.searchAll(d.queries(), k);
        int[][] got = new int[d.queries().length][];
        long t0 = System.nanoTime();
        for (int i = 0; i < got.length; i++) got[i] = e.search(d.queries()[i], k);
        double wall = AnnBench.secs(t0);
        int live = 0;
        for (boolean b : exact.liveMask()) if (b) live++;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("live", live);
        m.put("recall", Json.round(GroundTruth.recall(got, truth, k), 4));
        m.put("qps", Json.round(got.length / wall, 1));
        return m;
    }
}
