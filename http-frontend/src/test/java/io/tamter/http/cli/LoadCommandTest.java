package io.tamter.http.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tamter.http.api.TestServer;
import io.tamter.node.vector.VectorFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tamter load} against a real server (Ignite node + engine + Javalin on free ports). */
class LoadCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static TestServer s;

    @BeforeAll
    static void start() throws Exception {
        s = TestServer.start(dir.resolve("node"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (s != null) s.close();
    }

    /** What one run of the command printed and returned. */
    record Run(int code, String out, String err) {
        /** The stderr lines that are not the progress bar. */
        List<String> errorLines() {
            List<String> l = new ArrayList<>();
            for (String line : err.split("\n")) {
                String t = line.contains("\r") ? line.substring(line.lastIndexOf('\r') + 1) : line;
                if (!t.isBlank() && !t.startsWith("[")) l.add(t);
            }
            return l;
        }
    }

    static Run load(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = LoadCommand.run(args, o, e);
        } catch (Exception x) {
            throw new AssertionError(x);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void beirCorpusLoadsAsIsAndIsSearchableByBm25() throws Exception {
        Path corpus = dir.resolve("corpus.jsonl");
        Files.writeString(corpus, """
                {"_id": "4983", "title": "Microstructural development of white matter", "text": "Diffusion tensor imaging of newborn brains.", "metadata": {}}
                {"_id": "5836", "title": "Quokka populations on islands", "text": "The quokka is a small marsupial that lives on Rottnest Island.", "metadata": {"year": 2019}}

                {"_id": "7912", "title": "Glacier retreat", "text": "Alpine glaciers lose mass every summer.", "metadata": {}}
                """);
        Run r = load("--url", s.base, "--namespace", "beir", "--batch", "2", corpus.toString());
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode summary = JSON.readTree(r.out());
        assertThat(summary.get("loaded").asLong()).isEqualTo(3);
        assertThat(summary.get("namespace").asText()).isEqualTo("beir");

        JsonNode hits = s.ok("POST", "/v1/namespaces/beir/search", "{\"text\":\"quokka marsupial\",\"mode\":\"bm25\",\"top_k\":3}").get("matches");
        assertThat(hits).isNotEmpty();
        assertThat(hits.get(0).get("id").asText()).isEqualTo("5836");
        assertThat(hits.get(0).get("metadata").get("title").asText()).isEqualTo("Quokka populations on islands");
        assertThat(hits.get(0).get("metadata").get("year").asInt()).isEqualTo(2019);
        // the title is part of the document text: a title-only word finds it
        assertThat(s.ok("POST", "/v1/namespaces/beir/search", "{\"text\":\"microstructural\",\"mode\":\"bm25\"}").get("matches").get(0)
                .get("id").asText()).isEqualTo("4983");
        JsonNode doc = s.ok("GET", "/v1/namespaces/beir/documents/7912", null).get("document");
        assertThat(doc.get("text").asText()).isEqualTo("Glacier retreat Alpine glaciers lose mass every summer.");
        assertThat(s.ok("GET", "/v1/namespaces/beir", null).get("approx_row_count").asLong()).isEqualTo(3);
    }

    @Test
    void customIdAndTextFields() throws Exception {
        Path f = dir.resolve("articles.jsonl");
        Files.writeString(f, """
                {"doc_key": "a-1", "heading": "Sourdough basics", "body": "Feed the starter with flour and water.", "lang": "en", "pages": 3}
                {"doc_key": "a-2", "heading": "Espresso", "body": "Grind fine and tamp evenly.", "lang": "it", "pages": 1}
                """);
        Run r = load("--url", s.base, "--namespace", "articles", "--id-field", "doc_key", "--text-fields", "heading,body", f.toString());
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode doc = s.ok("GET", "/v1/namespaces/articles/documents/a-1", null).get("document");
        assertThat(doc.get("text").asText()).isEqualTo("Sourdough basics Feed the starter with flour and water.");
        assertThat(doc.get("metadata").get("lang").asText()).isEqualTo("en");
        assertThat(doc.get("metadata").get("pages").asInt()).isEqualTo(3);
        assertThat(doc.get("metadata").has("heading")).as("text fields are not also attributes").isFalse();
        assertThat(doc.get("metadata").has("doc_key")).isFalse();
        JsonNode hits = s.ok("POST", "/v1/namespaces/articles/search",
                "{\"text\":\"tamp\",\"mode\":\"bm25\",\"filter\":{\"lang\":\"it\"}}").get("matches");
        assertThat(hits).hasSize(1);
        assertThat(hits.get(0).get("id").asText()).isEqualTo("a-2");

        // the id field missing on a line: one line naming file and line, nothing written
        Path bad = dir.resolve("articles-bad.jsonl");
        Files.writeString(bad, "{\"doc_key\": \"b-1\", \"body\": \"x\"}\n{\"key\": \"b-2\", \"body\": \"y\"}\n");
        Run b = load("--url", s.base, "--namespace", "articles-bad", "--id-field", "doc_key", "--text-fields", "body", bad.toString());
        assertThat(b.code()).isEqualTo(1);
        assertThat(b.errorLines()).singleElement().asString().startsWith("tamter load: " + bad + ":2: ").contains("doc_key");
        s.expect(404, "GET", "/v1/namespaces/articles-bad", null);
    }

    @Test
    void fvecsWithMetric() throws Exception {
        Path f = dir.resolve("small.fvecs");
        float[][] vs = new float[25][];
        for (int i = 0; i < vs.length; i++) vs[i] = new float[] {i, 1, 2 * i, 3};
        VectorFiles.writeFvecs(f, vs);
        Run r = load("--url", s.base, "--namespace", "vecs", "--metric", "euclidean_squared", "--batch", "10", f.toString());
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode info = s.ok("GET", "/v1/namespaces/vecs", null);
        assertThat(info.get("distance_metric").asText()).isEqualTo("euclidean_squared");
        assertThat(info.get("approx_row_count").asLong()).isEqualTo(25);
        JsonNode top = s.ok("POST", "/v1/namespaces/vecs/search", "{\"vector\":[7,1,14,3],\"top_k\":1}").get("matches").get(0);
        assertThat(top.get("id").asInt()).isEqualTo(7);
        assertThat(top.get("dist").asDouble()).isZero();
    }

    @Test
    void errorsAreOneLineNamingTheFileOrUrl() throws Exception {
        Path missing = dir.resolve("no-such-file.jsonl");
        Run m = load("--url", s.base, "--namespace", "x", missing.toString());
        assertThat(m.code()).isEqualTo(1);
        assertThat(m.errorLines()).containsExactly("tamter load: " + missing + ": no such file");

        Path ok = dir.resolve("two.jsonl");
        Files.writeString(ok, "{\"id\": 1, \"vector\": [1, 2]}\n{\"id\": 2, \"vector\": [2, 1]}\n");
        String dead = "http://127.0.0.1:" + TestServer.freePort();
        Run d = load("--url", dead, "--namespace", "x", ok.toString());
        assertThat(d.code()).isEqualTo(1);
        assertThat(d.errorLines()).containsExactly("tamter load: " + dead + ": cannot connect (is tamter serve running there?)");
        Run dm = load("--url", dead, "--namespace", "x", "--metric", "cosine", ok.toString());
        assertThat(dm.errorLines()).containsExactly("tamter load: " + dead + ": cannot connect (is tamter serve running there?)");

        Path badJson = dir.resolve("bad.jsonl");
        Files.writeString(badJson, "{\"id\": 1, \"vector\": [1, 2]}\n\n{\"id\": 2, \"vector\": [2, \n");
        Run j = load("--url", s.base, "--namespace", "badjson", badJson.toString());
        assertThat(j.code()).isEqualTo(1);
        assertThat(j.errorLines()).singleElement().asString().startsWith("tamter load: " + badJson + ":3: not JSON: ");
        s.expect(404, "GET", "/v1/namespaces/badjson", null);

        // a row the server refuses: the line of that row, with the server's code
        Path refused = dir.resolve("refused.jsonl");
        Files.writeString(refused, "{\"id\": 1, \"vector\": [1, 2]}\n{\"id\": 2, \"vector\": [1, 2, 3]}\n");
        Run rf = load("--url", s.base, "--namespace", "refused", refused.toString());
        assertThat(rf.code()).isEqualTo(1);
        assertThat(rf.errorLines()).singleElement().asString()
                .startsWith("tamter load: " + refused + ":2: refused by " + s.base + ": HTTP 400 invalid_vector_dimensions");

        for (Run run : List.of(m, d, dm, j, rf)) assertThat(run.err()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void helpAndBadArguments() {
        Run h = load("--help");
        assertThat(h.code()).isZero();
        assertThat(h.out()).startsWith("usage: tamter load").contains("--id-field", "--text-fields", "--metric", "_id");
        Run bad = load("--namespace", "x", "--metric", "manhattan", "f.fvecs");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err().strip()).startsWith("tamter load: --metric manhattan").contains("euclidean_squared").doesNotContain("\n");
        Run noNamespace = load("f.fvecs");
        assertThat(noNamespace.code()).isEqualTo(2);
        assertThat(noNamespace.err().strip()).startsWith("tamter load: ").contains("--namespace").doesNotContain("\n");
    }

    /**
     * Batch size under 429s, against a stub that refuses batches over 8 rows with 429 (Retry-After 0)
     * and answers one 503: every row arrives exactly once, the size halves to fit and grows back.
     */
    @Test
    void batchSizeHalvesOn429AndGrowsBack() throws Exception {
        List<Integer> accepted = new ArrayList<>();
        Set<Long> ids = new HashSet<>();
        AtomicBoolean unavailableOnce = new AtomicBoolean(true);
        int[] limit = {8};
        com.sun.net.httpserver.HttpServer stub = com.sun.net.httpserver.HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/", ex -> {
            JsonNode rows = JSON.readTree(ex.getRequestBody()).get("upsert_rows");
            int status;
            synchronized (accepted) {
                if (rows.size() > limit[0]) status = 429;
                else if (accepted.size() == 2 && unavailableOnce.getAndSet(false)) status = 503;
                else {
                    status = 200;
                    accepted.add(rows.size());
                    for (JsonNode r : rows) ids.add(r.get("id").asLong());
                    if (accepted.size() == 3) limit[0] = 1000; // the pressure goes away
                }
            }
            byte[] b = (status == 200 ? "{\"status\":\"ok\"}" : "{\"status\":\"error\",\"error\":{\"code\":\"backpressure\"}}")
                    .getBytes(StandardCharsets.UTF_8);
            if (status != 200) ex.getResponseHeaders().add("Retry-After", "0");
            ex.sendResponseHeaders(status, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        stub.start();
        try {
            Path f = dir.resolve("many.fvecs");
            float[][] vs = new float[1000][];
            for (int i = 0; i < vs.length; i++) vs[i] = new float[] {i, 1};
            VectorFiles.writeFvecs(f, vs);
            // one batch at a time: the sizes the stub sees are then a sequence to check
            Run r = load("--url", "http://127.0.0.1:" + stub.getAddress().getPort(), "--namespace", "stub", "--batch", "32", "--concurrency", "1",
                    f.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(ids).hasSize(1000);
            assertThat(accepted.stream().mapToInt(Integer::intValue).sum()).as("every row once").isEqualTo(1000);
            assertThat(accepted.subList(0, 3)).containsExactly(8, 8, 8);
            assertThat(accepted).as("grows back to the size asked for, not at once").contains(32).doesNotContainSequence(8, 32);
            assertThat(JSON.readTree(r.out()).get("retries").asInt()).isEqualTo(3); // 32 → 16 → 8, and the 503
        } finally {
            stub.stop(0);
        }
    }

    /**
     * Batches in flight at once, against a stub that answers after a random pause: several requests
     * do overlap, every row arrives exactly once, and the rows of one id (a JSONL file that writes
     * each of 7 ids again and again) arrive in file order, so the last line of an id is what stays.
     */
    @Test
    void concurrentBatchesKeepTheOrderOfOneId() throws Exception {
        Map<String, List<Integer>> seen = new HashMap<>();
        AtomicInteger inFlight = new AtomicInteger(), maxInFlight = new AtomicInteger();
        java.util.concurrent.CountDownLatch overlapped = new java.util.concurrent.CountDownLatch(1);
        com.sun.net.httpserver.HttpServer stub = com.sun.net.httpserver.HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.setExecutor(Executors.newFixedThreadPool(8));
        stub.createContext("/", ex -> {
            int now = inFlight.incrementAndGet();
            maxInFlight.accumulateAndGet(now, Math::max);
            try {
                if (now > 1) overlapped.countDown();
                // the first request waits (bounded) for a second one: the loader must not wait for its answer to send more
                else overlapped.await(5, TimeUnit.SECONDS);
                Thread.sleep(ThreadLocalRandom.current().nextInt(3));
                JsonNode rows = JSON.readTree(ex.getRequestBody()).get("upsert_rows");
                synchronized (seen) {
                    for (JsonNode r : rows) seen.computeIfAbsent(r.get("id").asText(), k -> new ArrayList<>()).add(r.get("line").asInt());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
            }
            byte[] b = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        stub.start();
        try {
            Path f = dir.resolve("repeats.jsonl");
            StringBuilder sb = new StringBuilder();
            for (int line = 1; line <= 400; line++)
                sb.append("{\"id\":\"k").append(line % 7).append("\",\"line\":").append(line).append(",\"vector\":[1,2]}\n");
            Files.writeString(f, sb);
            Path g = dir.resolve("unique.jsonl");
            sb.setLength(0);
            for (int line = 1; line <= 400; line++) sb.append("{\"id\":\"u").append(line).append("\",\"line\":").append(line).append(",\"vector\":[1,2]}\n");
            Files.writeString(g, sb);
            String url = "http://127.0.0.1:" + stub.getAddress().getPort();
            Run unique = load("--url", url, "--namespace", "stub", "--batch", "5", "--concurrency", "4", g.toString());
            assertThat(unique.code()).as(unique.err()).isZero();
            assertThat(maxInFlight.get()).as("batches in flight at once").isGreaterThan(1);
            synchronized (seen) {
                assertThat(seen).hasSize(400);
                seen.clear();
            }
            Run repeats = load("--url", url, "--namespace", "stub", "--batch", "3", "--concurrency", "4", f.toString());
            assertThat(repeats.code()).as(repeats.err()).isZero();
            synchronized (seen) {
                assertThat(seen).hasSize(7);
                int rows = 0;
                for (Map.Entry<String, List<Integer>> e : seen.entrySet()) {
                    assertThat(e.getValue()).as("lines of id %s in arrival order", e.getKey()).isSorted().doesNotHaveDuplicates();
                    rows += e.getValue().size();
                }
                assertThat(rows).as("every row once").isEqualTo(400);
            }
        } finally {
            stub.stop(0);
        }
    }
}
