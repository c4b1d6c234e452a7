package io.tamter.node.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tamter.node.doc.DocId;
import io.tamter.node.doc.Document;
import io.tamter.node.doc.DocumentCodec;
import io.tamter.node.doc.InvalidRequestException;
import io.tamter.node.embed.Embedder;
import io.tamter.node.embed.EmbeddingModel;
import io.tamter.node.filter.FilterParser;
import io.tamter.node.index.spann.SpfreshIndex;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.objectstore.StoredObject;
import io.tamter.node.schema.Schema;
import io.tamter.node.shard.Shard;
import io.tamter.node.shard.ShardWrite;
import io.tamter.node.shard.VectorIndexRebuild;
import io.tamter.node.text.Hit;
import io.tamter.node.text.VidBitSet;
import io.tamter.node.vector.VectorMetric;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.apache.lucene.search.Query;

/**
 * An open namespace: its settings and its shards; the operations of API.md on one namespace
 * (a facade over its shards: row parsing is {@link RowParser}, columns {@link ColumnarRows}, the
 * export cursor {@link ExportCursor}, recall {@link RecallProbe}). Every request is validated as a whole before
 * anything is written (API.md): a bad row throws an {@link IllegalArgumentException} carrying a
 * code and the JSON path ({@link InvalidRequestException}, {@link io.tamter.node.schema.SchemaException},
 * {@link io.tamter.node.filter.FilterException}) and nothing changes. A request touching several
 * shards is submitted to all of them before it waits for any ({@link ShardParts}); it is atomic
 * per shard, not across shards.
 */
public final class Namespace {
    private final String name;
    /** The node's store: {@code meta.json} (always plaintext). */
    private final ObjectStore store;
    /** What the shards write through (encrypting for customer-managed encryption). */
    private final SwitchableObjectStore dataStore;
    private final Function<EmbeddingModel, Embedder> embedders;
    /**
     * The shards this node serves, by shard number; null where this node does not serve the shard
     * (on a grid, another node owns it). Slots are set under {@link #slotMonitor} and cleared only
     * by {@link #detachShard} under the write lock of {@link #slotLock}.
     */
    private final Shard[] shards;
    /** Opens a shard this node serves when a request needs it; null: every shard is opened with the namespace. */
    private final ShardOpener opener;
    private final Object slotMonitor = new Object();
    private static final java.lang.invoke.VarHandle SLOT = java.lang.invoke.MethodHandles.arrayElementVarHandle(Shard[].class);
    /** Told the namespace's name after this node changed its settings in the object store (a grid tells the other nodes). */
    private volatile java.util.function.Consumer<String> settingsChanged;
    /**
     * Every operation holds the read lock while it uses shards; {@link #detachShard} takes the write
     * lock to take a shard out of service, so a shard is closed only once no operation holds it
     * (the drain of a shard that moves to another node).
     */
    private final ReentrantReadWriteLock slotLock = new ReentrantReadWriteLock();
    /** The settings-change token this namespace last loaded its settings at ({@link NamespaceManager}). */
    volatile Object settingsToken;
    private volatile NamespaceSettings settings;
    private long generation;
    /**
     * Writes hold the read lock from validation to ack; changes that must not interleave with a
     * write (metric, encryption) hold the write lock, so a write is validated and applied under one
     * metric and one store.
     */
    private final ReentrantReadWriteLock adminLock = new ReentrantReadWriteLock();

    /**
     * Last use of each shard by an operation ({@link System#nanoTime}; 0: not used since this
     * namespace opened): the cold tier's LRU order and idle clock ({@link ShardCache}).
     */
    private final AtomicLongArray lastUse;
    /**
     * Per slot, the close (and local delete) of a shard the cold tier took out of service, while it
     * runs; a request for that shard waits for it before it reopens the shard, so that two
     * instances never use one local directory. Guarded by {@link #slotMonitor}.
     */
    private final CompletableFuture<?>[] closing;
    /**
     * Shards the cold tier unloaded or evicted: not open, reopened by their next request. A grid's
     * ownership check leaves them closed ({@link #isParked}) rather than reopening them at once.
     */
    private final AtomicIntegerArray parked;

    /** Opens shards on demand: those this node serves (on a grid, the ones it owns). */
    public interface ShardOpener {
        /** Whether this node serves shard {@code shard} now. */
        boolean servesHere(int shard);

        /** Opens shard {@code shard} with the namespace's current settings. */
        Shard open(int shard, NamespaceSettings settings) throws IOException;

        /** An operation found shard {@code shard} open (the cold tier's hit count). */
        default void hit(int shard) {}

        /**
         * Deletes the local directory of shard {@code shard}, which is closed (the cold tier's eviction).
         *
         * @return whether there was one
         */
        default boolean deleteLocal(int shard) throws IOException {
            return false;
        }
    }

    Namespace(NamespaceSettings settings, long generation, ObjectStore store, SwitchableObjectStore dataStore, Shard[] shards,
            Function<EmbeddingModel, Embedder> embedders) {
        this(settings, generation, store, dataStore, shards, embedders, null);
    }

    Namespace(NamespaceSettings settings, long generation, ObjectStore store, SwitchableObjectStore dataStore, Shard[] shards,
            Function<EmbeddingModel, Embedder> embedders, ShardOpener opener) {
        this.opener = opener;
        this.name = settings.name();
        this.settings = settings;
        this.generation = generation;
        this.store = store;
        this.dataStore = dataStore;
        this.shards = shards;
        this.embedders = embedders;
        this.lastUse = new AtomicLongArray(shards.length);
        this.closing = new CompletableFuture<?>[shards.length];
        this.parked = new AtomicIntegerArray(shards.length);
        long now = System.nanoTime();
        for (int i = 0; i < shards.length; i++) if (shards[i] != null) lastUse.set(i, now); // idle from their opening
    }

    /** The encryption settings (mode and key name; never key material). */
    public EncryptionSettings encryption() {
        return settings.encryption();
    }

    /** Number of shards. */
    public int numShards() {
        return shards.length;
    }

    SwitchableObjectStore dataStore() {
        return dataStore;
    }

    ReentrantReadWriteLock adminLock() {
        return adminLock;
    }

    @FunctionalInterface
    private interface Op<T> {
        T run() throws IOException;
    }

    private <T> T underWriteAdmission(Op<T> op) throws IOException {
        adminLock.readLock().lock();
        try {
            return underSlots(op);
        } finally {
            adminLock.readLock().unlock();
        }
    }

    /** Runs {@code op} holding the shards it uses in service ({@link #slotLock}). */
    private <T> T underSlots(Op<T> op) throws IOException {
        slotLock.readLock().lock();
        try {
            return op.run();
        } finally {
            slotLock.readLock().unlock();
        }
    }

    /**
     * Shard {@code i} for an operation that needs it (under {@link #slotLock}'s read lock): open, or
     * opened now when this node serves it.
     *
     * @throws ShardNotServedException this node does not serve it (a retryable 503 {@code shard_moved})
     */
    private Shard served(int i) throws IOException {
        Shard sh = (Shard) SLOT.getAcquire(shards, i);
        if (sh != null) return used(i, sh);
        // One loader per shard: concurrent requests for a closed shard queue here, the first opens it
        // (checkpoint plus WAL tail when the cold tier deleted its local state), the others find it open.
        synchronized (slotMonitor) {
            CompletableFuture<?> c = closing[i];
            if (c != null) {
                c.join(); // completed normally, even when the close failed (logged there)
                closing[i] = null;
            }
            if (shards[i] != null) return used(i, shards[i]);
            if (opener == null || !opener.servesHere(i)) throw new ShardNotServedException(name, i);
            sh = opener.open(i, settings);
            lastUse.set(i, System.nanoTime());
            parked.set(i, 0);
            SLOT.setRelease(shards, i, sh); // published whole to the lock-free reads above
            return sh;
        }
    }

    private Shard used(int i, Shard sh) {
        // written at most once a millisecond: concurrent searches of one shard would otherwise bounce its cache line
        long now = System.nanoTime();
        if (now - lastUse.get(i) > 1_000_000) lastUse.lazySet(i, now);
        if (opener != null) opener.hit(i);
        return sh;
    }

    /** The shards this node serves (opening those it serves and has not opened yet), in shard order. */
    private List<Shard> local() throws IOException {
        return new ArrayList<>(localByNumber().values());
    }

