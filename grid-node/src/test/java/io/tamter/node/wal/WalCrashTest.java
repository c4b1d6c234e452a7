package io.tamter.node.wal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import io.tamter.node.objectstore.ObjectStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a writing JVM with SIGKILL at random moments ({@link WalCrashWorker}) and checks after
 * each kill that replay holds every acknowledged payload exactly once, in the segment it was
 * acknowledged with, that no payload appears twice, and that a new writer continues at
 * {@link WalReader#nextSeq}. 3 kills by default, 20 with {@code -Dtamter.long=true}; the seed is
 * printed and can be forced with {@code -Dtamter.seed=…}.
 */
class WalCrashTest {
    private static final WalShard SHARD = new WalShard("crash", 2);

    @TempDir
    Path tmp;

    @Test
    void everyAckedPayloadSurvivesSigkillExactlyOnce() throws Exception {
        int rounds = Boolean.getBoolean("tamter.long") ? 20 : 3;
        long seed = Long.getLong("tamter.seed", System.nanoTime());
        System.out.println("WalCrashTest seed=" + seed + " rounds=" + rounds);
        Random random = new Random(seed);
        Path root = tmp.resolve("store");
        Path ackLog = tmp.resolve("acks.log");
        Files.createFile(ackLog);
        String java = ProcessHandle.current().info().command().orElseThrow();
        int ackedBefore = 0;
        for (int round = 0; round < rounds; round++) {
            Path out = tmp.resolve("worker-" + round + ".out");
            Process p = new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                    "-cp", System.getProperty("java.class.path"), WalCrashWorker.class.getName(),
                    root.toString(), SHARD.namespace(), Integer.toString(SHARD.shard()), ackLog.toString(), "r" + round, "4")
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            try {
                // wait until this run has acknowledged something, then kill it at a random moment
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (ackLines(ackLog).size() < ackedBefore + 10) {
                    assertThat(p.isAlive()).as("worker %d alive; output:%n%s", round, Files.readString(out)).isTrue();
                    assertThat(System.nanoTime()).as("worker %d acknowledged nothing in 30 s; output:%n%s", round,
                            Files.readString(out)).isLessThan(deadline);
                    Thread.sleep(10);
                }
                Thread.sleep(random.nextInt(400));
                assertThat(p.isAlive()).as("worker %d alive before the kill; output:%n%s", round, Files.readString(out)).isTrue();
            } finally {
                p.destroyForcibly();
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            List<String> acked = ackLines(ackLog);
            assertThat(acked.size()).isGreaterThan(ackedBefore);
            ackedBefore = acked.size();
            verify(root, acked, round);
        }
    }

    private static void verify(Path root, List<String> acked, int round) throws Exception {
        try (ObjectStore store = new LocalDirectoryObjectStore(root)) {
            Map<String, Long> logged = new HashMap<>();
            Map<String, Integer> copies = new HashMap<>();
            WalReader reader = new WalReader(store, SHARD);
            long last = reader.replay(0, (seq, i, p) -> {
                String payload = new String(p, UTF_8);
                logged.put(payload, seq);
                copies.merge(payload, 1, Integer::sum);
            });
            copies.forEach((payload, n) -> assertThat(n).as("copies of %s in the log", payload).isEqualTo(1));
            for (String line : acked) {
                int space = line.indexOf(' ');
                long seq = Long.parseLong(line.substring(0, space));
                String payload = line.substring(space + 1);
                assertThat(logged.get(payload)).as("round %d: segment of acknowledged payload %s", round, payload).isEqualTo(seq);
            }
            System.out.printf("round %d: %d acknowledged so far, %d payloads in %d segments%n", round, acked.size(), copies.size(), last);
            assertThat(reader.nextSeq(0)).isEqualTo(last + 1);
            String probe = "probe-" + round;
            try (WalWriter w = WalWriter.start(store, SHARD, reader.nextSeq(0), WalTesting.config(1))) {
                assertThat(w.append(probe.getBytes(UTF_8)).get(10, TimeUnit.SECONDS)).isEqualTo(last + 1);
            }
            assertThat(WalTesting.replay(store, SHARD, last)).containsExactly(new WalTesting.Entry(last + 1, 0, probe));
        }
    }

    /** Complete lines of the ack log (a line the kill cut short is not an acknowledgement). */
    private static List<String> ackLines(Path ackLog) throws Exception {
        String s = Files.readString(ackLog);
        int end = s.lastIndexOf('\n');
        return end < 0 ? List.of() : List.of(s.substring(0, end).split("\n"));
    }
}
