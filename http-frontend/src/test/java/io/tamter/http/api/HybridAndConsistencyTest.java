package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.node.namespace.Namespace;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * API.md v1.1 hybrid tuning ({@code rrf_k}, {@code weights}) and {@code consistency} over HTTP.
 * A weight of 0 turns one ranking off, so hybrid answers what the other mode answers; rrf_k sets
 * the fused score of the first place ({@code w/(rrf_k+1)}). {@code consistency: eventual} skips the
 * exact scan of the unindexed tail: with the index workers held, a write just acked is found by a
 * strong search and not by an eventual one, and by both once the workers have caught up.
 */
class HybridAndConsistencyTest {
    @TempDir
    Path dir;

    static List<Object> ids(JsonNode res) {
        List<Object> out = new ArrayList<>();
        for (JsonNode m : res.get("matches")) out.add(m.get("id").asText());
        return out;
    }

    @Test
    void weightsAndRrfKTuneTheFusionAndEventualSkipsTheTail() throws Exception {
        try (TestServer s = TestServer.start(dir.resolve("n"))) {
            String ns = "/v1/namespaces/hy";
            s.ok("PUT", ns, "{\"num_shards\":2,\"embedding_model\":null,\"distance_metric\":\"euclidean_squared\"}");
            Random r = new Random(3);
            StringBuilder sb = new StringBuilder("{\"upsert_rows\":[");
            for (int i = 0; i < 300; i++) {
                if (i > 0) sb.append(',');
                sb.append("{\"id\":").append(i).append(",\"vector\":[").append(r.nextFloat()).append(',').append(r.nextFloat()).append(',')
                        .append(r.nextFloat()).append("],\"text\":\"doc ").append(i).append(i % 5 == 0 ? " zebra" : "")
                        .append(i % 15 == 0 ? " zebra zebra" : "").append("\"}");
            }
            s.ok("POST", ns + "/upsert", sb.append("]}").toString());
            String q = "\"vector\":[0.5,0.5,0.5],\"text\":\"zebra\",\"top_k\":10";
            List<Object> vector = ids(s.ok("POST", ns + "/search", "{\"vector\":[0.5,0.5,0.5],\"top_k\":10}"));
            List<Object> bm25 = ids(s.ok("POST", ns + "/search", "{\"text\":\"zebra\",\"mode\":\"bm25\",\"top_k\":10}"));
            List<Object> hybrid = ids(s.ok("POST", ns + "/search", "{" + q + ",\"mode\":\"hybrid\"}"));
            assertThat(ids(s.ok("POST", ns + "/search", "{" + q + ",\"mode\":\"hybrid\",\"weights\":{\"vector\":1,\"bm25\":0}}")))
                    .isEqualTo(vector);
            assertThat(ids(s.ok("POST", ns + "/search", "{" + q + ",\"mode\":\"hybrid\",\"weights\":{\"vector\":0,\"bm25\":1}}")))
                    .isEqualTo(bm25);
            assertThat(vector).isNotEqualTo(bm25);
            // the defaults are rrf_k 60 and weights 1: the same answer as without them
            assertThat(ids(s.ok("POST", ns + "/search", "{" + q + ",\"mode\":\"hybrid\",\"rrf_k\":60,\"weights\":{\"vector\":1,\"bm25\":1}}")))
                    .isEqualTo(hybrid);
            for (int k : new int[] {0, 9, 60}) {
                JsonNode top = s.ok("POST", ns + "/search", "{" + q + ",\"mode\":\"hybrid\",\"rrf_k\":" + k + ",\"weights\":{\"vector\":2,\"bm25\":0}}")
                        .get("matches").get(0);
                assertThat(top.get("score").asDouble()).as("rrf_k " + k).isCloseTo(2.0 / (k + 1), org.assertj.core.data.Offset.offset(1e-6));
            }

            // consistency: hold the index workers so that a new write stays in the unindexed tail
            Namespace n = s.node.engine().get("hy");
            for (int i = 0; i < n.numShards(); i++) assertThat(n.shard(i).awaitIndexed(60_000)).isTrue();
            for (int i = 0; i < n.numShards(); i++) n.shard(i).holdIndexing(true);
            try {
                s.ok("POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":\"far\",\"vector\":[50,50,50],\"text\":\"unicorn\"}]}");
                String far = "\"vector\":[50,50,50],\"top_k\":1";
                assertThat(ids(s.ok("POST", ns + "/search", "{" + far + "}"))).containsExactly("far");
                assertThat(ids(s.ok("POST", ns + "/search", "{" + far + ",\"consistency\":\"strong\"}"))).containsExactly("far");
                assertThat(ids(s.ok("POST", ns + "/search", "{" + far + ",\"consistency\":\"eventual\"}"))).doesNotContain("far").hasSize(1);
                // BM25 and filters read the text index, which every acked write is in, eventual or not
                assertThat(ids(s.ok("POST", ns + "/search", "{\"text\":\"unicorn\",\"mode\":\"bm25\",\"consistency\":\"eventual\"}")))
                        .containsExactly("far");
            } finally {
                for (int i = 0; i < n.numShards(); i++) n.shard(i).holdIndexing(false);
            }
            for (int i = 0; i < n.numShards(); i++) assertThat(n.shard(i).awaitIndexed(60_000)).isTrue();
            assertThat(ids(s.ok("POST", ns + "/search", "{\"vector\":[50,50,50],\"top_k\":1,\"consistency\":\"eventual\"}")))
                    .containsExactly("far");

            String[][] bad = {
                    {"{\"vector\":[1,1,1],\"consistency\":\"weak\"}", "consistency"},
                    {"{\"vector\":[1,1,1],\"consistency\":1}", "consistency"},
                    {"{" + q + ",\"mode\":\"hybrid\",\"rrf_k\":-1}", "rrf_k"},
                    {"{" + q + ",\"mode\":\"hybrid\",\"rrf_k\":\"60\"}", "rrf_k"},
                    {"{" + q + ",\"mode\":\"hybrid\",\"rrf_k\":1.5}", "rrf_k"},
                    {"{" + q + ",\"rrf_k\":60}", "rrf_k"},
                    {"{\"text\":\"zebra\",\"mode\":\"bm25\",\"weights\":{\"bm25\":1}}", "weights"},
                    {"{" + q + ",\"mode\":\"hybrid\",\"weights\":[1,1]}", "weights"},
                    {"{" + q + ",\"mode\":\"hybrid\",\"weights\":{\"vector\":-1}}", "weights.vector"},
                    {"{" + q + ",\"mode\":\"hybrid\",\"weights\":{\"bm25\":\"1\"}}", "weights.bm25"},
                    {"{" + q + ",\"mode\":\"hybrid\",\"weights\":{\"text\":1}}", "weights.text"},
                    {"{" + q + ",\"mode\":\"hybrid\",\"weights\":{\"vector\":0,\"bm25\":0}}", "weights"},
            };
            for (String[] c : bad) {
                JsonNode e = s.expect(400, "POST", ns + "/search", c[0]).get("error");
                assertThat(e.get("path").asText()).as(c[0] + " -> " + e).isEqualTo(c[1]);
            }
        }
    }
}
