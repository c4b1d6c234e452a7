package io.tamter.node.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tamter.node.doc.Document;
import io.tamter.node.index.spann.TestData;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import io.tamter.node.shard.Shard;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of the namespace engine: a child JVM ({@link NamespaceCrashWorker}) applies random
 * upserts, patches, deletes and conditional upserts from three threads and is killed with SIGKILL
 * at random moments; 3 kills by default, 20 with -Dtamter.long=true. After every kill the parent
 * reopens the engine and checks, per id, that the document is exactly its last acknowledged state,
 * or exactly the state the write in flight at the kill would have produced (never a mix of two
 * writes; a patch is the previous full state plus the patch), and that vector search and a
 * filtered search agree with that. Then a new child continues from the recovered state, so later
 * rounds test recovery after recovery. The second test holds the child's index worker, so each
 * kill leaves a tail of acked writes that only the WAL and the document store hold: the reopened
 * engine must serve them (searches scan the tail) and index them all.
 */
class NamespaceCrashTest {

    @Test
    void survivesSigkillAtRandomMoments(@TempDir Path dir) throws Exception {
        run(dir, Boolean.getBoolean("tamter.long") ? 20 : 3, false);
    }

    @Test
    void survivesSigkillWithALargeUnindexedTail(@TempDir Path dir) throws Exception {
        run(dir, Boolean.getBoolean("tamter.long") ? 10 : 2, true);
    }

