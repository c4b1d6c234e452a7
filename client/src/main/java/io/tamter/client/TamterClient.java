package io.tamter.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.client.wire.Envelope;
import io.tamter.client.wire.JsonChecks;
import io.tamter.client.wire.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.ignite.Ignition;
import org.apache.ignite.client.IgniteClient;
import org.apache.ignite.configuration.ClientConfiguration;

/**
 * Tamter for JVM applications, over the Ignite thin client (a node's {@code grid.client_port},
 * 10800 by default): the operations of the REST API with typed requests and results, run on the
 * grid as its compute task ({@link Envelope#TASK_NAME}) with the same JSON bodies (API.md).
 *
 * <pre>{@code
 * try (TamterClient c = TamterClient.connect("10.0.0.1:10800", "10.0.0.2:10800")) {
 *     c.upsert("docs", List.of(Row.of(1).vector(0.1f, 0.2f).attr("kind", "a")));
 *     SearchResult r = c.search("docs", SearchRequest.vector(0.1f, 0.2f).topK(5).filter(Map.of("kind", "a")));
 * }
 * }</pre>
 *
 * <p>Errors: a request the grid refuses throws {@link TamterException} with the REST API's status,
 * code, message and JSON path. A read answered 503 {@code shard_moved} or {@code node_unavailable}
 * (shards moving between nodes) is sent again with backoff for up to 30 s before it throws; a write
 * is not (the grid routes writes again itself, and a 503 promises nothing was written). Every write
 * carries a fresh operation id, which the result reports. Thread-safe: one client for the app.
 */
public final class TamterClient implements AutoCloseable {
    private static final long READ_RETRY_NANOS = 30_000_000_000L;

    private final IgniteClient client;

    private TamterClient(IgniteClient client) {
        this.client = client;
    }

    /** Connects to the grid through any of {@code addresses} ({@code host:port} of the nodes' thin-client ports). */
    public static TamterClient connect(String... addresses) {
        return connect(new ClientConfiguration().setAddresses(addresses));
    }

    /** Connects with an Ignite thin-client configuration of the caller's (timeouts, TLS, …). */
    public static TamterClient connect(ClientConfiguration config) {
        return new TamterClient(Ignition.startClient(config));
    }

    // ------------------------------------------------------------------ writes

    /** Inserts or replaces whole documents. */
    public WriteResult upsert(String ns, List<Row> rows) {
        return WriteResult.fromJson(execute(Op.UPSERT, ns, listBody("upsert_rows", rows, Row::toJson), Map.of()));
    }

    public WriteResult upsert(String ns, Row... rows) {
        return upsert(ns, List.of(rows));
    }

    /** Changes only the given attributes of existing documents; missing ids are listed in {@link WriteResult#errors()}. */
    public WriteResult patch(String ns, List<Patch> patches) {
        return WriteResult.fromJson(execute(Op.UPDATE, ns, listBody("patch_rows", patches, Patch::toJson), Map.of()));
    }

    /** {@code {"<field>": [each item as JSON]}}, the body of a row-list write. */
    private static <T> ObjectNode listBody(String field, List<T> items, java.util.function.Function<T, ObjectNode> toJson) {
        ObjectNode body = Json.F.objectNode();
        ArrayNode a = body.putArray(field);
        for (T item : items) a.add(toJson.apply(item));
        return body;
    }

    public WriteResult patch(String ns, Patch... patches) {
        return patch(ns, List.of(patches));
    }

    /**
     * Patches every document matching {@code filter} (a Mongo-style filter as JSON text) with
     * {@code patch} (attribute -> value; a null value removes the attribute); the count is
     * {@link WriteResult#updated()}.
     */
    public WriteResult updateByFilter(String ns, String filter, Map<String, ?> patch) {
        ObjectNode body = Json.F.objectNode();
        body.set("filter", Json.parse(filter));
        ObjectNode p = body.putObject("patch");
        patch.forEach((k, v) -> p.set(k, Json.value(v)));
        return WriteResult.fromJson(execute(Op.UPDATE_BY_FILTER, ns, body, Map.of()));
    }

    /** Deletes documents by id (Long/Integer, BigInteger, UUID or String). */
    public WriteResult delete(String ns, Object... ids) {
        ObjectNode body = Json.F.objectNode();
        ArrayNode a = body.putArray("deletes");
        for (Object id : ids) a.add(Json.id(id));
        return WriteResult.fromJson(execute(Op.BATCH_DELETE, ns, body, Map.of()));
    }

    /** Creates a namespace with explicit settings; 409 {@code namespace_exists} if it exists with others. */
    public NamespaceInfo createNamespace(String ns, NamespaceOptions options) {
        return NamespaceInfo.fromJson(execute(Op.CREATE_NAMESPACE, ns, options.toJson(), Map.of()));
    }

    /** Deletes a namespace and all its data. */
    public void deleteNamespace(String ns) {
        execute(Op.DELETE_NAMESPACE, ns, Json.F.objectNode(), Map.of());
    }

    // ------------------------------------------------------------------ reads

