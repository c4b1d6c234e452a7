package io.tamter.http.api;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.cluster.GridNode;
import io.tamter.node.cluster.ObjectStoreIpFinder;
import io.tamter.node.objectstore.ObjectStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.ignite.Ignite;
import org.apache.ignite.Ignition;
import org.apache.ignite.spi.discovery.tcp.TcpDiscoverySpi;
import org.apache.ignite.spi.discovery.tcp.ipfinder.TcpDiscoveryIpFinder;
import org.apache.ignite.spi.discovery.tcp.ipfinder.vm.TcpDiscoveryVmIpFinder;

/**
 * {@code tamter frontend}: the REST API on an Ignite <em>client</em> node. It joins a grid of server
 * nodes ({@code tamter serve}, {@code tamter node}), holds no shard, opens no RocksDB or Lucene and
 * loads no embedding model: every request goes through {@link GridExecutor} as a {@code TamterTask},
 * which on a node without an engine sends the operation whole to a server node picked at random.
 * That server coordinates it as
 * if it had received the request itself: validates it, embeds its text (once), splits a write over
 * the shards' owners, scatters a search as one job per owner node and merges the top k.
 *
 * <p>Why the frontend forwards text instead of embedding it: embedding needs the namespace's
 * settings (its model, its dimensions, whether text is embedded at all) and the model itself (an
 * ONNX session of about 100 MB of heap and native memory per model, and the CPU it costs), which
 * are what a frontend exists not to hold. The coordinator embeds a request's text exactly once
 * either way, so issue 10's "text is embedded once, at the coordinator" holds: the coordinator is
 * the server the frontend forwards to. The price is one extra hop (the frontend to the coordinator)
 * for the request and its answer.
 */
public final class TamterFrontend implements AutoCloseable {
    private final Ignite ignite;
    private final HttpServer http;
    private final Path workDir;
    private final ObjectStore store;

    private TamterFrontend(Ignite ignite, HttpServer http, Path workDir, ObjectStore store) {
        this.ignite = ignite;
        this.http = http;
        this.workDir = workDir;
        this.store = store;
    }

    /**
     * Joins the grid as a client node (waiting up to {@code grid.join_timeout_ms} for a server node
     * to answer), then starts the HTTP server (listening when this returns).
     *
     * @param store the grid's object store when discovery goes through it ({@code
     *     GridNode.usesObjectStoreDiscovery}), owned by the frontend from here on; else null, and the
     *     frontend joins the static addresses of {@code grid.discovery_addresses}, or this machine's
     *     {@code grid.discovery_port} (the default {@code tamter serve}) when none are given
     */
    public static TamterFrontend start(String consistentId, Settings settings, ObjectStore store) throws IOException {
        // Ignite's work directory (marshaller mappings): the frontend keeps no state, so a temporary one
        Path work = Files.createTempDirectory("tamter-frontend-");
        TcpDiscoveryIpFinder finder = store != null
                ? new ObjectStoreIpFinder(store, settings.getLong(Params.GRID_DISCOVERY_REFRESH_MS), settings.getLong(Params.GRID_DISCOVERY_EXPIRY_MS))
                : joinFinder(settings);
        GridNode.quietIgnite();
        Ignite ignite;
        try {
            ignite = Ignition.start(GridNode.configuration(work, consistentId, settings, true, finder));
        } catch (RuntimeException e) {
            closeQuietly(store);
            deleteTree(work);
            throw e;
        }
        try {
            HttpServer http = new HttpServer(settings, new GridExecutor(ignite), () -> ready(ignite), null);
            http.start();
            return new TamterFrontend(ignite, http, work, store);
        } catch (RuntimeException e) {
            Ignition.stop(ignite.name(), true);
            closeQuietly(store);
            deleteTree(work);
            throw e;
        }
    }

    /**
     * A client node's static IP finder: the {@code --join} addresses only. A server's finder also
     * holds its own address ({@link GridNode#staticIpFinder}), so that it starts alone when nobody
     * answers; a client binds no discovery port, and trying this machine's default port beside
     * {@code --join} could join another grid running here.
     */
    static TcpDiscoveryVmIpFinder joinFinder(Settings settings) {
        String join = settings.get(Params.GRID_DISCOVERY_ADDRESSES);
        if (join.isBlank()) return GridNode.staticIpFinder(settings); // this machine's discovery port: the default serve's
        List<String> addresses = new ArrayList<>();
        for (String a : join.split(",")) if (!a.isBlank()) addresses.add(a.trim());
        TcpDiscoveryVmIpFinder finder = new TcpDiscoveryVmIpFinder();
        finder.setAddresses(addresses);
        return finder;
    }

    /**
     * {@code /ready}: joined (not disconnected: a client node whose servers all left waits to
     * reconnect) and at least one server node with the ownership cache in the grid.
     */
    static boolean ready(Ignite ignite) {
        try {
            return ignite.cluster().clientReconnectFuture() == null && !ignite.cluster().forServers().nodes().isEmpty()
                    && ignite.cacheNames().contains(GridNode.SHARDS_CACHE);
        } catch (RuntimeException e) { // IgniteClientDisconnectedException, a node stopping
            return false;
        }
    }

    /** How the frontend found the grid, for its start line: its IP finder described. */
    public String discovery() {
        TcpDiscoveryIpFinder f = ((TcpDiscoverySpi) ignite.configuration().getDiscoverySpi()).getIpFinder();
        return f instanceof TcpDiscoveryVmIpFinder vm ? "static addresses " + vm.getRegisteredAddresses() : f.toString();
    }

    public Ignite ignite() {
        return ignite;
    }

    public HttpServer http() {
        return http;
    }

    public int port() {
        return http.port();
    }

    /** Drains in-flight requests (their tasks finish on the servers), stops HTTP, then leaves the grid. */
    @Override
    public void close() throws IOException {
        try {
            http.drainAndStop();
        } finally {
            try {
                Ignition.stop(ignite.name(), false);
            } finally {
                closeQuietly(store);
                deleteTree(workDir);
            }
        }
    }

    private static void closeQuietly(ObjectStore store) {
        if (store == null) return;
        try {
            store.close();
        } catch (IOException | RuntimeException e) {
            // nothing of the frontend's is in the store (a client node registers no address)
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            // a temporary directory: what is left the OS's temp cleaning takes
        }
    }

    /** A consistent id for a frontend: it keeps no state, so a new one per start. */
    public static String newId() {
        return "frontend-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
