package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/namespaces/{ns}/multi-search} over HTTP on a namespace of 3 shards: each of 16
 * queries of every kind (vector, BM25, hybrid, filters, rank_by pages, aggregations) answers
 * exactly what the search route answers for it; a bad query is a 400 naming its index, and no
 * query runs then. And racing writers: the 16 queries of one multi-search all see one state of
 * each shard.
 */
class MultiSearchTest {
    @TempDir
    Path dir;

    static JsonNode withoutTime(JsonNode n) {
        ObjectNode o = n.deepCopy();
        o.remove("search_time_ms");
        return o;
    }

    @Test
    void eachAnswerEqualsTheSingleSearch() throws Exception {
        try (TestServer s = TestServer.start(dir.resolve("n"))) {
            String ns = "/v1/namespaces/multi";
            s.ok("PUT", ns, "{\"num_shards\":3,\"embedding_model\":null,\"distance_metric\":\"cosine_distance\"}");
            Random r = new Random(9);
            StringBuilder sb = new StringBuilder("{\"upsert_rows\":[");
            for (int i = 0; i < 500; i++) {
                if (i > 0) sb.append(',');
                sb.append("{\"id\":").append(i).append(",\"vector\":[").append(r.nextFloat() + 0.01f).append(',').append(r.nextFloat()).append(',')
                        .append(r.nextFloat()).append("],\"text\":\"item ").append(i).append(i % 4 == 0 ? " red" : " blue")
                        .append("\",\"price\":").append(r.nextInt(100)).append(",\"cat\":\"").append("abc".charAt(i % 3)).append("\"}");
            }
            s.ok("POST", ns + "/upsert", sb.append("]}").toString());
            List<String> queries = new ArrayList<>(List.of(
                    "{\"vector\":[0.5,0.2,0.9],\"top_k\":7}",
                    "{\"vector\":[0.5,0.2,0.9],\"top_k\":7,\"filter\":{\"cat\":\"b\"},\"include_vectors\":true}",
                    "{\"text\":\"red\",\"mode\":\"bm25\",\"top_k\":5}",
                    "{\"text\":\"red\",\"vector\":[0.1,0.9,0.3],\"mode\":\"hybrid\",\"top_k\":9,\"rrf_k\":10,\"weights\":{\"vector\":2,\"bm25\":0.5}}",
                    "{\"rank_by\":[\"price\",\"desc\"],\"top_k\":20}",
                    "{\"rank_by\":[\"cat\",\"asc\"],\"top_k\":3,\"filter\":{\"price\":{\"$lt\":10}},\"include_metadata\":[\"price\"]}",
                    "{\"aggregate_by\":{\"n\":[\"count\"],\"avg\":[\"avg\",\"price\"]}}",
                    "{\"aggregate_by\":{\"n\":[\"count\"],\"max\":[\"max\",\"price\"]},\"group_by\":[\"cat\"]}",
                    "{\"vector\":[0.3,0.3,0.3],\"top_k\":3,\"distance_threshold\":0.01}",
                    "{\"vector\":[0.9,0.1,0.1],\"top_k\":100,\"consistency\":\"eventual\"}"));
            String page1 = s.ok("POST", ns + "/search", "{\"rank_by\":[\"price\",\"asc\"],\"top_k\":50}").get("next_cursor").asText();
            queries.add("{\"rank_by\":[\"price\",\"asc\"],\"top_k\":50,\"cursor\":\"" + page1 + "\"}");
            while (queries.size() < 16) queries.add("{\"vector\":[" + (queries.size() + 1) + ",1,2],\"top_k\":" + queries.size() + "}");
            ArrayNode qs = TestServer.JSON.createArrayNode();
            for (String q : queries) qs.add(TestServer.JSON.readTree(q));
            ObjectNode body = TestServer.JSON.createObjectNode();
            body.set("queries", qs);
            JsonNode multi = s.ok("POST", ns + "/multi-search", body.toString());
            assertThat(multi.get("results").size()).isEqualTo(16);
            for (int i = 0; i < queries.size(); i++) {
                JsonNode single = s.ok("POST", ns + "/search", queries.get(i));
                assertThat(withoutTime(multi.get("results").get(i))).as("query " + i + ": " + queries.get(i)).isEqualTo(withoutTime(single));
            }

            String[][] bad = {
                    {"{\"queries\":[]}", "queries"},
                    {"{\"queries\":{}}", "queries"},
                    {"{}", "queries"},
                    {"{\"queries\":[{\"vector\":[1,2,3]}],\"query\":1}", "query"},
                    {"{\"queries\":[{\"vector\":[1,2,3]},{\"vector\":[1,2,3]},{\"vector\":[1,2,3]},{\"vector\":[1,2,3],\"top_k\":0}]}", "queries[3].top_k"},
                    {"{\"queries\":[{\"vector\":[1,2,3]},{\"vector\":[1,2,3],\"bogus\":1}]}", "queries[1].bogus"},
                    {"{\"queries\":[{\"vector\":[1,2,3]},7]}", "queries[1]"},
                    {"{\"queries\":[{\"vector\":[1,2,3]},{\"rank_by\":[\"price\",\"asc\"],\"cursor\":\"x\"}]}", "queries[1].cursor"},
                    // found only when the query runs: the filter's attribute, the vector's dimensions
                    {"{\"queries\":[{\"vector\":[1,2,3]},{\"vector\":[1,2,3]},{\"vector\":[1,2,3],\"filter\":{\"nope\":1}}]}", "queries[2].filter.nope"},
                    {"{\"queries\":[{\"vector\":[1,2]}]}", "queries[0].vector"},
                    {"{\"queries\":[{\"rank_by\":[\"nope\",\"asc\"]}]}", "queries[0].rank_by[0]"},
            };
            for (String[] c : bad) {
                JsonNode e = s.expect(400, "POST", ns + "/multi-search", c[0]).get("error");
                assertThat(e.get("path").asText()).as(c[0] + " -> " + e).isEqualTo(c[1]);
            }
            StringBuilder seventeen = new StringBuilder("{\"queries\":[");
            for (int i = 0; i < 17; i++) seventeen.append(i == 0 ? "" : ",").append("{\"vector\":[1,2,3]}");
            assertThat(s.expect(400, "POST", ns + "/multi-search", seventeen.append("]}").toString()).get("error").get("path").asText())
                    .isEqualTo("queries");
            s.expect(404, "POST", "/v1/namespaces/nothing-here/multi-search", "{\"queries\":[{\"vector\":[1,2,3]}]}");
        }
    }

