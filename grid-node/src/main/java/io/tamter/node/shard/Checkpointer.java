package io.tamter.node.shard;

import io.tamter.node.storage.ShardDb;
import io.tamter.node.objectstore.ObjectNotFoundException;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.objectstore.StoredObject;
import io.tamter.node.text.TextIndex;
import io.tamter.node.wal.WalReader;
import io.tamter.node.wal.WalShard;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads checkpoints of one shard to the object store and restores them.
 *
 * <h2>Checkpoint</h2>
 * {@link Shard#checkpoint()} makes a {@link LocalSnapshot} under the shard's apply lock, so the
 * documents in the RocksDB copy and the Lucene commit hold exactly the writes up to the same
 * applied WAL seq (the vector index in the copy may be behind it: the snapshot names the older
 * seq, and a restore replays the WAL after it to each part that lacks it); this class then, without the lock: reads the current manifest and its generation; lists the files
 * with their sizes and CRC32C (cached for the immutable ones: SSTs, blob files, Lucene files);
 * uploads those no previous manifest references (files written once under keys of their size and
 * checksum, the others under keys with the checkpoint number: see {@link CheckpointManifest});
 * writes the new manifest with compare-and-set against the generation it read (losing it means
 * another owner: {@link CheckpointFencedException}, nothing is deleted); then, with the manifest durable, deletes the WAL segments it covers and the objects the previous
 * manifest referenced and the new one does not.
 *
 * <p>Deleted are the objects of the previous manifest that the new one does not reference, and
 * unreferenced objects of earlier attempts at checkpoint numbers up to the new one (failed or
 * fenced attempts' changing files). Never "everything unreferenced": an object keyed by size and
 * checksum that another owner is uploading may be referenced by its manifest. Such objects left
 * by a failed or fenced attempt stay behind as orphans; a sweep of old ones is not there yet.
 *
 * <h2>Restore</h2>
 * {@link #restore} downloads every file of a manifest into a staging directory beside the
 * shard's directory, checking each file's size and CRC32C, writes the version files, and only
 * then moves it into place: a crash midway leaves the shard directory missing, not half-filled.
 */
public final class Checkpointer {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);
    public static final String MANIFEST = "manifest.json";
    /** Under the shard prefix: RocksDB files (documents and the SPFresh index). */
    public static final String ROCKSDB_DIR = "vectors/spfresh-index/";
    /** Under the shard prefix: Lucene files (BM25 and attribute index). */
    public static final String LUCENE_DIR = "fulltext/bm25-index/";

    /**
     * A consistent local copy of a shard, pinned until {@link #release} runs.
     *
     * @param walSeq      the WAL seq the copy holds in every part (documents, vector index, Lucene commit); the
     *                    documents and the Lucene commit may hold later segments, which a restore does not apply to them again
     * @param rocksDir    a RocksDB checkpoint directory (every file in it belongs to the copy)
     * @param luceneDir   the Lucene index directory
     * @param luceneFiles the files of the pinned Lucene commit
     */
    public record LocalSnapshot(long walSeq, Path rocksDir, Path luceneDir, List<String> luceneFiles, Releaser release) {}

    /** Unpins a {@link LocalSnapshot}. */
    @FunctionalInterface
    public interface Releaser {
        void release() throws IOException;
    }

    /**
     * What a checkpoint did.
     *
     * @param checkpoint         its number
     * @param walSeq             the WAL seq it covers
     * @param filesUploaded      files uploaded (not referenced by the previous manifest)
     * @param bytesUploaded      their bytes
     * @param filesReused        files the previous manifest already referenced
     * @param filesDeleted       objects of the previous manifest deleted after the new one was written
     * @param walSegmentsDeleted WAL segments deleted (those up to {@code walSeq})
     */
    public record Result(long checkpoint, long walSeq, int filesUploaded, long bytesUploaded, int filesReused, int filesDeleted,
            int walSegmentsDeleted) {}

    /** A manifest with the generation it was read at. */
    public record Loaded(CheckpointManifest manifest, long generation) {}

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    private final ObjectStore store;
    private final WalShard shard;
    /** Entries of immutable local files by "r/" or "l/" + name, so a file is checksummed once. */
    private final Map<String, CheckpointManifest.FileEntry> known = new ConcurrentHashMap<>();

    public Checkpointer(ObjectStore store, WalShard shard) {
        this.store = store;
        this.shard = shard;
    }

    /** {@code <ns>/shards/<s>/}. */
    public static String shardPrefix(WalShard s) {
        return s.namespace() + "/shards/" + s.shard() + "/";
    }

    public static String manifestKey(WalShard s) {
        return shardPrefix(s) + MANIFEST;
    }

    /** The shard's manifest and its generation, or empty when it has no checkpoint. */
    public static Optional<Loaded> readManifest(ObjectStore store, WalShard s) throws IOException {
        String key = manifestKey(s);
        Optional<StoredObject> o = store.getObject(key);
        if (o.isEmpty()) return Optional.empty();
        CheckpointManifest m = CheckpointManifest.decode(key, o.get().bytes());
        if (!m.namespace().equals(s.namespace()) || m.shard() != s.shard()) {
            throw new CorruptCheckpointException(key, "it is the manifest of " + m.namespace() + "/" + m.shard() + ", not of " + s);
        }
        return Optional.of(new Loaded(m, o.get().generation()));
    }

    /** Remembers the checksums of a restored manifest's immutable files (they are in the local directories now). */
    void seed(CheckpointManifest m) {
        for (CheckpointManifest.FileEntry f : m.rocksdb()) if (immutableRocksFile(f.name())) known.put("r/" + f.name(), f);
        for (CheckpointManifest.FileEntry f : m.lucene()) if (immutableLuceneFile(f.name())) known.put("l/" + f.name(), f);
    }

    /**
     * Uploads {@code snap} and makes it the shard's checkpoint (see the class comment). The
     * snapshot is not released here.
     *
     * @throws CheckpointFencedException if another owner wrote the manifest meanwhile, or holds a
     *                                   checkpoint newer than {@code snap}
     */
    Result upload(LocalSnapshot snap) throws IOException {
        Optional<Loaded> prev = readManifest(store, shard);
        long generation = prev.map(Loaded::generation).orElse(ObjectStore.NO_GENERATION);
        CheckpointManifest old = prev.map(Loaded::manifest).orElse(null);
        if (old != null && old.walSeq() > snap.walSeq()) {
            throw new CheckpointFencedException("checkpoint of shard " + shard + " at WAL seq " + snap.walSeq()
                    + " is older than the manifest's (checkpoint " + old.checkpoint() + " at WAL seq " + old.walSeq()
                    + "): another owner has moved the shard on");
        }
        Set<String> oldKeys = old == null ? Set.of() : old.keys();
        List<String> rocksNames;
        try (Stream<Path> s = Files.list(snap.rocksDir())) {
            rocksNames = s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
        }
        long number = old == null ? 1 : old.checkpoint() + 1;
        // a concurrent owner may be writing checkpoint `number` too: its objects must never replace ours
        String attempt = number + "-" + String.format("%016x", RANDOM.nextLong());
        List<CheckpointManifest.FileEntry> rocks = describe("r/", ROCKSDB_DIR, snap.rocksDir(), rocksNames, attempt);
        List<CheckpointManifest.FileEntry> lucene = describe("l/", LUCENE_DIR, snap.luceneDir(),
                snap.luceneFiles().stream().sorted().toList(), attempt);
        int uploaded = 0, reused = 0;
        long bytes = 0;
        for (int pass = 0; pass < 2; pass++) {
            Path dir = pass == 0 ? snap.rocksDir() : snap.luceneDir();
            for (CheckpointManifest.FileEntry f : pass == 0 ? rocks : lucene) {
                if (oldKeys.contains(f.key())) {
                    reused++;
                    continue;
                }
                store.putFile(f.key(), dir.resolve(f.name()));
                uploaded++;
                bytes += f.size();
            }
        }
        CheckpointManifest m = new CheckpointManifest(CheckpointManifest.VERSION_CURRENT, shard.namespace(), shard.shard(),
                number, snap.walSeq(), Instant.now(), ShardDb.VERSION_LINE, TextIndex.FORMAT_VERSION,
                rocks, lucene);
        if (!store.compareAndSet(manifestKey(shard), generation, m.encode())) {
            throw new CheckpointFencedException("checkpoint " + m.checkpoint() + " of shard " + shard + " lost the compare-and-set of "
                    + manifestKey(shard) + " (read at generation " + generation + "): another owner wrote it; this node must stop "
                    + "checkpointing the shard");
        }
        // the manifest is durable: what it covers may go
        int walDeleted = new WalReader(store, shard).truncateBefore(snap.walSeq() + 1);
        Set<String> keep = new HashSet<>(m.keys());
        int deleted = 0;
        for (String k : oldKeys) if (!keep.contains(k) && store.delete(k)) deleted++;
        deleted += sweepAttempts(m, keep);
        Result r = new Result(m.checkpoint(), m.walSeq(), uploaded, bytes, reused, deleted, walDeleted);
        LOG.info("checkpoint {} of shard {}: {}", m.checkpoint(), shard, r);
        return r;
    }

    /**
     * Entries of the files {@code names} in {@code dir}. An immutable file's key is its name, size
     * and CRC32C (shared by every checkpoint that holds it); any other file's key is its name, the
     * checkpoint number and a random attempt id (uploaded by each checkpoint: such files are small;
     * a checksum alone could, once in 2^32 changes, give a changed file the key of its old contents,
     * and without the attempt id a fenced owner's upload could replace the winner's objects).
     */
    /**
     * Deletes unreferenced objects of attempts at checkpoint numbers up to {@code m}'s (keys
     * {@code <name>.ckpt-<n>-<attempt>}): no later manifest can reference them, since every later
     * checkpoint has a greater number. Objects keyed by size and checksum are left alone: an owner
     * whose checkpoint is still in flight may reference them.
     */
    private int sweepAttempts(CheckpointManifest m, Set<String> keep) throws IOException {
        int deleted = 0;
        for (String dir : List.of(ROCKSDB_DIR, LUCENE_DIR)) {
            for (var info : store.list(shardPrefix(shard) + dir)) {
                String k = info.key();
                if (keep.contains(k)) continue;
                var match = ATTEMPT_KEY.matcher(k);
                if (match.find() && Long.parseLong(match.group(1)) <= m.checkpoint() && store.delete(k)) deleted++;
            }
        }
        return deleted;
    }

    private static final java.util.regex.Pattern ATTEMPT_KEY = java.util.regex.Pattern.compile("\\.ckpt-(\\d{1,18})-[0-9a-f]{16}$");

    private List<CheckpointManifest.FileEntry> describe(String cacheSpace, String keyDir, Path dir, List<String> names, String attempt)
            throws IOException {
        List<CheckpointManifest.FileEntry> out = new ArrayList<>(names.size());
        for (String name : names) {
            Path p = dir.resolve(name);
            long size = Files.size(p);
            boolean immutable = cacheSpace.equals("l/") ? immutableLuceneFile(name) : immutableRocksFile(name);
            CheckpointManifest.FileEntry f = immutable ? known.get(cacheSpace + name) : null;
            if (f == null || f.size() != size) {
                String crc = crc32c(p);
                String suffix = immutable ? "." + size + "." + crc : ".ckpt-" + attempt;
                f = new CheckpointManifest.FileEntry(name, shardPrefix(shard) + keyDir + name + suffix, size, crc);
                if (immutable) known.put(cacheSpace + name, f);
            }
            out.add(f);
        }
        return out;
    }

    /** RocksDB never rewrites an SST or blob file under the same name; MANIFEST, CURRENT, OPTIONS and logs change. */
    static boolean immutableRocksFile(String name) {
        return name.endsWith(".sst") || name.endsWith(".blob");
    }

    /**
     * Lucene writes every file once, but a shard rebuilt from the WAL restarts its names, so the
     * commit point {@code segments_N} (small) is treated as changing; segment files are keyed by
     * size and checksum too.
     */
    static boolean immutableLuceneFile(String name) {
        return !name.startsWith("segments");
    }

    /** CRC32C of a file's contents, 8 lower-case hex digits. */
    public static String crc32c(Path file) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (ch.read(buf) >= 0) {
                buf.flip();
                crc.update(buf);
                buf.clear();
            }
        }
        return String.format("%08x", crc.getValue());
    }

    // ------------------------------------------------------------------ restore

    /**
     * Replaces the shard directory {@code dir} ({@code db/}, {@code text/}) with the files of
     * {@code m}, each checked against its size and CRC32C.
     *
     * @throws CorruptCheckpointException naming the object and file when one is missing or not the bytes the manifest lists,
     *                                    or when the manifest's files are of a version this build does not read
     */
    public static void restore(ObjectStore store, WalShard shard, CheckpointManifest m, Path dir) throws IOException {
        String mkey = manifestKey(shard);
        if (!m.dbVersion().equals(ShardDb.VERSION_LINE)) {
            throw new CorruptCheckpointException(mkey, "its RocksDB files are of version '" + m.dbVersion() + "'; this build reads '"
                    + ShardDb.VERSION_LINE + "'");
        }
        if (m.textFormatVersion() != TextIndex.FORMAT_VERSION) {
            throw new CorruptCheckpointException(mkey, "its Lucene files are of text format version " + m.textFormatVersion()
                    + "; this build reads " + TextIndex.FORMAT_VERSION);
        }
        Path staging = dir.resolveSibling(dir.getFileName() + ".restoring");
        deleteTree(staging);
        Path db = staging.resolve("db");
        Path rocks = ShardDb.rocksDir(db);
        Files.createDirectories(rocks);
        Files.writeString(db.resolve(ShardDb.VERSION_FILE), ShardDb.VERSION_LINE + "\n", StandardCharsets.UTF_8);
        Path text = staging.resolve("text");
        Path lucene = TextIndex.luceneDir(text);
        Files.createDirectories(lucene);
        List<Map.Entry<CheckpointManifest.FileEntry, Path>> files = new ArrayList<>();
        for (CheckpointManifest.FileEntry f : m.rocksdb()) files.add(Map.entry(f, rocks));
        for (CheckpointManifest.FileEntry f : m.lucene()) files.add(Map.entry(f, lucene));
        downloadAll(store, shard, files);
        TextIndex.writeVersionFile(text);
        if (Files.exists(dir)) {
            Path old = dir.resolveSibling(dir.getFileName() + ".replaced");
            deleteTree(old);
            Files.move(dir, old);
            Files.move(staging, dir);
            deleteTree(old);
        } else {
            Files.createDirectories(dir.getParent());
            Files.move(staging, dir);
        }
        LOG.info("restored shard {} from checkpoint {} (WAL seq {}): {} RocksDB and {} Lucene files", shard, m.checkpoint(), m.walSeq(),
                m.rocksdb().size(), m.lucene().size());
    }

    /**
     * Files a restore downloads at once. One after another, a reload's time was the number of
     * files times the store's latency per request (two requests per file on GCS): 1.2 s for the 16
     * files of a 10,000-vector shard at 20 ms, 2.2 s at 50 ms ({@code bench cold}, benchmarks/README.md).
     */
    static final int PARALLEL_DOWNLOADS = 8;

    /** Downloads and checks every file, {@value #PARALLEL_DOWNLOADS} at a time; the first failure is thrown once all have ended. */
    private static void downloadAll(ObjectStore store, WalShard shard, List<Map.Entry<CheckpointManifest.FileEntry, Path>> files)
            throws IOException {
        if (files.size() <= 1) {
            for (Map.Entry<CheckpointManifest.FileEntry, Path> f : files) download(store, shard, f.getKey(), f.getValue());
            return;
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(Math.min(PARALLEL_DOWNLOADS, files.size()),
                Thread.ofPlatform().daemon().name("restore-" + shard.namespace() + "-" + shard.shard() + "-", 0).factory());
        try {
            List<java.util.concurrent.Future<?>> running = new ArrayList<>();
            for (Map.Entry<CheckpointManifest.FileEntry, Path> f : files)
                running.add(pool.submit(() -> {
                    download(store, shard, f.getKey(), f.getValue());
                    return null;
                }));
            IOException first = null;
            for (java.util.concurrent.Future<?> r : running) {
                try {
                    r.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    IOException io = e.getCause() instanceof IOException x ? x : new IOException("restoring shard " + shard + ": " + e.getCause(), e.getCause());
                    if (first == null) first = io;
                    else first.addSuppressed(io);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while restoring shard " + shard);
                }
            }
            if (first != null) throw first;
        } finally {
            pool.shutdownNow();
        }
    }

    private static void download(ObjectStore store, WalShard shard, CheckpointManifest.FileEntry f, Path dir) throws IOException {
        Path target = dir.resolve(f.name());
        try {
            store.downloadTo(f.key(), target);
        } catch (ObjectNotFoundException e) {
            throw new CorruptCheckpointException(f.key(), "file " + f.name() + " of the checkpoint of shard " + shard + " is missing");
        }
        long size = Files.size(target);
        if (size != f.size()) {
            throw new CorruptCheckpointException(f.key(), "file " + f.name() + " of the checkpoint of shard " + shard + " has " + size
                    + " bytes, the manifest lists " + f.size());
        }
        String crc = crc32c(target);
        if (!crc.equals(f.crc32c())) {
            throw new CorruptCheckpointException(f.key(), "file " + f.name() + " of the checkpoint of shard " + shard + " has CRC32C "
                    + crc + ", the manifest lists " + f.crc32c());
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
