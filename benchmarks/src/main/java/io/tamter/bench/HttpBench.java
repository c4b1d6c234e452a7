package io.tamter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tamter.bench.data.Datasets;
import io.tamter.node.vector.VectorFiles;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.util.Timeout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tamter bench http} (BENCHMARKS.md): a closed-loop load of {@code --concurrency} clients
 * against a running server for {@code --duration}, each request drawn from {@code --mix}
 * ({@code search}: a vector query of {@code query.fvecs} from {@code --dataset}, or a random one
 * of the namespace's dimension; {@code upsert}: one new document). Latency is measured per request
 * from send to the last byte of the answer; a warm-up period is not counted. Load only ever goes
 * to loopback addresses.
 *
 * <p>The clients are blocking HTTP/1.1 connections of Apache HttpClient 5 (classic), one per
 * client thread, with the search bodies rendered once: the load generator shares the machine with
 * the server, so its CPU per request is taken from the server's. The JDK's {@code HttpClient}
 * hands every request and answer through its selector thread and cost more CPU per request than
 * the server's own work (benchmarks/README.md: with it this bench topped out near 2,000 searches/s
 * where {@code wrk} measured the same server at 4,900).
 */
final class HttpBench {
    private HttpBench() {}

    private static final ObjectMapper M = new ObjectMapper();

    @Command(name = "http", synopsisHeading = "usage: ", separator = " ", sortOptions = false, descriptionHeading = "%n",
            optionListHeading = "%noptions:%n", sortSynopsis = false,
            description = {
                "REST throughput and latency of a closed-loop load against a running server.",
                "",
                "A closed loop of --concurrency clients against a running server (loopback only) for --duration, each "
                    + "request drawn from --mix; latency per request from send to the last byte; the warm-up is not counted. One JSON "
                    + "line per operation, then a summary line."})
    static final class Options implements Callable<Integer> {
        @Mixin
        io.tamter.http.cli.TamterMain.HelpOption help;

        @Option(names = "--namespace", paramLabel = "NS", required = true, description = "the namespace, already loaded (tamter load)")
        String namespace;

        @Option(names = "--url", paramLabel = "URL", description = "the server, a loopback address (default ${DEFAULT-VALUE})")
        String url = "http://127.0.0.1:8080";

        @Option(names = "--mix", paramLabel = "OP=W,OP=W", description = "operations and their weights: search (a vector query), upsert "
                + "(one new document), e.g. search=0.7,upsert=0.3 (default ${DEFAULT-VALUE})")
        String mix = "search=1.0";

        @Option(names = "--concurrency", paramLabel = "N", description = "clients, each one request at a time (default ${DEFAULT-VALUE})")
        int concurrency = 32;

        @Option(names = "--duration", paramLabel = "T", converter = BenchOptions.SecondsConverter.class, defaultValue = "60s",
                description = "measured time, e.g. 60s, 500ms, 2m (default ${DEFAULT-VALUE})")
        double duration;

        @Option(names = "--warmup", paramLabel = "T", converter = BenchOptions.SecondsConverter.class, defaultValue = "5s",
                description = "load before the measured time, not counted (default ${DEFAULT-VALUE})")
        double warmup;

        @Option(names = "--dataset", paramLabel = "DIR", description = "search with its query.fvecs (default: random vectors of the "
                + "namespace's dimension)")
        String dataset;

        @Option(names = "--k", paramLabel = "N", description = "results per search (default ${DEFAULT-VALUE})")
        int k = 10;

        @Option(names = "--api-key", paramLabel = "K", description = "Authorization: Bearer K (default: $TAMTER_API_KEY)")
        String apiKey = System.getenv("TAMTER_API_KEY");

        @Override
        public Integer call() throws Exception {
            run(this);
            return 0;
        }
    }

