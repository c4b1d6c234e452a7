package io.tamter.http.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.cluster.GridNode;
import io.tamter.node.objectstore.ObjectStore;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * A real server for HTTP tests: an Ignite server node with the engine (free ports, so test
 * servers never join each other) and the Javalin server on a free port, driven by the JDK's
 * HTTP client. Public for the command tests in {@code io.tamter.http.cli}.
 */
public final class TestServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final TamterServer server;
    final GridNode node;
    final HttpServer http;
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    public final String base;
    final int clientPort;
    /** The spec this server serves at {@code /openapi.json}; {@link #call} validates every answer against it. */
    final SpecValidator spec;
    /** What {@link #call} validated: {@code "METHOD template status"} (status as the spec's key: 200, 4XX, 5XX). */
    final java.util.Set<String> validated = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private TestServer(TamterServer server, int clientPort) {
        this.server = server;
        this.node = server.node();
        this.http = server.http();
        this.base = "http://127.0.0.1:" + http.port();
        this.clientPort = clientPort;
        HttpResponse<String> openapi = send("GET", "/openapi.json", null);
        if (openapi.statusCode() != 200) throw new IllegalStateException("GET /openapi.json: " + openapi.statusCode() + " " + openapi.body());
        this.spec = SpecValidator.of(openapi.body());
    }

    public static TestServer start(Path dir) throws IOException {
        return start(dir, Map.of());
    }

    public static TestServer start(Path dir, Map<String, String> overrides) throws IOException {
        return start(dir, overrides, null);
    }

    /** A server on {@code store} (owned by the server) instead of {@code dir/objects}; null: the local one. */
    public static TestServer start(Path dir, Map<String, String> overrides, ObjectStore store) throws IOException {
        int clientPort = freePort();
        Map<String, String> s = new HashMap<>();
        s.put(Params.GRID_DISCOVERY_PORT.key(), Integer.toString(freePort()));
        s.put(Params.GRID_COMMUNICATION_PORT.key(), Integer.toString(freePort()));
        s.put(Params.GRID_CLIENT_PORT.key(), Integer.toString(clientPort));
        s.put(Params.HTTP_PORT.key(), "0");
        s.put(Params.HTTP_DRAIN_MS.key(), "5000");
        // test servers given a store join only what their grid.discovery_addresses name (ObjectStoreDiscoveryTest covers the other way)
        s.put(Params.GRID_DISCOVERY.key(), "static");
        s.putAll(overrides);
        Settings settings = Settings.defaults().withTexts(s);
        String nodeId = "test-" + dir.getFileName();
        return new TestServer(store == null ? TamterServer.start(dir, nodeId, settings) : TamterServer.start(dir, nodeId, settings, store),
                clientPort);
    }

    /**
     * The object stores a test that runs on several should run on: {@code -Dtamter.stores} (a
     * comma-separated list of {@code file} and {@code gs}), else {@code byDefault}.
     */
    public static java.util.stream.Stream<String> stores(String byDefault) {
        return java.util.stream.Stream.of(System.getProperty("tamter.stores", byDefault).split(",")).map(String::strip).filter(x -> !x.isEmpty());
    }

    /** Every port {@link #freePort} returned in this JVM. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A port free now, below the kernel's ephemeral range (32768 and up on Linux): a port the
     * kernel handed out as free (port 0) is in that range, and before the server binds it an
     * outgoing connection may be given it as its local port (CI saw Ignite's discovery fail to bind
     * one that way). Below the range only another test picking the same random port can take it.
     * A port is never handed out twice in one test JVM: a test that kills a process and starts it
     * again picks the new process's other ports while the killed one's are free, and CI saw the
     * restarted node's HTTP port taken that way.
     */
    public static int freePort() throws IOException {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = r.nextInt(15_000, 32_000);
            if (!HANDED_OUT.add(port)) continue;
            try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no free port found in 15000-32000");
    }

    /**
     * Sends a request and checks the answer against the served {@code /openapi.json} (its status is documented
     * for the route and its body validates against that response's schema; a request answered 200 validates
     * against the route's request schema); an exchange that does not is an AssertionError, whatever the test
     * expected.
     */
    public HttpResponse<String> call(String method, String path, String body, String... headers) {
        HttpResponse<String> r = send(method, path, body, headers);
        String key = spec.check(method, path, r.statusCode(), r.headers().firstValue("Content-Type").orElse(null), r.body());
        if (key != null) validated.add(key);
        if (r.statusCode() == 200) spec.checkAcceptedRequest(method, path, body);
        return r;
    }

    private HttpResponse<String> send(String method, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120));
        for (int i = 0; i + 1 < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The JSON body of a call that must answer {@code status}. */
    public JsonNode expect(int status, String method, String path, String body, String... headers) {
        HttpResponse<String> r = call(method, path, body, headers);
        if (r.statusCode() != status)
            throw new AssertionError(method + " " + path + ": expected " + status + ", got " + r.statusCode() + ": " + r.body());
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + ": not JSON: " + r.body(), e);
        }
    }

    public JsonNode ok(String method, String path, String body, String... headers) {
        JsonNode n = expect(200, method, path, body, headers);
        if (!"ok".equals(n.path("status").asText())) throw new AssertionError(method + " " + path + ": status not ok: " + n);
        return n;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
