package io.tamter.http.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tamter.http.api.ReadmeTourTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tamter frontend}, as separate processes: two {@code tamter node} servers (no REST) share a
 * {@code file://} object store and find each other through it; a frontend (an Ignite client node)
 * joins them with {@code --join} and serves the whole REST API. The README's curl tour runs against the frontend as written (text
 * embedded on the servers); a namespace of 6 shards spread over both servers is written, searched
 * (vector and BM25), read and deleted from through it; {@code GET /v1/cluster} lists only the two
 * servers as nodes and shard owners, never the frontend; a second frontend finds the servers
 * through the object store ({@code --object-store}, no {@code --join}) and answers too; once the servers are gone the frontend's
 * {@code /ready} is false and a write is a 503 {@code grid_unavailable}; SIGTERM stops it cleanly.
 */
class FrontendCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void aFrontendServesTheApiFromTheServersAndHoldsNoShard() throws Exception {
        Path store = dir.resolve("store");
        int gridA = ServeCrashTest.freePort(), gridB = ServeCrashTest.freePort(), http = ServeCrashTest.freePort();
        String join = "127.0.0.1:" + gridA + ",127.0.0.1:" + gridB;
        Path outA = dir.resolve("nodeA.log"), outB = dir.resolve("nodeB.log"), outF = dir.resolve("frontend.log");
        Process a = null, b = null, f = null, f2 = null;
        try {
            a = NodeCommandTest.startNode(dir.resolve("a"), gridA, common(store), outA);
            awaitLine(a, outA, "tamter: node ");
            b = NodeCommandTest.startNode(dir.resolve("b"), gridB, common(store), outB);
            awaitLine(b, outB, "tamter: node ");
            f = startFrontend(http, List.of("--join", join, "--set", "grid.communication_port=" + ServeCrashTest.freePort()), outF);
            awaitLine(f, outF, "tamter: listening on");
            String log = Files.readString(outF, StandardCharsets.UTF_8);
            assertThat(log).contains("2 server node(s)").contains("no shards");
            Matcher m = Pattern.compile("frontend (frontend-[0-9a-f]+)").matcher(log);
            assertThat(m.find()).as(log).isTrue();
            String frontendId = m.group(1);
            String base = "http://127.0.0.1:" + http;
            assertThat(status("GET", base + "/ready")).isEqualTo(200);

            ReadmeTourTest.runTour(dir, http); // text upserts and searches: embedded on the servers

            call("PUT", base + "/v1/namespaces/spread", "{\"num_shards\":6,\"distance_metric\":\"euclidean_squared\",\"embedding_model\":null}");
            StringBuilder rows = new StringBuilder("{\"upsert_rows\":[");
            for (int i = 0; i < 60; i++)
                rows.append(i > 0 ? "," : "").append("{\"id\":").append(i).append(",\"vector\":[").append(i).append(",1],\"text\":\"row ")
                        .append(i).append(i == 41 ? " needle" : "").append("\"}");
            assertThat(call("POST", base + "/v1/namespaces/spread/upsert", rows.append("]}").toString()).get("inserted").asInt()).isEqualTo(60);
            JsonNode vector = call("POST", base + "/v1/namespaces/spread/search", "{\"vector\":[41,1],\"top_k\":3}");
            assertThat(vector.get("matches").get(0).get("id").asInt()).isEqualTo(41);
            assertThat(vector.get("matches")).hasSize(3);
            JsonNode bm25 = call("POST", base + "/v1/namespaces/spread/search", "{\"text\":\"needle\",\"mode\":\"bm25\"}");
            assertThat(bm25.get("matches")).hasSize(1);
            assertThat(bm25.get("matches").get(0).get("id").asInt()).isEqualTo(41);
            assertThat(call("GET", base + "/v1/namespaces/spread/documents/17", null).get("document").get("id").asInt()).isEqualTo(17);
            call("POST", base + "/v1/namespaces/spread/batch-delete", "{\"deletes\":[17]}");
            assertThat(status("GET", base + "/v1/namespaces/spread/documents/17")).isEqualTo(404);
            assertThat(call("GET", base + "/v1/namespaces/spread", null).get("approx_row_count").asInt()).isEqualTo(59);

            JsonNode cluster = call("GET", base + "/v1/cluster", null);
            Set<String> servers = new HashSet<>();
            for (JsonNode n : cluster.get("nodes")) servers.add(n.get("id").asText());
            assertThat(servers).hasSize(2).doesNotContain(frontendId);
            Set<String> owners = new HashSet<>();
            for (JsonNode s : cluster.get("shards")) owners.add(s.get("owner").asText());
            assertThat(servers).containsAll(owners);
            assertThat(owners).doesNotContain(frontendId);
            System.out.printf("FrontendCommandTest: frontend %s, servers %s, shard owners %s%n", frontendId, servers, owners);

            // a second frontend finds the servers through the object store (their registrations), no --join
            int http2 = ServeCrashTest.freePort();
            Path outF2 = dir.resolve("frontend2.log");
            f2 = startFrontend(http2, List.of("--object-store", store.toUri().toString(), "--set", "grid.communication_port=" + ServeCrashTest.freePort()),
                    outF2);
            awaitLine(f2, outF2, "tamter: listening on");
            assertThat(Files.readString(outF2, StandardCharsets.UTF_8)).contains("object store discovery").contains("2 server node(s)");
            String base2 = "http://127.0.0.1:" + http2;
            assertThat(status("GET", base2 + "/ready")).isEqualTo(200);
            assertThat(call("POST", base2 + "/v1/namespaces/spread/search", "{\"vector\":[23,1],\"top_k\":1}").get("matches").get(0).get("id").asInt())
                    .isEqualTo(23);
            assertThat(call("GET", base2 + "/v1/cluster", null).get("nodes")).hasSize(2);
            f2.destroy();
            assertThat(f2.waitFor(60, TimeUnit.SECONDS)).isTrue();

            // servers gone: the frontend is no longer ready (a client node waits to reconnect)
            for (Process p : new Process[] {b, a}) {
                p.destroy();
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (status("GET", base + "/ready") != 503) {
                if (System.nanoTime() > end) throw new AssertionError("frontend still ready 60 s after its servers stopped");
                Thread.sleep(100);
            }
            // a write now reaches no server: 503 (nothing written), not 500 write_outcome_unknown
            HttpResponse<String> w = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/namespaces/spread/upsert")).timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"upsert_rows\":[{\"id\":1000,\"vector\":[1,2]}]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(w.statusCode()).as("%s; frontend log: %s", w.body(), Files.readString(outF, StandardCharsets.UTF_8)).isEqualTo(503);
            assertThat(JSON.readTree(w.body()).get("error").get("code").asText()).isEqualTo("grid_unavailable");
            f.destroy(); // SIGTERM
            assertThat(f.waitFor(60, TimeUnit.SECONDS)).isTrue();
            // 143: the JVM ends by the signal once the shutdown hook has closed the frontend
            assertThat(f.exitValue()).as(Files.readString(outF, StandardCharsets.UTF_8)).isIn(0, 143);
            assertThat(Files.readString(outF, StandardCharsets.UTF_8)).contains("tamter: stopped");
        } finally {
            for (Process p : new Process[] {f2, f, b, a}) {
                if (p == null || !p.isAlive()) continue;
                p.destroy();
                if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
            }
        }
    }