    public SearchResult search(String ns, SearchRequest request) {
        return SearchResult.fromJson(execute(Op.SEARCH, ns, request.toJson(), Map.of()));
    }

    /** Up to 16 searches in one call; each result is what {@link #search} answers for its request. */
    public List<SearchResult> multiSearch(String ns, List<SearchRequest> requests) {
        ObjectNode body = Json.F.objectNode();
        ArrayNode qs = body.putArray("queries");
        for (SearchRequest r : requests) qs.add(r.toJson());
        List<SearchResult> out = new java.util.ArrayList<>();
        for (JsonNode res : execute(Op.MULTI_SEARCH, ns, body, Map.of()).path("results")) out.add(SearchResult.fromJson(res));
        return out;
    }

    /** The names of all namespaces, in name order. */
    public List<String> namespaces() {
        return namespaces("");
    }

    /** The names of the namespaces starting with {@code prefix}, in name order (every page). */
    public List<String> namespaces(String prefix) {
        List<String> names = new ArrayList<>();
        String cursor = null;
        do {
            Map<String, String> params = new HashMap<>();
            params.put("prefix", prefix);
            if (cursor != null) params.put("cursor", cursor);
            JsonNode page = execute(Op.LIST_NAMESPACES, null, Json.F.objectNode(), params);
            for (JsonNode n : page.path("namespaces")) names.add(n.path("name").asText());
            cursor = page.hasNonNull("next_cursor") ? page.get("next_cursor").asText() : null;
        } while (cursor != null);
        return names;
    }

    /** A namespace's metadata; {@link TamterException} 404 {@code namespace_not_found} if there is none. */
    public NamespaceInfo namespace(String ns) {
        return NamespaceInfo.fromJson(execute(Op.GET_NAMESPACE, ns, Json.F.objectNode(), Map.of()));
    }

    /** One document (without its vector), or empty when the namespace has no such id. */
    public Optional<Document> getDocument(String ns, Object id) {
        return getDocument(ns, id, false);
    }

    public Optional<Document> getDocument(String ns, Object id, boolean includeVector) {
        Map<String, String> params = new HashMap<>();
        params.put("id", Json.id(id).asText());
        if (includeVector) params.put("include_vectors", "true");
        Envelope.Response r = call(Op.GET_DOCUMENT, ns, Json.F.objectNode(), params);
        if (r.httpStatus() == 404 && "document_not_found".equals(r.body().path("error").path("code").asText())) return Optional.empty();
        return Optional.of(Document.fromJson(okBody(r).path("document")));
    }

    // ------------------------------------------------------------------ any operation

    /**
     * Runs any operation of API.md ({@link Op}) with a JSON body and the REST route's query/path
     * parameters; returns the response body of a 200, throws {@link TamterException} otherwise.
     */
    public JsonNode execute(Op op, String ns, JsonNode body, Map<String, String> params) {
        return okBody(call(op, ns, body, params));
    }

    /**
     * {@link #execute} without the exception: the status, API.md's body (ok or error) and Retry-After
     * as the grid answered them (after the read retries). Only a body that cannot travel as JSON text
     * (a number beyond a double, NaN, a lone surrogate) is answered here, as a 400, without sending.
     */
    public Envelope.Response call(Op op, String ns, JsonNode body, Map<String, String> params) {
        // the same refusal as over HTTP: 1e400 or NaN would arrive as the string "Infinity"/"NaN"
        JsonChecks.Problem bad = body == null ? null : JsonChecks.firstUnrepresentable(body);
        if (bad != null) return Envelope.Response.error(400, bad.code(), bad.message(), bad.path(), 0);
        String request = new Envelope.Request(op.wire(), ns, body, params, "thin-" + UUID.randomUUID(),
                op.mutates() ? Envelope.newOperationId() : null).encode();
        try {
            Envelope.Response res = send(request);
            // a read answered "moved" or "node gone" (shards moving between nodes) runs again for a while;
            // writes are routed again by the grid's coordinator itself
            long deadline = System.nanoTime() + READ_RETRY_NANOS;
            for (long backoff = 50; !op.mutates() && movedOrGone(res) && System.nanoTime() < deadline; backoff = Math.min(1000, backoff * 2)) {
                Thread.sleep(backoff);
                res = send(request);
            }
            return res;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + op.wire(), e);
        }
    }

    private Envelope.Response send(String request) throws InterruptedException {
        return Envelope.Response.decode(client.compute().<String, String>execute(Envelope.TASK_NAME, request));
    }

    private static boolean movedOrGone(Envelope.Response r) {
        if (r.httpStatus() != 503) return false;
        String code = r.body().path("error").path("code").asText();
        return code.equals("shard_moved") || code.equals("node_unavailable");
    }

    private static JsonNode okBody(Envelope.Response r) {
        if (r.httpStatus() == 200) return r.body();
        JsonNode e = r.body().path("error");
        throw new TamterException(r.httpStatus(), e.path("code").asText("unknown"), e.path("message").asText(""), e.path("path").asText(""),
                r.retryAfterSeconds());
    }

    @Override
    public void close() {
        client.close();
    }
}