    /** The shards open now (none opened by this call). */
    private List<Shard> attached() {
        List<Shard> out = new ArrayList<>(shards.length);
        for (Shard sh : shards) if (sh != null) out.add(sh);
        return out;
    }

    void onSettingsChanged(java.util.function.Consumer<String> listener) {
        this.settingsChanged = listener;
    }

    /**
     * Takes settings another node wrote to {@code meta.json} (a grid: schema, dimensions, metric):
     * the open shards get the schema, the vector index, the metric.
     */
    synchronized void refresh(NamespaceSettings next) throws IOException {
        NamespaceSettings old = settings;
        if (next.equals(old)) return;
        settings = next;
        for (Shard sh : attached()) {
            sh.setSchema(next.schema());
            if (next.dimensions() > 0) sh.ensureVectorIndex(next.dimensions());
            if (sh.metric() != next.metric()) sh.changeMetric(next.metric());
        }
    }

    /** Whether shard {@code i} is open on this node now. */
    public boolean isOpen(int i) {
        return shards[i] != null;
    }

    /** Whether the cold tier closed shard {@code i} (idle or past the disk budget); its next request reopens it. */
    public boolean isParked(int i) {
        return parked.get(i) != 0;
    }

    /** When an operation last used shard {@code i} ({@link System#nanoTime}), 0 when none did since the namespace opened. */
    long lastUse(int i) {
        return lastUse.get(i);
    }

    /** What {@link #unload} did. */
    enum Unloaded {
        /** Nothing: the shard was in use, used since the cutoff, had index work pending, or was neither open nor on disk. */
        NOTHING,
        /** Closed; its local files kept. */
        CLOSED,
        /** Its local files deleted (and closed first if it was open). */
        EVICTED
    }

    /**
     * Takes shard {@code i} out of memory for the cold tier ({@link ShardCache}): closes it (a clean
     * close: what its WAL writer holds is written, its unindexed tail indexed, a final checkpoint
     * taken unless fenced) and, with {@code deleteLocal}, deletes its local directory. Its next
     * request reopens it, from the object store when the directory is gone: requests that arrive
     * meanwhile wait for the close to finish ({@link #closing}), the first of them opens it once.
     *
     * <p>Ordering with writes: operations hold {@link #slotLock}'s read lock from admission to
     * ack, and the slot is cleared under its write lock, so a write either completed (acked, in the
     * WAL, applied) before the close starts, and the final checkpoint or the WAL tail holds it, or
     * starts after and reopens the shard. Nothing acked is lost whichever way a race goes.
     *
     * @param notUsedSince unless {@code force}: leave the shard if an operation used it after this
     *        {@link System#nanoTime} (Long.MAX_VALUE: any time)
     * @param force wait for the operations of the namespace in flight and unload whatever the
     *        shard's recent use or pending index work (tests, benchmarks, operations); otherwise
     *        give up at once when an operation of the namespace is in flight, or the shard has
     *        index work pending (an unindexed tail, a metric rebuild, LIRE rebalancing)
     */
    Unloaded unload(int i, long notUsedSince, boolean deleteLocal, boolean force) throws IOException {
        Shard sh;
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (force) slotLock.writeLock().lock();
        else if (!slotLock.writeLock().tryLock()) return Unloaded.NOTHING;
        try {
            synchronized (slotMonitor) {
                sh = shards[i];
                if (sh == null && !deleteLocal) return Unloaded.NOTHING;
                if (!force && (lastUse.get(i) > notUsedSince || (sh != null && indexWorkPending(sh)))) return Unloaded.NOTHING;
                CompletableFuture<?> c = closing[i];
                if (c != null) c.join(); // an earlier unload of this slot (its own monitor-free close) finishes first
                shards[i] = null;
                closing[i] = done;
                if (sh != null) parked.set(i, 1); // (the local files of a shard not open here are only deleted)
            }
        } finally {
            slotLock.writeLock().unlock();
        }
        boolean deleted = false;
        try {
            if (sh != null) sh.close(!sh.walFenced());
            // Deleting is safe whether or not the final checkpoint succeeded: every acked write is in
            // the WAL, which a checkpoint truncates only up to what the checkpoint holds.
            if (deleteLocal && opener != null) deleted = opener.deleteLocal(i);
        } finally {
            done.complete(null);
        }
        if (deleteLocal) return deleted || sh != null ? Unloaded.EVICTED : Unloaded.NOTHING;
        return Unloaded.CLOSED;
    }

    private static boolean indexWorkPending(Shard sh) {
        if (sh.unindexedBytes() > 0 || sh.rebuild() != null) return true;
        SpfreshIndex idx = sh.vectorIndex();
        if (idx == null) return false;
        Map<String, Long> st = idx.rebalancerStats();
        return st.getOrDefault("queued", 0L) + st.getOrDefault("running", 0L) > 0;
    }

    /** What a warm did: the shards it opened, and over the shards served here, heads and live vectors. */
    public record Warmed(int shardsLoaded, long heads, long liveVectors) {}

    /**
     * API.md {@code warm}: opens every shard this node serves that is not open (reloading from the
     * object store those the cold tier evicted) and reads every posting of their vector indexes
     * once, which fills the block cache and the page cache.
     */
    public Warmed warm() throws IOException {
        return underSlots(() -> {
            int loaded = 0;
            long heads = 0, live = 0;
            for (int i = 0; i < shards.length; i++) {
                if (shards[i] == null && (opener == null || !opener.servesHere(i))) continue;
                if (shards[i] == null) loaded++;
                SpfreshIndex idx = served(i).vectorIndex();
                if (idx == null) continue;
                var st = idx.stats(); // one pass over every posting
                heads += st.heads();
                live += st.liveVectors();
            }
            return new Warmed(loaded, heads, live);
        });
    }

    /** Opens shard {@code i} if it is not open (ownership gained); a no-op when this node does not serve it. */
    public void attachShard(int i) throws IOException {
        underSlots(() -> {
            if (opener == null || opener.servesHere(i)) served(i);
            return null;
        });
    }

    /**
     * Takes shard {@code i} out of service (ownership lost): waits until no operation uses it (the
     * drain), clears its slot, then closes it, writing what its WAL writer holds and taking a final
     * checkpoint unless another owner has fenced it.
     *
     * @return whether it was open
     */
    public boolean detachShard(int i) throws IOException {
        Shard sh;
        CompletableFuture<Void> done = new CompletableFuture<>();
        slotLock.writeLock().lock();
        try {
            synchronized (slotMonitor) {
                sh = shards[i];
                if (sh == null) return false;
                shards[i] = null;
                closing[i] = done; // should ownership come back at once, the reopen waits for this close
            }
        } finally {
            slotLock.writeLock().unlock();
        }
        try {
            sh.close(!sh.walFenced());
        } finally {
            done.complete(null);
        }
        return true;
    }

    public String name() {
        return name;
    }

    public NamespaceSettings settings() {
        return settings;
    }

    /** Shard {@code i} (tests, metadata). */
    public Shard shard(int i) {
        return shards[i];
    }

    // ================================================================== writes

    /** Upserts whole documents (API.md {@code upsert_rows}); with a {@code condition}, a conditional upsert. */
    public WriteResult upsert(JsonNode rows, JsonNode condition) throws IOException {
        return underWriteAdmission(() -> upsertAdmitted(rows, condition));
    }

    /** An upsert validated as a whole, its texts embedded, not yet written. */
    private record PreparedUpsert(List<RowParser.Row> parsed, Map<Integer, float[]> embedded, Query[] conditions, int dims, Schema schema) {}

