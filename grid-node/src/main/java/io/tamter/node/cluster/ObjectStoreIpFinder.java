package io.tamter.node.cluster;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.tamter.node.objectstore.ObjectInfo;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.objectstore.StoredObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.ignite.spi.IgniteSpiException;
import org.apache.ignite.spi.discovery.tcp.ipfinder.TcpDiscoveryIpFinderAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ignite discovery through the object store the grid already shares: each server node writes one
 * small object per discovery address under {@value #PREFIX} and reads the others' to find the grid.
 * On GCE the nodes of a managed instance group come and go with addresses nobody knows in advance,
 * but they all have the bucket; on one machine a {@code file://} store works the same way.
 *
 * <p>The contract is Ignite's for a <em>shared</em> finder ({@link #isShared()}): at start the SPI
 * registers the node's own addresses ({@link #initializeLocalAddresses}), then tries the registered
 * ones; a node that reaches nobody else starts a grid of its own, so a stale registration costs a
 * failed connection, never a node that cannot start. The coordinator's IP finder cleaner (every
 * {@code ipFinderCleanFrequency}) registers the addresses of live nodes that are missing and
 * unregisters those that are neither in the topology nor answer a ping.
 *
 * <p>What Ignite does not do, this class adds:
 * <ul>
 *   <li><b>Expiry.</b> A registration carries the time it was written; its node rewrites it every
 *       {@code refreshMs}. One older than {@code expiryMs} (a node killed without a clean stop, a VM
 *       deleted) is ignored by {@link #getRegisteredAddresses} and deleted there, so a grid whose
 *       coordinator died with the others still sheds it. Writer and reader clocks are compared:
 *       they must agree to well within {@code expiryMs} (NTP on GCE keeps them within milliseconds).</li>
 *   <li><b>Unregistering on a clean stop.</b> Ignite only closes the finder when a node stops;
 *       {@link #close()} deletes this node's registrations.</li>
 * </ul>
 *
 * <p>Object format (UTF-8 text, key {@code ~grid/discovery/<host>_<port>}, host characters other
 * than letters, digits, '.' and '-' written as '_'):
 * <pre>
 * tamter-discovery 1
 * host=&lt;IP address or host name&gt;
 * port=&lt;discovery port&gt;
 * registered_ms=&lt;epoch milliseconds of the write&gt;
 * </pre>
 * Version history: 1, the first. An object under the prefix that does not parse is ignored and
 * left alone (never deleted: it is not ours to judge). The prefix starts with '~', which no
 * namespace name may contain, so no namespace's keys can fall under it.
 */
public final class ObjectStoreIpFinder extends TcpDiscoveryIpFinderAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ObjectStoreIpFinder.class);

    /** Where registrations live in the object store. */
    public static final String PREFIX = "~grid/discovery/";
    static final String VERSION_LINE = "tamter-discovery 1";

    private final ObjectStore store;
    private final long refreshMs;
    private final long expiryMs;
    private final LongSupplier clock;
    /** This node's own addresses (from {@link #initializeLocalAddresses}): refreshed, unregistered on close. */
    private final Set<InetSocketAddress> local = new LinkedHashSet<>();
    private ScheduledExecutorService refresher;
    private boolean closed;
    /** Whether the last refresh failed: a store outage is logged once when it starts and once when it ends. */
    private volatile boolean refreshFailing;

    /**
     * @param store     the object store every node of the grid is given (not closed by this finder)
     * @param refreshMs how often this node rewrites its registrations
     * @param expiryMs  age after which a registration is ignored and deleted; greater than {@code refreshMs}
     */
    public ObjectStoreIpFinder(ObjectStore store, long refreshMs, long expiryMs) {
        this(store, refreshMs, expiryMs, System::currentTimeMillis);
    }

    ObjectStoreIpFinder(ObjectStore store, long refreshMs, long expiryMs, LongSupplier clock) {
        if (store == null) throw new IllegalArgumentException("object store discovery needs an object store");
        if (refreshMs <= 0) throw new IllegalArgumentException("grid.discovery_refresh_ms must be > 0; got " + refreshMs);
        if (expiryMs <= refreshMs)
            throw new IllegalArgumentException("grid.discovery_expiry_ms must be > grid.discovery_refresh_ms (a live node's registration "
                    + "would expire between two refreshes); grid.discovery_expiry_ms=" + expiryMs + ", grid.discovery_refresh_ms=" + refreshMs);
        this.store = store;
        this.refreshMs = refreshMs;
        this.expiryMs = expiryMs;
        this.clock = clock;
        setShared(true);
    }

    /** The object key of the registration of {@code addr}. */
    static String key(InetSocketAddress addr) {
        StringBuilder sb = new StringBuilder(PREFIX);
        for (char c : host(addr).toCharArray()) sb.append(Character.isLetterOrDigit(c) && c < 128 || c == '.' || c == '-' ? c : '_');
        return sb.append('_').append(addr.getPort()).toString();
    }

    private static String host(InetSocketAddress addr) {
        return addr.getAddress() != null ? addr.getAddress().getHostAddress() : addr.getHostString();
    }

    static byte[] encode(InetSocketAddress addr, long registeredMs) {
        return (VERSION_LINE + "\nhost=" + host(addr) + "\nport=" + addr.getPort() + "\nregistered_ms=" + registeredMs + "\n").getBytes(UTF_8);
    }

    /** A parsed registration: the address and when it was written. */
    record Registration(String host, int port, long registeredMs) {
        InetSocketAddress address() {
            return new InetSocketAddress(host, port);
        }
    }

    /** The registration in {@code bytes}, or empty when they are not one (another version, a foreign object). */
    static Optional<Registration> decode(byte[] bytes) {
        String[] lines = new String(bytes, UTF_8).split("\n");
        if (lines.length < 4 || !lines[0].equals(VERSION_LINE)) return Optional.empty();
        String host = null;
        Integer port = null;
        Long registered = null;
        try {
            for (int i = 1; i < lines.length; i++) {
                String l = lines[i];
                if (l.startsWith("host=")) host = l.substring(5);
                else if (l.startsWith("port=")) port = Integer.parseInt(l.substring(5));
                else if (l.startsWith("registered_ms=")) registered = Long.parseLong(l.substring(14));
            }
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        if (host == null || host.isEmpty() || port == null || port < 1 || port > 65535 || registered == null) return Optional.empty();
        return Optional.of(new Registration(host, port, registered));
    }

    /**
     * The addresses of the live registrations. Expired ones are skipped and deleted (only if not
     * rewritten since they were read: a node that came back in the meantime keeps its new one).
     */
    @Override
    public Collection<InetSocketAddress> getRegisteredAddresses() throws IgniteSpiException {
        long now = clock.getAsLong();
        List<InetSocketAddress> out = new ArrayList<>();
        try {
            for (ObjectInfo info : store.list(PREFIX)) {
                Optional<StoredObject> o = store.getObject(info.key());
                if (o.isEmpty()) continue; // unregistered since the listing
                Optional<Registration> r = decode(o.get().bytes());
                if (r.isEmpty()) {
                    LOG.debug("object store discovery: {} is not a registration; ignored", info.key());
                    continue;
                }
                long age = now - r.get().registeredMs();
                if (age > expiryMs) {
                    deleteIfUnchanged(info.key(), o.get().generation(), age);
                    continue;
                }
                out.add(r.get().address());
            }
        } catch (IOException e) {
            throw new IgniteSpiException("object store discovery: could not read the registrations under " + PREFIX + " in " + store + ": " + e, e);
        }
        return out;
    }

    private void deleteIfUnchanged(String key, long generation, long age) throws IOException {
        // the store has no conditional delete; checking the generation just before narrows the race
        // with a node that rewrites its registration to a moment, and such a node writes it again
        // within refreshMs
        Optional<ObjectInfo> now = store.stat(key);
        if (now.isPresent() && now.get().generation() == generation && store.delete(key))
            LOG.info("object store discovery: deleted the expired registration {} ({} ms old, expiry {} ms)", key, age, expiryMs);
    }

    @Override
    public void registerAddresses(Collection<InetSocketAddress> addrs) throws IgniteSpiException {
        long now = clock.getAsLong();
        for (InetSocketAddress a : addrs) {
            try {
                store.put(key(a), encode(a, now));
            } catch (IOException e) {
                throw new IgniteSpiException("object store discovery: could not register " + a + " in " + store + ": " + e, e);
            }
        }
    }

    @Override
    public void unregisterAddresses(Collection<InetSocketAddress> addrs) throws IgniteSpiException {
        for (InetSocketAddress a : addrs) {
            try {
                store.delete(key(a));
            } catch (IOException e) {
                throw new IgniteSpiException("object store discovery: could not unregister " + a + " in " + store + ": " + e, e);
            }
        }
    }

    /** Registers this node's addresses and starts rewriting them every {@code refreshMs}. */
    @Override
    public void initializeLocalAddresses(Collection<InetSocketAddress> addrs) throws IgniteSpiException {
        registerAddresses(addrs); // first: Ignite retries a failed registration, and only a registered node is refreshed
        synchronized (this) {
            if (closed) return;
            local.addAll(addrs);
            if (refresher == null) {
                refresher = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "tamter-discovery-refresh");
                    t.setDaemon(true);
                    return t;
                });
                refresher.scheduleWithFixedDelay(this::refresh, refreshMs, refreshMs, TimeUnit.MILLISECONDS);
            }
        }
    }

    private void refresh() {
        List<InetSocketAddress> mine;
        synchronized (this) {
            if (closed) return;
            mine = List.copyOf(local);
        }
        try {
            registerAddresses(mine);
            if (refreshFailing) LOG.info("object store discovery: registrations {} refreshed again", mine);
            refreshFailing = false;
        } catch (IgniteSpiException e) {
            // keep going: the registration expires only after expiryMs, and the next refresh may succeed
            if (!refreshFailing) LOG.warn("object store discovery: could not refresh {} (retrying every {} ms): {}", mine, refreshMs, e.getMessage());
            refreshFailing = true;
        }
    }

    /** This node's registrations (the addresses it registered at start). */
    synchronized List<InetSocketAddress> localAddresses() {
        return List.copyOf(local);
    }

    /** Stops refreshing and deletes this node's registrations (Ignite calls it when the discovery SPI stops). */
    @Override
    public void close() {
        List<InetSocketAddress> mine;
        ScheduledExecutorService r;
        synchronized (this) {
            if (closed) return;
            closed = true;
            r = refresher;
            mine = List.copyOf(local);
        }
        if (r != null) {
            r.shutdown(); // cancels the periodic refresh; one under way finishes (an interrupt could break its write)
            try {
                r.awaitTermination(10, TimeUnit.SECONDS); // a refresh under way must not write after the delete
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            unregisterAddresses(mine);
        } catch (IgniteSpiException e) {
            LOG.warn("object store discovery: could not unregister {} at stop (they expire after {} ms): {}", mine, expiryMs, e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "object store discovery under " + PREFIX + " in " + store + " (refresh " + refreshMs + " ms, expiry " + expiryMs + " ms)";
    }
}