    /** The servers find each other through the store (they register there), so a frontend can find them by --join or by the store. */
    static List<String> common(Path store) throws Exception {
        return List.of("--object-store", store.toUri().toString(), "--set", "grid.discovery=object_store",
                "--set", "grid.communication_port=" + ServeCrashTest.freePort(), "--set", "grid.client_port=" + ServeCrashTest.freePort());
    }

    static void awaitLine(Process p, Path out, String line) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!Files.exists(out) || !Files.readString(out, StandardCharsets.UTF_8).contains(line)) {
            if (!p.isAlive()) throw new AssertionError("process exited with " + p.exitValue() + ": " + Files.readString(out));
            if (System.nanoTime() > end) throw new AssertionError("no '" + line + "' within 90 s: " + Files.readString(out));
            Thread.sleep(100);
        }
    }

    /** {@code tamter frontend --port PORT EXTRA...} as a separate JVM, its output to {@code out}. */
    static Process startFrontend(int port, List<String> extra, Path out) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java));
        Path opts = Path.of(System.getProperty("tamter.root", ".."), "jvm.options");
        if (Files.exists(opts)) cmd.add("@" + opts);
        cmd.addAll(List.of("-Xmx512m", "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"), "-cp", System.getProperty("java.class.path"),
                TamterMain.class.getName(), "frontend", "--port", Integer.toString(port)));
        cmd.addAll(extra);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    }

    JsonNode call(String method, String url, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
        r.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> resp = client.send(r.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(resp.statusCode()).as(method + " " + url + ": " + resp.body()).isEqualTo(200);
        return JSON.readTree(resp.body());
    }

    int status(String method, String url) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).method(method, HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }
}
