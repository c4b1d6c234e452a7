package io.tamter.http.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL of {@code tamter serve} (a child JVM running the real command) while HTTP clients
 * write: after each restart every write that got a 200 is there with its exact content; a write
 * that got no answer is either fully there or not at all (per document). 2 kills here, 10 with
 * {@code -Dtamter.long=true}.
 */
class ServeCrashTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int WRITERS = 4;
    static final int IDS_PER_WRITER = 300;
    static final int DIMS = 8;

    @TempDir
    Path dir;

    /** What a writer knows about one of its documents: the last acked state, and a write in flight when the server died. */
    static final class Expect {
        Map<Integer, String> acked = new HashMap<>();   // id -> "v=<n>,p=<n|->" or "deleted"
        Map<Integer, String> pending = new HashMap<>(); // id -> the state the unanswered write would give
    }

    @Test
    void everyAckedWriteSurvivesSigkill() throws Exception {
        int kills = Boolean.getBoolean("tamter.long") ? 10 : 2;
        long seed = Long.getLong("tamter.seed", System.nanoTime());
        Random rnd = new Random(seed);
        Path data = dir.resolve("data");
        int port = freePort();
        List<String> ports = List.of("--set", "grid.discovery_port=" + freePort(), "--set", "grid.communication_port=" + freePort(),
                "--set", "grid.client_port=" + freePort(), "--set", "checkpoint.interval_ms=700");
        Expect[] expect = new Expect[WRITERS];
        for (int w = 0; w < WRITERS; w++) expect[w] = new Expect();
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String base = "http://127.0.0.1:" + port;
        long totalAcked = 0;
        for (int round = 0; round <= kills; round++) {
            Path out = dir.resolve("serve-" + round + ".log");
            Process p = start(data, port, ports, out);
            try {
                waitListening(p, out);
                verify(client, base, expect, seed, round);
                if (round == kills) break;
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger acked = new AtomicInteger();
                List<Thread> threads = new ArrayList<>();
                List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
                for (int w = 0; w < WRITERS; w++) {
                    int wi = w;
                    long ws = rnd.nextLong();
                    Thread t = new Thread(() -> write(client, base, wi, expect[wi], new Random(ws), stop, acked));
                    t.setUncaughtExceptionHandler((th, ex) -> failures.add(ex));
                    threads.add(t);
                    t.start();
                }
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (acked.get() == 0 && failures.isEmpty() && System.nanoTime() < until) Thread.sleep(10); // the first write opens the namespace
                Thread.sleep(300 + rnd.nextInt(2500));
                p.destroyForcibly(); // SIGKILL
                p.waitFor(30, TimeUnit.SECONDS);
                stop.set(true);
                for (Thread t : threads) t.join(60_000);
                if (!failures.isEmpty()) throw new AssertionError("a writer failed (seed " + seed + "): " + failures.get(0), failures.get(0));
                totalAcked += acked.get();
                assertThat(acked.get()).as("writes acked before kill %d (seed %d)", round, seed).isPositive();
            } finally {
                if (p.isAlive()) {
                    p.destroy(); // SIGTERM: a clean stop after the last check
                    if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
                }
            }
        }
        System.out.printf("ServeCrashTest: %d kills, %d acknowledged writes, seed %d%n", kills, totalAcked, seed);
    }

    /** One writer: upserts, patches and deletes of its own ids, one request at a time, until the server dies. */
    static void write(HttpClient client, String base, int w, Expect e, Random rnd, AtomicBoolean stop, AtomicInteger acked) {
        int version = 1000 * (int) (System.nanoTime() % 1_000_000);
        while (!stop.get()) {
            int op = rnd.nextInt(10);
            int n = 1 + rnd.nextInt(8);
            List<Integer> ids = new ArrayList<>();
            while (ids.size() < n) {
                int id = w * 1_000_000 + rnd.nextInt(IDS_PER_WRITER);
                if (!ids.contains(id)) ids.add(id);
            }
            int v = ++version;
            String method;
            String path;
            String body;
            Map<Integer, String> next = new HashMap<>();
            if (op < 6) {
                StringBuilder sb = new StringBuilder("{\"upsert_rows\":[");
                for (int i = 0; i < ids.size(); i++) {
                    if (i > 0) sb.append(',');
                    sb.append("{\"id\":").append(ids.get(i)).append(",\"vector\":").append(vector(ids.get(i), v)).append(",\"v\":").append(v).append('}');
                    next.put(ids.get(i), "v=" + v + ",p=-");
                }
                method = "POST";
                path = "/v1/namespaces/crash/upsert";
                body = sb.append("]}").toString();
            } else if (op < 8) {
                StringBuilder sb = new StringBuilder("{\"patch_rows\":[");
                for (int i = 0; i < ids.size(); i++) {
                    if (i > 0) sb.append(',');
                    sb.append("{\"id\":").append(ids.get(i)).append(",\"p\":").append(v).append('}');
                    String cur = e.acked.get(ids.get(i));
                    // a patch of a missing document changes nothing (listed in errors)
                    next.put(ids.get(i), cur == null || cur.equals("deleted") ? (cur == null ? "absent" : cur) : cur.replaceFirst(",p=.*", ",p=" + v));
                }
                method = "PATCH";
                path = "/v1/namespaces/crash/update";
                body = sb.append("]}").toString();
            } else {
                method = "POST";
                path = "/v1/namespaces/crash/batch-delete";
                body = "{\"deletes\":" + ids + "}";
                for (int id : ids) next.put(id, "deleted");
            }
            e.pending.clear();
            e.pending.putAll(next);
            try {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                        .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    for (Map.Entry<Integer, String> x : next.entrySet()) if (!x.getValue().equals("absent")) e.acked.put(x.getKey(), x.getValue());
                    e.pending.clear();
                    acked.incrementAndGet();
                } else if (r.statusCode() == 429 || r.statusCode() == 503) {
                    e.pending.clear(); // refused, nothing applied
                } else {
                    throw new AssertionError(method + " " + path + " -> " + r.statusCode() + ": " + r.body());
                }
            } catch (IOException ex) {
                return; // the server died with this write in flight: it stays pending
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static String vector(int id, int v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < DIMS; i++) sb.append(i == 0 ? "" : ",").append(1 + ((id * 31 + v * 7 + i * 13) % 97));
        return sb.append(']').toString();
    }

    /** Every id a writer touched is in its acked state, or in the state of the write that was in flight. */
    static void verify(HttpClient client, String base, Expect[] expect, long seed, int round) throws Exception {
        for (int w = 0; w < expect.length; w++) {
            Expect e = expect[w];
            java.util.Set<Integer> ids = new java.util.TreeSet<>(e.acked.keySet());
            ids.addAll(e.pending.keySet());
            boolean pendingApplied = false;
            boolean pendingMissing = false;
            for (int id : ids) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/namespaces/crash/documents/" + id + "?include_vectors=true"))
                        .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
                String got;
                if (r.statusCode() == 404) got = "deleted";
                else {
                    assertThat(r.statusCode()).as("GET %d: %s", id, r.body()).isEqualTo(200);
                    JsonNode m = JSON.readTree(r.body()).get("document");
                    int v = m.get("metadata").get("v").asInt();
                    got = "v=" + v + ",p=" + (m.get("metadata").has("p") ? m.get("metadata").get("p").asText() : "-");
                    assertThat(m.get("vector").toString().replace(".0", "")).as("vector of %d (seed %d, round %d)", id, seed, round)
                            .isEqualTo(vector(id, v));
                }
                String want = e.acked.getOrDefault(id, "deleted");
                String alt = e.pending.get(id);
                if (alt != null && alt.equals("absent")) alt = want;
                assertThat(got).as("document %d after restart %d (seed %d): acked %s, in flight %s", id, round, seed, want, alt)
                        .isIn(want, alt == null ? want : alt);
                if (alt != null && !alt.equals(want)) {
                    if (got.equals(alt)) pendingApplied = true;
                    else pendingMissing = true;
                }
                e.acked.put(id, got);
            }
            // one request is one write batch on one shard: all of it or none of it
            assertThat(pendingApplied && pendingMissing).as("writer %d's in-flight batch half applied (seed %d, round %d)", w, seed, round).isFalse();
            e.acked.values().removeIf(s -> s.equals("deleted"));
            e.pending.clear();
        }
    }

    static Process start(Path data, int port, List<String> extra, Path out) throws IOException {
        return start(data, port, extra, out, Map.of());
    }

    /** {@link #start(Path, int, List, Path)} with {@code env} added to the child's environment. */
    static Process start(Path data, int port, List<String> extra, Path out, Map<String, String> env) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String root = System.getProperty("tamter.root", "..");
        List<String> cmd = new ArrayList<>(List.of(java));
        Path opts = Path.of(root, "jvm.options");
        if (Files.exists(opts)) cmd.add("@" + opts);
        cmd.addAll(List.of("-Xmx1g", "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"), "-cp", System.getProperty("java.class.path"),
                TamterMain.class.getName(), "serve", "--data", data.toString(), "--port", Integer.toString(port)));
        cmd.addAll(extra);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    static void waitListening(Process p, Path out) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (Files.exists(out) && Files.readString(out, StandardCharsets.UTF_8).contains("tamter: listening on")) return;
            if (!p.isAlive()) throw new AssertionError("serve exited with " + p.exitValue() + ": " + Files.readString(out));
            Thread.sleep(50);
        }
        throw new AssertionError("serve did not listen within 90 s: " + Files.readString(out));
    }

    static int freePort() throws IOException {
        return io.tamter.http.api.TestServer.freePort();
    }
}
