package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code PATCH /v1/namespaces/{ns}/update-by-filter} over HTTP on a namespace of 3 shards: every
 * matching document is patched and nothing else; conditional writes then see the patched values
 * (optimistic concurrency on a version the filter update bumped); bad input is a 400 with its path
 * and changes nothing.
 */
class UpdateByFilterTest {
    @TempDir
    Path dir;

    static final String NS = "/v1/namespaces/ubf";

    static String export(TestServer s) {
        return s.ok("GET", NS + "/documents?limit=1000", null).get("documents").toString();
    }

    @Test
    void patchesTheMatchesAndConditionalWritesSeeThePatch() throws Exception {
        try (TestServer s = TestServer.start(dir.resolve("n"))) {
            s.ok("PUT", NS, "{\"num_shards\":3,\"embedding_model\":null}");
            StringBuilder sb = new StringBuilder("{\"upsert_rows\":[");
            Set<Integer> drafts = new HashSet<>();
            for (int i = 0; i < 90; i++) {
                boolean draft = i % 3 == 0;
                if (draft) drafts.add(i);
                sb.append(i == 0 ? "" : ",").append("{\"id\":").append(i).append(",\"vector\":[").append(i + 1).append(",1],\"version\":1,")
                        .append("\"status\":\"").append(draft ? "draft" : "live").append("\",\"text\":\"row ").append(i).append("\"}");
            }
            s.ok("POST", NS + "/upsert", sb.append("]}").toString());

            JsonNode u = s.ok("PATCH", NS + "/update-by-filter", "{\"filter\":{\"status\":\"draft\"},\"patch\":{\"version\":2,\"reviewed\":true}}");
            assertThat(u.get("updated").asInt()).isEqualTo(drafts.size());
            assertThat(u.get("operation_id").asText()).startsWith("op-");
            for (int i : new int[] {0, 1, 3, 4}) {
                JsonNode d = s.ok("GET", NS + "/documents/" + i + "?include_vectors=true", null).get("document");
                boolean draft = drafts.contains(i);
                assertThat(d.get("metadata").get("version").asInt()).as("doc " + i).isEqualTo(draft ? 2 : 1);
                assertThat(d.get("metadata").has("reviewed")).as("doc " + i).isEqualTo(draft);
                assertThat(d.get("metadata").get("status").asText()).isEqualTo(draft ? "draft" : "live");
                assertThat(d.get("text").asText()).isEqualTo("row " + i); // untouched
                assertThat(d.get("vector").get(0).asDouble()).isEqualTo(i + 1.0);
            }
            // the new attribute was added to the schema and is filterable
            assertThat(s.ok("POST", NS + "/search", "{\"aggregate_by\":{\"n\":[\"count\"]},\"filter\":{\"reviewed\":true}}")
                    .get("aggregations").get("n").asInt()).isEqualTo(drafts.size());

            // optimistic concurrency: version 2 goes only where the stored version is below it, so the
            // drafts the filter update bumped to 2 are skipped and the others are applied
            StringBuilder rows = new StringBuilder("{\"condition\":{\"version\":{\"$lt\":{\"$ref_new\":\"version\"}}},\"patch_rows\":[");
            for (int i = 0; i < 90; i++) rows.append(i == 0 ? "" : ",").append("{\"id\":").append(i).append(",\"version\":2,\"touched\":true}");
            JsonNode c = s.ok("PATCH", NS + "/conditional-update", rows.append("]}").toString());
            assertThat(c.get("updated").asInt()).isEqualTo(90 - drafts.size());
            assertThat(c.get("skipped").asInt()).isEqualTo(drafts.size());
            assertThat(c.get("condition_met").asBoolean()).isFalse();
            // a conditional delete on the attribute the filter update set deletes exactly the drafts
            StringBuilder ids = new StringBuilder("{\"condition\":{\"reviewed\":true},\"deletes\":[");
            for (int i = 0; i < 90; i++) ids.append(i == 0 ? "" : ",").append(i);
            assertThat(s.ok("DELETE", NS + "/conditional-delete", ids.append("]}").toString()).get("deleted").asInt()).isEqualTo(drafts.size());
            // null removes an attribute; the removed value matches no filter afterwards
            assertThat(s.ok("PATCH", NS + "/update-by-filter", "{\"filter\":{\"touched\":true},\"patch\":{\"touched\":null,\"text\":\"new\"}}")
                    .get("updated").asInt()).isEqualTo(90 - drafts.size());
            assertThat(s.ok("PATCH", NS + "/update-by-filter", "{\"filter\":{\"touched\":true},\"patch\":{\"x\":1}}").get("updated").asInt()).isZero();
            assertThat(s.ok("GET", NS + "/documents/1", null).get("document").get("text").asText()).isEqualTo("new");
            assertThat(s.ok("POST", NS + "/search", "{\"text\":\"new\",\"mode\":\"bm25\",\"top_k\":100}").get("matches").size())
                    .as("the patched text is indexed").isEqualTo(90 - drafts.size());

            // bad input: a 400 with the path, and nothing changes
            String before = export(s);
            String schemaBefore = s.ok("GET", NS + "/schema", null).toString();
            String[][] bad = {
                    {"{\"patch\":{\"a\":1}}", "filter"},
                    {"{\"filter\":{\"status\":\"live\"}}", "patch"},
                    {"{\"filter\":{\"status\":\"live\"},\"patch\":{}}", "patch"},
                    {"{\"filter\":{\"status\":\"live\"},\"patch\":[1]}", "patch"},
                    {"{\"filter\":{\"status\":\"live\"},\"patch\":{\"id\":5}}", "patch.id"},
                    {"{\"filter\":{\"status\":\"live\"},\"patch\":{\"vector\":[1,2]}}", "patch.vector"},
                    {"{\"filter\":{\"status\":\"live\"},\"patch\":{\"version\":\"two\",\"newattr\":1}}", "patch.version"},
                    {"{\"filter\":{\"status\":\"live\"},\"patch\":{\"$bad\":1}}", "patch.$bad"},
                    {"{\"filter\":{\"status\":{\"$nope\":1}},\"patch\":{\"newattr\":1}}", "filter.status.$nope"},
                    {"{\"filter\":{\"nope\":1},\"patch\":{\"newattr\":1}}", "filter.nope"},
                    {"{\"filter\":{\"status\":\"live\"},\"patch\":{\"newattr\":1},\"condition\":{}}", "condition"},
            };
            for (String[] b : bad) {
                JsonNode e = s.expect(400, "PATCH", NS + "/update-by-filter", b[0]).get("error");
                assertThat(e.get("path").asText()).as(b[0] + " -> " + e).isEqualTo(b[1]);
            }
            assertThat(export(s)).isEqualTo(before);
            assertThat(s.ok("GET", NS + "/schema", null).toString()).isEqualTo(schemaBefore);
            s.expect(405, "GET", NS + "/update-by-filter", null);
            // a missing namespace is not left behind by a rejected update
            s.expect(400, "PATCH", "/v1/namespaces/ubf-new/update-by-filter", "{\"filter\":{\"a\":1},\"patch\":{\"b\":1}}");
            s.expect(404, "GET", "/v1/namespaces/ubf-new", null);
        }
    }
}
