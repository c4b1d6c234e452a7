package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.node.objectstore.FaultInjectingObjectStore;
import io.tamter.node.objectstore.FaultInjectingObjectStore.Call;
import io.tamter.node.objectstore.FaultInjectingObjectStore.Fault;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST server over an object store that fails on purpose ({@link FaultInjectingObjectStore}
 * on every call the node makes: WAL segments, checkpoints, reads). A loop of writes, searches and
 * GETs runs under each fault kind (errors, timeouts, lost responses, latency) until 20 faults of
 * that kind were injected (100 with {@code -Dtamter.long=true}); then:
 * <ul>
 *   <li>every failure was a 503 {@code storage_unavailable} with Retry-After (nothing written) or,
 *       for a write whose WAL segment may have been stored with its answer lost, a 500
 *       {@code write_outcome_unknown}; nothing else;</li>
 *   <li>once the faults stop, the loop succeeds again without a restart;</li>
 *   <li>every acknowledged row is there by GET, on this node and on a node restarted from the
 *       store alone (empty data directory); a row whose outcome was unknown is there whole or not
 *       at all;</li>
 *   <li>a read that needs the store (opening the namespace on the new node) answers 503 while the
 *       store is down and 200 once it is back.</li>
 * </ul>
 */
class StorageFaultTest {
    private static final String NS = "/v1/namespaces/faults";
    private static final Set<Call> ALL = EnumSet.allOf(Call.class);

    @TempDir
    Path tmp;
    LocalDirectoryObjectStore local;
    FaultInjectingObjectStore store;

    @BeforeEach
    void open() throws IOException {
        local = new LocalDirectoryObjectStore(tmp.resolve("store"));
        store = new FaultInjectingObjectStore(local);
    }

    @AfterEach
    void close() {
        store.clear();
        local.close();
    }

    /** Short WAL retries so faults reach the client; frequent checkpoints so they meet faults too. */
    private static final Map<String, String> SETTINGS = Map.of("wal.write_retries", "1", "wal.write_retry_backoff_ms", "1",
            "checkpoint.interval_ms", "300");

    private static String row(int id) {
        return "{\"id\":" + id + ",\"vector\":[" + (1 + id % 7) + "," + (1 + id % 5) + "," + (1 + id % 3) + "," + id
                + "],\"metadata\":{\"n\":" + id + "}}";
    }

    private static String upsert(int from, int n) {
        StringBuilder sb = new StringBuilder("{\"upsert_rows\":[");
        for (int i = from; i < from + n; i++) sb.append(i > from ? "," : "").append(row(i));
        return sb.append("]}").toString();
    }

    /** What the loop saw. */
    static final class Tally {
        final Set<Integer> acked = new TreeSet<>();
        final Set<Integer> unknown = new TreeSet<>();
        final Map<String, Integer> statuses = new LinkedHashMap<>();

        void count(String what) {
            statuses.merge(what, 1, Integer::sum);
        }
    }

    /** Asserts a failure is one the API allows under a store fault; false for a 200. */
    private static boolean failed(HttpResponse<String> r, boolean write, Tally t) {
        if (r.statusCode() == 200) return false;
        String body = r.body();
        if (r.statusCode() == 503) {
            assertThat(body).as("503 body").contains("\"storage_unavailable\"");
            assertThat(r.headers().firstValue("Retry-After")).as("503 Retry-After: " + body).isPresent();
            t.count((write ? "write " : "read ") + "503");
            return true;
        }
        assertThat(write).as("only a write may have an unknown outcome: " + r.statusCode() + " " + body).isTrue();
        assertThat(r.statusCode()).as(body).isEqualTo(500);
        assertThat(body).contains("\"write_outcome_unknown\"");
        t.count("write 500 write_outcome_unknown");
        return true;
    }