    private WriteResult upsertAdmitted(JsonNode rows, JsonNode condition) throws IOException {
        PreparedUpsert p = prepareUpsert(rows, condition);
        List<RowParser.Row> parsed = p.parsed();
        Map<Integer, float[]> embedded = p.embedded();
        Query[] conditions = p.conditions();
        ensureSettings(p.dims(), p.schema());
        int[] counts = new int[3]; // inserted, updated, skipped
        ShardParts parts = new ShardParts();
        for (int si = 0; si < shards.length; si++) {
            List<RowParser.Row> mine = rowsOf(parsed, si);
            if (mine.isEmpty()) continue;
            final int shard = si;
            parts.add(si, () -> served(shard), view -> {
                List<ShardWrite> ws = new ArrayList<>();
                int[] out = new int[3];
                for (RowParser.Row r : mine) {
                    DocumentCodec.Stored old = view.get(r.id());
                    if (old != null && conditions != null && !view.matches(old.vid(), conditions[r.index()])) {
                        out[2]++;
                        continue;
                    }
                    float[] v = r.vector() != null ? r.vector() : embedded.get(r.index());
                    long vid = old != null ? old.vid() : view.newVid();
                    ws.add(new ShardWrite.Put(vid, new Document(r.id(), v, r.text(), r.attrs())));
                    out[old == null ? 0 : 1]++;
                }
                return new Shard.Resolution<>(ws, out);
            }, c -> {
                for (int i = 0; i < 3; i++) counts[i] += c[i];
            });
        }
        parts.run();
        return new WriteResult(counts[0], counts[1], 0, counts[2], counts[2] == 0, List.of());
    }

    private PreparedUpsert prepareUpsert(JsonNode rows, JsonNode condition) {
        List<RowParser.Row> parsed = RowParser.parseRows(rows, "upsert_rows", false);
        NamespaceSettings s = settings;
        // dimensions and embedding
        int dims = s.dimensions();
        EmbeddingModel model = s.embeddingModel();
        for (RowParser.Row r : parsed) {
            if (r.vector() == null) continue;
            if (dims == 0) dims = r.vector().length;
            if (r.vector().length != dims)
                throw new InvalidRequestException("invalid_vector_dimensions", r.path() + ".vector", r.path() + ".vector: vector has "
                        + r.vector().length + " dimensions, namespace has " + dims);
            if (s.metric() == VectorMetric.COSINE_DISTANCE && isZero(r.vector()))
                throw new InvalidRequestException("invalid_vector", r.path() + ".vector", r.path() + ".vector: a zero vector has no cosine distance");
        }
        List<RowParser.Row> toEmbed = new ArrayList<>();
        for (RowParser.Row r : parsed) {
            if (r.vector() != null || r.text() == null || model == null) continue;
            if (dims != 0 && dims != model.dimensions())
                throw new InvalidRequestException("invalid_vector_dimensions", r.path() + ".text", r.path() + ".text: a row without a vector is embedded by "
                        + model.settingName() + " into " + model.dimensions() + " dimensions, but the namespace has " + dims
                        + "; give the vector or configure an embedding model of that dimension");
            dims = model.dimensions();
            toEmbed.add(r);
        }
        // schema
        Schema schema = s.schema();
        for (RowParser.Row r : parsed) {
            Map<String, JsonNode> a = new LinkedHashMap<>(r.attrs());
            if (r.text() != null) a.put("text", JsonNodeFactory.instance.textNode(r.text()));
            schema = schema.withInferred(a, r.path());
        }
        Query[] conditions = parseConditions(condition, parsed, schema);
        // embedding, outside any lock
        Map<Integer, float[]> embedded = new HashMap<>();
        if (!toEmbed.isEmpty()) {
            List<String> texts = new ArrayList<>();
            for (RowParser.Row r : toEmbed) texts.add(r.text());
            float[][] vs = embedders.apply(model).embed(texts);
            for (int i = 0; i < vs.length; i++) embedded.put(toEmbed.get(i).index(), vs[i]);
        }
        return new PreparedUpsert(parsed, embedded, conditions, dims, schema);
    }

    // ================================================================== writes split by shard (a grid's coordinator)

    /**
     * A write split by shard at the node that received it (the coordinator of a grid write): for
     * each shard with rows, the request body of its rows ({@code bodies}) and, for each of those
     * rows, its index in the original request ({@code rowIndex}, to name it in errors).
     */
    public record ShardedWrite(SortedMap<Integer, ObjectNode> bodies, Map<Integer, int[]> rowIndex) {}

    /**
     * Validates an upsert as a whole (as {@link #upsert} does before writing anything), embeds its
     * texts once, persists new dimensions or schema, and splits its rows by shard: each row that was
     * embedded carries its vector, so the shards' owners never embed.
     */
    public ShardedWrite planUpsert(JsonNode rows, JsonNode condition) throws IOException {
        return underWriteAdmission(() -> {
            PreparedUpsert p = prepareUpsert(rows, condition);
            ensureSettings(p.dims(), p.schema());
            return split(p.parsed(), "upsert_rows", condition, r -> {
                ObjectNode row = ((ObjectNode) r.raw()).deepCopy();
                float[] v = p.embedded().get(r.index());
                if (v != null) {
                    com.fasterxml.jackson.databind.node.ArrayNode a = row.putArray("vector");
                    for (float x : v) a.add(x);
                }
                return row;
            });
        });
    }

    /** {@link #planUpsert} for {@code patch_rows}: validated (schema, condition) as {@link #patch} does. */
    public ShardedWrite planPatch(JsonNode rows, JsonNode condition) throws IOException {
        return underWriteAdmission(() -> {
            List<RowParser.Row> parsed = RowParser.parseRows(rows, "patch_rows", true);
            Schema schema = patchedSchema(parsed);
            parseConditions(condition, parsed, schema);
            ensureSettings(settings.dimensions(), schema);
            return split(parsed, "patch_rows", condition, RowParser.Row::raw);
        });
    }

    /** {@link #planUpsert} for {@code deletes}. */
    public ShardedWrite planDelete(JsonNode ids, JsonNode condition) throws IOException {
        List<DocId> parsed = RowParser.parseIds(ids, "deletes");
        if (condition != null && !condition.isNull()) new FilterParser(settings.schema()).parse(condition, "condition", RowParser.noRefNew());
        SortedMap<Integer, ObjectNode> bodies = new TreeMap<>();
        Map<Integer, List<Integer>> index = new HashMap<>();
        for (int i = 0; i < parsed.size(); i++) {
            int si = parsed.get(i).shard(shards.length);
            bodies.computeIfAbsent(si, k -> body(condition)).withArray("deletes").add(ids.get(i));
            index.computeIfAbsent(si, k -> new ArrayList<>()).add(i);
        }
        return new ShardedWrite(bodies, toArrays(index));
    }

    /** {@link #planUpsert} for {@code upsert_columns}: split as the equivalent rows ({@code upsert_rows} bodies). */
    public ShardedWrite planUpsertColumns(JsonNode columns) throws IOException {
        return asRows(columns, "upsert_columns", rows -> planUpsert(rows, null));
    }

    /** {@link #planPatch} for {@code patch_columns} ({@code patch_rows} bodies; rewrite row errors with {@link #columnsMessage}). */
    public ShardedWrite planPatchColumns(JsonNode columns) throws IOException {
        return asRows(columns, "patch_columns", rows -> planPatch(rows, null));
    }

    /** A row error's message of a {@code patch_rows} request, as the {@code patch_columns} request it came from names it. */
    public static String columnsMessage(String message, String list) {
        return ColumnarRows.rewriteMessage(message, list);
    }

    private static ObjectNode body(JsonNode condition) {
        ObjectNode b = JsonNodeFactory.instance.objectNode();
        if (condition != null && !condition.isNull()) b.set("condition", condition);
        return b;
    }

    private ShardedWrite split(List<RowParser.Row> parsed, String list, JsonNode condition, Function<RowParser.Row, JsonNode> row) {
        SortedMap<Integer, ObjectNode> bodies = new TreeMap<>();
        Map<Integer, List<Integer>> index = new HashMap<>();
        for (RowParser.Row r : parsed) {
            int si = r.id().shard(shards.length);
            ObjectNode b = bodies.computeIfAbsent(si, k -> body(condition));
            b.withArray(list).add(row.apply(r));
            index.computeIfAbsent(si, k -> new ArrayList<>()).add(r.index());
        }
        return new ShardedWrite(bodies, toArrays(index));
    }

    private static Map<Integer, int[]> toArrays(Map<Integer, List<Integer>> index) {
        Map<Integer, int[]> out = new HashMap<>();
        index.forEach((k, v) -> out.put(k, v.stream().mapToInt(Integer::intValue).toArray()));
        return out;
    }

    /** Changes only the given attributes of existing documents (API.md {@code patch_rows}); null removes one. */
    public WriteResult patch(JsonNode rows, JsonNode condition) throws IOException {
        return underWriteAdmission(() -> patchAdmitted(rows, condition));
    }

