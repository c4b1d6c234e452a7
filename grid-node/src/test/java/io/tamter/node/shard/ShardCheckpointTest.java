package io.tamter.node.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.doc.Document;
import io.tamter.node.namespace.Namespace;
import io.tamter.node.namespace.NamespaceManager;
import io.tamter.node.namespace.SearchRequest;
import io.tamter.node.namespace.SearchResult;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import io.tamter.node.objectstore.ObjectInfo;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.wal.WalReader;
import io.tamter.node.wal.WalShard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints and restores of shards with real RocksDB, Lucene and a local directory object store. */
class ShardCheckpointTest {
    static final ObjectMapper M = new ObjectMapper();
    static final int DIMS = 8;
    static final WalShard SHARD = new WalShard("ns1", 0);
    /** Background and on-close checkpoints off, so each test decides when to checkpoint; heads built early. */
    // results before and after a restore must be identical: no query-aware pruning and only exact radius
    // skips (factor 1), so every posting of these small indexes that can matter is read (whether the
    // posting cache is warm or cold) and background split timing cannot change an answer
    static final Settings MANUAL = Settings.defaults().with(Params.CHECKPOINT_ENABLED, false).with(Params.BUILD_THRESHOLD, 200)
            .with(Params.SEARCH_EPSILON, 1e6).with(Params.PROBE_RADIUS_FACTOR, 1.0);

