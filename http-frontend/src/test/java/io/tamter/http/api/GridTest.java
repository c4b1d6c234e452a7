package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.config.Params;
import io.tamter.node.namespace.NamespaceManager;
import io.tamter.node.objectstore.GcsObjectStore;
import io.tamter.node.objectstore.GcsObjectStoreOptions;
import io.tamter.node.objectstore.GcsTestServer;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import io.tamter.node.objectstore.ObjectStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 10, in one JVM: three server nodes (each an Ignite server node with the engine and REST)
 * share one {@code file://} object store and serve one namespace of 6 shards, each node the shards
 * it owns. Writes and searches sent to any node answer exactly what a one-node reference answers on
 * the same requests; after one node stops (gracefully), every acked row is still there (GET and
 * top-1 vector search) through the survivors, which take its shards over.
 *
 * <p>On a {@code file://} directory; with {@code -Dtamter.long=true} also on {@code gs://} against
 * {@link GcsTestServer}, each node with its own GCS client (issue 11). The default suite runs the
 * grid on {@code gs://} in {@code GridFailoverTest}, with separate processes and a SIGKILL; this
 * one would add some 40 s to it.
 */
class GridTest {
    static final int DIMS = 8;

    @TempDir
    Path dir;

    static final String OPTIONS = "{\"num_shards\":6,\"distance_metric\":\"euclidean_squared\",\"embedding_model\":null}";

    /** Opens a node's own client of the grid's one store: each node has its own, as separate processes would. */
    interface StoreOpener {
        ObjectStore open() throws IOException;
    }

    static TestServer node(Path dir, String name, Path store, String join) throws Exception {
        return node(dir, name, () -> new LocalDirectoryObjectStore(store), join);
    }

    static TestServer node(Path dir, String name, StoreOpener store, String join) throws Exception {
        Map<String, String> o = new HashMap<>();
        o.put(Params.GRID_OWNERSHIP_CHECK_MS.key(), "200");
        if (join != null) o.put(Params.GRID_DISCOVERY_ADDRESSES.key(), join);
        return TestServer.start(dir.resolve(name), o, store.open());
    }

    /** The object stores to run on: {@code -Dtamter.stores=file,gs} chooses; by default file, and gs too in the long form. */
    static Stream<String> stores() {
        return TestServer.stores(Boolean.getBoolean("tamter.long") ? "file,gs" : "file");
    }

    @ParameterizedTest(name = "object store {0}")
    @MethodSource("stores")
    void threeNodesAnswerAsOneAndSurviveAGracefulLeave(String scheme) throws Exception {
        try (GcsTestServer gcs = scheme.equals("gs") ? new GcsTestServer().createBucket("tamter-grid") : null) {
            StoreOpener store = gcs == null ? () -> new LocalDirectoryObjectStore(dir.resolve("store"))
                    : () -> new GcsObjectStore(GcsObjectStoreOptions.of("tamter-grid", "grid").withHost(gcs.endpoint()));
            threeNodes(store);
            if (gcs != null) assertThat(gcs.unhandled()).as("routes the GCS test server does not speak").isEmpty();
        }
    }

    void threeNodes(StoreOpener store) throws Exception {
        try (TestServer ref = TestServer.start(dir.resolve("ref"));
                TestServer n1 = node(dir, "n1", store, null)) {
            String join = "127.0.0.1:" + n1.node.ports().discovery();
            TestServer n2 = node(dir, "n2", store, join);
            TestServer n3 = node(dir, "n3", store, join);
            try {
                List<TestServer> grid = List.of(n1, n2, n3);
                // PUT creates the namespace with its shard count, through any node
                assertThat(ref.ok("PUT", "/v1/namespaces/g", OPTIONS).get("num_shards").asInt()).isEqualTo(6);
                assertThat(n2.ok("PUT", "/v1/namespaces/g", OPTIONS).get("num_shards").asInt()).isEqualTo(6);
                assertThat(n1.expect(409, "PUT", "/v1/namespaces/g", OPTIONS).get("error").get("code").asText()).isEqualTo("namespace_exists");
                awaitSpread(grid, 6);
                // GET /v1/cluster: the nodes, and an owner for every shard, the node that serves it
                JsonNode cluster = n3.ok("GET", "/v1/cluster", null);
                assertThat(cluster.get("nodes")).hasSize(3);
                assertThat(cluster.get("shards")).hasSize(6);
                Map<String, String> servedBy = new HashMap<>();
                for (TestServer t : grid)
                    for (NamespaceManager.ServedShard sh : t.node.engine().servedShards())
                        servedBy.put(sh.namespace() + "/" + sh.shard(), t.node.ignite().cluster().localNode().consistentId().toString());
                for (JsonNode sh : cluster.get("shards"))
                    assertThat(sh.get("owner").asText()).isEqualTo(servedBy.get(sh.get("namespace").asText() + "/" + sh.get("shard").asInt()));
                Set<String> owners = new HashSet<>();
                for (TestServer t : grid) if (!t.node.engine().servedShards().isEmpty()) owners.add(t.node.ignite().cluster().localNode().consistentId().toString());
                assertThat(owners).as("the 6 shards are spread over the nodes").hasSizeGreaterThan(1);

                Random rnd = new Random(42);
                Map<Integer, float[]> rows = new HashMap<>();
                // upserts, each batch through another node, the same to the reference
                for (int batch = 0; batch < 12; batch++) {
                    StringBuilder sb = new StringBuilder("{\"upsert_rows\":[");
                    for (int i = 0; i < 25; i++) {
                        int id = batch * 25 + i;
                        float[] v = new float[DIMS];
                        for (int d = 0; d < DIMS; d++) v[d] = rnd.nextFloat();
                        rows.put(id, v);
                        sb.append(i > 0 ? "," : "").append("{\"id\":").append(id).append(",\"vector\":").append(vec(v))
                                .append(",\"kind\":\"k").append(id % 3).append("\",\"text\":\"row ").append(id).append(id % 7 == 0 ? " zebra" : "").append("\"}");
                    }
                    String body = sb.append("]}").toString();
                    JsonNode a = grid.get(batch % 3).ok("POST", "/v1/namespaces/g/upsert", body);
                    JsonNode b = ref.ok("POST", "/v1/namespaces/g/upsert", body);
                    assertThat(a.get("inserted")).isEqualTo(b.get("inserted"));
                }
                // a patch (with a missing id: its error names the row of the whole request) and a delete, through node 2 and 3
                String patch = "{\"patch_rows\":[{\"id\":3,\"kind\":\"patched\"},{\"id\":100000,\"kind\":\"x\"},{\"id\":44,\"kind\":\"patched\"}]}";
                JsonNode pa = n2.ok("PATCH", "/v1/namespaces/g/update", patch);
                JsonNode pb = ref.ok("PATCH", "/v1/namespaces/g/update", patch);
                assertThat(pa.get("updated")).isEqualTo(pb.get("updated"));
                assertThat(pa.get("errors").get(0).get("message")).isEqualTo(pb.get("errors").get(0).get("message"));
                String del = "{\"deletes\":[5,6,7,250]}";
                assertThat(n3.ok("DELETE", "/v1/namespaces/g/batch-delete", del).get("deleted"))
                        .isEqualTo(ref.ok("DELETE", "/v1/namespaces/g/batch-delete", del).get("deleted"));
                for (int id : new int[] {5, 6, 7, 250}) rows.remove(id);

                compare(ref, grid, rows, rnd);
                for (TestServer t : grid)
                    assertThat(t.ok("GET", "/v1/namespaces/g", null).get("approx_row_count").asLong()).isEqualTo(rows.size());

                // export, page by page, through a node that owns only some shards: the reference's pages
                String cursor = null;
                do {
                    String q = "/v1/namespaces/g/documents?limit=37" + (cursor == null ? "" : "&cursor=" + cursor);
                    JsonNode a = n2.ok("GET", q, null), b = ref.ok("GET", q, null);
                    assertThat(a.get("documents")).isEqualTo(b.get("documents"));
                    assertThat(a.get("next_cursor")).isEqualTo(b.get("next_cursor"));
                    cursor = a.get("next_cursor").isNull() ? null : a.get("next_cursor").asText();
                } while (cursor != null);

                // rank_by pages and grouped counts merged over the nodes' shards (partials travel as JSON
                // between nodes): the reference's answers; a multi-search through another node answers the same
                String rank = null;
                int ranked = 0;
                do {
                    String q = "{\"rank_by\":[\"kind\",\"desc\"],\"top_k\":41" + (rank == null ? "" : ",\"cursor\":\"" + rank + "\"") + "}";
                    JsonNode a = n3.ok("POST", "/v1/namespaces/g/search", q), b = ref.ok("POST", "/v1/namespaces/g/search", q);
                    assertThat(a.get("matches")).isEqualTo(b.get("matches"));
                    assertThat(a.get("next_cursor")).isEqualTo(b.get("next_cursor"));
                    ranked += a.get("matches").size();
                    rank = a.get("next_cursor").isNull() ? null : a.get("next_cursor").asText();
                } while (rank != null);
                assertThat(ranked).isEqualTo(rows.size());
                String agg = "{\"aggregate_by\":{\"n\":[\"count\"]},\"group_by\":[\"kind\"]}";
                assertThat(n1.ok("POST", "/v1/namespaces/g/search", agg).get("aggregation_groups"))
                        .isEqualTo(ref.ok("POST", "/v1/namespaces/g/search", agg).get("aggregation_groups"));
                String multi = "{\"queries\":[" + agg + ",{\"vector\":" + vec(rows.get(10)) + ",\"top_k\":5},{\"rank_by\":[\"kind\",\"asc\"],\"top_k\":9}]}";
                JsonNode ma = n2.ok("POST", "/v1/namespaces/g/multi-search", multi), mb = ref.ok("POST", "/v1/namespaces/g/multi-search", multi);
                for (int i = 0; i < 3; i++) {
                    ObjectNode x = (ObjectNode) ma.get("results").get(i).deepCopy(), y = (ObjectNode) mb.get("results").get(i).deepCopy();
                    x.remove("search_time_ms");
                    y.remove("search_time_ms");
                    assertThat(x).as("multi-search query " + i).isEqualTo(y);
                }
                // update-by-filter through a node: every owner patches its shards' matches, the counts add up
                String ubf = "{\"filter\":{\"kind\":\"k1\"},\"patch\":{\"flagged\":true}}";
                assertThat(n3.ok("PATCH", "/v1/namespaces/g/update-by-filter", ubf).get("updated"))
                        .isEqualTo(ref.ok("PATCH", "/v1/namespaces/g/update-by-filter", ubf).get("updated"));
                String flagged = "{\"aggregate_by\":{\"n\":[\"count\"]},\"group_by\":[\"kind\",\"flagged\"]}";
                assertThat(n1.ok("POST", "/v1/namespaces/g/search", flagged).get("aggregation_groups"))
                        .isEqualTo(ref.ok("POST", "/v1/namespaces/g/search", flagged).get("aggregation_groups"));

                // a copy out of a namespace spread over nodes (GridOpsTest has more): the reference's copy
                assertThat(n1.ok("POST", "/v1/namespaces/g2/copy", "{\"source_namespace\":\"g\"}").get("copied"))
                        .isEqualTo(ref.ok("POST", "/v1/namespaces/g2/copy", "{\"source_namespace\":\"g\"}").get("copied"));
                GridOpsTest.sameExport(ref, n2, "g2", "g2");
                n3.ok("DELETE", "/v1/namespaces/g2", null);

                // a namespace deleted through one node is gone on all; created again, it is empty
                n1.ok("PUT", "/v1/namespaces/gone", OPTIONS);
                n2.ok("POST", "/v1/namespaces/gone/upsert", "{\"upsert_rows\":[{\"id\":1,\"vector\":[1,2]},{\"id\":2,\"vector\":[2,1]},{\"id\":3,\"vector\":[3,1]}]}");
                n3.ok("DELETE", "/v1/namespaces/gone", null);
                for (TestServer t : grid) t.expect(404, "GET", "/v1/namespaces/gone", null);
                n2.ok("PUT", "/v1/namespaces/gone", OPTIONS);
                for (TestServer t : grid) assertThat(t.ok("GET", "/v1/namespaces/gone", null).get("approx_row_count").asInt()).isZero();
                n1.ok("DELETE", "/v1/namespaces/gone", null);

                // node 3 leaves gracefully: its shards move to the survivors, nothing acked is lost
                n3.close();
                n3 = null;
                List<TestServer> survivors = List.of(n1, n2);
                awaitSpread(survivors, 6);
                for (TestServer t : survivors) {
                    for (Map.Entry<Integer, float[]> e : rows.entrySet()) {
                        JsonNode d = t.ok("GET", "/v1/namespaces/g/documents/" + e.getKey(), null);
                        assertThat(d.get("document").get("id").asInt()).isEqualTo(e.getKey());
                        JsonNode top = t.ok("POST", "/v1/namespaces/g/search", "{\"vector\":" + vec(e.getValue()) + ",\"top_k\":1}");
                        assertThat(top.get("matches").get(0).get("id").asInt()).as("top-1 of row %d", e.getKey()).isEqualTo(e.getKey());
                    }
                }
                compare(ref, survivors, rows, rnd);
                // and writes go on
                String more = "{\"upsert_rows\":[{\"id\":9001,\"vector\":" + vec(new float[] {1, 1, 1, 1, 1, 1, 1, 1}) + "}]}";
                n2.ok("POST", "/v1/namespaces/g/upsert", more);
                assertThat(n1.ok("GET", "/v1/namespaces/g/documents/9001", null).get("document").get("id").asInt()).isEqualTo(9001);
            } finally {
                if (n3 != null) n3.close();
                n2.close();
            }
        }
    }

    /** Searches (vector with and without a filter, BM25) and GETs through every node equal the reference's answers. */
    static void compare(TestServer ref, List<TestServer> grid, Map<Integer, float[]> rows, Random rnd) {
        List<String> queries = new ArrayList<>();
        for (int q = 0; q < 5; q++) {
            float[] v = new float[DIMS];
            for (int d = 0; d < DIMS; d++) v[d] = rnd.nextFloat();
            queries.add("{\"vector\":" + vec(v) + ",\"top_k\":20}");
            queries.add("{\"vector\":" + vec(v) + ",\"top_k\":10,\"filter\":{\"kind\":\"k1\"}}");
        }
        queries.add("{\"text\":\"zebra\",\"mode\":\"bm25\",\"top_k\":100}");
        for (String q : queries) {
            List<String> want = ids(ref.ok("POST", "/v1/namespaces/g/search", q));
            for (TestServer t : grid) assertThat(ids(t.ok("POST", "/v1/namespaces/g/search", q))).as(q).isEqualTo(want);
        }
        for (int id : new int[] {0, 3, 44, 299, 5}) {
            int status = rows.containsKey(id) ? 200 : 404;
            JsonNode want = withoutTrace(ref.expect(status, "GET", "/v1/namespaces/g/documents/" + id, null));
            for (TestServer t : grid) assertThat(withoutTrace(t.expect(status, "GET", "/v1/namespaces/g/documents/" + id, null))).isEqualTo(want);
        }
    }

    static JsonNode withoutTrace(JsonNode n) {
        JsonNode c = n.deepCopy();
        if (c.has("error")) ((com.fasterxml.jackson.databind.node.ObjectNode) c.get("error")).remove("trace_id");
        return c;
    }

    static List<String> ids(JsonNode res) {
        List<String> out = new ArrayList<>();
        for (JsonNode m : res.get("matches")) out.add(m.get("id").asText());
        return out;
    }

    /** Waits until the nodes together serve each of the namespace's shards exactly once. */
    static void awaitSpread(List<TestServer> nodes, int shards) throws InterruptedException {
        long end = System.nanoTime() + 60_000_000_000L;
        List<NamespaceManager.ServedShard> all = List.of();
        while (System.nanoTime() < end) {
            all = new ArrayList<>();
            for (TestServer t : nodes) all.addAll(t.node.engine().servedShards());
            if (all.size() == shards && new HashSet<>(all).size() == shards) return;
            Thread.sleep(100);
        }
        throw new AssertionError("shards not spread over the nodes within 60 s: " + all);
    }

    static String vec(float[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) sb.append(i > 0 ? "," : "").append(v[i]);
        return sb.append("]").toString();
    }
}
