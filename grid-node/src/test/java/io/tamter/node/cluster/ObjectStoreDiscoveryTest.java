package io.tamter.node.cluster;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.objectstore.GcsObjectStore;
import io.tamter.node.objectstore.GcsObjectStoreOptions;
import io.tamter.node.objectstore.GcsTestServer;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import io.tamter.node.objectstore.ObjectInfo;
import io.tamter.node.objectstore.ObjectKeys;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.ignite.spi.discovery.tcp.TcpDiscoverySpi;
import org.apache.ignite.spi.discovery.tcp.ipfinder.vm.TcpDiscoveryVmIpFinder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Discovery through the object store (issue 11, GCE): real Ignite server nodes on 127.0.0.1 with
 * free ports and no address list find each other through registrations in a shared local-directory
 * store; a node that stops cleanly is unregistered; an expired registration (a node killed long
 * ago) is ignored and deleted. The finder alone also runs against the GCS test server.
 */
class ObjectStoreDiscoveryTest {
    @TempDir
    Path tmp;

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static Settings settings() throws IOException {
        return Settings.defaults().with(Params.GRID_DISCOVERY_PORT, freePort()).with(Params.GRID_COMMUNICATION_PORT, freePort())
                .with(Params.GRID_CLIENT_PORT, 0).with(Params.GRID_DISCOVERY_REFRESH_MS, 200L).with(Params.CHECKPOINT_ENABLED, false);
    }