    @TempDir
    Path tmp;
    LocalDirectoryObjectStore store;
    List<NamespaceManager> engines = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        store = new LocalDirectoryObjectStore(tmp.resolve("store"));
    }

    @AfterEach
    void close() throws Exception {
        for (NamespaceManager e : engines) e.close();
        store.close();
    }

    NamespaceManager engine(Path data, ObjectStore s, Settings settings) {
        NamespaceManager e = new NamespaceManager(data, s, settings, null);
        engines.add(e);
        return e;
    }

    void closeEngine(NamespaceManager e) throws IOException {
        engines.remove(e);
        e.close();
    }

    static JsonNode json(String s) {
        try {
            return M.readTree(s.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    static JsonNode rows(int from, int n) {
        Random rnd = new Random(from * 31L + n);
        StringBuilder sb = new StringBuilder("[");
        for (int i = from; i < from + n; i++) {
            if (i > from) sb.append(',');
            sb.append("{'id':").append(i).append(",'vector':[");
            for (int d = 0; d < DIMS; d++) sb.append(d == 0 ? "" : ",").append(rnd.nextFloat() + (d == i % DIMS ? 1 : 0));
            sb.append("],'category':'c").append(i % 3).append("','price':").append(i).append(",'text':'item number ").append(i)
                    .append(i % 5 == 0 ? " wireless charger" : " usb cable").append(i % 7 == 0 ? " charger" : "").append("'}");
        }
        return json(sb.append(']').toString());
    }

    Namespace create(NamespaceManager e) throws IOException {
        return e.create("ns1", json("{'embedding_model':null}"));
    }

    /** Vector, filtered vector and BM25 results (ids and scores) and a few documents. */
    static List<String> observe(Namespace ns) throws IOException {
        List<String> out = new ArrayList<>();
        Random rnd = new Random(7);
        for (int q = 0; q < 5; q++) {
            float[] v = new float[DIMS];
            for (int d = 0; d < DIMS; d++) v[d] = rnd.nextFloat();
            out.add("vector " + q + " " + matches(ns.search(SearchRequest.ofVector(v, 10))));
            out.add("filtered " + q + " " + matches(ns.search(SearchRequest.ofVector(v, 10).withFilter(json("{'category':'c1'}")))));
        }
        out.add("bm25 " + matches(ns.search(SearchRequest.ofText("wireless charger", SearchRequest.Mode.BM25, 20))));
        out.add("bm25 filtered " + matches(ns.search(SearchRequest.ofText("charger", SearchRequest.Mode.BM25, 20)
                .withFilter(json("{'category':'c2'}")))));
        for (int id : new int[] {0, 3, 4, 17, 250, 599, 605, 700}) {
            Document d = ns.get(json(Integer.toString(id)));
            out.add("get " + id + " " + (d == null ? "null" : d.attributes().toString()));
        }
        out.add("count " + ns.info().approxRowCount());
        return out;
    }

    static String matches(SearchResult r) {
        StringBuilder sb = new StringBuilder();
        for (SearchResult.Match m : r.matches()) sb.append(m.id().asText()).append(':').append(m.score()).append(' ');
        return sb.toString();
    }

    /** The index worker has caught up with every acked write, and the rebalancer is idle. */
    static void quiesce(Namespace ns) throws InterruptedException {
        assertThat(ns.shard(0).awaitIndexed(120_000)).isTrue();
        if (ns.shard(0).vectorIndex() != null) ns.shard(0).vectorIndex().awaitQuiescent();
    }

    static void deleteTree(Path p) throws IOException {
        Checkpointer.deleteTree(p);
    }

    Set<String> checkpointObjects() throws IOException {
        Set<String> out = new HashSet<>();
        for (ObjectInfo i : store.list(Checkpointer.shardPrefix(SHARD) + Checkpointer.ROCKSDB_DIR)) out.add(i.key());
        for (ObjectInfo i : store.list(Checkpointer.shardPrefix(SHARD) + Checkpointer.LUCENE_DIR)) out.add(i.key());
        return out;
    }

    CheckpointManifest manifest() throws IOException {
        return Checkpointer.readManifest(store, SHARD).orElseThrow().manifest();
    }

    @Test
    void restoreFromCheckpointGivesTheSameResultsAndReplaysLaterWrites() throws Exception {
        Path data = tmp.resolve("data");
        NamespaceManager e = engine(data, store, MANUAL);
        Namespace ns = create(e);
        for (int b = 0; b < 6; b++) ns.upsert(rows(b * 100, 100), null);
        ns.patch(json("[{'id':3,'price':1000}]"), null);
        ns.delete(json("[4]"), null);
        quiesce(ns);
        List<String> before = observe(ns);
        long applied = ns.shard(0).appliedSeq();
        assertThat(new WalReader(store, SHARD).segmentSeqs()).hasSize((int) applied);

        Checkpointer.Result r = ns.shard(0).checkpoint();
        assertThat(r.checkpoint()).isEqualTo(1);
        assertThat(r.walSeq()).isEqualTo(applied);
        assertThat(r.filesUploaded()).isPositive();
        assertThat(r.filesReused()).isZero();
        assertThat(r.walSegmentsDeleted()).isEqualTo((int) applied);
        assertThat(new WalReader(store, SHARD).segmentSeqs()).isEmpty();
        assertThat(checkpointObjects()).isEqualTo(manifest().keys());

        // lose the local state: the checkpoint alone gives identical results
        closeEngine(e);
        deleteTree(data);
        e = engine(data, store, MANUAL);
        ns = e.get("ns1");
        assertThat(ns.shard(0).appliedSeq()).isEqualTo(applied);
        assertThat(ns.shard(0).checkpointSeq()).isEqualTo(applied);
        assertThat(observe(ns)).isEqualTo(before);

        // writes after the checkpoint live in the WAL and are replayed after the restore
        ns.upsert(rows(600, 50), null);
        ns.patch(json("[{'id':17,'price':-1}]"), null);
        ns.delete(json("[250]"), null);
        assertThat(new WalReader(store, SHARD).segmentSeqs()).containsExactly(applied + 1, applied + 2, applied + 3);
        quiesce(ns);
        List<String> later = observe(ns);
        assertThat(later).isNotEqualTo(before);
        closeEngine(e);
        deleteTree(data);
        e = engine(data, store, MANUAL);
        ns = e.get("ns1");
        assertThat(ns.shard(0).appliedSeq()).isEqualTo(applied + 3);
        quiesce(ns);
        assertThat(observe(ns)).isEqualTo(later);
        // and the shard keeps writing after the replayed segments
        ns.upsert(rows(700, 1), null);
        assertThat(ns.get(json("700"))).isNotNull();
        assertThat(new WalReader(store, SHARD).lastSeq()).isEqualTo(applied + 4);
    }

    @Test
    void secondCheckpointUploadsOnlyNewFilesAndDeletesUnreferencedOnes() throws Exception {
        HookedObjectStore counting = new HookedObjectStore(store);
        NamespaceManager e = engine(tmp.resolve("data"), counting, MANUAL);
        Namespace ns = create(e);
        ns.upsert(rows(0, 300), null);
        Checkpointer.Result r1 = ns.shard(0).checkpoint();
        CheckpointManifest m1 = manifest();
        assertThat(new HashSet<>(counting.uploads)).isEqualTo(m1.keys());
        assertThat(r1.filesUploaded()).isEqualTo(m1.keys().size());

        counting.uploads.clear();
        ns.upsert(rows(300, 100), null);
        Checkpointer.Result r2 = ns.shard(0).checkpoint();
        CheckpointManifest m2 = manifest();
        assertThat(m2.checkpoint()).isEqualTo(2);
        Set<String> added = new HashSet<>(m2.keys());
        added.removeAll(m1.keys());
        Set<String> gone = new HashSet<>(m1.keys());
        gone.removeAll(m2.keys());
        assertThat(new HashSet<>(counting.uploads)).isEqualTo(added);
        assertThat(counting.uploads).hasSize(added.size()); // each once
        assertThat(r2.filesUploaded()).isEqualTo(added.size());
        assertThat(r2.filesReused()).isEqualTo(m2.keys().size() - added.size()).isPositive();
        // unchanged SSTs and Lucene segments are reused, not uploaded again
        assertThat(m2.rocksdb().stream().filter(f -> f.name().endsWith(".sst")).filter(f -> m1.keys().contains(f.key()))).isNotEmpty();
        // what only the first manifest referenced is gone once the second is written; nothing else is there
        assertThat(r2.filesDeleted()).isEqualTo(gone.size()).isPositive();
        assertThat(checkpointObjects()).isEqualTo(m2.keys());
        // a checkpoint with nothing new uploads almost nothing
        counting.uploads.clear();
        ns.shard(0).checkpoint();
        assertThat(counting.uploads.size()).isLessThan(m2.keys().size() / 2);
    }

    @Test
    void concurrentOwnerWinsTheManifestAndTheOtherIsFenced() throws Exception {
        NamespaceManager a = engine(tmp.resolve("a"), store, MANUAL);
        Namespace nsA = create(a);
        nsA.upsert(rows(0, 50), null);
        nsA.shard(0).checkpoint();
        // a second node believes it owns the shard too (restores from A's checkpoint)
        HookedObjectStore bStore = new HookedObjectStore(store);
        NamespaceManager b = engine(tmp.resolve("b"), bStore, MANUAL);
        Namespace nsB = b.get("ns1");
        assertThat(nsB.get(json("7"))).isNotNull();
        // A checkpoints between B's read of the manifest and B's compare-and-set
        bStore.beforeCompareAndSet = key -> {
            if (key.equals(Checkpointer.manifestKey(SHARD))) nsA.shard(0).checkpoint();
        };
        assertThatThrownBy(() -> nsB.shard(0).checkpoint()).isInstanceOf(CheckpointFencedException.class)
                .hasMessageContaining("lost the compare-and-set");
        assertThat(nsB.shard(0).fenced()).isTrue();
        CheckpointManifest m = manifest();
        assertThat(m.checkpoint()).isEqualTo(2);
        for (String k : m.keys()) assertThat(store.stat(k)).as(k).isPresent();
        // fenced for good
        bStore.beforeCompareAndSet = key -> { };
        assertThatThrownBy(() -> nsB.shard(0).checkpoint()).isInstanceOf(CheckpointFencedException.class);
        assertThat(manifest().checkpoint()).isEqualTo(2);
        // A goes on
        nsA.upsert(rows(50, 10), null);
        assertThat(nsA.shard(0).checkpoint().checkpoint()).isEqualTo(3);

        // a third owner's attempt whose uploads come after A's checkpoint: it must not replace A's objects
        HookedObjectStore cStore = new HookedObjectStore(store);
        Namespace nsC = engine(tmp.resolve("c"), cStore, MANUAL).get("ns1");
        nsA.upsert(rows(60, 10), null);
        boolean[] once = {true};
        cStore.beforePutFile = key -> {
            if (once[0]) {
                once[0] = false;
                nsA.shard(0).checkpoint();
            }
        };
        assertThatThrownBy(() -> nsC.shard(0).checkpoint()).isInstanceOf(CheckpointFencedException.class);
        assertThat(cStore.uploads).isNotEmpty();
        assertThat(manifest().checkpoint()).isEqualTo(4);
        List<String> expected = observe(nsA);
        Namespace nsD = engine(tmp.resolve("d"), store, MANUAL).get("ns1"); // restores A's checkpoint 4, checksums verified
        assertThat(nsD.shard(0).checkpointSeq()).isEqualTo(nsA.shard(0).appliedSeq());
        assertThat(observe(nsD)).isEqualTo(expected);
        // A's next checkpoint deletes the fenced attempts' changing files
        Set<String> m4 = manifest().keys();
        assertThat(checkpointObjects().stream().filter(k -> !m4.contains(k) && k.contains(".ckpt-4-"))).isNotEmpty();
        nsA.upsert(rows(70, 1), null);
        nsA.shard(0).checkpoint();
        Set<String> left = checkpointObjects();
        left.removeAll(manifest().keys());
        assertThat(left).noneMatch(k -> k.contains(".ckpt-"));
    }

    @Test
    void corruptCheckpointFileFailsNamingIt() throws Exception {
        Path data = tmp.resolve("data");
        NamespaceManager e = engine(data, store, MANUAL);
        create(e).upsert(rows(0, 100), null);
        e.get("ns1").shard(0).checkpoint();
        closeEngine(e);
        CheckpointManifest.FileEntry sst = manifest().rocksdb().stream().filter(f -> f.name().endsWith(".sst")).findFirst().orElseThrow();

        // the object is whole but not the file the manifest lists
        byte[] bytes = store.get(sst.key()).orElseThrow();
        byte[] flipped = bytes.clone();
        flipped[flipped.length / 2] ^= 1;
        store.put(sst.key(), flipped);
        deleteTree(data);
        NamespaceManager e2 = engine(data, store, MANUAL);
        assertThatThrownBy(() -> e2.get("ns1")).isInstanceOf(CorruptCheckpointException.class)
                .hasMessageContaining(sst.key()).hasMessageContaining(sst.name()).hasMessageContaining("CRC32C");
        assertThat(data.resolve("ns1/shards/0")).doesNotExist();

        // a byte flipped in the store's own file
        store.put(sst.key(), bytes);
        Path raw = tmp.resolve("store").resolve(sst.key());
        byte[] rawBytes = Files.readAllBytes(raw);
        rawBytes[rawBytes.length / 2] ^= 1;
        Files.write(raw, rawBytes);
        assertThatThrownBy(() -> e2.get("ns1")).isInstanceOf(IOException.class).hasMessageContaining(sst.key());

        // restored intact, it opens
        store.put(sst.key(), bytes);
        assertThat(e2.get("ns1").get(json("42"))).isNotNull();
    }

    @Test
    void closeCheckpointsAndOlderLocalStateIsRestoredAcrossTheTruncatedWal() throws Exception {
        Settings auto = Settings.defaults().with(Params.BUILD_THRESHOLD, 200).with(Params.CHECKPOINT_INTERVAL_MS, 3_600_000L)
                .with(Params.SEARCH_EPSILON, 1e6).with(Params.PROBE_RADIUS_FACTOR, 1.0);
        Path data = tmp.resolve("data");
        NamespaceManager e = engine(data, store, auto);
        create(e).upsert(rows(0, 200), null);
        closeEngine(e);
        long seq1 = manifest().walSeq();
        assertThat(seq1).isPositive();
        assertThat(new WalReader(store, SHARD).segmentSeqs()).isEmpty();
        // keep an old copy of the local state
        Path old = tmp.resolve("old");
        copyTree(data, old);
        Files.writeString(old.resolve("ns1/shards/0/marker"), "old");
        Files.writeString(data.resolve("ns1/shards/0/marker"), "current");

        // reopen with the local state at the checkpoint: kept, not downloaded
        e = engine(data, store, auto);
        Namespace ns = e.get("ns1");
        assertThat(data.resolve("ns1/shards/0/marker")).exists();
        ns.upsert(rows(200, 100), null);
        ns.delete(json("[5]"), null);
        quiesce(ns);
        List<String> expected = observe(ns);
        closeEngine(e);
        assertThat(manifest().walSeq()).isEqualTo(seq1 + 2);
        assertThat(manifest().checkpoint()).isEqualTo(2);

        // the old copy is behind the checkpoint and the WAL between is gone: restored from the checkpoint
        e = engine(old, store, auto);
        ns = e.get("ns1");
        assertThat(old.resolve("ns1/shards/0/marker")).doesNotExist();
        quiesce(ns);
        assertThat(observe(ns)).isEqualTo(expected);
    }

    @Test
    void backgroundCheckpointAfterWalBytes() throws Exception {
        Settings s = MANUAL.with(Params.CHECKPOINT_ENABLED, true).with(Params.CHECKPOINT_WAL_BYTES, 1024L)
                .with(Params.CHECKPOINT_INTERVAL_MS, 200L).with(Params.CHECKPOINT_ON_CLOSE, false);
        NamespaceManager e = engine(tmp.resolve("data"), store, s);
        Namespace ns = create(e);
        ns.upsert(rows(0, 50), null);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (ns.shard(0).checkpointSeq() < ns.shard(0).appliedSeq() && System.nanoTime() < deadline) Thread.sleep(50);
        assertThat(manifest().walSeq()).isEqualTo(ns.shard(0).appliedSeq());
        assertThat(ns.shard(0).checkpointSeq()).isEqualTo(ns.shard(0).appliedSeq());
    }

    @Test
    void localStateNewerThanTheCheckpointIsKept() throws Exception {
        Path data = tmp.resolve("data");
        NamespaceManager e = engine(data, store, MANUAL);
        Namespace ns = create(e);
        ns.upsert(rows(0, 100), null);
        ns.shard(0).checkpoint();
        ns.upsert(rows(100, 20), null);
        ns.delete(json("[3]"), null);
        long applied = ns.shard(0).appliedSeq();
        List<String> expected = observe(ns);
        closeEngine(e);
        Files.writeString(data.resolve("ns1/shards/0/marker"), "local");
        e = engine(data, store, MANUAL);
        ns = e.get("ns1");
        assertThat(data.resolve("ns1/shards/0/marker")).exists();
        assertThat(ns.shard(0).appliedSeq()).isEqualTo(applied);
        assertThat(ns.shard(0).checkpointSeq()).isEqualTo(1);
        assertThat(observe(ns)).isEqualTo(expected);
    }

    @Test
    void checkpointsDuringConcurrentWritesRestoreToTheSameState() throws Exception {
        Path data = tmp.resolve("data");
        NamespaceManager e = engine(data, store, MANUAL);
        Namespace ns = create(e);
        ns.upsert(rows(0, 250), null);
        java.util.concurrent.atomic.AtomicReference<Throwable> error = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; !stop.get() && i < 200; i++) {
                    ns.upsert(rows(250 + (i % 40) * 5, 5), null);
                    if (i % 7 == 0) ns.delete(json("[" + (i % 250) + "]"), null);
                }
            } catch (Throwable t) {
                error.set(t);
            }
        });
        writer.start();
        List<Checkpointer.Result> results = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            results.add(ns.shard(0).checkpoint());
            Thread.sleep(20);
        }
        stop.set(true);
        writer.join();
        assertThat(error.get()).isNull();
        for (int i = 1; i < results.size(); i++) assertThat(results.get(i).walSeq()).isGreaterThanOrEqualTo(results.get(i - 1).walSeq());
        quiesce(ns);
        // Many updates of the same ids leave deleted Lucene documents, which count in BM25's statistics
        // until merged away; which ones each index still holds depends on its flushes and merges (the
        // restored one replays the WAL tail into other segments than the running one wrote), not on its
        // documents, so scores would differ slightly (issue 9). Both are merged before comparing; that
        // replay writes no document twice is checked without merging in ShardReplayTest.
        ns.shard(0).textIndex().forceMerge();
        List<String> expected = observe(ns);
        long applied = ns.shard(0).appliedSeq();
        closeEngine(e);
        assertThat(checkpointObjects()).isEqualTo(manifest().keys());
        deleteTree(data);
        Namespace r = engine(data, store, MANUAL).get("ns1");
        assertThat(r.shard(0).appliedSeq()).isEqualTo(applied);
        quiesce(r);
        r.shard(0).textIndex().forceMerge();
        assertThat(observe(r)).isEqualTo(expected);
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }
}
