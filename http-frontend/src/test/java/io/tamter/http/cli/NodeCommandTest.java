package io.tamter.http.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tamter node}: a grid node without REST joins a {@code tamter serve} on the same object
 * store, owns shards and serves them; the server's {@code GET /v1/cluster} lists both nodes, and a
 * namespace of 6 shards created over REST is written and searched through the server whatever node
 * owns its shards.
 */
class NodeCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aNodeWithoutRestJoinsAndServesShards() throws Exception {
        Path store = dir.resolve("store");
        int gridA = ServeCrashTest.freePort(), gridB = ServeCrashTest.freePort(), http = ServeCrashTest.freePort();
        String join = "127.0.0.1:" + gridA + ",127.0.0.1:" + gridB;
        List<String> common = List.of("--object-store", store.toUri().toString(), "--join", join,
                "--set", "grid.communication_port=" + ServeCrashTest.freePort(), "--set", "grid.client_port=" + ServeCrashTest.freePort());
        Path outA = dir.resolve("serve.log"), outB = dir.resolve("node.log");
        List<String> a = new ArrayList<>(common);
        a.addAll(List.of("--grid-port", Integer.toString(gridA)));
        Process serve = ServeCrashTest.start(dir.resolve("a"), http, a, outA);
        Process node = null;
        try {
            ServeCrashTest.waitListening(serve, outA);
            node = startNode(dir.resolve("b"), gridB, common, outB);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            // the whole line: the process may be caught between writing its start and its end
            while (!Files.readString(outB, StandardCharsets.UTF_8).matches("(?s).*tamter: node [^\n]*\n.*")) {
                if (!node.isAlive()) throw new AssertionError("tamter node exited: " + Files.readString(outB));
                if (System.nanoTime() > end) throw new AssertionError("tamter node did not start: " + Files.readString(outB));
                Thread.sleep(100);
            }
            assertThat(Files.readString(outB, StandardCharsets.UTF_8)).contains("no REST").contains("2 server node(s)");
            HttpClient c = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + http;
            call(c, "PUT", base + "/v1/namespaces/n", "{\"num_shards\":6,\"distance_metric\":\"euclidean_squared\",\"embedding_model\":null}");
            StringBuilder rows = new StringBuilder("{\"upsert_rows\":[");
            for (int i = 0; i < 60; i++) rows.append(i > 0 ? "," : "").append("{\"id\":").append(i).append(",\"vector\":[").append(i).append(",1]}");
            assertThat(call(c, "POST", base + "/v1/namespaces/n/upsert", rows.append("]}").toString()).get("inserted").asInt()).isEqualTo(60);
            JsonNode top = call(c, "POST", base + "/v1/namespaces/n/search", "{\"vector\":[41,1],\"top_k\":3}");
            assertThat(top.get("matches").get(0).get("id").asInt()).isEqualTo(41);
            JsonNode cluster = call(c, "GET", base + "/v1/cluster", null);
            assertThat(cluster.get("nodes")).hasSize(2);
            int ownedByNode = 0;
            List<String> https = new java.util.ArrayList<>();
            for (JsonNode n : cluster.get("nodes")) {
                https.add(n.get("http").isNull() ? null : n.get("http").asText());
                assertThat(n.get("address").asText()).as("the node's discovery address").matches("127\\.0\\.0\\.1:\\d+");
                if (n.get("http").isNull()) ownedByNode = n.get("shards").asInt(); // tamter node serves no REST
            }
            assertThat(https).as("the server's REST URL, none for tamter node").containsExactlyInAnyOrder(base, null);
            for (JsonNode sh : cluster.get("shards")) assertThat(sh.get("state").asText()).isIn("serving", "opening", "moving", "idle");
            System.out.printf("NodeCommandTest: the REST-less node owns %d of 6 shards%n", ownedByNode);
            assertThat(call(c, "GET", base + "/v1/namespaces/n", null).get("approx_row_count").asInt()).isEqualTo(60);
        } finally {
            for (Process p : new Process[] {node, serve}) {
                if (p == null || !p.isAlive()) continue;
                p.destroy();
                if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
            }
        }
    }

    static JsonNode call(HttpClient c, String method, String url, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = c.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(method + " " + url + ": " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    static Process startNode(Path data, int gridPort, List<String> extra, Path out) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java));
        Path opts = Path.of(System.getProperty("tamter.root", ".."), "jvm.options");
        if (Files.exists(opts)) cmd.add("@" + opts);
        cmd.addAll(List.of("-Xmx1g", "-cp", System.getProperty("java.class.path"), TamterMain.class.getName(), "node", "--data", data.toString(),
                "--grid-port", Integer.toString(gridPort)));
        cmd.addAll(extra);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    }
}
