package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.compute.Op;
import io.tamter.compute.OpResponse;
import io.tamter.compute.TamterClient;
import java.nio.file.Path;
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
                OpResponse up = c.upsert("docs", "{\"upsert_rows\":[{\"id\":\"d\",\"text\":\"Central banks raise interest rates again\",\"kind\":\"finance\"}]}");
                assertThat(up.httpStatus()).isEqualTo(200);
                assertThat(up.body().get("operation_id").asText()).startsWith("op-");
                OpResponse found = c.search("docs", "{\"text\":\"interest rates\",\"mode\":\"bm25\",\"top_k\":5}");
                assertThat(found.body().get("matches")).hasSize(2);
                OpResponse bad = c.execute(Op.UPSERT, "docs", "{\"upsert_rows\":[{\"id\":\"e\",\"vector\":[1,2]}]}");
                assertThat(bad.httpStatus()).isEqualTo(400);
                assertThat(bad.body().get("error").get("code").asText()).isEqualTo("invalid_vector_dimensions");
                assertThat(c.execute(Op.GET_NAMESPACE, "nope", "{}").httpStatus()).isEqualTo(404);
                // a number beyond a double is refused, not sent on as the string "Infinity"
                OpResponse inf = c.execute(Op.BATCH_DELETE, "docs", "{\"deletes\":[1e400]}");
                assertThat(inf.httpStatus()).isEqualTo(400);
                assertThat(inf.body().get("error").get("code").asText()).isEqualTo("invalid_number");
            }
            // what the thin client wrote is visible over HTTP
            assertThat(s.ok("GET", ns + "/documents/d", null).get("document").get("metadata").get("kind").asText()).isEqualTo("finance");
        }
    }
}
