package io.tamter.node.shard;

import static io.tamter.node.shard.ShardCheckpointTest.json;
import static io.tamter.node.shard.ShardCheckpointTest.observe;
import static io.tamter.node.shard.ShardCheckpointTest.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.doc.Document;
import io.tamter.node.namespace.Namespace;
import io.tamter.node.namespace.NamespaceManager;
import io.tamter.node.namespace.SearchRequest;
import io.tamter.node.namespace.SearchResult;
import io.tamter.node.namespace.WriteOutcomeUnknownException;
import io.tamter.node.objectstore.FaultInjectingObjectStore;
import io.tamter.node.objectstore.FaultInjectingObjectStore.Call;
import io.tamter.node.objectstore.FaultInjectingObjectStore.Fault;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import io.tamter.node.wal.WalUnavailableException;
import io.tamter.node.wal.WalWriteException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shards and namespaces over a {@link FaultInjectingObjectStore}: checkpoints that fail at each
 * step, WAL outages, a write found written late, and namespaces opened while the store is down.
 * After every fault the state served must be the one a restart from the store alone gives.
 */
class ShardStoreFaultTest {
    /** Checkpoints only when a test asks; WAL retries short, so outages show quickly. */
    static final Settings SETTINGS = ShardCheckpointTest.MANUAL.with(Params.WAL_WRITE_RETRIES, 1).with(Params.WAL_WRITE_RETRY_BACKOFF_MS, 1);