    /** The schema with the types the patch rows' attributes (and text) imply; throws on a conflict, naming the row. */
    private Schema patchedSchema(List<RowParser.Row> parsed) {
        Schema schema = settings.schema();
        for (RowParser.Row r : parsed) {
            Map<String, JsonNode> a = new LinkedHashMap<>(r.attrs());
            if (r.hasText()) a.put("text", r.raw().get("text"));
            schema = schema.withInferred(a, r.path());
        }
        return schema;
    }

    private WriteResult patchAdmitted(JsonNode rows, JsonNode condition) throws IOException {
        List<RowParser.Row> parsed = RowParser.parseRows(rows, "patch_rows", true);
        Schema schema = patchedSchema(parsed);
        Query[] conditions = parseConditions(condition, parsed, schema);
        ensureSettings(settings.dimensions(), schema);
        int[] counts = new int[2]; // updated, skipped
        List<WriteResult.RowError> errors = new ArrayList<>();
        ShardParts parts = new ShardParts();
        for (int si = 0; si < shards.length; si++) {
            List<RowParser.Row> mine = rowsOf(parsed, si);
            if (mine.isEmpty()) continue;
            record Out(int updated, int skipped, List<WriteResult.RowError> errors) {}
            final int fsi = si;
            parts.add(si, () -> served(fsi), view -> {
                List<ShardWrite> ws = new ArrayList<>();
                int u = 0, sk = 0;
                List<WriteResult.RowError> errs = new ArrayList<>();
                for (RowParser.Row r : mine) {
                    DocumentCodec.Stored old = view.get(r.id());
                    if (old == null) {
                        if (conditions != null) sk++;
                        else errs.add(new WriteResult.RowError(r.id().toJson(), "not_found", r.path() + ": document " + r.id() + " does not exist"));
                        continue;
                    }
                    if (conditions != null && !view.matches(old.vid(), conditions[r.index()])) {
                        sk++;
                        continue;
                    }
                    Map<String, JsonNode> attrs = new LinkedHashMap<>(old.doc().attributes());
                    for (Map.Entry<String, JsonNode> e : r.attrs().entrySet()) {
                        if (e.getValue() == null || e.getValue().isNull()) attrs.remove(e.getKey());
                        else attrs.put(e.getKey(), e.getValue());
                    }
                    String text = r.hasText() ? r.text() : old.doc().text();
                    ws.add(new ShardWrite.Put(old.vid(), new Document(r.id(), old.doc().vector(), text, attrs)));
                    u++;
                }
                return new Shard.Resolution<>(ws, new Out(u, sk, errs));
            }, o -> {
                counts[0] += o.updated();
                counts[1] += o.skipped();
                errors.addAll(o.errors());
            });
        }
        parts.run();
        return new WriteResult(0, counts[0], 0, counts[1], counts[1] == 0, errors);
    }

    /** Deletes documents by id (API.md {@code deletes}); with a {@code condition}, a conditional delete. Missing ids are ignored. */
    public WriteResult delete(JsonNode ids, JsonNode condition) throws IOException {
        return underWriteAdmission(() -> deleteAdmitted(ids, condition));
    }

    private WriteResult deleteAdmitted(JsonNode ids, JsonNode condition) throws IOException {
        List<DocId> parsed = RowParser.parseIds(ids, "deletes");
        Query cond = condition == null || condition.isNull() ? null
                : new FilterParser(settings.schema()).parse(condition, "condition", RowParser.noRefNew());
        int[] counts = new int[2]; // deleted, skipped
        ShardParts parts = new ShardParts();
        for (int si = 0; si < shards.length; si++) {
            final int shardIndex = si;
            List<DocId> mine = parsed.stream().filter(id -> id.shard(shards.length) == shardIndex).toList();
            if (mine.isEmpty()) continue;
            parts.add(si, () -> served(shardIndex), view -> {
                List<ShardWrite> ws = new ArrayList<>();
                int[] out = new int[2];
                for (DocId id : mine) {
                    DocumentCodec.Stored old = view.get(id);
                    if (old == null) {
                        if (cond != null) out[1]++;
                        continue;
                    }
                    if (cond != null && !view.matches(old.vid(), cond)) {
                        out[1]++;
                        continue;
                    }
                    ws.add(new ShardWrite.Delete(old.vid(), id));
                    out[0]++;
                }
                return new Shard.Resolution<>(ws, out);
            }, c -> {
                counts[0] += c[0];
                counts[1] += c[1];
            });
        }
        parts.run();
        return new WriteResult(0, 0, counts[0], counts[1], counts[1] == 0, List.of());
    }

    /** Deletes every document matching {@code filter} (API.md {@code filter-delete}). */
    public WriteResult deleteByFilter(JsonNode filter) throws IOException {
        return underWriteAdmission(() -> deleteByFilterAdmitted(filter));
    }

    private WriteResult deleteByFilterAdmitted(JsonNode filter) throws IOException {
        if (filter == null || filter.isNull()) throw new InvalidRequestException("invalid_filter", "filter", "filter: is missing");
        Query q = new FilterParser(settings.schema()).parse(filter, "filter", null);
        int deleted = writeMatching(q, (vid, d) -> new ShardWrite.Delete(vid, d.id()));
        return new WriteResult(0, 0, deleted, 0, true, List.of());
    }

    /**
     * Patches every document matching {@code filter} (API.md {@code update-by-filter}): the
     * attributes of {@code patch} are set (null removes one; {@code text} replaces the text, the
     * vector stays), as a patch row would set them. The filter and the patch are validated (and the
     * schema grown for new attributes) before anything is written; each shard then patches its
     * matches, as they are when its write is applied, in one logged batch.
     *
     * @return the number of documents patched, as {@code updated}
     */
    public WriteResult updateByFilter(JsonNode filter, JsonNode patch) throws IOException {
        return underWriteAdmission(() -> updateByFilterAdmitted(filter, patch));
    }

    private WriteResult updateByFilterAdmitted(JsonNode filter, JsonNode patch) throws IOException {
        if (filter == null || filter.isNull()) throw new InvalidRequestException("invalid_filter", "filter", "filter: is missing");
        Query q = new FilterParser(settings.schema()).parse(filter, "filter", null);
        RowParser.Row row = RowParser.parsePatch(patch);
        ensureSettings(settings.dimensions(), patchedSchema(List.of(row)));
        int updated = writeMatching(q, (vid, d) -> {
            Map<String, JsonNode> attrs = new LinkedHashMap<>(d.attributes());
            for (Map.Entry<String, JsonNode> e : row.attrs().entrySet()) {
                if (e.getValue() == null || e.getValue().isNull()) attrs.remove(e.getKey());
                else attrs.put(e.getKey(), e.getValue());
            }
            return new ShardWrite.Put(vid, new Document(d.id(), d.vector(), row.hasText() ? row.text() : d.text(), attrs));
        });
        return new WriteResult(0, updated, 0, 0, true, List.of());
    }

    /**
     * Writes, on every local shard in one logged batch, what {@code write} makes of each document
     * matching {@code q} as it is when the shard applies the batch (delete- and update-by-filter);
     * returns how many documents were written.
     */
    private int writeMatching(Query q, java.util.function.BiFunction<Long, Document, ShardWrite> write) throws IOException {
        int[] written = new int[1];
        ShardParts parts = new ShardParts();
        for (Shard sh : local()) {
            parts.add(sh, view -> {
                VidBitSet bits = view.matching(q);
                List<ShardWrite> ws = new ArrayList<>();
                long[] words = bits.words();
                for (int w = 0; w < words.length; w++) {
                    for (long word = words[w]; word != 0; word &= word - 1) {
                        long vid = ((long) w << 6) + Long.numberOfTrailingZeros(word);
                        Document d = view.byVid(vid);
                        if (d != null) ws.add(write.apply(vid, d));
                    }
                }
                return new Shard.Resolution<>(ws, ws.size());
            }, n -> written[0] += n);
        }
        parts.run();
        return written[0];
    }

    private Query[] parseConditions(JsonNode condition, List<RowParser.Row> rows, Schema schema) {
        if (condition == null || condition.isNull()) return null;
        FilterParser fp = new FilterParser(schema);
        Query[] out = new Query[rows.size()];
        for (RowParser.Row r : rows) out[r.index()] = fp.parse(condition, "condition", RowParser.refNew(r));
        return out;
    }