    static void run(Options o) throws Exception {
        String url = o.url.replaceAll("/+$", "");
        URI u = URI.create(url);
        if (u.getHost() == null || !InetAddress.getByName(u.getHost()).isLoopbackAddress())
            throw new IllegalArgumentException("--url " + url + ": bench http only loads loopback addresses");
        String ns = o.namespace;
        int concurrency = o.concurrency;
        double duration = o.duration;
        double warmup = o.warmup;
        int k = o.k;
        String key = o.apiKey;
        Map<String, Double> mix = mix(o.mix);

        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        JsonNode info = M.readTree(send(client, url + "/v1/namespaces/" + ns, "GET", null, key).body());
        if (!"ok".equals(info.path("status").asText())) throw new IllegalStateException("namespace " + ns + ": " + info);
        int dims = info.path("dimensions").asInt();
        if (dims <= 0) throw new IllegalStateException("namespace " + ns + " has no vectors yet; load it first (tamter load)");
        float[][] queries = null;
        if (o.dataset != null) {
            Path q = Datasets.locate(o.dataset, null).resolve("query.fvecs");
            if (Files.exists(q)) queries = VectorFiles.readFvecs(q);
        }
        AnnBench.log("bench http: %s namespace %s (%d dims, %d docs), mix %s, concurrency %d, %.0f s (+%.0f s warm-up)", url, ns, dims,
                info.path("approx_row_count").asLong(), mix, concurrency, duration, warmup);

        long t0 = System.nanoTime();
        long measureFrom = t0 + (long) (warmup * 1e9);
        long end = measureFrom + (long) (duration * 1e9);
        AtomicLong errors = new AtomicLong();
        AtomicLong ids = new AtomicLong(1_000_000_000L + (System.nanoTime() & 0xffffff) * 1000);
        List<Thread> threads = new ArrayList<>();
        List<Map<String, long[]>> perThread = new ArrayList<>();
        List<int[]> counts = new ArrayList<>();
        // search bodies rendered once (the load generator's CPU is the server's too); upserts carry new ids, so they are rendered per request
        byte[][] searchBodies = null;
        if (queries != null) {
            searchBodies = new byte[Math.min(queries.length, 10_000)][];
            for (int i = 0; i < searchBodies.length; i++) searchBodies[i] = searchBody(queries[i], k);
        }
        final byte[][] bodies = searchBodies;
        PoolingHttpClientConnectionManager pool = PoolingHttpClientConnectionManagerBuilder.create()
                .setMaxConnTotal(concurrency).setMaxConnPerRoute(concurrency)
                .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(Timeout.ofSeconds(10)).setSocketTimeout(Timeout.ofSeconds(60)).build())
                .build();
        CloseableHttpClient load = HttpClients.custom().setConnectionManager(pool).disableAutomaticRetries().disableRedirectHandling()
                .disableCookieManagement().disableContentCompression().disableAuthCaching().build();
        String searchUrl = url + "/v1/namespaces/" + ns + "/search", upsertUrl = url + "/v1/namespaces/" + ns + "/upsert";
        for (int t = 0; t < concurrency; t++) {
            Map<String, long[]> mine = new LinkedHashMap<>();
            int[] n = new int[mix.size()];
            for (String op : mix.keySet()) mine.put(op, new long[1 << 16]);
            perThread.add(mine);
            counts.add(n);
            long seed = 17L * t + 1;
            Thread th = new Thread(() -> {
                Random r = new Random(seed);
                List<String> ops = new ArrayList<>(mix.keySet());
                while (true) {
                    long now = System.nanoTime();
                    if (now >= end) break;
                    String op = pick(mix, r.nextDouble());
                    HttpPost post;
                    if (op.equals("search")) {
                        post = new HttpPost(searchUrl);
                        post.setEntity(new ByteArrayEntity(bodies != null ? bodies[r.nextInt(bodies.length)] : searchBody(random(r, dims), k),
                                ContentType.APPLICATION_JSON));
                    } else {
                        post = new HttpPost(upsertUrl);
                        String body = "{\"upsert_rows\":[{\"id\":" + ids.incrementAndGet() + ",\"vector\":" + Arrays.toString(random(r, dims)) + "}]}";
                        post.setEntity(new ByteArrayEntity(body.getBytes(StandardCharsets.UTF_8), ContentType.APPLICATION_JSON));
                    }
                    if (key != null && !key.isBlank()) post.setHeader("Authorization", "Bearer " + key);
                    long s0 = System.nanoTime();
                    boolean ok;
                    try {
                        // the whole answer is read (the latency runs to its last byte), then the connection goes back to the pool
                        ok = load.execute(post, res -> {
                            EntityUtils.consume(res.getEntity());
                            return res.getCode() == 200;
                        });
                    } catch (Exception e) {
                        ok = false;
                    }
                    long s1 = System.nanoTime();
                    if (s0 < measureFrom) continue;
                    if (!ok) errors.incrementAndGet();
                    int oi = ops.indexOf(op);
                    long[] buf = mine.get(op);
                    if (n[oi] == buf.length) mine.put(op, buf = Arrays.copyOf(buf, buf.length * 2));
                    buf[n[oi]++] = s1 - s0;
                }
            }, "bench-http-" + t);
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) th.join();
        double secs = (System.nanoTime() - measureFrom) / 1e9;
        load.close();

