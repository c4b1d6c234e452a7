package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.HandlerType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The served {@code /openapi.json} against the server: a tour that answers every route once with
 * 200 and once with an error, each answer (and each request answered 200) validated by
 * {@link TestServer#call} against the spec fetched from the server ({@link SpecValidator}); the spec's own request and response examples
 * and the product's examples ({@code ../shared/design/examples}) against its schemas.
 */
class OpenApiSpecTest {
    @TempDir
    static Path dir;
    static TestServer s;

    @BeforeAll
    static void start() throws Exception {
        s = TestServer.start(dir.resolve("srv"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (s != null) s.close();
    }

    static final String NS = "/v1/namespaces/tour";

    @Test
    void everyRouteAnswersAsTheSpecSaysWithSuccessAndWithAnError() {
        s.ok("PUT", NS, """
                {"num_shards":2,"distance_metric":"cosine_distance","embedding_model":null,
                 "schema":{"kind":{"type":"string","filterable":true},"price":{"type":"float","filterable":true}}}""");
        s.expect(400, "PUT", "/v1/namespaces/bad-create", "{\"num_shards\":\"two\"}");
        StringBuilder rows = new StringBuilder("{\"upsert_rows\":[");
        for (int i = 1; i <= 12; i++)
            rows.append(i > 1 ? "," : "").append("{\"id\":").append(i).append(",\"vector\":[").append(i).append(",1,").append(12 - i)
                    .append("],\"text\":\"red shoe number ").append(i).append("\",\"kind\":\"").append(i % 3 == 0 ? "a" : "b")
                    .append("\",\"price\":").append(i * 1.5).append('}');
        s.ok("POST", NS + "/upsert", rows.append("]}").toString());
        s.expect(400, "POST", NS + "/upsert", "{\"upsert_rows\":[{\"id\":1,\"vector\":[1,\"x\",2]}]}");
        s.ok("POST", NS + "/upsert-columns", "{\"upsert_columns\":{\"id\":[\"s1\",\"s2\"],\"vector\":[[1,2,3],[3,2,1]],\"kind\":[\"c\",null]}}");
        s.expect(400, "POST", NS + "/upsert-columns", "{\"upsert_columns\":{\"id\":[1],\"vector\":[[1,2]]},\"extra\":1}");
        JsonNode patched = s.ok("PATCH", NS + "/update", "{\"patch_rows\":[{\"id\":1,\"price\":2.5},{\"id\":999,\"price\":1}]}");
        assertThat(patched.get("errors")).hasSize(1); // the missing id: a row error in the body the spec describes
        s.expect(400, "PATCH", NS + "/update", "{\"patch_row\":[]}");
        s.ok("PATCH", NS + "/update-columns", "{\"patch_columns\":{\"id\":[2,3],\"price\":[3.5,4.5]}}");
        s.expect(400, "PATCH", NS + "/update-columns", "{\"patch_columns\":{\"id\":[2,3],\"price\":[3.5]}}");
        s.ok("POST", NS + "/conditional-upsert", "{\"upsert_rows\":[{\"id\":4,\"vector\":[4,1,8],\"price\":9}],\"condition\":{\"price\":{\"$lt\":100}}}");
        s.expect(400, "POST", NS + "/conditional-upsert", "{\"upsert_rows\":[{\"id\":4,\"vector\":[4,1,8]}]}");
        s.ok("PATCH", NS + "/conditional-update", "{\"patch_rows\":[{\"id\":5,\"kind\":\"a\"}],\"condition\":{\"kind\":\"b\"}}");
        s.expect(400, "PATCH", NS + "/conditional-update", "{\"patch_rows\":[{\"id\":5}],\"condition\":{\"kind\":{\"$bogus\":1}}}");
        s.ok("DELETE", NS + "/conditional-delete", "{\"deletes\":[11],\"condition\":{\"kind\":\"b\"}}");
        s.expect(400, "DELETE", NS + "/conditional-delete", "{\"deletes\":[11]}");
        s.ok("DELETE", NS + "/batch-delete", "{\"deletes\":[10]}");
        s.expect(400, "DELETE", NS + "/batch-delete", "{\"deletes\":[\"\"]}");
        s.ok("DELETE", NS + "/filter-delete", "{\"filter\":{\"price\":{\"$gt\":16}}}");
        s.expect(400, "DELETE", NS + "/filter-delete", "{}");
        s.ok("PATCH", NS + "/update-by-filter", "{\"filter\":{\"kind\":\"a\"},\"patch\":{\"price\":7}}");
        s.expect(400, "PATCH", NS + "/update-by-filter", "{\"filter\":{\"kind\":\"a\"}}");

        s.ok("POST", NS + "/schema", "{\"note\":{\"type\":\"string\",\"full_text_search\":true}}");
        s.expect(400, "POST", NS + "/schema", "{\"price\":{\"type\":\"string\"}}");
        s.ok("GET", NS + "/schema", null);
        s.expect(404, "GET", "/v1/namespaces/missing/schema", null);
        s.ok("GET", NS + "/encryption", null);
        s.expect(404, "GET", "/v1/namespaces/missing/encryption", null);
        s.ok("POST", NS + "/encryption", "{\"mode\":\"default\"}");
        s.expect(400, "POST", NS + "/encryption", "{\"mode\":\"bogus\"}");
        s.ok("POST", "/v1/namespaces/tour-copy/copy", "{\"source_namespace\":\"tour\"}");
        s.expect(400, "POST", "/v1/namespaces/tour-copy2/copy", "{}");

        s.ok("POST", NS + "/search", "{\"vector\":[1,1,1],\"top_k\":3,\"include_vectors\":true,\"include_text\":true}");
        s.ok("POST", NS + "/search", "{\"text\":\"red shoe\",\"mode\":\"bm25\",\"filter\":{\"kind\":\"b\"}}");
        s.ok("POST", NS + "/search", "{\"vector\":[1,1,1],\"text\":\"shoe\",\"mode\":\"hybrid\",\"rrf_k\":10,\"weights\":{\"vector\":1,\"bm25\":0.5}}");
        JsonNode page = s.ok("POST", NS + "/search", "{\"rank_by\":[\"price\",\"desc\"],\"top_k\":2}");
        s.ok("POST", NS + "/search", "{\"rank_by\":[\"price\",\"desc\"],\"top_k\":2,\"cursor\":\"" + page.get("next_cursor").asText() + "\"}");
        s.ok("POST", NS + "/search", "{\"aggregate_by\":{\"n\":[\"count\"],\"avg_price\":[\"avg\",\"price\"]}}");
        s.ok("POST", NS + "/search", "{\"aggregate_by\":{\"n\":[\"count\"],\"max_price\":[\"max\",\"price\"]},\"group_by\":[\"kind\"],\"consistency\":\"eventual\"}");
        s.expect(400, "POST", NS + "/search", "{\"vector\":[1,1,1],\"top_k\":0}");
        s.ok("POST", NS + "/query", "{\"vector\":[1,1,1]}");
        s.expect(400, "POST", NS + "/query", "{\"vectr\":[1,1,1]}");
        s.ok("POST", NS + "/multi-search", "{\"queries\":[{\"vector\":[1,1,1]},{\"aggregate_by\":{\"n\":[\"count\"]}}]}");
        s.expect(400, "POST", NS + "/multi-search", "{\"queries\":[]}");

        s.ok("GET", "/v1/namespaces?prefix=tour&page_size=1", null);
        s.expect(400, "GET", "/v1/namespaces?page_size=0", null);
        s.ok("GET", NS, null);
        s.expect(404, "GET", "/v1/namespaces/missing", null);
        s.ok("GET", NS + "/documents/2?include_vectors=true", null);
        s.expect(404, "GET", NS + "/documents/404", null);
        s.ok("GET", NS + "/documents?limit=2", null);
        s.expect(400, "GET", NS + "/documents?limit=zero", null);
        s.ok("POST", NS + "/warm", null);
        s.expect(404, "POST", "/v1/namespaces/missing/warm", null);
        s.ok("POST", NS + "/_debug/recall", "{\"num\":3,\"top_k\":2}");
        s.expect(400, "POST", NS + "/_debug/recall", "{\"num\":0}");
        s.ok("GET", "/v1/cluster", null);
        s.ok("POST", "/v1/namespaces/tour-metric/upsert", "{\"upsert_rows\":[{\"id\":1,\"vector\":[1,2]}]}");
        s.ok("POST", "/v1/namespaces/tour-metric/configure-metric", "{\"distance_metric\":\"euclidean_squared\"}");
        s.expect(400, "POST", "/v1/namespaces/tour-metric/configure-metric", "{\"distance_metric\":\"manhattan\"}");
        s.ok("DELETE", "/v1/namespaces/tour-copy", null);
        s.expect(404, "DELETE", "/v1/namespaces/tour-copy", null);

        s.ok("GET", "/health", null);
        s.ok("GET", "/ready", null);
        assertThat(s.call("GET", "/metrics", null).statusCode()).isEqualTo(200);
        s.expect(404, "GET", "/v1/no-such-route", null);
        s.expect(405, "PATCH", NS + "/search", "{}");

        List<String> missing = new ArrayList<>();
        for (Route r : Routes.API) {
            String m = r.methods().get(0).name();
            if (!s.validated.contains(m + " " + r.path() + " 200")) missing.add(m + " " + r.path() + " 200");
            if (r.op() != io.tamter.client.wire.Op.GET_CLUSTER && !s.validated.contains(m + " " + r.path() + " 4XX"))
                missing.add(m + " " + r.path() + " 4XX"); // the cluster view has no bad input (and no namespace to miss)
        }
        assertThat(missing).as("routes the tour did not validate").isEmpty();
        assertThat(s.validated).contains("GET /health 200", "GET /ready 200", "GET /metrics 200", "GET unrouted 4XX");
    }

    @Test
    void theServedSpecIsOpenApi31WithSchemasForEveryBody() {
        JsonNode spec = s.expect(200, "GET", "/openapi.json", null);
        assertThat(spec.get("openapi").asText()).isEqualTo("3.1.0");
        assertThat(spec.at("/components/schemas").size()).isGreaterThan(30);
        for (Route r : Routes.API)
            for (HandlerType m : r.methods()) {
                JsonNode op = spec.get("paths").get(r.path()).get(m.name().toLowerCase(Locale.ROOT));
                assertThat(op.at("/responses/200/content/application~1json/schema/$ref").asText()).as(m + " " + r.path())
                        .startsWith("#/components/schemas/");
                assertThat(op.at("/responses/4XX/content/application~1json/schema/$ref").asText()).isEqualTo("#/components/schemas/Error");
                if (r.jsonBody()) {
                    JsonNode body = op.at("/requestBody/content/application~1json");
                    assertThat(body.at("/schema/$ref").asText()).as(m + " " + r.path()).startsWith("#/components/schemas/");
                    assertThat(body.get("examples")).as("examples of " + m + " " + r.path()).isNotNull();
                }
            }
        List<String> refs = new ArrayList<>();
        collectRefs(spec, refs);
        for (String ref : refs) assertThat(spec.at(ref.substring(1)).isMissingNode()).as(ref).isFalse();
    }

    @Test
    void theSpecsExamplesMatchItsSchemas() {
        JsonNode spec = s.spec.spec;
        int checked = 0;
        for (Iterator<Map.Entry<String, JsonNode>> paths = spec.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> p = paths.next();
            for (Iterator<Map.Entry<String, JsonNode>> ops = p.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                List<JsonNode> media = new ArrayList<>();
                media.add(op.getValue().at("/requestBody/content/application~1json"));
                media.add(op.getValue().at("/responses/200/content/application~1json"));
                for (JsonNode m : media) {
                    if (!m.has("examples")) continue;
                    for (JsonNode ex : m.get("examples")) {
                        assertThat(s.spec.validate(m.get("schema"), ex.get("value"))).as(op.getKey() + " " + p.getKey() + " " + ex).isEmpty();
                        checked++;
                    }
                }
            }
        }
        assertThat(checked).isGreaterThan(25);
        for (JsonNode ex : spec.at("/components/schemas/Error/examples"))
            assertThat(s.spec.validate(s.spec.component("Error"), ex)).isEmpty();
    }

    @Test
    void theProductsExamplesMatchTheSpec() throws Exception {
        Path ex = ExamplesTest.examples();
        if (!Files.isDirectory(ex)) {
            System.err.println("OpenApiSpecTest: SKIPPING the product's examples: not found at " + ex.toAbsolutePath());
            org.junit.jupiter.api.Assumptions.abort("examples not found at " + ex);
        }
        int checked = 0;
        try (Stream<Path> files = Files.list(ex)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                JsonNode e = TestServer.JSON.readTree(f.toFile());
                if (!e.has("route")) continue;
                String[] route = e.get("route").asText().split(" ", 2);
                String template = s.spec.template(route[1]);
                assertThat(template).as(f.toString()).isNotNull();
                JsonNode schema = s.spec.spec.get("paths").get(template).get(route[0].toLowerCase(Locale.ROOT))
                        .at("/requestBody/content/application~1json/schema");
                assertThat(s.spec.validate(schema, e.get("request"))).as(f.toString()).isEmpty();
                checked++;
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(6);
    }

    @Test
    void theValidatorRefusesWhatTheSpecDoesNotSay() {
        JsonNode res = s.ok("POST", "/v1/namespaces/tour-neg/upsert", "{\"upsert_rows\":[{\"id\":1,\"vector\":[1,2]}]}");
        ObjectNode extra = ((ObjectNode) res.deepCopy()).put("surprise", 1);
        assertThat(s.spec.validate(s.spec.component("WriteResponse"), res)).isEmpty();
        assertThat(s.spec.validate(s.spec.component("WriteResponse"), extra)).isNotEmpty();
        assertThatThrownBy(() -> s.spec.check("POST", "/v1/namespaces/x/upsert", 200, "application/json", extra.toString()))
                .isInstanceOf(AssertionError.class).hasMessageContaining("surprise");
        assertThatThrownBy(() -> s.spec.check("POST", "/v1/namespaces/x/upsert", 400, "application/json", "{\"status\":\"error\"}"))
                .isInstanceOf(AssertionError.class);
        // a request body with a misspelt field: the spec refuses it as the server does
        assertThatThrownBy(() -> s.spec.checkAcceptedRequest("POST", "/v1/namespaces/x/upsert", "{\"upsert_row\":[]}"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("upsert_row");
        s.spec.checkAcceptedRequest("POST", "/v1/namespaces/x/upsert", "{\"upsert_rows\":[{\"id\":1,\"vector\":[1,2]}]}");
        assertThat(s.spec.validate(s.spec.component("UpsertRequest"), TestServer.JSON.createObjectNode().putArray("upsert_row"))).isNotEmpty();
        assertThat(s.spec.validate(s.spec.component("SearchRequest"), TestServer.JSON.createObjectNode().put("top_k", 0))).isNotEmpty();
    }

    private static void collectRefs(JsonNode n, List<String> out) {
        if (n.isObject()) n.properties().forEach(e -> {
            if (e.getKey().equals("$ref")) out.add(e.getValue().asText());
            else collectRefs(e.getValue(), out);
        });
        else if (n.isArray()) n.forEach(c -> collectRefs(c, out));
    }
}