    /**
     * Two writers upsert and delete documents (each upsert stamps {@code v} with a counter) while
     * the test sends multi-searches of four queries, each four times over: an aggregation (count,
     * max and sum of {@code v}), a rank_by {@code v} page, a BM25 search and a vector search, each
     * of whose answers changes with every write. In every batch the copies of a query must answer
     * the same, and the rank_by page's first {@code v} must be the aggregation's max: all 16 queries
     * read one state of each shard (API.md). Without the shard pins a write lands between two of
     * them within a few batches.
     */
    @Test
    void queriesOfOneBatchSeeOneStateWhileWritersWrite() throws Exception {
        try (TestServer s = TestServer.start(dir.resolve("n"))) {
            s.ok("PUT", "/v1/namespaces/racing", "{\"num_shards\":2,\"embedding_model\":null,\"distance_metric\":\"euclidean_squared\"}");
            race(s, s, "/v1/namespaces/racing", 40);
        }
    }

    /**
     * The same race on a grid of two nodes whose 4 shards are spread over both: writes through one
     * node, multi-searches through the other, which sends each owner one part with all 16 queries
     * (each of its shards read once for all of them).
     */
    @Test
    void queriesOfOneBatchSeeOneStateOfEachShardOnAGrid() throws Exception {
        Path store = dir.resolve("store");
        try (TestServer n1 = GridTest.node(dir, "g1", store, null)) {
            try (TestServer n2 = GridTest.node(dir, "g2", store, "127.0.0.1:" + n1.node.ports().discovery())) {
                n1.ok("PUT", "/v1/namespaces/gracing", "{\"num_shards\":4,\"embedding_model\":null,\"distance_metric\":\"euclidean_squared\"}");
                GridTest.awaitSpread(List.of(n1, n2), 4);
                assertThat(n1.node.engine().servedShards()).as("shards on node 1").isNotEmpty();
                assertThat(n2.node.engine().servedShards()).as("shards on node 2").isNotEmpty();
                race(n1, n2, "/v1/namespaces/gracing", 25);
            }
        }
    }

