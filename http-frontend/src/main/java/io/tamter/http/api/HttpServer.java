package io.tamter.http.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tamter.compute.EngineOps;
import io.tamter.client.wire.JsonChecks;
import io.tamter.client.wire.Op;
import io.tamter.compute.OpRequest;
import io.tamter.compute.OpResponse;
import io.tamter.config.Params;
import io.tamter.config.Settings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.UriCompliance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST server (API.md) on Javalin. Controllers are thin: each route parses the JSON body,
 * checks auth and rate limits, and hands an {@link OpRequest} to the {@link OpExecutor} (the grid),
 * whose {@link OpResponse} is written back as it is.
 *
 * <p>Every response carries {@code X-Trace-Id} (the caller's, if it sent a sane one, else a new
 * one); error bodies carry it too, and the log line of every request names it with the operation
 * id of a write. On {@link #drainAndStop} new requests get 503 while in-flight ones finish.
 */
public final class HttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);
    private static final Logger ACCESS = LoggerFactory.getLogger("tamter.access");
    static final String TRACE_HEADER = "X-Trace-Id";
    private static final Pattern SANE_TRACE = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final String ATTR_TRACE = "tamter.trace";
    private static final String ATTR_START = "tamter.start";
    private static final String ATTR_OPID = "tamter.opid";
    private static final String ATTR_ROUTE = "tamter.route";
    /** Where the dashboard's page and assets are served (src/main/resources/dashboard). */
    static final String DASHBOARD = "/dashboard";

    /**
     * Strict JSON: duplicate keys and trailing garbage are errors (a duplicated "id" must not pick
     * one silently), NaN/Infinity literals are not JSON (Jackson's default), big integers stay exact.
     * Decimals are read by Jackson's FastDoubleParser (correctly rounded, as Double.parseDouble):
     * the JDK's parser was 6 % of the server's CPU during a load of 128-dimensional vectors.
     */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .build();

    private final Settings settings;
    private final OpExecutor executor;
    private final BooleanSupplier ready;
    private final ApiKeys keys;
    private final RateLimiter limiter;
    private final long maxBody;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger inFlight = new AtomicInteger();
    private final java.util.concurrent.ConcurrentHashMap<String, Timer> timers = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean draining;
    private final Javalin app;

    /**
     * @param ready  whether the grid is joined and shards are served ({@code /ready})
     * @param gauges registers engine gauges (index, WAL) on the metrics registry
     */
    public HttpServer(Settings settings, OpExecutor executor, BooleanSupplier ready, Consumer<PrometheusMeterRegistry> gauges) {
        this.settings = settings;
        this.executor = executor;
        this.ready = ready;
        this.keys = ApiKeys.parse(settings.get(Params.HTTP_API_KEYS));
        this.limiter = new RateLimiter(settings.getDouble(Params.HTTP_RATE_LIMIT), settings.getInt(Params.HTTP_RATE_LIMIT_BURST));
        this.maxBody = settings.getLong(Params.HTTP_MAX_BODY_BYTES);
        String host = settings.get(Params.HTTP_HOST);
        if (!keys.enabled() && !isLoopback(host))
            throw new IllegalArgumentException("http.host=" + host + " is not a loopback address and no http.api_keys are configured: "
                    + "refusing to serve data to the network without authentication");
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmGcMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        new ProcessorMetrics().bindTo(metrics);
        if (gauges != null) gauges.accept(metrics);
        String openApi = OpenApi.SPEC_JSON; // built once per JVM, here so that a broken spec stops the start, not a request
        this.app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.startup.showOldJavalinVersionWarning = false;
            cfg.concurrency.useVirtualThreads = true;
            cfg.http.maxRequestSize = maxBody;
            cfg.http.prefer405over404 = true;
            // let encoded '/' and '..' reach the handlers, which reject bad namespace names and ids with
            // API.md's error body instead of Jetty's HTML page
            cfg.jetty.modifyHttpConfiguration(hc -> hc.setUriCompliance(UriCompliance.UNSAFE));
            cfg.jetty.modifyServletContextHandler(h -> h.getServletHandler().setDecodeAmbiguousURIs(true));
            // requests Jetty refuses before any handler runs (bad URI encoding, bad Content-Length, headers or URI
            // too long) get API.md's error body too, not Jetty's HTML page
            cfg.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            // the dashboard (README: Dashboard): plain HTML/CSS/JS from the jar, no build step; it is a page that
            // calls the API below from the browser, so it holds no data and needs no key itself. Served as static
            // files, not routes: it is no API route and has no place in /openapi.json
            cfg.staticFiles.add(sf -> {
                sf.hostedPath = DASHBOARD;
                sf.directory = "/dashboard";
                sf.location = Location.CLASSPATH;
                sf.headers = Map.of("Cache-Control", "no-cache"); // a new server version's page is never stale
            });
            cfg.routes.before(this::before);
            cfg.routes.after(this::after);
            for (Route r : Routes.API)
                for (HandlerType m : r.methods()) cfg.routes.addHttpHandler(m, r.path(), ctx -> {
                    ctx.attribute(ATTR_ROUTE, r.path());
                    handle(ctx, r);
                });
            cfg.routes.get("/health", ctx -> json(ctx, 200, ok()));
            cfg.routes.get("/ready", ctx -> {
                boolean ok = !draining && ready.getAsBoolean();
                ObjectNode b = ok ? ok() : error("not_ready", draining ? "shutting down" : "grid not joined or shards not served", null);
                json(ctx, ok ? 200 : 503, b);
            });
            cfg.routes.get("/metrics", ctx -> {
                authorize(ctx, Op.Access.ADMIN, null);
                ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
            });
            cfg.routes.get("/openapi.json", ctx -> ctx.status(200).contentType("application/json").result(openApi));
            cfg.routes.exception(ApiException.class, (e, ctx) -> {
                if (e.retryAfter > 0) ctx.header("Retry-After", Long.toString(e.retryAfter));
                json(ctx, e.status, error(e.code, e.getMessage(), e.path));
            });
            cfg.routes.exception(HttpResponseException.class, (e, ctx) -> {
                int st = e.getStatus();
                String code = st == 413 ? "payload_too_large" : st == 404 ? "not_found" : "http_" + st;
                String msg = st == 413 ? "request body is larger than the limit of " + maxBody + " bytes (http.max_body_bytes)" : e.getMessage();
                json(ctx, st, error(code, msg, null));
            });
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("trace {}: unexpected error on {} {}", trace(ctx), ctx.method(), ctx.path(), e);
                json(ctx, 500, error("internal", "internal error (trace " + trace(ctx) + ")", null));
            });
            cfg.routes.error(404, ctx -> {
                if (ctx.result() == null || ctx.result().isEmpty())
                    json(ctx, 404, error("not_found", "no route " + ctx.method() + " " + ctx.path(), null));
            });
            cfg.routes.error(405, ctx -> json(ctx, 405, error("method_not_allowed", "method " + ctx.method() + " is not allowed on " + ctx.path(), null)));
        });
    }

    /** Starts listening; returns the bound port. */
    public int start() {
        app.start(settings.get(Params.HTTP_HOST), settings.getInt(Params.HTTP_PORT));
        return app.port();
    }

    public int port() {
        return app.port();
    }

    /** Routes Javalin actually serves (method + path), for the openapi check. */
    public List<String> servedRoutes() {
        return app.unsafe.internalRouter.allHttpHandlers().stream().filter(p -> p.endpoint.method.isHttpMethod())
                .map(p -> p.endpoint.method + " " + p.endpoint.path).toList();
    }

    public PrometheusMeterRegistry metrics() {
        return metrics;
    }

    // ------------------------------------------------------------------ request lifecycle

    private void before(Context ctx) {
        String incoming = ctx.header(TRACE_HEADER);
        String trace = incoming != null && SANE_TRACE.matcher(incoming).matches() ? incoming
                : Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
        ctx.attribute(ATTR_TRACE, trace);
        ctx.attribute(ATTR_START, System.nanoTime());
        ctx.header(TRACE_HEADER, trace);
        inFlight.incrementAndGet();
        if (draining && !ctx.path().equals("/health"))
            throw new ApiException(503, "shutting_down", "the server is shutting down; retry on another node or after restart", null, 1);
        String cl = ctx.header("Content-Length");
        if (cl != null) {
            try {
                if (Long.parseLong(cl.trim()) > maxBody)
                    throw new ApiException(413, "payload_too_large", "request body of " + cl.trim() + " bytes is larger than the limit of "
                            + maxBody + " bytes (http.max_body_bytes)", null, 0);
            } catch (NumberFormatException e) {
                throw new ApiException(400, "invalid_request", "Content-Length is not a number", null, 0);
            }
        }
    }

    private void after(Context ctx) {
        inFlight.decrementAndGet();
        Long t0 = ctx.attribute(ATTR_START);
        long nanos = t0 == null ? 0 : System.nanoTime() - t0;
        String route = ctx.attribute(ATTR_ROUTE);
        if (route == null) // bounded label values
            route = Routes.SERVICE.contains(ctx.path()) ? ctx.path() : isDashboard(ctx.path()) ? DASHBOARD : "unmatched";
        String method = ctx.method().name();
        int status = ctx.statusCode();
        String r = route;
        // one timer per (route, method, status), looked up here without building its id and tags again per request
        timers.computeIfAbsent(r + ' ' + method + ' ' + status, k -> Timer.builder("tamter.http.requests")
                        .description("HTTP requests by route, method and status")
                        .tags("route", r, "method", method, "status", Integer.toString(status))
                        .publishPercentileHistogram().register(metrics))
                .record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        String opId = ctx.attribute(ATTR_OPID);
        // the trace id (and op id) also as key-value pairs: the JSON log format (README: Logging)
        // gives them to log shippers as fields; the text line carries them in the message
        String trace = trace(ctx);
        var line = ACCESS.atInfo().addKeyValue("trace_id", trace);
        if (opId != null) line = line.addKeyValue("op_id", opId);
        line.log("{} {} {} {} ms trace={}{}", ctx.method(), ctx.path(), ctx.statusCode(), nanos / 1_000_000, trace,
                opId == null ? "" : " op=" + opId);
    }

    private void handle(Context ctx, Route route) {
        String ns = route.namespaced() ? ctx.pathParam("ns") : null;
        ApiKeys.Grant grant = authorize(ctx, route.op().access(), ns);
        JsonNode body = route.jsonBody() ? parseBody(ctx) : null;
        Map<String, String> params = new LinkedHashMap<>();
        // names starting with "_" are the grid's internal parameters (a multi-search part's _shards, a
        // delete's _drop_local): never taken from a client
        ctx.queryParamMap().forEach((k, v) -> { if (!v.isEmpty() && !k.startsWith("_")) params.put(k, v.get(0)); });
        ctx.pathParamMap().forEach((k, v) -> { if (!k.equals("ns")) params.put(k, v); });
        String opId = route.op().mutates() ? EngineOps.newOperationId() : null;
        if (opId != null) ctx.attribute(ATTR_OPID, opId);
        OpResponse res = executor.execute(new OpRequest(route.op(), ns, body, params, trace(ctx), opId));
        ObjectNode out = res.body();
        if (route.op() == Op.LIST_NAMESPACES && grant != null && !grant.admin() && out.get("namespaces") instanceof ArrayNode names) {
            // a key sees only the namespaces it may read
            ArrayNode visible = out.arrayNode();
            for (JsonNode n : names) if (grant.mayRead(n.path("name").asText())) visible.add(n);
            out.set("namespaces", visible);
        }
        if (res.retryAfterSeconds() > 0) ctx.header("Retry-After", Integer.toString(res.retryAfterSeconds()));
        if (!res.isOk() && out.get("error") instanceof ObjectNode e) e.put("trace_id", trace(ctx));
        json(ctx, res.httpStatus(), out);
    }

    /** Checks the API key (when keys are configured) and the rate limit; returns the key's grant (null without keys). */
    private ApiKeys.Grant authorize(Context ctx, Op.Access access, String ns) {
        ApiKeys.Grant grant = null;
        String caller = ctx.ip();
        if (keys.enabled()) {
            String h = ctx.header("Authorization");
            if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7))
                throw new ApiException(401, "unauthorized", "missing API key: send Authorization: Bearer <key>", null, 0);
            String key = h.substring(7).trim();
            grant = keys.lookup(key);
            if (grant == null) throw new ApiException(401, "unauthorized", "invalid API key", null, 0);
            if (!grant.allows(access, ns))
                throw new ApiException(403, "forbidden", "this key may not " + access.name().toLowerCase(java.util.Locale.ROOT)
                        + (ns == null ? "" : " namespace " + ns), null, 0);
            caller = "key:" + Integer.toHexString(key.hashCode());
        }
        long wait = limiter.tryAcquire(caller);
        if (wait > 0) throw new ApiException(429, "rate_limited", "rate limit of " + settings.getDouble(Params.HTTP_RATE_LIMIT)
                + " requests/s exceeded; retry after " + wait + " s", null, wait);
        return grant;
    }

    private JsonNode parseBody(Context ctx) {
        byte[] bytes;
        try {
            bytes = ctx.bodyAsBytes();
        } catch (HttpResponseException e) {
            throw e; // 413 from Javalin's own limit (bodies without Content-Length)
        } catch (Exception e) {
            // the client ended the body before Content-Length bytes or broke the chunking (Jetty's early EOF, a
            // checked exception Javalin rethrows unchecked): its mistake, not ours
            throw new ApiException(400, "incomplete_body", "the request body ended before its Content-Length: " + e.getMessage(), null, 0);
        }
        if (bytes.length == 0) throw new ApiException(400, "invalid_json", "request body is empty; this route takes a JSON object", null, 0);
        int badByte = JsonChecks.firstInvalidUtf8(bytes);
        if (badByte >= 0)
            throw new ApiException(400, "invalid_json", "malformed JSON: the body is not valid UTF-8 at byte " + badByte
                    + " (overlong, surrogate or truncated sequences are refused)", null, 0);
        JsonNode n;
        try {
            n = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new ApiException(400, "invalid_json", "malformed JSON" + where + ": " + e.getOriginalMessage(), null, 0);
        } catch (java.io.IOException e) {
            throw new ApiException(400, "invalid_json", "unreadable body: " + e.getMessage(), null, 0);
        }
        if (n == null || !n.isObject()) throw new ApiException(400, "invalid_json", "the request body must be a JSON object", null, 0);
        JsonChecks.Problem bad = JsonChecks.firstUnrepresentable(n);
        if (bad != null) throw new ApiException(400, bad.code(), bad.message(), bad.path(), 0);
        return n;
    }

    // ------------------------------------------------------------------ shutdown

    /** Refuses new requests, waits up to {@code http.drain_ms} for in-flight ones, then stops the server. */
    public void drainAndStop() {
        draining = true;
        long deadline = System.currentTimeMillis() + settings.getLong(Params.HTTP_DRAIN_MS);
        while (inFlight.get() > 0 && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (inFlight.get() > 0) LOG.warn("stopping with {} requests still in flight after {} ms", inFlight.get(), settings.getLong(Params.HTTP_DRAIN_MS));
        app.stop();
    }

    @Override
    public void close() {
        drainAndStop();
    }

    // ------------------------------------------------------------------ helpers

    private static boolean isDashboard(String path) {
        return path.equals(DASHBOARD) || path.startsWith(DASHBOARD + "/");
    }

    private static String trace(Context ctx) {
        String t = ctx.attribute(ATTR_TRACE);
        return t == null ? "-" : t;
    }

    private static ObjectNode ok() {
        return OpResponse.ok(JSON.createObjectNode()).body();
    }

    /** API.md's error body (the status travels separately). */
    private static ObjectNode error(String code, String message, String path) {
        return OpResponse.error(0, code, message, path, 0).body();
    }

    private static void json(Context ctx, int status, ObjectNode body) {
        if (body.get("error") instanceof ObjectNode e && !e.has("trace_id")) e.put("trace_id", trace(ctx));
        byte[] out;
        try {
            out = JSON.writeValueAsBytes(body); // UTF-8 bytes at once, not a String that Javalin encodes again
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a response tree that cannot be rendered", e);
        }
        ctx.status(status).contentType("application/json").result(out);
    }

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** A request refused before it reaches the engine (auth, limits, malformed body). */
    static final class ApiException extends RuntimeException {
        final int status;
        final String code;
        final String path;
        final long retryAfter;

        ApiException(int status, String code, String message, String path, long retryAfter) {
            super(message);
            this.status = status;
            this.code = code;
            this.path = path;
            this.retryAfter = retryAfter;
        }
    }
}