    /** One round: a write of 3 new rows, a search, a GET of an acknowledged row. True when all succeeded. */
    private static boolean round(TestServer s, int[] nextId, Tally t, Random rnd) throws IOException {
        int from = nextId[0];
        nextId[0] += 3;
        boolean ok = true;
        HttpResponse<String> w = s.call("POST", NS + "/upsert", upsert(from, 3));
        if (failed(w, true, t)) {
            ok = false;
            if (w.statusCode() == 500) for (int i = from; i < from + 3; i++) t.unknown.add(i);
        } else {
            for (int i = from; i < from + 3; i++) t.acked.add(i);
            t.count("write 200");
        }
        HttpResponse<String> q = s.call("POST", NS + "/search", "{\"vector\":[1,2,3,4],\"top_k\":5}");
        if (failed(q, false, t)) ok = false;
        else assertThat(TestServer.JSON.readTree(q.body()).get("matches")).isNotEmpty();
        Integer[] acked = t.acked.toArray(new Integer[0]);
        int id = acked[rnd.nextInt(acked.length)];
        HttpResponse<String> g = s.call("GET", NS + "/documents/" + id, null);
        if (failed(g, false, t)) ok = false;
        else assertThat(TestServer.JSON.readTree(g.body()).at("/document/metadata/n").asInt()).as("acked row " + id).isEqualTo(id);
        return ok;
    }

    private static void assertRows(TestServer s, Tally t) throws IOException {
        for (int id : t.acked) {
            JsonNode doc = s.ok("GET", NS + "/documents/" + id, null).get("document");
            assertThat(doc.at("/metadata/n").asInt()).as("acknowledged row " + id).isEqualTo(id);
        }
        for (int id : t.unknown) {
            HttpResponse<String> r = s.call("GET", NS + "/documents/" + id, null);
            assertThat(r.statusCode()).as("row " + id + " of unknown outcome is there or not: " + r.body()).isIn(200, 404);
            if (r.statusCode() == 200) assertThat(TestServer.JSON.readTree(r.body()).at("/document/metadata/n").asInt()).isEqualTo(id);
        }
    }

    @Test
    void underEveryFaultKindFailuresAre503OrUnknownAndNoAcknowledgedRowIsLost() throws Exception {
        int perKind = Boolean.getBoolean("tamter.long") ? 100 : 20;
        long seed = Long.getLong("tamter.seed", System.nanoTime());
        System.out.println("StorageFaultTest seed " + seed + " (-Dtamter.seed=" + seed + " repeats it), " + perKind + " faults per kind");
        Random rnd = new Random(seed);
        Tally t = new Tally();
        int[] nextId = {0};
        Map<Fault, String> report = new LinkedHashMap<>();
        try (TestServer s = TestServer.start(tmp.resolve("node1"), SETTINGS, store)) {
            s.ok("POST", NS + "/upsert", upsert(nextId[0], 3));
            for (int i = 0; i < 3; i++) t.acked.add(nextId[0]++);
            for (Fault kind : Fault.values()) {
                int before = store.injected();
                int rounds = 0, failedRounds = 0;
                long start = System.nanoTime();
                store.injectRandomly(ALL, kind, Duration.ofMillis(kind == Fault.LATENCY ? 5 : 2), 0.5, seed + kind.ordinal());
                while (store.injected() - before < perKind) {
                    rounds++;
                    if (!round(s, nextId, t, rnd)) failedRounds++;
                }
                store.clear();
                if (kind == Fault.LATENCY) assertThat(failedRounds).as("latency alone fails nothing").isZero();
                // the store is back: the node recovers without a restart (a few refusals while the WAL settles are allowed)
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!round(s, nextId, t, rnd)) assertThat(System.nanoTime()).as("the node recovers").isLessThan(deadline);
                for (int i = 0; i < 10; i++) assertThat(round(s, nextId, t, rnd)).as("round after the faults stopped").isTrue();
                report.put(kind, (store.injected() - before) + " faults in " + rounds + " rounds (" + failedRounds + " with a failure), "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms");
            }
            assertRows(s, t);
        }
        System.out.println("StorageFaultTest: " + report + "; responses " + t.statuses + "; " + t.acked.size() + " rows acknowledged, "
                + t.unknown.size() + " of unknown outcome");
        assertThat(t.statuses).containsKey("write 503");

        // a node with an empty data directory, from the store alone
        try (TestServer s = TestServer.start(tmp.resolve("node2"), SETTINGS, store)) {
            store.outage(FaultInjectingObjectStore.READS, Fault.ERROR, Duration.ZERO);
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = s.call("GET", NS + "/documents/0", null);
                assertThat(failed(r, false, t)).as("opening the namespace needs the store: " + r.body()).isTrue();
                assertThat(r.statusCode()).isEqualTo(503);
            }
            store.clear();
            assertRows(s, t);
            for (int i = 0; i < 5; i++) assertThat(round(s, nextId, t, rnd)).isTrue();
        }
    }
}
