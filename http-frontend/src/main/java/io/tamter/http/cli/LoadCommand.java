package io.tamter.http.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.node.vector.VectorFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code tamter load [options] FILE}: bulk-loads a file over the REST API in batches, with a
 * progress bar on stderr and one JSON summary line on stdout. Formats: {@code .fvecs} (row i is
 * {@code {"id": i, "vector": …}}) and JSONL ({@code .jsonl}/{@code .ndjson}; upsert rows, BEIR
 * corpora or any JSONL with {@code --id-field}/{@code --text-fields}, see {@link JsonlRows}).
 *
 * <p>A JSONL file is read twice: once to check and count every line, so a bad line N stops the
 * load before anything is written, then to send. Failures are one line on stderr naming the file,
 * line or URL, exit code 1 (2 for bad arguments): a user loading a file wants to know which line or
 * which server, not a stack trace.
 */
public final class LoadCommand {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Map<String, String> METRICS = Map.of("cosine_distance", "cosine_distance", "cosine", "cosine_distance",
            "euclidean_squared", "euclidean_squared", "dot_product", "dot_product");

    @Command(name = "load", synopsisHeading = "", customSynopsis = "usage: tamter load [options] FILE", separator = " ",
            sortOptions = false, descriptionHeading = "%n", parameterListHeading = "%nparameters:%n", optionListHeading = "%noptions:%n", footerHeading = "%n",
            description = {"Bulk-loads FILE into a namespace over the REST API, in batches.",
                "  FILE.fvecs                 row i is {\"id\": i, \"vector\": [...]}",
                "  FILE.jsonl | FILE.ndjson   one JSON object a line:",
                "    - with \"id\": an upsert row as API.md's upsert_rows takes it, sent as is",
                "    - with \"_id\" (BEIR corpus.jsonl): id = _id, text = title + \" \" + text,",
                "      title and every other field kept as attributes",
                "    - anything else: name the id with --id-field and the text with --text-fields"},
            footer = "exit code: 0 loaded, 1 the load failed (one line on stderr), 2 bad arguments")
    static final class Load implements Callable<Integer> {
        @Mixin
        TamterMain.HelpOption help;

        @Option(names = "--url", paramLabel = "URL", description = "server (default http://127.0.0.1:8080)")
        String url = "http://127.0.0.1:8080";

        @Option(names = "--namespace", paramLabel = "NS", required = true, description = "target namespace (required; created by the first write)")
        String namespace;

        @Option(names = "--id-field", paramLabel = "NAME", description = "JSONL field holding the id")
        String idField;

        @Option(names = "--text-fields", paramLabel = "A,B", description = "JSONL fields joined (with a space) into the document text; "
                + "they are not also kept as attributes; other fields are")
        String textFields;

        @Option(names = "--metric", paramLabel = "M", description = "set the namespace's distance metric before loading: "
                + "cosine_distance (alias cosine), euclidean_squared, dot_product")
        String metric;

        @Option(names = "--batch", paramLabel = "N", description = "rows per request, at most (default 500); halved on 429 "
                + "(rate limit, backpressure) or 413, grown back slowly")
        int batch = 500;

        @Option(names = "--concurrency", paramLabel = "N", description = "batches in flight at once (default 4; 1 sends one at a time); "
                + "two batches in flight never hold the same id, so the file's last row of an id wins")
        int concurrency = 4;

        @Option(names = "--api-key", paramLabel = "K", description = "Authorization: Bearer K (default: $TAMTER_API_KEY)")
        String apiKey = System.getenv("TAMTER_API_KEY");

        @Parameters(paramLabel = "FILE", description = ".fvecs, .jsonl or .ndjson file to load")
        Path file;

        @ParentCommand
        TamterMain.Tamter top;

        @Override
        public Integer call() {
            return run(this, top.out, top.err);
        }
    }

    private LoadCommand() {}

