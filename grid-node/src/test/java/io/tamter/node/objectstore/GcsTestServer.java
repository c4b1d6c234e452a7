package io.tamter.node.objectstore;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import java.util.zip.GZIPInputStream;

/**
 * A Google Cloud Storage JSON API server for tests, in memory, on 127.0.0.1 and a free port: the
 * real {@code google-cloud-storage} client talks to it over HTTP (STACK.md: no GCS emulator can
 * be installed here). It speaks the routes that client uses and no more:
 * <ul>
 *   <li>{@code POST /upload/storage/v1/b/B/o?uploadType=multipart|media|resumable}: object insert
 *       (a resumable upload then continues with {@code PUT} of chunks to the session URL it got in
 *       {@code Location}: {@code 308} with {@code Range} until the last chunk, whose
 *       {@code Content-Range} names the total size);</li>
 *   <li>{@code GET /storage/v1/b/B/o/O}: metadata; with {@code alt=media} (also under
 *       {@code /download}) the bytes, honouring a {@code Range} header ({@code 206}, {@code 416}
 *       for a start past the end of a non-empty object);</li>
 *   <li>{@code GET /storage/v1/b/B/o}: list with {@code prefix}, {@code delimiter},
 *       {@code maxResults} and {@code pageToken};</li>
 *   <li>{@code DELETE /storage/v1/b/B/o/O}.</li>
 * </ul>
 * Preconditions as GCS evaluates them: {@code ifGenerationMatch} (0: "does not exist"),
 * {@code ifGenerationNotMatch}, {@code ifMetagenerationMatch}, {@code ifMetagenerationNotMatch};
 * a failed one is {@code 412}, a missing object {@code 404}. A {@code generation} parameter on a
 * read selects that generation, which only the live object has (the bucket keeps no versions). A
 * write is checked and committed under the bucket's lock, so of racing creates exactly one wins;
 * for a resumable upload that happens when its last chunk arrives. Generations are increasing
 * wall-clock microseconds, like GCS's. Uploaded {@code crc32c}/{@code md5Hash} are verified
 * ({@code 400} on a mismatch) and gzip request bodies decoded.
 *
 * <p>Any other route answers {@code 501} and is recorded in {@link #unhandled()}, so a test can
 * show the client used nothing this server fakes badly.
 *
 * <p>Faults ({@link #inject}): a rule matches requests of one {@link Op} and applies to the next
 * n of them: an error status before anything is done, added latency, a hang (longer than the
 * client's read timeout, so it times out), or a lost response: the request takes full effect and
 * then the connection is closed without an answer, as when a network drops the reply of a write
 * that GCS committed.
 */
public final class GcsTestServer implements AutoCloseable {
    /** The kinds of request a fault rule can match. */
    public enum Op { INSERT, RESUMABLE_START, RESUMABLE_CHUNK, GET_METADATA, GET_MEDIA, LIST, DELETE }

    /** What an injected fault does. */
    public enum FaultKind { ERROR, LATENCY, HANG, LOSE_RESPONSE }

    record Fault(Op op, FaultKind kind, int status, long millis, AtomicInteger skip, AtomicInteger remaining) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Comparator<String> UTF8_ORDER = (a, b) -> Arrays.compareUnsigned(a.getBytes(UTF_8), b.getBytes(UTF_8));
    private static final Pattern OBJECT_PATH = Pattern.compile("^(?:/download)?/storage/v1/b/([^/]+)/o/(.+)$");
    private static final Pattern LIST_PATH = Pattern.compile("^/storage/v1/b/([^/]+)/o/?$");
    private static final Pattern UPLOAD_PATH = Pattern.compile("^/upload/storage/v1/b/([^/]+)/o/?$");
    private static final Pattern CONTENT_RANGE = Pattern.compile("^bytes (\\*|(\\d+)-(\\d+))/(\\*|\\d+)$");
    private static final Pattern RANGE = Pattern.compile("^bytes=(\\d+)-(\\d*)$");

    /** One stored object: its bytes and metadata together, replaced whole on every write. */
    public record Blob(String bucket, String name, long generation, long metageneration, byte[] bytes, String contentType,
                Map<String, String> metadata, String crc32c, String md5, Instant created) {
    }

    private record UploadSession(String bucket, String name, Map<String, String> query, Map<String, Object> resource,
                                 ByteArrayOutputStream data) {
    }