    @TempDir
    Path tmp;
    LocalDirectoryObjectStore local;
    FaultInjectingObjectStore store;
    List<NamespaceManager> engines = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        local = new LocalDirectoryObjectStore(tmp.resolve("store"));
        store = new FaultInjectingObjectStore(local);
    }

    @AfterEach
    void close() throws Exception {
        store.clear();
        for (NamespaceManager e : engines) e.close();
        local.close();
    }

    NamespaceManager engine(String data) {
        NamespaceManager e = new NamespaceManager(tmp.resolve(data), store, SETTINGS, null);
        engines.add(e);
        return e;
    }

    void closeEngine(NamespaceManager e) throws IOException {
        engines.remove(e);
        e.close();
    }

    /** What a node with an empty data directory serves from the store alone. */
    List<String> restoredObservation() throws IOException {
        NamespaceManager fresh = engine("fresh-" + engines.size());
        try {
            return observe(fresh.get("ns1"));
        } finally {
            closeEngine(fresh);
        }
    }

    @Test
    void aCheckpointFailingAtAnyStepLeavesTheShardServingAndTheNextOneSucceeds() throws Exception {
        NamespaceManager e = engine("data");
        Namespace ns = e.create("ns1", json("{'embedding_model':null}"));
        ns.upsert(rows(0, 40), null);
        Shard shard = ns.shard(0);
        record Step(Set<Call> calls, Fault fault) {}
        List<Step> steps = List.of(new Step(Set.of(Call.PUT_FILE), Fault.ERROR), new Step(Set.of(Call.PUT_FILE), Fault.TIMEOUT),
                new Step(Set.of(Call.GET), Fault.ERROR), new Step(Set.of(Call.COMPARE_AND_SET), Fault.ERROR),
                new Step(Set.of(Call.COMPARE_AND_SET), Fault.LOST_RESPONSE), new Step(Set.of(Call.LIST), Fault.TIMEOUT),
                new Step(Set.of(Call.DELETE), Fault.ERROR));
        int id = 40;
        for (Step step : steps) {
            store.inject(step.calls(), step.fault(), Duration.ofMillis(5), 1);
            assertThatThrownBy(shard::checkpoint).as(step.toString()).isInstanceOf(IOException.class).hasMessageContaining("injected fault");
            assertThat(shard.fenced()).as("a failed checkpoint is not a lost manifest: " + step).isFalse();
            ns.upsert(rows(id, 10), null);
            id += 10;
            Checkpointer.Result r = shard.checkpoint();
            assertThat(r.walSeq()).as(step.toString()).isEqualTo(shard.appliedSeq());
        }
        assertThat(store.injected()).isEqualTo(steps.size());
        List<String> served = observe(ns);
        assertThat(served).contains("count " + id);
        assertThat(restoredObservation()).isEqualTo(served);
    }

    @Test
    void theBackgroundCheckpointRetriesAfterAnOutage() throws Exception {
        NamespaceManager e = new NamespaceManager(tmp.resolve("data"), store,
                SETTINGS.with(Params.CHECKPOINT_ENABLED, true).with(Params.CHECKPOINT_INTERVAL_MS, 100L), null);
        engines.add(e);
        Namespace ns = e.create("ns1", json("{'embedding_model':null}"));
        ns.upsert(rows(0, 10), null); // sets the schema (a compare-and-set of the namespace's settings)
        store.outage(Set.of(Call.PUT_FILE, Call.COMPARE_AND_SET), Fault.ERROR, Duration.ZERO);
        ns.upsert(rows(10, 20), null);
        Shard shard = ns.shard(0);
        long before = shard.checkpointSeq();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (store.injected() < 3) {
            assertThat(System.nanoTime()).as("background checkpoints are attempted").isLessThan(deadline);
            Thread.sleep(10);
        }
        assertThat(shard.checkpointSeq()).isEqualTo(before).isLessThan(shard.appliedSeq());
        store.clear();
        while (shard.checkpointSeq() != shard.appliedSeq()) {
            assertThat(System.nanoTime()).as("a later tick checkpoints").isLessThan(deadline);
            Thread.sleep(10);
        }
        assertThat(shard.fenced()).isFalse();
        List<String> served = observe(ns);
        assertThat(restoredObservation()).isEqualTo(served);
    }

    @Test
    void aWalOutageFailsWritesUntilTheStoreIsBackAndNothingUnacknowledgedAppears() throws Exception {
        NamespaceManager e = engine("data");
        Namespace ns = e.create("ns1", json("{'embedding_model':null}"));
        ns.upsert(rows(0, 20), null);
        store.outage(FaultInjectingObjectStore.WRITES, Fault.ERROR, Duration.ZERO);
        assertThatThrownBy(() -> ns.upsert(rows(20, 5), null)).as("the segment's outcome is unknown").isInstanceOf(WalWriteException.class);
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> ns.upsert(rows(30, 5), null)).as("refused, nothing written").isInstanceOf(WalUnavailableException.class);
        }
        assertThat(ns.get(json("20"))).isNull();
        store.clear();
        writeRetrying(ns, 100, 5);
        List<String> served = observe(ns);
        assertThat(served).contains("count 25");
        assertThat(ns.get(json("20"))).as("settled as not written").isNull();
        assertThat(restoredObservation()).isEqualTo(served);
    }

    @Test
    void aWriteFoundWrittenLateIsServedBeforeTheNextWriteAndRestoresTheSame() throws Exception {
        NamespaceManager e = engine("data");
        Namespace ns = e.create("ns1", json("{'embedding_model':null}"));
        ns.upsert(rows(0, 20), null);
        // the segment is stored but its answer is lost, then the retry and the settle meet an outage
        store.inject(Set.of(Call.PUT_IF_ABSENT), Fault.LOST_RESPONSE, Duration.ZERO, 1);
        store.outage(EnumSet.allOf(Call.class), Fault.ERROR, Duration.ZERO);
        assertThatThrownBy(() -> ns.upsert(json("[{'id':500,'vector':[1,0,0,0,0,0,0,0],'category':'late'}]"), null))
                .isInstanceOf(WalWriteException.class);
        assertThat(ns.get(json("500"))).isNull();
        store.clear();
        // re-inserting the same id under a new vid while the late group was unapplied would index 500 twice after a replay
        writeRetrying(ns, 500, 1);
        Document d = ns.get(json("500"));
        assertThat(d.attributes().get("category").asText()).isEqualTo("c2"); // rows(500, 1) overwrote the late write
        SearchResult r = ns.search(SearchRequest.ofVector(new float[] {1, 0, 0, 0, 0, 0, 0, 0}, 100));
        assertThat(r.matches().stream().filter(m -> m.id().toString().equals("500")).count()).isEqualTo(1);
        List<String> served = observe(ns);
        assertThat(served).contains("count 21");
        assertThat(restoredObservation()).isEqualTo(served);
    }

    @Test
    void aWriteFoundWrittenLateIsServedWithinACheckpointTickWithoutAnotherWrite() throws Exception {
        NamespaceManager e = new NamespaceManager(tmp.resolve("data"), store, SETTINGS.with(Params.CHECKPOINT_ENABLED, true), null);
        engines.add(e);
        Namespace ns = e.create("ns1", json("{'embedding_model':null}"));
        ns.upsert(rows(0, 20), null);
        store.inject(Set.of(Call.PUT_IF_ABSENT), Fault.LOST_RESPONSE, Duration.ZERO, 1);
        store.outage(EnumSet.allOf(Call.class), Fault.ERROR, Duration.ZERO);
        assertThatThrownBy(() -> ns.upsert(rows(500, 1), null)).isInstanceOf(WalWriteException.class);
        store.clear();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        // the text index is refreshed last in an apply: once it counts the row, the apply is done
        while (ns.info().approxRowCount() != 21) {
            assertThat(System.nanoTime()).as("the late write is applied by the checkpoint ticker").isLessThan(deadline);
            Thread.sleep(10);
        }
        assertThat(ns.get(json("500"))).isNotNull();
    }

    @Test
    void aNamespaceOpenedWhileTheStoreIsDownFailsWithAnIoErrorAndOpensOnceItIsBack() throws Exception {
        NamespaceManager first = engine("data");
        first.create("ns1", json("{'embedding_model':null}")).upsert(rows(0, 20), null);
        List<String> served = observe(first.get("ns1"));
        closeEngine(first);
        NamespaceManager e = engine("other");
        store.outage(FaultInjectingObjectStore.READS, Fault.TIMEOUT, Duration.ofMillis(2));
        for (int i = 0; i < 3; i++) assertThatThrownBy(() -> e.get("ns1")).isInstanceOf(IOException.class);
        store.clear();
        assertThat(observe(e.get("ns1"))).isEqualTo(served);
    }

    /**
     * The parts of a request go to their shards' WALs together (ShardParts): a request is passed
     * on as its failure only when no part landed; when one shard's part failed and another's
     * landed, it is partly applied, an unknown outcome that names the failed shard.
     */
    @Test
    void aRequestWhosePartForOneShardFailsWhileAnotherShardWroteIsAnUnknownOutcome() throws Exception {
        NamespaceManager e = engine("data");
        Namespace ns = e.create("ns1", json("{'embedding_model':null,'num_shards':2}"));
        ns.upsert(rows(0, 20), null);
        store.outageOnKeys(FaultInjectingObjectStore.WRITES, "/wal/", Fault.ERROR, Duration.ZERO);
        assertThatThrownBy(() -> ns.upsert(rows(20, 20), null)).as("every part failed: nothing was written")
                .isInstanceOf(WalWriteException.class);
        store.clear();
        writeRetrying(ns, 40, 20); // both shards recover
        for (int failing = 0; failing < 2; failing++) {
            store.outageOnKeys(FaultInjectingObjectStore.WRITES, "ns1/shards/" + failing + "/wal/", Fault.ERROR, Duration.ZERO);
            assertThatThrownBy(() -> ns.upsert(rows(60, 20), null)).as("the other shard's part was written")
                    .isInstanceOf(WriteOutcomeUnknownException.class).hasMessageContaining("shard " + failing);
            store.clear();
            writeRetrying(ns, 80, 20);
        }
        List<String> served = observe(ns);
        assertThat(restoredObservation()).isEqualTo(served);
    }

    /** Sends the rows until they are acknowledged, as a client would; every refusal must say nothing was written. */
    static void writeRetrying(Namespace ns, int from, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                ns.upsert(rows(from, n), null);
                return;
            } catch (WalUnavailableException refused) {
                if (System.nanoTime() > deadline) throw new AssertionError("the WAL did not recover", refused);
                Thread.sleep(5);
            }
        }
    }
}
