package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.config.Params;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** API keys with scopes (401/403) and rate limiting (429 + Retry-After) against a real server. */
class AuthAndLimitsTest {
    static final String ADMIN = "admin-key-0123456789";
    static final String READER = "reader-key-0123456789";
    static final String WRITER = "writer-key-0123456789";

    @TempDir
    Path dir;

    static String[] bearer(String key) {
        return new String[] {"Authorization", "Bearer " + key};
    }

    @Test
    void scopesDecideWhoMayDoWhat() throws Exception {
        String keys = ADMIN + "=admin;" + READER + "=read:shop-;" + WRITER + "=write:shop-";
        try (TestServer s = TestServer.start(dir.resolve("n"), Map.of(Params.HTTP_API_KEYS.key(), keys))) {
            String up = "{\"upsert_rows\":[{\"id\":1,\"vector\":[1,2]}]}";
            JsonNode none = s.expect(401, "POST", "/v1/namespaces/shop-a/upsert", up);
            assertThat(none.get("error").get("code").asText()).isEqualTo("unauthorized");
            s.expect(401, "POST", "/v1/namespaces/shop-a/upsert", up, bearer("not-a-key-at-all-xx"));
            s.expect(401, "POST", "/v1/namespaces/shop-a/upsert", up, "Authorization", "Basic abc");

            s.ok("POST", "/v1/namespaces/shop-a/upsert", up, bearer(WRITER));
            s.ok("POST", "/v1/namespaces/shop-a/upsert", "{\"upsert_rows\":[{\"id\":2,\"vector\":[2,1],\"kind\":\"k\"}]}", bearer(WRITER));
            assertThat(s.ok("PATCH", "/v1/namespaces/shop-a/update-by-filter", "{\"filter\":{\"kind\":\"k\"},\"patch\":{\"x\":1}}",
                    bearer(WRITER)).get("updated").asInt()).isEqualTo(1);
            JsonNode forbidden = s.expect(403, "POST", "/v1/namespaces/shop-a/search", "{\"vector\":[1,2]}", bearer(WRITER));
            assertThat(forbidden.get("error").get("code").asText()).isEqualTo("forbidden");
            s.expect(403, "POST", "/v1/namespaces/other/upsert", up, bearer(WRITER));

            s.ok("POST", "/v1/namespaces/shop-a/search", "{\"vector\":[1,2]}", bearer(READER));
            // multi-search is a read
            String multi = "{\"queries\":[{\"vector\":[1,2]}]}";
            s.ok("POST", "/v1/namespaces/shop-a/multi-search", multi, bearer(READER));
            s.expect(403, "POST", "/v1/namespaces/shop-a/multi-search", multi, bearer(WRITER));
            s.expect(403, "POST", "/v1/namespaces/other/multi-search", multi, bearer(READER));
            // update-by-filter is a write
            String ubf = "{\"filter\":{\"kind\":\"k\"},\"patch\":{\"seen\":true}}";
            s.expect(403, "PATCH", "/v1/namespaces/shop-a/update-by-filter", ubf, bearer(READER));
            s.expect(403, "POST", "/v1/namespaces/shop-a/upsert", up, bearer(READER));
            s.expect(403, "DELETE", "/v1/namespaces/shop-a", null, bearer(READER));

            s.ok("POST", "/v1/namespaces/other/upsert", up, bearer(ADMIN));
            // listing shows a key only what it may read
            List<String> forReader = new ArrayList<>();
            s.ok("GET", "/v1/namespaces", null, bearer(READER)).get("namespaces").forEach(n -> forReader.add(n.get("name").asText()));
            assertThat(forReader).containsExactly("shop-a");
            List<String> forAdmin = new ArrayList<>();
            s.ok("GET", "/v1/namespaces", null, bearer(ADMIN)).get("namespaces").forEach(n -> forAdmin.add(n.get("name").asText()));
            assertThat(forAdmin).containsExactly("other", "shop-a");
            // metrics are for admins; health and ready for anyone (probes)
            s.expect(403, "GET", "/metrics", null, bearer(READER));
            assertThat(s.call("GET", "/metrics", null, bearer(ADMIN)).statusCode()).isEqualTo(200);
            s.ok("GET", "/health", null);
            s.ok("GET", "/ready", null);
        }
    }

    @Test
    void rateLimitAnswers429WithRetryAfter() throws Exception {
        try (TestServer s = TestServer.start(dir.resolve("n"),
                Map.of(Params.HTTP_RATE_LIMIT.key(), "0.5", Params.HTTP_RATE_LIMIT_BURST.key(), "3"))) {
            int ok = 0;
            HttpResponse<String> limited = null;
            for (int i = 0; i < 10 && limited == null; i++) {
                HttpResponse<String> r = s.call("GET", "/v1/namespaces", null);
                if (r.statusCode() == 200) ok++;
                else limited = r;
            }
            assertThat(ok).isEqualTo(3);
            assertThat(limited).isNotNull();
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(limited.body()).contains("\"code\":\"rate_limited\"");
            assertThat(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 2L);
        }
    }

