package io.tamter.node.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.config.Settings;
import io.tamter.node.crypto.EncryptingObjectStore;
import io.tamter.node.crypto.KeyEncryptionKeys;
import io.tamter.node.crypto.KeyUnavailableException;
import io.tamter.node.crypto.NamespaceDataKeys;
import io.tamter.node.doc.Document;
import io.tamter.node.doc.InvalidRequestException;
import io.tamter.node.embed.Embedders;
import io.tamter.node.objectstore.ObjectInfo;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.objectstore.StoredObject;
import io.tamter.node.shard.Shard;
import io.tamter.node.wal.CorruptWalException;
import io.tamter.node.wal.WalSegmentCodec;
import io.tamter.node.wal.WalShard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The namespace engine of one node: opens namespaces from the object store
 * ({@code <ns>/meta.json}) with their shards' local state under {@code dataDir/<ns>/shards/<s>/},
 * creates them on first write, lists, copies and deletes them, and changes their encryption.
 * Thread-safe.
 *
 * <h2>Encryption</h2>
 * A namespace with customer-managed encryption ({@link EncryptionSettings}) is opened only with
 * its data key, unwrapped by the named key-encryption key of the node's keystore
 * ({@code crypto.keystore_path}): its shards read and write through an
 * {@link EncryptingObjectStore} for {@code <ns>/}, so WAL segments, manifests and every
 * checkpoint file are ciphertext in the object store. {@code meta.json} stays plaintext (it
 * names the key; it holds attribute names and types, no values), as does the wrapped data key
 * record {@code <ns>/keys/data-key.bin}. Without the key (not in the keystore, another key under
 * that name, no keystore) opening fails with a {@link KeyUnavailableException} naming the key,
 * before any shard is opened, so nothing of the namespace is served.
 */
public final class NamespaceManager implements AutoCloseable {
    private final Path dataDir;
    private final ObjectStore store;
    private final Settings settings;
    private final Embedders embedders;
    private final boolean ownsEmbedders;
    private final KeyEncryptionKeys keks;
    private final Map<String, Namespace> open = new ConcurrentHashMap<>();
    /** Which shards this node serves; {@link ShardPlacement#ALL} until a grid sets it. */
    private volatile ShardPlacement placement = ShardPlacement.ALL;
    /** How settings changes reach the other nodes of a grid; {@link SettingsSync#NONE} on one node. */
    private volatile SettingsSync sync = SettingsSync.NONE;
    /** The cold tier: idle unload, the local disk budget, cache counters. */
    private final ShardCache cache;

    /**
     * Which shards of which namespace this node serves. On one node: all of them. On a grid: the
     * shards the ownership cache makes this node the primary of ({@code GridNode}); shards are then
     * opened with {@code claim} (WAL fencing of the previous owner, see {@link Shard#open}).
     */
    public interface ShardPlacement {
        boolean servesHere(String namespace, int shard);

        /** Whether a shard opened here must fence a previous owner (a grid: ownership moves between nodes). */
        default boolean fenceOnOpen() {
            return true;
        }

        /** Every shard, no fencing: a single node. */
        ShardPlacement ALL = new ShardPlacement() {
            @Override
            public boolean servesHere(String namespace, int shard) {
                return true;
            }

            @Override
            public boolean fenceOnOpen() {
                return false;
            }
        };
    }

    /**
     * Tells the nodes of a grid that a namespace's {@code meta.json} changed, and asks whether it
     * changed since a token: the object store stays the source of truth, the tokens only say when to
     * read it again (a REPLICATED cache in {@code GridNode}: a local read on every node).
     */
    public interface SettingsSync {
        /** The namespace's current change token, or null when none was published. */
        Object token(String namespace);

        /** Publishes a change of the namespace's settings (a new token). */
        void changed(String namespace);

        /** Forgets a deleted namespace. */
        default void deleted(String namespace) {}

        SettingsSync NONE = new SettingsSync() {
            @Override
            public Object token(String namespace) {
                return null;
            }

            @Override
            public void changed(String namespace) {}
        };
    }

    /** Sets which shards this node serves (a grid node: the ones it owns) and how settings changes travel; before the first namespace opens. */
    public void useGrid(ShardPlacement placement, SettingsSync sync) {
        this.placement = placement;
        this.sync = sync;
    }

    /** The shard placement in force. */
    public ShardPlacement placement() {
        return placement;
    }

