package io.tamter.node.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.config.Settings;
import io.tamter.node.embed.Embedders;
import io.tamter.node.objectstore.ObjectInfo;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.objectstore.StoredObject;
import io.tamter.node.shard.Shard;
import io.tamter.node.wal.WalShard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The namespace engine of one node: opens namespaces from the object store
 * ({@code <ns>/meta.json}) with their shards' local state under {@code dataDir/<ns>/shards/<s>/},
 * creates them on first write, lists and deletes them. Thread-safe.
 */
public final class NamespaceManager implements AutoCloseable {
    private final Path dataDir;
    private final ObjectStore store;
    private final Settings settings;
    private final Embedders embedders;
    private final boolean ownsEmbedders;
    private final Map<String, Namespace> open = new ConcurrentHashMap<>();

    /** @param embedders shared embedders, or null to create (and close) its own */
    public NamespaceManager(Path dataDir, ObjectStore store, Settings settings, Embedders embedders) {
        this.dataDir = dataDir;
        this.store = store;
        this.settings = settings;
        this.ownsEmbedders = embedders == null;
        this.embedders = embedders == null ? new Embedders(settings) : embedders;
    }

    /**
     * Creates a namespace with options ({@code distance_metric}, {@code num_shards},
     * {@code embedding_model}, {@code schema}) or opens it if it exists already (its stored
     * settings win; options are then ignored).
     */
    public synchronized Namespace create(String name, JsonNode options) throws IOException {
        NamespaceSettings.checkName(name);
        Namespace ns = open.get(name);
        if (ns != null) return ns;
        NamespaceSettings s = NamespaceSettings.create(name, options, System.currentTimeMillis());
        store.compareAndSet(NamespaceSettings.key(name), ObjectStore.NO_GENERATION, s.encode());
        return openExisting(name).orElseThrow(() -> new NamespaceNotFoundException(name));
    }

    /** The namespace, created with default settings if it does not exist (writes create namespaces). */
    public Namespace getOrCreate(String name) throws IOException {
        Namespace ns = open.get(name);
        return ns != null ? ns : create(name, null);
    }

    /** @throws NamespaceNotFoundException when it does not exist */
    public Namespace get(String name) throws IOException {
        return find(name).orElseThrow(() -> new NamespaceNotFoundException(name));
    }

    public Optional<Namespace> find(String name) throws IOException {
        NamespaceSettings.checkName(name);
        Namespace ns = open.get(name);
        if (ns != null) return Optional.of(ns);
        synchronized (this) {
            return openExisting(name);
        }
    }

    private Optional<Namespace> openExisting(String name) throws IOException {
        Namespace ns = open.get(name);
        if (ns != null) return Optional.of(ns);
        Optional<StoredObject> o = store.getObject(NamespaceSettings.key(name));
        if (o.isEmpty()) return Optional.empty();
        NamespaceSettings s = NamespaceSettings.decode(o.get().bytes());
        Shard[] shards = new Shard[s.numShards()];
        try {
            for (int i = 0; i < shards.length; i++) {
                shards[i] = Shard.open(dataDir.resolve(name).resolve("shards").resolve(Integer.toString(i)), store,
                        new WalShard(name, i), s.metric(), s.dimensions(), s.schema(), settings);
            }
        } catch (IOException | RuntimeException e) {
            for (Shard sh : shards) if (sh != null) try { sh.close(); } catch (IOException ignored) { /* first error wins */ }
            throw e;
        }
        ns = new Namespace(s, o.get().generation(), store, shards, embedders::get);
        open.put(name, ns);
        return Optional.of(ns);
    }

    /** The settings this engine runs with. */
    public Settings settings() {
        return settings;
    }

    /** The namespaces open on this node now (metrics). */
    public java.util.Collection<Namespace> openNamespaces() {
        return List.copyOf(open.values());
    }

    /**
     * Names of the namespaces whose name starts with {@code prefix}, sorted. Lists the object
     * store under the prefix (fine for a local directory; a GCS listing with a delimiter is a TODO).
     */
    public List<String> list(String prefix) throws IOException {
        List<String> out = new ArrayList<>();
        for (ObjectInfo i : store.list(prefix == null ? "" : prefix)) {
            String k = i.key();
            int slash = k.indexOf('/');
            if (slash > 0 && k.substring(slash).equals("/meta.json")) out.add(k.substring(0, slash));
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** Deletes the namespace: closes it, removes its settings (it is gone from then on), its objects and its local state. */
    public synchronized boolean delete(String name) throws IOException {
        NamespaceSettings.checkName(name);
        Namespace ns = open.remove(name);
        if (ns != null) ns.close(false); // its objects go next: no final checkpoint
        boolean existed = store.delete(NamespaceSettings.key(name));
        store.deletePrefix(name + "/");
        Path local = dataDir.resolve(name);
        if (Files.exists(local)) {
            try (Stream<Path> s = Files.walk(local)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
        return existed || ns != null;
    }

    /** Closes every open namespace (pending WAL writes are written, text indexes committed). */
    @Override
    public synchronized void close() throws IOException {
        IOException first = null;
        for (Namespace ns : open.values()) {
            try {
                ns.close();
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        open.clear();
        if (ownsEmbedders) embedders.close();
        if (first != null) throw first;
    }
}
