package io.tamter.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tamter.bench.data.Dataset;
import io.tamter.bench.data.Datasets;
import io.tamter.bench.data.GroundTruth;
import io.tamter.bench.data.Synthetic;
import io.tamter.bench.engine.ExactEngine;
import io.tamter.node.index.spann.TestData;
import io.tamter.node.vector.VectorFiles;
import io.tamter.node.vector.VectorMetric;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark harness: data, ground truth, runbooks, and short real runs of both benches. */
class HarnessTest {

    /** {@code args} parsed into a bench's options as {@code tamter bench} parses them; a bad argument throws. */
    static <T> T options(T options, String... args) {
        new picocli.CommandLine(options).parseArgs(args);
        return options;
    }

    @Test
    void fvecsRoundTrip(@TempDir Path dir) throws Exception {
        float[][] v = {{1f, 2f, 3f}, {-1.5f, 0f, 1e-7f}};
        int[][] g = {{3, 1}, {0, 2}};
        VectorFiles.writeFvecs(dir.resolve("a.fvecs"), v);
        VectorFiles.writeIvecs(dir.resolve("a.ivecs"), g);
        assertThat(VectorFiles.readFvecs(dir.resolve("a.fvecs"))).isDeepEqualTo(v);
        assertThat(VectorFiles.readIvecs(dir.resolve("a.ivecs"))).isDeepEqualTo(g);
    }

    @Test
    void syntheticIsDeterministicAndClustered() {
        String spec = "synthetic:n=5000,dim=16,clusters=50,seed=3,queries=20";
        Dataset a = Synthetic.generate(spec, VectorMetric.EUCLIDEAN_SQUARED);
        Dataset b = Synthetic.generate(spec, VectorMetric.EUCLIDEAN_SQUARED);
        Dataset c = Synthetic.generate(spec.replace("seed=3", "seed=4"), VectorMetric.EUCLIDEAN_SQUARED);
        assertThat(a.base()).isDeepEqualTo(b.base());
        assertThat(a.queries()).isDeepEqualTo(b.queries());
        assertThat(a.base()[0]).isNotEqualTo(c.base()[0]);
        assertThat(a.base()).hasNumberOfRows(5000);
        assertThat(a.queries()).hasNumberOfRows(20);
        // queries are new points, not copies of base rows
        for (float[] q : a.queries()) assertThat(Arrays.stream(a.base()).noneMatch(x -> Arrays.equals(x, q))).isTrue();
        assertThatThrownBy(() -> Synthetic.generate("synthetic:n=10,dim=4,colours=3", VectorMetric.EUCLIDEAN_SQUARED))
                .hasMessageContaining("unknown synthetic parameter 'colours'");
    }

    @Test
    void intrinsicDimensionShapesTheClusters() {
        // in the largest cluster (rows 0.. in clustered order), a low intrinsic dimension makes the
        // nearest neighbour much closer than the average row; full rank (intrinsic >= dim) does not
        double low = nnToMeanRatio("synthetic:n=4000,dim=64,clusters=4,seed=5,order=clustered,queries=1,intrinsic=4");
        double full = nnToMeanRatio("synthetic:n=4000,dim=64,clusters=4,seed=5,order=clustered,queries=1,intrinsic=64");
        assertThat(low).isLessThan(0.5 * full);
        assertThat(full).isGreaterThan(0.6); // distance concentration of a 64-d Gaussian
        assertThatThrownBy(() -> Synthetic.generate("synthetic:n=10,dim=4,intrinsic=0", VectorMetric.EUCLIDEAN_SQUARED))
                .hasMessageContaining("intrinsic");
    }

    /** Mean over 50 rows of the first cluster: distance to the nearest other row / mean distance to the others. */
    private static double nnToMeanRatio(String spec) {
        float[][] b = Synthetic.generate(spec, VectorMetric.EUCLIDEAN_SQUARED).base();
        int rows = 1000; // the first cluster holds ~48% of 4000 rows (Zipf over 4)
        double sum = 0;
        for (int i = 0; i < 50; i++) {
            double nn = Double.MAX_VALUE, mean = 0;
            for (int j = 0; j < rows; j++) {
                if (j == i) continue;
                double s = 0;
                for (int t = 0; t < b[i].length; t++) s += (b[i][t] - b[j][t]) * (b[i][t] - b[j][t]);
                s = Math.sqrt(s);
                nn = Math.min(nn, s);
                mean += s / (rows - 1);
            }
            sum += nn / mean;
        }
        return sum / 50;
    }