    /** A request's outcome that is not a success: the status and GCS-style error reason. */
    private static final class HttpError extends Exception {
        final int status;
        final String reason;

        HttpError(int status, String reason, String message) {
            super(message);
            this.status = status;
            this.reason = reason;
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "gcs-test-server");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, NavigableMap<String, Blob>> buckets = new ConcurrentHashMap<>();
    private final Map<String, UploadSession> uploads = new ConcurrentHashMap<>();
    private final Map<String, Blob> finishedUploads = new ConcurrentHashMap<>();
    private final List<Fault> faults = new CopyOnWriteArrayList<>();
    private final Map<Op, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final List<String> unhandled = new CopyOnWriteArrayList<>();
    private final AtomicLong lastGeneration = new AtomicLong();
    private final AtomicInteger checkedUploads = new AtomicInteger();
    private final List<String> preconditionFailures = new CopyOnWriteArrayList<>();

    public GcsTestServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** The base URL the client's host setting (or STORAGE_EMULATOR_HOST) points at. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Makes a bucket exist (buckets are otherwise 404). */
    public GcsTestServer createBucket(String name) {
        buckets.computeIfAbsent(name, n -> new TreeMap<>(UTF8_ORDER));
        return this;
    }

    /** Applies {@code kind} to the next {@code times} requests of {@code op}. */
    public void inject(Op op, FaultKind kind, int statusOrZero, long millis, int times) {
        injectAfter(0, op, kind, statusOrZero, millis, times);
    }

    /** Lets {@code skip} requests of {@code op} pass, then applies {@code kind} to the next {@code times}. */
    public void injectAfter(int skip, Op op, FaultKind kind, int statusOrZero, long millis, int times) {
        faults.add(new Fault(op, kind, statusOrZero, millis, new AtomicInteger(skip), new AtomicInteger(times)));
    }

    public void clearFaults() {
        faults.clear();
    }

    /** How many requests of {@code op} arrived (faulted ones included). */
    public int requests(Op op) {
        return requests.computeIfAbsent(op, o -> new AtomicInteger()).get();
    }

    /** Uploads that came with a CRC32C, which matched their bytes (a mismatch is a 400). */
    public int checkedUploads() {
        return checkedUploads.get();
    }

    /** The requests answered 412 (a precondition that did not hold), as "OP: condition on name". */
    public List<String> preconditionFailures() {
        return List.copyOf(preconditionFailures);
    }

    /** Requests this server does not implement ("METHOD path?query"). */
    public List<String> unhandled() {
        return List.copyOf(unhandled);
    }

    /** The stored object, for tests that look behind the client (or corrupt it). */
    public Blob blob(String bucket, String name) {
        NavigableMap<String, Blob> b = buckets.get(bucket);
        if (b == null) return null;
        synchronized (b) {
            return b.get(name);
        }
    }

