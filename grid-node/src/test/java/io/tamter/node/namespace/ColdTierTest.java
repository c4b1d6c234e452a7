package io.tamter.node.namespace;

import static io.tamter.node.namespace.NamespaceEngineTest.ids;
import static io.tamter.node.namespace.NamespaceEngineTest.json;
import static io.tamter.node.namespace.NamespaceEngineTest.rows;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.doc.Document;
import io.tamter.node.objectstore.ForwardingObjectStore;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.objectstore.StoredObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cold tier ({@link ShardCache}) on real RocksDB, Lucene and a local-directory object store:
 * eviction under a disk budget, reload from the object store, one load for concurrent requests,
 * idle unload, warm, and writes racing evictions.
 */
class ColdTierTest {
    static final JsonNode TWO_SHARDS = json("{'embedding_model':null,'num_shards':2}");

    @TempDir
    Path tmp;
    GatedStore store;
    NamespaceManager engine;

    /** A store whose manifest reads can be held at a gate (to make concurrent requests wait on one load). */
    static final class GatedStore extends ForwardingObjectStore {
        final ObjectStore delegate;
        volatile CountDownLatch gate;
        final CountDownLatch reached = new CountDownLatch(1);

        GatedStore(ObjectStore delegate) {
            this.delegate = delegate;
        }

        @Override
        protected ObjectStore delegate() {
            return delegate;
        }

        @Override
        public Optional<StoredObject> getObject(String key) throws IOException {
            CountDownLatch g = gate;
            if (g != null && key.endsWith("manifest.json")) {
                reached.countDown();
                try {
                    if (!g.await(60, TimeUnit.SECONDS)) throw new IOException("gate not opened");
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            return super.getObject(key);
        }
    }

    NamespaceManager open(Map<String, String> overrides) throws IOException {
        if (store == null) store = new GatedStore(new LocalDirectoryObjectStore(tmp.resolve("store")));
        Map<String, String> s = new HashMap<>();
        // sweeps run when the tests call them (and after loads), not on the clock
        s.put(Params.CACHE_SWEEP_INTERVAL_MS.key(), "3600000");
        s.putAll(overrides);
        engine = new NamespaceManager(tmp.resolve("data"), store, Settings.defaults().withTexts(s), null);
        return engine;
    }

    @AfterEach
    void close() throws Exception {
        if (engine != null) engine.close();
        if (store != null) store.close();
    }

    Path shardDir(String ns, int shard) {
        return tmp.resolve("data").resolve(ns).resolve("shards").resolve(Integer.toString(shard));
    }

    boolean hasLocal(String ns, int shard) throws IOException {
        Path d = shardDir(ns, shard);
        if (!Files.isDirectory(d)) return false;
        try (Stream<Path> s = Files.list(d)) {
            return s.findAny().isPresent();
        }
    }

    /** What reads answer for a namespace: every document, a vector search, a BM25 search, a filtered search. */
    record Answers(List<String> docs, List<String> vector, List<String> bm25, List<String> filtered) {}

    static Answers answers(Namespace ns, int n) throws IOException {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Document d = ns.get(json(Integer.toString(i)));
            docs.add(d == null ? null : d.id() + ":" + d.attributes().get("category"));
        }
        return new Answers(docs, ids(ns.search(SearchRequest.ofVector(new float[] {0, 0, 0, 1}, 10))),
                ids(ns.search(SearchRequest.ofText("wireless charger", SearchRequest.Mode.BM25, 100))),
                ids(ns.search(SearchRequest.fromJson(json("{'vector':[1,0,0,0],'top_k':100,'filter':{'category':'c2'}}")))));
    }

