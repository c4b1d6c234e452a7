package io.tamter.http.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10's join-under-load acceptance, with real processes: three {@code tamter serve} JVMs on
 * 127.0.0.1 share one {@code file://} object store and serve one namespace of 12 shards; writers
 * upsert new ids in batches through the live nodes and a searcher asks for the top 1 of acked rows,
 * while a fourth {@code tamter serve} joins. Once {@code GET /v1/cluster} shows the fourth node
 * owning shards and it is ready, and more writes have been acked after that, the load stops and:
 * every acked id is there (GET, and top 1 of a search for its own vector, through the new node; in
 * the long form through an old one too); the namespace's export lists no id twice and no id that was never sent, and lists
 * every acked one; its row count equals the number of ids listed. A batch that was answered with an
 * error (or not at all) may or may not be there, but never twice.
 *
 * <p>Node ids are fixed ({@code DATA/node-id}), so the shards' placement over the four nodes is
 * the same in every run; with them, the fourth node owns shards of {@code fo}. One join here; with
 * {@code -Dtamter.long=true}, 5 rounds, the fourth node leaving with SIGTERM (a graceful leave)
 * between them and joining again under load.
 */
class GridJoinTest {
    static final int NODES = 4;
    static final int WRITERS = 2;
    /** Pause of a writer between its batches: keeps the rows to verify (two requests each) to a few hundred per round. */
    static final long WRITE_PAUSE_MS = 100;
    static final int DIMS = GridFailoverTest.DIMS;
    static final String NEW_NODE = "join-3";

    @TempDir
    Path dir;

    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** GridFailoverTest's checks (readiness; GET and top 1 of every acked row of {@code fo}); they use only their HTTP client. */
    final GridFailoverTest checks = new GridFailoverTest();

    @Test
    void aFourthNodeJoinsUnderLoadWithNoWriteLostOrDuplicated() throws Exception {
        long began = System.nanoTime();
        int rounds = Boolean.getBoolean("tamter.long") ? 5 : 1;
        long seed = Long.getLong("tamter.seed", System.nanoTime());
        Random rnd = new Random(seed);
        Path store = dir.resolve("store");
        int[] httpPorts = new int[NODES], gridPorts = new int[NODES];
        for (int i = 0; i < NODES; i++) {
            httpPorts[i] = ServeCrashTest.freePort();
            gridPorts[i] = ServeCrashTest.freePort();
        }
        StringBuilder join = new StringBuilder();
        for (int i = 0; i < NODES; i++) join.append(i > 0 ? "," : "").append("127.0.0.1:").append(gridPorts[i]);
        Process[] procs = new Process[NODES];
        int[] starts = new int[NODES];
        boolean[] live = new boolean[NODES];
        Map<Integer, float[]> acked = new ConcurrentHashMap<>();
        Set<Integer> unacked = ConcurrentHashMap.newKeySet(); // sent, answered with an error or not at all
        AtomicInteger nextId = new AtomicInteger();
        try {
            for (int i = 0; i < NODES - 1; i++) procs[i] = start(i, store, httpPorts, gridPorts, join.toString(), starts);
            for (int i = 0; i < NODES - 1; i++) {
                ServeCrashTest.waitListening(procs[i], log(i, starts[i]));
                live[i] = true;
            }
            checks.awaitReady(java.util.Arrays.copyOf(httpPorts, NODES - 1));
            System.out.printf("GridJoinTest: three nodes ready %d ms after the test began%n", (System.nanoTime() - began) / 1_000_000);
            JsonNode created = send("PUT", httpPorts[0], "/v1/namespaces/fo",
                    "{\"num_shards\":12,\"distance_metric\":\"euclidean_squared\",\"embedding_model\":null}");
            assertThat(created.path("status").asText()).as(created.toString()).isEqualTo("ok");
            for (int round = 0; round < rounds; round++) {
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger ackedNow = new AtomicInteger();
                AtomicLong searches = new AtomicLong(), retriedSearches = new AtomicLong();
                Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
                List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
                List<Thread> load = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    long ws = rnd.nextLong();
                    load.add(new Thread(() -> write(httpPorts, live, new Random(ws), nextId, acked, unacked, ackedNow, statuses, stop)));
                }
                long ss = rnd.nextLong();
                load.add(new Thread(() -> search(httpPorts, live, new Random(ss), acked, searches, retriedSearches, stop)));
                for (Thread t : load) {
                    t.setUncaughtExceptionHandler((th, ex) -> failures.add(ex));
                    t.start();
                }
                awaitAcked(ackedNow, 60, failures);
                int before = ackedNow.get();
                long t0 = System.nanoTime();
                int n = NODES - 1;
                procs[n] = start(n, store, httpPorts, gridPorts, join.toString(), starts);
                ServeCrashTest.waitListening(procs[n], log(n, starts[n]));
                live[n] = true; // the writers and the searcher send to it too from now on
                int owned = awaitOwner(httpPorts[0], NEW_NODE, failures);
                checks.awaitReady(new int[] {httpPorts[n]});
                long joinedMs = (System.nanoTime() - t0) / 1_000_000;
                int atOwner = ackedNow.get();
                awaitAcked(ackedNow, atOwner + 60, failures); // writes go on with the shards on their new owner
                stop.set(true);
                for (Thread t : load) t.join(120_000);
                if (!failures.isEmpty()) throw new AssertionError("load failed (seed " + seed + "): " + failures.get(0), failures.get(0));
                System.out.printf("GridJoinTest: round %d: node %s started after %d acked rows, owned %d of 12 shards and was ready %d ms after "
                        + "its start; %d rows acked by then, %d in all; upsert answers %s; %d searches (%d retried after a 503)%n", round, NEW_NODE,
                        before, owned, joinedMs, atOwner, ackedNow.get(), statuses, searches.get(), retriedSearches.get());
                assertThat(ackedNow.get()).isGreaterThan(atOwner);

                long v0 = System.nanoTime();
                checks.verify(httpPorts[n], acked, seed); // through the new node
                if (rounds > 1) checks.verify(httpPorts[0], acked, seed); // and an old one (long form: the default suite's time is short)
                List<Integer> listed = exportIds(httpPorts[n]);
                Set<Integer> distinct = new HashSet<>(listed);
                assertThat(listed).as("ids listed twice (seed %d)", seed).hasSameSizeAs(distinct);
                assertThat(distinct).as("acked ids missing from the export (seed %d)", seed).containsAll(acked.keySet());
                Set<Integer> sent = new HashSet<>(acked.keySet());
                sent.addAll(unacked);
                assertThat(sent).as("ids listed that were never sent (seed %d)", seed).containsAll(distinct);
                JsonNode meta = get(httpPorts[0], "/v1/namespaces/fo");
                assertThat(meta.path("approx_row_count").asInt()).as("row count (seed %d): %s", seed, meta).isEqualTo(distinct.size());
                System.out.printf("GridJoinTest: round %d: %d acked ids all present once; %d listed in all (%d of %d unacked batches' ids there); "
                        + "checked in %d ms%n", round, acked.size(), distinct.size(), distinct.size() - acked.size(), unacked.size(),
                        (System.nanoTime() - v0) / 1_000_000);

                if (round + 1 < rounds) { // the fourth node leaves (SIGTERM: a graceful leave) before it joins again
                    live[n] = false;
                    procs[n].destroy();
                    assertThat(procs[n].waitFor(120, TimeUnit.SECONDS)).isTrue();
                    awaitOwner(httpPorts[0], NEW_NODE, failures, true);
                }
            }
        } finally {
            for (Process p : procs) {
                if (p == null || !p.isAlive()) continue;
                p.destroy();
                if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
            }
        }
    }

    Path log(int node, int start) {
        return dir.resolve("node" + node + "-" + start + ".log");
    }

    /** {@code tamter serve} on {@code DATA<i>}, its node id fixed to {@code join-<i>} (the placement of shards follows the ids). */
    Process start(int i, Path store, int[] httpPorts, int[] gridPorts, String join, int[] starts) throws IOException {
        starts[i]++;
        Path data = dir.resolve("data" + i);
        Files.createDirectories(data);
        Files.writeString(data.resolve("node-id"), "join-" + i + "\n", StandardCharsets.UTF_8);
        List<String> extra = List.of("--object-store", store.toUri().toString(), "--grid-port", Integer.toString(gridPorts[i]), "--join", join,
                "--set", "grid.communication_port=" + ServeCrashTest.freePort(), "--set", "grid.client_port=" + ServeCrashTest.freePort(),
                "--set", "index.build_threshold=1000000", // exact search: top 1 of a stored vector is that row, whatever the index
                "--set", "checkpoint.interval_ms=1500", "--set", "grid.ownership_check_ms=300");
        return ServeCrashTest.start(data, httpPorts[i], extra, log(i, starts[i]));
    }

    static void awaitAcked(AtomicInteger acked, int atLeast, List<Throwable> failures) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (acked.get() < atLeast) {
            if (!failures.isEmpty()) throw new AssertionError("load failed: " + failures.get(0), failures.get(0));
            if (System.nanoTime() > end) throw new AssertionError("only " + acked.get() + " rows acked, waited for " + atLeast);
            Thread.sleep(20);
        }
    }

    int awaitOwner(int port, String node, List<Throwable> failures) throws Exception {
        return awaitOwner(port, node, failures, false);
    }

    /** Waits until {@code GET /v1/cluster} shows {@code node} owning shards (or, {@code gone}, not in the grid); returns its shard count. */
    int awaitOwner(int port, String node, List<Throwable> failures, boolean gone) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        JsonNode cluster = null;
        while (System.nanoTime() < end) {
            if (!failures.isEmpty()) throw new AssertionError("load failed: " + failures.get(0), failures.get(0));
            cluster = get(port, "/v1/cluster");
            int owned = -1;
            for (JsonNode n : cluster.path("nodes")) if (n.path("id").asText().equals(node)) owned = n.path("shards").asInt();
            if (gone ? owned < 0 : owned > 0) return owned;
            Thread.sleep(100);
        }
        throw new AssertionError("node " + node + (gone ? " still in the grid" : " owns no shard") + " after 120 s: " + cluster);
    }

    /** One writer: upserts of 5 new ids at a time, each through a random live node, until stopped. */
    void write(int[] ports, boolean[] live, Random rnd, AtomicInteger nextId, Map<Integer, float[]> acked, Set<Integer> unacked,
            AtomicInteger ackedNow, Map<Integer, AtomicInteger> statuses, AtomicBoolean stop) {
        while (!stop.get()) {
            int node = rnd.nextInt(ports.length);
            if (!live[node]) continue;
            Map<Integer, float[]> rows = new LinkedHashMap<>();
            StringBuilder sb = new StringBuilder("{\"upsert_rows\":[");
            for (int i = 0; i < 5; i++) {
                int id = nextId.getAndIncrement();
                float[] v = new float[DIMS];
                for (int d = 0; d < DIMS; d++) v[d] = rnd.nextFloat();
                rows.put(id, v);
                sb.append(i > 0 ? "," : "").append("{\"id\":").append(id).append(",\"vector\":").append(GridFailoverTest.vec(v)).append('}');
            }
            HttpResponse<String> r;
            try {
                r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[node] + "/v1/namespaces/fo/upsert"))
                        .timeout(Duration.ofSeconds(90)).POST(HttpRequest.BodyPublishers.ofString(sb.append("]}").toString())).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                unacked.addAll(rows.keySet()); // no answer: not acked, may be there
                statuses.computeIfAbsent(0, k -> new AtomicInteger()).incrementAndGet();
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            statuses.computeIfAbsent(r.statusCode(), k -> new AtomicInteger()).incrementAndGet();
            if (r.statusCode() == 200) {
                acked.putAll(rows);
                ackedNow.addAndGet(rows.size());
            } else if (r.statusCode() == 503 || r.statusCode() == 500) {
                unacked.addAll(rows.keySet());
            } else {
                throw new AssertionError("upsert answered " + r.statusCode() + ": " + r.body());
            }
            try {
                Thread.sleep(WRITE_PAUSE_MS); // pacing of the load, not an order of events
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * The searcher: the top 1 of an acked row's vector, through a random live node, must be that row
     * (exact search); a 503 (a shard moving past the retries) is sent again.
     */
    void search(int[] ports, boolean[] live, Random rnd, Map<Integer, float[]> acked, AtomicLong searches, AtomicLong retried, AtomicBoolean stop) {
        List<Integer> ids = new ArrayList<>();
        while (!stop.get()) {
            int node = rnd.nextInt(ports.length);
            if (!live[node]) continue;
            if (ids.size() < acked.size()) ids = new ArrayList<>(acked.keySet()); // acked rows only grow
            if (ids.isEmpty()) {
                Thread.onSpinWait();
                continue;
            }
            int id = ids.get(rnd.nextInt(ids.size()));
            HttpResponse<String> r;
            try {
                r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[node] + "/v1/namespaces/fo/search"))
                        .timeout(Duration.ofSeconds(90)).POST(HttpRequest.BodyPublishers.ofString(
                                "{\"vector\":" + GridFailoverTest.vec(acked.get(id)) + ",\"top_k\":1}")).build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new AssertionError("search through live node " + node + " failed: " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (r.statusCode() == 503) {
                retried.incrementAndGet();
                continue;
            }
            assertThat(r.statusCode()).as("search: %s", r.body()).isEqualTo(200);
            try {
                int top = GridFailoverTest.JSON.readTree(r.body()).path("matches").path(0).path("id").asInt(-1);
                assertThat(top).as("top 1 of acked row %d's vector: %s", id, r.body()).isEqualTo(id);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            searches.incrementAndGet();
        }
    }

    JsonNode get(int port, String path) throws Exception {
        return send("GET", port, path, null);
    }

    JsonNode send(String method, int port, String path, String body) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(90))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        return GridFailoverTest.JSON.readTree(r.body());
    }

    /** Every id of {@code fo}, in export order (pages of 1,000). */
    List<Integer> exportIds(int port) throws Exception {
        List<Integer> ids = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = get(port, "/v1/namespaces/fo/documents?limit=1000"
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)));
            assertThat(page.path("status").asText()).as(page.toString()).isEqualTo("ok");
            for (JsonNode d : page.path("documents")) ids.add(d.path("id").asInt());
            cursor = page.path("next_cursor").isNull() ? null : page.path("next_cursor").asText();
        } while (cursor != null);
        return ids;
    }
}
