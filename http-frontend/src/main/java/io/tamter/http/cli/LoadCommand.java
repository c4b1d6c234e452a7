package io.tamter.http.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.node.vector.VectorFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * {@code tamter load --url URL --namespace NS FILE}: bulk-loads a file over the REST API in
 * batches, with a progress bar on stderr. {@code .fvecs}: row i is {@code {"id": i, "vector": …}};
 * {@code .jsonl}: each line is one row as API.md's {@code upsert_rows} takes it. A batch refused
 * with 429/503 is retried after its Retry-After; any other error stops the load and names the batch.
 */
public final class LoadCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LoadCommand() {}

    public static int run(String[] args) throws Exception {
        String url = "http://127.0.0.1:8080";
        String ns = null;
        String key = System.getenv("TAMTER_API_KEY");
        int batch = 500;
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--url" -> url = value(args, ++i, a);
                case "--namespace" -> ns = value(args, ++i, a);
                case "--batch" -> batch = Integer.parseInt(value(args, ++i, a));
                case "--api-key" -> key = value(args, ++i, a);
                case "-h", "--help" -> {
                    System.out.println("usage: tamter load [--url http://127.0.0.1:8080] --namespace NS [--batch 500] [--api-key K] FILE.fvecs|FILE.jsonl");
                    return 0;
                }
                default -> {
                    if (a.startsWith("--") || file != null) throw new IllegalArgumentException("unexpected argument " + a + " (try --help)");
                    file = Path.of(a);
                }
            }
        }
        if (ns == null) throw new IllegalArgumentException("--namespace is required");
        if (file == null) throw new IllegalArgumentException("give the FILE to load (.fvecs or .jsonl)");
        if (batch < 1 || batch > 100_000) throw new IllegalArgumentException("--batch must be in 1..100000");
        Loader l = new Loader(url.replaceAll("/+$", ""), ns, key, System.err);
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        long t0 = System.nanoTime();
        long n;
        if (name.endsWith(".fvecs")) n = l.loadFvecs(file, batch);
        else if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) n = l.loadJsonl(file, batch);
        else throw new IllegalArgumentException(file + ": not a .fvecs or .jsonl file");
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "{\"loaded\":%d,\"namespace\":\"%s\",\"seconds\":%.2f,\"rows_per_s\":%.1f}%n", n, ns, s, n / s);
        return 0;
    }

    private static String value(String[] args, int i, String opt) {
        if (i >= args.length) throw new IllegalArgumentException(opt + " needs a value");
        return args[i];
    }

    /** Sends batches of rows to one namespace; also used by the benchmarks to load over HTTP. */
    public static final class Loader {
        private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        private final String base;
        private final String ns;
        private final String key;
        private final PrintStream progress;

        public Loader(String base, String ns, String key, PrintStream progress) {
            this.base = base;
            this.ns = ns;
            this.key = key;
            this.progress = progress;
        }

        public long loadFvecs(Path file, int batch) throws IOException, InterruptedException {
            float[][] vs = VectorFiles.readFvecs(file);
            ArrayNode rows = JSON.createArrayNode();
            for (int i = 0; i < vs.length; i++) {
                ObjectNode r = rows.addObject().put("id", i);
                ArrayNode v = r.putArray("vector");
                for (float x : vs[i]) v.add(x);
                if (rows.size() == batch || i == vs.length - 1) {
                    send(rows, i + 1, vs.length);
                    rows = JSON.createArrayNode();
                }
            }
            done(vs.length);
            return vs.length;
        }

        public long loadJsonl(Path file, int batch) throws IOException, InterruptedException {
            long total;
            try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
                total = lines.filter(s -> !s.isBlank()).count();
            }
            long n = 0;
            ArrayNode rows = JSON.createArrayNode();
            try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                int lineNo = 0;
                for (String line; (line = r.readLine()) != null; ) {
                    lineNo++;
                    if (line.isBlank()) continue;
                    JsonNode row;
                    try {
                        row = JSON.readTree(line);
                    } catch (IOException e) {
                        throw new IllegalArgumentException(file + ":" + lineNo + ": not JSON: " + e.getMessage());
                    }
                    if (!row.isObject()) throw new IllegalArgumentException(file + ":" + lineNo + ": a row is a JSON object");
                    rows.add(row);
                    n++;
                    if (rows.size() == batch) {
                        send(rows, n, total);
                        rows = JSON.createArrayNode();
                    }
                }
            }
            if (!rows.isEmpty()) send(rows, n, total);
            done(n);
            return n;
        }

        /** Upserts one batch, retrying while the server says 429/503 with Retry-After. */
        public void send(ArrayNode rows, long done, long total) throws IOException, InterruptedException {
            ObjectNode body = JSON.createObjectNode();
            body.set("upsert_rows", rows);
            byte[] bytes = JSON.writeValueAsBytes(body);
            for (int attempt = 0; ; attempt++) {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/namespaces/" + ns + "/upsert"))
                        .timeout(Duration.ofMinutes(10)).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
                if (key != null && !key.isBlank()) b.header("Authorization", "Bearer " + key);
                HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) break;
                if ((r.statusCode() == 429 || r.statusCode() == 503) && attempt < 100) {
                    long wait = r.headers().firstValue("Retry-After").map(Long::parseLong).orElse(1L);
                    Thread.sleep(wait * 1000);
                    continue;
                }
                throw new IOException("batch ending at row " + done + " refused: HTTP " + r.statusCode() + ": " + r.body());
            }
            bar(done, total);
        }

        private long started = System.nanoTime();
        private long lastDraw;

        private void bar(long done, long total) {
            if (progress == null) return;
            long now = System.nanoTime();
            if (now - lastDraw < 200_000_000L && done < total) return;
            lastDraw = now;
            int width = 30;
            int filled = total == 0 ? width : (int) (width * done / total);
            double s = (now - started) / 1e9;
            progress.printf(Locale.ROOT, "\r[%s%s] %d/%d rows  %.0f rows/s", "#".repeat(filled), ".".repeat(width - filled), done, total,
                    s > 0 ? done / s : 0);
            progress.flush();
        }

        private void done(long ignoredRows) {
            if (progress != null) progress.println();
        }
    }
}