    @Test
    void aBudgetEvictsLeastRecentlyUsedShardsAndEveryAckedWriteIsReadAfterTheReload() throws Exception {
        open(Map.of(Params.LOCAL_DISK_BUDGET_BYTES.key(), "1")); // smaller than any shard: all but the newest go
        String[] names = {"a", "b", "c"};
        Map<String, Answers> before = new HashMap<>();
        for (String n : names) {
            Namespace ns = engine.create(n, TWO_SHARDS);
            ns.upsert(rows(0, 40), null);
            ns.upsert(json("[{'id':3,'vector':[0,0,0,9],'category':'patched'}]"), null); // an update too
            UnindexedTailTest.awaitIndexed(ns); // index work pending keeps a shard in (not idle)
            before.put(n, answers(ns, 40));
        }
        for (String n : names) for (int s = 0; s < 2; s++) assertThat(hasLocal(n, s)).isTrue();
        assertThat(engine.cache().misses()).isZero();

        // the last use was c's shards (answers reads every shard of c last); one of them stays
        ShardCache.Sweep sw = engine.cache().sweep();
        assertThat(sw.localBytesBefore()).isGreaterThan(1);
        assertThat(engine.cache().evictions()).isEqualTo(5);
        int kept = 0;
        for (String n : names) for (int s = 0; s < 2; s++) if (hasLocal(n, s)) {
            kept++;
            assertThat(n).isEqualTo("c");
        }
        assertThat(kept).isEqualTo(1);
        for (String n : new String[] {"a", "b"}) for (int s = 0; s < 2; s++) {
            assertThat(engine.openNamespace(n).orElseThrow().isOpen(s)).isFalse();
            assertThat(engine.openNamespace(n).orElseThrow().isParked(s)).isTrue();
        }

        // every acked write, read again from the object store (checkpoint plus WAL tail)
        long missesBefore = engine.cache().misses();
        assertThat(answers(engine.get("a"), 40)).isEqualTo(before.get("a"));
        // both of a's shards (at least once: with a budget of 1 byte, a sweep after one load may evict the other again)
        assertThat(engine.cache().misses()).isGreaterThanOrEqualTo(missesBefore + 2);
        assertThat(engine.get("a").get(json("3")).attributes().get("category").asText()).isEqualTo("patched");

        // recency decides: a (used last now) keeps a shard, c's go
        engine.cache().sweep();
        assertThat(hasLocal("c", 0) || hasLocal("c", 1)).isFalse();
        assertThat(hasLocal("a", 0) || hasLocal("a", 1)).isTrue();

        for (String n : names) assertThat(answers(engine.get(n), 40)).as(n).isEqualTo(before.get(n));
        // writes after a reload, then another eviction round and a restart with a wiped --data
        engine.get("b").upsert(json("[{'id':100,'vector':[0,0,0,7],'category':'late'}]"), null);
        before.put("b", answers(engine.get("b"), 40)); // 100 is a vector match now
        assertThat(before.get("b").vector()).contains("100");
        engine.cache().sweep();
        for (String n : names) for (int s = 0; s < 2; s++) engine.cache().evict(n, s);
        assertThat(engine.get("b").get(json("100")).attributes().get("category").asText()).isEqualTo("late");
        engine.close();
        engine = null;
        deleteTree(tmp.resolve("data"));
        open(Map.of());
        for (String n : names) assertThat(answers(engine.get(n), 40)).as(n).isEqualTo(before.get(n));
        assertThat(engine.get("b").get(json("100"))).isNotNull();
    }

