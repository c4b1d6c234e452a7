package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.config.Params;
import io.tamter.node.crypto.TestKeystores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The namespace-level routes: columns, configure-metric, export, copy, encryption, warm, _debug/recall. */
class NamespaceRoutesTest {
    @TempDir
    Path dir;

    @Test
    void columnsMetricExportCopyWarmRecall() throws Exception {
        try (TestServer s = TestServer.start(dir.resolve("n"))) {
            String ns = "/v1/namespaces/cols";
            StringBuilder ids = new StringBuilder(), vecs = new StringBuilder(), price = new StringBuilder();
            for (int i = 0; i < 300; i++) {
                String sep = i == 0 ? "" : ",";
                ids.append(sep).append(i);
                vecs.append(sep).append('[').append(1 + i % 13).append(',').append(1 + i % 7).append(',').append(1 + i % 3).append(']');
                price.append(sep).append(i % 10 == 0 ? "null" : Integer.toString(i));
            }
            JsonNode up = s.ok("POST", ns + "/upsert-columns", "{\"upsert_columns\":{\"id\":[" + ids + "],\"vector\":[" + vecs + "],\"price\":[" + price + "]}}");
            assertThat(up.get("inserted").asInt()).isEqualTo(300);
            assertThat(s.ok("GET", ns + "/documents/10", null).get("document").get("metadata").has("price")).isFalse();
            assertThat(s.ok("GET", ns + "/documents/11", null).get("document").get("metadata").get("price").asInt()).isEqualTo(11);
            JsonNode bad = s.expect(400, "POST", ns + "/upsert-columns", "{\"upsert_columns\":{\"id\":[1,2],\"price\":[1]}}");
            assertThat(bad.get("error").get("path").asText()).startsWith("upsert_columns");
            JsonNode pc = s.ok("PATCH", ns + "/update-columns", "{\"patch_columns\":{\"id\":[11,12],\"price\":[111,112]}}");
            assertThat(pc.get("updated").asInt()).isEqualTo(2);
            assertThat(s.ok("GET", ns + "/documents/12", null).get("document").get("metadata").get("price").asInt()).isEqualTo(112);

            // export: every document once, in id order, over pages
            List<Integer> seen = new ArrayList<>();
            String cursor = null;
            for (int page = 0; page < 100; page++) {
                JsonNode p = s.ok("GET", ns + "/documents?limit=64" + (cursor == null ? "" : "&cursor=" + cursor), null);
                for (JsonNode d : p.get("documents")) {
                    seen.add(d.get("id").asInt());
                    assertThat(d.get("vector")).hasSize(3);
                }
                if (p.get("next_cursor").isNull()) break;
                cursor = java.net.URLEncoder.encode(p.get("next_cursor").asText(), java.nio.charset.StandardCharsets.UTF_8);
            }
            assertThat(seen).hasSize(300).isSorted().doesNotHaveDuplicates();
            s.expect(400, "GET", ns + "/documents?limit=0", null);
            s.expect(400, "GET", ns + "/documents?cursor=garbage!", null);

            // configure-metric: searches follow the new metric
            JsonNode m = s.ok("POST", ns + "/configure-metric", "{\"distance_metric\":\"euclidean_squared\"}");
            assertThat(m.get("distance_metric").asText()).isEqualTo("euclidean_squared");
            JsonNode hit = s.ok("POST", ns + "/search", "{\"vector\":[13,7,3],\"top_k\":1}").get("matches").get(0);
            assertThat(hit.get("dist").asDouble()).isEqualTo(0.0); // the row [13,7,3] exists: squared L2 0
            s.expect(400, "POST", ns + "/configure-metric", "{\"distance_metric\":\"manhattan\"}");
            assertThat(s.ok("GET", ns, null).get("index").get("status").asText()).isIn("up-to-date", "updating");
            // the metric change rebuilds the index in the background; warm reports what the index holds,
            // so it is read once the rebuild is done (the namespace says "up-to-date")
            long until = System.currentTimeMillis() + 60_000;
            while (!s.ok("GET", ns, null).get("index").get("status").asText().equals("up-to-date")) {
                assertThat(System.currentTimeMillis()).as("index rebuild after configure-metric").isLessThan(until);
                Thread.sleep(20);
            }

            JsonNode warm = s.ok("POST", ns + "/warm", null);
            assertThat(warm.get("live_vectors").asLong()).isEqualTo(300);
            JsonNode rec = s.ok("POST", ns + "/_debug/recall", "{\"num\":10,\"top_k\":5}");
            assertThat(rec.get("avg_recall").asDouble()).isBetween(0.0, 1.0);
            assertThat(rec.get("avg_exhaustive_count").asDouble()).isEqualTo(5.0);

            // copy into a new namespace, then refuse a non-empty target
            JsonNode c = s.ok("POST", "/v1/namespaces/cols-copy/copy", "{\"source_namespace\":\"cols\"}");
            assertThat(c.get("copied").asLong()).isEqualTo(300);
            assertThat(s.ok("GET", "/v1/namespaces/cols-copy/documents/12", null).get("document").get("metadata").get("price").asInt()).isEqualTo(112);
            assertThat(s.ok("GET", "/v1/namespaces/cols-copy", null).get("distance_metric").asText()).isEqualTo("euclidean_squared");
            JsonNode conflict = s.expect(409, "POST", "/v1/namespaces/cols-copy/copy", "{\"source_namespace\":\"cols\"}");
            assertThat(conflict.get("error").get("code").asText()).isEqualTo("target_not_empty");
            s.expect(404, "POST", "/v1/namespaces/x-copy/copy", "{\"source_namespace\":\"no-such\"}");
            assertThat(s.ok("GET", ns + "/encryption", null).get("encryption").get("mode").asText()).isEqualTo("default");
        }
    }

