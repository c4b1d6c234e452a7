package io.tamter.node.shard;

import io.tamter.node.storage.ShardDb;
import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.doc.DocId;
import io.tamter.node.doc.Document;
import io.tamter.node.doc.DocumentCodec;
import io.tamter.node.doc.DocumentStore;
import io.tamter.node.index.spann.SpfreshIndex;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.schema.Schema;
import io.tamter.node.text.Hit;
import io.tamter.node.text.IndexFields;
import io.tamter.node.text.TextIndex;
import io.tamter.node.text.VidBitSet;
import io.tamter.node.vector.VectorMetric;
import io.tamter.node.wal.WalBackpressureException;
import io.tamter.node.wal.WalException;
import io.tamter.node.wal.WalReader;
import io.tamter.node.wal.WalShard;
import io.tamter.node.wal.WalWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.lucene.index.IndexCommit;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One open shard: its {@link ShardDb} (documents in the {@code docs} column family, the vector
 * index in the others), its {@link SpfreshIndex} (opened once the namespace has dimensions), its
 * {@link TextIndex} and a {@link WalWriter} on the object store. See the package comment for the
 * write path and recovery.
 *
 * <p>Local layout under {@code dir}: {@code db/} (ShardDb, with its {@code version.info}) and
 * {@code text/} (TextIndex, with its {@code VERSION}).
 *
 * <p>{@code docs} column family keys: {@code 'i' + DocId.key()} → vid (int64 big-endian);
 * {@code 'v' + vid (int64 big-endian)} → {@link DocumentCodec} bytes. {@code meta} column family:
 * {@code engine.applied_seq} (the last WAL segment whose entries were applied, int64 LE) and
 * {@code engine.next_vid} (int64 LE), written in the same RocksDB batch as the documents;
 * {@code engine.indexed_seq} (int64 LE), written by the index worker.
 *
 * <p>Lock order: {@code ckptLock} → {@code writeLock} → {@code applyLock} → {@code applyGate}
 * → {@code indexWriteLock} → {@code indexGate} → {@code indexLock}; the index worker takes
 * {@code indexWriteLock} then {@code indexGate}. A {@link #pin} takes {@code applyGate} then
 * {@code indexGate} (read) and, while it holds them, only the read paths' locks.
 */
public final class Shard implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Shard.class);
    static final byte[] APPLIED_KEY = "engine.applied_seq".getBytes(StandardCharsets.UTF_8);
    static final byte[] NEXT_VID_KEY = "engine.next_vid".getBytes(StandardCharsets.UTF_8);
    /**
     * The last WAL segment whose effects the vector index holds (int64 LE), written by the index
     * worker after the index writes of each apply; replay queues the later segments for it again.
     */
    static final byte[] INDEXED_KEY = "engine.indexed_seq".getBytes(StandardCharsets.UTF_8);
    /** Lucene user-data key of the last applied WAL segment covered by a text-index commit. */
    static final String TEXT_APPLIED = "applied_seq";
    /**
     * Lucene user-data key, value {@code "true"}: the commit holds every WAL segment up to
     * {@link #TEXT_APPLIED} whole, so replay leaves the text of those segments alone (see
     * {@link #open}). Without it (a commit of an earlier build, whose replay applied entry by
     * entry and could commit in the middle of a segment) only the segments before it are known whole.
     */
    static final String TEXT_WHOLE = "applied_whole";
    /** The text index is committed every this many applied batches (and at close). */
    static final int TEXT_COMMIT_EVERY = 64;

    private final WalShard walShard;
    private final Settings settings;
    /** The namespace's metric; changed only under the write lock ({@link #changeMetric}). */
    private volatile VectorMetric metric;
    private final ShardDb db;
    private final TextIndex text;
    /** Set once after replay; never null afterwards. */
    private WalWriter wal;
    /** Held while a write is resolved and appended to the WAL (not while it is durable or applied); see {@link #write}. */
    private final ReentrantLock writeLock = new ReentrantLock();
    /**
     * Held while logged writes are applied, and by whatever must not see an apply half done
     * (checkpoint snapshots, index swaps, close). Taken after {@link #writeLock}, never before it.
     */
    private final ReentrantLock applyLock = new ReentrantLock();
    /**
     * Read by {@link #pin} (a multi-search's queries of this shard), written by each apply (under
     * {@link #applyLock}): while a pin holds it, no apply changes the documents, the text index or
     * the tail, so every query of the pin reads the same applied WAL position. A read-write lock,
     * not {@link #applyLock} itself, so that pins of concurrent multi-searches do not wait for
     * each other; applies (and so the acks of writes) wait for the pins held when they start.
     */
    private final ReentrantReadWriteLock applyGate = new ReentrantReadWriteLock();
    /**
     * {@link #applyGate}'s counterpart for the index worker: written while it moves one tail entry
     * into the vector index, read by {@link #pin}, so that a pin's queries find each vid in the same
     * place (scored exactly in the tail, or found by the index), not one query each way.
     */
    private final ReentrantReadWriteLock indexGate = new ReentrantReadWriteLock();
    /** Writes appended to the WAL and not yet applied (or failed), in WAL order; see {@link InFlight}. */
    private final InFlight.Queue inFlight = new InFlight.Queue();
    private volatile SpfreshIndex vectors;
    /** Held by searches of {@link #vectors}; its write lock is held while the index is replaced. */
    private final ReentrantReadWriteLock indexLock = new ReentrantReadWriteLock();
    /** The background rebuild of the vector index under a new metric, or null when the index is up to date. */
    private volatile VectorIndexRebuild rebuild;
    /** The next vid a resolution hands out; under {@link #writeLock} (so above every vid in flight). */
    private long nextVid;
    /** One past the highest vid applied (persisted as {@code engine.next_vid}); under {@link #applyLock}. */
    private long appliedNextVid;
    /**
     * The last WAL segment applied, always whole (its entries are applied together); written under
     * {@link #applyLock}, volatile for the background checkpoint trigger and metrics.
     */
    private volatile long appliedSeq;
    /**
     * The last WAL segment the text index holds whole (what its commits record); under
     * {@link #applyLock}. Equal to {@link #appliedSeq} once the shard is open; during replay it
     * may be behind or ahead of it (the two are written in different stores and committed apart).
     */
    private long textSeq;
    private int uncommittedText;
    private volatile Throwable failed;

    // the vector index off the write path (see IndexTail and the package comment)
    /** Applied effects the vector index does not hold yet, in WAL order. */
    private final IndexTail tail = new IndexTail();
    /** Vector searches over the index, the tail and the stored vectors (this shard's reads, under indexLock). */
    private final ShardVectorSearch vectorSearch;
    /** The stored documents (the docs column family). */
    private final DocumentStore docs;
    /**
     * Held by the index worker while it writes one tail entry into {@link #vectors}, and by
     * whatever must not interleave with that (index swaps, rebuild steps, close). Taken after
     * {@link #applyLock}, never before it; the worker takes no other lock of the shard.
     */
    private final ReentrantLock indexWriteLock = new ReentrantLock();
    /** The last WAL segment the vector index holds whole (persisted as {@link #INDEXED_KEY}). */
    private volatile long indexedSeq;
    /** Whether a worker task of this shard is queued or running (at most one: WAL order). */
    private final AtomicBoolean indexScheduled = new AtomicBoolean();
    /** Set once the shard is open: replay only queues, the worker starts after it. */
    private volatile boolean indexingStarted;
    /** Tail entries the open's replay queued (WAL segments the vector index did not hold). */
    private int queuedAtOpen;
    /** A hold on the index worker ({@link #holdIndexing}), for tests and operators. */
    private volatile boolean indexingHeld;
    private static final ExecutorService INDEXERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tamter-index");
        t.setDaemon(true);
        return t;
    });

    // checkpoints (see Checkpointer): ckptLock is taken before writeLock, never after it
    private final ObjectStore store;
    private final Checkpointer checkpointer;
    private final ReentrantLock ckptLock = new ReentrantLock();
    private final AtomicLong walBytesSinceCheckpoint = new AtomicLong();
    private volatile long lastCheckpointSeq;
    private volatile long lastCheckpointNanos = System.nanoTime();
    private volatile boolean fenced;
    private volatile boolean closed;
    private ScheduledFuture<?> checkpointTicker;
    private static final ScheduledExecutorService CHECKPOINTS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tamter-checkpoint");
        t.setDaemon(true);
        return t;
    });

    /** Resolves a batch into effects under the shard's write lock, one batch at a time in WAL order (see {@link #write}). */
    @FunctionalInterface
    public interface Resolver<R> {
        Resolution<R> resolve(View view) throws IOException;
    }

    /** The effects to log and apply, and what to return to the caller. */
    public record Resolution<R>(List<ShardWrite> writes, R result) {}

    /**
     * What a {@link Resolver} may read: the documents as every batch resolved before this one left
     * them, none of the batch's own effects.
     *
     * <p>Reads see applied documents only; a read that touches a batch still in flight (appended
     * to the WAL, not applied yet) first waits until the batches in flight are applied: {@code get}
     * or {@code byVid} of an id or vid such a batch writes, {@code matches} on such a vid, and
     * {@code matching} (it looks at every document) whenever any batch is in flight. So each
     * resolution sees the effect of every batch before it in WAL order, and reads nothing that is
     * not durable. Why waiting rather than an overlay of pending effects: conditions and filter
     * deletes are Lucene queries, which an overlay could only answer with a second query engine;
     * and as no resolution reads an unapplied batch, a batch whose WAL write fails cannot have
     * misled another one in flight. The price: a write touching a document written in the last
     * moments waits about one WAL commit, holding the write lock. Writes of other documents (the
     * common case) do not wait.
     */
    public interface View {
        /** The stored document of {@code id}, or null. */
        DocumentCodec.Stored get(DocId id);

        /** Whether the stored document of {@code vid} matches {@code q} (a FilterParser query). */
        boolean matches(long vid, Query q) throws IOException;

        /** The vids of the stored documents matching {@code q}. */
        VidBitSet matching(Query q) throws IOException;

        /** The stored document of {@code vid}, or null. */
        Document byVid(long vid);

        /** A fresh vid for a new document. */
        long newVid();
    }

    /** A vector match in this shard. */
    public record VectorHit(long vid, float distance, float score) {}

    private Shard(ObjectStore store, WalShard walShard, Settings settings, VectorMetric metric, ShardDb db, TextIndex text,
            SpfreshIndex vectors, WalWriter wal, long appliedSeq, long nextVid) {
        this.store = store;
        this.checkpointer = new Checkpointer(store, walShard);
        this.walShard = walShard;
        this.settings = settings;
        this.metric = metric;
        this.db = db;
        this.text = text;
        this.vectors = vectors;
        this.wal = wal;
        this.appliedSeq = appliedSeq;
        this.nextVid = nextVid;
        this.appliedNextVid = nextVid;
        this.docs = new DocumentStore(db, "shard " + walShard);
        this.vectorSearch = new ShardVectorSearch(settings, tail, text, this::byVid, () -> this.metric);
    }

    /**
     * Opens the shard's local state under {@code dir}, restoring it from the shard's checkpoint
     * when there is none or when it is older than the checkpoint and the WAL between has been
     * truncated; replays the WAL segments the local state has not applied, and starts a WAL
     * writer after the last one (and after the checkpoint's seq). Local state at or past the
     * checkpoint is kept.
     *
     * @param dims the namespace's vector dimensions, 0 while it has none
     */
    public static Shard open(Path dir, ObjectStore store, WalShard walShard, VectorMetric metric, int dims, Schema schema,
            Settings settings) throws IOException {
        return open(dir, store, walShard, metric, dims, schema, settings, false);
    }

    /**
     * {@link #open(Path, ObjectStore, WalShard, VectorMetric, int, Schema, Settings)}; with
     * {@code claim}, the new owner of a shard on a grid fences the previous one before it serves:
     * after replay it writes an empty WAL segment at the next sequence number (create-if-absent).
     * The previous owner's next WAL write needs that number too, finds it taken by another writer and
     * fails ({@link io.tamter.node.wal.WalFencedException}), so a stale owner can never ack a write
     * the new owner has not replayed. Should the previous owner have written that number first, the
     * claim loses: the new owner replays that segment and claims the next number.
     */
    public static Shard open(Path dir, ObjectStore store, WalShard walShard, VectorMetric metric, int dims, Schema schema,
            Settings settings, boolean claim) throws IOException {
        Checkpointer.deleteTree(dir.resolve(CHECKPOINT_TMP));
        CheckpointManifest manifest = Checkpointer.readManifest(store, walShard).map(Checkpointer.Loaded::manifest).orElse(null);
        boolean restored = false;
        if (manifest != null && !hasLocalState(dir)) {
            Checkpointer.restore(store, walShard, manifest, dir);
            restored = true;
        }
        ShardDb db = ShardDb.open(dir.resolve("db"), settings);
        TextIndex text = null;
        SpfreshIndex vectors = null;
        Shard s = null;
        try {
            text = TextIndex.open(dir.resolve("text"), schema, settings);
            long docsSeq = getLong(db, APPLIED_KEY);
            long textSeq = textSeq(text);
            long indexedSeq = indexedSeq(db, docsSeq);
            WalReader reader = new WalReader(store, walShard);
            long checkpointSeq = manifest == null ? 0 : manifest.walSeq();
            // Start at the oldest of the three states, one segment early (an earlier build's replay may
            // have applied a segment of several entries in part); Replay gives each part only the
            // segments it does not hold, since the text index must not get one twice (see Replay).
            long from = Math.max(0, Math.min(Math.min(docsSeq, textSeq), indexedSeq) - 1);
            if (from < checkpointSeq && walGap(reader, from)) {
                if (Math.min(Math.min(docsSeq, textSeq), indexedSeq) >= checkpointSeq) {
                    // At the checkpoint (typically: checkpointed, closed, reopened). Segments below it are
                    // gone; the segment at it was applied and indexed whole: a checkpoint covers the
                    // older of the applied and the indexed seq, and the entries of one segment are
                    // applied together (one RocksDB batch) and indexed together (one tail entry).
                    from = checkpointSeq;
                } else {
                    LOG.info("local state of shard {} is at WAL seq {} (text {}), before checkpoint {} at {} whose WAL is truncated: "
                            + "restoring from the checkpoint", walShard, docsSeq, textSeq, manifest.checkpoint(), checkpointSeq);
                    text.close();
                    text = null;
                    db.close();
                    Checkpointer.restore(store, walShard, manifest, dir);
                    restored = true;
                    db = ShardDb.open(dir.resolve("db"), settings);
                    text = TextIndex.open(dir.resolve("text"), schema, settings);
                    docsSeq = getLong(db, APPLIED_KEY);
                    textSeq = textSeq(text);
                    indexedSeq = indexedSeq(db, docsSeq);
                    from = Math.max(checkpointSeq, Math.min(Math.min(docsSeq, textSeq), indexedSeq));
                }
            }
            // an index of another metric, or a rebuild that a restart interrupted: start it over
            boolean rebuildIndex = VectorIndexRebuild.needed(db, metric);
            if (rebuildIndex) VectorIndexRebuild.reset(db);
            if (dims > 0) vectors = SpfreshIndex.open(db, metric, dims, settings);
            long nextVid = getLong(db, NEXT_VID_KEY);
            s = new Shard(store, walShard, settings, metric, db, text, vectors, null, docsSeq, nextVid);
            if (rebuildIndex) s.rebuild = new VectorIndexRebuild(s);
            s.indexedSeq = indexedSeq;
            s.textSeq = textSeq;
            s.lastCheckpointSeq = checkpointSeq;
            if (restored) s.checkpointer.seed(manifest);
            Replay replay = s.new Replay(docsSeq);
            long last = reader.replay(from, replay);
            replay.finish();
            if (claim) {
                // The previous owner's last checkpoint may have landed while this open listed and
                // replayed the WAL: a checkpoint writes its manifest, then deletes the segments it
                // covers, so the segments this open did not find may be the deleted ones. Seen in
                // GridTest: during a graceful leave a shard was opened with nothing (manifest read
                // before the checkpoint, WAL listed after its truncation), and acked rows were gone
                // on the new owner. The manifest is read again, and a change means starting over
                // (the caller retries; the next open restores from the new checkpoint).
                long now = Checkpointer.readManifest(store, walShard).map(l -> l.manifest().walSeq()).orElse(0L);
                if (now != checkpointSeq) {
                    throw new IOException("shard " + walShard + ": a checkpoint (WAL seq " + now + ") landed while the shard was opened "
                            + "from WAL seq " + checkpointSeq + "; open it again");
                }
            }
            // never below what was replayed: a checkpoint landing from here on may delete the segments
            // just replayed, and numbering from the old checkpoint would restart below the new one
            long next = Math.max(reader.nextSeq(checkpointSeq), last + 1);
            while (claim && !WalWriter.claim(store, walShard, next)) {
                last = reader.replay(Math.max(last, next - 1), replay); // the previous owner wrote it: take it in, claim the next
                replay.finish();
                next = Math.max(reader.nextSeq(checkpointSeq), last + 1);
            }
            if (claim) next++;
            s.commitText();
            s.nextVid = s.appliedNextVid;
            s.wal = WalWriter.start(store, walShard, next, WalWriter.Config.from(settings));
            s.startCheckpointTicker();
            if (s.rebuild != null) s.rebuild.start();
            s.queuedAtOpen = s.tail.size();
            s.indexingStarted = true;
            s.scheduleIndexing();
            LOG.info("opened shard {}: applied seq {} (text {}, vectors {}), checkpoint seq {}{}, replayed {} entries from {} to {}, {} "
                    + "queued for the vector index", walShard, docsSeq, textSeq, indexedSeq, checkpointSeq, restored ? " (restored)" : "",
                    replay.entries, from, last, s.queuedAtOpen);
            return s;
        } catch (IOException | RuntimeException e) {
            if (s != null && s.vectors != null) vectors = s.vectors; // replay may have opened it
            if (vectors != null) vectors.close();
            if (text != null) text.close();
            db.close();
            throw e;
        }
    }

    /** Local RocksDB subdirectory used for the copy a checkpoint uploads (deleted afterwards). */
    static final String CHECKPOINT_TMP = "checkpoint-tmp";

    /** Whether {@code dir} holds a shard's local state (a RocksDB database). */
    static boolean hasLocalState(Path dir) {
        return Files.exists(ShardDb.rocksDir(dir.resolve("db")).resolve("CURRENT"));
    }

    /**
     * The indexed seq stored in {@code db}. A database without one was written when the vector index
     * was updated in the apply itself, so it holds everything applied: the key is written now, with
     * the applied seq, so that from here on it is always present (a tail left by a crash is never
     * taken for indexed).
     */
    private static long indexedSeq(ShardDb db, long docsSeq) {
        try {
            if (db.db().get(db.meta(), INDEXED_KEY) == null) db.db().put(db.meta(), db.writeOptions(), INDEXED_KEY, le(docsSeq));
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot read the indexed seq in " + db.dir() + ": " + e.getMessage(), e);
        }
        return getLong(db, INDEXED_KEY);
    }

    /** The last WAL segment the text index's last commit holds whole (see {@link #TEXT_WHOLE}). */
    private static long textSeq(TextIndex text) throws IOException {
        Map<String, String> data = text.lastCommitData();
        String t = data.get(TEXT_APPLIED);
        if (t == null) return 0;
        long seq = Long.parseLong(t);
        return "true".equals(data.get(TEXT_WHOLE)) ? seq : Math.max(0, seq - 1);
    }

    /**
     * The open's replay of the WAL (see the package comment, Recovery). It applies whole segments:
     * the entries of a segment are collected and applied together when the next segment starts
     * or the replay ends ({@link #finish}), as the write path applies them, so the applied,
     * text and indexed seqs it records never cover part of a segment.
     *
     * <p>Each of the shard's three parts is written only with the segments it does not hold:
     * <ul>
     * <li><b>Text index</b>: the segments after the one its last commit names. Writing a segment
     * it holds again is not harmless: a Lucene update is a delete plus an add, and deleted
     * documents count in BM25's statistics (docFreq, docCount, the average field length) until a
     * merge drops them, so scores would move although the live documents are the same (issue 9: a
     * checkpoint taken while the index worker lagged names the indexed seq, and replay from there
     * wrote the text of every later segment again).</li>
     * <li><b>Documents</b>: from the applied seq on (that segment again: an earlier build's
     * replay could record it with part of its entries applied; RocksDB puts and deletes leave no
     * trace when repeated). Writing older segments again would take documents back to older
     * states until the replay reaches their later ones.</li>
     * <li><b>Vector index</b>: the segments after the indexed seq join the tail for the worker.</li>
     * </ul>
     * Replay starts at the oldest of the three, so none misses a segment.
     */
    private final class Replay implements WalReader.EntryConsumer {
        /** Segments up to this are in the documents (read at open, before replay moves the applied seq). */
        private final long docsHeld;
        /** Segments up to this are in the text index. */
        private final long textHeld;
        private long seq = -1;
        private List<ShardWrite> writes = new ArrayList<>();
        private long bytes;
        long entries;

        Replay(long docsSeq) {
            this.docsHeld = Math.max(0, docsSeq - 1);
            this.textHeld = textSeq;
        }

        @Override
        public void accept(long s, int index, byte[] payload) throws IOException {
            if (s != seq) finish();
            seq = s;
            writes.addAll(ShardWriteCodec.decode(payload));
            bytes += payload.length;
            entries++;
        }

        /** Applies the collected segment, if any. Called after each {@link WalReader#replay}. */
        void finish() throws IOException {
            if (seq < 0) return;
            apply(seq, writes, bytes, seq > indexedSeq, seq > textHeld, seq > docsHeld);
            walBytesSinceCheckpoint.addAndGet(bytes);
            seq = -1;
            writes = new ArrayList<>(); // the tail keeps the list it was given
            bytes = 0;
        }
    }

    /** Whether replay from {@code from} would miss segments: the first one present is after {@code from + 1}, or none is. */
    private static boolean walGap(WalReader reader, long from) throws IOException {
        List<Long> seqs = reader.segmentSeqs();
        return seqs.isEmpty() || seqs.get(0) > from + 1;
    }

    public WalShard id() {
        return walShard;
    }

    public VectorMetric metric() {
        return metric;
    }

    /** The vector index, or null while the namespace has no dimensions. */
    public SpfreshIndex vectorIndex() {
        return vectors;
    }

    public TextIndex textIndex() {
        return text;
    }

    public ShardDb db() {
        return db;
    }

    /** The last WAL segment applied to the documents (every write acked so far is at or below it). */
    public long appliedSeq() {
        return appliedSeq;
    }

    /** The last WAL segment the vector index holds whole; at most {@link #appliedSeq}. */
    public long indexedSeq() {
        return indexedSeq;
    }

    /** WAL payload bytes applied to the documents and not yet to the vector index (the tail searches scan exactly). */
    public long unindexedBytes() {
        return tail.bytes();
    }

    /** How many applies (WAL segments, or groups of them) the open's replay queued for the vector index again. */
    public int queuedAtOpen() {
        return queuedAtOpen;
    }

    /**
     * Holds ({@code true}) or releases the index worker. While held, applied writes stay in the
     * tail (searches still see them, by the exact scan) and the tail grows until writes get 429.
     * An entry the worker is writing when the hold begins is finished. For tests and operators.
     */
    public void holdIndexing(boolean hold) {
        indexingHeld = hold;
        if (!hold) scheduleIndexing();
    }

    /**
     * Waits until the vector index holds every write applied so far (the tail is empty), up to
     * {@code timeoutMs}.
     *
     * @return whether it does
     */
    public boolean awaitIndexed(long timeoutMs) throws InterruptedException {
        return tail.awaitEmpty(timeoutMs);
    }

    /** Uses {@code schema} for indexing and queries from now on (it must extend the current one). */
    public void setSchema(Schema schema) {
        text.setSchema(schema);
    }

    /** Opens the vector index with {@code dims} if it is not open yet. */
    public void ensureVectorIndex(int dims) {
        if (vectors != null) return;
        applyLock.lock();
        try {
            if (vectors == null) vectors = SpfreshIndex.open(db, metric, dims, settings);
        } finally {
            applyLock.unlock();
        }
    }

    /**
     * Uses {@code m} from now on. With a vector index of another metric, the index is emptied and
     * rebuilt from the stored vectors in the background ({@link VectorIndexRebuild}); until that
     * is done, vector searches of this shard are exact over the stored vectors under {@code m}, so
     * their results are correct throughout. The rebuild is recorded in the shard's RocksDB, so a
     * restart (or a restore from a checkpoint taken meanwhile) starts it over.
     */
    public void changeMetric(VectorMetric m) throws IOException {
        writeLock.lock();
        applyLock.lock();
        try {
            if (closed) throw new IllegalStateException("shard " + walShard + " is closed");
            requireNotFailed();
            if (m == metric) return;
            metric = m;
            if (vectors == null) return; // created with m on the first vector
            VectorIndexRebuild previous = rebuild;
            if (previous != null) previous.cancel();
            rebuild = new VectorIndexRebuild(this); // searches are exact from here on
            indexWriteLock.lock();
            indexLock.writeLock().lock();
            try {
                int dims = vectors.dim();
                vectors.close();
                VectorIndexRebuild.reset(db);
                vectors = SpfreshIndex.open(db, m, dims, settings);
            } catch (RuntimeException e) {
                failed = e;
                throw e;
            } finally {
                indexLock.writeLock().unlock();
                indexWriteLock.unlock();
            }
            rebuild.start();
        } finally {
            applyLock.unlock();
            writeLock.unlock();
        }
    }

    /** The running index rebuild, or null when the vector index is up to date. */
    public VectorIndexRebuild rebuild() {
        return rebuild;
    }

    /**
     * Waits until no index rebuild runs (or {@code timeoutMs} passed, or the rebuild failed).
     *
     * @return whether the index is up to date
     */
    public boolean awaitIndexRebuilt(long timeoutMs) throws InterruptedException {
        long end = System.nanoTime() + timeoutMs * 1_000_000;
        for (VectorIndexRebuild r = rebuild; r != null; r = rebuild) {
            long left = end - System.nanoTime();
            if (left <= 0 || !r.await(left / 1_000_000 + 1)) return rebuild == null;
            if (rebuild == r) return false; // its thread ended without finishing (failed; logged): reopening starts it over
        }
        return true;
    }

    /**
     * One step of {@code r}: under the apply lock, inserts the vectors of up to {@code batch}
     * stored documents from vid {@code fromVid} on that the new index does not hold yet.
     *
     * @return the vid to continue from, or -1 when every document has been visited (the rebuild is
     *         then finished and recorded as such), or -2 when {@code r} is no longer this shard's
     *         rebuild (cancelled, closed, failed)
     */
    long rebuildStep(VectorIndexRebuild r, long fromVid, int batch) throws IOException {
        applyLock.lock();
        indexWriteLock.lock(); // the worker writes the same index
        try {
            if (rebuild != r || closed || failed != null) return -2;
            SpfreshIndex idx = vectors;
            VectorMetric m = metric;
            long next = docs.visitFrom(fromVid, batch, d -> {
                float[] v = d.doc().vector();
                r.visited(v == null ? 0 : v.length);
                if (v == null || v.length != idx.dim() || idx.contains(d.vid())) return;
                if (m == VectorMetric.COSINE_DISTANCE && isZero(v)) {
                    r.skippedZero();
                    return; // stored under another metric; it has no cosine distance
                }
                idx.insert(d.vid(), v);
            });
            if (next < 0) {
                try {
                    db.db().delete(db.meta(), db.writeOptions(), VectorIndexRebuild.REBUILD_KEY);
                } catch (RocksDBException e) {
                    throw new IOException("cannot record the end of the index rebuild of shard " + walShard + ": " + e.getMessage(), e);
                }
                rebuild = null;
            }
            return next;
        } finally {
            indexWriteLock.unlock();
            applyLock.unlock();
        }
    }

    static boolean isZero(float[] v) {
        for (float x : v) if (x != 0) return false;
        return true;
    }

    // ------------------------------------------------------------------ reads

    /** What {@link #pin} returns: closing it lets applies and the index worker go on. */
    public interface Pin extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Holds this shard's searchable state still until the returned pin is closed: no apply
     * (documents, text index, applied seq, unindexed tail) and no move of a tail entry into the
     * vector index happens meanwhile, so reads made under the pin (searches, BM25, filters,
     * rank_by, aggregations, documents by vid) all see the writes up to one applied WAL segment,
     * and each vector search finds every vid in the same place. A multi-search runs its queries of
     * this shard under one pin (Namespace#searchBatch). Writes are still resolved and logged
     * meanwhile; their apply, and so their ack, waits for the pin. Not held still: the vector
     * index's own background upkeep (the LIRE rebalancer's splits and merges, a rebuild under a new
     * metric), which moves no vid in or out of the index and changes no stored document, only
     * where an approximate search looks.
     *
     * <p>Take at most one pin of a shard per thread at a time and release it on the same thread;
     * while holding it, do not write to this shard (the write's apply would wait for the pin).
     */
    public Pin pin() {
        applyGate.readLock().lock();
        try {
            indexGate.readLock().lock();
        } catch (Throwable t) {
            applyGate.readLock().unlock();
            throw t;
        }
        return () -> {
            indexGate.readLock().unlock();
            applyGate.readLock().unlock();
        };
    }

    /** The stored document of {@code id} with its vid, or null. */
    public DocumentCodec.Stored get(DocId id) {
        return docs.get(id);
    }

    /** The stored document of {@code vid}, or null. */
    public Document byVid(long vid) {
        return docs.byVid(vid);
    }

    /** {@link DocumentStore#documentsAfter}: reads the document store directly. */
    public List<Document> documentsAfter(DocId after, int limit) {
        return docs.documentsAfter(after, limit);
    }

    /** Live documents (as the text index counts them). */
    public long count() throws IOException {
        return text.count();
    }

    /** Whether the stored document of {@code vid} matches {@code q}. */
    public boolean matches(long vid, Query q) throws IOException {
        BooleanQuery.Builder b = new BooleanQuery.Builder().add(new TermQuery(IndexFields.idTerm(vid)), BooleanClause.Occur.FILTER);
        if (q != null) b.add(q, BooleanClause.Occur.FILTER);
        return text.count(b.build()) > 0;
    }

    /**
     * The {@code k} nearest documents to {@code query}, only those matching {@code filter} (null:
     * all) and at most {@code maxDistance} away (NaN: no bound). A filter that matches at most
     * {@code index.filter_exact_fraction} of the shard's vectors (or fewer than {@code k}
     * documents) is answered exactly from the stored vectors of its matches (SPFRESH.md).
     */
    public List<VectorHit> searchVector(float[] query, int k, Query filter, float maxDistance) throws IOException {
        return searchVector(query, k, filter, maxDistance, true);
    }

    /**
     * {@link #searchVector(float[], int, Query, float)}; with {@code scanTail} false (a search with
     * {@code consistency: eventual}) the unindexed tail is not scanned exactly: the answer is the
     * vector index's alone, which lacks writes the index worker has not reached yet and may hold
     * their vids' previous vectors.
     */
    public List<VectorHit> searchVector(float[] query, int k, Query filter, float maxDistance, boolean scanTail) throws IOException {
        indexLock.readLock().lock();
        try {
            SpfreshIndex idx = vectors;
            if (idx == null) return List.of();
            if (rebuild != null) return vectorSearch.exact(query, k, text.matchingVids(filter), maxDistance);
            return vectorSearch.search(idx, query, k, filter, maxDistance, scanTail);
        } finally {
            indexLock.readLock().unlock();
        }
    }

    /** The {@code k} nearest by exact search over every stored vector matching {@code filter} (null: all). */
    public List<VectorHit> searchExact(float[] query, int k, Query filter, float maxDistance) throws IOException {
        return vectorSearch.exact(query, k, text.matchingVids(filter), maxDistance);
    }

    /** Whether any document of the shard has a full-text value ({@link TextIndex#hasFullTextValues}). */
    public boolean hasFullTextValues() throws IOException {
        return text.hasFullTextValues();
    }

    /** Whether any document of the shard has a value in the full-text attribute {@code attribute}. */
    public boolean hasFullTextValues(String attribute) throws IOException {
        return text.hasFullTextValues(attribute);
    }

    /** BM25 over every full-text attribute. */
    public List<Hit> bm25(String query, int k, Query filter) throws IOException {
        return text.bm25((String) null, query, k, filter);
    }

    // ------------------------------------------------------------------ checkpoints

    /**
     * Takes a checkpoint now (see {@link Checkpointer}): a consistent local copy under the apply
     * lock (RocksDB checkpoint and Lucene commit, both at the applied seq), uploaded without it;
     * then the manifest (compare-and-set), WAL truncation and deletion of objects no longer
     * referenced. Checkpoints of one shard run one at a time.
     *
     * <p>The writes applied before the call are indexed first (here, unless the index worker is
     * held), so that the checkpoint covers them all; the background trigger does not wait, and its
     * checkpoint covers the older of the applied and the indexed seq.
     *
     * @throws CheckpointFencedException if another owner wrote the manifest; every later call fails the same way
     */
    public Checkpointer.Result checkpoint() throws IOException {
        indexThrough(appliedSeq);
        ckptLock.lock();
        try {
            if (closed) throw new IllegalStateException("shard " + walShard + " is closed");
            return checkpointLocked();
        } finally {
            ckptLock.unlock();
        }
    }

    private Checkpointer.Result checkpointLocked() throws IOException {
        if (fenced) throw new CheckpointFencedException("shard " + walShard + " was fenced by another owner's checkpoint");
        Path tmp = db.dir().getParent().resolve(CHECKPOINT_TMP);
        Checkpointer.LocalSnapshot snap;
        long walBytes;
        // Flush memtables and the Lucene RAM buffer before taking the lock, so that under it only the
        // writes of the last moments are flushed. The early Lucene commit keeps the previous commit's
        // seq although it may hold later segments: if the node dies before the commit below, replay
        // writes those segments' text again. Nothing is lost, but BM25's statistics count the
        // replaced copies until a merge (see Replay); a flush without a commit would close that
        // window at the price of the fsyncs moving under the apply lock (not measured).
        db.flush();
        text.commit();
        applyLock.lock();
        try {
            requireNotFailed();
            Checkpointer.deleteTree(tmp);
            Files.createDirectories(tmp);
            Path rocks = tmp.resolve("rocksdb");
            // The checkpoint covers the documents and text at the applied seq but the vector index only at
            // the indexed seq, read before the copy (the worker records it after the index writes, so the
            // copy holds at least that much). The manifest names the older one, so the WAL after it, which
            // a restore re-queues for the index, is not truncated.
            long covered = Math.min(Math.min(appliedSeq, textSeq), indexedSeq);
            db.createCheckpoint(rocks);
            walBytes = walBytesSinceCheckpoint.get();
            IndexCommit commit = text.commitAndSnapshot(textCommitData());
            uncommittedText = 0;
            snap = new Checkpointer.LocalSnapshot(covered, rocks, text.luceneDir(), List.copyOf(commit.getFileNames()),
                    () -> text.releaseSnapshot(commit));
        } finally {
            applyLock.unlock();
        }
        try {
            Checkpointer.Result r = checkpointer.upload(snap);
            lastCheckpointSeq = r.walSeq();
            lastCheckpointNanos = System.nanoTime();
            walBytesSinceCheckpoint.addAndGet(-walBytes);
            return r;
        } catch (CheckpointFencedException e) {
            fenced = true;
            LOG.error("shard {} is fenced: {}", walShard, e.getMessage());
            throw e;
        } finally {
            try {
                snap.release().release();
            } finally {
                Checkpointer.deleteTree(tmp);
            }
        }
    }

    /** Whether another owner took the shard over: its WAL writer or a checkpoint was fenced. */
    public boolean walFenced() {
        WalWriter w = wal;
        return fenced || (w != null && w.state() == WalWriter.State.FENCED);
    }

    /** Whether a checkpoint of this shard lost its manifest to another owner. */
    public boolean fenced() {
        return fenced;
    }

    /** The WAL seq the shard's latest checkpoint covers (0: none). */
    public long checkpointSeq() {
        return lastCheckpointSeq;
    }

    private boolean dirty() {
        return appliedSeq != lastCheckpointSeq || walBytesSinceCheckpoint.get() > 0;
    }

    private void startCheckpointTicker() {
        if (!settings.get(Params.CHECKPOINT_ENABLED)) return;
        long interval = settings.getLong(Params.CHECKPOINT_INTERVAL_MS);
        long tick = Math.min(interval, 1000);
        checkpointTicker = CHECKPOINTS.scheduleWithFixedDelay(this::maybeCheckpoint, tick, tick, TimeUnit.MILLISECONDS);
    }

    /**
     * The background trigger: every checkpoint.interval_ms with writes since the last one, or after
     * checkpoint.wal_bytes. It also applies a group the WAL found written late when no write came to
     * do it (so reads see it within a tick), unless a write holds the lock (that write applies it).
     */
    private void maybeCheckpoint() {
        if (!closed && failed == null && wal.landed() != null && writeLock.tryLock()) {
            try {
                if (!closed && failed == null && wal.landed() != null) applyLanded();
            } catch (IOException | RuntimeException e) {
                LOG.warn("applying a WAL segment found written late to shard {} failed: {}", walShard, e.toString());
            } finally {
                writeLock.unlock();
            }
        }
        if (closed || fenced || failed != null || !dirty()) return;
        long elapsedMs = (System.nanoTime() - lastCheckpointNanos) / 1_000_000;
        if (elapsedMs < settings.getLong(Params.CHECKPOINT_INTERVAL_MS)
                && walBytesSinceCheckpoint.get() < settings.getLong(Params.CHECKPOINT_WAL_BYTES)) return;
        if (!ckptLock.tryLock()) return;
        try {
            if (!closed) checkpointLocked();
        } catch (IOException | RuntimeException e) {
            LOG.warn("background checkpoint of shard {} failed: {}", walShard, e.toString());
        } finally {
            ckptLock.unlock();
        }
    }

    // ------------------------------------------------------------------ the index worker

    /** Starts this shard's worker task unless one is queued or running (one at a time keeps WAL order). */
    private void scheduleIndexing() {
        if (!indexingStarted || indexingHeld || closed || failed != null) return;
        if (indexScheduled.compareAndSet(false, true)) {
            try {
                INDEXERS.execute(this::drainIndex);
            } catch (RuntimeException e) {
                indexScheduled.set(false);
                throw e;
            }
        }
    }

    /**
     * The worker task: writes tail entries into the vector index, oldest first, until the tail is
     * empty, the worker is held, or the shard closes or fails. A failure to index fails the shard
     * like a failed apply (writes are refused until it is reopened, and reopening re-queues the tail);
     * searches stay correct meanwhile, as the tail is still scanned.
     */
    private void drainIndex() {
        try {
            for (;;) {
                IndexTail.Entry e = tail.head();
                if (e == null || indexingHeld || closed || failed != null) break;
                if (!indexEntry(e, false)) break;
            }
        } catch (Throwable t) {
            LOG.error("indexing WAL segment(s) up to {} of shard {} failed; the shard fails until reopened", indexedSeq + 1, walShard, t);
            if (failed == null) failed = t;
        } finally {
            indexScheduled.set(false);
            tail.wake();
        }
        // an entry added after the loop found none, or a release of the hold that found the task still running
        if (!tail.isEmpty()) scheduleIndexing();
    }

    /**
     * Writes one tail entry into the vector index, records its seq and drops it from the tail;
     * false when the shard closed meanwhile (unless {@code closing}: the close's own drain). An
     * entry another indexer finished meanwhile is skipped.
     */
    private boolean indexEntry(IndexTail.Entry e, boolean closing) {
        indexWriteLock.lock();
        indexGate.writeLock().lock(); // no pinned multi-search sees the entry move
        try {
            if (closed && !closing) return false;
            if (tail.head() != e) return true;
            SpfreshIndex idx = vectors;
            for (ShardWrite w : e.writes()) {
                switch (w) {
                    case ShardWrite.Put p -> {
                        float[] v = p.doc().vector();
                        if (v != null) {
                            if (idx == null) throw new IllegalStateException("shard " + walShard + " has a vector to index but no vector index");
                            // written under another metric before a change to cosine: no cosine distance (as in a rebuild)
                            if (idx.metric() == VectorMetric.COSINE_DISTANCE && isZero(v)) idx.delete(p.vid());
                            else idx.insert(p.vid(), v);
                        } else if (idx != null) {
                            idx.delete(p.vid());
                        }
                    }
                    case ShardWrite.Delete d -> {
                        if (idx != null) idx.delete(d.vid());
                    }
                }
            }
            long s = Math.max(indexedSeq, e.seq());
            try {
                db.db().put(db.meta(), db.writeOptions(), INDEXED_KEY, le(s));
            } catch (RocksDBException ex) {
                throw new IllegalStateException("cannot record the indexed seq of shard " + walShard + ": " + ex.getMessage(), ex);
            }
            indexedSeq = s;
            tail.indexed(e); // only now: a search that misses it in the tail finds it in the index
        } finally {
            indexGate.writeLock().unlock();
            indexWriteLock.unlock();
        }
        return true;
    }

    /**
     * Indexes, on the calling thread, the tail entries up to WAL seq {@code seq} (alongside the
     * worker: each entry is written once), unless the worker is held or the shard closed or failed.
     */
    private void indexThrough(long seq) {
        try {
            for (IndexTail.Entry e = tail.head(); e != null && e.seq() <= seq && !indexingHeld && failed == null; e = tail.head())
                if (!indexEntry(e, false)) return;
        } catch (RuntimeException e) {
            LOG.error("indexing WAL segment(s) up to {} of shard {} failed; the shard fails until reopened", seq, walShard, e);
            if (failed == null) failed = e;
            throw e;
        }
    }

    /** The refusal of a write while the tail is past {@code index.max_unindexed_bytes}, or null. */
    private WalBackpressureException indexRefusal() {
        long bytes = tail.bytes();
        long max = settings.getLong(Params.MAX_UNINDEXED_BYTES);
        if (bytes <= max) return null;
        return new IndexBackpressureException("shard " + walShard + " has " + bytes + " bytes of writes not yet in its vector index, "
                + "more than index.max_unindexed_bytes (" + max + ")");
    }

    // ------------------------------------------------------------------ writes

    /**
     * Runs one write batch. Under the shard's write lock, {@code resolver} turns the batch into
     * effects against the shard's documents (see {@link View} for what it sees) and the effects are
     * appended to the WAL as one entry; the lock is then released, so the next batch is resolved
     * while this one waits for the WAL, and batches written concurrently share WAL segments (group
     * commit). Once durable, batches are applied in WAL order, the entries of one segment together
     * (text index, then documents and the applied seq in one RocksDB batch, then the unindexed tail
     * that the index worker writes into the vector index later), and only then is the resolver's
     * result returned: an acked write is durable and visible to every read (vector searches scan
     * the tail),
     * and no read sees a write that is not durable yet (reads see applied state only).
     *
     * <p>A resolver that throws, or resolves to no effects, changes nothing. A batch the WAL
     * refuses at once (backpressure, fenced, closed) changes nothing. A batch whose WAL write fails
     * later fails alone (with the batches the WAL failed with it): no batch in flight was resolved
     * against it ({@link View} waits for in-flight batches instead of reading them). A failure to apply a durable batch leaves the
     * shard failed: that batch and every one after it fail, and the shard refuses further writes
     * until reopened, which replays the logged batches.
     *
     * <p>A batch whose WAL write failed with an unknown outcome may turn out written when the WAL
     * writer settles its segment later ({@link WalWriter#landed}); the writer refuses appends until
     * it is applied, and the next write applies it here, before resolving (or the checkpoint ticker
     * does, when no write comes; see {@link #applyLanded}).
     */
    public <R> R write(Resolver<R> resolver) throws IOException {
        return await(submit(resolver));
    }

    /**
     * A batch {@link #submit}ted: resolved and handed to the WAL, not yet known durable or applied.
     * {@link #await} it.
     */
    public static final class Submitted<R> {
        private final InFlight f; // null: the batch resolved to no effects
        private final R result;

        private Submitted(InFlight f, R result) {
            this.f = f;
            this.result = result;
        }
    }

    /**
     * The first half of {@link #write}: resolves the batch under the write lock and appends it to
     * the WAL, without waiting for either to finish. A request with parts for several shards
     * submits them all, then awaits each, so that their WAL writes (an object store round trip
     * each) overlap. Throws what {@link #write} throws for a batch refused at once or whose
     * resolver failed: nothing of it was written.
     */
    public <R> Submitted<R> submit(Resolver<R> resolver) throws IOException {
        InFlight f;
        R result;
        writeLock.lock();
        try {
            requireNotFailed();
            WalBackpressureException behind = indexRefusal(); // before anything is resolved or logged
            if (behind != null) throw behind;
            if (wal.landed() != null) applyLanded();
            long vidMark = nextVid;
            Resolution<R> r;
            try {
                r = resolver.resolve(view());
            } catch (IOException | RuntimeException e) {
                nextVid = vidMark;
                throw e;
            }
            if (r.writes().isEmpty()) {
                nextVid = vidMark;
                return new Submitted<>(null, r.result());
            }
            byte[] payload = ShardWriteCodec.encode(r.writes());
            f = new InFlight(r.writes(), payload.length);
            CompletableFuture<WalWriter.Appended> appended;
            try {
                appended = inFlight.append(wal, payload, f);
            } catch (RuntimeException e) {
                nextVid = vidMark;
                throw e;
            }
            if (f.wal == null) {
                // refused, never written; nothing was resolved after it (we hold the write lock)
                nextVid = vidMark;
                throw rethrow(appended.exceptionNow());
            }
            result = r.result();
        } finally {
            writeLock.unlock();
        }
        return new Submitted<>(f, result);
    }

    /**
     * Throws what {@link #submit} would be refused with at once now (a failed shard, or a WAL that
     * is fenced, closed, settling a segment of unknown outcome or full), or returns. A request
     * with parts for several shards asks every shard before submitting to any, so that one
     * shard's refusal does not leave the others' parts written. (A segment found written late is
     * no refusal: the next submit applies it first.)
     */
    public void checkAccepting() {
        requireNotFailed();
        WalBackpressureException behind = indexRefusal();
        if (behind != null) throw behind;
        if (wal.landed() != null) return;
        WalException refused = wal.refusal(0);
        if (refused != null) throw refused;
    }

    /** Throws when an apply failed: the shard must be reopened (which replays the WAL) before it writes or checkpoints again. */
    private void requireNotFailed() {
        Throwable f = failed;
        if (f != null) throw new IllegalStateException("shard " + walShard + " failed and must be reopened: " + f, f);
    }

    /** The second half of {@link #write}: waits until the submitted batch is applied, and returns the resolver's result; throws what {@link #write} throws for a batch that failed. */
    public <R> R await(Submitted<R> s) throws IOException {
        if (s.f != null) awaitApplied(s.f);
        return s.result;
    }

    /**
     * Under the write lock: applies the group the WAL writer found written late (its futures had
     * failed with an unknown outcome, so it was never applied), then lets the writer accept appends
     * again. It is in the log, so a replay would apply it; applying it now, before any later batch
     * is resolved, keeps the served state the one a replay gives. Batches in flight before it have
     * all failed (the writer failed them when the outcome became unknown) and are finished first.
     */
    private void applyLanded() throws IOException {
        WalWriter.Landed l = wal.landed();
        applyLock.lock();
        try {
            InFlight last = inFlight.tail();
            if (last != null) applyThrough(last);
            requireNotFailed();
            List<ShardWrite> writes = new ArrayList<>();
            long bytes = 0;
            for (byte[] p : l.payloads()) {
                writes.addAll(ShardWriteCodec.decode(p));
                bytes += p.length;
            }
            try {
                apply(l.seq(), writes, bytes);
            } catch (IOException | RuntimeException e) {
                LOG.error("applying WAL segment {} of shard {} (written late) failed; the shard fails until reopened", l.seq(), walShard, e);
                failed = e;
                throw e;
            }
            walBytesSinceCheckpoint.addAndGet(bytes);
            nextVid = Math.max(nextVid, appliedNextVid);
            LOG.info("applied WAL segment {} of shard {}: its write failed with an unknown outcome and was found written later ({} effects)",
                    l.seq(), walShard, writes.size());
        } finally {
            applyLock.unlock();
        }
        wal.landedApplied(l.seq());
    }

    /** Waits until {@code f} is applied (applying it and the batches before it when no other writer does) or failed. */
    private void awaitApplied(InFlight f) throws IOException {
        try {
            f.wal.join(); // durable (or failed) first, without any lock
        } catch (CompletionException | CancellationException e) {
            // reported below, in WAL order
        }
        applyLock.lock();
        try {
            applyThrough(f);
        } finally {
            applyLock.unlock();
        }
        Throwable t = inFlight.failure(f);
        if (t != null) throw rethrow(t);
    }

    /**
     * Under the apply lock: finishes the batches in flight in WAL order up to and including
     * {@code last}. The first writer to get the lock applies for every waiting one, whole WAL
     * segments at a time: the batches of one group commit (and of the durable segments after it)
     * are applied as one, so the applied seq (and a checkpoint of it) never covers part of a segment. A batch whose WAL write failed
     * fails; after a failed apply the shard is failed and every later batch fails.
     */
    private void applyThrough(InFlight last) {
        while (!inFlight.done(last)) {
            InFlight head = inFlight.head();
            if (failed != null) {
                inFlight.finish(head, new IllegalStateException("shard " + walShard + " failed while this write was in flight (it may be "
                        + "in the WAL; reopening the shard replays it): " + failed, failed));
                continue;
            }
            WalWriter.Appended a;
            try {
                a = head.wal.join();
            } catch (CompletionException | CancellationException e) {
                inFlight.finish(head, e.getCause() != null ? e.getCause() : e);
                continue;
            }
            // the head's segment, and every later segment already durable: one apply (one RocksDB batch,
            // one index refresh) for all of them, as applies, not WAL writes, limit a busy shard
            List<InFlight> queued = inFlight.oldest(Integer.MAX_VALUE);
            List<InFlight> batch = new ArrayList<>();
            List<ShardWrite> writes = new ArrayList<>();
            long bytes = 0;
            long seq = a.seq();
            try {
                while (batch.size() < queued.size()) {
                    CompletableFuture<WalWriter.Appended> next = queued.get(batch.size()).wal;
                    if (!batch.isEmpty() && (!next.isDone() || next.isCompletedExceptionally())) break;
                    WalWriter.Appended first = next.join();
                    int from = batch.size();
                    // a segment that became durable after the snapshot may hold batches queued after
                    // it: they are all in the queue now (a batch joins the queue under the monitor
                    // it was handed to the WAL under, before any segment can hold it), and the
                    // snapshot's prefix is unchanged (only this lock's holder finishes batches)
                    if (from + first.entries() > queued.size()) queued = inFlight.oldest(Integer.MAX_VALUE);
                    if (first.entry() != 0 || from + first.entries() > queued.size()) {
                        throw new IllegalStateException("WAL segment " + first.seq() + " of shard " + walShard + " has " + first.entries()
                                + " entries, but " + (queued.size() - from) + " from entry " + first.entry() + " are in flight");
                    }
                    for (int i = 0; i < first.entries(); i++) {
                        InFlight g = queued.get(from + i);
                        WalWriter.Appended at = g.wal.join(); // completed with the segment's first entry, or about to be
                        if (at.seq() != first.seq() || at.entry() != i) throw new IllegalStateException("batches of WAL segment "
                                + first.seq() + " of shard " + walShard + " are not contiguous");
                        batch.add(g);
                        writes.addAll(g.writes);
                        bytes += g.bytes;
                    }
                    seq = first.seq();
                }
                apply(seq, writes, bytes);
                walBytesSinceCheckpoint.addAndGet(bytes);
                for (InFlight g : batch) inFlight.finish(g, null);
            } catch (IOException | RuntimeException e) {
                LOG.error("applying WAL segments {} to {} of shard {} failed; the shard fails until reopened", a.seq(), seq, walShard, e);
                failed = e;
                if (batch.isEmpty()) batch.add(head);
                for (InFlight g : batch) inFlight.finish(g, e);
            }
        }
    }

    /**
     * Under the write lock (from a {@link View}): applies every batch in flight, waiting for the WAL,
     * so that what the resolution reads next includes them.
     */
    private void settle() {
        InFlight last = inFlight.tail();
        if (last == null) return;
        applyLock.lock();
        try {
            applyThrough(last);
        } finally {
            applyLock.unlock();
        }
        requireNotFailed();
    }

    private IOException rethrow(Throwable t) throws IOException {
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof IOException io) throw io;
        if (t instanceof Error e) throw e;
        throw new IOException("write to shard " + walShard + " failed: " + t, t);
    }

    /** The resolution's {@link View}: applied documents, after {@link #settle} when a read touches a batch in flight. */
    private View view() {
        return new View() {
            @Override
            public DocumentCodec.Stored get(DocId id) {
                if (inFlight.writes(id)) settle();
                return Shard.this.get(id);
            }

            @Override
            public boolean matches(long vid, Query q) throws IOException {
                if (inFlight.writesVid(vid)) settle();
                return Shard.this.matches(vid, q);
            }

            @Override
            public VidBitSet matching(Query q) throws IOException {
                if (!inFlight.isEmpty()) settle();
                return text.matchingVids(q);
            }

            @Override
            public Document byVid(long vid) {
                if (inFlight.writesVid(vid)) settle();
                return Shard.this.byVid(vid);
            }

            @Override
            public long newVid() {
                return nextVid++;
            }
        };
    }

    /** Under the apply lock: applies logged effects of the write path (to every part; see the next method). */
    private void apply(long seq, List<ShardWrite> writes, long payloadBytes) throws IOException {
        apply(seq, writes, payloadBytes, true, true, true);
    }

    /**
     * Under the apply lock: applies the logged effects of WAL segments up to {@code seq}, whole.
     * Order: text index, then documents + applied seq in one batch; then the effects join the
     * {@link #tail} for the index worker, which writes them into the vector index later (in WAL
     * order). Replay ({@link Replay}) leaves out the parts that already hold the segment:
     * {@code toText=false} for the text index, {@code toDocs=false} for the documents,
     * {@code queue=false} for the vector index. Idempotent for the documents and the vector
     * index; for the text index the live documents are the same when applied twice, but not
     * BM25's statistics, hence {@code toText}.
     */
    private void apply(long seq, List<ShardWrite> writes, long payloadBytes, boolean queue, boolean toText, boolean toDocs)
            throws IOException {
        applyGate.writeLock().lock(); // waits for the pins of multi-searches that read this shard now
        try {
            applyGated(seq, writes, payloadBytes, queue, toText, toDocs);
        } finally {
            applyGate.writeLock().unlock();
        }
    }

    private void applyGated(long seq, List<ShardWrite> writes, long payloadBytes, boolean queue, boolean toText, boolean toDocs)
            throws IOException {
        long maxVid = appliedNextVid - 1;
        for (ShardWrite w : writes) {
            maxVid = Math.max(maxVid, w.vid());
            switch (w) {
                case ShardWrite.Put p -> {
                    float[] v = p.doc().vector();
                    if (v != null) ensureVectorIndex(v.length); // opened here, so that searches know it before the worker runs
                    if (toText) text.upsert(p.vid(), p.doc().indexedAttributes());
                }
                case ShardWrite.Delete d -> {
                    if (toText) text.delete(d.vid());
                }
            }
        }
        if (toText) textSeq = Math.max(textSeq, seq);
        if (toDocs) {
            try (WriteBatch b = new WriteBatch()) {
                for (ShardWrite w : writes) {
                    switch (w) {
                        case ShardWrite.Put p -> docs.put(b, p.vid(), p.doc());
                        case ShardWrite.Delete d -> docs.delete(b, d.id(), d.vid());
                    }
                }
                long applied = Math.max(appliedSeq, seq);
                b.put(db.meta(), APPLIED_KEY, le(applied));
                b.put(db.meta(), NEXT_VID_KEY, le(maxVid + 1));
                db.write(b);
                appliedSeq = applied;
                appliedNextVid = maxVid + 1;
            } catch (RocksDBException e) {
                throw new IOException("cannot write documents of shard " + walShard + ": " + e.getMessage(), e);
            }
        } else {
            // the documents hold the segment (and its vids: engine.next_vid was written with them)
            appliedSeq = Math.max(appliedSeq, seq);
            appliedNextVid = Math.max(appliedNextVid, maxVid + 1);
        }
        if (queue) {
            tail.add(seq, writes, payloadBytes);
            scheduleIndexing();
        }
        // no text.refresh() here: the next read of the text index refreshes it (TextIndex#acquire)
        if (toText && ++uncommittedText >= TEXT_COMMIT_EVERY) commitText();
    }

    private void commitText() throws IOException {
        text.commit(textCommitData());
        uncommittedText = 0;
    }

    /** The user data of a text-index commit: the last segment it holds, whole. Under the apply lock. */
    private Map<String, String> textCommitData() {
        return Map.of(TEXT_APPLIED, Long.toString(textSeq), TEXT_WHOLE, "true");
    }

    // ------------------------------------------------------------------ keys

    private static byte[] le(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    private static long getLong(ShardDb db, byte[] key) {
        try {
            byte[] v = db.db().get(db.meta(), key);
            return v == null ? 0 : ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong();
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot read " + new String(key, StandardCharsets.UTF_8) + " in " + db.dir() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes everything still pending in the WAL writer, takes a final checkpoint (when
     * {@code checkpoint.enabled} and {@code checkpoint.on_close} and there were writes since the
     * last one; a failure is logged, the WAL still holds everything), commits the text index with
     * the applied seq and closes the local state.
     */
    @Override
    public void close() throws IOException {
        close(true);
    }

    /** Write batches between their WAL append and the end of their apply (tests wait on it). */
    public int writesInFlight() {
        return inFlight.size();
    }

    /**
     * Closes like {@link #close()}; {@code finalCheckpoint=false} skips the final checkpoint (the
     * shard's objects are about to be deleted, or its ownership moved).
     */
    public void close(boolean finalCheckpoint) throws IOException {
        if (checkpointTicker != null) checkpointTicker.cancel(false);
        VectorIndexRebuild r = rebuild;
        if (r != null) r.cancel();
        ckptLock.lock();
        writeLock.lock();
        applyLock.lock(); // the WAL writer needs none of the shard's locks to finish
        try {
            if (closed) return;
            closed = true;
            if (wal != null) wal.close(); // writes every batch appended so far
            InFlight last = inFlight.tail();
            if (last != null) applyThrough(last);
            boolean takeCheckpoint = finalCheckpoint && failed == null && !fenced && settings.get(Params.CHECKPOINT_ENABLED)
                    && settings.get(Params.CHECKPOINT_ON_CLOSE);
            if (takeCheckpoint && !indexingHeld) {
                // index the tail here (the worker stops: closed is set), so that the final checkpoint covers
                // every write and a reopen has nothing to re-index; a held worker keeps its tail for the reopen
                try {
                    for (IndexTail.Entry e = tail.head(); e != null && failed == null; e = tail.head()) indexEntry(e, true);
                } catch (RuntimeException e) {
                    LOG.warn("indexing the tail of shard {} at close failed (its WAL is kept; a reopen re-indexes it): {}", walShard, e.toString());
                    failed = e;
                }
            }
            if (takeCheckpoint && failed == null && dirty()) {
                try {
                    checkpointLocked();
                } catch (IOException | RuntimeException e) {
                    LOG.warn("final checkpoint of shard {} failed (its WAL is kept): {}", walShard, e.toString());
                }
            }
            // the worker stops at its next entry (closed is set); this waits for the one it is writing
            indexWriteLock.lock();
            try {
                if (failed == null) commitText();
            } finally {
                try {
                    text.close();
                } finally {
                    try {
                        if (vectors != null) vectors.close();
                    } finally {
                        db.close();
                        indexWriteLock.unlock();
                        tail.wake();
                    }
                }
            }
        } finally {
            applyLock.unlock();
            writeLock.unlock();
            ckptLock.unlock();
        }
    }
}
