package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.config.Params;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-input corpus ({@code src/test/resources/bad-input/*.jsonl}, format in its README):
 * every case is sent over a plain socket, byte for byte as the file says, to a real server holding
 * a seeded namespace, and must get the expected 4xx with API.md's error body (a code and a
 * message). After the whole corpus the seeded namespace must read back exactly as before (every
 * document, the metadata, the schema, search results) and no namespace may have appeared.
 *
 * <p>Cases with {@code "server":"small"} (oversize bodies) go to a second server whose
 * {@code http.max_body_bytes} is {@value #SMALL_LIMIT}, seeded and checked the same way. What each
 * case got is written to {@code target/bad-input-report.jsonl}.
 */
class BadInputCorpusTest {
    static final String NS = "corpus";
    /** A valid namespace name that must not exist after the corpus: rejected first writes must not leave it behind. */
    static final String FRESH = "corpus-fresh";
    static final int SMALL_LIMIT = 4096;
    static final int MIN_CASES = 200;
    static final List<String> SEEDED_IDS = List.of("1", "2", "doc-3", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "18446744073709551615");

    /** Reads the corpus exactly: big numbers stay big, and a duplicate key in a case line is a mistake in the corpus. */
    static final ObjectMapper CORPUS_JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    @TempDir
    static Path dir;
    static TestServer main;
    static TestServer small;
    static String mainBefore;
    static String smallBefore;
    static final List<String> report = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        main = TestServer.start(dir.resolve("main"));
        small = TestServer.start(dir.resolve("small"), Map.of(Params.HTTP_MAX_BODY_BYTES.key(), Integer.toString(SMALL_LIMIT)));
        for (TestServer s : List.of(main, small)) seed(s);
        mainBefore = snapshot(main);
        smallBefore = snapshot(small);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            Path target = Path.of("target");
            if (Files.isDirectory(target)) Files.write(target.resolve("bad-input-report.jsonl"), report);
        } finally {
            if (main != null) main.close();
            if (small != null) small.close();
        }
    }

    /**
     * The namespace the corpus runs against: declared attributes of every kind the filters and
     * type checks care about (datetime must be declared; a full-text attribute is not filterable),
     * then five documents with every id kind.
     */
    static void seed(TestServer s) {
        String ns = "/v1/namespaces/" + NS;
        s.ok("PUT", ns + "/schema", """
                {"released":{"type":"datetime"},"body":{"type":"string","full_text_search":true},
                 "hidden":{"type":"string","filterable":false},"ratings":{"type":"[]float"}}""");
        s.ok("POST", ns + "/upsert", """
                {"upsert_rows":[
                 {"id":1,"vector":[0.1,0.2,0.3,0.4],"text":"the quick red fox","metadata":{"title":"fox","price":10,"score":1.5,
                  "in_stock":true,"tags":["animal","red"],"sizes":[1,2,3],"released":"2024-01-15T10:00:00Z","version":1}},
                 {"id":2,"vector":[0.4,0.3,0.2,0.1],"text":"a lazy brown dog","title":"dog","price":25,"score":2.25,"in_stock":false,
                  "tags":["animal"],"sizes":[4],"released":"2024-03-01","body":"dogs sleep all day","hidden":"h","ratings":[4.5,3.0],
                  "version":3},
                 {"id":"doc-3","vector":[1,0,0,0],"title":"cube","price":7,"in_stock":true,"tags":[],"released":1700000000000,"version":2},
                 {"id":"6ba7b810-9dad-11d1-80b4-00c04fd430c8","vector":[0,1,0,0],"text":"uuid document","title":"uuid","price":99},
                 {"id":18446744073709551615,"vector":[0.5,0.5,0.5,0.5],"title":"max id","score":-3.75,"tags":["edge"]}]}""");
        assertThat(s.ok("GET", ns, null).get("approx_row_count").asLong()).isEqualTo(SEEDED_IDS.size());
    }

    /** Everything a client can read about the seeded namespace and the namespace list, as one string. */
    static String snapshot(TestServer s) {
        String ns = "/v1/namespaces/" + NS;
        ObjectNode o = TestServer.JSON.createObjectNode();
        o.put("namespace", s.ok("GET", ns, null).toString());
        o.put("schema", s.ok("GET", ns + "/schema", null).toString());
        o.put("namespaces", s.ok("GET", "/v1/namespaces?page_size=1000", null).toString());
        for (String id : SEEDED_IDS) o.put("document " + id, s.ok("GET", ns + "/documents/" + id + "?include_vectors=true", null).toString());
        String[] searches = {
            "{\"vector\":[0.3,0.3,0.2,0.1],\"top_k\":100,\"include_vectors\":true,\"include_text\":true}",
            "{\"text\":\"fox dog\",\"mode\":\"bm25\",\"top_k\":100,\"include_text\":true}",
            "{\"vector\":[1,1,1,1],\"top_k\":100,\"filter\":{\"price\":{\"$gte\":0}}}"};
        for (String q : searches) {
            JsonNode r = s.ok("POST", ns + "/search", q);
            ((ObjectNode) r).remove("search_time_ms");
            o.put("search " + q, r.toString());
        }
        return o.toPrettyString();
    }

    // ------------------------------------------------------------------ the corpus

    /** One line of a corpus file (see the README next to the files). */
    record Case(String file, int line, String name, String server, String method, String path, byte[] body, boolean chunked,
            Map<String, String> headers, String raw, int status, String code) {
        @Override
        public String toString() {
            return file + ":" + line + " " + name;
        }
    }

    static Path corpusDir() throws URISyntaxException {
        URL u = BadInputCorpusTest.class.getResource("/bad-input");
        if (u == null) throw new IllegalStateException("bad-input corpus not on the test classpath");
        return Path.of(u.toURI());
    }

    static List<Case> load() throws Exception {
        List<Path> files;
        try (Stream<Path> st = Files.list(corpusDir())) {
            files = st.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
        }
        List<Case> out = new ArrayList<>();
        for (Path f : files) {
            List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i).strip();
                if (l.isEmpty() || l.startsWith("#")) continue;
                String where = f.getFileName() + ":" + (i + 1);
                JsonNode c;
                try {
                    c = CORPUS_JSON.readTree(l);
                } catch (IOException e) {
                    throw new IllegalStateException(where + ": not a JSON object: " + e.getMessage(), e);
                }
                out.add(parseCase(f.getFileName().toString(), i + 1, c, where));
            }
        }
        return out;
    }

    static final Set<String> CASE_KEYS = Set.of("name", "server", "method", "path", "body", "json", "body_b64", "body_repeat",
            "chunked", "headers", "raw", "status", "code", "note");

    static Case parseCase(String file, int line, JsonNode c, String where) {
        for (Iterator<String> it = c.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!CASE_KEYS.contains(k)) throw new IllegalStateException(where + ": unknown case key '" + k + "'; known: " + CASE_KEYS);
        }
        String name = text(c, "name", where, true);
        int status = c.path("status").asInt(-1);
        if (status < 400 || status > 499) throw new IllegalStateException(where + ": status must be a 4xx; got " + c.get("status"));
        String code = c.hasNonNull("code") ? c.get("code").asText() : null;
        if (!c.has("code")) throw new IllegalStateException(where + ": 'code' is required (null when any code will do)");
        String server = c.hasNonNull("server") ? c.get("server").asText() : "main";
        if (!server.equals("main") && !server.equals("small")) throw new IllegalStateException(where + ": server is main or small");
        String raw = c.hasNonNull("raw") ? c.get("raw").asText() : null;
        String method = text(c, "method", where, raw == null);
        String path = text(c, "path", where, raw == null);
        int bodies = 0;
        byte[] body = null;
        if (c.has("body")) {
            bodies++;
            body = c.get("body").asText().getBytes(StandardCharsets.UTF_8);
        }
        if (c.has("json")) {
            bodies++;
            body = c.get("json").toString().getBytes(StandardCharsets.UTF_8);
        }
        if (c.has("body_b64")) {
            bodies++;
            body = Base64.getDecoder().decode(c.get("body_b64").asText());
        }
        if (c.has("body_repeat")) {
            bodies++;
            JsonNode r = c.get("body_repeat");
            StringBuilder sb = new StringBuilder(r.path("prefix").asText());
            int times = r.path("times").asInt(-1);
            if (times < 0) throw new IllegalStateException(where + ": body_repeat needs times");
            String unit = r.path("repeat").asText();
            String sep = r.path("separator").asText();
            for (int i = 0; i < times; i++) sb.append(i > 0 ? sep : "").append(unit.replace("{i}", Integer.toString(i)));
            body = sb.append(r.path("suffix").asText()).toString().getBytes(StandardCharsets.UTF_8);
        }
        if (bodies > 1) throw new IllegalStateException(where + ": give at most one of body, json, body_b64, body_repeat");
        if (raw != null && (bodies > 0 || c.has("headers"))) throw new IllegalStateException(where + ": a raw case holds the whole request");
        Map<String, String> headers = new LinkedHashMap<>();
        c.path("headers").fields().forEachRemaining(e -> headers.put(e.getKey(), e.getValue().asText()));
        return new Case(file, line, name, server, method, path, body, c.path("chunked").asBoolean(false), headers, raw, status, code);
    }

    private static String text(JsonNode c, String k, String where, boolean required) {
        JsonNode n = c.get(k);
        if (n == null || n.isNull()) {
            if (required) throw new IllegalStateException(where + ": '" + k + "' is required");
            return null;
        }
        if (!n.isTextual() || n.asText().isBlank()) throw new IllegalStateException(where + ": '" + k + "' must be a non-blank string");
        return n.asText();
    }

    @TestFactory
    Stream<DynamicNode> corpus() throws Exception {
        List<Case> cases = load();
        Set<String> names = new HashSet<>();
        for (Case c : cases) assertThat(names.add(c.name())).as("case names are unique: " + c).isTrue();
        Map<String, List<DynamicTest>> byFile = new LinkedHashMap<>();
        for (Case c : cases)
            byFile.computeIfAbsent(c.file(), k -> new ArrayList<>()).add(DynamicTest.dynamicTest(c.name(), () -> run(c)));
        List<DynamicNode> nodes = new ArrayList<>();
        byFile.forEach((f, ts) -> nodes.add(DynamicContainer.dynamicContainer(f + " (" + ts.size() + " cases)", ts)));
        long onSmall = cases.stream().filter(c -> c.server().equals("small")).count();
        nodes.add(DynamicTest.dynamicTest("the seeded namespaces are unchanged and no namespace appeared", () -> {
            System.out.println("bad-input corpus: " + cases.size() + " cases (" + onSmall + " on the small-limit server) in "
                    + byFile.size() + " files");
            assertThat(cases.size()).as("cases in the corpus").isGreaterThanOrEqualTo(MIN_CASES);
            assertThat(snapshot(main)).isEqualTo(mainBefore);
            assertThat(snapshot(small)).isEqualTo(smallBefore);
        }));
        return nodes.stream();
    }

    static void run(Case c) throws IOException {
        TestServer s = c.server().equals("small") ? small : main;
        Response r = send(s, c);
        ObjectNode rep = TestServer.JSON.createObjectNode();
        rep.put("case", c.toString());
        rep.put("status", r.status());
        rep.put("body", r.body().length() > 500 ? r.body().substring(0, 500) + "..." : r.body());
        synchronized (report) {
            report.add(rep.toString());
        }
        String got = c + ": got " + r.status() + " " + r.body();
        assertThat(r.status()).as(got).isEqualTo(c.status());
        // the error body as /openapi.json describes it (this client bypasses TestServer.call, which checks the others)
        // (a raw request's route is not parsed out of it: its answer is checked as the error body of any route)
        if (c.raw() != null) s.spec.check("RAW", "(raw request)", r.status(), r.headers().get("content-type"), r.body());
        else s.spec.check(c.method(), expand(c.path(), s), r.status(), r.headers().get("content-type"), r.body());
        JsonNode b;
        try {
            b = TestServer.JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError(got + ": the body is not JSON", e);
        }
        assertThat(b.path("status").asText()).as(got).isEqualTo("error");
        assertThat(b.path("error").path("code").asText()).as(got + ": error.code").isNotBlank();
        assertThat(b.path("error").path("message").asText()).as(got + ": error.message").isNotBlank();
        if (c.code() != null) assertThat(b.path("error").path("code").asText()).as(got).isEqualTo(c.code());
    }

    // ------------------------------------------------------------------ a plain HTTP/1.1 client

    record Response(int status, Map<String, String> headers, String body) {}

    static String expand(String s, TestServer server) {
        return s.replace("{ns}", NS).replace("{fresh}", FRESH);
    }

    /**
     * Sends the case exactly as written (the JDK client would normalize the path, refuse some
     * headers and compute Content-Length itself): one request per connection.
     */
    static Response send(TestServer s, Case c) throws IOException {
        ByteArrayOutputStream req = new ByteArrayOutputStream();
        if (c.raw() != null) {
            req.writeBytes(expand(c.raw(), s).getBytes(StandardCharsets.UTF_8));
        } else {
            StringBuilder h = new StringBuilder();
            h.append(c.method()).append(' ').append(expand(c.path(), s)).append(" HTTP/1.1\r\n");
            h.append("Host: 127.0.0.1\r\nConnection: close\r\n");
            Map<String, String> headers = new LinkedHashMap<>(c.headers());
            boolean hasType = headers.keySet().stream().anyMatch(k -> k.equalsIgnoreCase("Content-Type"));
            boolean hasLength = headers.keySet().stream().anyMatch(k -> k.equalsIgnoreCase("Content-Length"));
            if (c.body() != null && !hasType) headers.put("Content-Type", "application/json");
            if (c.chunked()) headers.put("Transfer-Encoding", "chunked");
            else if (c.body() != null && !hasLength) headers.put("Content-Length", Integer.toString(c.body().length));
            headers.forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
            h.append("\r\n");
            req.writeBytes(h.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (c.body() != null) {
                if (!c.chunked()) req.writeBytes(c.body());
                else {
                    for (int off = 0; off < c.body().length; off += 8192) {
                        int n = Math.min(8192, c.body().length - off);
                        req.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        req.write(c.body(), off, n);
                        req.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    }
                    req.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                }
            }
        }
        try (Socket sock = new Socket("127.0.0.1", s.http.port())) {
            sock.setSoTimeout(30_000);
            OutputStream out = sock.getOutputStream();
            try {
                out.write(req.toByteArray());
                out.flush();
                sock.shutdownOutput();
            } catch (IOException e) {
                // the server may answer (413) and close before it has read everything: read the answer anyway
            }
            return parse(sock.getInputStream().readAllBytes(), c);
        }
    }

    static Response parse(byte[] all, Case c) {
        int end = indexOf(all, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0);
        if (end < 0) throw new AssertionError(c + ": no HTTP response head in " + new String(all, StandardCharsets.ISO_8859_1));
        String[] head = new String(all, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] statusLine = head[0].split(" ", 3);
        int status = Integer.parseInt(statusLine[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < head.length; i++) {
            int colon = head[i].indexOf(':');
            if (colon > 0) headers.put(head[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), head[i].substring(colon + 1).trim());
        }
        byte[] body = java.util.Arrays.copyOfRange(all, end + 4, all.length);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) body = dechunk(body);
        else if (headers.containsKey("content-length")) {
            int n = Integer.parseInt(headers.get("content-length"));
            if (n < body.length) body = java.util.Arrays.copyOf(body, n);
        }
        return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    static byte[] dechunk(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int pos = 0;
        while (pos < b.length) {
            int eol = indexOf(b, "\r\n".getBytes(StandardCharsets.ISO_8859_1), pos);
            if (eol < 0) break;
            String size = new String(b, pos, eol - pos, StandardCharsets.ISO_8859_1);
            int semi = size.indexOf(';');
            int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            if (n == 0) break;
            out.write(b, eol + 2, Math.min(n, b.length - eol - 2));
            pos = eol + 2 + n + 2;
        }
        return out.toByteArray();
    }

    static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
