package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.config.Params;
import io.tamter.node.crypto.TestKeystores;
import io.tamter.node.namespace.NamespaceManager;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, the operations a namespace spread over nodes once answered 501: two server nodes in
 * this JVM (real Ignite, one {@code file://} store, one keystore) hold namespaces whose shards are
 * on both, and a one-node reference gets the same requests. {@code _debug/recall}, copy (into a new
 * and into an existing empty namespace) and an encryption change answer what the reference
 * answers; after the encryption change every node's copy of the namespace writes encrypted; {@code
 * GET /v1/cluster} has API.md's shape and names both nodes, their addresses, REST URLs and shards.
 */
class GridOpsTest {
    static final int DIMS = 8;
    static final String OPTIONS = "{\"num_shards\":8,\"distance_metric\":\"euclidean_squared\",\"embedding_model\":null}";

    @TempDir
    Path dir;

    @Test
    void recallCopyEncryptionAndClusterOverTwoNodes() throws Exception {
        Path ks = TestKeystores.create(dir.resolve("keys.p12"), "pw".toCharArray(), Map.of("grid-key", TestKeystores.randomKey()));
        Map<String, String> keys = Map.of(Params.CRYPTO_KEYSTORE_PATH.key(), ks.toString(), Params.CRYPTO_KEYSTORE_PASSWORD.key(), "pw");
        Path store = dir.resolve("store");
        try (TestServer ref = TestServer.start(dir.resolve("ref"), keys);
                TestServer n1 = node("n1", store, keys, null);
                TestServer n2 = node("n2", store, keys, "127.0.0.1:" + n1.node.ports().discovery())) {
            List<TestServer> grid = List.of(n1, n2);
            both(ref, n1, "PUT", "/v1/namespaces/g", OPTIONS);
            awaitServed(grid, "g", 8);
            assertThat(ownersOf(grid, "g")).as("the shards of g are on both nodes").hasSize(2);

            // rows with vectors and an attribute, each batch through another node, the same to the reference
            Random rnd = new Random(7);
            for (int batch = 0; batch < 8; batch++) {
                StringBuilder sb = new StringBuilder("{\"upsert_rows\":[");
                for (int i = 0; i < 25; i++) {
                    int id = batch * 25 + i;
                    sb.append(i > 0 ? "," : "").append("{\"id\":").append(id).append(",\"vector\":").append(vec(rnd)).append(",\"kind\":\"k")
                            .append(id % 3).append("\",\"text\":\"row ").append(id).append("\"}");
                }
                String body = sb.append("]}").toString();
                assertThat(grid.get(batch % 2).ok("POST", "/v1/namespaces/g/upsert", body).get("inserted"))
                        .isEqualTo(ref.ok("POST", "/v1/namespaces/g/upsert", body).get("inserted"));
            }

            // GET /v1/cluster: API.md's shape (validated against /openapi.json by TestServer), both nodes with their shards
            JsonNode cluster = n2.ok("GET", "/v1/cluster", null);
            assertThat(cluster.get("nodes")).hasSize(2);
            Map<String, Integer> servedCount = new HashMap<>();
            Map<String, String> servedBy = new HashMap<>();
            for (TestServer t : grid) {
                String id = t.node.ignite().cluster().localNode().consistentId().toString();
                servedCount.put(id, t.node.engine().servedShards().size());
                for (NamespaceManager.ServedShard sh : t.node.engine().servedShards()) servedBy.put(sh.namespace() + "/" + sh.shard(), id);
            }
            for (TestServer t : grid) {
                String id = t.node.ignite().cluster().localNode().consistentId().toString();
                JsonNode n = null;
                for (JsonNode x : cluster.get("nodes")) if (x.get("id").asText().equals(id)) n = x;
                assertThat(n).as("node %s listed", id).isNotNull();
                assertThat(n.get("address").asText()).isEqualTo("127.0.0.1:" + t.node.ports().discovery());
                assertThat(n.get("http").asText()).isEqualTo(t.base);
                assertThat(n.get("shards").asInt()).as("shards of %s", id).isEqualTo(servedCount.get(id)).isPositive();
            }
            assertThat(cluster.get("shards")).hasSize(8);
            for (JsonNode sh : cluster.get("shards")) {
                assertThat(sh.get("owner").asText()).isEqualTo(servedBy.get(sh.get("namespace").asText() + "/" + sh.get("shard").asInt()));
                assertThat(sh.get("state").asText()).isEqualTo("serving");
            }
            JsonNode one = ref.ok("GET", "/v1/cluster", null); // one node: the same shape
            assertThat(one.get("nodes")).hasSize(1);
            assertThat(one.get("nodes").get(0).get("http").asText()).isEqualTo(ref.base);
            assertThat(one.get("nodes").get(0).get("shards").asInt()).isEqualTo(8);

            // _debug/recall: every document sampled (num past the row count), searched on both nodes' shards
            for (String body : List.of("{\"num\":1000,\"top_k\":10}", "{\"num\":1000,\"top_k\":5,\"filter\":{\"kind\":\"k1\"}}")) {
                JsonNode a = n1.ok("POST", "/v1/namespaces/g/_debug/recall", body);
                JsonNode b = ref.ok("POST", "/v1/namespaces/g/_debug/recall", body);
                assertThat(a.get("sampled")).as(body).isEqualTo(b.get("sampled"));
                assertThat(a.get("avg_exhaustive_count")).as(body).isEqualTo(b.get("avg_exhaustive_count"));
                assertThat(a.get("avg_ann_count").asDouble()).as(body).isCloseTo(b.get("avg_ann_count").asDouble(), within(0.2));
                assertThat(a.get("avg_recall").asDouble()).as(body).isCloseTo(b.get("avg_recall").asDouble(), within(0.05));
            }
            JsonNode all = n2.ok("POST", "/v1/namespaces/g/_debug/recall", "{\"num\":1000,\"top_k\":10}");
            assertThat(all.get("sampled").asInt()).isEqualTo(200);
            assertThat(all.get("avg_exhaustive_count").asDouble()).isEqualTo(10.0);
            JsonNode some = n2.ok("POST", "/v1/namespaces/g/_debug/recall", "{\"num\":30,\"top_k\":3}");
            assertThat(some.get("sampled").asInt()).isEqualTo(30);
            assertThat(some.get("avg_exhaustive_count").asDouble()).isEqualTo(3.0);
            JsonNode bad = n2.expect(400, "POST", "/v1/namespaces/g/_debug/recall", "{\"num\":0}").get("error");
            JsonNode refBad = ref.expect(400, "POST", "/v1/namespaces/g/_debug/recall", "{\"num\":0}").get("error");
            assertThat(bad.get("path").asText()).isEqualTo("num");
            assertThat(bad.get("message")).isEqualTo(refBad.get("message"));

            // copy into a new namespace: every document of g, from both nodes, through the write routing; the reference's copy
            JsonNode ca = n2.ok("POST", "/v1/namespaces/g2/copy", "{\"source_namespace\":\"g\"}");
            JsonNode cb = ref.ok("POST", "/v1/namespaces/g2/copy", "{\"source_namespace\":\"g\"}");
            assertThat(ca.get("copied").asInt()).isEqualTo(cb.get("copied").asInt()).isEqualTo(200);
            awaitServed(grid, "g2", 8);
            assertThat(ownersOf(grid, "g2")).as("the copy's shards are on both nodes").hasSize(2);
            sameExport(ref, n1, "g2", "g2");
            sameInfo(ref, n2, "g2");
            JsonNode again = n1.expect(409, "POST", "/v1/namespaces/g2/copy", "{\"source_namespace\":\"g\"}");
            assertThat(again.get("error").get("code").asText()).isEqualTo("target_not_empty");
            ref.expect(409, "POST", "/v1/namespaces/g2/copy", "{\"source_namespace\":\"g\"}");
            // into an existing empty namespace of another shard count
            String three = "{\"num_shards\":3,\"distance_metric\":\"cosine_distance\",\"embedding_model\":null}";
            both(ref, n2, "PUT", "/v1/namespaces/g3", three);
            assertThat(n1.ok("POST", "/v1/namespaces/g3/copy", "{\"source_namespace\":\"g\"}").get("copied").asInt())
                    .isEqualTo(ref.ok("POST", "/v1/namespaces/g3/copy", "{\"source_namespace\":\"g\"}").get("copied").asInt());
            sameExport(ref, n2, "g3", "g3");
            sameInfo(ref, n1, "g3");
            n1.expect(404, "POST", "/v1/namespaces/g4/copy", "{\"source_namespace\":\"no-such\"}");
            n1.expect(400, "POST", "/v1/namespaces/g4/copy", "{\"source_namespace\":\"g\",\"typo\":1}");
            n2.expect(404, "GET", "/v1/namespaces/g4", null);

            // an encryption change of a namespace on both nodes: every node's shards take it before the answer
            both(ref, n1, "PUT", "/v1/namespaces/sec", OPTIONS);
            awaitServed(grid, "sec", 8);
            for (TestServer t : grid) t.ok("GET", "/v1/namespaces/sec", null);
            String cmek = "{\"mode\":\"customer-managed\",\"key_name\":\"grid-key\"}";
            JsonNode ea = n2.ok("POST", "/v1/namespaces/sec/encryption", cmek);
            JsonNode eb = ref.ok("POST", "/v1/namespaces/sec/encryption", cmek);
            assertThat(ea.get("encryption")).isEqualTo(eb.get("encryption"));
            for (TestServer t : grid) {
                assertThat(t.node.engine().openNamespace("sec")).as("sec open on every node").isPresent();
                assertThat(t.node.engine().openNamespace("sec").get().encryption().customerManaged()).as("node %s", t.base).isTrue();
                assertThat(t.ok("GET", "/v1/namespaces/sec/encryption", null).get("encryption")).isEqualTo(eb.get("encryption"));
            }
            JsonNode missing = n1.expect(400, "POST", "/v1/namespaces/sec/encryption", "{\"mode\":\"customer-managed\",\"key_name\":\"nope\"}");
            assertThat(missing.get("error").get("code").asText()).isEqualTo("key_unavailable");
            StringBuilder sb = new StringBuilder("{\"upsert_rows\":[");
            for (int i = 0; i < 40; i++) sb.append(i > 0 ? "," : "").append("{\"id\":").append(i).append(",\"vector\":").append(vec(rnd))
                    .append(",\"note\":\"PLAINTEXT-MARKER-").append(i).append("\"}");
            String rows = sb.append("]}").toString();
            assertThat(n1.ok("POST", "/v1/namespaces/sec/upsert", rows).get("inserted").asInt()).isEqualTo(40);
            ref.ok("POST", "/v1/namespaces/sec/upsert", rows);
            assertThat(ownersOf(grid, "sec")).hasSize(2);
            sameExport(ref, n2, "sec", "sec");
            // with data, the encryption no longer changes: the reference's 409 too
            assertThat(n2.expect(409, "PUT", "/v1/namespaces/sec/encryption", "{\"mode\":\"default\"}").get("error").get("code"))
                    .isEqualTo(ref.expect(409, "PUT", "/v1/namespaces/sec/encryption", "{\"mode\":\"default\"}").get("error").get("code"));
            // nothing either node wrote for sec holds a plaintext attribute: both wrote through the namespace's key
            int files = 0;
            try (Stream<Path> s = Files.walk(store.resolve("sec"))) {
                for (Path f : s.filter(Files::isRegularFile).toList()) {
                    files++;
                    assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)).as(f.toString()).doesNotContain("PLAINTEXT-MARKER");
                }
            }
            assertThat(files).isPositive();
        }
    }

    TestServer node(String name, Path store, Map<String, String> keys, String join) throws Exception {
        Map<String, String> o = new HashMap<>(keys);
        o.put(Params.GRID_OWNERSHIP_CHECK_MS.key(), "200");
        if (join != null) o.put(Params.GRID_DISCOVERY_ADDRESSES.key(), join);
        return TestServer.start(dir.resolve(name), o, new LocalDirectoryObjectStore(store));
    }

    /** The same request to the reference and to a grid node; both must answer 200. */
    static void both(TestServer ref, TestServer node, String method, String path, String body) {
        ref.ok(method, path, body);
        node.ok(method, path, body);
    }

    /** Waits until the nodes together serve each shard of {@code ns} exactly once. */
    static void awaitServed(List<TestServer> nodes, String ns, int shards) throws InterruptedException {
        long end = System.nanoTime() + 60_000_000_000L;
        List<NamespaceManager.ServedShard> all = List.of();
        while (System.nanoTime() < end) {
            all = new ArrayList<>();
            for (TestServer t : nodes) for (NamespaceManager.ServedShard s : t.node.engine().servedShards()) if (s.namespace().equals(ns)) all.add(s);
            if (all.size() == shards && new HashSet<>(all).size() == shards) return;
            for (TestServer t : nodes) t.ok("GET", "/v1/namespaces/" + ns, null); // a request opens a namespace the owners have not opened yet
            Thread.sleep(100);
        }
        throw new AssertionError("shards of " + ns + " not served within 60 s: " + all);
    }

    /** The nodes that serve shards of {@code ns}. */
    static Set<String> ownersOf(List<TestServer> nodes, String ns) {
        Set<String> out = new HashSet<>();
        for (TestServer t : nodes)
            for (NamespaceManager.ServedShard s : t.node.engine().servedShards()) if (s.namespace().equals(ns)) out.add(t.base);
        return out;
    }

    /** Every export page of {@code ns} through the grid node equals the reference's. */
    static void sameExport(TestServer ref, TestServer node, String ns, String refNs) {
        String cursor = null;
        int n = 0;
        do {
            String q = "/documents?limit=33" + (cursor == null ? "" : "&cursor=" + cursor);
            JsonNode a = node.ok("GET", "/v1/namespaces/" + ns + q, null), b = ref.ok("GET", "/v1/namespaces/" + refNs + q, null);
            assertThat(a.get("documents")).as("export of %s", ns).isEqualTo(b.get("documents"));
            assertThat(a.get("next_cursor")).isEqualTo(b.get("next_cursor"));
            n += a.get("documents").size();
            cursor = a.get("next_cursor").isNull() ? null : a.get("next_cursor").asText();
        } while (cursor != null);
        assertThat(n).isPositive();
    }

    /** The namespace's metadata through the grid node equals the reference's (but its times). */
    static void sameInfo(TestServer ref, TestServer node, String ns) {
        JsonNode a = node.ok("GET", "/v1/namespaces/" + ns, null), b = ref.ok("GET", "/v1/namespaces/" + ns, null);
        for (String f : List.of("approx_row_count", "dimensions", "distance_metric", "schema", "num_shards", "embedding_model", "encryption"))
            assertThat(a.get(f)).as("%s of %s", f, ns).isEqualTo(b.get(f));
    }

    static String vec(Random rnd) {
        StringBuilder sb = new StringBuilder("[");
        for (int d = 0; d < DIMS; d++) sb.append(d > 0 ? "," : "").append(rnd.nextFloat());
        return sb.append("]").toString();
    }
}