    private List<RowParser.Row> rowsOf(List<RowParser.Row> rows, int shard) {
        List<RowParser.Row> out = new ArrayList<>();
        for (RowParser.Row r : rows) if (r.id().shard(shards.length) == shard) out.add(r);
        return out;
    }

    private static boolean isZero(float[] v) {
        for (float x : v) if (x != 0) return false;
        return true;
    }

    /** Persists new dimensions or a grown schema (compare-and-set on meta.json) before the write is logged. */
    private void ensureSettings(int dims, Schema schema) throws IOException {
        NamespaceSettings s = settings;
        if (s.dimensions() == dims && s.schema().equals(schema)) return;
        updateSettings(cur -> {
            if (cur.dimensions() != 0 && dims != 0 && cur.dimensions() != dims)
                throw new InvalidRequestException("invalid_vector_dimensions", "vector", "vector: namespace has " + cur.dimensions()
                        + " dimensions, the request " + dims);
            Schema merged = cur.schema();
            merged = merged.update(schema.toJson());
            long now = System.currentTimeMillis();
            return cur.withDimensions(cur.dimensions() == 0 ? dims : cur.dimensions(), now).withSchema(merged, now);
        });
    }

    /**
     * Adds attributes to the schema or changes their index options (API.md's schema route); a type
     * change is a {@link io.tamter.node.schema.SchemaException}. Returns the schema now in force.
     */
    public JsonNode updateSchema(JsonNode request) throws IOException {
        if (request == null || !request.isObject())
            throw new InvalidRequestException("invalid_request", "", "a schema update is a JSON object of attribute name -> options");
        settings.schema().update(request); // validate before touching meta.json
        updateSettings(cur -> cur.withSchema(cur.schema().update(request), System.currentTimeMillis()));
        return settings.schema().toJson();
    }

    /** Read-modify-write of {@code <ns>/meta.json} by compare-and-set, then pushes the result to the shards. */
    synchronized void updateSettings(UnaryOperator<NamespaceSettings> change) throws IOException {
        String key = NamespaceSettings.key(name);
        for (int attempt = 0; ; attempt++) {
            StoredObject cur = store.getObject(key).orElseThrow(() -> new NamespaceNotFoundException(name));
            NamespaceSettings old = NamespaceSettings.decode(cur.bytes());
            NamespaceSettings next = change.apply(old);
            if (next.equals(old) || store.compareAndSet(key, cur.generation(), next.encode())) {
                settings = next;
                generation = cur.generation();
                for (Shard sh : attached()) {
                    sh.setSchema(next.schema());
                    if (next.dimensions() > 0) sh.ensureVectorIndex(next.dimensions());
                }
                if (!next.equals(old) && settingsChanged != null) settingsChanged.accept(name);
                return;
            }
            if (attempt > 100) throw new IOException("namespace settings of " + name + " keep changing; gave up after " + attempt + " attempts");
        }
    }

    // ================================================================== reads

    /** The document {@code id}, or null. */
    public Document get(JsonNode id) {
        DocId d = DocId.fromJson(id, "id");
        return unchecked(() -> underSlots(() -> {
            DocumentCodec.Stored s = served(d.shard(shards.length)).get(d);
            return s == null ? null : s.doc();
        }));
    }

