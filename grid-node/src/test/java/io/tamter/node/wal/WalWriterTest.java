package io.tamter.node.wal;

import static io.tamter.node.wal.WalTesting.bytes;
import static io.tamter.node.wal.WalTesting.config;
import static io.tamter.node.wal.WalTesting.replay;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.wal.WalTesting.Entry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link WalWriter} against a real {@link LocalDirectoryObjectStore} on a temporary directory. */
class WalWriterTest {
    private static final WalShard SHARD = new WalShard("ns", 0);

    @TempDir
    Path tmp;
    private ObjectStore store;

    @BeforeEach
    void open() throws Exception {
        store = new LocalDirectoryObjectStore(tmp.resolve("store"));
    }

    @AfterEach
    void closeStore() throws Exception {
        store.close();
    }

    @Test
    void roundTripAndContinueAfterReopen() throws Exception {
        try (WalWriter w = WalWriter.start(store, SHARD, 1, config(2))) {
            assertThat(w.append(bytes("a")).get(10, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(w.append(bytes("b")).get(10, TimeUnit.SECONDS)).isEqualTo(2);
            assertThat(w.append(new byte[0]).get(10, TimeUnit.SECONDS)).isEqualTo(3);
            assertThat(w.nextSeq()).isEqualTo(4);
        }
        assertThat(replay(store, SHARD, 0)).containsExactly(new Entry(1, 0, "a"), new Entry(2, 0, "b"), new Entry(3, 0, ""));
        WalReader reader = new WalReader(store, SHARD);
        assertThat(reader.nextSeq(0)).isEqualTo(4);
        try (WalWriter w = WalWriter.start(store, SHARD, reader.nextSeq(0), config(2))) {
            assertThat(w.append(bytes("c")).get(10, TimeUnit.SECONDS)).isEqualTo(4);
            assertThat(w.state()).isEqualTo(WalWriter.State.OPEN);
        }
        assertThat(replay(store, SHARD, 3)).containsExactly(new Entry(4, 0, "c"));
        assertThat(store.list(SHARD.prefix())).hasSize(4);
    }

    @Test
    void groupCommitGroupsConcurrentAppendsAndKeepsOrder() throws Exception {
        int threads = 8, perThread = 500;
        Map<String, Long> ackedSeq = Collections.synchronizedMap(new HashMap<>());
        WalWriter w = WalWriter.start(store, SHARD, 1, config(2));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    List<CompletableFuture<Long>> futures = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        futures.add(w.append(bytes(thread + ":" + i)));
                        if (i % 50 == 49) futures.get(futures.size() - 1).join(); // bursts, not one huge batch
                    }
                    long previous = 0;
                    for (int i = 0; i < perThread; i++) {
                        long seq = futures.get(i).join();
                        assertThat(seq).as("thread %d append %d lands no earlier than the one before", thread, i).isGreaterThanOrEqualTo(previous);
                        previous = seq;
                        ackedSeq.put(thread + ":" + i, seq);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
            w.close();
        }
        List<Entry> log = replay(store, SHARD, 0);
        assertThat(log).hasSize(threads * perThread);
        int segments = store.list(SHARD.prefix()).size();
        assertThat(segments).as("segments for %d appends", threads * perThread).isLessThan(threads * perThread / 4);
        assertThat(w.stats().get("segments")).isEqualTo((long) segments);
        System.out.println("group commit of " + threads + " x " + perThread + " appends: " + w.stats());
        assertThat(w.stats().get("mean_group_entries").doubleValue()).isGreaterThan(4.0);
        Map<Integer, Integer> nextIndex = new HashMap<>();
        for (Entry e : log) {
            assertThat(ackedSeq.get(e.payload())).as("acked seq of %s", e.payload()).isEqualTo(e.seq());
            String[] parts = e.payload().split(":");
            int thread = Integer.parseInt(parts[0]), i = Integer.parseInt(parts[1]);
            assertThat(i).as("order of thread %d in the log", thread).isEqualTo(nextIndex.getOrDefault(thread, 0));
            nextIndex.put(thread, i + 1);
        }
    }

    @Test
    void appendEntryTellsTheSegmentAndThePlaceInIt() throws Exception {
        FaultyObjectStore held = new FaultyObjectStore(store);
        CountDownLatch gate = new CountDownLatch(1);
        held.gate = gate;
        held.atGate = new CountDownLatch(1);
        List<CompletableFuture<WalWriter.Appended>> fs = new ArrayList<>();
        try (WalWriter w = WalWriter.start(held, SHARD, 1, config(0))) {
            fs.add(w.appendEntry(bytes("alone")));
            // once the committer holds "alone" at the gate, the next three queue behind it
            assertThat(held.atGate.await(10, TimeUnit.SECONDS)).isTrue();
            for (String p : List.of("x", "y", "z")) fs.add(w.appendEntry(bytes(p)));
            gate.countDown();
            assertThat(fs.get(0).get(10, TimeUnit.SECONDS)).isEqualTo(new WalWriter.Appended(1, 0, 1));
            for (int i = 0; i < 3; i++) assertThat(fs.get(i + 1).get(10, TimeUnit.SECONDS)).isEqualTo(new WalWriter.Appended(2, i, 3));
            assertThatThrownBy(() -> w.appendEntry(new byte[(64 << 20) + 1])).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(replay(store, SHARD, 0)).containsExactly(new Entry(1, 0, "alone"), new Entry(2, 0, "x"), new Entry(2, 1, "y"),
                new Entry(2, 2, "z"));
    }

    @Test
    void futuresCompleteOnlyOnceTheSegmentIsInTheStore() throws Exception {
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<Void>> checks = new ArrayList<>();
        try (ObjectStore other = new LocalDirectoryObjectStore(tmp.resolve("store"));
             WalWriter w = WalWriter.start(store, SHARD, 1, config(1))) {
            for (int i = 0; i < 200; i++) {
                String payload = "p" + i;
                // runs on the committer thread the moment the future completes
                checks.add(w.append(bytes(payload)).thenAccept(seq -> {
                    try {
                        WalSegment s = new WalReader(other, SHARD).read(seq);
                        if (s.entries().stream().noneMatch(b -> new String(b).equals(payload))) {
                            problems.add(payload + " not in segment " + seq);
                        }
                    } catch (Exception e) {
                        problems.add(payload + ": " + e);
                    }
                }));
                if (i % 20 == 0) Thread.sleep(1);
            }
            CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void aNewOwnerFencesTheOldWriterWithoutLosingOrDuplicatingAckedWrites() throws Exception {
        FaultyObjectStore oldNodeStore = new FaultyObjectStore(store);
        WalWriter old = WalWriter.start(oldNodeStore, SHARD, 1, config(1));
        List<String> oldAcked = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            old.append(bytes("old-" + i)).get(10, TimeUnit.SECONDS);
            oldAcked.add("old-" + i);
        }
        // another node takes the shard over: it recovers and writes at the next sequence number
        WalReader reader = new WalReader(store, SHARD);
        List<String> newAcked = new ArrayList<>();
        try (WalWriter owner = WalWriter.start(store, SHARD, reader.nextSeq(0), config(1))) {
            owner.append(bytes("new-0")).get(10, TimeUnit.SECONDS);
            newAcked.add("new-0");
            // the old writer does not know yet: one group in flight, more queued behind it
            CountDownLatch gate = new CountDownLatch(1);
            oldNodeStore.gate = gate;
            oldNodeStore.atGate = new CountDownLatch(1);
            List<CompletableFuture<Long>> stale = new ArrayList<>();
            stale.add(old.append(bytes("old-stale-0")));
            assertThat(oldNodeStore.atGate.await(10, TimeUnit.SECONDS)).isTrue(); // its 21st create waits at the gate
            for (int i = 1; i < 5; i++) stale.add(old.append(bytes("old-stale-" + i)));
            gate.countDown();
            for (CompletableFuture<Long> f : stale) {
                assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOf(WalFencedException.class).hasMessageContaining("another node owns shard ns/0");
            }
            assertThat(oldNodeStore.putIfAbsentCalls.get()).as("nothing written after the fence").isEqualTo(21);
            assertThat(old.state()).isEqualTo(WalWriter.State.FENCED);
            assertThat(old.stats()).containsEntry("pending_bytes", 0L);
            CompletableFuture<Long> later = old.append(bytes("old-later"));
            assertThat(later).isCompletedExceptionally();
            assertThatThrownBy(later::join).isInstanceOf(CompletionException.class).cause().isInstanceOf(WalFencedException.class);
            for (int i = 1; i < 10; i++) {
                owner.append(bytes("new-" + i)).get(10, TimeUnit.SECONDS);
                newAcked.add("new-" + i);
            }
        }
        old.close();
        assertThat(old.state()).isEqualTo(WalWriter.State.FENCED);
        List<String> all = new ArrayList<>(oldAcked);
        all.addAll(newAcked);
        assertThat(replay(store, SHARD, 0)).extracting(Entry::payload).containsExactlyElementsOf(all);
    }

    @Test
    void anObjectThatIsNotOurSegmentAtTheNextSeqFences() throws Exception {
        store.put(SHARD.segmentKey(1), bytes("not a segment"));
        try (WalWriter w = WalWriter.start(store, SHARD, 1, config(1))) {
            assertThatThrownBy(() -> w.append(bytes("x")).get(10, TimeUnit.SECONDS)).cause()
                    .isInstanceOf(WalFencedException.class).hasMessageContaining(SHARD.segmentKey(1))
                    .hasMessageContaining("not a valid segment");
            assertThat(w.state()).isEqualTo(WalWriter.State.FENCED);
        }
        assertThat(store.get(SHARD.segmentKey(1))).hasValueSatisfying(b -> assertThat(new String(b)).isEqualTo("not a segment"));
    }

    @Test
    void twoWritersRacingFromTheSameSeqLeaveExactlyOneOwner() throws Exception {
        WalWriter a = WalWriter.start(store, SHARD, 1, config(1));
        WalWriter b = WalWriter.start(store, SHARD, 1, config(1));
        List<String> acked = Collections.synchronizedList(new ArrayList<>());
        Map<WalWriter, Integer> fencedFailures = Collections.synchronizedMap(new HashMap<>());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                WalWriter w = t % 2 == 0 ? a : b;
                String name = (t % 2 == 0 ? "a" : "b") + t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        try {
                            w.append(bytes(name + ":" + i)).get(10, TimeUnit.SECONDS);
                            acked.add(name + ":" + i);
                        } catch (ExecutionException e) {
                            assertThat(e.getCause()).isInstanceOf(WalFencedException.class);
                            fencedFailures.merge(w, 1, Integer::sum);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
            a.close();
            b.close();
        }
        assertThat(List.of(a.state(), b.state())).containsExactlyInAnyOrder(WalWriter.State.FENCED, WalWriter.State.CLOSED);
        WalWriter winner = a.state() == WalWriter.State.CLOSED ? a : b;
        assertThat(fencedFailures).containsOnlyKeys(winner == a ? b : a);
        assertThat(acked).hasSize(400);
        List<Entry> log = replay(store, SHARD, 0);
        assertThat(log).extracting(Entry::payload).containsExactlyInAnyOrderElementsOf(acked);
        assertThat(store.list(SHARD.prefix())).hasSize((int) (winner.nextSeq() - 1));
    }

    @Test
    void aLostResponseIsRetriedWithoutDuplicateOrFailure() throws Exception {
        FaultyObjectStore faulty = new FaultyObjectStore(store);
        faulty.loseResponses.set(1);
        try (WalWriter w = WalWriter.start(faulty, SHARD, 1, config(1))) {
            assertThat(w.append(bytes("x")).get(10, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(w.append(bytes("y")).get(10, TimeUnit.SECONDS)).isEqualTo(2);
            assertThat(w.stats()).containsEntry("lost_responses", 1L).containsEntry("retries", 1L).containsEntry("failed_groups", 0L);
        }
        assertThat(replay(store, SHARD, 0)).containsExactly(new Entry(1, 0, "x"), new Entry(2, 0, "y"));
    }

    @Test
    void anOutageFailsTheGroupAfterBoundedRetriesAndLeavesNoGap() throws Exception {
        FaultyObjectStore faulty = new FaultyObjectStore(store);
        faulty.down = true;
        try (WalWriter w = WalWriter.start(faulty, SHARD, 1, new WalWriter.Config(1, 4L << 20, 64L << 20, 2, 1))) {
            CompletableFuture<Long> f = w.append(bytes("lost"));
            assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(WalWriteException.class)
                    .hasMessageContaining("after 3 attempts").hasRootCauseMessage("simulated outage: putIfAbsent " + SHARD.segmentKey(1));
            // three tries of the segment, then one to settle it with an empty segment
            assertThat(faulty.putIfAbsentCalls.get()).isGreaterThanOrEqualTo(4);
            assertThatThrownBy(() -> w.append(bytes("refused")).join()).cause().isInstanceOf(WalUnavailableException.class)
                    .hasMessageContaining("was not written");
            faulty.down = false;
            WalWriterFaultTest.awaitSettled(w);
            assertThat(w.append(bytes("after")).get(10, TimeUnit.SECONDS)).as("seq 1 holds the settle's empty segment").isEqualTo(2);
            assertThat(w.stats()).containsEntry("failed_groups", 1L).containsEntry("retries", 2L).containsEntry("pending_bytes", 0L)
                    .containsEntry("settled_not_written", 1L).containsEntry("unsettled_seq", 0L);
        }
        assertThat(replay(store, SHARD, 0)).containsExactly(new Entry(2, 0, "after"));
    }

    @Test
    void aGroupWhoseOnlyAttemptLostItsAnswerIsSettledAsWritten() throws Exception {
        FaultyObjectStore faulty = new FaultyObjectStore(store);
        faulty.loseResponses.set(1);
        try (WalWriter w = WalWriter.start(faulty, SHARD, 1, new WalWriter.Config(1, 4L << 20, 64L << 20, 0, 1))) {
            // no retries: the settle right after the failed attempt finds the segment stored, so the append is acknowledged
            assertThat(w.append(bytes("uncertain")).get(10, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(w.append(bytes("next")).get(10, TimeUnit.SECONDS)).isEqualTo(2);
            assertThat(w.stats()).containsEntry("uncertain_segments", 1L).containsEntry("failed_groups", 1L);
        }
        assertThat(replay(store, SHARD, 0)).containsExactly(new Entry(1, 0, "uncertain"), new Entry(2, 0, "next"));
    }

    @Test
    void backpressureRefusesAppendsPastMaxPendingBytes() throws Exception {
        FaultyObjectStore faulty = new FaultyObjectStore(store);
        CountDownLatch gate = new CountDownLatch(1);
        faulty.gate = gate;
        List<CompletableFuture<Long>> accepted = new ArrayList<>();
        try (WalWriter w = WalWriter.start(faulty, SHARD, 1, new WalWriter.Config(0, 1024, 1024, 3, 1))) {
            for (int i = 0; i < 10; i++) accepted.add(w.append(new byte[100]));
            CompletableFuture<Long> refused = w.append(new byte[100]);
            assertThat(refused).isCompletedExceptionally();
            assertThatThrownBy(refused::join).cause().isInstanceOf(WalBackpressureException.class)
                    .hasMessageContaining("1000 bytes pending").hasMessageContaining("wal.max_pending_bytes=1024");
            assertThat(w.append(new byte[24])).as("what still fits is accepted").isNotCompletedExceptionally();
            assertThatThrownBy(() -> w.append(new byte[1025])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("exceeds wal.max_pending_bytes=1024");
            assertThat(w.stats()).containsEntry("backpressure_rejections", 1L).containsEntry("pending_bytes", 1024L);
            gate.countDown();
            for (CompletableFuture<Long> f : accepted) assertThat(f.get(10, TimeUnit.SECONDS)).isPositive();
            assertThat(w.append(new byte[100]).get(10, TimeUnit.SECONDS)).isPositive();
        }
        assertThat(replay(store, SHARD, 0)).hasSize(12);
    }

    @Test
    void aFullGroupIsWrittenBeforeTheDelayAndCloseFlushesTheRest() throws Exception {
        long start = System.nanoTime();
        CompletableFuture<Long> first, second, third;
        WalWriter w = WalWriter.start(store, SHARD, 1, new WalWriter.Config(10_000, 1024, 1L << 20, 3, 1));
        first = w.append(new byte[600]);
        second = w.append(new byte[600]);
        assertThat(first.get(5, TimeUnit.SECONDS)).as("written because the group is full, not after 10 s").isEqualTo(1);
        third = w.append(new byte[10]);
        w.close();
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).as("close does not wait for the delay").isLessThan(8);
        assertThat(second).isCompletedWithValue(2L);
        assertThat(third).isCompletedWithValue(2L);
        assertThat(w.state()).isEqualTo(WalWriter.State.CLOSED);
        CompletableFuture<Long> afterClose = w.append(new byte[1]);
        assertThatThrownBy(afterClose::join).cause().isInstanceOf(WalClosedException.class);
        w.close(); // idempotent
    }

    @Test
    void closeFromACallbackOnTheCommitterThreadDoesNotDeadlock() throws Exception {
        WalWriter w = WalWriter.start(store, SHARD, 1, config(1));
        CompletableFuture<Long> first = w.append(bytes("first"));
        CompletableFuture<Void> closed = first.thenRun(w::close);
        closed.get(10, TimeUnit.SECONDS);
        assertThat(first).isCompletedWithValue(1L);
        w.close();
        assertThat(w.state()).isEqualTo(WalWriter.State.CLOSED);
    }

    @Test
    void configIsValidated() {
        assertThatThrownBy(() -> new WalWriter.Config(1, 4096, 1024, 3, 1)).hasMessageContaining("wal.max_pending_bytes=1024");
        assertThatThrownBy(() -> new WalWriter.Config(-1, 4096, 8192, 3, 1)).hasMessageContaining("-1");
        assertThat(WalWriter.Config.defaults().groupCommitMaxDelayMs()).isEqualTo(2);
    }
}