        List<String> ops = new ArrayList<>(mix.keySet());
        long[] all = new long[0];
        long total = 0;
        for (int oi = 0; oi < ops.size(); oi++) {
            String op = ops.get(oi);
            long[] merged = new long[0];
            for (int t = 0; t < concurrency; t++) {
                long[] b = perThread.get(t).get(op);
                int n = counts.get(t)[oi];
                long[] m2 = Arrays.copyOf(merged, merged.length + n);
                System.arraycopy(b, 0, m2, merged.length, n);
                merged = m2;
            }
            Arrays.sort(merged);
            total += merged.length;
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("bench", "http");
            line.put("op", op);
            line.put("requests", merged.length);
            line.put("rps", Json.round(merged.length / secs, 1));
            line.put("p50_ms", Json.round(pct(merged, 0.50) / 1e6, 3));
            line.put("p99_ms", Json.round(pct(merged, 0.99) / 1e6, 3));
            Json.line(line);
            long[] m3 = Arrays.copyOf(all, all.length + merged.length);
            System.arraycopy(merged, 0, m3, all.length, merged.length);
            all = m3;
        }
        Arrays.sort(all);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("bench", "http");
        s.put("summary", true);
        s.put("url", url);
        s.put("namespace", ns);
        s.put("mix", mix);
        s.put("concurrency", concurrency);
        s.put("duration_s", Json.round(secs, 1));
        s.put("rps", Json.round(total / secs, 1));
        s.put("p50_ms", Json.round(pct(all, 0.50) / 1e6, 3));
        s.put("p99_ms", Json.round(pct(all, 0.99) / 1e6, 3));
        s.put("errors", errors.get());
        s.put("machine", Json.machine());
        Json.line(s);
    }

    static HttpResponse<String> send(HttpClient c, String url, String method, String body, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) b.header("Content-Type", "application/json");
        if (key != null && !key.isBlank()) b.header("Authorization", "Bearer " + key);
        return c.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static byte[] searchBody(float[] q, int k) {
        return ("{\"vector\":" + Arrays.toString(q) + ",\"top_k\":" + k + ",\"include_metadata\":false}").getBytes(StandardCharsets.UTF_8);
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    static float[] random(Random r, int dims) {
        float[] v = new float[dims];
        for (int i = 0; i < dims; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    static String pick(Map<String, Double> mix, double x) {
        double acc = 0;
        String last = null;
        for (Map.Entry<String, Double> e : mix.entrySet()) {
            acc += e.getValue();
            last = e.getKey();
            if (x < acc) return last;
        }
        return last;
    }

    /** {@code search=0.7,upsert=0.3}: weights normalised to sum 1. */
    static Map<String, Double> mix(String spec) {
        Map<String, Double> m = new LinkedHashMap<>();
        double sum = 0;
        for (String part : spec.split(",")) {
            String[] kv = part.split("=");
            String op = kv[0].trim().toLowerCase(Locale.ROOT);
            if (!op.equals("search") && !op.equals("upsert")) throw new IllegalArgumentException("--mix: unknown operation '" + op + "'; known: search, upsert");
            double w = kv.length > 1 ? Double.parseDouble(kv[1]) : 1.0;
            if (!(w > 0)) throw new IllegalArgumentException("--mix: weight of " + op + " must be > 0");
            m.put(op, w);
            sum += w;
        }
        for (Map.Entry<String, Double> e : m.entrySet()) e.setValue(e.getValue() / sum);
        return m;
    }

    static double seconds(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.endsWith("ms")) return Double.parseDouble(t.substring(0, t.length() - 2)) / 1000;
        if (t.endsWith("s")) return Double.parseDouble(t.substring(0, t.length() - 1));
        if (t.endsWith("m")) return Double.parseDouble(t.substring(0, t.length() - 1)) * 60;
        return Double.parseDouble(t);
    }
}