    /** For reads whose signature has no IOException: opening a shard on demand can fail with one. */
    private static <T> T unchecked(Op<T> op) {
        try {
            return op.run();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The shard a document id lives in. */
    public int shardOf(JsonNode id) {
        return DocId.fromJson(id, "id").shard(shards.length);
    }

    /** Searches every shard and merges their answers ({@link ShardSearch}). */
    public SearchResult search(SearchRequest r) throws IOException {
        return searchAll(r).result();
    }

    /** {@link #search}, with the next rank_by cursor and the aggregations. */
    public ShardSearch.Merged searchAll(SearchRequest r) throws IOException {
        PreparedSearch p = prepareSearch(r); // the filter parsed once for all shards
        List<ShardSearch.Partial> parts = new ArrayList<>(shards.length);
        for (int si = 0; si < shards.length; si++) parts.add(searchShard(si, p.request(), p.filter()));
        return ShardSearch.mergeAll(parts, p.request());
    }

    /** The top candidates of every shard this node serves, as one partial (a grid search's job for this node). */
    public List<ShardSearch.Partial> searchShards(List<Integer> shardNumbers, PreparedSearch p) throws IOException {
        List<ShardSearch.Partial> parts = new ArrayList<>(shardNumbers.size());
        for (int si : shardNumbers) parts.add(searchShard(si, p.request(), p.filter()));
        return parts;
    }

    /**
     * One query's answer in a {@link #searchBatch}: its merged answer, or (null answer) the request
     * error its shards' reading or the merge raised, as a single {@link #searchAll} would throw it.
     */
    public record BatchAnswer(ShardSearch.Merged merged, RuntimeException error) {}

    /**
     * Several {@link #prepareSearch prepared} searches against one state of each shard (a
     * multi-search): each shard's queries all run under one {@link Shard#pin}, so every query reads
     * that shard at the same applied WAL position, one shard after the other (as {@link #searchAll}
     * goes through the shards). Shards are pinned one at a time, so a write of two shards may be
     * seen in one shard's part and not in the other's, but never by one query and not by another.
     * A query that fails does not stop the others; an I/O failure fails the whole batch.
     */
    public List<BatchAnswer> searchBatch(List<PreparedSearch> queries) throws IOException {
        List<Integer> all = new ArrayList<>(shards.length);
        for (int si = 0; si < shards.length; si++) all.add(si);
        RuntimeException[] errors = new RuntimeException[queries.size()];
        List<List<ShardSearch.Partial>> parts = searchShardsBatch(all, queries, errors);
        List<BatchAnswer> out = new ArrayList<>(queries.size());
        for (int q = 0; q < queries.size(); q++) {
            if (errors[q] != null) {
                out.add(new BatchAnswer(null, errors[q]));
                continue;
            }
            try {
                out.add(new BatchAnswer(ShardSearch.mergeAll(parts.get(q), queries.get(q).request()), null));
            } catch (RuntimeException e) { // a request error only the shards' answers show (bm25 where there is no text)
                out.add(new BatchAnswer(null, e));
            }
        }
        return out;
    }

    /**
     * The partials of {@code shardNumbers} (in that order) for each of {@code queries}, each shard
     * read under one {@link Shard#pin} for all the queries (see {@link #searchBatch}). A query whose
     * reading fails gets its exception in {@code errors} (indexed like {@code queries}) and is not
     * run on later shards; its list of partials is then incomplete. A query whose entry in
     * {@code errors} is set already is not run at all (its entry in {@code queries} may be null).
     * A grid multi-search's job on one owner node (the shards it owns).
     */
    public List<List<ShardSearch.Partial>> searchShardsBatch(List<Integer> shardNumbers, List<PreparedSearch> queries,
            RuntimeException[] errors) throws IOException {
        List<List<ShardSearch.Partial>> parts = new ArrayList<>(queries.size());
        for (int q = 0; q < queries.size(); q++) parts.add(new ArrayList<>(shardNumbers.size()));
        for (int si : shardNumbers) {
            underSlots(() -> {
                Shard sh = served(si);
                try (Shard.Pin pinned = sh.pin()) {
                    for (int q = 0; q < queries.size(); q++) {
                        if (errors[q] != null) continue;
                        PreparedSearch p = queries.get(q);
                        try {
                            parts.get(q).add(searchServedShard(si, p.request(), p.filter()));
                        } catch (RuntimeException e) {
                            errors[q] = e;
                        }
                    }
                }
                return null;
            });
        }
        return parts;
    }

    /**
     * Validates a search against the namespace (filter, dimensions) and embeds its text when the
     * mode needs a vector: the result carries the query vector, so shards never embed.
     */
    public SearchRequest prepare(SearchRequest r) {
        return prepareSearch(r).request();
    }

    /**
     * {@link #prepare}, keeping the parsed filter for a caller that asks several shards of this
     * node in one process: the filter is parsed once, not per shard.
     */
    public PreparedSearch prepareSearch(SearchRequest r) {
        NamespaceSettings s = settings;
        Query filter = filterQuery(r); // validates: a bad filter is a 400 before any shard is asked
        if (r.rankBy() != null) r.rankBy().checkType(s.schema(), "rank_by[0]");
        if (r.aggregate() != null) Aggregation.check(r.aggregate(), s.schema());
        if (r.vector() == null && r.text() == null) return new PreparedSearch(r, filter); // rank_by or aggregations only
        if (ShardSearch.mode(r) == SearchRequest.Mode.BM25) return new PreparedSearch(r, filter);
        float[] q = r.vector();
        if (q == null) {
            if (s.embeddingModel() == null)
                throw new InvalidRequestException("invalid_request", "text", "text: namespace " + name
                        + " has no embedding model; search text with mode bm25");
            // a namespace whose vectors came from the client: the query text would be embedded into
            // another space, and "query has 384 dimensions" would blame a vector the user never sent
            if (s.dimensions() != 0 && s.embeddingModel().dimensions() != s.dimensions())
                throw new InvalidRequestException("invalid_request", "text", "text: namespace " + name + " holds "
                        + s.dimensions() + "-dimensional vectors given by the client, and its embedding model "
                        + s.embeddingModel().settingName() + " makes " + s.embeddingModel().dimensions()
                        + "-dimensional ones, so text cannot be searched by meaning here; search with a vector, or the text with mode bm25");
            q = embedders.apply(s.embeddingModel()).embed(r.text());
        }
        if (s.dimensions() != 0 && q.length != s.dimensions())
            throw new InvalidRequestException("invalid_vector_dimensions", "vector", "vector: query has " + q.length
                    + " dimensions, namespace has " + s.dimensions());
        if (s.metric() == VectorMetric.COSINE_DISTANCE && isZero(q))
            throw new InvalidRequestException("invalid_vector", "vector", "vector: a zero vector has no cosine distance");
        return new PreparedSearch(r.vector() == q ? r : r.withVector(q), filter);
    }

    /** Shard {@code si}'s candidates for a {@link #prepare prepared} search, with their documents. */
    public ShardSearch.Partial searchShard(int si, SearchRequest prepared) throws IOException {
        return searchShard(si, prepared, filterQuery(prepared));
    }

    /** A search validated and embedded ({@link #prepare}), with its filter parsed (null: none). */
    public record PreparedSearch(SearchRequest request, Query filter) {}

    /** Shard {@code si}'s candidates for a {@link #prepareSearch prepared} search. */
    public ShardSearch.Partial searchShard(int si, PreparedSearch p) throws IOException {
        return searchShard(si, p.request(), p.filter());
    }

    private Query filterQuery(SearchRequest r) {
        return r.filter() == null || r.filter().isNull() ? null : new FilterParser(settings.schema()).parse(r.filter(), "filter", null);
    }

    private ShardSearch.Partial searchShard(int si, SearchRequest prepared, Query filter) throws IOException {
        return underSlots(() -> searchServedShard(si, prepared, filter));
    }

    /**
     * One shard's answer. {@code consistency: eventual} searches the vector index alone: the exact
     * scan of the shard's unindexed tail (writes applied and acked but not yet in the vector index,
     * see {@link Shard#searchVector}) is skipped, so a document written since the index worker last
     * caught up may be missing or found at its previous vector (its document, fetched by vid, is
     * the current one; a deleted one is left out). BM25, filters, rank_by and aggregations read the
     * text index and the document store, which every acked write is in, so they are the same
     * under both.
     */
    private ShardSearch.Partial searchServedShard(int si, SearchRequest prepared, Query filter) throws IOException {
        NamespaceSettings s = settings;
        SearchRequest.Mode mode = ShardSearch.mode(prepared);
        int candidates = ShardSearch.candidates(prepared);
        Shard sh = served(si);
        List<ShardSearch.Candidate> vec = new ArrayList<>();
        List<ShardSearch.Candidate> bm = new ArrayList<>();
        ShardSearch.TextPresence text = ShardSearch.TextPresence.PRESENT;
        if (prepared.vector() != null || prepared.text() != null) {
            if (mode != SearchRequest.Mode.BM25 && s.dimensions() != 0)
                for (Shard.VectorHit h : sh.searchVector(prepared.vector(), candidates, filter, prepared.distanceThreshold(), !prepared.eventual()))
                    addCandidate(vec, sh.byVid(h.vid()), prepared, h.score(), h.distance());
            if (mode != SearchRequest.Mode.VECTOR) {
                for (Hit h : sh.bm25(prepared.text(), candidates, filter)) addCandidate(bm, sh.byVid(h.vid()), prepared, h.score(), Float.NaN);
                if (bm.isEmpty() && !sh.hasFullTextValues())
                    text = sh.count() == 0 ? ShardSearch.TextPresence.NO_DOCUMENTS : ShardSearch.TextPresence.ABSENT;
            }
        }
        List<ShardSearch.Ranked> ranked = List.of();
        boolean more = false;
        Aggregation.Partials aggs = null;
        if (prepared.rankBy() != null || prepared.aggregate() != null) {
            VidBitSet bits = sh.textIndex().matchingVids(filter);
            if (prepared.rankBy() != null) {
                ranked = new ArrayList<>();
                more = rankShard(sh, bits, prepared, s.schema(), ranked);
            }
            if (prepared.aggregate() != null) aggs = aggregateShard(sh, bits, prepared.aggregate(), s.schema());
        }
        return new ShardSearch.Partial(vec, bm, text, ranked, more, aggs);
    }

    /**
     * A shard's first {@code top_k} documents among {@code bits} after the request's cursor, in
     * rank_by order, into {@code out}; whether it has more. Reads every matching document's
     * attribute from the document store: a scan of the filter's matches per page (no sorted index
     * of attribute values yet).
     */
    private static boolean rankShard(Shard sh, VidBitSet bits, SearchRequest r, Schema schema, List<ShardSearch.Ranked> out) {
        RankBy rb = r.rankBy();
        io.tamter.node.schema.AttributeType type = rb.checkType(schema, "rank_by[0]");
        java.util.Comparator<RankBy.Key> order = rb.order();
        int k = r.topK();
        // the k + 1 first after the cursor, the last of them on top
        java.util.PriorityQueue<Object[]> top = new java.util.PriorityQueue<>((a, b) -> order.compare((RankBy.Key) b[0], (RankBy.Key) a[0]));
        long[] words = bits.words();
        for (int w = 0; w < words.length; w++) {
            for (long word = words[w]; word != 0; word &= word - 1) {
                long vid = ((long) w << 6) + Long.numberOfTrailingZeros(word);
                Document d = sh.byVid(vid);
                if (d == null) continue; // deleted meanwhile
                RankBy.Key key = new RankBy.Key(RankBy.normalize(type, rb.attribute(), d.attributes().get(rb.attribute())), d.id());
                if (r.after() != null && order.compare(key, r.after()) <= 0) continue;
                if (top.size() > k && order.compare(key, (RankBy.Key) top.peek()[0]) >= 0) continue;
                top.add(new Object[] {key, d});
                if (top.size() > k + 1) top.poll();
            }
        }
        List<Object[]> sorted = new ArrayList<>(top);
        sorted.sort((a, b) -> order.compare((RankBy.Key) a[0], (RankBy.Key) b[0]));
        boolean more = sorted.size() > k;
        for (int i = 0; i < Math.min(k, sorted.size()); i++) {
            List<ShardSearch.Candidate> one = new ArrayList<>(1);
            addCandidate(one, (Document) sorted.get(i)[1], r, 0f, Float.NaN);
            out.add(new ShardSearch.Ranked(one.get(0), (RankBy.Key) sorted.get(i)[0]));
        }
        return more;
    }

    /** A shard's aggregation totals over the documents in {@code bits}. */
    private static Aggregation.Partials aggregateShard(Shard sh, VidBitSet bits, Aggregation.Spec spec, Schema schema) {
        Aggregation.Types types = Aggregation.check(spec, schema);
        Aggregation.Partials p = Aggregation.Partials.of(types);
        long[] words = bits.words();
        for (int w = 0; w < words.length; w++) {
            for (long word = words[w]; word != 0; word &= word - 1) {
                Document d = sh.byVid(((long) w << 6) + Long.numberOfTrailingZeros(word));
                if (d != null) p.addDocument(spec, types, d);
            }
        }
        return p;
    }

    private static void addCandidate(List<ShardSearch.Candidate> out, Document d, SearchRequest r, float score, float dist) {
        if (d == null) return; // deleted between search and fetch
        Map<String, JsonNode> meta;
        if (r.includeMetadata() == null) meta = d.attributes();
        else {
            meta = new LinkedHashMap<>();
            for (String n : r.includeMetadata()) if (d.attributes().containsKey(n)) meta.put(n, d.attributes().get(n));
        }
        out.add(new ShardSearch.Candidate(d.id(), meta, r.includeVectors() ? d.vector() : null, r.includeText() ? d.text() : null, score, dist));
    }

    /**
     * Namespace metadata for {@code GET /v1/namespaces/{ns}}. {@code encryption} is
     * {@link EncryptionSettings#toJson()} (mode and key name, never key material).
     * {@code indexStatus} is {@code "updating"} while a shard rebuilds its vector index after a
     * metric change or the LIRE rebalancer has split/merge/reassign jobs queued or running, else
     * {@code "up-to-date"}. {@code unindexedBytes} is the estimated size of the stored vectors a
     * running rebuild has not reached yet (0 otherwise: every acked write is in the indexes before
     * the ack, there is no separate write buffer). {@code pendingIndexTasks} counts the
     * rebalancer's queued and running jobs.
     */
    public record Info(String name, long approxRowCount, int dimensions, String metric, JsonNode schema, int numShards,
            String embeddingModel, JsonNode encryption, String indexStatus, long unindexedBytes, long pendingIndexTasks,
            long createdAt, long updatedAt) {}

    /**
     * The embedding model that can serve this namespace: the configured one, unless the namespace's
     * dimensions were fixed by client vectors of another size (then no text is ever embedded here:
     * text rows without a vector and semantic text search are 400s), so metadata reports none.
     */
    static EmbeddingModel usableModel(NamespaceSettings s) {
        EmbeddingModel m = s.embeddingModel();
        return m == null || s.dimensions() == 0 || m.dimensions() == s.dimensions() ? m : null;
    }

    public Info info() throws IOException {
        return underSlots(this::infoServed);
    }

    private Info infoServed() throws IOException {
        NamespaceSettings s = settings;
        long n = 0, unindexed = 0, pending = 0;
        boolean rebuilding = false, text = false;
        for (Shard sh : local()) {
            n += sh.count();
            text = text || sh.hasFullTextValues(Schema.TEXT);
            long tail = sh.unindexedBytes(); // applied (searchable by the exact tail scan), not yet in the vector index
            if (tail > 0) {
                rebuilding = true;
                unindexed += tail;
            }
            VectorIndexRebuild r = sh.rebuild();
            if (r != null) {
                rebuilding = true;
                unindexed += r.remainingBytes(s.dimensions());
            }
            SpfreshIndex idx = sh.vectorIndex();
            if (idx != null) {
                Map<String, Long> st = idx.rebalancerStats();
                pending += st.getOrDefault("queued", 0L) + st.getOrDefault("running", 0L);
            }
        }
        EmbeddingModel model = usableModel(s);
        ObjectNode schema = s.schema().toJson();
        // a namespace of client vectors that no model can serve and no document with text: "text"
        // is only the reserved default there, and listing it (with a model) told users that text
        // search would work; it shows up once a document has text there or its options differ from
        // the defaults
        if (model == null && s.dimensions() != 0 && !text && Schema.empty().get(Schema.TEXT).equals(s.schema().get(Schema.TEXT)))
            schema.remove(Schema.TEXT);
        return new Info(name, n, s.dimensions(), s.metric().apiName(), schema, s.numShards(),
                model == null ? null : model.settingName(), s.encryption().toJson(),
                rebuilding || pending > 0 ? "updating" : "up-to-date", unindexed, pending, s.createdAt(), s.updatedAt());
    }

    // ================================================================== metric

    /**
     * Sets the distance metric (API.md {@code configure-metric}: {@code {"distance_metric":…}}).
     * The settings change at once; each shard with a vector index rebuilds it in the background
     * ({@link VectorIndexRebuild}) and answers vector searches exactly under the new metric until
     * it is done, so results are correct throughout. Setting the current metric changes nothing.
     * Under cosine distance, stored zero vectors (written under another metric) are not found by
     * vector search.
     *
     * @return the namespace's metadata after the change ({@code indexStatus} shows the rebuild)
     */
    public Info configureMetric(JsonNode body) throws IOException {
        if (body == null || !body.isObject())
            throw new InvalidRequestException("invalid_request", "", "the body is an object {\"distance_metric\":…}");
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("distance_metric"))
                throw new InvalidRequestException("invalid_request", k, k + ": unknown field; known: [distance_metric]");
        }
        VectorMetric m = NamespaceSettings.parseMetric(body.get("distance_metric"), "distance_metric");
        adminLock.writeLock().lock();
        try {
            if (settings.metric() != m) updateSettings(cur -> cur.withMetric(m, System.currentTimeMillis()));
            underSlots(() -> {
                for (Shard sh : local()) sh.changeMetric(m);
                return null;
            });
        } finally {
            adminLock.writeLock().unlock();
        }
        return info();
    }

