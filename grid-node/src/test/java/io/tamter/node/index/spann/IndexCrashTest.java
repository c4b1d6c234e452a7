package io.tamter.node.index.spann;

import static org.assertj.core.api.Assertions.assertThat;

import io.tamter.node.storage.ShardDb;
import io.tamter.node.vector.VectorMetric;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of the index (issue 2): a child JVM applies inserts, updates and deletes while
 * the rebalancer splits and merges, and is killed with SIGKILL at random moments. After every
 * kill the index reopens, the integrity check passes, every acknowledged live vector is found
 * with its latest content, no acknowledged delete comes back, and an operation that was in
 * flight is either wholly applied or not at all. 3 kills by default, 25 with -Dtamter.long=true.
 */
class IndexCrashTest {

    private record State(boolean live, long seq) {}

    @Test
    void survivesSigkillAtRandomMoments(@TempDir Path dir) throws Exception {
        int kills = Boolean.getBoolean("tamter.long") ? 25 : 3;
        long seed = TestData.seed("IndexCrashTest");
        Random rnd = new Random(seed);
        Map<Integer, State> model = new HashMap<>();
        Map<Integer, List<String>> history = new HashMap<>();
        long seq = 0;
        int duringRebalance = 0;
        long totalAcked = 0;
        for (int round = 0; round < kills; round++) {
            Path log = dir.resolveSibling(dir.getFileName() + "-worker-" + round + ".log");
            Process p = startWorker(dir, rnd.nextLong(), seq, log);
            waitForOpen(log, p);
            Thread.sleep(300 + rnd.nextInt(1200));
            p.destroyForcibly(); // SIGKILL
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            // read only after the process is gone: its log is complete up to the kill
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);

            // replay the log: acknowledged operations change the model; the last begun one may be in flight
            Map<Integer, long[]> inFlight = new HashMap<>(); // vid -> {seq, 1 if delete}
            String lastR = null;
            for (String l : lines) {
                String[] f = l.split(" ");
                if (f[0].equals("B") || f[0].equals("A")) {
                    history.computeIfAbsent(Integer.parseInt(f[f[0].equals("B") ? 2 : 1]), k -> new ArrayList<>()).add("r" + round + ":" + l);
                }
                switch (f[0]) {
                    case "B" -> inFlight.put(Integer.parseInt(f[2]), new long[] {Long.parseLong(f[3]), f[1].equals("D") ? 1 : 0});
                    case "A" -> {
                        int vid = Integer.parseInt(f[1]);
                        long[] op = inFlight.remove(vid);
                        model.put(vid, new State(op[1] == 0, op[0]));
                        seq = Math.max(seq, op[0]);
                        totalAcked++;
                    }
                    case "R" -> lastR = l;
                    default -> { }
                }
            }
            for (long[] op : inFlight.values()) seq = Math.max(seq, op[0]);
            if (lastR != null && !lastR.endsWith(" 0")) duringRebalance++;

            // 1. durability and content, read from storage alone (no index open, no rebalancer racing the check)
            try (ShardDb db = ShardDb.open(dir, CrashWorker.settings())) {
                IntegrityCheck.Report report = IntegrityCheck.run(db);
                assertThat(report.problems()).as("integrity after kill %d (seed %d)", round, seed).isEmpty();
                Stored stored = Stored.read(db);
                for (Map.Entry<Integer, long[]> e : inFlight.entrySet()) {
                    int vid = e.getKey();
                    long[] op = e.getValue();
                    boolean applied = op[1] == 1 ? !stored.live(vid) : stored.holds(vid, CrashWorker.vector(vid, op[0]));
                    if (applied) model.put(vid, new State(op[1] == 0, op[0]));
                    else {
                        State before = model.get(vid);
                        boolean old = before == null || !before.live() ? !stored.live(vid) : stored.holds(vid, CrashWorker.vector(vid, before.seq()));
                        assertThat(old).as("in-flight op on vid %d left neither the old nor the new state (seed %d)", vid, seed).isTrue();
                    }
                }
                for (Map.Entry<Integer, State> e : model.entrySet()) {
                    int vid = e.getKey();
                    State st = e.getValue();
                    String ctx = "vid " + vid + " " + st + " byte " + stored.versions.get(vid) + " history " + history.get(vid) + " seed " + seed;
                    if (st.live() != stored.live(vid) || (st.live() && !stored.holds(vid, CrashWorker.vector(vid, st.seq())))) {
                        System.out.println("FAIL " + ctx);
                        new SpannStorage(db).forEachPosting((head, value) -> {
                            int n = PostingCodec.count(value, CrashWorker.DIM, head);
                            for (int i = 0; i < n; i++) {
                                if (PostingCodec.vid(value, CrashWorker.DIM, i) != vid) continue;
                                float[] v = PostingCodec.vector(value, CrashWorker.DIM, i, new float[CrashWorker.DIM]);
                                String which = "?";
                                for (String h : history.get(vid)) {
                                    String[] f = h.split(":")[1].split(" ");
                                    if (f[0].equals("B") && java.util.Arrays.equals(v, CrashWorker.vector(vid, Long.parseLong(f[3])))) which = f[3];
                                }
                                System.out.println("  head " + head + " version " + PostingCodec.version(value, CrashWorker.DIM, i) + " vector of seq " + which);
                            }
                        });
                    }
                    if (st.live()) {
                        assertThat(stored.live(vid)).as("acked live: " + ctx).isTrue();
                        assertThat(stored.holds(vid, CrashWorker.vector(vid, st.seq()))).as("latest vector stored: " + ctx).isTrue();
                    } else {
                        assertThat(stored.live(vid)).as("acked delete: " + ctx).isFalse();
                    }
                }
            }
            // 2. the reopened index: searches never return a deleted vector, live count matches
            try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, CrashWorker.DIM, CrashWorker.settings())) {
                assertThat(index.liveCount()).isEqualTo(model.values().stream().filter(State::live).count());
                for (int q = 0; q < 50; q++) {
                    for (SpfreshIndex.Match m : index.search(CrashWorker.vector(rnd.nextInt(100_000), -1), 20).matches()) {
                        State st = model.get((int) m.vid());
                        assertThat(st != null && st.live()).as("search returned vid %d which is not live (seed %d)", m.vid(), seed).isTrue();
                    }
                }
                int checked = 0;
                for (Map.Entry<Integer, State> e : model.entrySet()) {
                    if (!e.getValue().live() || checked++ > 200) continue;
                    assertThat(index.contains(e.getKey())).isTrue();
                }
            }
        }
        System.out.printf("IndexCrashTest: %d kills, %d acked operations, %d kills while the rebalancer was busy%n",
                kills, totalAcked, duringRebalance);
        assertThat(totalAcked).isGreaterThan(kills * 100L);
    }

    /** What storage holds: version bytes, and for each vid the vectors of its current-version entries under existing heads. */
    private record Stored(VersionMap versions, Map<Long, List<float[]>> current) {
        static Stored read(ShardDb db) {
            SpannStorage st = new SpannStorage(db);
            VersionMap vm = new VersionMap(4096);
            st.forEachVersion((vid, v) -> vm.set(vid, VersionMap.decode(vid, v)));
            java.util.Set<Long> heads = new java.util.HashSet<>();
            st.forEachHead((id, v) -> heads.add(id));
            Map<Long, List<float[]>> cur = new HashMap<>();
            st.forEachPosting((head, value) -> {
                if (head != SpannStorage.FLAT_HEAD && !heads.contains(head)) return;
                int n = PostingCodec.count(value, CrashWorker.DIM, head);
                for (int i = 0; i < n; i++) {
                    long vid = PostingCodec.vid(value, CrashWorker.DIM, i);
                    if (vm.get(vid) != PostingCodec.version(value, CrashWorker.DIM, i)) continue;
                    cur.computeIfAbsent(vid, k -> new ArrayList<>()).add(PostingCodec.vector(value, CrashWorker.DIM, i, new float[CrashWorker.DIM]));
                }
            });
            return new Stored(vm, cur);
        }

        boolean live(long vid) {
            return !VersionMap.isDeleted(versions.get(vid));
        }

        /** Live, and every current-version entry holds exactly {@code v}. */
        boolean holds(long vid, float[] v) {
            List<float[]> es = current.get(vid);
            return live(vid) && es != null && !es.isEmpty() && es.stream().allMatch(x -> java.util.Arrays.equals(x, v));
        }
    }

    private static Process startWorker(Path dir, long seed, long seq, Path log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String root = System.getProperty("tamter.root", "..");
        List<String> cmd = List.of(java, "@" + Path.of(root, "jvm.options"), "-Xmx512m",
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "-cp", System.getProperty("java.class.path"), CrashWorker.class.getName(),
                dir.toString(), Long.toString(seed), Long.toString(seq), log.toString());
        return new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static void waitForOpen(Path log, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readAllLines(log, StandardCharsets.UTF_8).contains("OPEN")) return;
            if (!p.isAlive()) throw new AssertionError("worker exited with " + p.exitValue() + " before opening the index");
            Thread.sleep(20);
        }
        throw new AssertionError("worker did not open the index within 60 s");
    }
}
