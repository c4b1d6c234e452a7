package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.node.objectstore.GcsObjectStore;
import io.tamter.node.objectstore.GcsObjectStoreOptions;
import io.tamter.node.objectstore.GcsTestServer;
import io.tamter.node.objectstore.ObjectInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server with its source of truth in GCS ({@code tamter serve --object-store gs://…}), against
 * the GCS test server: writes land in the bucket, and a node with an empty data directory serves
 * them again from the bucket alone.
 */
class GcsServeTest {
    @TempDir
    Path tmp;

    private static GcsObjectStore store(GcsTestServer gcs) {
        return new GcsObjectStore(GcsObjectStoreOptions.of("tamter-serve", "deploy").withHost(gcs.endpoint())
                .withRetries(3, Duration.ofMillis(5), Duration.ofMillis(50)));
    }

    @Test
    void aNodeWithAnEmptyDataDirectoryServesWhatTheBucketHolds() throws Exception {
        String ns = "/v1/namespaces/cloud";
        String query = "{\"vector\":[1,2,3,4],\"top_k\":5,\"filter\":{\"group\":\"g1\"},\"include_metadata\":[\"n\"]}";
        JsonNode before;
        try (GcsTestServer gcs = new GcsTestServer().createBucket("tamter-serve")) {
            Path first = tmp.resolve("first");
            try (TestServer s = TestServer.start(first, Map.of(), store(gcs))) {
                assertThat(s.ok("POST", ns + "/upsert", HttpApiTest.rows(0, 30)).get("inserted").asInt()).isEqualTo(30);
                before = s.ok("POST", ns + "/search", query).get("matches");
                assertThat(before).hasSize(5);
            }
            assertThat(first.resolve("objects")).as("no local object store beside the bucket").doesNotExist();
            try (GcsObjectStore look = store(gcs)) {
                List<String> keys = look.list("cloud/").stream().map(ObjectInfo::key).toList();
                assertThat(keys).contains("cloud/meta.json").anyMatch(k -> k.contains("/wal/") || k.endsWith("manifest.json"));
            }
            assertThat(gcs.blob("tamter-serve", "deploy/cloud/meta.json")).as("under the URI's prefix").isNotNull();

            Path second = tmp.resolve("second");
            try (TestServer s = TestServer.start(second, Map.of(), store(gcs))) {
                assertThat(s.ok("GET", ns, null).get("approx_row_count").asLong()).isEqualTo(30);
                assertThat(s.ok("GET", ns + "/documents/7", null).get("document").get("metadata").get("n").asInt()).isEqualTo(7);
                assertThat(s.ok("POST", ns + "/search", query).get("matches")).isEqualTo(before);
            }
            assertThat(gcs.unhandled()).isEmpty();
        }
        assertThat(Files.exists(tmp.resolve("second/objects"))).isFalse();
    }
}
