package io.tamter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.bench.engine.Dirs;
import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.http.api.TamterServer;
import io.tamter.http.cli.LoadCommand;
import io.tamter.node.namespace.SearchRequest;
import io.tamter.node.namespace.SearchResult;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where {@code bench beir} writes and searches: the namespace engine in process ({@code --via
 * engine}), or a server through its REST API ({@code --via http}: the given {@code --url}, or a
 * server of its own started in this JVM on free ports, reached over real HTTP on loopback).
 */
interface BeirTarget extends AutoCloseable {
    void upsert(ArrayNode rows) throws IOException;

    /** Waits until everything written is indexed (or as far as the target can tell). */
    void settle() throws IOException;

    void search(String text, SearchRequest.Mode mode, int top, List<String> ids, List<Float> scores) throws IOException;

    @Override
    void close() throws IOException;

    static BeirTarget engine(EngineNamespace e) {
        return new BeirTarget() {
            @Override
            public void upsert(ArrayNode rows) throws IOException {
                e.ns.upsert(rows, null);
            }

            @Override
            public void settle() {
                e.awaitQuiescent();
            }

            @Override
            public void search(String text, SearchRequest.Mode mode, int top, List<String> ids, List<Float> scores) throws IOException {
                SearchResult res = e.ns.search(new SearchRequest(null, text, mode, null, top, List.of(), false, false, Float.NaN));
                for (SearchResult.Match m : res.matches()) {
                    ids.add(m.id().asText());
                    scores.add(m.score());
                }
            }

            @Override
            public void close() throws IOException {
                e.close();
            }
        };
    }

    static BeirTarget http(String url, Path work, Settings settings) throws IOException {
        TamterServer own = null;
        Path dir = null;
        if (url == null) {
            dir = Files.createDirectories(work.resolve("tamter-beir-http-" + ProcessHandle.current().pid() + "-" + System.nanoTime()));
            Settings s = settings.withTexts(Map.of(Params.HTTP_PORT.key(), "0", Params.GRID_DISCOVERY_PORT.key(), Integer.toString(freePort()),
                    Params.GRID_COMMUNICATION_PORT.key(), Integer.toString(freePort()), Params.GRID_CLIENT_PORT.key(), "0"));
            own = TamterServer.start(dir, "bench-beir", s);
            url = "http://127.0.0.1:" + own.port();
            AnnBench.log("beir via http: started a server at %s", url);
        }
        if (!InetAddress.getByName(URI.create(url).getHost()).isLoopbackAddress())
            throw new IllegalArgumentException("--url " + url + ": benchmarks only load loopback addresses");
        String base = url.replaceAll("/+$", "");
        String ns = "beir-" + Long.toHexString(System.nanoTime());
        LoadCommand.Loader loader = new LoadCommand.Loader(base, ns, null, null);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        ObjectMapper json = new ObjectMapper();
        TamterServer server = own;
        Path scratch = dir;
        return new BeirTarget() {
            long written;

            @Override
            public void upsert(ArrayNode rows) throws IOException {
                try {
                    loader.send(rows, 0, 0);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
                written += rows.size();
            }

            @Override
            public void settle() throws IOException {
                // an acked write is searchable at once; with a server of our own, also let the
                // rebalancer finish as the engine run does, so the two measure the same index
                if (server != null) {
                    var n = server.node().engine().find(ns);
                    if (n.isPresent())
                        for (int i = 0; i < n.get().settings().numShards(); i++) {
                            EngineNamespace.awaitIndexed(n.get().shard(i)); // the index worker first: its inserts feed the rebalancer
                            if (n.get().shard(i).vectorIndex() != null) n.get().shard(i).vectorIndex().awaitQuiescent();
                        }
                }
                JsonNode info = call("GET", "/v1/namespaces/" + ns, null);
                if (info.path("approx_row_count").asLong() != written)
                    throw new IllegalStateException("namespace " + ns + " has " + info.path("approx_row_count") + " documents, " + written + " written");
            }

            @Override
            public void search(String text, SearchRequest.Mode mode, int top, List<String> ids, List<Float> scores) throws IOException {
                ObjectNode q = json.createObjectNode().put("text", text).put("mode", mode.name().toLowerCase(Locale.ROOT)).put("top_k", top)
                        .put("include_metadata", false);
                for (JsonNode m : call("POST", "/v1/namespaces/" + ns + "/search", q.toString()).get("matches")) {
                    ids.add(m.get("id").asText());
                    scores.add((float) m.get("score").asDouble());
                }
            }

            JsonNode call(String method, String path, String body) throws IOException {
                try {
                    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(5))
                            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                            .build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) throw new IOException(method + " " + path + ": HTTP " + r.statusCode() + ": " + r.body());
                    return json.readTree(r.body());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
            }

            @Override
            public void close() throws IOException {
                try {
                    call("DELETE", "/v1/namespaces/" + ns, null);
                } finally {
                    if (server != null) {
                        server.close();
                        Dirs.deleteTree(scratch);
                    }
                }
            }
        };
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