    /**
     * Waits until no shard rebuilds its vector index (tests, operations).
     *
     * @return whether every shard's index is up to date within {@code timeoutMs}
     */
    public boolean awaitIndexRebuilt(long timeoutMs) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        for (Shard sh : attached()) if (!sh.awaitIndexRebuilt(Math.max(0, end - System.currentTimeMillis()))) return false;
        return true;
    }

    // ================================================================== columns

    /** Upserts columns (API.md {@code upsert_columns}): validated and applied exactly as the equivalent rows; errors name the column. */
    public WriteResult upsertColumns(JsonNode columns) throws IOException {
        return asRows(columns, "upsert_columns", rows -> upsert(rows, null));
    }

    /** What a rows request would do with the rows {@code columns} stand for; its errors name the column. */
    private static <T> T asRows(JsonNode columns, String field, RowsCall<T> call) throws IOException {
        JsonNode rows = ColumnarRows.toRows(columns, field);
        try {
            return call.apply(rows);
        } catch (IllegalArgumentException e) {
            throw ColumnarRows.rewrite(e, field);
        }
    }

    @FunctionalInterface
    private interface RowsCall<T> {
        T apply(JsonNode rows) throws IOException;
    }

    /** Patches columns (API.md {@code patch_columns}); null = attribute not given; missing ids are listed in {@code errors}. */
    public WriteResult patchColumns(JsonNode columns) throws IOException {
        WriteResult r = asRows(columns, "patch_columns", rows -> patch(rows, null));
        List<WriteResult.RowError> errors = new ArrayList<>();
        for (WriteResult.RowError e : r.errors())
            errors.add(new WriteResult.RowError(e.id(), e.code(), ColumnarRows.rewriteMessage(e.message(), "patch_columns")));
        return new WriteResult(r.inserted(), r.updated(), r.deleted(), r.skipped(), r.conditionMet(), errors);
    }

    // ================================================================== export and copy

    /** A page of an export: documents in id order and the cursor of the next page (null after the last). */
    public record ExportPage(List<Document> documents, String nextCursor) {}

    /**
     * Exports documents in id order (API.md {@code GET …/documents?cursor=&limit=}), one page per
     * call; {@code cursor} and {@code limit} are the raw query parameters (null when absent). See
     * {@link ExportCursor} for the order and the cursor; {@code limit} defaults to
     * {@value ExportCursor#DEFAULT_LIMIT}, at most {@value ExportCursor#MAX_LIMIT}.
     */
    public ExportPage export(String cursor, String limit) {
        int n = ExportCursor.parseLimit(limit);
        DocId after = ExportCursor.decode(cursor);
        List<Document> docs = documentsAfter(after, n + 1);
        if (docs.size() <= n) return new ExportPage(docs, null);
        List<Document> page = List.copyOf(docs.subList(0, n));
        return new ExportPage(page, ExportCursor.encode(page.get(n - 1).id()));
    }

    /**
     * Merges export pages that several nodes answered for the same {@code cursor} and {@code limit},
     * each over its own shards (a grid's export): the first {@code limit} documents of all of them in
     * id order, and the cursor after them (null when no node had more). Each node's page holds its
     * {@code limit} smallest ids after the cursor, so the smallest {@code limit} of the union are the
     * answer. {@code ids} are the pages' documents' ids as JSON, in any order.
     *
     * @return the ids of the merged page, in order, and its next cursor
     */
    public static MergedPage mergeExportPages(List<JsonNode> ids, boolean anyMore, String limit) {
        int n = ExportCursor.parseLimit(limit);
        List<DocId> all = new ArrayList<>();
        for (JsonNode id : ids) all.add(DocId.fromJson(id, "id"));
        all.sort(null);
        List<DocId> page = all.size() > n ? all.subList(0, n) : all;
        String next = (all.size() > n || anyMore) && !page.isEmpty() ? ExportCursor.encode(page.get(page.size() - 1)) : null;
        List<JsonNode> out = new ArrayList<>(page.size());
        for (DocId d : page) out.add(d.toJson());
        return new MergedPage(out, next);
    }

    /** A merged export page: its documents' ids in order, and the next cursor (null: the last page). */
    public record MergedPage(List<JsonNode> ids, String nextCursor) {}

    /** Up to {@code limit} documents with ids greater than {@code after} (null: from the first), in id order, merged over the shards. */
    List<Document> documentsAfter(DocId after, int limit) {
        return unchecked(() -> underSlots(() -> documentsAfterServed(after, limit)));
    }

    private List<Document> documentsAfterServed(DocId after, int limit) throws IOException {
        List<Document> all = new ArrayList<>();
        for (Shard sh : local()) all.addAll(sh.documentsAfter(after, limit));
        all.sort((a, b) -> a.id().compareTo(b.id()));
        return all.size() > limit ? all.subList(0, limit) : all;
    }

    /**
     * Writes whole documents (a copy's pages) through the write path: settings grow as for an
     * upsert (dimensions, inferred attributes), each shard's part is one logged batch.
     *
     * @return documents written
     */
    int writeDocuments(List<Document> docs) throws IOException {
        if (docs.isEmpty()) return 0;
        return underWriteAdmission(() -> {
            NamespaceSettings s = settings;
            int dims = s.dimensions();
            Schema schema = s.schema();
            for (Document d : docs) {
                if (d.vector() != null) {
                    if (dims == 0) dims = d.vector().length;
                    if (d.vector().length != dims)
                        throw new InvalidRequestException("invalid_vector_dimensions", "vector", "document " + d.id() + " has "
                                + d.vector().length + " dimensions, namespace " + name + " has " + dims);
                }
                Map<String, JsonNode> a = new LinkedHashMap<>(d.attributes());
                if (d.text() != null) a.put("text", JsonNodeFactory.instance.textNode(d.text()));
                schema = schema.withInferred(a, "");
            }
            ensureSettings(dims, schema);
            int[] written = new int[1];
            ShardParts parts = new ShardParts();
            for (int si = 0; si < shards.length; si++) {
                final int shard = si;
                List<Document> mine = docs.stream().filter(d -> d.id().shard(shards.length) == shard).toList();
                if (mine.isEmpty()) continue;
                parts.add(shard, () -> served(shard), view -> {
                    List<ShardWrite> ws = new ArrayList<>();
                    for (Document d : mine) {
                        DocumentCodec.Stored old = view.get(d.id());
                        ws.add(new ShardWrite.Put(old != null ? old.vid() : view.newVid(), d));
                    }
                    return new Shard.Resolution<>(ws, ws.size());
                }, n -> written[0] += n);
            }
            parts.run();
            return written[0];
        });
    }

    /**
     * Takes over the metric, dimensions, schema and embedding model of {@code src} (a copy into
     * this existing namespace), which must have no documents.
     */
    void adoptSettings(NamespaceSettings src) throws IOException {
        adminLock.writeLock().lock();
        try {
            requireNoDocuments("namespace");
            NamespaceSettings cur = settings;
            if (cur.dimensions() != 0 && src.dimensions() != 0 && cur.dimensions() != src.dimensions())
                throw new NamespaceConflictException("invalid_vector_dimensions", "source_namespace", "source_namespace: namespace "
                        + src.name() + " has " + src.dimensions() + " dimensions, the target " + name + " has " + cur.dimensions());
            Schema merged = cur.schema().update(src.schema().toJson());
            long now = System.currentTimeMillis();
            updateSettings(c -> new NamespaceSettings(c.name(), src.metric(), c.dimensions() == 0 ? src.dimensions() : c.dimensions(), merged,
                    src.embeddingModel(), c.numShards(), c.encryption(), c.createdAt(), now));
            underSlots(() -> {
                for (Shard sh : local()) sh.changeMetric(src.metric());
                return null;
            });
        } finally {
            adminLock.writeLock().unlock();
        }
    }

    /** @throws NamespaceConflictException when the namespace has documents */
    void requireNoDocuments(String path) throws IOException {
        long n = underSlots(() -> {
            long c = 0;
            for (Shard sh : local()) c += sh.count();
            return c;
        });
        if (n > 0)
            throw new NamespaceConflictException("target_not_empty", path, path + ": namespace " + name + " has " + n
                    + " documents; copy only into a new or empty namespace");
    }

    // ================================================================== debug

    /**
     * API.md {@code _debug/recall}: {@code {"num":25,"top_k":10,"filter":F?}}. Samples {@code num}
     * stored vectors (of documents matching the filter) and searches each as a query twice, with
     * the index as a search does and exhaustively; see {@link RecallProbe}.
     */
    public RecallProbe.Result recall(JsonNode body) throws IOException {
        RecallProbe.Request r = RecallProbe.parse(settings, body);
        if (settings.dimensions() == 0) return new RecallProbe.Result(0, 0, 0, 0);
        return underSlots(() -> {
            RecallProbe probe = new RecallProbe(settings, localByNumber());
            List<float[]> queries = RecallProbe.pick(List.of(probe.sample(r)), r.num(), new java.util.Random());
            return RecallProbe.score(List.of(probe.search(queries, r)), queries.size(), r.topK());
        });
    }

    /** Recall phase 1 on this node's shards (a grid: the coordinator picks from every node's sample; see {@link RecallProbe}). */
    public RecallProbe.Sample recallSample(RecallProbe.Request r) throws IOException {
        if (settings.dimensions() == 0) return new RecallProbe.Sample(0, List.of());
        return underSlots(() -> new RecallProbe(settings, localByNumber()).sample(r));
    }

    /** Recall phase 3 on this node's shards: each query's index and exhaustive top k here (see {@link RecallProbe}). */
    public List<RecallProbe.Hits> recallSearch(List<float[]> queries, RecallProbe.Request r) throws IOException {
        return underSlots(() -> new RecallProbe(settings, localByNumber()).search(queries, r));
    }

    /** The shards this node serves (opening those it serves and has not opened yet), by shard number, in shard order. */
    private Map<Integer, Shard> localByNumber() throws IOException {
        Map<Integer, Shard> out = new LinkedHashMap<>();
        for (int i = 0; i < shards.length; i++) {
            Shard sh = (Shard) SLOT.getAcquire(shards, i);
            if (sh != null) out.put(i, used(i, sh));
            else if (opener != null && opener.servesHere(i)) out.put(i, served(i));
        }
        return out;
    }

    private volatile boolean closeCalled;

    void close() throws IOException {
        close(true);
    }

    /**
     * Whether {@link #close} was called (tests wait on it): from then on it waits for the writes in
     * flight, which hold the slot lock, and closes the shards after them.
     */
    public boolean closeCalled() {
        return closeCalled;
    }

    /** Closes every shard; {@code finalCheckpoint=false} when the namespace is being deleted. */
    void close(boolean finalCheckpoint) throws IOException {
        closeCalled = true;
        IOException first = null;
        List<Shard> open;
        List<CompletableFuture<?>> unloading = new ArrayList<>();
        slotLock.writeLock().lock();
        try {
            synchronized (slotMonitor) {
                open = attached();
                java.util.Arrays.fill(shards, null);
                for (CompletableFuture<?> c : closing) if (c != null) unloading.add(c);
            }
        } finally {
            slotLock.writeLock().unlock();
        }
        // a cold-tier unload still closing a shard finishes first (a delete removes the objects after this returns)
        for (CompletableFuture<?> c : unloading) c.join();
        for (Shard sh : open) {
            try {
                sh.close(finalCheckpoint && !sh.walFenced());
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }

    @Override
    public String toString() {
        return "Namespace{" + name + ", shards=" + shards.length + ", settings=" + Arrays.toString(new Object[] {settings}) + "}";
    }
}
