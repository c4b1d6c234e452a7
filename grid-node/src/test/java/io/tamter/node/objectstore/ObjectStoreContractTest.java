package io.tamter.node.objectstore;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The behaviour every {@link ObjectStore} must have (ARCHITECTURE.md: "both pass one shared
 * contract test suite"). A subclass supplies a store; the suite works under a key prefix unique
 * to each test, so it can run against a shared bucket, and it assumes nothing about generations
 * beyond "positive and strictly increasing per key".
 */
public abstract class ObjectStoreContractTest {
    /** Threads that race for one key. */
    protected static final int RACERS = 8;

    protected ObjectStore store;
    /** Unique prefix of this test's keys, ending with '/'. */
    protected String base;

    @TempDir
    protected Path tmp;

    /** A store for one test. The suite closes it after the test. */
    protected abstract ObjectStore newStore() throws Exception;

    @BeforeEach
    void openStore() throws Exception {
        store = newStore();
        base = "contract-" + Long.toUnsignedString(new Random().nextLong(), 36) + "/";
    }

    @AfterEach
    void closeStore() throws Exception {
        if (store != null) store.close();
    }

    protected String key(String suffix) {
        return base + suffix;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    private static byte[] pattern(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void putThenGetReturnsTheBytesWithSizeAndGeneration() throws Exception {
        String k = key("ns/meta.json");
        ObjectInfo written = store.put(k, bytes("{\"dims\":3}"));

        assertThat(written.key()).isEqualTo(k);
        assertThat(written.size()).isEqualTo(10);
        assertThat(written.generation()).isGreaterThan(ObjectStore.NO_GENERATION);
        assertThat(store.get(k)).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("{\"dims\":3}")));
        assertThat(store.stat(k)).contains(written);
        StoredObject read = store.getObject(k).orElseThrow();
        assertThat(read.info()).isEqualTo(written);
        assertThat(read.bytes()).isEqualTo(bytes("{\"dims\":3}"));
    }

    @Test
    void putOverwritesAndRaisesTheGeneration() throws Exception {
        String k = key("a");
        long g1 = store.put(k, bytes("first, longer value")).generation();
        ObjectInfo second = store.put(k, bytes("second"));

        assertThat(second.generation()).isGreaterThan(g1);
        assertThat(store.get(k)).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("second")));
        assertThat(store.stat(k)).contains(second);
        assertThat(store.list(base)).extracting(ObjectInfo::key).containsExactly(k);
    }

    @Test
    void missingKeyIsEmptyForLookupsAndNotFoundForReads() throws Exception {
        String k = key("no/such/object");
        assertThat(store.get(k)).isEmpty();
        assertThat(store.getObject(k)).isEmpty();
        assertThat(store.stat(k)).isEmpty();
        assertThatThrownBy(() -> store.getRange(k, 0, 10))
                .isInstanceOf(ObjectNotFoundException.class).hasMessageContaining(k)
                .satisfies(e -> assertThat(((ObjectNotFoundException) e).key()).isEqualTo(k));
        Path target = tmp.resolve("download");
        assertThatThrownBy(() -> store.downloadTo(k, target)).isInstanceOf(ObjectNotFoundException.class).hasMessageContaining(k);
        assertThat(target).doesNotExist();
        assertThat(store.list(k)).isEmpty();
    }

    @Test
    void rangedReadsAtStartMiddleAndEnd() throws Exception {
        String k = key("range.bin");
        byte[] data = pattern(1000, 1);
        store.put(k, data);

        assertThat(store.getRange(k, 0, 10)).isEqualTo(slice(data, 0, 10));
        assertThat(store.getRange(k, 500, 100)).isEqualTo(slice(data, 500, 100));
        assertThat(store.getRange(k, 990, 10)).isEqualTo(slice(data, 990, 10));
        assertThat(store.getRange(k, 0, 1000)).isEqualTo(data);
        assertThat(store.getRange(k, 123, 0)).isEmpty();
    }

    @Test
    void rangePastTheEndIsTruncatedAndAnOffsetPastTheEndFails() throws Exception {
        String k = key("range.bin");
        byte[] data = pattern(1000, 2);
        store.put(k, data);

        assertThat(store.getRange(k, 995, 100)).isEqualTo(slice(data, 995, 5));
        assertThat(store.getRange(k, 0, Integer.MAX_VALUE)).isEqualTo(data);
        assertThat(store.getRange(k, 1000, 10)).isEmpty();
        assertThatThrownBy(() -> store.getRange(k, 1001, 1))
                .isInstanceOf(EOFException.class).hasMessageContaining(k).hasMessageContaining("1001").hasMessageContaining("1000");
        assertThatThrownBy(() -> store.getRange(k, -1, 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(k);
        assertThatThrownBy(() -> store.getRange(k, 0, -1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(k);
    }

    @Test
    void putIfAbsentHasExactlyOneWinnerAmongRacingThreads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(RACERS);
        try {
            for (int round = 0; round < 20; round++) {
                String k = key("ns/shards/0/wal/" + String.format("%020d", round) + ".log");
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Boolean>> results = new ArrayList<>();
                for (int t = 0; t < RACERS; t++) {
                    byte[] mine = bytes("writer-" + t + "-" + "x".repeat(t * 100));
                    results.add(pool.submit(() -> {
                        start.await();
                        return store.putIfAbsent(k, mine);
                    }));
                }
                start.countDown();
                List<Integer> winners = new ArrayList<>();
                for (int t = 0; t < RACERS; t++) {
                    if (results.get(t).get(30, TimeUnit.SECONDS)) winners.add(t);
                }
                assertThat(winners).as("winners of round %d", round).hasSize(1);
                int w = winners.get(0);
                assertThat(store.get(k)).hasValueSatisfying(b -> assertThat(new String(b, UTF_8))
                        .isEqualTo("writer-" + w + "-" + "x".repeat(w * 100)));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void putIfAbsentOnAnExistingKeyChangesNothing() throws Exception {
        String k = key("wal/1.log");
        assertThat(store.putIfAbsent(k, bytes("one"))).isTrue();
        ObjectInfo before = store.stat(k).orElseThrow();

        assertThat(store.putIfAbsent(k, bytes("two"))).isFalse();
        assertThat(store.get(k)).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("one")));
        assertThat(store.stat(k)).contains(before);
    }

    @Test
    void compareAndSetWithAStaleGenerationFailsAndChangesNothing() throws Exception {
        String k = key("ns/shards/0/manifest.json");
        long g1 = store.put(k, bytes("v1")).generation();
        ObjectInfo current = store.put(k, bytes("v2"));

        assertThat(store.compareAndSet(k, g1, bytes("v3 from a stale reader"))).isFalse();
        assertThat(store.compareAndSet(k, ObjectStore.NO_GENERATION, bytes("v3 as a create"))).isFalse();
        assertThat(store.get(k)).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("v2")));
        assertThat(store.stat(k)).contains(current);
    }

    @Test
    void compareAndSetOnAMissingKeyNeedsNoGeneration() throws Exception {
        String k = key("ns/meta.json");
        assertThat(store.compareAndSet(k, 12345L, bytes("x"))).isFalse();
        assertThat(store.stat(k)).isEmpty();

        assertThat(store.compareAndSet(k, ObjectStore.NO_GENERATION, bytes("created"))).isTrue();
        assertThat(store.get(k)).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("created")));
        assertThatThrownBy(() -> store.compareAndSet(k, -1, bytes("x"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void compareAndSetChainsThroughIncreasingGenerations() throws Exception {
        String k = key("ns/shards/3/manifest.json");
        assertThat(store.compareAndSet(k, ObjectStore.NO_GENERATION, bytes("m0"))).isTrue();
        List<Long> generations = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            StoredObject current = store.getObject(k).orElseThrow();
            assertThat(current.bytes()).isEqualTo(bytes("m" + (i - 1)));
            generations.add(current.generation());
            assertThat(store.compareAndSet(k, current.generation(), bytes("m" + i))).isTrue();
            assertThat(store.compareAndSet(k, current.generation(), bytes("lost " + i))).as("reuse of generation %d", i).isFalse();
        }
        StoredObject last = store.getObject(k).orElseThrow();
        generations.add(last.generation());
        assertThat(last.bytes()).isEqualTo(bytes("m5"));
        assertThat(generations).isSortedAccordingTo(Long::compare).doesNotHaveDuplicates();
    }

    @Test
    void concurrentCompareAndSetLosesNoUpdate() throws Exception {
        String k = key("counter");
        int threads = 4;
        int increments = 25;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < increments; i++) increment(store, k);
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.get(k)).hasValueSatisfying(b -> assertThat(new String(b, UTF_8)).isEqualTo(Integer.toString(threads * increments)));
    }

    /** Adds one to the decimal counter at {@code k} with a read-compare-and-set loop. */
    static void increment(ObjectStore store, String k) throws Exception {
        while (true) {
            Optional<StoredObject> cur = store.getObject(k);
            long expected = cur.map(StoredObject::generation).orElse(ObjectStore.NO_GENERATION);
            long value = cur.map(o -> Long.parseLong(new String(o.bytes(), UTF_8))).orElse(0L);
            if (store.compareAndSet(k, expected, Long.toString(value + 1).getBytes(UTF_8))) return;
        }
    }

    @Test
    void listReturnsKeysUnderThePrefixSortedWithSizes() throws Exception {
        List<String> keys = List.of(
                key("ns/shards/1/wal/00000000000000000002.log"),
                key("ns/shards/10/wal/00000000000000000001.log"),
                key("ns/meta.json"),
                key("ns/shards/1/wal/00000000000000000001.log"),
                key("ns/shards/1/manifest.json"),
                key("other/x"),
                key("p/a/b"),
                key("p/a-b"));
        for (int i = 0; i < keys.size(); i++) store.put(keys.get(i), new byte[i]);

        assertThat(store.list(key("ns/shards/1/wal/"))).containsExactly(
                new ObjectInfo(key("ns/shards/1/wal/00000000000000000001.log"), 3, store.stat(keys.get(3)).orElseThrow().generation()),
                new ObjectInfo(key("ns/shards/1/wal/00000000000000000002.log"), 0, store.stat(keys.get(0)).orElseThrow().generation()));
        assertThat(store.list(key("ns/shards/1/"))).extracting(ObjectInfo::key).containsExactly(
                key("ns/shards/1/manifest.json"),
                key("ns/shards/1/wal/00000000000000000001.log"),
                key("ns/shards/1/wal/00000000000000000002.log"));
        assertThat(store.list(key("ns/shards/1"))).extracting(ObjectInfo::key).containsExactly(
                key("ns/shards/1/manifest.json"),
                key("ns/shards/1/wal/00000000000000000001.log"),
                key("ns/shards/1/wal/00000000000000000002.log"),
                key("ns/shards/10/wal/00000000000000000001.log"));
        assertThat(store.list(key("ns/me"))).extracting(ObjectInfo::key).containsExactly(key("ns/meta.json"));
        assertThat(store.list(key("nothing/"))).isEmpty();
        assertThat(store.list(key("ns/shards/1/wal/00000000000000000001.log"))).extracting(ObjectInfo::size).containsExactly(3L);

        List<String> sorted = new ArrayList<>(keys);
        sorted.sort(ObjectKeys.ORDER);
        List<ObjectInfo> all = store.list(base);
        assertThat(all).extracting(ObjectInfo::key).containsExactlyElementsOf(sorted);
        assertThat(sorted.indexOf(key("p/a-b"))).isLessThan(sorted.indexOf(key("p/a/b"))); // byte order: '-' < '/'
        for (ObjectInfo info : all) assertThat(info.size()).isEqualTo(keys.indexOf(info.key()));
    }

    @Test
    void listNeverShowsWritesInFlight() throws Exception {
        Set<String> known = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> writer = pool.submit(() -> {
                byte[] payload = pattern(64 * 1024, 3);
                for (int i = 0; !stop.get(); i++) {
                    String k = key(i % 3 == 0 ? "busy/once" + i : "busy/k" + (i % 20));
                    known.add(k); // before the write: a listed key must be known
                    if (i % 3 == 0) store.putIfAbsent(k, payload);
                    else store.put(k, payload);
                    writes.incrementAndGet();
                }
                return null;
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int lists = 0;
            while (writes.get() < 100 && System.nanoTime() < deadline) {
                lists++;
                for (ObjectInfo info : store.list(key("busy/"))) {
                    assertThat(known).as("listed key").contains(info.key());
                    assertThat(info.size()).isEqualTo(64 * 1024);
                }
            }
            stop.set(true);
            writer.get(30, TimeUnit.SECONDS);
            assertThat(writes.get()).as("writes while listing").isPositive();
            assertThat(lists).as("lists while writing").isPositive();
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
        assertThat(store.list(key("busy/"))).extracting(ObjectInfo::key).containsExactlyInAnyOrderElementsOf(known);
    }

    @Test
    void deleteIsIdempotent() throws Exception {
        String k = key("ns/shards/0/wal/00000000000000000007.log");
        store.put(k, bytes("segment"));
        store.put(key("ns/shards/0/wal/00000000000000000008.log"), bytes("next"));

        assertThat(store.delete(k)).isTrue();
        assertThat(store.get(k)).isEmpty();
        assertThat(store.stat(k)).isEmpty();
        assertThat(store.delete(k)).isFalse();
        assertThat(store.delete(key("never/existed"))).isFalse();
        assertThat(store.list(base)).extracting(ObjectInfo::key).containsExactly(key("ns/shards/0/wal/00000000000000000008.log"));
        assertThat(store.putIfAbsent(k, bytes("again"))).as("a deleted key can be created again").isTrue();
        assertThat(store.get(k)).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("again")));
    }

    @Test
    void writersAndDeletersInOneFolderDoNotTripEachOther() throws Exception {
        int threads = 3;
        int rounds = 50;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String k = key("f/g/k" + t);
                done.add(pool.submit(() -> {
                    for (int i = 0; i < rounds; i++) {
                        if (i % 2 == 0) store.put(k, bytes("v" + i));
                        else assertThat(store.putIfAbsent(k, bytes("v" + i))).isTrue();
                        assertThat(store.get(k)).hasValueSatisfying(b -> assertThat(b).isNotEmpty());
                        assertThat(store.delete(k)).isTrue();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.list(base)).isEmpty();
        store.put(key("f/g/after"), bytes("x"));
        assertThat(store.list(base)).extracting(ObjectInfo::key).containsExactly(key("f/g/after"));
    }

    @Test
    void deletePrefixDeletesOnlyUnderThePrefix() throws Exception {
        for (int s = 0; s < 3; s++) {
            for (int i = 0; i < 4; i++) store.put(key("ns/shards/" + s + "/wal/" + i + ".log"), bytes("w" + i));
        }
        store.put(key("ns/meta.json"), bytes("{}"));

        assertThat(store.deletePrefix(key("ns/shards/1/"))).isEqualTo(4);
        assertThat(store.list(key("ns/shards/1/"))).isEmpty();
        assertThat(store.list(base)).hasSize(9);
        assertThat(store.deletePrefix(key("ns/shards/1/"))).isZero();
        assertThat(store.deletePrefix(key("ns/"))).isEqualTo(9);
        assertThat(store.list(base)).isEmpty();
        assertThatThrownBy(() -> store.deletePrefix("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void putFileAndDownloadToStreamALargeFile() throws Exception {
        byte[] data = pattern(5 * 1024 * 1024 + 123, 4);
        Path dir = Files.createDirectory(tmp.resolve("files"));
        Path source = dir.resolve("000042.sst");
        Files.write(source, data);
        String k = key("ns/shards/0/vectors/spfresh-index/000042.sst");

        ObjectInfo written = store.putFile(k, source);
        assertThat(written.size()).isEqualTo(data.length);
        assertThat(store.stat(k)).contains(written);
        assertThat(store.getRange(k, 3_000_000, 4096)).isEqualTo(slice(data, 3_000_000, 4096));

        Path target = dir.resolve("restored.sst");
        assertThat(store.downloadTo(k, target)).isEqualTo(written);
        assertThat(Files.readAllBytes(target)).isEqualTo(data);

        Files.write(target, bytes("stale local copy"));
        store.downloadTo(k, target);
        assertThat(Files.mismatch(source, target)).as("download replaces an existing file").isEqualTo(-1);
        assertThat(store.get(k)).hasValueSatisfying(b -> assertThat(b).isEqualTo(data));
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("000042.sst", "restored.sst");
        }
        assertThatThrownBy(() -> store.putFile(key("x"), dir.resolve("missing"))).isInstanceOf(java.nio.file.NoSuchFileException.class);
        assertThat(store.stat(key("x"))).isEmpty();
    }

    @Test
    void emptyObjectsAreObjects() throws Exception {
        String k = key("empty");
        ObjectInfo info = store.put(k, new byte[0]);
        assertThat(info.size()).isZero();
        assertThat(store.get(k)).hasValueSatisfying(b -> assertThat(b).isEmpty());
        assertThat(store.getRange(k, 0, 10)).isEmpty();
        assertThatThrownBy(() -> store.getRange(k, 1, 1)).isInstanceOf(EOFException.class);
        assertThat(store.list(k)).containsExactly(info);

        assertThat(store.putIfAbsent(key("empty2"), new byte[0])).isTrue();
        assertThat(store.putIfAbsent(key("empty2"), bytes("not empty"))).isFalse();
        assertThat(store.get(key("empty2"))).hasValueSatisfying(b -> assertThat(b).isEmpty());

        Path emptyFile = Files.createFile(tmp.resolve("empty.file"));
        assertThat(store.putFile(key("empty3"), emptyFile).size()).isZero();
        Path target = tmp.resolve("empty.download");
        store.downloadTo(key("empty3"), target);
        assertThat(target).isEmptyFile();
    }

    @Test
    void badKeysAreRejectedWithTheKeyInTheMessage() throws Exception {
        List<String> bad = List.of("", "/ns/meta.json", "ns//meta.json", "ns/../etc/passwd", "ns/..", "..", "ns/shards\\0",
                "ns/meta.json/", "ns/./meta.json", ".", "ns/" + ObjectKeys.RESERVED_PREFIX + "tmp-1-2",
                "k".repeat(ObjectKeys.MAX_KEY_BYTES + 1), "é".repeat(ObjectKeys.MAX_KEY_BYTES / 2 + 1));
        for (String k : bad) {
            String named = k.length() > 100 ? k.substring(0, 100) : k;
            for (ThrowingCall call : calls(k)) {
                assertThatThrownBy(call::run).as("key '%s'", named).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("'" + named);
            }
        }
        for (String k : List.of("ns/nul\0byte", "ns/line\nfeed")) {
            for (ThrowingCall call : calls(k)) {
                assertThatThrownBy(call::run).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("ns/").hasMessageContaining("control character");
            }
        }
        assertThatThrownBy(() -> store.get(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.list("/abs")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/abs");
        assertThatThrownBy(() -> store.list("a//")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a//");
        assertThatThrownBy(() -> store.deletePrefix("../")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("../");
    }

    @Test
    void unusualButValidKeysWork() throws Exception {
        List<String> good = new ArrayList<>(List.of(key("a.b/c-d_e~f"), key("ünïcödé/😀.bin"), key("sp ace/x"),
                key(".hidden/file"), key("x/" + "s".repeat(200) + "/" + "t".repeat(200))));
        String longKey = key(String.join("/", Collections.nCopies(9, "z".repeat(100))));
        longKey = longKey + "/" + "y".repeat(ObjectKeys.MAX_KEY_BYTES - longKey.length() - 1);
        assertThat(longKey.getBytes(UTF_8)).hasSize(ObjectKeys.MAX_KEY_BYTES);
        good.add(longKey);
        for (String k : good) {
            store.put(k, bytes(k));
            assertThat(store.get(k)).as(k).hasValueSatisfying(b -> assertThat(new String(b, UTF_8)).isEqualTo(k));
        }
        good.sort(ObjectKeys.ORDER);
        assertThat(store.list(base)).extracting(ObjectInfo::key).containsExactlyElementsOf(good);
    }

    private List<ThrowingCall> calls(String k) {
        return List.of(() -> store.put(k, new byte[1]), () -> store.putIfAbsent(k, new byte[1]), () -> store.get(k),
                () -> store.stat(k), () -> store.delete(k), () -> store.compareAndSet(k, 1, new byte[1]),
                () -> store.getRange(k, 0, 1), () -> store.downloadTo(k, tmp.resolve("never")));
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Exception;
    }

    private static byte[] slice(byte[] data, int from, int length) {
        return java.util.Arrays.copyOfRange(data, from, from + length);
    }
}