    /** Replaces an object's bytes without changing its metadata or checksums: a corruption. */
    public void corrupt(String bucket, String name, byte[] bytes) {
        NavigableMap<String, Blob> b = buckets.get(bucket);
        synchronized (b) {
            Blob old = b.get(name);
            b.put(name, new Blob(old.bucket(), old.name(), old.generation(), old.metageneration(), bytes, old.contentType(), old.metadata(),
                    old.crc32c(), old.md5(), old.created()));
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ---- dispatch ----

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getRawPath();
            Map<String, String> query = parseQuery(ex.getRequestURI().getRawQuery());
            Matcher m;
            Op op;
            if ((m = UPLOAD_PATH.matcher(path)).matches() && method.equals("POST")) {
                op = "resumable".equals(query.get("uploadType")) ? Op.RESUMABLE_START : Op.INSERT;
            } else if (UPLOAD_PATH.matcher(path).matches() && method.equals("PUT") && query.containsKey("upload_id")) {
                op = Op.RESUMABLE_CHUNK;
            } else if ((m = OBJECT_PATH.matcher(path)).matches() && method.equals("GET")) {
                op = "media".equals(query.get("alt")) || path.startsWith("/download") ? Op.GET_MEDIA : Op.GET_METADATA;
            } else if ((m = OBJECT_PATH.matcher(path)).matches() && method.equals("DELETE")) {
                op = Op.DELETE;
            } else if ((m = LIST_PATH.matcher(path)).matches() && method.equals("GET")) {
                op = Op.LIST;
            } else {
                String line = method + " " + path + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
                unhandled.add(line);
                drain(ex);
                sendError(ex, new HttpError(501, "notImplemented", "the GCS test server does not implement " + line));
                return;
            }
            requests.computeIfAbsent(op, o -> new AtomicInteger()).incrementAndGet();
            Fault fault = takeFault(op);
            if (fault != null) {
                switch (fault.kind()) {
                    case ERROR -> {
                        drain(ex);
                        sendError(ex, new HttpError(fault.status(), "backendError", "injected fault"));
                        return;
                    }
                    case LATENCY, HANG -> sleep(fault.millis());
                    case LOSE_RESPONSE -> { }
                }
            }
            Response response;
            try {
                String bucket = m.group(1);
                response = switch (op) {
                    case INSERT -> insert(ex, bucket, query);
                    case RESUMABLE_START -> startResumable(ex, bucket, query);
                    case RESUMABLE_CHUNK -> resumableChunk(ex, query);
                    case GET_METADATA -> Response.json(200, resource(get(bucket, decodePath(m.group(2)), query)));
                    case GET_MEDIA -> media(ex, get(bucket, decodePath(m.group(2)), query));
                    case LIST -> list(bucket, query);
                    case DELETE -> delete(bucket, decodePath(m.group(2)), query);
                };
            } catch (HttpError e) {
                if (e.status == 412) preconditionFailures.add(op + ": " + e.getMessage().substring(e.getMessage().indexOf(": ") + 2));
                if (fault != null && fault.kind() == FaultKind.LOSE_RESPONSE) return; // closes the connection unanswered
                sendError(ex, e);
                return;
            }
            // the request took effect; closing the exchange without headers drops the connection
            if (fault != null && fault.kind() == FaultKind.LOSE_RESPONSE) return;
            response.send(ex);
        } catch (RuntimeException e) {
            e.printStackTrace();
            throw e;
        }
    }

    private Fault takeFault(Op op) {
        for (Fault f : faults) {
            if (f.op() != op) continue;
            if (f.skip().getAndDecrement() > 0) return null;
            if (f.remaining().getAndDecrement() > 0) return f;
        }
        return null;
    }

    // ---- objects ----

    private NavigableMap<String, Blob> bucket(String name) throws HttpError {
        NavigableMap<String, Blob> b = buckets.get(decodePath(name));
        if (b == null) throw new HttpError(404, "notFound", "bucket " + name + " does not exist");
        return b;
    }

    private Blob get(String bucketName, String name, Map<String, String> query) throws HttpError {
        NavigableMap<String, Blob> bucket = bucket(bucketName);
        Blob blob;
        synchronized (bucket) {
            blob = bucket.get(name);
        }
        if (blob == null) throw new HttpError(404, "notFound", "No such object: " + bucketName + "/" + name);
        if (query.containsKey("generation") && Long.parseLong(query.get("generation")) != blob.generation()) {
            throw new HttpError(404, "notFound", "No such object: " + bucketName + "/" + name + "#" + query.get("generation"));
        }
        checkPreconditions(name, blob, query);
        return blob;
    }

    private static void checkPreconditions(String name, Blob current, Map<String, String> query) throws HttpError {
        String gm = query.get("ifGenerationMatch");
        if (gm != null) {
            long want = Long.parseLong(gm);
            if (current == null ? want != 0 : current.generation() != want) throw conditionNotMet(name, "ifGenerationMatch=" + gm);
        }
        String gnm = query.get("ifGenerationNotMatch");
        if (gnm != null && current != null && current.generation() == Long.parseLong(gnm)) {
            throw conditionNotMet(name, "ifGenerationNotMatch=" + gnm);
        }
        String mm = query.get("ifMetagenerationMatch");
        if (mm != null && (current == null || current.metageneration() != Long.parseLong(mm))) {
            throw conditionNotMet(name, "ifMetagenerationMatch=" + mm);
        }
        String mnm = query.get("ifMetagenerationNotMatch");
        if (mnm != null && current != null && current.metageneration() == Long.parseLong(mnm)) {
            throw conditionNotMet(name, "ifMetagenerationNotMatch=" + mnm);
        }
    }

