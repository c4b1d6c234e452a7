package io.tamter.http.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tamter.config.Settings;
import io.tamter.node.namespace.NamespaceManager;
import io.tamter.node.objectstore.GcsTestServer;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.objectstore.ObjectStores;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 10's failover acceptance, with real processes: three {@code tamter serve} JVMs on 127.0.0.1
 * share one object store and serve one namespace of 6 shards. Writers spread upserts over the
 * nodes while one node is killed with SIGKILL; afterwards every write that got a 200 is there
 * through the survivors: GET, and a vector search's top 1. The killed node then restarts on its
 * data directory and rejoins (shards spread again) before the next round. One kill here, 10 with
 * {@code -Dtamter.long=true}.
 *
 * <p>Run twice (issue 11): on a {@code file://} directory, and on {@code gs://} against
 * {@link GcsTestServer} in this JVM, which the three children reach through
 * {@code STORAGE_EMULATOR_HOST} with their own GCS clients. There every conditional write (the
 * WAL's create-if-absent and its successor's claim, the manifest's and {@code meta.json}'s
 * compare-and-set) is a generation precondition evaluated by that one server for three processes
 * at once. One kill per store by default; {@code -Dtamter.stores=gs} runs one store.
 */
class GridFailoverTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int NODES = 3;
    static final int WRITERS = 3;
    static final int DIMS = 8;

    @TempDir
    Path dir;

    static final String BUCKET = "tamter-grid";

    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** The {@code --object-store} URI every node gets, and the environment its process starts with. */
    String storeUri;
    Map<String, String> env = Map.of();

    /** Both stores; {@code -Dtamter.stores=gs} (or {@code file}) runs one. */
    static java.util.stream.Stream<String> stores() {
        return io.tamter.http.api.TestServer.stores("file,gs");
    }

    @ParameterizedTest(name = "object store {0}")
    @MethodSource("stores")
    void noAckedWriteLostWhenANodeIsKilled(String scheme) throws Exception {
        try (GcsTestServer gcs = scheme.equals("gs") ? new GcsTestServer().createBucket(BUCKET) : null) {
            if (gcs == null) {
                storeUri = dir.resolve("store").toUri().toString();
            } else {
                storeUri = "gs://" + BUCKET + "/grid";
                env = Map.of("STORAGE_EMULATOR_HOST", gcs.endpoint().substring("http://".length()));
            }
            killUnderWrites();
            if (gcs != null) {
                System.out.printf("GridFailoverTest: GCS test server: %d inserts, %d media reads, %d lists; preconditions that failed (412): %s%n",
                        gcs.requests(GcsTestServer.Op.INSERT), gcs.requests(GcsTestServer.Op.GET_MEDIA), gcs.requests(GcsTestServer.Op.LIST),
                        gcs.preconditionFailures());
                assertThat(gcs.unhandled()).as("routes the GCS test server does not speak").isEmpty();
                assertThat(gcs.blob(BUCKET, "grid/fo/meta.json")).as("the namespace lives in the bucket").isNotNull();
            }
        }
    }

    void killUnderWrites() throws Exception {
        long began = System.nanoTime();
        int kills = Boolean.getBoolean("tamter.long") ? 10 : 1;
        long seed = Long.getLong("tamter.seed", System.nanoTime());
        Random rnd = new Random(seed);
        try (ObjectStore s = ObjectStores.open(URI.create(storeUri), env);
                NamespaceManager m = new NamespaceManager(dir.resolve("setup"), s, Settings.defaults(), null)) {
            m.create("fo", JSON.readTree("{\"num_shards\":6,\"distance_metric\":\"euclidean_squared\",\"embedding_model\":null}"));
        }
        int[] httpPorts = new int[NODES], gridPorts = new int[NODES];
        for (int i = 0; i < NODES; i++) {
            httpPorts[i] = ServeCrashTest.freePort();
            gridPorts[i] = ServeCrashTest.freePort();
        }
        StringBuilder join = new StringBuilder();
        for (int i = 0; i < NODES; i++) join.append(i > 0 ? "," : "").append("127.0.0.1:").append(gridPorts[i]);
        Process[] procs = new Process[NODES];
        int[] starts = new int[NODES];
        Map<Integer, float[]> acked = new ConcurrentHashMap<>();
        try {
            for (int i = 0; i < NODES; i++) procs[i] = start(i, httpPorts, gridPorts, join.toString(), starts);
            for (int i = 0; i < NODES; i++) ServeCrashTest.waitListening(procs[i], log(i, starts[i]));
            awaitReady(httpPorts);
            System.out.printf("GridFailoverTest: %s: three nodes ready %d ms after the test began%n", storeUri, (System.nanoTime() - began) / 1_000_000);
            AtomicInteger nextId = new AtomicInteger();
            for (int round = 0; round < kills; round++) {
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger ackedNow = new AtomicInteger();
                List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
                List<Thread> writers = new ArrayList<>();
                boolean[] dead = new boolean[NODES];
                for (int w = 0; w < WRITERS; w++) {
                    long ws = rnd.nextLong();
                    Thread t = new Thread(() -> write(httpPorts, dead, new Random(ws), nextId, acked, ackedNow, stop));
                    t.setUncaughtExceptionHandler((th, ex) -> failures.add(ex));
                    writers.add(t);
                    t.start();
                }
                Thread.sleep(1500 + rnd.nextInt(2500)); // a random moment of the load
                // and a load under way: some writes of this round acked (on a loaded machine the first can take longer)
                long loaded = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (ackedNow.get() < 10 && System.nanoTime() < loaded) Thread.sleep(20);
                assertThat(ackedNow.get()).as("writes acked before the kill (seed %d)", seed).isGreaterThanOrEqualTo(10);
                int victim = rnd.nextInt(NODES);
                int before = ackedNow.get();
                dead[victim] = true;
                procs[victim].destroyForcibly(); // SIGKILL
                procs[victim].waitFor(30, TimeUnit.SECONDS);
                long killedAt = System.nanoTime();
                // writes go on through the survivors: wait for more acks, and time the first search answered after the kill
                int survivor = (victim + 1) % NODES;
                float[] probe = acked.values().iterator().next();
                JsonNode first = post(httpPorts[survivor], "/v1/namespaces/fo/search", "{\"vector\":" + vec(probe) + ",\"top_k\":1}");
                long searchMs = (System.nanoTime() - killedAt) / 1_000_000;
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (ackedNow.get() < before + 30 && System.nanoTime() < until) Thread.sleep(50);
                long writesMs = (System.nanoTime() - killedAt) / 1_000_000;
                stop.set(true);
                for (Thread t : writers) t.join(120_000);
                if (!failures.isEmpty()) throw new AssertionError("a writer failed (seed " + seed + "): " + failures.get(0), failures.get(0));
                assertThat(first.path("status").asText()).as("search after the kill (seed %d): %s", seed, first).isEqualTo("ok");
                assertThat(ackedNow.get()).as("writes acked after the kill of node %d (seed %d)", victim, seed).isGreaterThanOrEqualTo(before + 30);
                System.out.printf("GridFailoverTest: round %d: killed node %d after %d acked writes; first search answered %d ms after the kill, "
                        + "30 more writes acked within %d ms%n", round, victim, before, searchMs, writesMs);
                verify(httpPorts[survivor], acked, seed);
                verify(httpPorts[(victim + 2) % NODES], acked, seed);
                long restartAt = System.nanoTime();
                // the killed node restarts on its data directory and rejoins; shards spread again
                procs[victim] = start(victim, httpPorts, gridPorts, join.toString(), starts);
                ServeCrashTest.waitListening(procs[victim], log(victim, starts[victim]));
                awaitReady(httpPorts);
                verify(httpPorts[victim], acked, seed);
                System.out.printf("GridFailoverTest: round %d: survivors verified %d ms after the kill; node %d restarted, ready and verified in %d ms%n",
                        round, (restartAt - killedAt) / 1_000_000, victim, (System.nanoTime() - restartAt) / 1_000_000);
            }
            System.out.printf("GridFailoverTest: %s: %d kill(s), %d acknowledged rows, all present (seed %d), %d ms%n", storeUri, kills, acked.size(),
                    seed, (System.nanoTime() - began) / 1_000_000);
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

    Process start(int i, int[] httpPorts, int[] gridPorts, String join, int[] starts) throws IOException {
        starts[i]++;
        List<String> extra = List.of("--object-store", storeUri, "--grid-port", Integer.toString(gridPorts[i]), "--join", join,
                "--set", "grid.communication_port=" + ServeCrashTest.freePort(), "--set", "grid.client_port=" + ServeCrashTest.freePort(),
                "--set", "index.build_threshold=1000000", // exact search: top 1 of a stored vector is that row, whatever the index
                "--set", "checkpoint.interval_ms=1500", "--set", "grid.ownership_check_ms=300");
        return ServeCrashTest.start(dir.resolve("data" + i), httpPorts[i], extra, log(i, starts[i]), env);
    }

    /** Waits until every node answers /ready (its owned shards open). */
    void awaitReady(int[] ports) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        for (int p : ports) {
            while (true) {
                try {
                    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p + "/ready")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) break;
                } catch (IOException e) {
                    // not up yet
                }
                if (System.nanoTime() > end) throw new AssertionError("node on port " + p + " not ready within 90 s");
                Thread.sleep(100);
            }
        }
    }

    /** One writer: upserts of 5 new rows at a time, to a random live node, until stopped. */
    void write(int[] ports, boolean[] dead, Random rnd, AtomicInteger nextId, Map<Integer, float[]> acked, AtomicInteger ackedNow,
            AtomicBoolean stop) {
        while (!stop.get()) {
            int node = rnd.nextInt(ports.length);
            if (dead[node]) continue;
            Map<Integer, float[]> rows = new java.util.LinkedHashMap<>();
            StringBuilder sb = new StringBuilder("{\"upsert_rows\":[");
            for (int i = 0; i < 5; i++) {
                int id = nextId.getAndIncrement();
                float[] v = new float[DIMS];
                for (int d = 0; d < DIMS; d++) v[d] = rnd.nextFloat();
                rows.put(id, v);
                sb.append(i > 0 ? "," : "").append("{\"id\":").append(id).append(",\"vector\":").append(vec(v)).append('}');
            }
            HttpResponse<String> r;
            try {
                r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[node] + "/v1/namespaces/fo/upsert"))
                        .timeout(Duration.ofSeconds(90)).POST(HttpRequest.BodyPublishers.ofString(sb.append("]}").toString())).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                continue; // the node died under the request: no answer, not acked
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (r.statusCode() == 200) {
                acked.putAll(rows);
                ackedNow.addAndGet(rows.size());
            } else if (r.statusCode() != 503 && r.statusCode() != 500) {
                throw new AssertionError("upsert answered " + r.statusCode() + ": " + r.body());
            }
        }
    }

    /** Every acked row: GET finds it, and a search for its vector has it as the top 1. */
    void verify(int port, Map<Integer, float[]> acked, long seed) throws Exception {
        int missing = 0, wrongTop = 0;
        List<String> examples = new ArrayList<>();
        for (Map.Entry<Integer, float[]> e : acked.entrySet()) {
            HttpResponse<String> g = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/namespaces/fo/documents/"
                    + e.getKey())).timeout(Duration.ofSeconds(90)).build(), HttpResponse.BodyHandlers.ofString());
            if (g.statusCode() != 200) {
                missing++;
                if (examples.size() < 5) examples.add("GET " + e.getKey() + " -> " + g.statusCode() + " " + g.body());
                continue;
            }
            JsonNode top = post(port, "/v1/namespaces/fo/search", "{\"vector\":" + vec(e.getValue()) + ",\"top_k\":1}");
            JsonNode m = top.path("matches").path(0);
            if (m.path("id").asInt(-1) != e.getKey()) {
                wrongTop++;
                if (examples.size() < 5) examples.add("top-1 of " + e.getKey() + " -> " + top);
            }
        }
        assertThat(missing + wrongTop).as("acked rows lost through port %d: %d missing, %d not top-1, of %d (seed %d): %s", port, missing,
                wrongTop, acked.size(), seed, examples).isZero();
    }

    JsonNode post(int port, String path, String body) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(90))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    static String vec(float[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) sb.append(i > 0 ? "," : "").append(v[i]);
        return sb.append("]").toString();
    }

    static String read(Path p) throws IOException {
        return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
    }
}
