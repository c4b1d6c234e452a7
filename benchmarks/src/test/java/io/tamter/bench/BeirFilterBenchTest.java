package io.tamter.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tamter.bench.data.Datasets;
import io.tamter.node.index.spann.TestData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nDCG/recall as pytrec_eval computes them, and short real runs of {@code bench filter} and {@code bench beir}. */
class BeirFilterBenchTest {
    static final double L2 = Math.log(2);

    static double lg(int x) {
        return Math.log(x) / L2;
    }

    @Test
    void ndcgMatchesAHandComputedExample() {
        // judged: a=3, b=2, c=1, d=0 (judged non-relevant), e=2 (never retrieved); x, y unjudged
        Map<String, Integer> q = new LinkedHashMap<>();
        q.put("a", 3);
        q.put("b", 2);
        q.put("c", 1);
        q.put("d", 0);
        q.put("e", 2);
        List<String> ranking = List.of("x", "b", "d", "a", "y", "c");
        // DCG@5 = 2/log2(3) + 3/log2(5) (ranks 2 and 4; rank 5 is unjudged y)
        double dcg5 = 2 / lg(3) + 3 / lg(5);
        // ideal: 3, 2, 2, 1 at ranks 1..4
        double idcg5 = 3 / lg(2) + 2 / lg(3) + 2 / lg(4) + 1 / lg(5);
        assertThat(IrMetrics.ndcg(ranking, q, 5)).isCloseTo(dcg5 / idcg5, within(1e-12));
        // @10: c at rank 6 counts too; the ideal still has only four positive judgments
        double dcg10 = dcg5 + 1 / lg(7);
        assertThat(IrMetrics.ndcg(ranking, q, 10)).isCloseTo(dcg10 / idcg5, within(1e-12));
        // @2: only b; ideal 3, 2
        assertThat(IrMetrics.ndcg(ranking, q, 2)).isCloseTo((2 / lg(3)) / (3 + 2 / lg(3)), within(1e-12));
        // the ideal ordering scores 1, an empty ranking 0, a repeated id counts once
        assertThat(IrMetrics.ndcg(List.of("a", "b", "e", "c"), q, 10)).isCloseTo(1.0, within(1e-12));
        assertThat(IrMetrics.ndcg(List.of("a", "e", "b", "c"), q, 10)).isCloseTo(1.0, within(1e-12));
        assertThat(IrMetrics.ndcg(List.of(), q, 10)).isZero();
        assertThat(IrMetrics.ndcg(List.of("b", "b", "a"), q, 2)).isCloseTo((2 + 3 / lg(3)) / (3 + 2 / lg(3)), within(1e-12));
        // no relevant judgment: no value
        assertThat(IrMetrics.ndcg(List.of("d"), Map.of("d", 0), 10)).isNaN();
        // recall@k: relevant = a, b, c, e
        assertThat(IrMetrics.recall(ranking, q, 100)).isCloseTo(0.75, within(1e-12));
        assertThat(IrMetrics.recall(ranking, q, 2)).isCloseTo(0.25, within(1e-12));
    }

    @Test
    void trecOrderSortsByScoreThenIdDescending() {
        assertThat(IrMetrics.trecOrder(List.of("10", "2", "30", "4"), List.of(0.5f, 0.9f, 0.5f, 0.5f)))
                .containsExactly("2", "4", "30", "10");
        assertThat(IrMetrics.trecOrder(List.of(), List.of())).isEmpty();
    }

    @Test
    void bucketsAreDeterministicAndEven() {
        int[] count = new int[FilterBench.BUCKETS];
        for (int i = 0; i < 100_000; i++) count[FilterBench.bucket(i)]++;
        for (int c : count) assertThat(c).isBetween(50, 150);
        assertThat(FilterBench.bucket(12345)).isEqualTo(FilterBench.bucket(12345));
    }

