package io.tamter.http.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM of {@code tamter serve} (a child JVM, started as {@link ServeCrashTest} does) while
 * clients send single-row upserts with unique ids (issue 9 item 7): after the restart every id that
 * was acked (200) is there, and no id that was answered 503 is there (a 503 promises that nothing
 * was written). An id with no answer (connection closed), 500 {@code write_outcome_unknown} or Jetty's
 * 500 for an exchange the stop tore down (EofException) may be either. 2 SIGTERMs here (one with the default drain, one with {@code http.drain_ms=0}), 8 with
 * {@code -Dtamter.long=true}. Without {@code IGNITE_NO_SHUTDOWN_HOOK} in serve it failed on the
 * first SIGTERM: Ignite's own hook cancelled the running upserts' tasks (503) and their jobs applied them.
 */
class ServeShutdownTest {
    static final int WRITERS = 8;

    @TempDir
    Path dir;

    @Test
    void sigtermNeverAnswers503ForAnAppliedWrite() throws Exception {
        int stops = Boolean.getBoolean("tamter.long") ? 8 : 2;
        long seed = Long.getLong("tamter.seed", System.nanoTime());
        Random rnd = new Random(seed);
        Path data = dir.resolve("data");
        int port = ServeCrashTest.freePort();
        List<String> extra = List.of("--set", "grid.discovery_port=" + ServeCrashTest.freePort(),
                "--set", "grid.communication_port=" + ServeCrashTest.freePort(), "--set", "grid.client_port=" + ServeCrashTest.freePort());
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String base = "http://127.0.0.1:" + port;
        Set<Integer> acked = ConcurrentHashMap.newKeySet();
        Set<Integer> refused = ConcurrentHashMap.newKeySet();   // 503
        Set<Integer> unknown = ConcurrentHashMap.newKeySet();   // no answer, or 500 write_outcome_unknown
        List<String> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
        Map<String, Integer> codes = new ConcurrentHashMap<>(); // error code of each 503
        for (int round = 0; round <= stops; round++) {
            Path out = dir.resolve("serve-" + round + ".log");
            // every other round with http.drain_ms=0: the in-flight writes outlive the drain, HTTP stops under
            // them and the node closes with their jobs running (they may get no answer, but never a false 503)
            List<String> args = new ArrayList<>(extra);
            if (round % 2 == 1) args.addAll(List.of("--set", "http.drain_ms=0"));
            Process p = ServeCrashTest.start(data, port, args, out);
            try {
                ServeCrashTest.waitListening(p, out);
                verify(client, base, acked, refused, seed, round, out);
                System.out.printf("ServeShutdownTest after stop %d: %d acked, %d answered 503 %s, %d without a clear answer (seed %d)%n",
                        round, acked.size(), refused.size(), codes, unknown.size(), seed);
                codes.clear();
                if (round == stops) break;
                acked.clear();
                refused.clear();
                unknown.clear();
                AtomicInteger next = new AtomicInteger((round + 1) * 10_000_000);
                List<Thread> threads = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    Thread t = new Thread(() -> write(client, base, next, acked, refused, unknown, codes, unexpected));
                    threads.add(t);
                    t.start();
                }
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (acked.isEmpty() && System.nanoTime() < until && p.isAlive()) Thread.sleep(10); // the first write creates the namespace
                Thread.sleep(500 + rnd.nextInt(1500));
                p.destroy(); // SIGTERM
                assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("serve stops within 90 s after SIGTERM").isTrue();
                for (Thread t : threads) t.join(60_000);
                assertThat(unexpected).as("unexpected answers (seed %d)", seed).isEmpty();
                assertThat(acked).as("writes acked before SIGTERM %d", round).isNotEmpty();
            } finally {
                if (p.isAlive()) {
                    p.destroy();
                    if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
                }
            }
        }
    }

    /** One writer: single-row upserts of fresh ids, one at a time, until the server stops answering. */
    static void write(HttpClient client, String base, AtomicInteger next, Set<Integer> acked, Set<Integer> refused, Set<Integer> unknown,
            Map<String, Integer> codes, List<String> unexpected) {
        while (true) {
            int id = next.incrementAndGet();
            String body = "{\"upsert_rows\":[{\"id\":" + id + ",\"vector\":" + ServeCrashTest.vector(id, 1) + ",\"v\":1}]}";
            try {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/namespaces/stop/upsert"))
                        .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) acked.add(id);
                else if (r.statusCode() == 503) {
                    refused.add(id);
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"code\"\\s*:\\s*\"([a-z_]+)\"").matcher(r.body());
                    codes.merge(m.find() ? m.group(1) : "?", 1, Integer::sum);
                }
                else if (r.statusCode() == 500 && (r.body().contains("write_outcome_unknown") || r.body().contains("EofException")))
                    unknown.add(id); // the outcome is unknown; EofException: Jetty's answer when the stop tore the exchange down
                else if (r.statusCode() != 429) unexpected.add(id + " -> " + r.statusCode() + ": " + r.body());
            } catch (IOException e) {
                unknown.add(id); // connection closed with the write in flight, or refused: the server is gone
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static void verify(HttpClient client, String base, Set<Integer> acked, Set<Integer> refused, long seed, int round, Path prevLog)
            throws Exception {
        List<Integer> lost = new ArrayList<>();
        List<Integer> appliedAfter503 = new ArrayList<>();
        for (int id : acked) if (!present(client, base, id)) lost.add(id);
        for (int id : refused) if (present(client, base, id)) appliedAfter503.add(id);
        if ((!lost.isEmpty() || !appliedAfter503.isEmpty()) && round > 0) {
            // the stopped server's shutdown lines, for the report (the temp dir goes away)
            Path log = prevLog.resolveSibling("serve-" + (round - 1) + ".log");
            for (String line : Files.readAllLines(log))
                if (line.matches("(?i).*(shutdown|stopping|stopped|grid call failed|cancel|in flight|\\s503\\s).*"))
                    System.out.println("serve-" + (round - 1) + ".log: " + (line.length() > 300 ? line.substring(0, 300) : line));
        }
        assertThat(lost).as("acked ids missing after restart %d (seed %d)", round, seed).isEmpty();
        assertThat(appliedAfter503).as("ids answered 503 but present after restart %d (seed %d, %d answered 503)",
                round, seed, refused.size()).isEmpty();
    }

    static boolean present(HttpClient client, String base, int id) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/namespaces/stop/documents/" + id))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 404) return false;
        assertThat(r.statusCode()).as("GET %d: %s", id, r.body()).isEqualTo(200);
        return true;
    }
}
