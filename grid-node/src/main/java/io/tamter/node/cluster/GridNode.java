package io.tamter.node.cluster;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.namespace.NamespaceManager;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import io.tamter.node.objectstore.ObjectStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.ignite.Ignite;
import org.apache.ignite.Ignition;
import org.apache.ignite.cache.CacheMode;
import org.apache.ignite.cache.PartitionLossPolicy;
import org.apache.ignite.cache.affinity.rendezvous.RendezvousAffinityFunction;
import org.apache.ignite.configuration.CacheConfiguration;
import org.apache.ignite.configuration.ClientConnectorConfiguration;
import org.apache.ignite.configuration.DataStorageConfiguration;
import org.apache.ignite.configuration.ExecutorConfiguration;
import org.apache.ignite.configuration.IgniteConfiguration;
import org.apache.ignite.configuration.ThinClientConfiguration;
import org.apache.ignite.logger.slf4j.Slf4jLogger;
import org.apache.ignite.spi.communication.tcp.TcpCommunicationSpi;
import org.apache.ignite.spi.discovery.tcp.TcpDiscoverySpi;
import org.apache.ignite.spi.discovery.tcp.ipfinder.TcpDiscoveryIpFinder;
import org.apache.ignite.spi.discovery.tcp.ipfinder.vm.TcpDiscoveryVmIpFinder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Tamter grid node: an Ignite server node plus this node's storage engine (a
 * {@link NamespaceManager} over the object store), published in the node-local map so compute
 * jobs that land here find it ({@link #engineOf}).
 *
 * <p>Ownership: the PARTITIONED cache {@value #SHARDS_CACHE} is keyed by {@link #shardKey}; the
 * primary node of a key's partition owns that shard. Jobs are routed to the primary and check that
 * they still run on it before touching the engine. {@link ShardOwnership} opens the shards this
 * node owns and closes the ones it lost; the engine serves only its own ({@link
 * NamespaceManager#useGrid}). Every node of a grid must be given the same object store.
 *
 * <p>Discovery: a static address list ({@code --join}), or registrations in that shared object
 * store ({@link ObjectStoreIpFinder}), as {@link #ipFinder} decides from {@code grid.discovery}.
 *
 * <p>Layout under the data directory: {@code objects/} (the local-directory object store, the
 * source of truth, unless the node was started on another store such as GCS), {@code local/} (the shards' RocksDB and Lucene state: a cache of the object
 * store), {@code ignite/} (Ignite's work directory; no Ignite persistence is used).
 */
public final class GridNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GridNode.class);

    /** The shard-ownership cache. */
    public static final String SHARDS_CACHE = "tamter-shards";
    /** The executor of the per-shard parts of grid operations (see {@link #configuration}). */
    public static final String SHARD_OPS_EXECUTOR = "tamter-shard-ops";
    /** Key of this node's {@link NamespaceManager} in Ignite's node-local map. */
    public static final String ENGINE_KEY = "tamter.engine";
    /** Key of this node's REST base URL in Ignite's node-local map, put there by the process that serves REST on it. */
    public static final String HTTP_URL_KEY = "tamter.http";

    private final Ignite ignite;
    private final NamespaceManager engine;
    private final ObjectStore store;
    private final Path dataDir;
    private final DataDirLock lock;
    private final ShardOwnership ownership;

    private GridNode(Ignite ignite, NamespaceManager engine, ObjectStore store, Path dataDir, DataDirLock lock, ShardOwnership ownership) {
        this.lock = lock;
        this.ownership = ownership;
        this.ignite = ignite;
        this.engine = engine;
        this.store = store;
        this.dataDir = dataDir;
    }

    /** The ownership key of shard {@code shard} of namespace {@code ns}. */
    public static String shardKey(String ns, int shard) {
        return ns + "/" + shard;
    }

    /** The engine of the node a job runs on, or null on a node without one (a client node). */
    public static NamespaceManager engineOf(Ignite ignite) {
        return (NamespaceManager) ignite.cluster().nodeLocalMap().get(ENGINE_KEY);
    }

    /** The REST base URL the process of {@code ignite} serves ({@link #HTTP_URL_KEY}), or null when it serves none. */
    public static String httpUrlOf(Ignite ignite) {
        Object u = ignite.cluster().nodeLocalMap().get(HTTP_URL_KEY);
        return u == null ? null : u.toString();
    }

    /** The discovery address of {@code ignite}'s node, {@code host:port}: what other nodes' {@code --join} names. */
    public static String discoveryAddress(Ignite ignite) {
        TcpDiscoverySpi d = (TcpDiscoverySpi) ignite.configuration().getDiscoverySpi();
        String host = d.getLocalAddress();
        if (host == null || host.isBlank()) host = ignite.cluster().localNode().hostNames().stream().findFirst().orElse("localhost");
        return host + ":" + d.getLocalPort();
    }

    /**
     * Starts a server node with its data under {@code dataDir} (created if missing).
     *
     * @param consistentId the node's fixed identity across restarts (STACK.md: give every node one)
     */
    public static GridNode start(Path dataDir, String consistentId, Settings settings) throws IOException {
        Files.createDirectories(dataDir);
        return start(dataDir, consistentId, settings, new LocalDirectoryObjectStore(dataDir.toAbsolutePath().normalize().resolve("objects")), false);
    }

    /** What a start that failed had opened, in reverse order (engine, then store, then the data dir's lock). */
    private static void closeAfterFailedStart(NamespaceManager engine, ObjectStore store, DataDirLock lock) throws IOException {
        try {
            if (engine != null) engine.close();
        } finally {
            try {
                store.close();
            } finally {
                lock.close();
            }
        }
    }

    /**
     * Starts a server node on {@code store} as its source of truth (for example a
     * {@link io.tamter.node.objectstore.GcsObjectStore}); only local state lives under
     * {@code dataDir}. The node owns the store from here on and closes it last.
     */
    public static GridNode start(Path dataDir, String consistentId, Settings settings, ObjectStore store) throws IOException {
        return start(dataDir, consistentId, settings, store, true);
    }

    /** @param storeGiven whether {@code store} was chosen by the caller ({@code --object-store}), not the default under {@code dataDir} */
    private static GridNode start(Path dataDir, String consistentId, Settings settings, ObjectStore store, boolean storeGiven) throws IOException {
        TcpDiscoveryIpFinder finder;
        try {
            finder = ipFinder(settings, store, storeGiven);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        Path absolute = dataDir.toAbsolutePath().normalize();
        DataDirLock lock;
        try {
            lock = DataDirLock.acquire(absolute); // before anything under it is opened
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        NamespaceManager engine;
        try {
            engine = new NamespaceManager(absolute.resolve("local"), store, settings, null);
        } catch (RuntimeException e) {
            closeAfterFailedStart(null, store, lock);
            throw e;
        }
        quietIgnite();
        Ignite ignite;
        try {
            ignite = Ignition.start(configuration(absolute, consistentId, settings, false, finder));
        } catch (RuntimeException e) {
            finder.close(); // a registration it wrote must not outlive the failed start (Ignite may not have closed it)
            closeAfterFailedStart(engine, store, lock);
            throw e;
        }
        ShardOwnership ownership;
        try {
            ignite.getOrCreateCache(shardsCache(settings));
            ownership = new ShardOwnership(ignite, engine, settings);
            engine.useGrid(ownership, ownership);
        } catch (RuntimeException e) {
            Ignition.stop(ignite.name(), true);
            closeAfterFailedStart(engine, store, lock);
            throw e;
        }
        ignite.cluster().nodeLocalMap().put(ENGINE_KEY, engine);
        ownership.start(settings);
        LOG.info("grid node {} started: data {}, object store {}, discovery {}:{} ({}), {} server node(s) in the grid", consistentId, absolute,
                store, settings.get(Params.GRID_HOST), settings.getInt(Params.GRID_DISCOVERY_PORT), finder,
                ignite.cluster().forServers().nodes().size());
        return new GridNode(ignite, engine, store, absolute, lock, ownership);
    }

    /** Ignite's console banner and tuning hints are not for Tamter's users: set before any Ignition.start (servers, frontends). */
    public static void quietIgnite() {
        System.setProperty("IGNITE_NO_ASCII", "true");
        System.setProperty("IGNITE_QUIET", "false"); // Ignite's console lines go to the logger (warn and up)
        System.setProperty("IGNITE_PERFORMANCE_SUGGESTIONS_DISABLED", "true");
        System.setProperty("IGNITE_UPDATE_NOTIFIER", "false");
    }

    static CacheConfiguration<String, Boolean> shardsCache(Settings settings) {
        CacheConfiguration<String, Boolean> c = new CacheConfiguration<>(SHARDS_CACHE);
        c.setCacheMode(CacheMode.PARTITIONED);
        c.setBackups(settings.getInt(Params.GRID_SHARD_BACKUPS));
        // few partitions: the cache holds no data, only decides ownership; 1024 would make every
        // node join rebalance a thousand empty partitions
        c.setAffinity(new RendezvousAffinityFunction(false, 64));
        // The cache holds no data: a partition "lost" (its primary and backups gone at once) loses
        // nothing, its new primary opens the shards from the object store. IGNORE keeps it usable.
        c.setPartitionLossPolicy(PartitionLossPolicy.IGNORE);
        return c;
    }

    /** The values of {@link Params#GRID_DISCOVERY}. */
    static final List<String> DISCOVERY_MODES = List.of("auto", "static", "object_store");

    /**
     * The IP finder {@link Params#GRID_DISCOVERY} selects for a server node on {@code store}:
     * {@code static} the list of {@link #staticIpFinder}; {@code object_store} an {@link
     * ObjectStoreIpFinder} on {@code store}; {@code auto} the object store when the caller chose the
     * store ({@code storeGiven}: {@code --object-store}, which every node of a grid is given) and no
     * static addresses ({@code --join}) were given, else static. A node on its private default store
     * ({@code DATA/objects}) could find only itself there, hence static for it under auto.
     */
    static TcpDiscoveryIpFinder ipFinder(Settings settings, ObjectStore store, boolean storeGiven) {
        if (!usesObjectStoreDiscovery(settings, storeGiven)) return staticIpFinder(settings);
        return new ObjectStoreIpFinder(store, settings.getLong(Params.GRID_DISCOVERY_REFRESH_MS), settings.getLong(Params.GRID_DISCOVERY_EXPIRY_MS));
    }

    /** Whether {@link #ipFinder} selects object-store discovery (see there); fails naming a bad {@code grid.discovery}. */
    public static boolean usesObjectStoreDiscovery(Settings settings, boolean storeGiven) {
        String mode = settings.get(Params.GRID_DISCOVERY);
        if (!DISCOVERY_MODES.contains(mode))
            throw new IllegalArgumentException(Params.GRID_DISCOVERY.key() + " must be one of " + DISCOVERY_MODES + "; got '" + mode + "'");
        return mode.equals("object_store") || mode.equals("auto") && storeGiven && settings.get(Params.GRID_DISCOVERY_ADDRESSES).isBlank();
    }

    /**
     * The static IP finder: {@link Params#GRID_DISCOVERY_ADDRESSES} plus the node's own address,
     * always: a node whose join addresses all fail to answer starts a grid of its own instead of
     * waiting for them forever (never hang).
     */
    public static TcpDiscoveryVmIpFinder staticIpFinder(Settings settings) {
        String host = settings.get(Params.GRID_HOST);
        int discoveryPort = settings.getInt(Params.GRID_DISCOVERY_PORT);
        int range = settings.getInt(Params.GRID_DISCOVERY_PORT_RANGE);
        List<String> addresses = new ArrayList<>();
        addresses.add(host + ":" + discoveryPort + (range > 0 ? ".." + (discoveryPort + range) : ""));
        for (String a : settings.get(Params.GRID_DISCOVERY_ADDRESSES).split(",")) if (!a.isBlank()) addresses.add(a.trim());
        TcpDiscoveryVmIpFinder finder = new TcpDiscoveryVmIpFinder();
        finder.setAddresses(addresses);
        return finder;
    }

    /** The Ignite configuration of a Tamter node (server, or client for an HTTP-only frontend), with the static IP finder. */
    public static IgniteConfiguration configuration(Path dataDir, String consistentId, Settings settings, boolean client) {
        return configuration(dataDir, consistentId, settings, client, staticIpFinder(settings));
    }

    /** The Ignite configuration of a Tamter node that finds the grid through {@code finder}. */
    public static IgniteConfiguration configuration(Path dataDir, String consistentId, Settings settings, boolean client, TcpDiscoveryIpFinder finder) {
        String host = settings.get(Params.GRID_HOST);
        int discoveryPort = settings.getInt(Params.GRID_DISCOVERY_PORT);
        int range = settings.getInt(Params.GRID_DISCOVERY_PORT_RANGE);
        TcpDiscoverySpi discovery = new TcpDiscoverySpi();
        discovery.setIpFinder(finder);
        discovery.setLocalAddress(host);
        discovery.setLocalPort(discoveryPort);
        discovery.setLocalPortRange(range);
        discovery.setJoinTimeout(settings.getLong(Params.GRID_JOIN_TIMEOUT_MS));

        TcpCommunicationSpi communication = new TcpCommunicationSpi();
        communication.setLocalAddress(host);
        communication.setLocalPort(settings.getInt(Params.GRID_COMMUNICATION_PORT));
        communication.setLocalPortRange(100);
        communication.setMessageQueueLimit(settings.getInt(Params.GRID_MESSAGE_QUEUE_LIMIT));

        IgniteConfiguration c = new IgniteConfiguration();
        c.setIgniteInstanceName("tamter-" + consistentId + "-" + UUID.randomUUID().toString().substring(0, 8));
        c.setConsistentId(consistentId);
        c.setClientMode(client);
        c.setDiscoverySpi(discovery);
        c.setCommunicationSpi(communication);
        c.setGridLogger(new Slf4jLogger());
        c.setWorkDirectory(dataDir.resolve("ignite").toString());
        c.setMetricsLogFrequency(0);
        c.setIncludeEventTypes(ShardOwnership.EVENTS); // ownership reacts to topology changes
        c.setPeerClassLoadingEnabled(false);
        c.setPublicThreadPoolSize(settings.getInt(Params.GRID_JOB_THREADS));
        // the parts of a grid write or read that a coordinator job sends to the shards' owners run in a
        // pool of their own: a coordinator waiting in the public pool for parts queued behind it in
        // the same pool could starve it
        c.setExecutorConfiguration(new ExecutorConfiguration(SHARD_OPS_EXECUTOR).setSize(settings.getInt(Params.GRID_JOB_THREADS)));
        // Tamter keeps no data in Ignite caches (the ownership cache is empty): a small default region
        DataStorageConfiguration ds = new DataStorageConfiguration();
        ds.getDefaultDataRegionConfiguration().setInitialSize(16L << 20).setMaxSize(64L << 20);
        c.setDataStorageConfiguration(ds);
        int clientPort = settings.getInt(Params.GRID_CLIENT_PORT);
        if (clientPort > 0 && !client) {
            ClientConnectorConfiguration cc = new ClientConnectorConfiguration();
            cc.setHost(host);
            cc.setPort(clientPort);
            cc.setPortRange(10);
            // thin-client compute is off by default (STACK.md); TamterClient runs tasks by name
            cc.setThinClientConfiguration(new ThinClientConfiguration().setMaxActiveComputeTasksPerConnection(64));
            c.setClientConnectorConfiguration(cc);
        } else {
            c.setClientConnectorConfiguration(null);
        }
        return c;
    }

    public Ignite ignite() {
        return ignite;
    }

    /** How this node finds the grid, for the start line: its IP finder described. */
    public String discovery() {
        TcpDiscoveryIpFinder f = ((TcpDiscoverySpi) ignite.configuration().getDiscoverySpi()).getIpFinder();
        return f instanceof TcpDiscoveryVmIpFinder vm ? "static addresses " + vm.getRegisteredAddresses() : f.toString();
    }

    /** The ports this node bound: discovery, communication, thin client (0: none). */
    public record Ports(int discovery, int communication, int thinClient) {}

    /** The ports this node actually bound (the configured ones, or the next free ones in their ranges). */
    public Ports ports() {
        IgniteConfiguration c = ignite.configuration();
        int disc = ((TcpDiscoverySpi) c.getDiscoverySpi()).getLocalPort();
        int comm = ((TcpCommunicationSpi) c.getCommunicationSpi()).boundPort();
        Object client = ignite.cluster().localNode().attribute("clientListenerPort");
        return new Ports(disc, comm, client instanceof Number n ? n.intValue() : 0);
    }

    public NamespaceManager engine() {
        return engine;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The object store this node's shards live in (shared by the grid's nodes when they are given the same one). */
    public ObjectStore store() {
        return store;
    }

    /** Whether the node is in a grid with its shard cache started (the {@code /ready} check). */
    public boolean ready() {
        try {
            return ignite.cluster().active() && ignite.cache(SHARDS_CACHE) != null && ownership.ready();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Stops taking jobs, lets the running ones finish, leaves the grid, then closes the engine
     * (pending WAL writes are written, final checkpoints taken).
     *
     * <p>The order is what makes a write's answer true: with the engine key gone a job that lands
     * now answers 503 {@code node_unavailable} before it touches a shard (nothing written); a job
     * already running holds the engine, and Ignite is stopped with {@code cancel=false}, which waits
     * for it, so its caller gets the job's real answer. {@code ignite.close()} would cancel it: the
     * caller would get "task cancelled due to stopping of the grid" while the job, its write already
     * queued for the WAL, went on and applied it (issue 9).
     */
    @Override
    public void close() throws IOException {
        ignite.cluster().nodeLocalMap().remove(ENGINE_KEY);
        try {
            ownership.close(); // no more opening or closing of shards by ownership checks
            Ignition.stop(ignite.name(), false);
        } finally {
            try {
                engine.close();
            } finally {
                try {
                    store.close(); // after the engine: its final WAL writes and checkpoints go to the store
                } finally {
                    lock.close();
                }
            }
        }
    }
}