    /**
     * Two writers upsert and delete documents through {@code writeVia} (each upsert stamps
     * {@code v} with a counter) while the test sends, through {@code readVia}, {@code rounds}
     * multi-searches of four queries, each four times over: an aggregation (count, max and sum of
     * {@code v}), a rank_by {@code v} page, a BM25 search and a vector search, each of whose answers
     * changes with every write. In every batch the copies of a query must answer the same, and the
     * rank_by page's first {@code v} must be the aggregation's max: all 16 queries read one state
     * of each shard (API.md). Without the shard pins a write lands between two of them within a
     * few batches.
     */
    static void race(TestServer writeVia, TestServer readVia, String ns, int rounds) throws Exception {
        AtomicLong stamp = new AtomicLong();
        StringBuilder seed = new StringBuilder("{\"upsert_rows\":[");
        for (int i = 0; i < 100; i++) seed.append(i == 0 ? "" : ",").append(row(i, stamp.incrementAndGet()));
        writeVia.ok("POST", ns + "/upsert", seed.append("]}").toString());

        String[] kinds = {
                "{\"aggregate_by\":{\"n\":[\"count\"],\"top\":[\"max\",\"v\"],\"sum\":[\"sum\",\"v\"]}}",
                "{\"rank_by\":[\"v\",\"desc\"],\"top_k\":5,\"include_metadata\":[\"v\"]}",
                "{\"text\":\"common\",\"mode\":\"bm25\",\"top_k\":8,\"include_metadata\":[\"v\"]}",
                "{\"vector\":[0.5,0.5,0.5],\"top_k\":8,\"include_metadata\":[\"v\"]}"};
        ArrayNode qs = TestServer.JSON.createArrayNode();
        for (int i = 0; i < 16; i++) qs.add(TestServer.JSON.readTree(kinds[i % kinds.length]));
        ObjectNode body = TestServer.JSON.createObjectNode();
        body.set("queries", qs);

        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> writerFailed = new AtomicReference<>();
        AtomicLong writes = new AtomicLong();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            Thread t = new Thread(() -> {
                try {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    while (!stop.get()) {
                        String req;
                        String route;
                        if (r.nextInt(5) == 0) {
                            route = "/batch-delete";
                            req = "{\"deletes\":[" + r.nextInt(200) + "]}";
                        } else {
                            route = "/upsert";
                            StringBuilder b = new StringBuilder("{\"upsert_rows\":[");
                            int first = r.nextInt(200);
                            int n = 1 + r.nextInt(3);
                            for (int k = 0; k < n; k++) b.append(k == 0 ? "" : ",").append(row((first + k) % 200, stamp.incrementAndGet()));
                            req = b.append("]}").toString();
                        }
                        var res = writeVia.call("POST", ns + route, req);
                        int status = res.statusCode();
                        if (status != 200 && status != 429) throw new AssertionError(route + " " + req + " answered " + status + ": " + res.body());
                        if (status == 200) writes.incrementAndGet();
                    }
                } catch (Throwable e) {
                    writerFailed.compareAndSet(null, e);
                }
            }, "writer-" + w);
            t.start();
            writers.add(t);
        }
        int changed = 0;
        JsonNode previous = null;
        try {
            for (int round = 0; round < rounds && writerFailed.get() == null; round++) {
                JsonNode results = readVia.ok("POST", ns + "/multi-search", body.toString()).get("results");
                assertThat(results.size()).isEqualTo(16);
                for (int i = kinds.length; i < 16; i++)
                    assertThat(withoutTime(results.get(i))).as("round %d: query %d against its first copy %d (%s)", round, i,
                            i % kinds.length, kinds[i % kinds.length]).isEqualTo(withoutTime(results.get(i % kinds.length)));
                assertThat(results.get(1).get("matches").get(0).get("metadata").get("v").asLong()).as("round %d: rank_by's first v against max v", round)
                        .isEqualTo(results.get(0).get("aggregations").get("top").asLong());
                if (previous != null && !withoutTime(previous.get(0)).equals(withoutTime(results.get(0)))) changed++;
                previous = results;
            }
        } finally {
            stop.set(true);
            for (Thread t : writers) t.join();
        }
        assertThat(writerFailed.get()).isNull();
        assertThat(writes.get()).isGreaterThan(rounds);
        assertThat(changed).as("batches that saw other writes than the batch before (the writers ran alongside)").isGreaterThan(rounds / 10);
    }

    /** A row for {@code id} stamped {@code v}: its text and vector change with the stamp too. */
    private static String row(int id, long v) {
        double x = (v % 97) / 97.0;
        return "{\"id\":" + id + ",\"v\":" + v + ",\"text\":\"common w" + v + "\",\"vector\":[" + x + "," + (1 - x) + "," + ((v % 13) / 13.0) + "]}";
    }
}
