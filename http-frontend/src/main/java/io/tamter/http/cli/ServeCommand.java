package io.tamter.http.cli;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.http.api.TamterServer;
import io.tamter.node.cluster.DataDirLock;
import io.tamter.node.cluster.GridNode;
import io.tamter.node.objectstore.ObjectStores;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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

    /** serve's options, node's too (--port and --host have no effect there). */
    static final class Options {
        @Option(names = "--port", paramLabel = "N", description = "REST port (default 8080; 0 = any free port)")
        String port;

        @Option(names = "--host", paramLabel = "H", description = "REST address (default 127.0.0.1; another one needs http.api_keys)")
        String host;

        @Option(names = "--data", paramLabel = "DIR", description = "local state, and the object store unless --object-store (default ./tamter-data)")
        Path data = Path.of("tamter-data");

        @Option(names = "--object-store", paramLabel = "URI", description = "the source of truth (default DIR/objects): gs://bucket/prefix, file:///dir or a directory")
        String objectStore;

        @Option(names = "--grid-port", paramLabel = "N", description = "grid discovery port (default 47500, or a free one when that is taken)")
        String gridPort;

        @Option(names = "--join", paramLabel = "HOST:PORT,...", description = "discovery addresses of the grid to join (README: Grid)")
        String join;

        @Option(names = "--config", paramLabel = "FILE", description = "settings file (key = value; docs/CONFIG.md)")
        Path config;

        @Option(names = "--set", paramLabel = "key=value", description = "one setting (docs/CONFIG.md); repeatable; the options above win over it")
        List<String> sets = new ArrayList<>();
    }

    @Command(name = "serve", synopsisHeading = "usage: ", separator = " ", sortOptions = false,
            description = "Starts the server: an Ignite grid node, the engine and the REST API (127.0.0.1:8080, data in ./tamter-data). "
                    + "Ctrl-C (SIGTERM) drains requests, flushes and stops.", descriptionHeading = "%n", optionListHeading = "%noptions:%n")
    static final class Serve implements Callable<Integer> {
        @Mixin
        TamterMain.HelpOption help;

        @Mixin
        Options options;

        @Override
        public Integer call() throws Exception {
            return run(options, true);
        }
    }

    @Command(name = "node", synopsisHeading = "usage: ", separator = " ", sortOptions = false,
            description = "A grid node without REST: takes grid jobs and thin-client connections (serve's options; "
                    + "--port and --host have no effect).", descriptionHeading = "%n", optionListHeading = "%noptions:%n")
    static final class Node implements Callable<Integer> {
        @Mixin
        TamterMain.HelpOption help;

        @Mixin
        Options options;

        @Override
        public Integer call() throws Exception {
            return run(options, false);
        }
    }

    /**
     * {@code tamter serve} ({@code http}), or {@code tamter node}: the same grid node without the
     * REST server (it takes grid jobs and thin-client connections; its options are serve's, --port
     * and --host have no effect).
     */
    static int run(Options o, boolean http) throws Exception {
        String cmd = http ? "serve" : "node";
        Path data = o.data;
        Path config = o.config;
        java.util.Map<String, String> cli = new java.util.LinkedHashMap<>();
        for (String kv : o.sets) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--set takes key=value; got " + kv);
            cli.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        if (o.port != null) cli.put(Params.HTTP_PORT.key(), o.port);
        if (o.host != null) cli.put(Params.HTTP_HOST.key(), o.host);
        URI objectStore = o.objectStore == null ? null : objectStoreUri(o.objectStore);
        boolean gridPortGiven = o.gridPort != null;
        if (gridPortGiven) cli.put(Params.GRID_DISCOVERY_PORT.key(), port("--grid-port", o.gridPort));
        if (o.join != null) cli.put(Params.GRID_DISCOVERY_ADDRESSES.key(), joinList(o.join));
        Settings settings = Settings.load(config, System.getenv(), System.getProperties()).withTexts(cli);
        try {
            DataDirLock.acquire(data).close(); // fail at once, before any port is looked at (the node takes the lock for good)
        } catch (DataDirLock.DataDirLockedException e) {
            System.err.println("tamter " + cmd + ": --data " + data + ": " + e.getMessage());
            return 1;
        }
        boolean storeDiscovery = GridNode.usesObjectStoreDiscovery(settings, objectStore != null);
        if (!gridPortGiven && !cli.containsKey(Params.GRID_DISCOVERY_PORT.key())) settings = freeDiscoveryPort(settings, storeDiscovery);
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
        TamterServer server = null;
        GridNode node;
        try {
            if (http) {
                server = objectStore == null ? TamterServer.start(data, nodeId, settings)
                        : TamterServer.start(data, nodeId, settings, ObjectStores.open(objectStore));
                node = server.node();
            } else {
                node = objectStore == null ? GridNode.start(data, nodeId, settings)
                        : GridNode.start(data, nodeId, settings, ObjectStores.open(objectStore));
            }
        } catch (DataDirLock.DataDirLockedException e) {
            System.err.println("tamter " + cmd + ": --data " + data + ": " + e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            String why = startFailure(e, settings);
            if (why == null) throw e;
            System.err.println("tamter " + cmd + ": " + why);
            return 1;
        }
        CountDownLatch stopped = closeOnShutdown(server != null ? server : node);
        GridNode.Ports ports = node.ports();
        // the grid line first: "listening" is the line scripts and tests wait for, so it comes last
        // (ServeTwiceTest read the log between the two lines and found no ports)
        System.out.printf("tamter: grid: discovery %s:%d (%s), communication %d, thin client %d, object store %s, %d server node(s)%n",
                settings.get(Params.GRID_HOST), ports.discovery(), node.discovery(), ports.communication(), ports.thinClient(),
                node.store(), node.ignite().cluster().forServers().nodes().size());
        if (server != null)
            System.out.printf("tamter: listening on http://%s:%d (data %s, node %s, thin client %s:%d, started in %d ms)%n",
                    settings.get(Params.HTTP_HOST), server.port(), data.toAbsolutePath().normalize(), nodeId, settings.get(Params.GRID_HOST),
                    ports.thinClient(), (System.nanoTime() - t0) / 1_000_000);
        else
            System.out.printf("tamter: node %s started, no REST (data %s, thin client %s:%d, started in %d ms)%n", nodeId,
                    data.toAbsolutePath().normalize(), settings.get(Params.GRID_HOST), ports.thinClient(), (System.nanoTime() - t0) / 1_000_000);
        System.out.flush();
        stopped.await();
        return 0;
    }

    /**
     * Tamter's shutdown hook (SIGTERM, Ctrl-C): closes {@code running} (drain, flush, leave the
     * grid); the latch opens when it is closed.
     */
    static CountDownLatch closeOnShutdown(AutoCloseable running) {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("tamter: stopping: draining requests, flushing ...");
            try {
                running.close();
            } catch (Exception e) {
                System.err.println("tamter: error while closing: " + e);
            } finally {
                System.err.println("tamter: stopped");
                stopped.countDown();
            }
        }, "tamter-shutdown"));
        return stopped;
    }

    /**
     * Without {@code --grid-port}: the default discovery port, or, when another process holds it
     * (typically a second {@code tamter serve} on this machine), a free one, so that the second
     * server starts instead of failing. With static discovery it is a grid of its own (it never
     * joins the first: its IP finder holds only its own address unless {@code --join} says
     * otherwise); with object-store discovery it registers the free port and joins the nodes of its
     * object store.
     */
    static Settings freeDiscoveryPort(Settings settings, boolean storeDiscovery) throws IOException {
        int want = settings.getInt(Params.GRID_DISCOVERY_PORT);
        if (settings.getInt(Params.GRID_DISCOVERY_PORT_RANGE) > 0 || portFree(settings.get(Params.GRID_HOST), want)) return settings;
        int free;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(settings.get(Params.GRID_HOST)))) {
            free = s.getLocalPort();
        }
        if (storeDiscovery)
            System.err.printf("tamter serve: discovery port %d is in use (another node on this machine?); using free port %d, "
                    + "registered in the object store for the grid to find%n", want, free);
        else
            System.err.printf("tamter serve: discovery port %d is in use (another tamter serve on this machine?); using free port %d: "
                    + "this server is a grid of its own (give --grid-port N and --join HOST:PORT to form one grid)%n", want, free);
        return settings.with(Params.GRID_DISCOVERY_PORT, free);
    }

    private static boolean portFree(String host, int port) {
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new java.net.InetSocketAddress(java.net.InetAddress.getByName(host), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A one-line reason for a start failure we can explain (a busy port), or null. */
    static String startFailure(Throwable e, Settings settings) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.contains("Failed to bind TCP server socket") || (m.contains("Failed to bind") && m.contains("port")))
                return "grid discovery port " + settings.getInt(Params.GRID_DISCOVERY_PORT) + " on " + settings.get(Params.GRID_HOST)
                        + " is in use (another tamter serve or tamter node?); give another --grid-port N";
            if (m.startsWith("object store discovery:")) return m + " (check --object-store and its credentials)";
            if (m.contains("Failed to register local addresses with IP finder within join timeout")) // Ignite retried our store errors
                return "could not register this node in the object store within grid.join_timeout_ms=" + settings.getLong(Params.GRID_JOIN_TIMEOUT_MS)
                        + " (object-store discovery); check --object-store and its credentials (the log has the store's errors)";
            if (m.contains("Failed to connect to any address from IP finder") || m.contains("Join process timed out"))
                return "could not join the grid at " + settings.get(Params.GRID_DISCOVERY_ADDRESSES) + " within grid.join_timeout_ms="
                        + settings.getLong(Params.GRID_JOIN_TIMEOUT_MS) + "; check --join";
        }
        return null;
    }

    private static String port(String opt, String v) {
        try {
            int p = Integer.parseInt(v);
            if (p >= 1 && p <= 65535) return v;
        } catch (NumberFormatException ignored) {
            // below
        }
        throw new IllegalArgumentException(opt + " takes a port 1..65535; got " + v);
    }

    /** {@code --join host:port,host:port}: checked here so a typo is an error at once, not a node that never joins. */
    static String joinList(String v) {
        List<String> out = new ArrayList<>();
        for (String a : v.split(",")) {
            String t = a.trim();
            if (t.isEmpty()) continue;
            int colon = t.lastIndexOf(':');
            if (colon <= 0) throw new IllegalArgumentException("--join takes HOST:PORT[,HOST:PORT...]; got " + t);
            port("--join", t.substring(colon + 1));
            out.add(t);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--join takes HOST:PORT[,HOST:PORT...]; got '" + v + "'");
        return String.join(",", out);
    }

    /** {@code gs://bucket/prefix} or {@code file:///dir} as given; a bare path is a local directory. */
    static URI objectStoreUri(String v) {
        return v.contains("://") ? URI.create(v) : Path.of(v).toAbsolutePath().normalize().toUri();
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
