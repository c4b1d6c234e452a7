package io.tamter.node.objectstore;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The contract suite on a local directory, plus what only a local directory has: files, crashes, processes. */
class LocalDirectoryObjectStoreTest extends ObjectStoreContractTest {
    private static final AtomicInteger STORES = new AtomicInteger();

    /** A version-1 object file written by hand: generation 42, payload "hello". */
    private static final String GOLDEN_V1 = "544f424a00000001000000000000002a000000000000000514a4582368656c6c6f9a71bb4c";

    private Path root;

    @Override
    protected ObjectStore newStore() throws IOException {
        root = tmp.resolve("store-" + STORES.incrementAndGet());
        return new LocalDirectoryObjectStore(root);
    }

    private Path file(String key) {
        return ((LocalDirectoryObjectStore) store).root().resolve(key);
    }

    @Test
    void objectFileHasTheDocumentedFormat() throws Exception {
        Path f = file(key("golden"));
        Files.createDirectories(f.getParent());
        Files.write(f, HexFormat.of().parseHex(GOLDEN_V1));
        assertThat(store.get(key("golden"))).hasValueSatisfying(b -> assertThat(new String(b, UTF_8)).isEqualTo("hello"));
        assertThat(store.stat(key("golden"))).contains(new ObjectInfo(key("golden"), 5, 42));

        ObjectInfo written = store.put(key("fresh"), "hello".getBytes(UTF_8));
        byte[] raw = Files.readAllBytes(file(key("fresh")));
        String expected = GOLDEN_V1.replace("000000000000002a", String.format("%016x", written.generation()));
        // the header checksum covers the generation, so compare all but those 4 bytes
        assertThat(HexFormat.of().formatHex(raw, 0, 24)).isEqualTo(expected.substring(0, 48));
        assertThat(HexFormat.of().formatHex(raw, 28, raw.length)).isEqualTo(expected.substring(56));
    }

    @Test
    void corruptionIsDetectedAndNamesTheKey() throws Exception {
        String k = key("ns/shards/0/wal/00000000000000000001.log");
        store.put(k, "a WAL segment".getBytes(UTF_8));
        byte[] raw = Files.readAllBytes(file(k));
        raw[LocalObjectFormat.HEADER_BYTES + 3] ^= 1;
        Files.write(file(k), raw);
        assertThat(store.stat(k)).isPresent(); // the header is intact
        assertThatThrownBy(() -> store.get(k)).isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining(k).hasMessageContaining("payload checksum");
        assertThatThrownBy(() -> store.downloadTo(k, tmp.resolve("seg"))).isInstanceOf(CorruptObjectException.class);
        assertThat(tmp.resolve("seg")).doesNotExist();

        Files.write(file(k), java.util.Arrays.copyOf(raw, raw.length - 1));
        assertThatThrownBy(() -> store.stat(k)).isInstanceOf(CorruptObjectException.class).hasMessageContaining(k);
        raw[5] ^= 1; // version byte
        Files.write(file(k), raw);
        assertThatThrownBy(() -> store.get(k)).isInstanceOf(CorruptObjectException.class);
        assertThatThrownBy(() -> store.list(base)).as("a corrupt object fails a listing").isInstanceOf(CorruptObjectException.class);
        assertThatThrownBy(() -> store.compareAndSet(k, 1, new byte[1])).isInstanceOf(CorruptObjectException.class);
        assertThat(store.putIfAbsent(k, new byte[1])).as("a corrupt object still holds its key").isFalse();

        ObjectInfo repaired = store.put(k, "rewritten".getBytes(UTF_8));
        assertThat(store.get(k)).hasValueSatisfying(b -> assertThat(new String(b, UTF_8)).isEqualTo("rewritten"));
        assertThat(store.list(base)).containsExactly(repaired);
    }

    @Test
    void crashLeftoverTemporaryFilesAreNotListedAndAreCleanedOnOpen() throws Exception {
        String k = key("ns/shards/0/wal/00000000000000000001.log");
        store.put(k, "segment".getBytes(UTF_8));
        Path dir = file(k).getParent();
        long pid = ProcessHandle.current().pid();
        Path deadWriter = Files.write(dir.resolve(LocalDirectoryObjectStore.TEMP_PREFIX + "999999999-abc"), new byte[100]);
        Path oldOwn = Files.write(dir.resolve(LocalDirectoryObjectStore.TEMP_PREFIX + pid + "-old"), new byte[100]);
        Files.setLastModifiedTime(oldOwn, FileTime.from(Instant.now().minus(LocalDirectoryObjectStore.STALE_TEMP_AGE).minusSeconds(60)));
        Path liveOwn = Files.write(dir.resolve(LocalDirectoryObjectStore.TEMP_PREFIX + pid + "-live"), new byte[100]);
        Path garbage = Files.write(root.resolve(LocalDirectoryObjectStore.TEMP_PREFIX + "not-a-pid"), new byte[1]);

        assertThat(store.list("")).extracting(ObjectInfo::key).containsExactly(k);

        try (ObjectStore reopened = new LocalDirectoryObjectStore(root)) {
            assertThat(deadWriter).doesNotExist();
            assertThat(oldOwn).doesNotExist();
            assertThat(garbage).doesNotExist();
            assertThat(liveOwn).as("a live writer's temporary file stays").exists();
            assertThat(reopened.get(k)).hasValueSatisfying(b -> assertThat(new String(b, UTF_8)).isEqualTo("segment"));
            assertThat(reopened.list("")).extracting(ObjectInfo::key).containsExactly(k);
        }
    }

