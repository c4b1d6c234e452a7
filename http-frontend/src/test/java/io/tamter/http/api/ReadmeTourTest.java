package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.node.objectstore.GcsObjectStore;
import io.tamter.node.objectstore.GcsObjectStoreOptions;
import io.tamter.node.objectstore.GcsTestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's curl tour, run as written (only {@code localhost:8080} is pointed at this test's
 * server): every command must answer {@code "status":"ok"}, and the searches must find what the
 * tour says they find.
 */
public class ReadmeTourTest {
    @TempDir
    Path dir;

    @Test
    void theCurlTourWorksAsWritten() throws Exception {
        try (TestServer s = TestServer.start(dir.resolve("n"))) {
            runTour(dir, s.http.port());
        }
    }

    /** The same with the source of truth in a bucket ({@code --object-store gs://…}) of the GCS test server. */
    @Test
    void theCurlTourWorksOnGcs() throws Exception {
        try (GcsTestServer gcs = new GcsTestServer().createBucket("tamter-tour")) {
            GcsObjectStore store = new GcsObjectStore(GcsObjectStoreOptions.of("tamter-tour", "p").withHost(gcs.endpoint()));
            try (TestServer s = TestServer.start(dir.resolve("gcs"), Map.of(), store)) {
                runTour(dir, s.http.port());
            }
            assertThat(gcs.blob("tamter-tour", "p/tour/meta.json")).isNotNull();
            assertThat(gcs.unhandled()).isEmpty();
        }
    }

    /** Runs the tour against the REST API on {@code port} (a server, or a frontend: FrontendCommandTest) and checks its answers. */
    public static void runTour(Path dir, int port) throws Exception {
        Path readme = Path.of(System.getProperty("tamter.root", "..")).resolve("README.md");
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        int at = text.indexOf("## A five-minute tour");
        assertThat(at).as("README has the tour").isPositive();
        int from = text.indexOf("```sh\n", at) + 6;
        String script = text.substring(from, text.indexOf("```", from));
        assumeTrue(new ProcessBuilder("curl", "--version").start().waitFor() == 0, "curl is not installed");
        Path sh = dir.resolve("tour.sh");
        Files.writeString(sh, "set -euo pipefail\n" + script.replace("localhost:8080", "127.0.0.1:" + port));
        Process p = new ProcessBuilder("bash", sh.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        List<JsonNode> answers = new ArrayList<>();
        for (String line : out.split("\n")) if (!line.isBlank()) answers.add(TestServer.JSON.readTree(line));
        long commands = script.lines().filter(l -> l.startsWith("curl ")).count();
        assertThat(answers).hasSize((int) commands);
        for (JsonNode a : answers) assertThat(a.get("status").asText()).as(a.toString()).isEqualTo("ok");
        // semantic search: the charging pad first; BM25: the running shoes; the patch shows in the document
        assertThat(answers.get(1).get("matches").get(0).get("id").asText()).isEqualTo("p1");
        assertThat(answers.get(3).get("matches").get(0).get("id").asText()).isEqualTo("p3");
        assertThat(answers.get(6).get("document").get("metadata").get("price").asDouble()).isEqualTo(99.0);
        assertThat(answers.get(answers.size() - 1).get("approx_row_count").asInt()).isEqualTo(2);
    }
}
