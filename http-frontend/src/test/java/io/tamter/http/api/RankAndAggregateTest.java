package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * API.md v1.1 over HTTP on a namespace of 4 shards holding 10,000 documents: {@code rank_by}
 * pages (every document exactly once, in the order the test computes itself: value, missing
 * last, ties by id) for int, float, string and datetime attributes, both directions, with and
 * without a filter; {@code aggregate_by} with and without {@code group_by} and filters against a
 * brute-force computation over the same random data; and the 400s of the new fields.
 */
class RankAndAggregateTest {
    static final int N = 10_000;
    static final String NS = "/v1/namespaces/ranked";
    static final long BASE_MS = Instant.parse("2025-01-01T00:00:00Z").toEpochMilli();
    static final String[] NAMES = {"alpha", "beta", "gamma", "delta", "Epsilon", "zeta", "éta"};
    static final String[] CATS = {"a", "b", "c", "d"};

    @TempDir
    static Path dir;
    static TestServer s;
    /** The documents as written: id (Long or String) -> attributes (absent = missing). */
    static final Map<Object, Map<String, Object>> docs = new HashMap<>();

    @BeforeAll
    static void seed() throws Exception {
        s = TestServer.start(dir.resolve("n"));
        s.ok("PUT", NS, "{\"num_shards\":4,\"embedding_model\":null,\"schema\":{\"when\":{\"type\":\"datetime\"},"
                + "\"score\":{\"type\":\"float\"},\"price\":{\"type\":\"int\"},\"tags\":{\"type\":\"[]string\"}}}");
        Random r = new Random(42);
        for (int start = 0; start < N; start += 1000) {
            ArrayNode rows = TestServer.JSON.createArrayNode();
            for (int i = start; i < start + 1000; i++) {
                Object id = i % 3 == 0 ? (Object) ("d-" + i) : (Object) (long) i;
                Map<String, Object> a = new HashMap<>();
                ObjectNode row = rows.addObject();
                if (id instanceof Long l) row.put("id", l);
                else row.put("id", (String) id);
                if (i % 11 != 0) a.put("price", (long) r.nextInt(60) - 10); // many ties, some negative, some missing
                if (i % 7 != 0) a.put("score", Math.round(r.nextDouble() * 1000) / 10.0); // ties too
                if (i % 5 != 0) a.put("name", NAMES[r.nextInt(NAMES.length)]);
                if (i % 13 != 0) a.put("when", BASE_MS + r.nextInt(500) * 60_000L);
                if (i % 17 != 0) a.put("cat", CATS[r.nextInt(CATS.length)]);
                a.put("flag", r.nextBoolean());
                for (Map.Entry<String, Object> e : a.entrySet()) {
                    Object v = e.getValue();
                    if (e.getKey().equals("when"))
                        // datetimes written in both forms: epoch ms and ISO-8601 text
                        if (i % 2 == 0) row.put("when", (Long) v);
                        else row.put("when", Instant.ofEpochMilli((Long) v).toString());
                    else if (v instanceof Long l) row.put(e.getKey(), l);
                    else if (v instanceof Double d) row.put(e.getKey(), d);
                    else if (v instanceof Boolean b) row.put(e.getKey(), b);
                    else row.put(e.getKey(), (String) v);
                }
                docs.put(id, a);
            }
            ObjectNode body = TestServer.JSON.createObjectNode();
            body.set("upsert_rows", rows);
            s.ok("POST", NS + "/upsert", body.toString());
        }
        assertThat(s.ok("GET", NS, null).get("approx_row_count").asLong()).isEqualTo(N);
    }

    @AfterAll
    static void stop() throws Exception {
        if (s != null) s.close();
    }

    // ------------------------------------------------------------------ rank_by