    private static HttpError conditionNotMet(String name, String what) {
        return new HttpError(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold: " + what + " on " + name);
    }

    /** Checks the preconditions against the live object and stores the new one, atomically. */
    private Blob commit(String bucketName, String name, Map<String, String> query, Map<String, Object> resource, byte[] bytes)
            throws HttpError {
        if (name == null || name.isEmpty()) throw new HttpError(400, "required", "object name is required");
        if (name.getBytes(UTF_8).length > 1024) throw new HttpError(400, "invalid", "object name longer than 1024 bytes");
        String crc = crc32c(bytes);
        String md5 = md5(bytes);
        if (resource.get("crc32c") != null && !crc.equals(resource.get("crc32c"))) {
            throw new HttpError(400, "invalid", "Provided CRC32C \"" + resource.get("crc32c") + "\" doesn't match calculated CRC32C \"" + crc + "\"");
        }
        if (resource.get("md5Hash") != null && !md5.equals(resource.get("md5Hash"))) {
            throw new HttpError(400, "invalid", "Provided MD5 hash doesn't match calculated MD5 hash");
        }
        if (resource.get("crc32c") != null) checkedUploads.incrementAndGet();
        Map<String, String> metadata = new LinkedHashMap<>();
        if (resource.get("metadata") instanceof Map<?, ?> md) md.forEach((k, v) -> metadata.put(String.valueOf(k), String.valueOf(v)));
        String contentType = resource.get("contentType") instanceof String s ? s : "application/octet-stream";
        NavigableMap<String, Blob> bucket = bucket(bucketName);
        synchronized (bucket) {
            checkPreconditions(name, bucket.get(name), query);
            Blob blob = new Blob(bucketName, name, nextGeneration(), 1, bytes, contentType, Map.copyOf(metadata), crc, md5, Instant.now());
            bucket.put(name, blob);
            return blob;
        }
    }

    private long nextGeneration() {
        Instant now = Instant.now();
        long micros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
        return lastGeneration.accumulateAndGet(micros, (last, want) -> Math.max(last + 1, want));
    }

    private Response insert(HttpExchange ex, String bucket, Map<String, String> query) throws IOException, HttpError {
        byte[] body = readBody(ex);
        String type = query.get("uploadType");
        Map<String, Object> resource;
        byte[] media;
        if ("multipart".equals(type)) {
            List<byte[]> parts = multipartParts(ex.getRequestHeaders().getFirst("Content-Type"), body);
            if (parts.size() != 2) throw new HttpError(400, "invalid", "multipart upload needs 2 parts, got " + parts.size());
            resource = parseJson(parts.get(0));
            media = parts.get(1);
        } else if ("media".equals(type)) {
            resource = new LinkedHashMap<>();
            media = body;
        } else {
            throw new HttpError(400, "invalid", "unsupported uploadType " + type);
        }
        String name = resource.get("name") instanceof String s ? s : query.get("name");
        return Response.json(200, resource(commit(bucket, name, query, resource, media)));
    }

    private Response startResumable(HttpExchange ex, String bucket, Map<String, String> query) throws IOException, HttpError {
        bucket(bucket);
        byte[] body = readBody(ex);
        Map<String, Object> resource = body.length == 0 ? new LinkedHashMap<>() : parseJson(body);
        String name = resource.get("name") instanceof String s ? s : query.get("name");
        String id = UUID.randomUUID().toString();
        uploads.put(id, new UploadSession(bucket, name, query, resource, new ByteArrayOutputStream()));
        Response r = new Response(200, new byte[0], "application/json");
        r.headers.put("Location", endpoint() + "/upload/storage/v1/b/" + bucket + "/o?uploadType=resumable&upload_id="
                + URLEncoder.encode(id, UTF_8));
        return r;
    }

    private Response resumableChunk(HttpExchange ex, Map<String, String> query) throws IOException, HttpError {
        String id = query.get("upload_id");
        byte[] body = readBody(ex);
        Blob done = finishedUploads.get(id);
        if (done != null) return Response.json(200, resource(done)); // a retry after the last chunk was committed
        UploadSession s = uploads.get(id);
        if (s == null) throw new HttpError(404, "notFound", "no upload session " + id);
        String cr = ex.getRequestHeaders().getFirst("Content-Range");
        Matcher m = cr == null ? null : CONTENT_RANGE.matcher(cr.trim());
        if (m == null || !m.matches()) throw new HttpError(400, "invalid", "bad Content-Range: " + cr);
        synchronized (s) {
            long persisted = s.data().size();
            if (m.group(2) != null) {
                long start = Long.parseLong(m.group(2));
                long end = Long.parseLong(m.group(3));
                if (end - start + 1 != body.length) throw new HttpError(400, "invalid", "Content-Range " + cr + " but " + body.length + " bytes");
                if (start > persisted) throw new HttpError(400, "invalid", "chunk starts at " + start + ", persisted " + persisted);
                int skip = (int) (persisted - start); // the part a client re-sends after a lost 308
                if (skip < body.length) s.data().write(body, skip, body.length - skip);
            }
            long total = m.group(4).equals("*") ? -1 : Long.parseLong(m.group(4));
            if (total >= 0 && s.data().size() == total) {
                Blob blob = commit(s.bucket(), s.name(), s.query(), s.resource(), s.data().toByteArray());
                finishedUploads.put(id, blob);
                uploads.remove(id);
                return Response.json(200, resource(blob));
            }
            if (total >= 0 && s.data().size() > total) throw new HttpError(400, "invalid", "more bytes than the declared total");
            Response r = new Response(308, new byte[0], null);
            if (s.data().size() > 0) r.headers.put("Range", "bytes=0-" + (s.data().size() - 1));
            return r;
        }
    }

    private Response media(HttpExchange ex, Blob blob) throws HttpError {
        byte[] bytes = blob.bytes();
        int status = 200;
        String range = ex.getRequestHeaders().getFirst("Range");
        Map<String, String> headers = new LinkedHashMap<>();
        if (range != null && bytes.length > 0) {
            Matcher m = RANGE.matcher(range.trim());
            if (!m.matches()) throw new HttpError(400, "invalid", "unsupported Range " + range);
            long start = Long.parseLong(m.group(1));
            long end = m.group(2).isEmpty() ? bytes.length - 1 : Math.min(Long.parseLong(m.group(2)), bytes.length - 1);
            if (start >= bytes.length) {
                throw new HttpError(416, "requestedRangeNotSatisfiable", "The requested range cannot be satisfied: " + range);
            }
            headers.put("Content-Range", "bytes " + start + "-" + end + "/" + bytes.length);
            bytes = Arrays.copyOfRange(bytes, (int) start, (int) end + 1);
            status = 206;
        }
        Response r = new Response(status, bytes, blob.contentType());
        r.headers.putAll(headers);
        r.headers.put("x-goog-generation", Long.toString(blob.generation()));
        r.headers.put("x-goog-metageneration", Long.toString(blob.metageneration()));
        r.headers.put("x-goog-hash", "crc32c=" + blob.crc32c() + ",md5=" + blob.md5());
        r.headers.put("x-goog-stored-content-length", Integer.toString(blob.bytes().length));
        r.headers.put("ETag", "\"" + blob.md5() + "\"");
        return r;
    }

    private Response list(String bucketName, Map<String, String> query) throws HttpError {
        NavigableMap<String, Blob> bucket = bucket(bucketName);
        String prefix = query.getOrDefault("prefix", "");
        String delimiter = query.get("delimiter");
        int max = Math.min(Integer.parseInt(query.getOrDefault("maxResults", "1000")), 1000);
        if (max <= 0) throw new HttpError(400, "invalid", "maxResults must be positive");
        String after = query.get("pageToken") == null ? null : new String(Base64.getUrlDecoder().decode(query.get("pageToken")), UTF_8);
        List<Map<String, Object>> items = new ArrayList<>();
        TreeSet<String> prefixes = new TreeSet<>(UTF8_ORDER);
        String last = null;
        boolean more = false;
        synchronized (bucket) {
            NavigableMap<String, Blob> tail = after == null ? bucket.tailMap(prefix, true) : bucket.tailMap(after, false);
            for (Blob b : tail.values()) {
                if (!b.name().startsWith(prefix)) {
                    if (UTF8_ORDER.compare(b.name(), prefix) > 0) break;
                    continue;
                }
                if (items.size() + prefixes.size() >= max) {
                    more = true;
                    break;
                }
                int d = delimiter == null ? -1 : b.name().indexOf(delimiter, prefix.length());
                if (d >= 0) prefixes.add(b.name().substring(0, d + delimiter.length()));
                else items.add(resource(b));
                last = b.name();
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kind", "storage#objects");
        if (!items.isEmpty()) out.put("items", items);
        if (!prefixes.isEmpty()) out.put("prefixes", List.copyOf(prefixes));
        if (more) out.put("nextPageToken", Base64.getUrlEncoder().withoutPadding().encodeToString(last.getBytes(UTF_8)));
        return Response.json(200, out);
    }

    private Response delete(String bucketName, String name, Map<String, String> query) throws HttpError {
        NavigableMap<String, Blob> bucket = bucket(bucketName);
        synchronized (bucket) {
            Blob current = bucket.get(name);
            if (current == null) throw new HttpError(404, "notFound", "No such object: " + bucketName + "/" + name);
            checkPreconditions(name, current, query);
            bucket.remove(name);
        }
        return new Response(204, new byte[0], null);
    }

    /** The JSON API's object resource (int64 fields as strings, as the API sends them). */
    private static Map<String, Object> resource(Blob b) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("kind", "storage#object");
        r.put("id", b.bucket() + "/" + b.name() + "/" + b.generation());
        r.put("bucket", b.bucket());
        r.put("name", b.name());
        r.put("generation", Long.toString(b.generation()));
        r.put("metageneration", Long.toString(b.metageneration()));
        r.put("contentType", b.contentType());
        r.put("size", Integer.toString(b.bytes().length));
        r.put("crc32c", b.crc32c());
        r.put("md5Hash", b.md5());
        r.put("etag", b.md5());
        r.put("storageClass", "STANDARD");
        r.put("timeCreated", b.created().toString());
        r.put("updated", b.created().toString());
        if (!b.metadata().isEmpty()) r.put("metadata", b.metadata());
        return r;
    }

    // ---- HTTP plumbing ----

    private static final class Response {
        final int status;
        final byte[] body;
        final Map<String, String> headers = new LinkedHashMap<>();

        Response(int status, byte[] body, String contentType) {
            this.status = status;
            this.body = body;
            if (contentType != null) headers.put("Content-Type", contentType);
        }

        static Response json(int status, Object value) {
            try {
                return new Response(status, JSON.writeValueAsBytes(value), "application/json; charset=UTF-8");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        void send(HttpExchange ex) throws IOException {
            headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    private static void sendError(HttpExchange ex, HttpError e) throws IOException {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", e.status);
        error.put("message", e.getMessage());
        error.put("errors", List.of(Map.of("domain", "global", "reason", e.reason, "message", e.getMessage())));
        Response.json(e.status, Map.of("error", error)).send(ex);
    }

    private static byte[] readBody(HttpExchange ex) throws IOException {
        boolean gzip = "gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"));
        try (InputStream in = gzip ? new GZIPInputStream(ex.getRequestBody()) : ex.getRequestBody()) {
            return in.readAllBytes();
        }
    }

    private static void drain(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            in.transferTo(OutputStream.nullOutputStream());
        }
    }

    /** The parts of a {@code multipart/related} body, without their headers. */
    static List<byte[]> multipartParts(String contentType, byte[] body) throws HttpError {
        Matcher m = contentType == null ? null : Pattern.compile("boundary=\"?([^\";]+)\"?").matcher(contentType);
        if (m == null || !m.find()) throw new HttpError(400, "invalid", "multipart without a boundary: " + contentType);
        byte[] delimiter = ("--" + m.group(1)).getBytes(UTF_8);
        List<byte[]> parts = new ArrayList<>();
        int pos = indexOf(body, delimiter, 0);
        while (pos >= 0) {
            int afterDelimiter = pos + delimiter.length;
            if (afterDelimiter + 1 < body.length && body[afterDelimiter] == '-' && body[afterDelimiter + 1] == '-') break;
            int headersEnd = indexOf(body, "\r\n\r\n".getBytes(UTF_8), afterDelimiter);
            if (headersEnd < 0) throw new HttpError(400, "invalid", "multipart part without a header end");
            int next = indexOf(body, ("\r\n--" + m.group(1)).getBytes(UTF_8), headersEnd + 4);
            if (next < 0) throw new HttpError(400, "invalid", "multipart part without a closing boundary");
            parts.add(Arrays.copyOfRange(body, headersEnd + 4, next));
            pos = next + 2;
        }
        return parts;
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    private static Map<String, Object> parseJson(byte[] json) throws HttpError {
        try {
            return JSON.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (IOException e) {
            throw new HttpError(400, "parseError", "bad JSON: " + e.getMessage());
        }
    }

    private static Map<String, String> parseQuery(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) return q;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), UTF_8);
            q.put(k, v);
        }
        return q;
    }

    /** Percent-decoding of a path segment: unlike a query, '+' is a literal plus there. */
    private static String decodePath(String raw) {
        return URLDecoder.decode(raw.replace("+", "%2B"), UTF_8);
    }

    static String crc32c(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static String md5(byte[] bytes) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "GcsTestServer[" + endpoint() + "]";
    }
}
