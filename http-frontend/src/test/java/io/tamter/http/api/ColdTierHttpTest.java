package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.config.Params;
import io.tamter.node.namespace.ShardCache;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cold tier through the real server: evicted shards
 * answer GET and search exactly as before (reloaded from the object store), warm loads them, and
 * /metrics counts the hits, misses, evictions and load times.
 */
class ColdTierHttpTest {
    @TempDir
    Path dir;

    static String rows(int from, int to) {
        StringBuilder sb = new StringBuilder("{\"upsert_rows\":[");
        for (int i = from; i < to; i++) {
            if (i > from) sb.append(',');
            sb.append("{\"id\":").append(i).append(",\"vector\":[").append(1 + i % 7).append(',').append(1 + i % 5).append(',')
                    .append(1 + i % 3).append(',').append(i).append("],\"group\":\"g").append(i % 3).append("\"}");
        }
        return sb.append("]}").toString();
    }

    static double metric(String body, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(body);
        assertThat(m.find()).as(name + " in /metrics").isTrue();
        return Double.parseDouble(m.group(2));
    }

    @Test
    void evictedShardsAnswerAsBeforeAndWarmLoadsThem() throws Exception {
        // a budget no sweep reaches (so the counters move only with this test's requests): evictions are explicit here;
        // ColdTierTest covers the budget's own evictions
        try (TestServer s = TestServer.start(dir.resolve("node"), Map.of(Params.LOCAL_DISK_BUDGET_BYTES.key(), Long.toString(1L << 40),
                Params.CACHE_SWEEP_INTERVAL_MS.key(), "3600000"))) {
            String query = "{\"vector\":[1,1,1,5],\"top_k\":10,\"filter\":{\"group\":\"g1\"}}";
            JsonNode[] before = new JsonNode[2];
            for (int n = 0; n < 2; n++) {
                String ns = "/v1/namespaces/cold" + n;
                s.ok("PUT", ns, "{\"num_shards\":2}");
                s.ok("POST", ns + "/upsert", rows(0, 30));
                before[n] = s.ok("POST", ns + "/search", query).get("matches");
                assertThat(before[n]).isNotEmpty();
            }
            ShardCache cache = s.node.engine().cache();
            for (int n = 0; n < 2; n++) for (int sh = 0; sh < 2; sh++) cache.evict("cold" + n, sh);
            assertThat(cache.evictions()).isEqualTo(4);

            for (int n = 0; n < 2; n++) {
                String ns = "/v1/namespaces/cold" + n;
                assertThat(s.ok("POST", ns + "/search", query).get("matches")).isEqualTo(before[n]);
                for (int id = 0; id < 30; id++) assertThat(s.ok("GET", ns + "/documents/" + id, null).toString()).contains("\"g" + id % 3 + "\"");
            }
            assertThat(cache.misses()).isGreaterThanOrEqualTo(4);

            // warm reloads what the budget evicted
            for (int sh = 0; sh < 2; sh++) cache.evict("cold0", sh);
            JsonNode w = s.ok("POST", "/v1/namespaces/cold0/warm", null);
            assertThat(w.get("shards_loaded").asInt()).isEqualTo(2);
            assertThat(w.get("live_vectors").asLong()).isEqualTo(30);
            assertThat(s.ok("POST", "/v1/namespaces/cold0/warm", null).get("shards_loaded").asInt()).isZero();

            HttpResponse<String> m = s.call("GET", "/metrics", null);
            assertThat(m.statusCode()).isEqualTo(200);
            assertThat(metric(m.body(), "tamter_shard_cache_misses_total")).isEqualTo(cache.misses());
            assertThat(metric(m.body(), "tamter_shard_cache_evictions_total")).isEqualTo(cache.evictions());
            assertThat(metric(m.body(), "tamter_shard_cache_hits_total")).isPositive();
            assertThat(metric(m.body(), "tamter_shard_cache_load_seconds_count")).isEqualTo(cache.misses());
            assertThat(metric(m.body(), "tamter_shard_cache_budget_bytes")).isEqualTo(1L << 40);
            assertThat(m.body()).contains("tamter_shard_cache_unloads_total").contains("tamter_shard_cache_local_bytes");
        }
    }
}
