package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.client.Document;
import io.tamter.client.Patch;
import io.tamter.client.Row;
import io.tamter.client.SearchRequest;
import io.tamter.client.SearchResult;
import io.tamter.client.TamterClient;
import io.tamter.client.TamterException;
import io.tamter.client.WriteResult;
import io.tamter.client.wire.Envelope;
import io.tamter.client.wire.Op;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text search over HTTP with the real embedding model (semantic, BM25, hybrid), and the same
 * operations from a JVM application through the Ignite thin client ({@link TamterClient}).
 */
class ThinClientAndTextTest {
    @TempDir
    Path dir;

    @Test
    void textSearchModesAndTheThinClientSeeTheSameData() throws Exception {
        try (TestServer s = TestServer.start(dir.resolve("n"))) {
            String ns = "/v1/namespaces/docs";
            s.ok("POST", ns + "/upsert", """
                    {"upsert_rows":[
                      {"id":"a","text":"The quick brown fox jumps over the lazy dog","kind":"animal"},
                      {"id":"b","text":"Stock markets fell sharply on interest rate fears","kind":"finance"},
                      {"id":"c","text":"A fox was seen hunting mice in the snowy field","kind":"animal"}]}""");
            JsonNode sem = s.ok("POST", ns + "/search", "{\"text\":\"wild foxes\",\"top_k\":2}");
            assertThat(sem.get("matches").get(0).get("id").asText()).isIn("a", "c");
            assertThat(sem.get("matches").get(0).has("dist")).isTrue();
            JsonNode bm = s.ok("POST", ns + "/search", "{\"text\":\"interest rate\",\"mode\":\"bm25\",\"top_k\":3}");
            assertThat(bm.get("matches")).hasSize(1);
            assertThat(bm.get("matches").get(0).get("id").asText()).isEqualTo("b");
            JsonNode hy = s.ok("POST", ns + "/search",
                    "{\"text\":\"fox\",\"mode\":\"hybrid\",\"top_k\":3,\"filter\":{\"kind\":\"animal\"},\"include_text\":true}");
            assertThat(hy.get("matches")).hasSize(2);
            for (JsonNode m : hy.get("matches")) assertThat(m.get("text").asText()).containsIgnoringCase("fox");

            try (TamterClient c = TamterClient.connect("127.0.0.1:" + s.clientPort)) {
                WriteResult up = c.upsert("docs", Row.of("d").text("Central banks raise interest rates again").attr("kind", "finance"));
                assertThat(up.inserted()).isEqualTo(1);
                assertThat(up.operationId()).startsWith("op-");
                SearchResult found = c.search("docs", SearchRequest.text("interest rates").mode(SearchRequest.Mode.BM25).topK(5));
                assertThat(found.ids()).containsExactlyInAnyOrder("b", "d");
                assertThat(found.matches().get(0).attributes().get("kind")).isEqualTo("finance");
                SearchResult animals = c.search("docs", SearchRequest.text("fox").mode(SearchRequest.Mode.HYBRID).topK(3)
                        .filter(Map.of("kind", "animal")).includeText(true));
                assertThat(animals.ids()).containsExactlyInAnyOrder("a", "c");
                assertThat(animals.matches().get(0).text()).containsIgnoringCase("fox");
                // a typed error: status, code and the JSON path of API.md's error body
                assertThatThrownBy(() -> c.upsert("docs", List.of(Row.of("e").vector(1, 2))))
                        .isInstanceOfSatisfying(TamterException.class, e -> {
                            assertThat(e.httpStatus()).isEqualTo(400);
                            assertThat(e.code()).isEqualTo("invalid_vector_dimensions");
                            assertThat(e.path()).isEqualTo("upsert_rows[0].vector");
                        });
                assertThatThrownBy(() -> c.namespace("nope")).isInstanceOfSatisfying(TamterException.class,
                        e -> assertThat(e.httpStatus()).isEqualTo(404));
                // patch (a missing id is listed, not created), get, delete, namespaces
                WriteResult p = c.patch("docs", Patch.of("d").set("kind", "banking"), Patch.of("zz").set("kind", "x"));
                assertThat(p.updated()).isEqualTo(1);
                assertThat(p.errors()).extracting(WriteResult.RowError::id).containsExactly("zz");
                Document d = c.getDocument("docs", "d").orElseThrow();
                assertThat(d.attributes()).containsEntry("kind", "banking");
                assertThat(d.text()).startsWith("Central banks");
                assertThat(c.getDocument("docs", "zz")).isEmpty();
                assertThat(c.namespaces()).contains("docs");
                assertThat(c.namespace("docs").approxRowCount()).isEqualTo(4);
                // v1.1: rank_by pages, aggregations, multi-search and update-by-filter through the thin client
                SearchResult page1 = c.search("docs", SearchRequest.rankBy("kind", false).topK(2));
                assertThat(page1.nextCursor()).isNotNull();
                SearchResult page2 = c.search("docs", SearchRequest.rankBy("kind", false).topK(2).cursor(page1.nextCursor()));
                assertThat(page2.nextCursor()).isNull();
                List<Object> all = new java.util.ArrayList<>(page1.ids());
                all.addAll(page2.ids());
                assertThat(all).containsExactlyInAnyOrder("a", "b", "c", "d");
                List<SearchResult> both = c.multiSearch("docs", List.of(SearchRequest.aggregations().aggregate("n", "count", null).groupBy("kind"),
                        SearchRequest.text("fox").mode(SearchRequest.Mode.HYBRID).rrfK(1).weights(1, 0).topK(1)));
                assertThat(both).hasSize(2);
                assertThat(both.get(0).json().get("aggregation_groups").size()).isGreaterThan(1);
                assertThat(both.get(1).matches()).hasSize(1);
                WriteResult ubf = c.updateByFilter("docs", "{\"kind\":\"banking\"}", Map.of("reviewed", true));
                assertThat(ubf.updated()).isEqualTo(1);
                assertThat(c.getDocument("docs", "d").orElseThrow().attributes()).containsEntry("reviewed", true);
                // the raw escape hatch: a number beyond a double is refused, not sent on as the string "Infinity"
                Envelope.Response inf = c.call(Op.BATCH_DELETE, "docs", Envelope.JSON.readTree("{\"deletes\":[1e400]}"), Map.of());
                assertThat(inf.httpStatus()).isEqualTo(400);
                assertThat(inf.body().get("error").get("code").asText()).isEqualTo("invalid_number");
                assertThatThrownBy(() -> c.upsert("docs", Row.of("f").vector(1, Float.NaN, 3)))
                        .isInstanceOfSatisfying(TamterException.class, e -> assertThat(e.code()).isEqualTo("invalid_number"));
                assertThat(c.delete("docs", "zz2").deleted()).isZero();
            }
            // what the thin client wrote is visible over HTTP
            assertThat(s.ok("GET", ns + "/documents/d", null).get("document").get("metadata").get("kind").asText()).isEqualTo("banking");
        }
    }
}