    /**
     * Key-encryption keys from {@code crypto.keystore_path} and {@code crypto.keystore_password}.
     *
     * @param embedders shared embedders, or null to create (and close) its own
     */
    public NamespaceManager(Path dataDir, ObjectStore store, Settings settings, Embedders embedders) {
        this(dataDir, store, settings, embedders, KeyEncryptionKeys.fromSettings(settings));
    }

    /** With the given key-encryption keys. */
    public NamespaceManager(Path dataDir, ObjectStore store, Settings settings, Embedders embedders, KeyEncryptionKeys keks) {
        this.keks = keks;
        this.dataDir = dataDir;
        this.store = store;
        this.settings = settings;
        this.ownsEmbedders = embedders == null;
        this.embedders = embedders == null ? new Embedders(settings) : embedders;
        this.cache = new ShardCache(this, dataDir, settings);
    }

    /** The cold tier of this node: shard loads, unloads and evictions, and their counters. */
    public ShardCache cache() {
        return cache;
    }

    /**
     * Creates a namespace with options ({@code distance_metric}, {@code num_shards},
     * {@code embedding_model}, {@code schema}, {@code encryption}) or opens it if it exists
     * already (its stored settings win; options are then ignored). With customer-managed
     * encryption the data key is created (wrapped by the named key) before the settings are
     * written; a key the keystore does not have is an {@link InvalidRequestException}
     * ({@code key_unavailable}, path {@code encryption.key_name}).
     */
    public synchronized Namespace create(String name, JsonNode options) throws IOException {
        NamespaceSettings.checkName(name);
        Optional<Namespace> existing = openExisting(name);
        if (existing.isPresent()) return existing.get();
        NamespaceSettings s = NamespaceSettings.create(name, options, System.currentTimeMillis());
        return createWith(s, "encryption.key_name");
    }

    private Namespace createWith(NamespaceSettings s, String keyPath) throws IOException {
        String name = s.name();
        if (s.encryption().customerManaged()) prepareDataKey(name, s.encryption().keyName(), keyPath, true);
        store.compareAndSet(NamespaceSettings.key(name), ObjectStore.NO_GENERATION, s.encode());
        return openExisting(name).orElseThrow(() -> new NamespaceNotFoundException(name));
    }

    /** Checks the KEK (a 400 naming {@code keyPath} when unavailable) and creates a fresh data key for a namespace without data. */
    private void prepareDataKey(String name, String keyName, String keyPath, boolean checkEmpty) throws IOException {
        try {
            keks.key(keyName);
        } catch (KeyUnavailableException e) {
            throw new InvalidRequestException("key_unavailable", keyPath, keyPath + ": " + e.getMessage());
        }
        if (checkEmpty && hasData(name))
            throw new NamespaceConflictException("namespace_not_empty", keyPath, keyPath + ": namespace " + name
                    + " has data in the object store; its encryption cannot change");
        // a record left by an earlier namespace of this name, or by a create that crashed: replace it
        store.delete(NamespaceDataKeys.recordKey(name));
        NamespaceDataKeys.createOrLoad(store, name, keyName, keks);
    }

    /** Whether the namespace has written any object under {@code <ns>/shards/} (a WAL segment, a manifest, a checkpoint file). */
    private boolean hasData(String name) throws IOException {
        return !store.list(name + "/shards/").isEmpty();
    }

    /** A WAL segment no larger than this may be an owner's claim (an empty segment, plus what encryption adds). */
    private static final int CLAIM_MAX_BYTES = 4096;

