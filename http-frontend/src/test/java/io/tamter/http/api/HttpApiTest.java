package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.config.Params;
import io.tamter.config.Settings;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REST API against a real server (Ignite node + engine + Javalin) through a real HTTP client. */
class HttpApiTest {
    @TempDir
    static Path dir;
    static TestServer s;

    @BeforeAll
    static void start() throws Exception {
        s = TestServer.start(dir.resolve("node"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (s != null) s.close();
    }

    static String rows(int from, int to) {
        StringBuilder sb = new StringBuilder("{\"upsert_rows\":[");
        for (int i = from; i < to; i++) {
            if (i > from) sb.append(',');
            sb.append("{\"id\":").append(i).append(",\"vector\":[").append(1 + i % 7).append(',').append(1 + i % 5).append(',')
              .append(1 + i % 3).append(',').append(i).append("],\"metadata\":{\"group\":\"g").append(i % 3).append("\",\"n\":").append(i)
              .append("}}");
        }
        return sb.append("]}").toString();
    }

    @Test
    void writeRoutesChangeWhatReadRoutesSee() {
        String ns = "/v1/namespaces/crud";
        JsonNode w = s.ok("POST", ns + "/upsert", rows(0, 30));
        assertThat(w.get("inserted").asInt()).isEqualTo(30);
        assertThat(w.get("operation_id").asText()).startsWith("op-");
        assertThat(w.get("errors")).isEmpty();

        JsonNode info = s.ok("GET", ns, null);
        assertThat(info.get("approx_row_count").asLong()).isEqualTo(30);
        assertThat(info.get("dimensions").asInt()).isEqualTo(4);
        assertThat(info.get("distance_metric").asText()).isEqualTo("cosine_distance");

        JsonNode doc = s.ok("GET", ns + "/documents/7", null).get("document");
        assertThat(doc.get("id").isIntegralNumber()).isTrue();
        assertThat(doc.get("metadata").get("n").asInt()).isEqualTo(7);
        s.expect(404, "GET", ns + "/documents/999", null);

        // search: vector + filter + include_metadata list; /query is the same route
        String q = "{\"vector\":[1,2,3,4],\"top_k\":5,\"filter\":{\"group\":\"g1\"},\"include_metadata\":[\"n\"],\"include_vectors\":true}";
        JsonNode r = s.ok("POST", ns + "/search", q);
        assertThat(r.get("found").asInt()).isEqualTo(5);
        for (JsonNode m : r.get("matches")) {
            assertThat(m.get("id").asInt() % 3).isEqualTo(1);
            assertThat(m.get("metadata").fieldNames()).toIterable().containsExactly("n");
            assertThat(m.get("vector")).hasSize(4);
            assertThat(m.get("score").asDouble()).isCloseTo(1 - m.get("dist").asDouble(), org.assertj.core.data.Offset.offset(1e-5));
        }
        assertThat(s.ok("POST", ns + "/query", q).get("matches")).isEqualTo(r.get("matches"));

        // patch: one existing id, one missing (listed in errors, not created)
        JsonNode p = s.ok("PATCH", ns + "/update", "{\"patch_rows\":[{\"id\":1,\"n\":100},{\"id\":555,\"n\":1}]}");
        assertThat(p.get("updated").asInt()).isEqualTo(1);
        assertThat(p.get("errors")).hasSize(1);
        assertThat(p.get("errors").get(0).get("code").asText()).isEqualTo("not_found");
        assertThat(s.ok("GET", ns + "/documents/1", null).get("document").get("metadata").get("n").asInt()).isEqualTo(100);
        s.expect(404, "GET", ns + "/documents/555", null);

        // conditional upsert: optimistic concurrency with $ref_new
        String cond = "\"condition\":{\"n\":{\"$lt\":{\"$ref_new\":\"n\"}}}";
        JsonNode c1 = s.ok("POST", ns + "/conditional-upsert", "{\"upsert_rows\":[{\"id\":2,\"vector\":[1,1,1,1],\"n\":1}]," + cond + "}");
        assertThat(c1.get("condition_met").asBoolean()).isFalse();
        assertThat(c1.get("skipped").asInt()).isEqualTo(1);
        JsonNode c2 = s.ok("POST", ns + "/conditional-upsert", "{\"upsert_rows\":[{\"id\":2,\"vector\":[1,1,1,1],\"n\":50}]," + cond + "}");
        assertThat(c2.get("updated").asInt()).isEqualTo(1);
        assertThat(c2.get("condition_met").asBoolean()).isTrue();
        // the short condition form of API.md
        JsonNode cu = s.ok("PATCH", ns + "/conditional-update",
                "{\"patch_rows\":[{\"id\":3,\"n\":7},{\"id\":4,\"n\":7}],\"condition\":{\"field\":\"n\",\"operator\":\"gt\",\"value\":3}}");
        assertThat(cu.get("updated").asInt()).isEqualTo(1);
        assertThat(cu.get("skipped").asInt()).isEqualTo(1);
        JsonNode cd = s.ok("DELETE", ns + "/conditional-delete", "{\"deletes\":[5,6],\"condition\":{\"n\":{\"$eq\":5}}}");
        assertThat(cd.get("deleted").asInt()).isEqualTo(1);

        // batch delete by DELETE and by POST
        assertThat(s.ok("DELETE", ns + "/batch-delete", "{\"deletes\":[8,9]}").get("deleted").asInt()).isEqualTo(2);
        assertThat(s.ok("POST", ns + "/batch-delete", "{\"deletes\":[10]}").get("deleted").asInt()).isEqualTo(1);
        s.expect(404, "GET", ns + "/documents/8", null);
        // filter delete
        JsonNode fd = s.ok("POST", ns + "/filter-delete", "{\"filter\":{\"group\":\"g2\"}}");
        assertThat(fd.get("deleted").asInt()).isGreaterThan(0);
        JsonNode after = s.ok("POST", ns + "/search", "{\"vector\":[1,2,3,4],\"top_k\":100,\"filter\":{\"group\":\"g2\"}}");
        assertThat(after.get("found").asInt()).isZero();
        assertThat(s.ok("GET", ns, null).get("approx_row_count").asLong()).isEqualTo(30 - 1 - 3 - fd.get("deleted").asInt());
    }

    @Test
    void schemaRoutes() {
        String ns = "/v1/namespaces/schema-ns";
        s.ok("POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":\"a\",\"vector\":[1,0],\"title\":\"red fox\"}]}");
        JsonNode schema = s.ok("GET", ns + "/schema", null).get("schema");
        assertThat(schema.get("title").get("type").asText()).isEqualTo("string");
        JsonNode set = s.ok("PUT", ns + "/schema", "{\"title\":{\"type\":\"string\",\"full_text_search\":true}}");
        assertThat(set.get("schema").get("title").get("full_text_search")).isNotNull();
        JsonNode bad = s.expect(400, "POST", ns + "/schema", "{\"title\":{\"type\":\"int\"}}");
        assertThat(bad.get("error").get("message").asText()).contains("title");
        assertThat(s.ok("GET", ns + "/schema", null).get("schema").get("title").get("type").asText()).isEqualTo("string");
        s.expect(404, "GET", "/v1/namespaces/never-written/schema", null);
    }

    @Test
    void listingPagesThroughNamespacesAndDeleteRemovesThem() {
        for (String n : List.of("page-a", "page-b", "page-c"))
            s.ok("POST", "/v1/namespaces/" + n + "/upsert", "{\"upsert_rows\":[{\"id\":1,\"vector\":[1,2]}]}");
        List<String> seen = new ArrayList<>();
        String cursor = "";
        for (int i = 0; i < 10; i++) {
            JsonNode page = s.ok("GET", "/v1/namespaces?prefix=page-&page_size=2&cursor=" + cursor, null);
            page.get("namespaces").forEach(x -> seen.add(x.get("name").asText()));
            if (page.get("next_cursor").isNull()) break;
            cursor = page.get("next_cursor").asText();
        }
        assertThat(seen).containsExactly("page-a", "page-b", "page-c");
        s.expect(400, "GET", "/v1/namespaces?page_size=0", null);
        JsonNode del = s.ok("DELETE", "/v1/namespaces/page-b", null);
        assertThat(del.get("operation_id").asText()).startsWith("op-");
        s.expect(404, "GET", "/v1/namespaces/page-b", null);
        s.expect(404, "DELETE", "/v1/namespaces/page-b", null);
        s.expect(404, "POST", "/v1/namespaces/page-b/search", "{\"vector\":[1,2]}");
    }

    @Test
    void textSearchWhereTextCannotBeSearchedNamesTheCause() {
        String ns = "/v1/namespaces/vectors-only";
        s.ok("POST", ns + "/upsert", rows(0, 12)); // 4-d client vectors, no text
        // semantic text search: the cause (client vectors, a 384-d model), on the field the user sent
        for (String body : List.of("{\"text\":\"red fox\"}", "{\"text\":\"red fox\",\"mode\":\"vector\"}",
                "{\"text\":\"red fox\",\"mode\":\"hybrid\"}")) {
            JsonNode e = s.expect(400, "POST", ns + "/search", body).get("error");
            assertThat(e.get("code").asText()).as(body).isEqualTo("invalid_request");
            assertThat(e.get("path").asText()).as(body).isEqualTo("text");
            assertThat(e.get("message").asText()).as(body)
                    .contains("4-dimensional vectors given by the client", "all-minilm-l6-v2 makes 384", "mode bm25")
                    .doesNotContain("query has");
        }
        // bm25 where no document has text: says so instead of an empty answer
        JsonNode e = s.expect(400, "POST", ns + "/search", "{\"text\":\"red fox\",\"mode\":\"bm25\"}").get("error");
        assertThat(e.get("code").asText()).isEqualTo("invalid_request");
        assertThat(e.get("path").asText()).isEqualTo("mode");
        assertThat(e.get("message").asText()).contains("no document in this namespace has one");
        // a vector search there is fine, and bm25 that matches nothing where text exists is an empty answer
        assertThat(s.ok("POST", ns + "/search", "{\"vector\":[1,2,3,4],\"top_k\":3}").get("matches")).hasSize(3);
        String texts = "/v1/namespaces/with-text";
        s.ok("POST", texts + "/upsert", "{\"upsert_rows\":[{\"id\":1,\"text\":\"the quick red fox\"}]}");
        assertThat(s.ok("POST", texts + "/search", "{\"text\":\"zebra\",\"mode\":\"bm25\"}").get("matches")).isEmpty();
        assertThat(s.ok("POST", texts + "/search", "{\"text\":\"fox\",\"mode\":\"bm25\"}").get("matches")).hasSize(1);
        // a namespace created without a model: semantic text search names that, on text; bm25 works
        String bm25Only = "/v1/namespaces/bm25-only";
        s.ok("PUT", bm25Only, "{\"embedding_model\":null}");
        s.ok("POST", bm25Only + "/upsert", "{\"upsert_rows\":[{\"id\":1,\"text\":\"the quick red fox\"}]}");
        assertThat(s.ok("GET", bm25Only, null).get("embedding_model").isNull()).isTrue();
        for (String mode : List.of("vector", "hybrid")) {
            JsonNode m = s.expect(400, "POST", bm25Only + "/search", "{\"text\":\"fox\",\"mode\":\"" + mode + "\"}").get("error");
            assertThat(m.get("path").asText()).as(mode).isEqualTo("text");
            assertThat(m.get("message").asText()).as(mode).contains("has no embedding model", "mode bm25").doesNotContain("dimensions");
        }
        assertThat(s.ok("POST", bm25Only + "/search", "{\"text\":\"fox\",\"mode\":\"bm25\"}").get("matches")).hasSize(1);
    }

    @Test
    void controlCharactersInIdsAreRefusedOnEveryRouteNamingTheIdPath() {
        String ns = "/v1/namespaces/control-ids";
        s.ok("POST", ns + "/upsert", rows(0, 3));
        String cond = ",\"condition\":{\"n\":{\"$gte\":0}}";
        record Case(String method, String route, String body, String path) {}
        List<Case> cases = List.of(
                new Case("POST", "/upsert", "{\"upsert_rows\":[{\"id\":1,\"vector\":[1,2,3,4]},{\"id\":\"a\\u0000b\",\"vector\":[1,2,3,4]}]}",
                        "upsert_rows[1].id"),
                new Case("POST", "/upsert-columns", "{\"upsert_columns\":{\"id\":[\"ok\",\"x\\u001f\"],\"vector\":[[1,2,3,4],[1,2,3,4]]}}",
                        "upsert_columns.id[1]"),
                new Case("PATCH", "/update", "{\"patch_rows\":[{\"id\":\"\\u0000\",\"n\":1}]}", "patch_rows[0].id"),
                new Case("PATCH", "/update-columns", "{\"patch_columns\":{\"id\":[0,\"y\\u007f\"],\"n\":[1,2]}}", "patch_columns.id[1]"),
                new Case("DELETE", "/batch-delete", "{\"deletes\":[0,\"z\\n\"]}", "deletes[1]"),
                new Case("POST", "/conditional-upsert", "{\"upsert_rows\":[{\"id\":\"c\\u0001\",\"vector\":[1,2,3,4]}]" + cond + "}",
                        "upsert_rows[0].id"),
                new Case("PATCH", "/conditional-update", "{\"patch_rows\":[{\"id\":\"c\\t\",\"n\":5}]" + cond + "}", "patch_rows[0].id"),
                new Case("DELETE", "/conditional-delete", "{\"deletes\":[\"\\u001b[31m\"]" + cond + "}", "deletes[0]"));
        for (Case c : cases) {
            JsonNode e = s.expect(400, c.method(), ns + c.route(), c.body()).get("error");
            assertThat(e.get("code").asText()).as(c.route()).isEqualTo("invalid_id");
            assertThat(e.get("path").asText()).as(c.route()).isEqualTo(c.path());
            assertThat(e.get("message").asText()).as(c.route()).contains("control characters");
        }
        JsonNode e = s.expect(400, "GET", ns + "/documents/a%01b", null).get("error");
        assertThat(e.get("code").asText()).isEqualTo("invalid_id");
        assertThat(e.get("path").asText()).isEqualTo("id");
        // an encoded NUL never reaches the route: Jetty refuses that URI itself, also with a 400
        assertThat(s.expect(400, "GET", ns + "/documents/a%00b", null).get("error").get("code").asText()).isEqualTo("bad_http_request");
        // nothing changed: the three documents, untouched
        assertThat(s.ok("GET", ns, null).get("approx_row_count").asLong()).isEqualTo(3);
        for (int i = 0; i < 3; i++)
            assertThat(s.ok("GET", ns + "/documents/" + i, null).get("document").get("metadata").get("n").asInt()).isEqualTo(i);
    }

    @Test
    void rawVectorNamespacesReportNoModelAndNoTextSchema() {
        String ns = "/v1/namespaces/raw-vectors";
        s.ok("POST", ns + "/upsert", rows(0, 5)); // 4-d client vectors: the 384-d default model can never serve them
        JsonNode info = s.ok("GET", ns, null);
        assertThat(info.get("embedding_model").isNull()).as(info.toString()).isTrue();
        assertThat(info.get("schema").has("text")).as(info.toString()).isFalse();
        assertThat(info.get("schema").fieldNames()).toIterable().contains("group", "n");
        // text given with vectors is BM25-indexed there: then the text attribute is real and listed
        s.ok("POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":100,\"vector\":[1,1,1,1],\"text\":\"red fox\"}]}");
        info = s.ok("GET", ns, null);
        assertThat(info.get("embedding_model").isNull()).isTrue();
        assertThat(info.get("schema").get("text").get("type").asText()).as(info.toString()).isEqualTo("string");
        // a namespace whose vectors come from text keeps its model and text schema
        String texts = "/v1/namespaces/text-vectors";
        s.ok("POST", texts + "/upsert", "{\"upsert_rows\":[{\"id\":1,\"text\":\"the quick red fox\"}]}");
        info = s.ok("GET", texts, null);
        assertThat(info.get("embedding_model").asText()).isEqualTo("all-minilm-l6-v2");
        assertThat(info.get("dimensions").asInt()).isEqualTo(384);
        assertThat(info.get("schema").has("text")).isTrue();
    }

    @Test
    void badRequestsAre4xxWithCodeAndChangeNothing() {
        String ns = "/v1/namespaces/strict";
        s.ok("POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":1,\"vector\":[1,2,3]}]}");
        record Case(String method, String path, String body, int status, String code) {}
        List<Case> cases = List.of(
                new Case("POST", ns + "/upsert", "{\"upsert_rows\":[", 400, "invalid_json"),
                new Case("POST", ns + "/upsert", "", 400, "invalid_json"),
                new Case("POST", ns + "/upsert", "[1,2]", 400, "invalid_json"),
                new Case("POST", ns + "/upsert", "{\"upsert_rows\":[]} trailing", 400, "invalid_json"),
                new Case("POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":2,\"id\":3,\"vector\":[1,2,3]}]}", 400, "invalid_json"),
                new Case("POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":2,\"vector\":[1,NaN,3]}]}", 400, "invalid_json"),
                new Case("POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":2,\"vector\":[1,1e999,3]}]}", 400, "invalid_number"),
                new Case("POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":2,\"vector\":[1,2]}]}", 400, "invalid_vector_dimensions"),
                new Case("POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":2,\"vector\":[1,2,3]},{\"id\":2,\"vector\":[1,2,3]}]}", 400, "duplicate_id"),
                new Case("POST", ns + "/upsert", "{\"upsert_rowz\":[]}", 400, "invalid_request"),
                new Case("POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":2,\"vector\":[1,2,3],\"$bad\":1}]}", 400, null),
                new Case("POST", ns + "/conditional-upsert", "{\"upsert_rows\":[{\"id\":2,\"vector\":[1,2,3]}]}", 400, "invalid_request"),
                new Case("POST", ns + "/search", "{\"vector\":[1,2,3],\"filter\":{\"x\":{\"$regex\":\"a\"}}}", 400, null),
                new Case("POST", ns + "/search", "{\"vector\":[1,2,3],\"top_k\":100000}", 400, "invalid_request"),
                new Case("POST", ns + "/search", "{\"vector\":[1,2,3],\"bogus\":1}", 400, "invalid_request"),
                new Case("POST", "/v1/namespaces/bad%20name/upsert", "{\"upsert_rows\":[]}", 400, "invalid_namespace"),
                new Case("POST", "/v1/namespaces/..%2F..%2Fetc/upsert", "{\"upsert_rows\":[]}", 400, "invalid_namespace"),
                new Case("POST", "/v1/namespaces/" + "x".repeat(129) + "/upsert", "{\"upsert_rows\":[]}", 400, "invalid_namespace"),
                new Case("POST", "/v1/namespaces/missing-ns/search", "{\"vector\":[1,2,3]}", 404, "namespace_not_found"),
                new Case("PUT", ns + "/upsert", "{}", 405, "method_not_allowed"),
                new Case("GET", "/v1/nothing-here", null, 404, "not_found"));
        for (Case c : cases) {
            JsonNode b = s.expect(c.status, c.method, c.path, c.body);
            assertThat(b.get("status").asText()).as(c.toString()).isEqualTo("error");
            assertThat(b.get("error").get("message").asText()).as(c.toString()).isNotBlank();
            assertThat(b.get("error").get("trace_id").asText()).as(c.toString()).isNotBlank();
            if (c.code != null) assertThat(b.get("error").get("code").asText()).as(c.toString()).isEqualTo(c.code);
            else assertThat(b.get("error").get("code").asText()).as(c.toString()).isNotBlank();
        }
        // nothing changed: one document, and no namespace was created by the rejected writes
        assertThat(s.ok("GET", ns, null).get("approx_row_count").asLong()).isEqualTo(1);
        s.expect(404, "GET", ns + "/documents/2", null);
        JsonNode names = s.ok("GET", "/v1/namespaces?prefix=missing", null).get("namespaces");
        assertThat(names).isEmpty();
        // a rejected first write to a new namespace does not leave the namespace behind
        s.expect(400, "POST", "/v1/namespaces/born-bad/upsert", "{\"upsert_rows\":[{\"id\":1,\"vector\":[1,2]},{\"id\":1,\"vector\":[1,2]}]}");
        s.expect(404, "GET", "/v1/namespaces/born-bad", null);
        // the path of a row error names the row
        JsonNode dims = s.expect(400, "POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":5,\"vector\":[1,2,3]},{\"id\":6,\"vector\":[1]}]}");
        assertThat(dims.get("error").get("path").asText()).isEqualTo("upsert_rows[1].vector");
    }

    @Test
    void numbersBeyondADoubleAndLoneSurrogatesAreRefusedNotRewritten() {
        String ns = "/v1/namespaces/unrepresentable";
        s.ok("POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":\"Infinity\",\"vector\":[1,2]},{\"id\":\"?\",\"vector\":[2,1]}]}");
        // 1e400 used to reach the owning node as the string "Infinity" and delete that document
        JsonNode inf = s.expect(400, "DELETE", ns + "/batch-delete", "{\"deletes\":[1e400]}");
        assertThat(inf.get("error").get("code").asText()).isEqualTo("invalid_number");
        assertThat(inf.get("error").get("path").asText()).isEqualTo("deletes[0]");
        // an escaped lone surrogate used to be stored as "?", overwriting the document with id "?"
        JsonNode sur = s.expect(400, "POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":\"\\ud800\",\"vector\":[5,5]}]}");
        assertThat(sur.get("error").get("code").asText()).isEqualTo("invalid_string");
        assertThat(sur.get("error").get("path").asText()).isEqualTo("upsert_rows[0].id");
        JsonNode vec = s.expect(400, "POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":3,\"vector\":[1,-1e999]}]}");
        assertThat(vec.get("error").get("path").asText()).isEqualTo("upsert_rows[0].vector[1]");
        assertThat(s.ok("GET", ns, null).get("approx_row_count").asLong()).isEqualTo(2);
        assertThat(s.ok("GET", ns + "/documents/%3F?include_vectors=true", null).get("document").get("vector").get(0).asDouble()).isEqualTo(2.0);
        // a pair written as two escapes is one character, and fine
        s.ok("POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":\"\\ud83d\\ude00\",\"vector\":[1,1]}]}");
        assertThat(s.ok("GET", ns + "/documents/%F0%9F%98%80", null).get("document").get("id").asText()).isEqualTo("\uD83D\uDE00");
    }

    @Test
    void aStringIdOfDigitsBeyondU64CanBeFetched() {
        String ns = "/v1/namespaces/digit-ids";
        s.ok("POST", ns + "/upsert", "{\"upsert_rows\":[{\"id\":\"18446744073709551616\",\"vector\":[1,2]},"
                + "{\"id\":\"99999999999999999999\",\"vector\":[2,1]},{\"id\":18446744073709551615,\"vector\":[1,1]}]}");
        // the path has lost the JSON type: digits that are no u64 can only be the string id
        assertThat(s.ok("GET", ns + "/documents/18446744073709551616", null).get("document").get("id").isTextual()).isTrue();
        assertThat(s.ok("GET", ns + "/documents/99999999999999999999", null).get("document").get("id").asText()).isEqualTo("99999999999999999999");
        assertThat(s.ok("GET", ns + "/documents/18446744073709551615", null).get("document").get("id").isIntegralNumber()).isTrue();
        s.expect(404, "GET", ns + "/documents/18446744073709551617", null);
    }

    @Test
    void requestsJettyRefusesGetTheJsonErrorBody() {
        // an undecodable percent escape never reaches a handler; the JDK client would refuse to send it, so use a socket
        for (String path : List.of("/v1/namespaces/%zz", "/v1/namespaces/corpus%00/upsert")) {
            String res = rawGet(path);
            assertThat(res).as(path).startsWith("HTTP/1.1 400");
            assertThat(res).as(path).contains("application/json").contains("\"code\":\"bad_http_request\"").contains("\"trace_id\"");
        }
    }

    static String rawGet(String path) {
        try (java.net.Socket sock = new java.net.Socket("127.0.0.1", s.http.port())) {
            sock.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            return new String(sock.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void oversizedBodiesGet413() throws Exception {
        try (TestServer small = TestServer.start(dir.resolve("small"), Map.of(Params.HTTP_MAX_BODY_BYTES.key(), "2048"))) {
            JsonNode b = small.expect(413, "POST", "/v1/namespaces/big/upsert", "{\"upsert_rows\":[" + "1,".repeat(2000) + "1]}");
            assertThat(b.get("error").get("code").asText()).isEqualTo("payload_too_large");
            small.expect(404, "GET", "/v1/namespaces/big", null);
        }
    }

    @Test
    void everyResponseCarriesATraceId() {
        HttpResponse<String> r = s.call("GET", "/health", null, "X-Trace-Id", "abc-123");
        assertThat(r.headers().firstValue("X-Trace-Id")).contains("abc-123");
        HttpResponse<String> r2 = s.call("GET", "/v1/namespaces/none-such", null);
        assertThat(r2.headers().firstValue("X-Trace-Id")).isPresent();
        assertThat(r2.body()).contains(r2.headers().firstValue("X-Trace-Id").get());
    }

    @Test
    void serviceRoutes() {
        s.ok("GET", "/health", null);
        s.ok("GET", "/ready", null);
        s.ok("POST", "/v1/namespaces/metered/upsert", "{\"upsert_rows\":[{\"id\":1,\"vector\":[1,2]}]}");
        HttpResponse<String> m = s.call("GET", "/metrics", null);
        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(m.body()).contains("tamter_http_requests_seconds_bucket").contains("route=\"/v1/namespaces/{ns}/upsert\"")
                .contains("jvm_memory_used_bytes").contains("tamter_documents").contains("tamter_index_live_vectors")
                .contains("tamter_wal_uncheckpointed_records").contains("tamter_index_pending_tasks")
                .contains("tamter_index_unindexed_bytes");
    }

    @Test
    void openApiDescribesExactlyTheServedRoutes() {
        JsonNode spec = s.expect(200, "GET", "/openapi.json", null);
        Set<String> documented = new HashSet<>();
        spec.get("paths").fields().forEachRemaining(p -> p.getValue().fieldNames()
                .forEachRemaining(m -> documented.add(m.toUpperCase(java.util.Locale.ROOT) + " " + p.getKey())));
        Set<String> served = new HashSet<>(s.http.servedRoutes());
        assertThat(documented).isEqualTo(served);
        assertThat(served).contains("POST /v1/namespaces/{ns}/upsert", "DELETE /v1/namespaces/{ns}/batch-delete",
                "POST /v1/namespaces/{ns}/batch-delete", "GET /v1/namespaces/{ns}/documents/{id}");
    }

    @Test
    void aServerWithoutKeysRefusesToBindBeyondLoopback() {
        Settings open = Settings.defaults().withText(Params.HTTP_HOST.key(), "0.0.0.0");
        assertThatThrownBy(() -> new HttpServer(open, r -> null, () -> true, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("api_keys");
    }
}