    private void run(Path dir, int kills, boolean holdIndexing) throws Exception {
        long seed = TestData.seed("NamespaceCrashTest");
        Random rnd = new Random(seed);
        Path data = dir.resolve("data"), storeDir = dir.resolve("store");
        Files.createDirectories(storeDir);
        Map<Integer, String> acked = new HashMap<>(); // id -> canon of the last acked (or recovered) state
        Map<Integer, List<String>> history = new HashMap<>();
        long totalAcked = 0, inFlightApplied = 0, inFlightNot = 0, conditionalSkipped = 0, requeued = 0;
        for (int round = 0; round < kills; round++) {
            Path ackLog = dir.resolve("ack-" + round + ".log");
            Path out = dir.resolve("worker-" + round + ".out");
            Process p = startWorker(data, storeDir, rnd.nextLong(), (round + 1) * 1_000_000_000L, ackLog, out, holdIndexing);
            waitForOpen(ackLog, out, p);
            Thread.sleep(1000 + rnd.nextInt(2000));
            p.destroyForcibly(); // SIGKILL
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();

            // replay the ack log, read only once the process is gone
            Map<Integer, String> pending = new HashMap<>(); // id -> state if the in-flight write applied
            Map<Integer, String> pendingOp = new HashMap<>();
            for (String l : Files.readAllLines(ackLog, StandardCharsets.UTF_8)) {
                if (l.startsWith("E ")) throw new AssertionError("worker reported (seed " + seed + ", round " + round + "): " + l);
                if (!l.startsWith("B ") && !l.startsWith("A ")) continue;
                String[] f = l.split(" ", 6); // B t seq id op state | A t seq id op applied+state
                int id = Integer.parseInt(f[3]);
                history.computeIfAbsent(id, k -> new ArrayList<>()).add("r" + round + ": " + l);
                if (f[0].equals("B")) {
                    assertThat(pending).as("two writes in flight on id %d", id).doesNotContainKey(id);
                    pending.put(id, l.split(" ", 6)[5]);
                    pendingOp.put(id, l);
                } else {
                    String[] g = l.split(" ", 7);
                    assertThat(pending).as("ack without begin: %s", l).containsKey(id);
                    pending.remove(id);
                    pendingOp.remove(id);
                    acked.put(id, g[6]);
                    totalAcked++;
                    if (g[4].equals("CU") && g[5].equals("false")) conditionalSkipped++;
                }
            }
            assertThat(pending.size()).isLessThanOrEqualTo(NamespaceCrashWorker.THREADS);

            try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(storeDir)) {
                NamespaceManager engine = new NamespaceManager(data, store, NamespaceCrashWorker.settings(), null);
                try {
                    Namespace ns = engine.get(NamespaceCrashWorker.NS);
                    Map<Integer, Document> live = new TreeMap<>();
                    for (int id = 0; id < NamespaceCrashWorker.IDS; id++) {
                        Document d = ns.get(JsonNodeFactory.instance.numberNode(id));
                        String actual = NamespaceCrashWorker.canon(d);
                        String want = acked.getOrDefault(id, NamespaceCrashWorker.ABSENT);
                        String ctx = "id " + id + " after kill " + round + " (seed " + seed + ")\n  stored:   " + actual + "\n  acked:    " + want
                                + "\n  in flight: " + pendingOp.get(id) + "\n  history: " + tail(history.get(id));
                        if (!actual.equals(want)) {
                            assertThat(pending.containsKey(id) && pending.get(id).equals(actual))
                                    .as("document is neither its last acked state nor the in-flight write: " + ctx).isTrue();
                            inFlightApplied++;
                        } else if (pending.containsKey(id) && !pending.get(id).equals(want)) {
                            inFlightNot++;
                        }
                        acked.put(id, actual);
                        if (d != null) live.put(id, d);
                    }
                    checkSearch(ns, live, seed, round);
                    if (holdIndexing) {
                        // the tail the kill left is indexed again, and the index alone then answers the same
                        Shard sh = ns.shard(0);
                        requeued += sh.queuedAtOpen();
                        assertThat(sh.awaitIndexed(120_000)).as("tail indexed after kill %d (seed %d)", round, seed).isTrue();
                        assertThat(sh.indexedSeq()).isEqualTo(sh.appliedSeq());
                        assertThat(sh.vectorIndex().liveCount()).as("indexed vectors after kill %d", round).isEqualTo(live.size());
                        checkSearch(ns, live, seed, round);
                    }
                } finally {
                    engine.close();
                }
            }
        }
        System.out.printf("NamespaceCrashTest: %d kills, %d acked writes (%d conditional upserts skipped), in-flight writes found applied %d, not applied %d%n",
                kills, totalAcked, conditionalSkipped, inFlightApplied, inFlightNot);
        assertThat(totalAcked).as("acked writes (seed %d)", seed).isGreaterThan(kills * 10L);
        if (holdIndexing) {
            System.out.printf("NamespaceCrashTest: %d tail entries re-queued at the reopens%n", requeued);
            assertThat(requeued).as("the kills left unindexed tails (seed %d)", seed).isPositive();
        }
    }

    /** Vector search over everything and a filtered search return exactly the live documents, with their content. */
    private static void checkSearch(Namespace ns, Map<Integer, Document> live, long seed, int round) throws Exception {
        JsonNodeFactory f = JsonNodeFactory.instance;
        var q = f.objectNode();
        var vec = q.putArray("vector");
        for (int i = 0; i < NamespaceCrashWorker.DIM; i++) vec.add(0.5f);
        q.put("top_k", 1000).put("include_vectors", true);
        SearchResult all = ns.search(SearchRequest.fromJson(q));
        Set<Integer> got = new TreeSet<>();
        for (SearchResult.Match m : all.matches()) {
            int id = m.id().intValue();
            assertThat(got.add(id)).as("search returned id %d twice (seed %d, round %d)", id, seed, round).isTrue();
            Document d = live.get(id);
            assertThat(d).as("search returned id %d which is not stored (seed %d, round %d)", id, seed, round).isNotNull();
            assertThat(NamespaceCrashWorker.canon(m.vector(), m.metadata()))
                    .as("search result content of id %d (seed %d, round %d)", id, seed, round).isEqualTo(NamespaceCrashWorker.canon(d));
        }
        assertThat(got).as("vector search over all documents (seed %d, round %d)", seed, round).isEqualTo(live.keySet());

        q.set("filter", NamespaceCrashWorker.parse("{\"v\":{\"$lt\":500}}"));
        Set<Integer> filtered = new TreeSet<>();
        for (SearchResult.Match m : ns.search(SearchRequest.fromJson(q)).matches()) filtered.add(m.id().intValue());
        Set<Integer> want = new TreeSet<>();
        live.forEach((id, d) -> {
            JsonNode v = d.attributes().get("v");
            if (v != null && v.intValue() < 500) want.add(id);
        });
        assertThat(filtered).as("filtered search v < 500 (seed %d, round %d)", seed, round).isEqualTo(want);
    }

    private static List<String> tail(List<String> h) {
        if (h == null) return List.of();
        return h.subList(Math.max(0, h.size() - 8), h.size());
    }

    private static Process startWorker(Path data, Path store, long seed, long seq, Path ackLog, Path out, boolean hold) throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String root = System.getProperty("tamter.root", "..");
        List<String> cmd = new ArrayList<>(List.of(java));
        Path opts = Path.of(root, "jvm.options");
        if (Files.exists(opts)) cmd.add("@" + opts);
        cmd.addAll(List.of("-Xmx512m", "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "-cp", System.getProperty("java.class.path"), NamespaceCrashWorker.class.getName(),
                data.toString(), store.toString(), Long.toString(seed), Long.toString(seq), ackLog.toString(), hold ? "hold" : "run"));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    }

    private static void waitForOpen(Path ackLog, Path out, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (Files.exists(ackLog) && Files.readAllLines(ackLog, StandardCharsets.UTF_8).contains("OPEN")) return;
            if (!p.isAlive())
                throw new AssertionError("worker exited with " + p.exitValue() + " before opening the engine: " + Files.readString(out));
            Thread.sleep(20);
        }
        throw new AssertionError("worker did not open the engine within 60 s: " + Files.readString(out));
    }
}