    /**
     * The contents of the namespace's objects under {@code <ns>/shards/} when all of them are WAL
     * segments without entries, read through {@code current} (the store they were written
     * through); null when any other object is there (it has data). Such segments are the claims a
     * grid node writes when it takes a shard over ({@link Shard#open} with claim): on a grid a
     * namespace has them as soon as its shards are opened, before any write.
     */
    private Map<String, byte[]> claimsOnly(String name, ObjectStore current) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (ObjectInfo i : store.list(name + "/shards/")) {
            if (!i.key().endsWith(WalShard.SUFFIX) || i.size() > CLAIM_MAX_BYTES) return null;
            Optional<byte[]> b = current.get(i.key());
            if (b.isEmpty()) continue; // deleted meanwhile
            try {
                if (!WalSegmentCodec.decode(i.key(), b.get()).entries().isEmpty()) return null;
            } catch (CorruptWalException e) {
                return null; // not readable as a claim: count it as data
            }
            out.put(i.key(), b.get());
        }
        return out;
    }

    /** The store the shards of a namespace with {@code enc} write through. */
    private ObjectStore dataStore(String name, EncryptionSettings enc) throws IOException {
        if (!enc.customerManaged()) return store;
        String record = NamespaceDataKeys.recordKey(name);
        if (store.stat(record).isEmpty() && hasData(name))
            throw new KeyUnavailableException(enc.keyName(), "namespace '" + name + "' has data but its data key record " + record
                    + " is missing; its data cannot be decrypted");
        return EncryptingObjectStore.forNamespace(store, name, enc.keyName(), keks);
    }

    /**
     * Sets the encryption of a namespace (API.md {@code POST/PUT …/encryption}: {@code {"mode":"default"}}
     * or {@code {"mode":"customer-managed","key_name":"…"}}), creating the namespace if it does
     * not exist (writes create namespaces). Setting the current encryption changes nothing.
     * <b>A change is allowed only while the namespace has no data objects</b> (no WAL segment,
     * with entries, manifest or checkpoint file has been written: it never had a write; the empty
     * WAL segments a grid node writes as claims when it opens a shard are written again through the
     * new encryption); otherwise it is a
     * {@link NamespaceConflictException} {@code namespace_not_empty} and nothing changes.
     * Re-encrypting existing data is not implemented: copy the namespace into a new one created
     * with the wanted encryption instead. A key the keystore does not have is an
     * {@link InvalidRequestException} {@code key_unavailable} (path {@code key_name}).
     *
     * @return the namespace's encryption settings afterwards
     */
    public EncryptionSettings setEncryption(String name, JsonNode body) throws IOException {
        EncryptionSettings want = EncryptionSettings.fromJson(body, "");
        NamespaceSettings.checkName(name);
        Namespace ns;
        synchronized (this) {
            Optional<Namespace> found = openExisting(name);
            if (found.isEmpty()) {
                NamespaceSettings s = NamespaceSettings.create(name, null, System.currentTimeMillis());
                createWith(s.withEncryption(want, s.createdAt()), "key_name");
                return want;
            }
            ns = found.get();
            if (ns.encryption().equals(want)) return want;
            ns.adminLock().writeLock().lock();
            try {
                if (ns.encryption().equals(want)) return want;
                // a grid's claims (empty WAL segments, no write) do not count as data; they are written again under the new encryption
                Map<String, byte[]> claims = claimsOnly(name, ns.dataStore());
                if (claims == null)
                    throw new NamespaceConflictException("namespace_not_empty", "mode", "mode: namespace " + name + " has data ("
                            + ns.encryption().mode().apiName() + " encryption); the encryption of a namespace can change only before its "
                            + "first write. Copy it into a new namespace created with the wanted encryption instead");
                ObjectStore target;
                if (want.customerManaged()) {
                    prepareDataKey(name, want.keyName(), "key_name", false);
                    target = dataStore(name, want);
                } else {
                    store.delete(NamespaceDataKeys.recordKey(name));
                    target = store;
                }
                for (Map.Entry<String, byte[]> c : claims.entrySet()) target.put(c.getKey(), c.getValue());
                ns.updateSettings(cur -> cur.withEncryption(want, System.currentTimeMillis()));
                ns.dataStore().switchTo(target);
            } finally {
                ns.adminLock().writeLock().unlock();
            }
        }
        return want;
    }

    /** What a copy did. */
    public record CopyResult(String sourceNamespace, String namespace, long copied) {}

    /** Documents read from the source and written to the target per step of a copy. */
    public static final int COPY_PAGE = 1000;

    /**
     * Copies a namespace server-side (API.md {@code POST /v1/namespaces/{ns}/copy}
     * {@code {"source_namespace":"…"}}) into {@code target}, which must be new or have no documents.
     * A new target is created with the source's settings: metric, dimensions, schema, embedding
     * model, number of shards and encryption (same mode and key name, its own data key). An
     * existing empty target keeps its shard count and encryption and takes over the source's
     * metric, dimensions (unless it has others: a conflict), schema (merged; a type clash is a 400)
     * and embedding model. Documents are read from the source in id order and written to the target
     * through its write path (WAL, then apply), a page of {@value #COPY_PAGE} per logged batch; vectors
     * are copied, not re-embedded.
     *
     * <p>Not atomic: writes to the source during the copy may or may not be copied; a copy that
     * fails half-way leaves the documents copied so far (copy again into a new namespace, or delete
     * the target). Two concurrent copies into one empty target are not prevented.
     *
     * @throws NamespaceNotFoundException the source does not exist
     * @throws NamespaceConflictException {@code target_not_empty}, or dimensions that differ
     */
    public CopyResult copy(String target, JsonNode body) throws IOException {
        CopyPlan plan = prepareCopy(target, body);
        Namespace src = plan.source();
        Namespace dst = plan.target();
        dst.requireNoDocuments("namespace");
        long copied = 0;
        for (List<Document> page = src.documentsAfter(null, COPY_PAGE); !page.isEmpty();
                page = src.documentsAfter(page.get(page.size() - 1).id(), COPY_PAGE)) {
            copied += dst.writeDocuments(page);
        }
        return new CopyResult(src.name(), target, copied);
    }

    /** A copy's two namespaces once the request is checked and the target has its settings. */
    public record CopyPlan(Namespace source, Namespace target) {}

    /**
     * The first step of a {@link #copy}: checks the body, finds the source, creates the target with
     * the source's settings or makes an existing target (empty on this node) adopt them. A grid's
     * coordinator does this, checks that the target is empty on every node, and copies the pages
     * itself (its documents live on several nodes).
     */
    public CopyPlan prepareCopy(String target, JsonNode body) throws IOException {
        String source = checkCopy(target, body);
        Namespace src = get(source);
        Namespace dst;
        synchronized (this) {
            Optional<Namespace> t = openExisting(target);
            if (t.isEmpty()) {
                NamespaceSettings ss = src.settings();
                dst = createWith(ss.renamed(target, ss.numShards(), ss.encryption(), System.currentTimeMillis()), "source_namespace");
            } else {
                dst = t.get();
                dst.adoptSettings(src.settings());
            }
        }
        return new CopyPlan(src, dst);
    }

    /** Checks a copy's body and names (a 400 naming the field); changes nothing. @return the source's name */
    public String checkCopy(String target, JsonNode body) {
        if (body == null || !body.isObject())
            throw new InvalidRequestException("invalid_request", "", "the body is an object {\"source_namespace\":…}");
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("source_namespace")) throw new InvalidRequestException("invalid_request", k, k + ": unknown field; known: [source_namespace]");
        }
        JsonNode sn = body.get("source_namespace");
        if (sn == null || !sn.isTextual())
            throw new InvalidRequestException("invalid_request", "source_namespace", "source_namespace: is required, a namespace name");
        String source = sn.textValue();
        try {
            NamespaceSettings.checkName(source);
        } catch (InvalidRequestException e) {
            throw new InvalidRequestException(e.code(), "source_namespace", e.getMessage().replaceFirst("^namespace:", "source_namespace:"));
        }
        NamespaceSettings.checkName(target);
        if (source.equals(target))
            throw new InvalidRequestException("invalid_request", "source_namespace", "source_namespace: is the target namespace itself");
        return source;
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
        if (ns != null) {
            Object t = sync.token(name);
            if (t != null && !t.equals(ns.settingsToken)) reload(ns, t);
            return Optional.of(ns);
        }
        synchronized (this) {
            return openExisting(name);
        }
    }

    /**
     * Reads the settings of the namespace from the object store again now, if it is open here: a
     * grid's coordinator changed them and must know this node took them before it answers (an
     * encryption change), without waiting for the change token to reach this node.
     *
     * @return whether it is open here
     */
    public boolean reloadSettings(String name) throws IOException {
        NamespaceSettings.checkName(name);
        Namespace ns = open.get(name);
        if (ns == null) return false; // it reads meta.json when it opens
        reload(ns, sync.token(name));
        return true;
    }

    /**
     * Reads the namespace's settings from the object store again (another node changed them). A
     * changed encryption (allowed only before the namespace's first write, see {@link
     * #setEncryption}) switches the store its shards write through, as {@link #setEncryption} does
     * on the node that changed it.
     */
    private void reload(Namespace ns, Object token) throws IOException {
        Optional<StoredObject> o = store.getObject(NamespaceSettings.key(ns.name()));
        if (o.isEmpty()) return; // being deleted: the delete closes it
        NamespaceSettings next = NamespaceSettings.decode(o.get().bytes());
        if (!next.encryption().equals(ns.encryption())) {
            ns.adminLock().writeLock().lock();
            try {
                ns.dataStore().switchTo(dataStore(ns.name(), next.encryption()));
                ns.refresh(next);
            } finally {
                ns.adminLock().writeLock().unlock();
            }
        } else {
            ns.refresh(next);
        }
        ns.settingsToken = token;
    }

    private Optional<Namespace> openExisting(String name) throws IOException {
        Namespace ns = open.get(name);
        if (ns != null) return Optional.of(ns);
        Object token = sync.token(name); // read before the settings: a change after it makes the next access reload
        Optional<StoredObject> o = store.getObject(NamespaceSettings.key(name));
        if (o.isEmpty()) return Optional.empty();
        NamespaceSettings s = NamespaceSettings.decode(o.get().bytes());
        SwitchableObjectStore data = new SwitchableObjectStore(dataStore(name, s.encryption()));
        ShardPlacement place = placement;
        Shard[] shards = new Shard[s.numShards()];
        try {
            for (int i = 0; i < shards.length; i++) if (place.servesHere(name, i)) shards[i] = openShard(name, i, s, data, place);
        } catch (IOException | RuntimeException e) {
            for (Shard sh : shards) if (sh != null) try { sh.close(); } catch (IOException ignored) { /* first error wins */ }
            throw e;
        }
        Namespace.ShardOpener opener = new Namespace.ShardOpener() {
            @Override
            public boolean servesHere(int shard) {
                return placement.servesHere(name, shard);
            }

            @Override
            public Shard open(int shard, NamespaceSettings current) throws IOException {
                long t0 = System.nanoTime();
                Shard sh = openShard(name, shard, current, data, placement);
                cache.loaded(System.nanoTime() - t0);
                return sh;
            }

            @Override
            public void hit(int shard) {
                cache.hit();
            }

            @Override
            public boolean deleteLocal(int shard) throws IOException {
                Path dir = shardDir(name, shard);
                if (!Files.exists(dir)) return false;
                deleteTree(dir);
                return true;
            }
        };
        ns = new Namespace(s, o.get().generation(), store, data, shards, embedders::get, opener);
        ns.settingsToken = token;
        SettingsSync sy = sync;
        ns.onSettingsChanged(sy::changed);
        open.put(name, ns);
        return Optional.of(ns);
    }

    private Shard openShard(String name, int i, NamespaceSettings s, ObjectStore data, ShardPlacement place) throws IOException {
        return Shard.open(shardDir(name, i), data, new WalShard(name, i), s.metric(),
                s.dimensions(), s.schema(), settings, place.fenceOnOpen());
    }

    private Path shardDir(String name, int shard) {
        return dataDir.resolve(name).resolve("shards").resolve(Integer.toString(shard));
    }

    /**
     * Deletes the local directory of a shard of a namespace that is not open on this node (the
     * cold tier's eviction of state left by an earlier run or another owner): under this engine's
     * monitor, so that the namespace does not open meanwhile.
     *
     * @return whether it was deleted (false: the namespace is open now)
     */
    synchronized boolean evictUnopened(String name, int shard) throws IOException {
        if (open.containsKey(name)) return false;
        Path dir = shardDir(name, shard);
        if (!Files.exists(dir)) return false;
        deleteTree(dir);
        return true;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** One shard open on this node. */
    public record ServedShard(String namespace, int shard) {}

    /** The shards open on this node now, by namespace and number. */
    public List<ServedShard> servedShards() {
        List<ServedShard> out = new ArrayList<>();
        for (Namespace ns : open.values())
            for (int i = 0; i < ns.numShards(); i++) if (ns.isOpen(i)) out.add(new ServedShard(ns.name(), i));
        out.sort(Comparator.comparing(ServedShard::namespace).thenComparingInt(ServedShard::shard));
        return out;
    }

    /** The namespace if it is open on this node (nothing is opened). */
    public Optional<Namespace> openNamespace(String name) {
        return Optional.ofNullable(open.get(name));
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
    /**
     * Closes the namespace on this node without a final checkpoint and forgets it (another node is
     * deleting it from the object store); its local state is removed.
     *
     * @return whether it was open here
     */
    public synchronized boolean dropLocal(String name) throws IOException {
        NamespaceSettings.checkName(name);
        Namespace ns = open.remove(name);
        if (ns != null) ns.close(false);
        deleteLocal(name);
        return ns != null;
    }

    private void deleteLocal(String name) throws IOException {
        Path local = dataDir.resolve(name);
        if (Files.exists(local)) {
            try (Stream<Path> s = Files.walk(local)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    public synchronized boolean delete(String name) throws IOException {
        NamespaceSettings.checkName(name);
        Namespace ns = open.remove(name);
        if (ns != null) ns.close(false); // its objects go next: no final checkpoint
        boolean existed = store.delete(NamespaceSettings.key(name));
        sync.deleted(name);
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
    public void close() throws IOException {
        cache.close(); // no sweep closes a shard while the namespaces close (outside the monitor: a sweep may need it)
        synchronized (this) {
            closeNamespaces();
        }
    }

    private void closeNamespaces() throws IOException {
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
