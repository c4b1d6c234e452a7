package io.tamter.http.cli;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.http.api.TamterServer;
import io.tamter.node.objectstore.ObjectStores;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;

/**
 * {@code tamter serve [--port N] [--host H] [--data DIR] [--object-store URI] [--config FILE]}: one
 * JVM with an Ignite server node, the engine, and the REST server (127.0.0.1:8080, data under
 * ./tamter-data by default). {@code --object-store gs://bucket/prefix} keeps the source of truth in
 * Google Cloud Storage (Application Default Credentials, or {@code STORAGE_EMULATOR_HOST}) instead
 * of {@code DATA/objects}; {@code DATA} then holds only local state, a cache of the bucket. SIGTERM (or Ctrl-C) refuses new
 * requests with 503 {@code shutting_down} (before anything is written), drains in-flight requests
 * (up to {@code http.drain_ms}), then closes the node: running jobs finish, pending WAL writes are
 * written and every shard takes a final checkpoint. Tamter's shutdown hook is the only one that
 * stops the grid (Ignite's own is turned off, see below).
 */
public final class ServeCommand {
    private ServeCommand() {}

    public static int run(String[] args) throws Exception {
        Path data = Path.of("tamter-data");
        Path config = null;
        URI objectStore = null;
        java.util.Map<String, String> cli = new java.util.LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--port" -> { cli.put(Params.HTTP_PORT.key(), need(a, v)); i++; }
                case "--host" -> { cli.put(Params.HTTP_HOST.key(), need(a, v)); i++; }
                case "--data" -> { data = Path.of(need(a, v)); i++; }
                case "--object-store" -> { objectStore = objectStoreUri(need(a, v)); i++; }
                case "--config" -> { config = Path.of(need(a, v)); i++; }
                case "--set" -> {
                    String kv = need(a, v);
                    int eq = kv.indexOf('=');
                    if (eq <= 0) throw new IllegalArgumentException("--set takes key=value; got " + kv);
                    cli.put(kv.substring(0, eq), kv.substring(eq + 1));
                    i++;
                }
                case "-h", "--help" -> {
                    System.out.println("usage: tamter serve [--port N] [--host H] [--data DIR] [--object-store URI] [--config FILE] [--set key=value]...");
                    return 0;
                }
                default -> throw new IllegalArgumentException("unknown option " + a + " (try --help)");
            }
        }
        Settings settings = Settings.load(config, System.getenv(), System.getProperties()).withTexts(cli);
        Files.createDirectories(data);
        String nodeId = nodeId(data);
        long t0 = System.nanoTime();
        // Ignite installs a JVM shutdown hook of its own that stops the grid with cancel=true. JVM
        // hooks run concurrently, so on SIGTERM it cancelled the compute jobs of requests that the
        // hook below was still draining: GridExecutor answered 503 "task cancelled due to stopping of
        // the grid" while the job's write, already queued for the WAL, was applied (issue 9). Without
        // Ignite's hook the order is ours alone: refuse new requests, drain in-flight ones, then
        // GridNode.close (which lets running jobs finish before Ignite stops, then flushes the engine).
        // Read by Ignition.start, so it must be set before the node starts.
        System.setProperty("IGNITE_NO_SHUTDOWN_HOOK", "true");
        TamterServer server = objectStore == null ? TamterServer.start(data, nodeId, settings)
                : TamterServer.start(data, nodeId, settings, ObjectStores.open(objectStore));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("tamter: stopping: draining requests, flushing ...");
            try {
                server.close();
            } catch (IOException | RuntimeException e) {
                System.err.println("tamter: error while closing: " + e);
            } finally {
                System.err.println("tamter: stopped");
                stopped.countDown();
            }
        }, "tamter-shutdown"));
        System.out.printf("tamter: listening on http://%s:%d (data %s, node %s, thin client %s:%d, started in %d ms)%n",
                settings.get(Params.HTTP_HOST), server.port(), data.toAbsolutePath().normalize(), nodeId, settings.get(Params.GRID_HOST),
                settings.getInt(Params.GRID_CLIENT_PORT), (System.nanoTime() - t0) / 1_000_000);
        System.out.flush();
        stopped.await();
        return 0;
    }

    /** {@code gs://bucket/prefix} or {@code file:///dir} as given; a bare path is a local directory. */
    static URI objectStoreUri(String v) {
        return v.contains("://") ? URI.create(v) : Path.of(v).toAbsolutePath().normalize().toUri();
    }

    private static String need(String opt, String v) {
        if (v == null) throw new IllegalArgumentException(opt + " needs a value");
        return v;
    }

    /** The node's fixed consistent id, kept in the data directory across restarts. */
    static String nodeId(Path data) throws IOException {
        Path f = data.resolve("node-id");
        if (Files.exists(f)) return Files.readString(f, StandardCharsets.UTF_8).trim();
        String id = "node-" + UUID.randomUUID().toString().substring(0, 8);
        Files.writeString(f, id + "\n", StandardCharsets.UTF_8);
        return id;
    }
}