    @Test
    void writesLeaveNoTemporaryFilesAndDeletesLeaveNoEmptyDirectories() throws Exception {
        store.put(key("a/b/c"), new byte[10]);
        store.putIfAbsent(key("a/b/d"), new byte[10]);
        store.putIfAbsent(key("a/b/d"), new byte[10]);
        store.compareAndSet(key("a/b/c"), store.stat(key("a/b/c")).orElseThrow().generation(), new byte[3]);
        store.compareAndSet(key("a/b/c"), 1, new byte[3]);
        try (var files = Files.list(file(key("a/b")))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("c", "d");
        }
        store.delete(key("a/b/c"));
        store.delete(key("a/b/d"));
        assertThat(file(key("a"))).doesNotExist();
        assertThat(root.resolve(LocalDirectoryObjectStore.VERSION_FILE)).exists();
    }

    @Test
    void aKeyCannotBeBothAnObjectAndAFolder() throws Exception {
        store.put(key("x/y"), new byte[1]);
        assertThatThrownBy(() -> store.put(key("x/y/z"), new byte[1])).isInstanceOf(FileAlreadyExistsException.class)
                .hasMessageContaining(key("x/y"));
        assertThat(store.get(key("x/y/z"))).isEmpty();
        assertThat(store.delete(key("x/y/z"))).isFalse();

        store.put(key("p/q/r"), new byte[1]);
        assertThatThrownBy(() -> store.put(key("p/q"), new byte[1])).isInstanceOf(FileAlreadyExistsException.class)
                .hasMessageContaining(key("p/q"));
        assertThatThrownBy(() -> store.putIfAbsent(key("p/q"), new byte[1])).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(store.get(key("p/q"))).isEmpty();
        assertThat(store.delete(key("p/q"))).isFalse();
        assertThat(store.list(base)).extracting(ObjectInfo::key).containsExactly(key("p/q/r"), key("x/y"));
    }

    @Test
    void anUnknownStoreVersionFailsToOpen() throws Exception {
        Files.writeString(root.resolve(LocalDirectoryObjectStore.VERSION_FILE), "tamter-object-store 99\n");
        assertThatThrownBy(() -> new LocalDirectoryObjectStore(root)).isInstanceOf(IOException.class)
                .hasMessageContaining("tamter-object-store 99").hasMessageContaining(LocalDirectoryObjectStore.VERSION_LINE);
    }

    @Test
    void aClosedStoreRefusesWork() throws Exception {
        store.close();
        assertThatThrownBy(() -> store.get(key("k"))).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> store.list("")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void twoStoresOnOneRootInOneJvmShareTheKeyLocks() throws Exception {
        String k = key("counter");
        try (ObjectStore other = new LocalDirectoryObjectStore(root)) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    ObjectStore s = t % 2 == 0 ? store : other;
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < 25; i++) increment(s, k);
                        return null;
                    }));
                }
                for (Future<?> f : done) f.get(60, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
            assertThat(other.get(k)).hasValueSatisfying(b -> assertThat(new String(b, UTF_8)).isEqualTo("100"));
        }
    }

    @Test
    void processesRacingForTheSameKeysHaveExactlyOneWinnerEach() throws Exception {
        int workers = 3;
        int keys = 60;
        int increments = 15;
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path go = tmp.resolve("go");
        List<Process> processes = new ArrayList<>();
        List<Path> outputs = new ArrayList<>();
        try {
            for (int w = 0; w < workers; w++) {
                Path out = tmp.resolve("worker-" + w + ".out");
                outputs.add(out);
                processes.add(new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                        "-cp", System.getProperty("java.class.path"), ObjectStoreRaceWorker.class.getName(),
                        root.toString(), Integer.toString(w), Integer.toString(keys), Integer.toString(increments), go.toString())
                        .redirectErrorStream(true).redirectOutput(out.toFile()).start());
            }
            for (int w = 0; w < workers; w++) awaitLine(outputs.get(w), processes.get(w), "READY");
            Files.createFile(go);
            for (int w = 0; w < workers; w++) {
                Process p = processes.get(w);
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("worker %d finished", w).isTrue();
                assertThat(p.exitValue()).as("worker %d exit; output:%n%s", w, Files.readString(outputs.get(w))).isZero();
            }
        } finally {
            for (Process p : processes) p.destroyForcibly();
        }

        Map<Integer, List<Integer>> winners = new HashMap<>();
        for (int w = 0; w < workers; w++) {
            List<String> lines = Files.readAllLines(outputs.get(w));
            assertThat(lines).as("worker %d output", w).contains("DONE");
            for (String line : lines) {
                if (line.startsWith("WON ")) winners.computeIfAbsent(Integer.parseInt(line.substring(4)), i -> new ArrayList<>()).add(w);
            }
        }
        for (int i = 0; i < keys; i++) {
            assertThat(winners.get(i)).as("winners of key %d", i).hasSize(1);
            int w = winners.get(i).get(0);
            assertThat(store.get(ObjectStoreRaceWorker.RACE_PREFIX + i))
                    .hasValueSatisfying(b -> assertThat(new String(b, UTF_8)).isEqualTo("worker " + w));
        }
        assertThat(store.get(ObjectStoreRaceWorker.COUNTER))
                .hasValueSatisfying(b -> assertThat(new String(b, UTF_8)).isEqualTo(Integer.toString(workers * increments)));
    }

    private static void awaitLine(Path out, Process p, String line) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (Files.exists(out) && Files.readAllLines(out).contains(line)) return;
            if (!p.isAlive()) throw new AssertionError("worker exited with " + p.exitValue() + ": " + Files.readString(out));
            Thread.sleep(10);
        }
        throw new AssertionError("worker did not print " + line + " within 60 s");
    }
}
