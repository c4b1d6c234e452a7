package io.tamter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.bench.data.Dataset;
import io.tamter.bench.data.Datasets;
import io.tamter.bench.data.GroundTruth;
import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.namespace.SearchRequest;
import io.tamter.node.namespace.SearchResult;
import io.tamter.node.vector.VectorMetric;
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
 * {@code tamter bench filter}: filtered vector search (BENCHMARKS.md). The base vectors go through
 * the namespace engine's write path with an int attribute {@code bucket} = a mixing hash of the row
 * id mod 1000, so the filter {@code {"bucket":{"$lt":round(s·1000)}}} matches a fraction ≈ s of
 * them, spread evenly over the vector space. Each query is searched with that filter and scored
 * against exact search among the matching rows only. {@code strategy} says how the engine answered:
 * {@code exact} when the matches were few enough for an exact scan of their stored vectors
 * ({@code index.filter_exact_fraction}, the rule of {@code Shard.searchVector}), else {@code ann}.
 */
final class FilterBench {
    private FilterBench() {}

    static final int BUCKETS = 1000;
    private static final ObjectMapper M = new ObjectMapper();

    /** The bucket of a row: a deterministic 64-bit mix (splitmix64's finalizer) of its id, mod 1000. */
    static int bucket(long id) {
        long z = id + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (int) Long.remainderUnsigned(z, BUCKETS);
    }

    @Command(name = "filter", synopsisHeading = "usage: ", separator = " ", sortOptions = false, descriptionHeading = "%n",
            optionListHeading = "%noptions:%n", sortSynopsis = false,
            description = {
                "Filtered vector search: recall and speed at several filter selectivities.",
                "",
                "The base vectors go through the namespace engine with an int "
                    + "attribute bucket (a hash of the id mod 1000); each query is searched with a filter matching a fraction s of "
                    + "the rows and scored against exact search among the matching rows. One JSON line per selectivity, then a summary."})
    static final class Options implements Callable<Integer> {
        @Mixin
        io.tamter.http.cli.TamterMain.HelpOption help;

        @Option(names = "--dataset", paramLabel = "DIR|NAME|SPEC", required = true, description = "a directory of base/query.fvecs, "
                + "a name under ../shared/data, or synthetic:n=..,dim=..,clusters=..,seed=..[,queries=..]")
        String dataset;

        @Option(names = "--selectivity", paramLabel = "S,S", split = ",", hideParamSyntax = true, defaultValue = "0.5,0.1,0.01,0.001",
                description = "fractions of the rows the filter matches, each in [0.001, 1] (default ${DEFAULT-VALUE})")
        List<Double> selectivity;

        @Option(names = "--k", paramLabel = "N", description = "neighbours per query (default ${DEFAULT-VALUE})")
        int k = 10;

        @Mixin
        BenchOptions.Metric metric;

        @Option(names = "--queries", paramLabel = "N", description = "use the first N queries (default: all)")
        Integer queries;

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
        int batch = o.batch;
        VectorMetric metric = o.metric.metric;
        List<Double> sels = new ArrayList<>();
        for (double v : o.selectivity) {
            if (!(v > 0 && v <= 1) || Math.round(v * BUCKETS) < 1)
                throw new IllegalArgumentException("--selectivity must be in [" + (1.0 / BUCKETS) + ", 1]; got " + v);
            sels.add(v);
        }
        Settings settings = o.sets.settings();
        Path work = o.work.dir;
        Dataset d = Datasets.load(o.dataset, null, metric);
        int nq = o.queries != null ? o.queries : d.queries().length;
        if (nq < d.queries().length) d = d.withQueries(java.util.Arrays.copyOf(d.queries(), nq));
        int n = d.base().length;
        int[] buckets = new int[n];
        for (int i = 0; i < n; i++) buckets[i] = bucket(i);
        AnnBench.log("filter %s: %d vectors, %d queries, selectivities %s", d.name(), n, d.queries().length, sels);

        ObjectNode options = M.createObjectNode().put("num_shards", 1).put("distance_metric", metric.apiName());
        options.putNull("embedding_model");
        List<Double> recalls = new ArrayList<>();
        try (EngineNamespace e = new EngineNamespace(work, "tamter-filter", settings, options)) {
            long t0 = System.nanoTime();
            for (int from = 0; from < n; from += batch) {
                ArrayNode rows = M.createArrayNode();
                for (int i = from; i < Math.min(n, from + batch); i++) {
                    ObjectNode r = rows.addObject().put("id", i);
                    ArrayNode v = r.putArray("vector");
                    for (float x : d.base()[i]) v.add(x);
                    r.put("bucket", buckets[i]);
                }
                e.ns.upsert(rows, null);
            }
            e.awaitQuiescent();
            double loadS = AnnBench.secs(t0);
            AnnBench.log("loaded %d vectors in %.1f s", n, loadS);
            double exactFraction = settings.getDouble(Params.FILTER_EXACT_FRACTION);

            for (double sel : sels) {
                int below = (int) Math.round(sel * BUCKETS);
                boolean[] match = new boolean[n];
                int matched = 0;
                for (int i = 0; i < n; i++) if (match[i] = buckets[i] < below) matched++;
                int[][] truth = GroundTruth.compute(d.base(), match, d.queries(), k, metric);
                JsonNode filter = M.createObjectNode().set("bucket", M.createObjectNode().put("$lt", below));
                int[][] got = new int[d.queries().length][];
                for (int i = 0; i < Math.min(20, got.length); i++) search(e, d.queries()[i], k, filter); // warm-up
                long q0 = System.nanoTime();
                for (int i = 0; i < got.length; i++) got[i] = search(e, d.queries()[i], k, filter);
                double wall = AnnBench.secs(q0);
                double recall = GroundTruth.recall(got, truth, k);
                recalls.add(recall);
                long live = e.liveVectors();
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("bench", "filter");
                line.put("selectivity", sel);
                line.put("recall", Json.round(recall, 4));
                line.put("qps", Json.round(got.length / wall, 1));
                line.put("strategy", matched <= Math.max(k, exactFraction * live) ? "exact" : "ann");
                line.put("matched", matched);
                line.put("matched_fraction", Json.round((double) matched / n, 4));
                line.put("k", k);
                Json.line(line);
            }
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("bench", "filter");
            s.put("summary", true);
            s.put("dataset", d.name());
            s.put("vectors", n);
            s.put("queries", d.queries().length);
            s.put("k", k);
            s.put("metric", metric.apiName());
            s.put("load_s", Json.round(loadS, 2));
            s.put("min_recall", Json.round(recalls.stream().mapToDouble(x -> x).min().orElse(Double.NaN), 4));
            s.put("filter_exact_fraction", exactFraction);
            s.put("settings", settings.overrides());
            s.put("machine", Json.machine());
            Json.line(s);
        }
    }

    private static int[] search(EngineNamespace e, float[] q, int k, JsonNode filter) throws java.io.IOException {
        SearchRequest r = new SearchRequest(q, null, SearchRequest.Mode.VECTOR, filter, k, List.of(), false, false, Float.NaN);
        SearchResult res = e.ns.search(r);
        int[] ids = new int[res.matches().size()];
        for (int i = 0; i < ids.length; i++) ids[i] = res.matches().get(i).id().asInt();
        return ids;
    }
}