    @Test
    void customerManagedEncryptionOverHttp() throws Exception {
        Path ks = TestKeystores.create(dir.resolve("keys.p12"), "pw".toCharArray(), Map.of("shop-key", TestKeystores.randomKey()));
        try (TestServer s = TestServer.start(dir.resolve("n"), Map.of(Params.CRYPTO_KEYSTORE_PATH.key(), ks.toString(),
                Params.CRYPTO_KEYSTORE_PASSWORD.key(), "pw"))) {
            String ns = "/v1/namespaces/secret";
            JsonNode set = s.ok("POST", ns + "/encryption", "{\"mode\":\"customer-managed\",\"key_name\":\"shop-key\"}");
            assertThat(set.get("encryption").get("mode").asText()).isEqualTo("customer-managed");
            JsonNode missing = s.expect(400, "POST", "/v1/namespaces/other/encryption", "{\"mode\":\"customer-managed\",\"key_name\":\"nope\"}");
            assertThat(missing.get("error").get("code").asText()).isEqualTo("key_unavailable");
            s.ok("POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":1,\"vector\":[0.25,0.5,0.75],\"secret_attr\":\"PLAINTEXT-MARKER-42\"}]}");
            JsonNode got = s.ok("GET", ns + "/encryption", null).get("encryption");
            assertThat(got.get("key_name").asText()).isEqualTo("shop-key");
            assertThat(got.toString()).doesNotContain("key_material");
            s.expect(409, "PUT", ns + "/encryption", "{\"mode\":\"default\"}");
            // nothing the namespace wrote to the object store holds the plaintext attribute
            Path objects = dir.resolve("n").resolve("objects");
            try (Stream<Path> files = Files.walk(objects)) {
                for (Path f : files.filter(Files::isRegularFile).toList())
                    if (f.toString().contains("secret"))
                        assertThat(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1)).as(f.toString())
                                .doesNotContain("PLAINTEXT-MARKER-42");
            }
        }
    }
}