    @Test
    void writesBeyondTheWalBoundGet429AndAreNotApplied() throws Exception {
        // a tiny bound on unapplied write bytes and a long group-commit window: concurrent writes pile up
        try (TestServer s = TestServer.start(dir.resolve("n"), Map.of("write.max_unapplied_bytes", "3000",
                "wal.group_commit_max_delay_ms", "400"))) {
            s.ok("POST", "/v1/namespaces/bp/upsert", "{\"upsert_rows\":[{\"id\":0,\"vector\":[1,2]}]}");
            int n = 12;
            List<HttpResponse<String>> res = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Thread> ts = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
                int id = i;
                String pad = "x".repeat(800);
                Thread t = new Thread(() -> res.add(s.call("POST", "/v1/namespaces/bp/upsert",
                        "{\"upsert_rows\":[{\"id\":" + id + ",\"vector\":[1," + id + "],\"pad\":\"" + pad + "\"}]}")));
                ts.add(t);
                t.start();
            }
            for (Thread t : ts) t.join();
            List<HttpResponse<String>> limited = res.stream().filter(r -> r.statusCode() == 429).toList();
            assertThat(limited).as("some writes refused by backpressure").isNotEmpty();
            for (HttpResponse<String> r : limited) {
                assertThat(r.body()).contains("\"code\":\"backpressure\"");
                assertThat(r.headers().firstValue("Retry-After")).isPresent();
            }
            assertThat(res.stream().filter(r -> r.statusCode() != 200 && r.statusCode() != 429)).isEmpty();
            long okCount = res.stream().filter(r -> r.statusCode() == 200).count();
            // exactly the acked writes are there
            assertThat(s.ok("GET", "/v1/namespaces/bp", null).get("approx_row_count").asLong()).isEqualTo(1 + okCount);
        }
    }

    @Test
    void writesPastTheUnindexedTailGet429WithRetryAfterAndAreNotApplied() throws Exception {
        try (TestServer s = TestServer.start(dir.resolve("t"), Map.of("index.max_unindexed_bytes", "2048"))) {
            String ns = "/v1/namespaces/tail";
            s.ok("POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":0,\"vector\":[1,0]}]}");
            io.tamter.node.shard.Shard sh = s.node.engine().get("tail").shard(0);
            assertThat(sh.awaitIndexed(60_000)).isTrue();
            sh.holdIndexing(true); // the vector index falls behind from here on
            HttpResponse<String> refused = null;
            int id = 0;
            while (refused == null && id < 500) {
                id++;
                String vec = "[" + Math.cos(id * 0.5) + "," + Math.sin(id * 0.5) + "]"; // directions apart (cosine)
                HttpResponse<String> r = s.call("POST", ns + "/upsert",
                        "{\"upsert_rows\":[{\"id\":" + id + ",\"vector\":" + vec + ",\"pad\":\"" + "x".repeat(300) + "\"}]}");
                if (r.statusCode() == 429) {
                    refused = r;
                    break;
                }
                assertThat(r.statusCode()).isEqualTo(200);
                // acked: read at once, by GET and as top-1 by its own vector, though not indexed
                s.ok("GET", ns + "/documents/" + id, null);
                JsonNode top = s.ok("POST", ns + "/search", "{\"vector\":" + vec + ",\"top_k\":1}");
                assertThat(top.get("matches").get(0).get("id").asInt()).isEqualTo(id);
            }
            assertThat(refused).as("a write past index.max_unindexed_bytes is refused").isNotNull();
            assertThat(refused.body()).contains("\"code\":\"backpressure\"").contains("index.max_unindexed_bytes");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            s.expect(404, "GET", ns + "/documents/" + id, null);
            JsonNode meta = s.ok("GET", ns, null);
            assertThat(meta.get("approx_row_count").asLong()).isEqualTo(id);
            assertThat(meta.get("index").get("status").asText()).isEqualTo("updating");
            assertThat(meta.get("index").get("unindexed_bytes").asLong()).isGreaterThan(2048);

            sh.holdIndexing(false);
            assertThat(sh.awaitIndexed(60_000)).isTrue();
            assertThat(s.ok("GET", ns, null).get("index").get("unindexed_bytes").asLong()).isZero();
            s.ok("POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":" + id + ",\"vector\":[1,1]}]}");
            s.ok("GET", ns + "/documents/" + id, null);
        }
    }
}
