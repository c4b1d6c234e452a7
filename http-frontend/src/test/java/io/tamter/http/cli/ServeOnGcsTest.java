package io.tamter.http.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tamter.node.objectstore.GcsTestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tamter serve --object-store gs://bucket/prefix} as a child JVM running the real command,
 * with {@code STORAGE_EMULATOR_HOST} pointing at the GCS test server in this JVM: the command line
 * and the environment convention select the GCS store, and an acked write is in the bucket. Without
 * {@code --join} the node finds its grid through the bucket: it registers its discovery address there
 * while it runs and removes it when it stops cleanly.
 */
class ServeOnGcsTest {
    @TempDir
    Path dir;

    @Test
    void serveKeepsItsSourceOfTruthInTheBucketTheUriNames() throws Exception {
        assertThat(ServeCommand.objectStoreUri("gs://b-1/p")).isEqualTo(URI.create("gs://b-1/p"));
        assertThat(ServeCommand.objectStoreUri("rel/dir").getScheme()).as("a bare path is a local directory").isEqualTo("file");

        try (GcsTestServer gcs = new GcsTestServer().createBucket("tamter-cli")) {
            Path data = dir.resolve("data");
            Path out = dir.resolve("serve.log");
            int port = ServeCrashTest.freePort();
            String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            int gridPort = ServeCrashTest.freePort();
            List<String> cmd = new ArrayList<>(List.of(java));
            Path opts = Path.of(System.getProperty("tamter.root", ".."), "jvm.options");
            if (Files.exists(opts)) cmd.add("@" + opts);
            cmd.addAll(List.of("-Xmx512m", "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"), "-cp", System.getProperty("java.class.path"),
                    TamterMain.class.getName(), "serve", "--data", data.toString(), "--port", Integer.toString(port),
                    "--object-store", "gs://tamter-cli/deploy",
                    "--set", "grid.discovery_port=" + gridPort, "--set", "grid.communication_port=" + ServeCrashTest.freePort(),
                    "--set", "grid.client_port=" + ServeCrashTest.freePort()));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().put("STORAGE_EMULATOR_HOST", gcs.endpoint().substring("http://".length()));
            String registration = "deploy/~grid/discovery/127.0.0.1_" + gridPort;
            Process p = pb.start();
            try {
                ServeCrashTest.waitListening(p, out);
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + "/v1/namespaces/cli/upsert"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"upsert_rows\":[{\"id\":1,\"vector\":[1,2,3]}]}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(gcs.blob("tamter-cli", "deploy/cli/meta.json")).as("namespace settings in the bucket").isNotNull();
                assertThat(Files.exists(data.resolve("objects"))).as("no local object store").isFalse();
                // --object-store without --join: the node registered its discovery address in the bucket
                assertThat(gcs.blob("tamter-cli", registration)).as("discovery registration in the bucket").isNotNull();
                assertThat(Files.readString(out)).contains("object store discovery under ~grid/discovery/");
            } finally {
                p.destroy(); // SIGTERM: drains, writes a final checkpoint to the bucket
                if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
            }
            assertThat(gcs.blob("tamter-cli", registration)).as("unregistered at the clean stop").isNull();
            assertThat(Files.readString(out)).contains("GcsObjectStore[gs://tamter-cli/deploy/ at " + gcs.endpoint() + "]");
            assertThat(gcs.unhandled()).isEmpty();
        }
    }
}
