package io.tamter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tamter.bench.data.Dataset;
import io.tamter.bench.data.Datasets;
import io.tamter.http.cli.TamterMain;
import io.tamter.node.vector.VectorMetric;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tamter bench grid} (issue 10, "Scaling"): REST throughput of a grid of 1, 2, 3 …
 * {@code tamter serve} JVMs on this machine. For each node count it starts that many servers on a
 * fresh {@code file://} object store (they find each other with {@code --join}), creates a namespace
 * of {@code --shards} shards, loads the dataset's base vectors through them, then runs each of
 * {@code --ops} for {@code --duration} after a {@code --warmup}: a closed loop of
 * {@code --concurrency} clients, each request to the next node in turn ({@code search}: top
 * {@code --k} of a query vector; {@code upsert}: one new row). It reports requests per second,
 * latency, errors, and the CPU each server JVM used over the timed window, in cores (CPU seconds
 * per second), with the load generator's own: on a machine of few cores the servers and the load
 * generator share them, and the CPU shows where the cores went. Everything runs on loopback.
 */
final class GridBench {
    private GridBench() {}

    private static final ObjectMapper M = new ObjectMapper();

    @Command(name = "grid", synopsisHeading = "usage: ", separator = " ", sortOptions = false, descriptionHeading = "%n",
            optionListHeading = "%noptions:%n", sortSynopsis = false,
            description = {
                "REST throughput of a grid of 1, 2, 3 ... tamter serve JVMs on this machine.",
                "",
                "Each node has a fresh file:// store; for each node count, a namespace of --shards shards is loaded, then each of --ops runs for --duration after "
                    + "--warmup, with the CPU cores each node and the load generator used. One JSON line per node count and "
                    + "operation, then a summary line."})
    static final class Options implements Callable<Integer> {
        @Mixin
        io.tamter.http.cli.TamterMain.HelpOption help;

        @Option(names = "--nodes", paramLabel = "N,N", split = ",", hideParamSyntax = true, defaultValue = "1,2,3",
                description = "grid sizes to run, each in 1..8 (default ${DEFAULT-VALUE})")
        List<Integer> nodes;

        @Option(names = "--dataset", paramLabel = "DIR|NAME|SPEC", defaultValue = "synthetic:n=20000,dim=64,clusters=64,seed=7,queries=1000",
                description = "base vectors to load and queries to search (default ${DEFAULT-VALUE})")
        String dataset;

        @Option(names = "--shards", paramLabel = "N", description = "shards of the namespace (default ${DEFAULT-VALUE})")
        int shards = 6;

        @Option(names = "--ops", paramLabel = "A,B", split = ",", hideParamSyntax = true, defaultValue = "search,upsert",
                description = "operations to time, one after the other: search, upsert (default ${DEFAULT-VALUE})")
        List<String> ops;

        @Option(names = "--concurrency", paramLabel = "N", description = "clients, each one request at a time (default ${DEFAULT-VALUE})")
        int concurrency = 16;

        @Option(names = "--duration", paramLabel = "T", converter = BenchOptions.SecondsConverter.class, defaultValue = "30s",
                description = "measured time per operation, e.g. 30s, 2m (default ${DEFAULT-VALUE})")
        double duration;

        @Option(names = "--warmup", paramLabel = "T", converter = BenchOptions.SecondsConverter.class, defaultValue = "5s",
                description = "load before the measured time, not counted (default ${DEFAULT-VALUE})")
        double warmup;

        @Option(names = "--k", paramLabel = "N", description = "results per search (default ${DEFAULT-VALUE})")
        int k = 10;

        @Option(names = "--heap", paramLabel = "SIZE", description = "-Xmx of each node's JVM (default ${DEFAULT-VALUE})")
        String heap = "1g";

        @Mixin
        BenchOptions.Sets sets;

        @Override
        public Integer call() throws Exception {
            run(this);
            return 0;
        }
    }

    static void run(Options o) throws Exception {
        List<Integer> nodeCounts = new ArrayList<>();
        for (int n : o.nodes) {
            if (n < 1 || n > 8) throw new IllegalArgumentException("--nodes: each count must be in 1..8; got " + n);
            nodeCounts.add(n);
        }
        List<String> ops = o.ops;
        for (String op : ops) if (!op.equals("search") && !op.equals("upsert")) throw new IllegalArgumentException("--ops: search, upsert; got " + op);
        int shards = o.shards;
        int concurrency = o.concurrency;
        double duration = o.duration;
        double warmup = o.warmup;
        int k = o.k;
        String heap = o.heap;
        Dataset data = Datasets.load(o.dataset, null, VectorMetric.EUCLIDEAN_SQUARED);
        int dims = data.base()[0].length;
        AnnBench.log("bench grid: nodes %s, dataset %s (%d x %d), %d shards, ops %s, concurrency %d, %.0f s each (+%.0f s warm-up)", nodeCounts,
                data.name(), data.base().length, dims, shards, ops, concurrency, duration, warmup);

        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        Map<String, List<Double>> rpsByOp = new LinkedHashMap<>();
        for (int n : nodeCounts) {
            Path work = Files.createTempDirectory("tamter-bench-grid-");
            List<Process> procs = new ArrayList<>();
            try {
                List<String> urls = startGrid(n, work, heap, o.sets.sets, procs);
                String ns = "/v1/namespaces/bench";
                JsonNode created = json(client, urls.get(0) + ns, "PUT",
                        "{\"num_shards\":" + shards + ",\"distance_metric\":\"euclidean_squared\",\"embedding_model\":null}");
                if (!"ok".equals(created.path("status").asText())) throw new IllegalStateException("creating the namespace: " + created);
                long t0 = System.nanoTime();
                load(client, urls, ns, data.base());
                AnnBench.log("bench grid: %d node(s): loaded %d rows in %.1f s", n, data.base().length, (System.nanoTime() - t0) / 1e9);
                // writes are acked before they are indexed: time the ops once the index workers have caught up, not beside them
                long until = System.nanoTime() + 600_000_000_000L;
                while (!"up-to-date".equals(json(client, urls.get(0) + ns, "GET", null).path("index").path("status").asText())) {
                    if (System.nanoTime() > until) throw new IllegalStateException("the index did not catch up with the load in 10 minutes");
                    Thread.sleep(250);
                }
                AnnBench.log("bench grid: %d node(s): indexed after %.1f s", n, (System.nanoTime() - t0) / 1e9);
                JsonNode cluster = json(client, urls.get(0) + "/v1/cluster", "GET", null);
                List<Integer> owned = new ArrayList<>(); // in process order, as cpu_cores_per_node
                for (int i = 0; i < n; i++) {
                    int count = 0;
                    for (JsonNode node : cluster.path("nodes")) if (node.path("id").asText().equals(nodeId(i))) count = node.path("shards").asInt();
                    owned.add(count);
                }
                for (String op : ops) {
                    Map<String, Object> line = measure(client, urls, ns, op, data.queries(), dims, k, concurrency, duration, warmup, procs);
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("bench", "grid");
                    out.put("nodes", n);
                    out.put("op", op);
                    out.put("shards", shards);
                    out.put("shards_owned", owned);
                    out.putAll(line);
                    Json.line(out);
                    rpsByOp.computeIfAbsent(op, x -> new ArrayList<>()).add((Double) line.get("rps"));
                }
            } finally {
                stop(procs);
                deleteTree(work);
            }
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("bench", "grid");
        s.put("summary", true);
        s.put("nodes", nodeCounts);
        s.put("dataset", data.name());
        s.put("rows", data.base().length);
        s.put("shards", shards);
        s.put("concurrency", concurrency);
        s.put("duration_s", duration);
        for (Map.Entry<String, List<Double>> e : rpsByOp.entrySet()) {
            s.put(e.getKey() + "_rps", e.getValue());
            List<Double> r = e.getValue();
            if (r.size() > 1 && r.get(0) > 0) s.put(e.getKey() + "_scaling", Json.round(r.get(r.size() - 1) / r.get(0), 2));
        }
        s.put("machine", Json.machine());
        Json.line(s);
    }

    /** Starts {@code n} servers sharing one object store under {@code work}; returns their REST base URLs once all are ready. */
    static List<String> startGrid(int n, Path work, String heap, List<String> sets, List<Process> procs) throws Exception {
        int[] http = new int[n], grid = new int[n];
        for (int i = 0; i < n; i++) {
            http[i] = freePort();
            grid[i] = freePort();
        }
        StringBuilder join = new StringBuilder();
        for (int i = 0; i < n; i++) join.append(i > 0 ? "," : "").append("127.0.0.1:").append(grid[i]);
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path opts = Path.of(System.getProperty("tamter.root", "."), "jvm.options");
        List<Path> logs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path data = work.resolve("data" + i);
            Files.createDirectories(data);
            Files.writeString(data.resolve("node-id"), nodeId(i) + "\n", StandardCharsets.UTF_8); // to match /v1/cluster's nodes to processes
            List<String> cmd = new ArrayList<>(List.of(java));
            if (Files.exists(opts)) cmd.add("@" + opts);
            cmd.addAll(List.of("-Xmx" + heap, "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path"), TamterMain.class.getName(), "serve",
                    "--data", data.toString(), "--port", Integer.toString(http[i]), "--object-store",
                    work.resolve("store").toUri().toString(), "--grid-port", Integer.toString(grid[i]), "--join", join.toString(),
                    "--set", "grid.communication_port=" + freePort(), "--set", "grid.client_port=" + freePort()));
            for (String kv : sets) cmd.addAll(List.of("--set", kv));
            Path log = work.resolve("node" + i + ".log");
            logs.add(log);
            procs.add(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start());
        }
        HttpClient c = HttpClient.newHttpClient();
        List<String> urls = new ArrayList<>();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        for (int i = 0; i < n; i++) {
            String url = "http://127.0.0.1:" + http[i];
            while (true) {
                if (!procs.get(i).isAlive())
                    throw new IllegalStateException("node " + i + " exited: " + Files.readString(logs.get(i), StandardCharsets.UTF_8));
                try {
                    if (HttpBench.send(c, url + "/ready", "GET", null, null).statusCode() == 200) break;
                } catch (IOException e) {
                    // not listening yet
                }
                if (System.nanoTime() > end) throw new IllegalStateException("node " + i + " not ready within 180 s (log " + logs.get(i) + ")");
                Thread.sleep(200);
            }
            urls.add(url);
        }
        AnnBench.log("bench grid: %d node(s) ready (logs under %s)", n, work);
        return urls;
    }

    /** The node id of the {@code i}-th server (its consistent id in the grid). */
    static String nodeId(int i) {
        return "bench-" + i;
    }

    /** Loads {@code base} as rows 0..n-1, batches of 500 spread over the nodes, two at a time. */
    static void load(HttpClient client, List<String> urls, String ns, float[][] base) throws Exception {
        int batch = 500;
        AtomicLong next = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 2; t++) {
            Thread th = new Thread(() -> {
                try {
                    for (long from; (from = next.getAndAdd(batch)) < base.length; ) {
                        StringBuilder sb = new StringBuilder("{\"upsert_rows\":[");
                        for (int i = (int) from; i < Math.min(base.length, from + batch); i++)
                            sb.append(i > from ? "," : "").append("{\"id\":").append(i).append(",\"vector\":").append(Arrays.toString(base[i])).append('}');
                        String url = urls.get((int) (from / batch % urls.size())) + ns + "/upsert";
                        var r = HttpBench.send(client, url, "POST", sb.append("]}").toString(), null);
                        if (r.statusCode() != 200) throw new IllegalStateException("load: " + r.statusCode() + " " + r.body());
                    }
                } catch (Exception e) {
                    failures.add(e);
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) th.join();
        if (!failures.isEmpty()) throw new IllegalStateException("load failed: " + failures.get(0), failures.get(0));
    }

    /** One timed closed loop of {@code op}; the requests, latency, errors and CPU (cores) per server and of this JVM. */
    static Map<String, Object> measure(HttpClient client, List<String> urls, String ns, String op, float[][] queries, int dims, int k,
            int concurrency, double duration, double warmup, List<Process> procs) throws Exception {
        long t0 = System.nanoTime();
        long measureFrom = t0 + (long) (warmup * 1e9);
        long end = measureFrom + (long) (duration * 1e9);
        AtomicLong errors = new AtomicLong();
        AtomicLong ids = new AtomicLong(1_000_000_000L + ThreadLocalRandom.current().nextInt(1 << 20) * 1000L);
        AtomicLong turn = new AtomicLong();
        long[][] lat = new long[concurrency][];
        int[] count = new int[concurrency];
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < concurrency; t++) {
            int me = t;
            lat[me] = new long[1 << 14];
            Thread th = new Thread(() -> {
                Random r = new Random(31L * me + 7);
                while (System.nanoTime() < end) {
                    String url = urls.get((int) (turn.getAndIncrement() % urls.size())) + ns;
                    String body = op.equals("search")
                            ? "{\"vector\":" + Arrays.toString(queries[r.nextInt(queries.length)]) + ",\"top_k\":" + k + ",\"include_metadata\":false}"
                            : "{\"upsert_rows\":[{\"id\":" + ids.incrementAndGet() + ",\"vector\":" + Arrays.toString(HttpBench.random(r, dims)) + "}]}";
                    long s0 = System.nanoTime();
                    boolean ok;
                    try {
                        ok = HttpBench.send(client, url + (op.equals("search") ? "/search" : "/upsert"), "POST", body, null).statusCode() == 200;
                    } catch (Exception e) {
                        ok = false;
                    }
                    long s1 = System.nanoTime();
                    if (s0 < measureFrom) continue;
                    if (!ok) errors.incrementAndGet();
                    if (count[me] == lat[me].length) lat[me] = Arrays.copyOf(lat[me], lat[me].length * 2);
                    lat[me][count[me]++] = s1 - s0;
                }
            }, "bench-grid-" + t);
            threads.add(th);
            th.start();
        }
        // CPU over the timed window: sampled when it starts and when the clients stop
        while (System.nanoTime() < measureFrom) Thread.sleep(Math.max(1, (measureFrom - System.nanoTime()) / 1_000_000));
        long[] cpu0 = cpu(procs);
        long self0 = selfCpu();
        long w0 = System.nanoTime();
        for (Thread th : threads) th.join();
        long[] cpu1 = cpu(procs);
        long self1 = selfCpu();
        double wall = (System.nanoTime() - w0) / 1e9;
        double secs = (System.nanoTime() - measureFrom) / 1e9;
        int total = 0;
        for (int c : count) total += c;
        long[] all = new long[total];
        int at = 0;
        for (int t = 0; t < concurrency; t++) {
            System.arraycopy(lat[t], 0, all, at, count[t]);
            at += count[t];
        }
        Arrays.sort(all);
        List<Double> cores = new ArrayList<>();
        for (int i = 0; i < procs.size(); i++) cores.add(Json.round((cpu1[i] - cpu0[i]) / 1e9 / wall, 2));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requests", total);
        m.put("rps", Json.round(total / secs, 1));
        m.put("p50_ms", Json.round(HttpBench.pct(all, 0.50) / 1e6, 3));
        m.put("p99_ms", Json.round(HttpBench.pct(all, 0.99) / 1e6, 3));
        m.put("errors", errors.get());
        m.put("cpu_cores_per_node", cores);
        m.put("loadgen_cpu_cores", Json.round((self1 - self0) / 1e9 / wall, 2));
        return m;
    }

    /** Each process's CPU time so far, in ns (user + system, from the OS). */
    static long[] cpu(List<Process> procs) {
        long[] out = new long[procs.size()];
        for (int i = 0; i < out.length; i++) out[i] = procs.get(i).info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
        return out;
    }

    static long selfCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static JsonNode json(HttpClient c, String url, String method, String body) throws Exception {
        return M.readTree(HttpBench.send(c, url, method, body, null).body());
    }

    /**
     * A free port below the kernel's ephemeral range (Ignite's discovery could lose a port handed out
     * by port 0 to an outgoing connection before it binds it; TestServer.freePort says the same).
     */
    static int freePort() throws IOException {
        for (int attempt = 0; attempt < 1000; attempt++) {
            int p = 20_000 + ThreadLocalRandom.current().nextInt(12_000);
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(false);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p), 1);
                return p;
            } catch (IOException e) {
                // taken: another
            }
        }
        throw new IOException("no free port found in 20000..32000");
    }

    /** SIGTERM to every server (a clean stop), then waits for them. */
    static void stop(List<Process> procs) throws InterruptedException {
        for (Process p : procs) p.destroy();
        for (Process p : procs) if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            AnnBench.log("bench grid: could not delete %s: %s", dir, e);
        }
    }
}