    @Test
    void zipfSizesSumToNAndDecrease() {
        int[] s = io.tamter.bench.data.SyntheticAccess.zipf(1_000_000, 1000);
        assertThat(Arrays.stream(s).sum()).isEqualTo(1_000_000);
        for (int i = 1; i < s.length; i++) assertThat(s[i]).isLessThanOrEqualTo(s[i - 1] + 1);
        assertThat(s[0]).isBetween(120_000, 140_000); // 1/H(1000) ≈ 13.4%
        assertThat(s[999]).isGreaterThanOrEqualTo(1);
    }

    @Test
    void clusteredOrderKeepsClustersTogether() {
        Dataset d = Synthetic.generate("synthetic:n=2000,dim=8,clusters=10,seed=5,order=clustered,queries=5", VectorMetric.EUCLIDEAN_SQUARED);
        // consecutive rows of the largest (first) cluster are close; the first and last rows are not
        float near = dist(d.base()[0], d.base()[1]);
        float far = dist(d.base()[0], d.base()[1999]);
        assertThat(near).isLessThan(far);
    }

    @Test
    void recallCountsTheOverlap() {
        assertThat(GroundTruth.recall(new int[] {1, 2, 3}, new int[] {3, 4, 1}, 3)).isEqualTo(2 / 3.0);
        assertThat(GroundTruth.recall(new int[][] {{1}, {2}}, new int[][] {{1}, {3}}, 1)).isEqualTo(0.5);
    }

    @Test
    void exactEngineReproducesTheShippedGroundTruth() throws Exception {
        Path sift = Datasets.sharedData().resolve("sift10k");
        TestData.requireSharedData(sift, "SIFT10K");
        Dataset d = Datasets.load(sift.toString(), null, VectorMetric.EUCLIDEAN_SQUARED);
        int[][] computed = GroundTruth.compute(d.base(), d.queries(), 10, VectorMetric.EUCLIDEAN_SQUARED);
        assertThat(GroundTruth.recall(computed, d.groundTruth(), 10)).isEqualTo(1.0);
        try (ExactEngine e = new ExactEngine(VectorMetric.EUCLIDEAN_SQUARED)) {
            int[] ids = new int[d.base().length];
            for (int i = 0; i < ids.length; i++) ids[i] = i;
            e.build(d.base(), ids);
            assertThat(GroundTruth.recall(e.searchAll(d.queries(), 10), d.groundTruth(), 10)).isEqualTo(1.0);
        }
    }

    @Test
    void runbooksParse() throws Exception {
        Path dir = Datasets.sharedData().resolve("runbooks");
        TestData.requireSharedData(dir, "the runbooks");
        Runbook churn = Runbook.load(dir.resolve("sift10k-churn.yaml"));
        assertThat(churn.dataset()).isEqualTo("sift10k");
        assertThat(churn.steps()).hasSize(12);
        assertThat(churn.steps().get(0)).isEqualTo(new Runbook.Step(1, "insert", 0, 5000));
        Runbook shift = Runbook.load(dir.resolve("clustered-shift-200k.yaml"));
        assertThat(shift.dataset()).startsWith("synthetic:").contains("order=clustered");
        assertThat(shift.steps()).hasSize(60);
        assertThat(shift.steps().stream().filter(s -> s.operation().equals("search")).count()).isEqualTo(30);
    }