    @Test
    void concurrentRequestsForAnEvictedShardLoadItOnce() throws Exception {
        open(Map.of());
        Namespace ns = engine.create("one", NamespaceEngineTest.NO_EMBED);
        ns.upsert(rows(0, 40), null);
        Answers expected = answers(ns, 40);
        assertThat(engine.cache().evict("one", 0)).isTrue();
        assertThat(engine.cache().evict("one", 0)).isFalse(); // nothing left to evict
        assertThat(hasLocal("one", 0)).isFalse();

        int threads = 8;
        store.gate = new CountDownLatch(1); // the first load stops at its manifest read
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Thread> workers = new ArrayList<>();
        try {
            CountDownLatch start = new CountDownLatch(1);
            CountDownLatch searching = new CountDownLatch(threads);
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    synchronized (workers) {
                        workers.add(Thread.currentThread());
                    }
                    start.await();
                    searching.countDown();
                    return ids(ns.search(SearchRequest.ofVector(new float[] {0, 0, 0, 1}, 10)));
                }));
            }
            start.countDown();
            assertThat(store.reached.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(searching.await(60, TimeUnit.SECONDS)).isTrue();
            // the others queue behind that load (blocked on the shard's slot): wait until they do, then let it go
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                int waiting = 0;
                synchronized (workers) {
                    for (Thread w : workers) {
                        Thread.State st = w.getState();
                        if (st == Thread.State.BLOCKED || st == Thread.State.WAITING || st == Thread.State.TIMED_WAITING) waiting++;
                    }
                }
                if (waiting >= threads) break; // the loader waits on the gate, the others on the slot
                Thread.onSpinWait();
            }
            store.gate.countDown();
            for (Future<List<String>> f : results) assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(expected.vector());
        } finally {
            store.gate = null;
            pool.shutdownNow();
        }
        assertThat(engine.cache().misses()).isEqualTo(1);
        assertThat(engine.cache().hits()).isGreaterThanOrEqualTo(threads - 1);
        assertThat(answers(ns, 40)).isEqualTo(expected);
    }

    @Test
    void idleShardsLeaveMemoryAndKeepTheirFiles() throws Exception {
        open(Map.of(Params.IDLE_UNLOAD_MS.key(), "1"));
        Namespace ns = engine.create("idle", TWO_SHARDS);
        ns.upsert(rows(0, 40), null);
        Answers expected = answers(ns, 40);
        UnindexedTailTest.awaitIndexed(ns);
        // condition: both shards idle for 1 ms with no index work pending (the index worker drains the tail)
        int unloaded = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (unloaded < 2 && System.nanoTime() < deadline) unloaded += engine.cache().sweep().unloaded();
        assertThat(unloaded).isEqualTo(2);
        assertThat(engine.cache().unloads()).isEqualTo(2);
        for (int s = 0; s < 2; s++) {
            assertThat(ns.isOpen(s)).isFalse();
            assertThat(ns.isParked(s)).isTrue();
            assertThat(hasLocal("idle", s)).isTrue(); // files kept
        }
        assertThat(engine.cache().evictions()).isZero();
        assertThat(answers(ns, 40)).isEqualTo(expected);
        assertThat(engine.cache().misses()).isEqualTo(2);
        assertThat(ns.isOpen(0) && ns.isOpen(1)).isTrue();
    }

    @Test
    void idleUnloadIsOffByDefaultAndTheBudgetUnlimited() throws Exception {
        open(Map.of());
        Namespace ns = engine.create("d", TWO_SHARDS);
        ns.upsert(rows(0, 40), null);
        assertThat(engine.cache().enabled()).isFalse();
        ShardCache.Sweep sw = engine.cache().sweep();
        assertThat(sw.unloaded()).isZero();
        assertThat(sw.evicted()).isZero();
        assertThat(ns.isOpen(0) && ns.isOpen(1)).isTrue();
    }

    @Test
    void warmLoadsEvictedShards() throws Exception {
        open(Map.of());
        Namespace ns = engine.create("w", TWO_SHARDS);
        ns.upsert(rows(0, 40), null);
        Answers expected = answers(ns, 40);
        assertThat(ns.warm().shardsLoaded()).isZero();
        engine.cache().evict("w", 0);
        engine.cache().unload("w", 1);
        Namespace.Warmed w = ns.warm();
        assertThat(w.shardsLoaded()).isEqualTo(2);
        assertThat(w.liveVectors()).isEqualTo(40);
        assertThat(ns.isOpen(0) && ns.isOpen(1)).isTrue();
        assertThat(engine.cache().misses()).isEqualTo(2);
        assertThat(answers(ns, 40)).isEqualTo(expected);
        assertThat(engine.cache().misses()).isEqualTo(2); // the reads after the warm hit
    }

    /**
     * Writers and an evictor race on the same shards. The ordering condition is the namespace's
     * slot lock: a write holds it from admission to ack, an eviction clears the slot under its
     * write lock; so every acked write is either in the shard the eviction closes (its final
     * checkpoint or its WAL) or in the shard the write reopened.
     */
    @Test
    void aWriteRacingAnEvictionIsNeverLost() throws Exception {
        open(Map.of());
        Namespace ns = engine.create("race", TWO_SHARDS);
        int writers = 3, batches = 20, perBatch = 5;
        AtomicBoolean writing = new AtomicBoolean(true);
        java.util.concurrent.Semaphore ackedBatches = new java.util.concurrent.Semaphore(0);
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        List<Future<List<Integer>>> acked = new ArrayList<>();
        try {
            for (int w = 0; w < writers; w++) {
                int base = w * 100_000;
                acked.add(pool.submit(() -> {
                    List<Integer> ok = new ArrayList<>();
                    for (int b = 0; b < batches; b++) {
                        StringBuilder sb = new StringBuilder("[");
                        for (int i = 0; i < perBatch; i++) {
                            int id = base + b * perBatch + i;
                            if (i > 0) sb.append(',');
                            sb.append("{'id':").append(id).append(",'vector':[1,").append(id % 7).append(",0,0],'category':'w").append(base)
                                    .append("'}");
                        }
                        ns.upsert(json(sb.append(']').toString()), null); // returned: acked
                        for (int i = 0; i < perBatch; i++) ok.add(base + b * perBatch + i);
                        ackedBatches.release();
                    }
                    return ok;
                }));
            }
            Future<Integer> evictor = pool.submit(() -> {
                // an eviction after every acked batch, alternating shards, while the other writers' batches are in flight
                int n = 0, round = 0;
                while (writing.get()) {
                    if (!ackedBatches.tryAcquire(100, TimeUnit.MILLISECONDS)) continue;
                    if (engine.cache().evict("race", round++ % 2)) n++;
                }
                return n;
            });
            List<Integer> all = new ArrayList<>();
            for (Future<List<Integer>> f : acked) all.addAll(f.get(300, TimeUnit.SECONDS));
            writing.set(false);
            assertThat(evictor.get(60, TimeUnit.SECONDS)).isGreaterThan(0);
            assertThat(all).hasSize(writers * batches * perBatch);
            for (int id : all) assertThat(ns.get(json(Integer.toString(id)))).as("id " + id).isNotNull();
            assertThat(ns.info().approxRowCount()).isEqualTo(all.size());
            // and from the object store alone
            engine.close();
            engine = null;
            deleteTree(tmp.resolve("data"));
            open(Map.of());
            Namespace again = engine.get("race");
            for (int id : all) assertThat(again.get(json(Integer.toString(id)))).as("id " + id).isNotNull();
            assertThat(again.info().approxRowCount()).isEqualTo(all.size());
        } finally {
            writing.set(false);
            pool.shutdownNow();
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