    /** Id order of the engine: integer ids numerically, before string ids in UTF-8 byte order. */
    static int compareIds(Object a, Object b) {
        if (a instanceof Long x && b instanceof Long y) return Long.compareUnsigned(x, y);
        if (a instanceof Long) return -1;
        if (b instanceof Long) return 1;
        return java.util.Arrays.compare(((String) a).getBytes(StandardCharsets.UTF_8), ((String) b).getBytes(StandardCharsets.UTF_8));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static List<Object> expectedOrder(String attr, boolean desc, Predicate<Map<String, Object>> filter) {
        List<Object> ids = new ArrayList<>();
        for (Map.Entry<Object, Map<String, Object>> e : docs.entrySet()) if (filter.test(e.getValue())) ids.add(e.getKey());
        ids.sort((a, b) -> {
            Comparable x = (Comparable) docs.get(a).get(attr), y = (Comparable) docs.get(b).get(attr);
            if (x == null || y == null) {
                if (x != y) return x == null ? 1 : -1;
                return compareIds(a, b);
            }
            int c = x.compareTo(y);
            if (desc) c = -c;
            return c != 0 ? c : compareIds(a, b);
        });
        return ids;
    }

    static Object idOf(JsonNode id) {
        return id.isNumber() ? (Object) id.longValue() : id.asText();
    }

    /** Pages through a rank_by search; returns the ids in the order the pages gave them. */
    static List<Object> page(String attr, String dir, int topK, String filter) {
        List<Object> got = new ArrayList<>();
        String cursor = null;
        for (int pages = 0; pages < N + 2; pages++) {
            ObjectNode q = TestServer.JSON.createObjectNode();
            q.putArray("rank_by").add(attr).add(dir);
            q.put("top_k", topK);
            q.put("include_metadata", false);
            if (filter != null) q.set("filter", read(filter));
            if (cursor != null) q.put("cursor", cursor);
            JsonNode res = s.ok("POST", NS + "/search", q.toString());
            for (JsonNode m : res.get("matches")) {
                assertThat(m.has("score")).as("rank_by matches carry no score").isFalse();
                got.add(idOf(m.get("id")));
            }
            assertThat(res.has("next_cursor")).isTrue();
            if (res.get("next_cursor").isNull()) return got;
            assertThat(res.get("matches").size()).as("a page before the last is full").isEqualTo(topK);
            cursor = res.get("next_cursor").asText();
        }
        throw new AssertionError("paging did not end");
    }

    static JsonNode read(String json) {
        try {
            return TestServer.JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void pagingByAnIntAttributeReturnsEveryDocumentOnceInOrderBothWays() {
        for (String d : new String[] {"asc", "desc"}) {
            List<Object> got = page("price", d, 700, null);
            assertThat(new HashSet<>(got)).as("no document twice (" + d + ")").hasSize(got.size());
            assertThat(got).as("every document once, in order (" + d + ")").isEqualTo(expectedOrder("price", d.equals("desc"), a -> true));
        }
    }

    @Test
    void pagingByFloatStringAndDatetimeAttributesWithAFilter() {
        String filter = "{\"price\":{\"$lt\":5}}"; // about a quarter of the documents
        Predicate<Map<String, Object>> f = a -> a.get("price") != null && (Long) a.get("price") < 5;
        for (String attr : new String[] {"score", "name", "when", "flag"}) {
            for (String d : new String[] {"asc", "desc"}) {
                List<Object> want = expectedOrder(attr, d.equals("desc"), f);
                assertThat(want.size()).isGreaterThan(1000);
                assertThat(page(attr, d, 333, filter)).as(attr + " " + d).isEqualTo(want);
            }
        }
        // a page as big as the whole set: one page, next_cursor null
        JsonNode all = s.ok("POST", NS + "/search", "{\"rank_by\":[\"score\",\"asc\"],\"top_k\":10000,\"filter\":" + filter + "}");
        assertThat(all.get("next_cursor").isNull()).isTrue();
        assertThat(all.get("found").asInt()).isEqualTo(expectedOrder("score", false, f).size());
        // metadata of a rank_by match: the document's attributes
        JsonNode first = s.ok("POST", NS + "/search", "{\"rank_by\":[\"price\",\"desc\"],\"top_k\":1,\"include_metadata\":[\"price\"]}");
        Object id = idOf(first.get("matches").get(0).get("id"));
        assertThat(first.get("matches").get(0).get("metadata").get("price").asLong()).isEqualTo(docs.get(id).get("price"));
    }

    @Test
    void rankByRefusesBadFieldsWithTheirPath() {
        String cursor = s.ok("POST", NS + "/search", "{\"rank_by\":[\"price\",\"asc\"],\"top_k\":5}").get("next_cursor").asText();
        String[][] cases = {
                {"{\"rank_by\":[\"price\",\"up\"]}", "rank_by[1]"},
                {"{\"rank_by\":\"price\"}", "rank_by"},
                {"{\"rank_by\":[\"nope\",\"asc\"]}", "rank_by[0]"},
                {"{\"rank_by\":[\"tags\",\"asc\"]}", "rank_by[0]"},
                {"{\"rank_by\":[\"price\",\"asc\"],\"vector\":[1,2]}", "rank_by"},
                {"{\"rank_by\":[\"price\",\"asc\"],\"cursor\":\"garbage\"}", "cursor"},
                {"{\"rank_by\":[\"price\",\"asc\"],\"cursor\":\"1e30\"}", "cursor"},
                {"{\"rank_by\":[\"price\",\"asc\"],\"cursor\":17}", "cursor"},
                {"{\"rank_by\":[\"price\",\"desc\"],\"cursor\":\"" + cursor + "\"}", "cursor"},
                {"{\"rank_by\":[\"score\",\"asc\"],\"cursor\":\"" + cursor + "\"}", "cursor"},
                {"{\"cursor\":\"" + cursor + "\",\"aggregate_by\":{\"n\":[\"count\"]}}", "cursor"},
                {"{\"rank_by\":[\"price\",\"asc\"],\"mode\":\"bm25\"}", "mode"},
        };
        for (String[] c : cases) {
            JsonNode e = s.expect(400, "POST", NS + "/search", c[0]).get("error");
            assertThat(e.get("path").asText()).as(c[0] + " -> " + e).isEqualTo(c[1]);
        }
    }

    // ------------------------------------------------------------------ aggregate_by

    /** The brute-force answer: per group of {@code groupBy} values, count and sum/avg/min/max of price and score, max of when. */
    static Map<List<Object>, double[]> bruteForce(List<String> groupBy, Predicate<Map<String, Object>> filter) {
        Map<List<Object>, double[]> out = new HashMap<>();
        for (Map<String, Object> a : docs.values()) {
            if (!filter.test(a)) continue;
            List<Object> key = new ArrayList<>();
            for (String g : groupBy) key.add(a.get(g));
            // n, priceN, priceSum, priceMin, priceMax, scoreN, scoreSum, scoreMin, scoreMax, whenMax
            double[] t = out.computeIfAbsent(key, k -> new double[] {0, 0, 0, Double.MAX_VALUE, -Double.MAX_VALUE, 0, 0, Double.MAX_VALUE,
                    -Double.MAX_VALUE, -Double.MAX_VALUE});
            t[0]++;
            if (a.get("price") instanceof Long p) {
                t[1]++;
                t[2] += p;
                t[3] = Math.min(t[3], p);
                t[4] = Math.max(t[4], p);
            }
            if (a.get("score") instanceof Double sc) {
                t[5]++;
                t[6] += sc;
                t[7] = Math.min(t[7], sc);
                t[8] = Math.max(t[8], sc);
            }
            if (a.get("when") instanceof Long w) t[9] = Math.max(t[9], w);
        }
        return out;
    }

    static final String AGGS = "{\"n\":[\"count\"],\"total\":[\"sum\",\"price\"],\"avg_price\":[\"avg\",\"price\"],"
            + "\"min_price\":[\"min\",\"price\"],\"max_price\":[\"max\",\"price\"],\"avg_score\":[\"avg\",\"score\"],"
            + "\"sum_score\":[\"sum\",\"score\"],\"min_score\":[\"min\",\"score\"],\"max_score\":[\"max\",\"score\"],\"last\":[\"max\",\"when\"]}";

    static void assertGroup(JsonNode got, double[] t, String what) {
        assertThat(got.get("n").asLong()).as(what + " n").isEqualTo((long) t[0]);
        assertThat(got.get("total").isIntegralNumber()).as(what + " int sum is an integer").isTrue();
        assertThat(got.get("total").asLong()).as(what + " total").isEqualTo((long) t[2]);
        if (t[1] == 0) {
            assertThat(got.get("avg_price").isNull()).as(what).isTrue();
            assertThat(got.get("min_price").isNull()).as(what).isTrue();
        } else {
            assertThat(got.get("avg_price").asDouble()).as(what + " avg_price").isCloseTo(t[2] / t[1], org.assertj.core.data.Offset.offset(1e-9));
            assertThat(got.get("min_price").asLong()).as(what + " min_price").isEqualTo((long) t[3]);
            assertThat(got.get("max_price").asLong()).as(what + " max_price").isEqualTo((long) t[4]);
        }
        if (t[5] == 0) assertThat(got.get("avg_score").isNull()).as(what).isTrue();
        else {
            assertThat(got.get("avg_score").asDouble()).as(what + " avg_score").isCloseTo(t[6] / t[5], org.assertj.core.data.Offset.offset(1e-6));
            assertThat(got.get("sum_score").asDouble()).as(what + " sum_score").isCloseTo(t[6], org.assertj.core.data.Offset.offset(1e-6));
            assertThat(got.get("min_score").asDouble()).as(what + " min_score").isEqualTo(t[7]);
            assertThat(got.get("max_score").asDouble()).as(what + " max_score").isEqualTo(t[8]);
        }
        if (t[9] == -Double.MAX_VALUE) assertThat(got.get("last").isNull()).as(what).isTrue();
        else assertThat(got.get("last").asText()).as(what + " last").isEqualTo(Instant.ofEpochMilli((long) t[9]).toString());
    }

    @Test
    void ungroupedAggregationsEqualABruteForceComputation() {
        String[][] filters = {{null}, {"{\"cat\":\"b\"}"}, {"{\"price\":{\"$gte\":20},\"flag\":true}"}, {"{\"name\":\"no such name\"}"}};
        List<Predicate<Map<String, Object>>> preds = List.of(a -> true, a -> "b".equals(a.get("cat")),
                a -> a.get("price") instanceof Long p && p >= 20 && Boolean.TRUE.equals(a.get("flag")), a -> false);
        for (int i = 0; i < filters.length; i++) {
            String f = filters[i][0];
            JsonNode res = s.ok("POST", NS + "/search", "{\"aggregate_by\":" + AGGS + (f == null ? "" : ",\"filter\":" + f) + "}");
            assertThat(res.has("matches")).as("no matches without a vector, text or rank_by").isFalse();
            double[] t = bruteForce(List.of(), preds.get(i)).getOrDefault(List.of(),
                    new double[] {0, 0, 0, 0, 0, 0, 0, 0, 0, -Double.MAX_VALUE});
            assertGroup(res.get("aggregations"), t, "filter " + f);
        }
    }

    @Test
    void groupedAggregationsEqualABruteForceComputation() {
        for (String f : new String[] {null, "{\"price\":{\"$lt\":30}}"}) {
            Predicate<Map<String, Object>> pred = f == null ? a -> true : a -> a.get("price") instanceof Long p && p < 30;
            for (List<String> groupBy : List.of(List.of("cat"), List.of("cat", "flag"), List.of("name"))) {
                Map<List<Object>, double[]> want = bruteForce(groupBy, pred);
                String gb = TestServer.JSON.valueToTree(groupBy).toString();
                JsonNode res = s.ok("POST", NS + "/search", "{\"aggregate_by\":" + AGGS + ",\"group_by\":" + gb + ",\"top_k\":100"
                        + (f == null ? "" : ",\"filter\":" + f) + "}");
                JsonNode groups = res.get("aggregation_groups");
                assertThat(groups.size()).as(gb).isEqualTo(want.size());
                long prev = Long.MAX_VALUE;
                for (JsonNode g : groups) {
                    List<Object> key = new ArrayList<>();
                    for (String a : groupBy) {
                        JsonNode v = g.get(a);
                        key.add(v.isNull() ? null : v.isBoolean() ? (Object) v.booleanValue() : v.asText());
                    }
                    assertThat(want).as(gb + " group " + key).containsKey(key);
                    assertGroup(g, want.get(key), gb + " " + key);
                    assertThat(g.get("n").asLong()).as("largest first").isLessThanOrEqualTo(prev);
                    prev = g.get("n").asLong();
                }
            }
        }
        // top_k cuts the groups, largest first; missing values are the group null
        JsonNode top = s.ok("POST", NS + "/search", "{\"aggregate_by\":{\"n\":[\"count\"]},\"group_by\":[\"cat\"],\"top_k\":2}");
        assertThat(top.get("aggregation_groups").size()).isEqualTo(2);
        Map<List<Object>, double[]> all = bruteForce(List.of("cat"), a -> true);
        List<Long> counts = new ArrayList<>();
        for (double[] t : all.values()) counts.add((long) t[0]);
        counts.sort(Comparator.reverseOrder());
        assertThat(top.get("aggregation_groups").get(0).get("n").asLong()).isEqualTo(counts.get(0));
        JsonNode withNull = s.ok("POST", NS + "/search", "{\"aggregate_by\":{\"n\":[\"count\"]},\"group_by\":[\"cat\"]}");
        boolean sawNull = false;
        for (JsonNode g : withNull.get("aggregation_groups")) if (g.get("cat").isNull()) {
            sawNull = true;
            assertThat(g.get("n").asLong()).isEqualTo((long) all.get(java.util.Collections.singletonList(null))[0]);
        }
        assertThat(sawNull).isTrue();
    }

    @Test
    void aggregationsAlongsideRankByMatches() {
        JsonNode res = s.ok("POST", NS + "/search", "{\"rank_by\":[\"price\",\"asc\"],\"top_k\":3,\"aggregate_by\":{\"n\":[\"count\"]},"
                + "\"filter\":{\"cat\":\"a\"}}");
        assertThat(res.get("matches").size()).isEqualTo(3);
        assertThat(res.get("aggregations").get("n").asLong()).isEqualTo((long) bruteForce(List.of(), a -> "a".equals(a.get("cat"))).get(List.of())[0]);
    }

    @Test
    void aggregateByRefusesBadFieldsWithTheirPath() {
        String[][] cases = {
                {"{\"aggregate_by\":{}}", "aggregate_by"},
                {"{\"aggregate_by\":[\"count\"]}", "aggregate_by"},
                {"{\"aggregate_by\":{\"n\":[\"median\",\"price\"]}}", "aggregate_by.n[0]"},
                {"{\"aggregate_by\":{\"n\":[\"count\",\"price\"]}}", "aggregate_by.n"},
                {"{\"aggregate_by\":{\"s\":[\"sum\"]}}", "aggregate_by.s"},
                {"{\"aggregate_by\":{\"s\":[\"sum\",\"nope\"]}}", "aggregate_by.s[1]"},
                {"{\"aggregate_by\":{\"s\":[\"sum\",\"name\"]}}", "aggregate_by.s[1]"},
                {"{\"aggregate_by\":{\"s\":[\"avg\",\"when\"]}}", "aggregate_by.s[1]"},
                {"{\"aggregate_by\":{\"n\":[\"count\"]},\"group_by\":\"cat\"}", "group_by"},
                {"{\"aggregate_by\":{\"n\":[\"count\"]},\"group_by\":[\"cat\",\"cat\"]}", "group_by[1]"},
                {"{\"aggregate_by\":{\"n\":[\"count\"]},\"group_by\":[\"n\"]}", "group_by[0]"},
                {"{\"aggregate_by\":{\"n\":[\"count\"]},\"group_by\":[\"tags\"]}", "group_by[0]"},
                {"{\"aggregate_by\":{\"n\":[\"count\"]},\"group_by\":[\"nope\"]}", "group_by[0]"},
                {"{\"group_by\":[\"cat\"]}", "group_by"},
                {"{\"aggregate_by\":{\"n\":[\"count\"]},\"filter\":{\"price\":{\"$nope\":1}}}", "filter.price.$nope"},
        };
        for (String[] c : cases) {
            JsonNode e = s.expect(400, "POST", NS + "/search", c[0]).get("error");
            assertThat(e.get("path").asText()).as(c[0] + " -> " + e).isEqualTo(c[1]);
        }
    }
}
