package io.tamter.node.wal;

import static io.tamter.node.wal.WalTesting.bytes;
import static io.tamter.node.wal.WalTesting.replay;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tamter.node.objectstore.FaultInjectingObjectStore;
import io.tamter.node.objectstore.FaultInjectingObjectStore.Call;
import io.tamter.node.objectstore.FaultInjectingObjectStore.Fault;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import io.tamter.node.wal.WalTesting.Entry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link WalWriter} over a {@link FaultInjectingObjectStore}: each fault kind, outages, and what the
 * writer reports against what the log holds afterwards.
 */
class WalWriterFaultTest {
    private static final WalShard SHARD = new WalShard("ns", 0);
    private static final Set<Call> ALL = EnumSet.allOf(Call.class);

    @TempDir
    Path tmp;
    private LocalDirectoryObjectStore local;
    private FaultInjectingObjectStore store;

    @BeforeEach
    void open() throws Exception {
        local = new LocalDirectoryObjectStore(tmp.resolve("store"));
        store = new FaultInjectingObjectStore(local);
    }

    @AfterEach
    void closeStore() {
        local.close();
    }

    private static WalWriter.Config config(int retries) {
        return new WalWriter.Config(1, 4L << 20, 64L << 20, retries, 1);
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting until " + what);
            Thread.sleep(2);
        }
    }

    /** Waits until the background settle has run (the segment's outcome is known; a landed group may wait for its caller). */
    static void awaitSettled(WalWriter w) throws InterruptedException {
        await("the writer settled its segment", () -> w.stats().get("unsettled_seq").longValue() == 0);
    }

    private static Throwable failure(CompletableFuture<?> f) {
        try {
            f.get(20, TimeUnit.SECONDS);
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void timeoutsWithinTheRetriesAreInvisible() throws Exception {
        store.inject(Set.of(Call.PUT_IF_ABSENT), Fault.TIMEOUT, Duration.ofMillis(20), 2);
        try (WalWriter w = WalWriter.start(store, SHARD, 1, config(3))) {
            assertThat(w.append(bytes("a")).get(20, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(w.stats()).containsEntry("retries", 2L).containsEntry("failed_groups", 0L);
        }
        assertThat(replay(local, SHARD, 0)).containsExactly(new Entry(1, 0, "a"));
    }

    @Test
    void anOutageOfTimeoutsRefusesAppendsUntilTheStoreIsBackAndTheNextAppendNeedsNoRestart() throws Exception {
        store.outage(ALL, Fault.TIMEOUT, Duration.ofMillis(5));
        try (WalWriter w = WalWriter.start(store, SHARD, 1, config(1))) {
            assertThat(failure(w.append(bytes("unknown")))).isInstanceOf(WalWriteException.class);
            assertThat(w.unsettled()).isTrue();
            for (int i = 0; i < 3; i++) {
                assertThat(failure(w.append(bytes("refused")))).isInstanceOf(WalUnavailableException.class);
            }
            assertThat(w.stats()).containsEntry("unsettled_seq", 1L).containsEntry("unavailable_rejections", 3L);
            store.clear();
            awaitSettled(w);
            assertThat(w.landed()).isNull();
            assertThat(w.append(bytes("after")).get(20, TimeUnit.SECONDS)).isEqualTo(2);
            assertThat(w.state()).isEqualTo(WalWriter.State.OPEN);
        }
        assertThat(replay(local, SHARD, 0)).containsExactly(new Entry(2, 0, "after"));
        assertThat(new WalReader(local, SHARD).segmentSeqs()).as("no gap: seq 1 holds the settle's empty segment").containsExactly(1L, 2L);
    }

    @Test
    void aGroupFoundWrittenByALateSettleIsHandedToTheCallerBeforeAnythingElseIsWritten() throws Exception {
        // the first attempt lands with its answer lost, then the store is down for the retry and the settle
        store.inject(Set.of(Call.PUT_IF_ABSENT), Fault.LOST_RESPONSE, Duration.ZERO, 1);
        store.outage(ALL, Fault.ERROR, Duration.ZERO);
        try (WalWriter w = WalWriter.start(store, SHARD, 1, config(1))) {
            assertThat(failure(w.append(bytes("uncertain")))).isInstanceOf(WalWriteException.class)
                    .hasMessageContaining("outcome is unknown");
            store.clear();
            await("the settle found the group", () -> w.landed() != null);
            WalWriter.Landed l = w.landed();
            assertThat(l.seq()).isEqualTo(1);
            assertThat(l.payloads()).hasSize(1).first().isEqualTo(bytes("uncertain"));
            assertThat(failure(w.append(bytes("too early")))).as("refused until the caller applied it")
                    .isInstanceOf(WalUnavailableException.class).hasMessageContaining("found written late");
            assertThatThrownBy(() -> w.landedApplied(2)).isInstanceOf(IllegalStateException.class);
            w.landedApplied(1);
            assertThat(w.append(bytes("next")).get(20, TimeUnit.SECONDS)).isEqualTo(2);
            assertThat(w.stats()).containsEntry("uncertain_segments", 1L);
        }
        assertThat(replay(local, SHARD, 0)).containsExactly(new Entry(1, 0, "uncertain"), new Entry(2, 0, "next"));
    }

    @Test
    void appendsQueuedBehindAnUnknownOutcomeFailAsNotWritten() throws Exception {
        store.outage(Set.of(Call.PUT_IF_ABSENT), Fault.TIMEOUT, Duration.ofMillis(100));
        try (WalWriter w = WalWriter.start(store, SHARD, 1, config(0))) {
            CompletableFuture<Long> first = w.append(bytes("first"));
            await("the first group is being written", () -> store.injected() >= 1);
            CompletableFuture<Long> queued = w.append(bytes("queued"));
            assertThat(failure(first)).isInstanceOf(WalWriteException.class);
            assertThat(failure(queued)).isInstanceOf(WalUnavailableException.class).hasMessageContaining("not written");
            assertThat(w.stats()).containsEntry("pending_bytes", 0L);
            store.clear();
            awaitSettled(w);
            assertThat(w.append(bytes("after")).get(20, TimeUnit.SECONDS)).isEqualTo(2);
        }
        assertThat(replay(local, SHARD, 0)).containsExactly(new Entry(2, 0, "after"));
    }

    @Test
    void closingAnUnsettledWriterLeavesTheNumberToTheNextWriter() throws Exception {
        store.outage(ALL, Fault.ERROR, Duration.ZERO);
        try (WalWriter w = WalWriter.start(store, SHARD, 1, config(0))) {
            assertThat(failure(w.append(bytes("unknown")))).isInstanceOf(WalWriteException.class);
        }
        store.clear();
        WalReader reader = new WalReader(local, SHARD);
        try (WalWriter w = WalWriter.start(store, SHARD, reader.nextSeq(0), config(0))) {
            assertThat(w.append(bytes("next")).get(20, TimeUnit.SECONDS)).isEqualTo(1);
        }
        assertThat(replay(local, SHARD, 0)).containsExactly(new Entry(1, 0, "next"));
    }

    /**
     * Random faults of every kind on every call, appends in concurrent groups: what the writer
     * reported (acknowledged at seq n, not written, unknown and later handed over as landed) is
     * exactly what the log holds. Runs until 60 faults were injected; {@code -Dtamter.long=true}:
     * 600.
     */
    @Test
    void randomFaultsNeverLoseAnAcknowledgedAppendNorLogAnUnwrittenOne() throws Exception {
        long seed = Long.getLong("tamter.seed", System.nanoTime());
        System.out.println("WalWriterFaultTest seed " + seed + " (-Dtamter.seed=" + seed + " repeats it)");
        int faults = Boolean.getBoolean("tamter.long") ? 600 : 60;
        store.injectRandomly(ALL, Fault.ERROR, Duration.ZERO, 0.1, seed);
        store.injectRandomly(ALL, Fault.LOST_RESPONSE, Duration.ZERO, 0.1, seed + 1);
        store.injectRandomly(ALL, Fault.TIMEOUT, Duration.ofMillis(1), 0.05, seed + 2);
        store.injectRandomly(ALL, Fault.LATENCY, Duration.ofMillis(1), 0.05, seed + 3);
        Map<String, Long> acked = new HashMap<>();
        Set<String> notWritten = new HashSet<>();
        Set<String> unknown = new HashSet<>();
        Set<String> landed = new HashSet<>();
        int n = 0;
        try (WalWriter w = WalWriter.start(store, SHARD, 1, config(1))) {
            while (store.injected() < faults) {
                WalWriter.Landed l = w.landed();
                if (l != null) {
                    for (byte[] p : l.payloads()) landed.add(new String(p, UTF_8));
                    w.landedApplied(l.seq());
                }
                List<String> names = new ArrayList<>();
                List<CompletableFuture<Long>> futures = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    String name = "p" + n++;
                    names.add(name);
                    futures.add(w.append(bytes(name)));
                }
                for (int i = 0; i < futures.size(); i++) {
                    try {
                        acked.put(names.get(i), futures.get(i).join());
                    } catch (CompletionException e) {
                        if (e.getCause() instanceof WalUnavailableException) notWritten.add(names.get(i));
                        else if (e.getCause() instanceof WalWriteException) unknown.add(names.get(i));
                        else throw e;
                    }
                }
            }
            store.clear();
            await("the writer settled", () -> w.stats().get("unsettled_seq").longValue() == 0);
            WalWriter.Landed l = w.landed();
            if (l != null) {
                for (byte[] p : l.payloads()) landed.add(new String(p, UTF_8));
                w.landedApplied(l.seq());
            }
            String last = "p" + n;
            acked.put(last, w.append(bytes(last)).get(20, TimeUnit.SECONDS));
            System.out.println("WalWriterFaultTest: " + store.injected() + " faults; " + acked.size() + " acknowledged, " + notWritten.size()
                    + " not written, " + unknown.size() + " unknown (" + landed.size() + " found written later); " + w.stats());
        }
        Map<String, Long> logged = new HashMap<>();
        for (Entry e : replay(local, SHARD, 0)) {
            assertThat(logged.put(e.payload(), e.seq())).as("logged once: " + e.payload()).isNull();
        }
        for (var e : acked.entrySet()) assertThat(logged).as("acknowledged " + e.getKey()).containsEntry(e.getKey(), e.getValue());
        for (String p : notWritten) assertThat(logged).as("reported not written").doesNotContainKey(p);
        assertThat(unknown).containsAll(landed);
        for (String p : unknown) assertThat(logged.containsKey(p)).as("unknown " + p + " is logged iff handed over as landed").isEqualTo(landed.contains(p));
        assertThat(logged.size()).isEqualTo(acked.size() + landed.size());
        assertThat(unknown.size() + notWritten.size()).as("the faults made appends fail").isPositive();
    }
}