    /** Waits (bounded) for a condition that another thread or node makes true. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting until " + what);
            Thread.sleep(20);
        }
    }

    static String keyOf(GridNode n) {
        return ObjectStoreIpFinder.key(new InetSocketAddress("127.0.0.1", n.ports().discovery()));
    }

    static List<String> registered(LocalDirectoryObjectStore store) throws IOException {
        List<String> keys = new ArrayList<>();
        for (ObjectInfo i : store.list(ObjectStoreIpFinder.PREFIX)) keys.add(i.key());
        return keys;
    }

    static long registeredMs(LocalDirectoryObjectStore store, String key) {
        try {
            return ObjectStoreIpFinder.decode(store.get(key).orElseThrow()).orElseThrow().registeredMs();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void threeNodesFindEachOtherThroughTheStoreAndAStoppedOneLeavesIt() throws Exception {
        Path storeDir = tmp.resolve("store");
        List<GridNode> nodes = new ArrayList<>();
        try (LocalDirectoryObjectStore view = new LocalDirectoryObjectStore(storeDir)) {
            // a node killed 10 minutes ago left its registration: nobody listens there any more
            InetSocketAddress dead = new InetSocketAddress("127.0.0.1", freePort());
            String deadKey = ObjectStoreIpFinder.key(dead);
            view.put(deadKey, ObjectStoreIpFinder.encode(dead, System.currentTimeMillis() - 600_000));
            // a node killed a moment ago: its registration is still live, but nobody answers there
            InetSocketAddress justKilled = new InetSocketAddress("127.0.0.1", freePort());
            view.put(ObjectStoreIpFinder.key(justKilled), ObjectStoreIpFinder.encode(justKilled, System.currentTimeMillis()));
            // an object under the prefix that is not a registration: ignored, and left alone
            view.put(ObjectStoreIpFinder.PREFIX + "README", "not a registration".getBytes(UTF_8));
            try {
                // no grid.discovery_addresses, a store given: auto selects the object store
                GridNode n1 = GridNode.start(tmp.resolve("n1"), "n1", settings(), new LocalDirectoryObjectStore(storeDir));
                nodes.add(n1);
                assertThat(((TcpDiscoverySpi) n1.ignite().configuration().getDiscoverySpi()).getIpFinder()).isInstanceOf(ObjectStoreIpFinder.class);
                assertThat(n1.ignite().cluster().forServers().nodes()).as("the first node is a grid of its own, whoever no longer answers")
                        .hasSize(1);
                assertThat(view.stat(deadKey)).as("the expired registration was ignored and deleted").isEmpty();
                assertThat(view.stat(ObjectStoreIpFinder.PREFIX + "README")).as("a foreign object is not deleted").isPresent();

                GridNode n2 = GridNode.start(tmp.resolve("n2"), "n2", settings(), new LocalDirectoryObjectStore(storeDir));
                nodes.add(n2);
                GridNode n3 = GridNode.start(tmp.resolve("n3"), "n3", settings(), new LocalDirectoryObjectStore(storeDir));
                nodes.add(n3);
                for (GridNode n : nodes)
                    await("every node sees 3 servers", () -> n.ignite().cluster().forServers().nodes().size() == 3);
                assertThat(registered(view)).containsExactlyInAnyOrder(keyOf(n1), keyOf(n2), keyOf(n3), ObjectStoreIpFinder.key(justKilled),
                        ObjectStoreIpFinder.PREFIX + "README");
                view.delete(ObjectStoreIpFinder.key(justKilled)); // (Ignite's coordinator would, after a failed ping, within a minute)

                // registrations are rewritten every grid.discovery_refresh_ms
                long first = registeredMs(view, keyOf(n1));
                await("n1's registration is refreshed", () -> registeredMs(view, keyOf(n1)) > first);

                // a clean stop unregisters the node; the others go on as a grid of two
                String gone = keyOf(n3);
                n3.close();
                nodes.remove(n3);
                assertThat(view.stat(gone)).as("n3's registration after its clean stop").isEmpty();
                for (GridNode n : nodes)
                    await("the survivors see 2 servers", () -> n.ignite().cluster().forServers().nodes().size() == 2);
                assertThat(registered(view)).containsExactlyInAnyOrder(keyOf(n1), keyOf(n2), ObjectStoreIpFinder.PREFIX + "README");

                // a node started again finds the survivors through the store
                GridNode n4 = GridNode.start(tmp.resolve("n4"), "n4", settings(), new LocalDirectoryObjectStore(storeDir));
                nodes.add(n4);
                for (GridNode n : nodes)
                    await("every node sees 3 servers again", () -> n.ignite().cluster().forServers().nodes().size() == 3);
            } finally {
                for (GridNode n : nodes) n.close();
            }
            assertThat(registered(view)).as("all stopped cleanly").containsExactly(ObjectStoreIpFinder.PREFIX + "README");
        }
    }

    @Test
    void gridDiscoverySelectsTheFinder() throws Exception {
        try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(tmp.resolve("s"))) {
            Settings s = Settings.defaults();
            assertThat(GridNode.ipFinder(s, store, true)).as("auto, a store given, no --join").isInstanceOf(ObjectStoreIpFinder.class);
            assertThat(GridNode.ipFinder(s, store, false)).as("auto on the node's private DATA/objects").isInstanceOf(TcpDiscoveryVmIpFinder.class);
            assertThat(GridNode.ipFinder(s.with(Params.GRID_DISCOVERY_ADDRESSES, "10.0.0.2:47500"), store, true))
                    .as("auto with --join").isInstanceOf(TcpDiscoveryVmIpFinder.class);
            assertThat(GridNode.ipFinder(s.with(Params.GRID_DISCOVERY, "static"), store, true)).isInstanceOf(TcpDiscoveryVmIpFinder.class);
            assertThat(GridNode.ipFinder(s.with(Params.GRID_DISCOVERY, "object_store"), store, false)).isInstanceOf(ObjectStoreIpFinder.class);
            assertThatThrownBy(() -> GridNode.ipFinder(s.with(Params.GRID_DISCOVERY, "gossip"), store, true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("grid.discovery").hasMessageContaining("'gossip'");
            assertThatThrownBy(() -> GridNode.ipFinder(s.with(Params.GRID_DISCOVERY_EXPIRY_MS, 5000L).with(Params.GRID_DISCOVERY_REFRESH_MS, 5000L),
                    store, true)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("grid.discovery_expiry_ms=5000").hasMessageContaining("grid.discovery_refresh_ms=5000");
        }
    }

    @Test
    void registrationFormatAndKeys() {
        InetSocketAddress v6 = new InetSocketAddress("::1", 47500);
        String key = ObjectStoreIpFinder.key(v6);
        assertThat(key).isEqualTo("~grid/discovery/0_0_0_0_0_0_0_1_47500");
        assertThat(ObjectKeys.validateKey(key)).isEqualTo(key);
        ObjectStoreIpFinder.Registration r = ObjectStoreIpFinder.decode(ObjectStoreIpFinder.encode(v6, 1234L)).orElseThrow();
        assertThat(r.address()).isEqualTo(v6);
        assertThat(r.registeredMs()).isEqualTo(1234L);
        assertThat(ObjectStoreIpFinder.decode("tamter-discovery 2\nhost=a\nport=1\nregistered_ms=1\n".getBytes(UTF_8))).as("unknown version").isEmpty();
        assertThat(ObjectStoreIpFinder.decode("tamter-discovery 1\nhost=a\nport=x\nregistered_ms=1\n".getBytes(UTF_8))).as("bad port").isEmpty();
        assertThat(ObjectStoreIpFinder.decode("tamter-discovery 1\nhost=a\nport=70000\nregistered_ms=1\n".getBytes(UTF_8))).isEmpty();
    }

    /** The finder alone on the GCS store, against the GCS test server, with a clock the test moves. */
    @Test
    void finderOnGcsRegistersExpiresAndUnregisters() throws Exception {
        long expiry = 60_000;
        AtomicLong clock = new AtomicLong(1_000_000_000L);
        try (GcsTestServer server = new GcsTestServer().createBucket("disc");
                GcsObjectStore store = new GcsObjectStore(GcsObjectStoreOptions.of("disc", "grid").withHost(server.endpoint())
                        .withRetries(3, Duration.ofMillis(1), Duration.ofMillis(20)).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5)))) {
            InetSocketAddress a = new InetSocketAddress("127.0.0.1", 47500), b = new InetSocketAddress("127.0.0.1", 47501);
            // refresh far beyond the test: only the test's clock and calls write registrations
            ObjectStoreIpFinder fa = new ObjectStoreIpFinder(store, 3_600_000, 7_200_000 + expiry, clock::get);
            ObjectStoreIpFinder fb = new ObjectStoreIpFinder(store, 30_000, expiry, clock::get);
            assertThat(fa.isShared()).isTrue();
            fa.initializeLocalAddresses(List.of(a));
            assertThat(server.blob("disc", "grid/~grid/discovery/127.0.0.1_47500")).as("a's registration in the bucket").isNotNull();
            fb.initializeLocalAddresses(List.of(b));
            assertThat(fb.getRegisteredAddresses()).containsExactlyInAnyOrder(a, b);
            assertThat(fa.getRegisteredAddresses()).containsExactlyInAnyOrder(a, b);

            // a stops refreshing (killed); past b's expiry b ignores it and deletes it
            clock.addAndGet(expiry + 1);
            fb.registerAddresses(List.of(b)); // b's own refresh
            assertThat(fb.getRegisteredAddresses()).containsExactly(b);
            assertThat(server.blob("disc", "grid/~grid/discovery/127.0.0.1_47500")).as("a's expired registration").isNull();

            // b stops cleanly: unregistered
            fb.close();
            assertThat(server.blob("disc", "grid/~grid/discovery/127.0.0.1_47501")).isNull();
            assertThat(fa.getRegisteredAddresses()).isEmpty();
            fa.close();
            assertThat(server.unhandled()).isEmpty();
        }
    }
}