    /** Runs {@code tamter load ARGS}; {@code out} gets the summary line and the help, {@code err} the progress bar and errors. */
    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        String[] all = new String[args.length + 1];
        all[0] = "load";
        System.arraycopy(args, 0, all, 1, args.length);
        return TamterMain.run(all, out, err);
    }

    /** Runs the parsed command; {@code out} gets the summary line, {@code err} the progress bar and errors. */
    static int run(Load o, PrintStream out, PrintStream err) {
        String url = o.url, ns = o.namespace, key = o.apiKey, idField = o.idField;
        int batch = o.batch;
        Path file = o.file;
        List<String> textFields = o.textFields == null ? null
                : Arrays.stream(o.textFields.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        String metric = null;
        if (o.metric != null) {
            metric = METRICS.get(o.metric.toLowerCase(Locale.ROOT));
            if (metric == null)
                throw new IllegalArgumentException("--metric " + o.metric + ": not a metric; one of cosine_distance (cosine), euclidean_squared, dot_product");
        }
        if (batch < 1 || batch > 100_000) throw new IllegalArgumentException("--batch must be in 1..100000; got " + batch);
        if (o.concurrency < 1 || o.concurrency > 64) throw new IllegalArgumentException("--concurrency must be in 1..64; got " + o.concurrency);
        if (textFields != null && textFields.isEmpty()) throw new IllegalArgumentException("--text-fields names no field");
        String base = checkUrl(url);
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean fvecs = name.endsWith(".fvecs");
        if (!fvecs && !name.endsWith(".jsonl") && !name.endsWith(".ndjson"))
            throw new IllegalArgumentException(file + ": not a .fvecs, .jsonl or .ndjson file");
        if (fvecs && (idField != null || textFields != null))
            throw new IllegalArgumentException("--id-field and --text-fields are for JSONL files, not " + file);

        Loader l = new Loader(base, ns, key, err);
        l.concurrency = o.concurrency;
        try {
            if (!Files.isRegularFile(file)) throw new LoadException(file + ": no such file");
            if (!Files.isReadable(file)) throw new LoadException(file + ": not readable");
            long t0 = System.nanoTime();
            if (metric != null) l.configureMetric(metric);
            long n = fvecs ? l.loadFvecs(file, batch) : l.loadJsonl(file, new JsonlRows(idField, textFields), batch);
            double s = (System.nanoTime() - t0) / 1e9;
            out.printf(Locale.ROOT, "{\"loaded\":%d,\"namespace\":%s,\"seconds\":%.2f,\"rows_per_s\":%.1f,\"retries\":%d,\"final_batch\":%d}%n",
                    n, JSON.valueToTree(ns), s, n / s, l.retries, l.size);
            return 0;
        } catch (IOException e) {
            l.endBar();
            // a LoadException is already the line to show; any other I/O error happened on the file
            err.println("tamter load: " + (e instanceof LoadException ? e.getMessage()
                    : file + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : firstLine(e.getMessage()))));
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            l.endBar();
            err.println("tamter load: interrupted");
            return 1;
        }
    }

    private static String checkUrl(String url) {
        try {
            URI u = new URI(url);
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null)
                throw new IllegalArgumentException("--url " + url + ": not an http(s)://host:port URL");
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--url " + url + ": not a URL (" + e.getReason() + ")");
        }
        return url.replaceAll("/+$", "");
    }

    /** A load failure, already phrased as the one line the user sees. */
    public static final class LoadException extends IOException {
        public LoadException(String message) {
            super(message);
        }
    }

    /**
     * Sends batches of rows to one namespace; also used by the benchmarks to load over HTTP.
     *
     * <p>Batch size adapts (AIMD, as TCP does): a 429 (rate limit, write backpressure) or a 413
     * halves it, after the server's Retry-After for a 429; every {@link #GROW_AFTER} accepted
     * batches in a row it grows by a quarter, up to the size asked for. A 503 (shard moving, storage
     * unavailable, shutting down) is retried at the same size after its Retry-After: it is not a
     * sign of load. A 400 names the file line of the refused row.
     *
     * <p>Up to {@link #concurrency} batches are in flight at once, each sent by a thread of its own
     * (a batch the server accepted only in part sends its rest itself, in order), so that the
     * rendering of the next batch, the server's parse and its WAL write overlap: one batch at a
     * time left both the loader and the server idle half of the time. A batch holding an id that a
     * batch in flight holds waits for that one first, so the rows of one id reach the server in
     * file order and the last one wins, as with one batch at a time. The first refusal stops the
     * load: no new batch is sent, and the ones in flight finish.
     */
    public static final class Loader {
        static final int GROW_AFTER = 4;
        static final int MAX_ATTEMPTS = 200;
        static final long MAX_WAIT_MS = 60_000;
        private static final Pattern ROW_PATH = Pattern.compile("^upsert_rows\\[(\\d+)]");

        private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        private final String base;
        private final String ns;
        private final String key;
        private final PrintStream progress;
        volatile int size;      // current batch size
        int maxSize;            // the size asked for
        int okInARow;           // guarded by this
        long retries;           // guarded by this
        int concurrency = 1;    // batches in flight at once
        private ExecutorService senders;
        private Semaphore slots;
        private final Map<String, Integer> idsInFlight = new HashMap<>(); // guarded by this
        private volatile LoadException failure;
        private final AtomicLong sent = new AtomicLong();
        private long total;

        public Loader(String base, String ns, String key, PrintStream progress) {
            this.base = base;
            this.ns = ns;
            this.key = key;
            this.progress = progress;
        }

        /** {@code POST configure-metric} (creates the namespace if it does not exist). */
        void configureMetric(String metric) throws IOException, InterruptedException {
            byte[] body = JSON.writeValueAsBytes(JSON.createObjectNode().put("distance_metric", metric));
            postRetrying("/configure-metric", body, base + ": --metric " + metric + " refused: ");
        }

        /** POSTs {@code body}, retrying while the server says 429/503 (after its Retry-After); a refusal is a {@link LoadException}. */
        private void postRetrying(String path, byte[] body, String refusal) throws IOException, InterruptedException {
            for (int attempt = 1; ; attempt++) {
                HttpResponse<String> r = post(path, body);
                if (r.statusCode() == 200) return;
                if ((r.statusCode() == 429 || r.statusCode() == 503) && attempt < MAX_ATTEMPTS) {
                    synchronized (this) {
                        retries++;
                    }
                    Thread.sleep(retryAfterMs(r));
                    continue;
                }
                throw new LoadException(refusal + describe(r));
            }
        }

        public long loadFvecs(Path file, int batch) throws IOException, InterruptedException {
            float[][] vs;
            try {
                vs = VectorFiles.readFvecs(file);
            } catch (IOException | RuntimeException e) {
                throw new LoadException(file + ": not an .fvecs file: " + e.getMessage());
            }
            start(batch, vs.length);
            try {
                ArrayDeque<Pending> queue = new ArrayDeque<>();
                for (int i = 0; i < vs.length; i++) {
                    ObjectNode r = JSON.createObjectNode().put("id", i);
                    ArrayNode v = r.putArray("vector");
                    for (float x : vs[i]) v.add(x);
                    queue.add(new Pending(r, Integer.toString(i), file + ": vector " + i));
                    drain(queue, false);
                }
                drain(queue, true);
            } finally {
                finish();
            }
            endBar();
            return sent.get();
        }

        public long loadJsonl(Path file, JsonlRows mapper, int batch) throws IOException, InterruptedException {
            long total = 0;
            try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                int lineNo = 0;
                for (String line; (line = readLine(r, file, lineNo + 1)) != null; ) {
                    lineNo++;
                    if (line.isBlank()) continue;
                    row(mapper, line, file, lineNo); // checks every line before anything is sent
                    total++;
                }
            }
            start(batch, total);
            try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                ArrayDeque<Pending> queue = new ArrayDeque<>();
                int lineNo = 0;
                for (String line; (line = readLine(r, file, lineNo + 1)) != null; ) {
                    lineNo++;
                    if (line.isBlank()) continue;
                    ObjectNode row = row(mapper, line, file, lineNo);
                    queue.add(new Pending(row, row.path("id").toString(), file + ":" + lineNo));
                    drain(queue, false);
                }
                drain(queue, true);
            } finally {
                finish();
            }
            endBar();
            return sent.get();
        }

        private static String readLine(BufferedReader r, Path file, int lineNo) throws LoadException {
            try {
                return r.readLine();
            } catch (IOException e) { // e.g. MalformedInputException: the file is not UTF-8
                throw new LoadException(file + ":" + lineNo + ": cannot read: " + e);
            }
        }

        private static ObjectNode row(JsonlRows mapper, String line, Path file, int lineNo) throws LoadException {
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (IOException e) {
                throw new LoadException(file + ":" + lineNo + ": not JSON: " + firstLine(e.getMessage()));
            }
            if (n == null || !n.isObject()) throw new LoadException(file + ":" + lineNo + ": a line is one JSON object");
            try {
                return mapper.map((ObjectNode) n);
            } catch (IllegalArgumentException e) {
                throw new LoadException(file + ":" + lineNo + ": " + e.getMessage());
            }
        }

        private void start(int batch, long total) {
            size = maxSize = batch;
            okInARow = 0;
            sent.set(0);
            this.total = total;
            failure = null;
            slots = new Semaphore(concurrency);
            senders = Executors.newFixedThreadPool(concurrency, r -> {
                Thread t = new Thread(r, "tamter-load-sender");
                t.setDaemon(true); // a failed load exits without waiting for them
                return t;
            });
            started = System.nanoTime();
        }

        /** Waits for the batches in flight, stops the senders, and throws the load's first refusal if there was one. */
        private void finish() throws IOException, InterruptedException {
            try {
                slots.acquire(concurrency);
                slots.release(concurrency);
            } finally {
                senders.shutdownNow();
            }
            if (failure != null) throw failure;
        }

        /** Sends full batches from the head of {@code queue} (and the rest when {@code all}). */
        private void drain(ArrayDeque<Pending> queue, boolean all) throws IOException, InterruptedException {
            while (queue.size() >= size || all && !queue.isEmpty()) {
                int n = Math.min(size, queue.size());
                Pending[] b = new Pending[n];
                for (int i = 0; i < n; i++) b[i] = queue.poll();
                submit(b);
            }
        }

        /** Hands {@code b} to a sender once a slot is free and no batch in flight holds one of its ids. */
        private void submit(Pending[] b) throws IOException, InterruptedException {
            if (failure != null) throw failure;
            slots.acquire();
            synchronized (this) {
                while (failure == null && holdsIdInFlight(b)) wait();
                if (failure != null) {
                    slots.release();
                    throw failure;
                }
                for (Pending p : b) idsInFlight.merge(p.id, 1, Integer::sum);
            }
            senders.execute(() -> {
                try {
                    sendAll(b);
                } catch (LoadException e) {
                    fail(e);
                } catch (InterruptedException e) {
                    fail(new LoadException("interrupted"));
                } catch (IOException | RuntimeException e) {
                    fail(new LoadException(base + ": " + e));
                } finally {
                    synchronized (this) {
                        for (Pending p : b) idsInFlight.computeIfPresent(p.id, (k, c) -> c == 1 ? null : c - 1);
                        notifyAll();
                    }
                    slots.release();
                }
            });
        }

        private boolean holdsIdInFlight(Pending[] b) {
            if (idsInFlight.isEmpty()) return false;
            for (Pending p : b) if (idsInFlight.containsKey(p.id)) return true;
            return false;
        }

        private synchronized void fail(LoadException e) {
            if (failure == null) failure = e;
            notifyAll();
        }

        /** Sends all of {@code b}, at the current batch size: the rest of a batch accepted in part goes next, in order. */
        private void sendAll(Pending[] b) throws IOException, InterruptedException {
            for (int from = 0; from < b.length; ) {
                if (failure != null) return; // the load stopped; its first refusal is what the user sees
                int accepted = sendAdaptive(b, from);
                from += accepted;
                bar(sent.addAndGet(accepted), total);
            }
        }

        /** Sends up to {@link #size} rows of {@code b} from {@code from}; returns how many were accepted. */
        private int sendAdaptive(Pending[] b, int from) throws IOException, InterruptedException {
            for (int attempt = 1; ; attempt++) {
                int n = Math.min(size, b.length - from);
                ArrayNode part = JSON.createArrayNode();
                for (int i = 0; i < n; i++) part.add(b[from + i].row);
                HttpResponse<String> r = post("/upsert", JSON.writeValueAsBytes(JSON.createObjectNode().set("upsert_rows", part)));
                int st = r.statusCode();
                synchronized (this) {
                    if (st == 200) {
                        if (++okInARow >= GROW_AFTER && size < maxSize) {
                            size = Math.min(maxSize, size + Math.max(1, size / 4));
                            okInARow = 0;
                        }
                        return n;
                    }
                    okInARow = 0;
                }
                boolean overload = st == 429 || st == 413 && n > 1;
                if ((overload || st == 503) && attempt < MAX_ATTEMPTS) {
                    synchronized (this) {
                        retries++;
                        if (overload) size = Math.max(1, Math.min(size, n / 2));
                    }
                    if (st != 413) Thread.sleep(retryAfterMs(r));
                    continue;
                }
                throw new LoadException(refused(r, b, from, n));
            }
        }

        /** Upserts one batch as it is, retrying while the server says 429/503 (after its Retry-After). */
        public void send(ArrayNode rows, long done, long total) throws IOException, InterruptedException {
            byte[] bytes = JSON.writeValueAsBytes(JSON.createObjectNode().set("upsert_rows", rows));
            postRetrying("/upsert", bytes, "batch ending at row " + done + " refused: ");
            bar(done, total);
        }

        private HttpResponse<String> post(String route, byte[] body) throws IOException, InterruptedException {
            String url = base + "/v1/namespaces/" + ns + route;
            HttpRequest.Builder b;
            try {
                b = HttpRequest.newBuilder(URI.create(url));
            } catch (IllegalArgumentException e) {
                throw new LoadException(url + ": not a valid URL (check --url and --namespace)");
            }
            b.timeout(Duration.ofMinutes(10)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (key != null && !key.isBlank()) b.header("Authorization", "Bearer " + key);
            try {
                return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (ConnectException | HttpConnectTimeoutException e) {
                // the JDK's ConnectException usually has no message at all
                throw new LoadException(base + ": cannot connect (is tamter serve running there?)");
            } catch (HttpTimeoutException e) {
                throw new LoadException(url + ": no answer within 10 minutes");
            } catch (IOException e) {
                throw new LoadException(url + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : firstLine(e.getMessage())));
            }
        }

        /** The server's Retry-After in ms (seconds form; 1 s when absent or a date), at most a minute. */
        static long retryAfterMs(HttpResponse<?> r) {
            String v = r.headers().firstValue("Retry-After").orElse("1").strip();
            try {
                return Math.min(MAX_WAIT_MS, Math.max(0, Long.parseLong(v)) * 1000);
            } catch (NumberFormatException e) {
                return 1000;
            }
        }

        /** The error line for a refused batch: the file line of the row a 400's path names, else the batch's range. */
        private String refused(HttpResponse<String> r, Pending[] b, int from, int n) {
            String path = errorField(r, "path");
            if (path != null) {
                Matcher m = ROW_PATH.matcher(path);
                if (m.find()) {
                    int i = Integer.parseInt(m.group(1));
                    if (i < n) return b[from + i].where + ": refused by " + base + ": " + describe(r);
                }
            }
            return "rows from " + b[from].where + " to " + b[from + n - 1].where + " refused by " + base + ": " + describe(r);
        }

        /** {@code HTTP 400 invalid_id: message} from an API error body, or the status and the start of the body. */
        private static String describe(HttpResponse<String> r) {
            String code = errorField(r, "code"), msg = errorField(r, "message");
            if (code != null) return "HTTP " + r.statusCode() + " " + code + (msg == null ? "" : ": " + firstLine(msg));
            String b = r.body() == null ? "" : firstLine(r.body());
            return "HTTP " + r.statusCode() + (b.isEmpty() ? "" : ": " + (b.length() > 200 ? b.substring(0, 200) + "..." : b));
        }

        private static String errorField(HttpResponse<String> r, String field) {
            try {
                JsonNode v = JSON.readTree(r.body()).path("error").get(field);
                return v == null || !v.isTextual() ? null : v.textValue();
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        private long started = System.nanoTime();
        private long lastDraw;
        private boolean drawn;

        private synchronized void bar(long done, long total) {
            if (progress == null) return;
            long now = System.nanoTime();
            if (now - lastDraw < 200_000_000L && done < total) return;
            lastDraw = now;
            int width = 30;
            int filled = total <= 0 ? width : (int) Math.min(width, width * done / total);
            double s = (now - started) / 1e9;
            progress.printf(Locale.ROOT, "\r[%s%s] %d/%d rows  %.0f rows/s  batch %d", "#".repeat(filled), ".".repeat(width - filled), done,
                    total, s > 0 ? done / s : 0, size);
            progress.flush();
            drawn = true;
        }

        /** Ends the progress bar's line, so what follows starts on its own. */
        synchronized void endBar() {
            if (progress != null && drawn) progress.println();
            drawn = false;
        }
    }

    /** A row to send, its id as JSON text (rows of one id keep their order), and where in the file it came from. */
    private record Pending(ObjectNode row, String id, String where) {}

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }
}