    @Test
    void filterBenchReachesRecallAtEverySelectivity() throws Exception {
        List<JsonNode> lines = HarnessTest.capture(() -> FilterBench.run(HarnessTest.options(new FilterBench.Options(), "--dataset",
                "synthetic:n=4000,dim=16,clusters=20,seed=11,queries=40", "--selectivity", "0.5,0.1,0.01,0.002", "--k", "10")));
        assertThat(lines).hasSize(5);
        for (int i = 0; i < 4; i++) {
            JsonNode l = lines.get(i);
            assertThat(l.get("bench").asText()).isEqualTo("filter");
            assertThat(l.has("selectivity") && l.has("recall") && l.has("qps") && l.has("strategy")).isTrue();
            assertThat(l.get("recall").asDouble()).as("recall at %s", l.get("selectivity")).isGreaterThanOrEqualTo(0.9);
            assertThat(l.get("qps").asDouble()).isPositive();
        }
        assertThat(lines.get(0).get("selectivity").asDouble()).isEqualTo(0.5);
        assertThat(lines.get(0).get("strategy").asText()).isEqualTo("ann");
        assertThat(lines.get(3).get("strategy").asText()).isEqualTo("exact");
        assertThat(lines.get(1).get("matched_fraction").asDouble()).isCloseTo(0.1, within(0.02));
        assertThat(lines.get(4).get("summary").asBoolean()).isTrue();
        assertThat(lines.get(4).has("machine")).isTrue();
    }

    @Test
    void beirBm25OnAScifactSubset(@TempDir Path tmp) throws Exception {
        Path src = Datasets.sharedData().resolve("scifact");
        TestData.requireSharedData(src, "SciFact");
        ObjectMapper m = new ObjectMapper();
        // the documents judged for the first test queries, then others up to 200
        List<String> qrels = Files.readAllLines(src.resolve("qrels/test.tsv"), StandardCharsets.UTF_8);
        Set<String> keep = new LinkedHashSet<>();
        List<String> keptQrels = new ArrayList<>(List.of(qrels.get(0)));
        for (String l : qrels.subList(1, qrels.size())) {
            if (keep.size() >= 60) break;
            keep.add(l.split("\t")[1]);
            keptQrels.add(l);
        }
        List<String> corpus = new ArrayList<>();
        for (String l : Files.readAllLines(src.resolve("corpus.jsonl"), StandardCharsets.UTF_8))
            if (!l.isBlank() && keep.contains(m.readTree(l).get("_id").asText())) corpus.add(l);
        for (String l : Files.readAllLines(src.resolve("corpus.jsonl"), StandardCharsets.UTF_8)) {
            if (corpus.size() >= 200) break;
            if (!l.isBlank() && !keep.contains(m.readTree(l).get("_id").asText())) corpus.add(l);
        }
        Path dir = Files.createDirectories(tmp.resolve("scifact-200").resolve("qrels"));
        Files.write(dir.resolve("test.tsv"), keptQrels, StandardCharsets.UTF_8);
        Files.write(dir.getParent().resolve("corpus.jsonl"), corpus, StandardCharsets.UTF_8);
        Files.copy(src.resolve("queries.jsonl"), dir.getParent().resolve("queries.jsonl"));

        List<JsonNode> lines = HarnessTest.capture(() -> BeirBench.run(HarnessTest.options(new BeirBench.Options(), "--dataset", dir.getParent().toString(), "--mode", "bm25",
                "--work", tmp.toString())));
        assertThat(lines).hasSize(2);
        JsonNode l = lines.get(0);
        assertThat(l.get("bench").asText()).isEqualTo("beir");
        assertThat(l.get("dataset").asText()).isEqualTo("scifact-200");
        assertThat(l.get("mode").asText()).isEqualTo("bm25");
        assertThat(l.get("ndcg_at_10").asDouble()).isBetween(0.0, 1.0);
        // every judged document is in the corpus and queries share words with their claims
        assertThat(l.get("ndcg_at_10").asDouble()).isGreaterThan(0.3);
        assertThat(l.get("recall_at_100").asDouble()).isBetween(0.0, 1.0);
        assertThat(l.get("qps").asDouble()).isPositive();
        assertThat(l.get("queries").asInt()).isEqualTo(keptQrels.stream().skip(1).map(x -> x.split("\t")[0]).distinct().count());
        assertThat(lines.get(1).get("summary").asBoolean()).isTrue();
        assertThat(lines.get(1).get("documents").asInt()).isEqualTo(200);
    }
}