    @Test
    void badRunbooksNameTheStep(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "dataset: sift10k\nmax_pts: 100\nsteps:\n  1: {operation: insert, start: 0, end: 500}\n");
        assertThatThrownBy(() -> Runbook.load(f)).hasMessageContaining("step 1 range [0, 500) is outside 0..100");
        Files.writeString(f, "dataset: sift10k\nsteps:\n  1: {operation: upsert, start: 0, end: 5}\n");
        assertThatThrownBy(() -> Runbook.load(f)).hasMessageContaining("unknown operation 'upsert'");
    }

    @Test
    void annBenchPrintsOneLinePerEngineAndASummary() throws Exception {
        List<JsonNode> lines = capture(() -> AnnBench.run(HarnessTest.options(new AnnBench.Options(), "--dataset", "synthetic:n=3000,dim=16,clusters=20,seed=9,queries=50",
                "--engines", "spfresh,exact,lucene-hnsw,jvector")));
        assertThat(lines).hasSize(5);
        for (JsonNode l : lines.subList(0, 4)) {
            assertThat(l.get("bench").asText()).isEqualTo("ann");
            for (String f : List.of("recall", "qps", "p50_ms", "p99_ms", "build_s", "index_bytes", "memory_bytes", "threads", "params")) {
                assertThat(l.has(f)).as(l.get("engine") + " has " + f).isTrue();
            }
            assertThat(l.get("recall").asDouble()).as(l.get("engine").asText()).isGreaterThan(0.9);
            // spfresh always holds RocksDB's native memory; the others' figure is a heap delta after a
            // GC, which on 3,000 × 16 floats can come out as 0 (seen once in a full run)
            if (l.get("engine").asText().equals("spfresh")) assertThat(l.get("memory_bytes").asLong()).isPositive();
            else assertThat(l.get("memory_bytes").asLong()).isNotNegative();
        }
        assertThat(lines.get(1).get("recall").asDouble()).isEqualTo(1.0); // exact
        assertThat(lines.get(4).get("summary").asBoolean()).isTrue();
        assertThat(lines.get(4).get("raw_vector_bytes").asLong()).isEqualTo(3000L * 16 * 4);
    }

    @Test
    void streamBenchScoresEverySearchStep(@TempDir Path dir) throws Exception {
        Path rb = dir.resolve("tiny.yaml");
        Files.writeString(rb, """
                dataset: synthetic:n=4000,dim=16,clusters=20,seed=2,order=clustered,queries=30
                max_pts: 4000
                steps:
                  1: {operation: insert, start: 0, end: 3000}
                  2: {operation: search}
                  3: {operation: delete, start: 0, end: 1500}
                  4: {operation: insert, start: 3000, end: 4000}
                  5: {operation: search}
                """);
        List<JsonNode> lines = capture(() -> StreamBench.run(HarnessTest.options(new StreamBench.Options(), "--runbook", rb.toString(), "--engines", "spfresh,lucene-hnsw",
                "--set", "index.build_threshold=500")));
        assertThat(lines).hasSize(6); // two search steps and a summary, per engine
        JsonNode spSummary = lines.get(2);
        assertThat(spSummary.get("summary").asBoolean()).isTrue();
        assertThat(spSummary.get("engine").asText()).isEqualTo("spfresh");
        for (String f : List.of("mean_recall", "min_recall", "final_recall", "static_rebuild_recall", "insert_per_s", "delete_per_s",
                "max_posting", "stale_fraction")) {
            assertThat(spSummary.has(f)).as("summary has " + f).isTrue();
        }
        assertThat(lines.get(1).get("live").asInt()).isEqualTo(2500);
        assertThat(spSummary.get("final_recall").asDouble()).isGreaterThan(0.85);
        assertThat(spSummary.get("max_posting").asInt()).isLessThanOrEqualTo(io.tamter.config.Params.MAX_POSTING.defaultValue());
        assertThat(lines.get(5).get("engine").asText()).isEqualTo("lucene-hnsw");
        assertThat(lines.get(5).get("final_recall").asDouble()).isGreaterThan(0.85);
    }

    @Test
    void coldBenchTimesAReloadPerRoundOnEachTarget(@TempDir Path dir) throws Exception {
        List<JsonNode> lines = capture(() -> ColdBench.run(HarnessTest.options(new ColdBench.Options(), "--dataset", "synthetic:n=1000,dim=8,clusters=10,seed=3,queries=20",
                "--targets", "local,gcs:5", "--rounds", "2", "--warm", "3", "--shards", "2", "--work", dir.toString())));
        assertThat(lines).hasSize(3);
        for (JsonNode l : lines.subList(0, 2)) {
            assertThat(l.get("bench").asText()).isEqualTo("cold");
            assertThat(l.get("loads").asInt()).as("every round reloads both shards").isEqualTo(4);
            for (String f : List.of("cold_p50_ms", "cold_p90_ms", "warm_p50_ms", "load_mean_ms", "evict_mean_ms")) {
                assertThat(l.get(f).asDouble()).as(l.get("target") + " " + f).isPositive();
            }
            assertThat(l.get("checkpoint_bytes").asLong()).isPositive();
        }
        assertThat(lines.get(0).get("store").asText()).isEqualTo("local");
        assertThat(lines.get(1).get("latency_ms").asInt()).isEqualTo(5);
        // a cold query reloads through at least one request of 5 ms
        assertThat(lines.get(1).get("cold_p50_ms").asDouble()).isGreaterThan(5);
        assertThat(lines.get(2).get("summary").asBoolean()).isTrue();
        assertThat(lines.get(2).get("targets").has("gcs:5")).isTrue();
        assertThatThrownBy(() -> ColdBench.run(HarnessTest.options(new ColdBench.Options(), "--targets", "s3"))).hasMessageContaining("--targets");
    }

    interface Body {
        void run() throws Exception;
    }

    /** Runs a bench with stdout captured and returns its JSON lines. */
    static List<JsonNode> capture(Body body) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            body.run();
        } finally {
            System.setOut(old);
        }
        ObjectMapper m = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        for (String l : buf.toString().split("\n")) if (l.startsWith("{")) out.add(m.readTree(l));
        return out;
    }

    private static float dist(float[] a, float[] b) {
        float s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return s;
    }
}
