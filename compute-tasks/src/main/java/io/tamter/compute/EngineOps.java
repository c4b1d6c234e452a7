package io.tamter.compute;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.node.crypto.KeyUnavailableException;
import io.tamter.node.doc.DocId;
import io.tamter.node.doc.Document;
import io.tamter.node.doc.InvalidRequestException;
import io.tamter.node.doc.RequestError;
import io.tamter.node.embed.EmbeddingRejectedException;
import io.tamter.node.namespace.Namespace;
import io.tamter.node.namespace.NamespaceManager;
import io.tamter.node.namespace.NamespaceConflictException;
import io.tamter.node.namespace.NamespaceNotFoundException;
import io.tamter.node.namespace.RecallProbe;
import io.tamter.node.namespace.NamespaceSettings;
import io.tamter.node.namespace.SearchRequest;
import io.tamter.node.namespace.SearchResult;
import io.tamter.node.namespace.ShardSearch;
import io.tamter.node.namespace.ShardNotServedException;
import io.tamter.node.namespace.WriteOutcomeUnknownException;
import io.tamter.node.namespace.WriteResult;
import io.tamter.node.wal.WalBackpressureException;
import io.tamter.node.wal.WalClosedException;
import io.tamter.node.wal.WalFencedException;
import io.tamter.node.wal.WalUnavailableException;
import io.tamter.node.wal.WalWriteException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an {@link OpRequest} against a node's engine and turns the outcome, including every
 * failure, into an {@link OpResponse} with API.md's body and status. This is the one place that
 * knows both the request formats of API.md and the engine's methods; HTTP controllers and
 * thin-client callers only move JSON.
 *
 * <p>Writes create a missing namespace (API.md), but a write that is rejected must change nothing,
 * so a namespace created for a write that then fails validation is removed again. Creating writes
 * hold a per-name write lock and all other writes the read lock of the same name, so a concurrent
 * write never lands in a namespace that is about to be removed.
 */
public final class EngineOps {
    private static final Logger LOG = LoggerFactory.getLogger(EngineOps.class);
    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1000;
    /**
     * Retry-After of {@code storage_unavailable}: a store outage outlasts a moved shard (1 s), and
     * the WAL writer reopens within a second of the store's return (WalWriter.SETTLE_MAX_BACKOFF_MS).
     */
    static final int STORAGE_RETRY_AFTER_S = 5;

    private final NamespaceManager engine;
    private final Map<String, ReentrantReadWriteLock> creating = new ConcurrentHashMap<>();
    private final long maxUnapplied;
    private final java.util.concurrent.atomic.AtomicLong unapplied = new java.util.concurrent.atomic.AtomicLong();

    public EngineOps(NamespaceManager engine, long maxUnappliedBytes) {
        this.engine = engine;
        this.maxUnapplied = maxUnappliedBytes;
    }

    /** Bytes of write requests taken in and not yet applied (a gauge). */
    public long unappliedBytes() {
        return unapplied.get();
    }

    /**
     * Runs {@code r}, whose encoded size is {@code bytes}. Writes count against
     * {@code write.max_unapplied_bytes} while they wait for their shard and the WAL: past it a write is
     * refused with 429 instead of queueing without bound behind the shard's write lock.
     */
    public OpResponse execute(OpRequest r, long bytes) {
        if (!r.op().mutates()) return execute(r);
        long now = unapplied.addAndGet(bytes);
        try {
            if (now > maxUnapplied && now != bytes)
                return OpResponse.error(429, "backpressure", "the node holds " + (now - bytes) + " bytes of writes not yet applied; "
                        + "this one of " + bytes + " bytes would pass write.max_unapplied_bytes=" + maxUnapplied + "; retry later", null, 1);
            return execute(r);
        } finally {
            unapplied.addAndGet(-bytes);
        }
    }

    public OpResponse execute(OpRequest r) {
        try {
            if (r.op().namespaced()) NamespaceSettings.checkName(r.namespace());
            return run(r);
        } catch (IOException | RuntimeException e) {
            return failure(e, r);
        }
    }

    /**
     * The response for an operation that failed with {@code e}: API.md's status and error body.
     * Object-store failures: a write that was not written, or any other operation the store could
     * not serve (opening a shard, reading settings), is 503 {@code storage_unavailable} with
     * Retry-After; a write whose outcome is unknown ({@link WalWriteException}: its WAL segment
     * may have been stored with the answer lost; {@link WriteOutcomeUnknownException}: some shard
     * parts were written) is 500 {@code write_outcome_unknown}, as a 503 promises that nothing was
     * written (see GridExecutor).
     */
    static OpResponse failure(Exception e, OpRequest r) {
        if (e instanceof java.io.UncheckedIOException u && u.getCause() != null) e = u.getCause();
        if (e instanceof ShardNotServedException || e instanceof WalClosedException) // nothing written: route again
            return OpResponse.error(503, "shard_moved", e.getMessage(), null, 1);
        if (e instanceof WalWriteException || e instanceof WriteOutcomeUnknownException) {
            LOG.warn("trace {}: {} on {} has an unknown outcome: {}", r.traceId(), r.op().wire(), r.namespace(), e.toString());
            return OpResponse.error(500, "write_outcome_unknown", "the write may or may not have been applied (read it back or send it "
                    + "again): " + e.getMessage(), null, 0);
        }
        if (e instanceof WalUnavailableException) {
            LOG.warn("trace {}: {} on {} refused: {}", r.traceId(), r.op().wire(), r.namespace(), e.toString());
            return OpResponse.error(503, "storage_unavailable", "storage unavailable, nothing was written: " + e.getMessage(), null,
                    STORAGE_RETRY_AFTER_S);
        }
        if (e instanceof NamespaceConflictException c) return OpResponse.error(409, c.code(), e.getMessage(), c.path(), 0);
        if (e instanceof IllegalArgumentException) {
            if (e instanceof RequestError re) return OpResponse.error(400, re.code(), e.getMessage(), re.path(), 0);
            return OpResponse.error(400, "invalid_request", e.getMessage(), null, 0);
        }
        if (e instanceof NamespaceNotFoundException nf)
            return OpResponse.error(404, "namespace_not_found", "namespace not found: " + nf.namespace(), null, 0);
        if (e instanceof WalBackpressureException || e instanceof EmbeddingRejectedException)
            return OpResponse.error(429, "backpressure", e.getMessage() + "; retry later", null, 1);
        if (e instanceof WalFencedException) return OpResponse.error(503, "shard_moved", e.getMessage(), null, 1);
        if (e instanceof KeyUnavailableException) return OpResponse.error(500, "key_unavailable", e.getMessage(), null, 0);
        if (e instanceof IOException) {
            LOG.warn("trace {}: {} on {} failed: {}", r.traceId(), r.op().wire(), r.namespace(), e.toString());
            return OpResponse.error(503, "storage_unavailable", "storage unavailable: " + e.getMessage(), null, STORAGE_RETRY_AFTER_S);
        }
        LOG.error("trace {}: {} on {} failed", r.traceId(), r.op().wire(), r.namespace(), e);
        return OpResponse.error(500, "internal", "internal error (trace " + r.traceId() + "): " + e, null, 0);
    }

    private OpResponse run(OpRequest r) throws IOException {
        JsonNode b = r.body();
        return switch (r.op()) {
            case UPSERT -> write(r, ns -> ns.upsert(field(b, "upsert_rows", true), null), false);
            case CONDITIONAL_UPSERT -> write(r, ns -> ns.upsert(field(b, "upsert_rows", true), field(b, "condition", true)), true);
            case UPDATE -> write(r, ns -> ns.patch(field(b, "patch_rows", true), null), false);
            case CONDITIONAL_UPDATE -> write(r, ns -> ns.patch(field(b, "patch_rows", true), field(b, "condition", true)), true);
            case BATCH_DELETE -> write(r, ns -> ns.delete(field(b, "deletes", true), null), false);
            case CONDITIONAL_DELETE -> write(r, ns -> ns.delete(field(b, "deletes", true), field(b, "condition", true)), true);
            case FILTER_DELETE -> write(r, ns -> ns.deleteByFilter(field(b, "filter", true)), false);
            case UPDATE_BY_FILTER -> write(r, ns -> ns.updateByFilter(field(b, "filter", true), field(b, "patch", true)), false);
            case SET_SCHEMA -> {
                ObjectNode out = JsonNodeFactory.instance.objectNode();
                withNamespaceForWrite(r, ns -> {
                    out.set("schema", ns.updateSchema(b));
                    return null;
                });
                out.put("operation_id", r.operationId());
                yield OpResponse.ok(out);
            }
            case GET_SCHEMA -> {
                ObjectNode out = JsonNodeFactory.instance.objectNode();
                out.set("schema", engine.get(r.namespace()).settings().schema().toJson());
                yield OpResponse.ok(out);
            }
            case SEARCH -> search(r);
            case MULTI_SEARCH -> r.param(SHARDS) != null ? shardsBatch(r) : multiSearch(r, this::searchBatch);
            case LIST_NAMESPACES -> list(r);
            case GET_NAMESPACE -> info(engine.get(r.namespace()).info());
            case CREATE_NAMESPACE -> createNamespace(r);
            case GET_CLUSTER -> throw new IllegalStateException("the cluster view is answered by the grid (GridCoordinator)");
            case DELETE_NAMESPACE -> deleteNamespace(r);
            case GET_DOCUMENT -> getDocument(r);
            case UPSERT_COLUMNS -> write(r, ns -> ns.upsertColumns(field(b, "upsert_columns", true)), false);
            case UPDATE_COLUMNS -> write(r, ns -> ns.patchColumns(field(b, "patch_columns", true)), false);
            case CONFIGURE_METRIC -> {
                checkFields(b, BodySchemas.requestFields(r.op()));
                Namespace.Info i = withNamespaceForWrite(r, ns -> ns.configureMetric(b));
                LOG.info("trace {} op {}: {} metric set to {}", r.traceId(), r.operationId(), r.namespace(), i.metric());
                OpResponse res = info(i);
                res.body().put("operation_id", r.operationId());
                yield res;
            }
            case GET_ENCRYPTION -> {
                // a grid's encryption change asks each owner node to take the new settings now (GridCoordinator)
                if (r.param(GridCoordinator.RELOAD) != null) engine.reloadSettings(r.namespace());
                ObjectNode out = JsonNodeFactory.instance.objectNode();
                out.set("encryption", engine.get(r.namespace()).encryption().toJson());
                yield OpResponse.ok(out);
            }
            case SET_ENCRYPTION -> {
                ObjectNode out = JsonNodeFactory.instance.objectNode();
                out.set("encryption", engine.setEncryption(r.namespace(), b).toJson());
                out.put("operation_id", r.operationId());
                LOG.info("trace {} op {}: {} encryption set to {}", r.traceId(), r.operationId(), r.namespace(), out.get("encryption"));
                yield OpResponse.ok(out);
            }
            case COPY -> {
                NamespaceManager.CopyResult c = engine.copy(r.namespace(), b);
                ObjectNode out = JsonNodeFactory.instance.objectNode();
                out.put("source_namespace", c.sourceNamespace());
                out.put("namespace", c.namespace());
                out.put("copied", c.copied());
                out.put("operation_id", r.operationId());
                LOG.info("trace {} op {}: copied {} documents from {} into {}", r.traceId(), r.operationId(), c.copied(), c.sourceNamespace(), c.namespace());
                yield OpResponse.ok(out);
            }
            case EXPORT -> {
                Namespace.ExportPage page = engine.get(r.namespace()).export(r.param("cursor"), r.param("limit"));
                ObjectNode out = JsonNodeFactory.instance.objectNode();
                ArrayNode docs = out.putArray("documents");
                for (Document d : page.documents()) docs.add(documentJson(d));
                if (page.nextCursor() == null) out.putNull("next_cursor");
                else out.put("next_cursor", page.nextCursor());
                yield OpResponse.ok(out);
            }
            case WARM -> warm(engine.get(r.namespace()));
            case DEBUG_RECALL -> {
                String phase = r.param(RecallParts.PHASE);
                if (phase != null) yield RecallParts.run(engine.get(r.namespace()), phase, b); // a part of a grid recall (GridCoordinator)
                yield OpResponse.ok(recallJson(engine.get(r.namespace()).recall(b)));
            }
        };
    }

    /** API.md's recall answer. */
    static ObjectNode recallJson(RecallProbe.Result res) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("avg_recall", res.avgRecall());
        out.put("avg_ann_count", res.avgAnnCount());
        out.put("avg_exhaustive_count", res.avgExhaustiveCount());
        out.put("sampled", res.sampled());
        return out;
    }

    // ------------------------------------------------------------------ writes

    @FunctionalInterface
    interface NsCall<T> {
        T apply(Namespace ns) throws IOException;
    }

    private OpResponse write(OpRequest r, NsCall<WriteResult> call, boolean conditional) throws IOException {
        checkFields(r.body(), BodySchemas.requestFields(r.op())); // the fields its schema in /openapi.json lists
        WriteResult w = withNamespaceForWrite(r, call);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("inserted", w.inserted());
        out.put("updated", w.updated());
        out.put("deleted", w.deleted());
        if (conditional) {
            out.put("condition_met", w.conditionMet());
            out.put("skipped", w.skipped());
        }
        ArrayNode errors = out.putArray("errors");
        for (WriteResult.RowError e : w.errors()) {
            ObjectNode o = errors.addObject();
            o.set("id", e.id());
            o.put("code", e.code());
            o.put("message", e.message());
        }
        out.put("operation_id", r.operationId());
        LOG.info("trace {} op {}: {} on {}: inserted {}, updated {}, deleted {}, skipped {}, errors {}", r.traceId(), r.operationId(),
                r.op().wire(), r.namespace(), w.inserted(), w.updated(), w.deleted(), w.skipped(), w.errors().size());
        return OpResponse.ok(out);
    }

    /** Runs a write on the namespace, creating it first if needed and removing it again if the write is rejected. */
    private <T> T withNamespaceForWrite(OpRequest r, NsCall<T> call) throws IOException {
        String name = r.namespace();
        ReentrantReadWriteLock lock = creating.computeIfAbsent(name, k -> new ReentrantReadWriteLock());
        lock.readLock().lock();
        try {
            Optional<Namespace> ns = engine.find(name);
            if (ns.isPresent()) return call.apply(ns.get());
        } finally {
            lock.readLock().unlock();
        }
        lock.writeLock().lock();
        try {
            Optional<Namespace> existing = engine.find(name);
            if (existing.isPresent()) return call.apply(existing.get());
            Namespace created = engine.getOrCreate(name);
            try {
                return call.apply(created);
            } catch (IllegalArgumentException e) {
                engine.delete(name); // rejected: the request changes nothing, not even the namespace list
                throw e;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * {@code PUT /v1/namespaces/{ns}}: creates the namespace with the options of the body
     * ({@code num_shards}, {@code distance_metric}, {@code embedding_model}, {@code schema},
     * {@code encryption}); 409 {@code namespace_exists} when it exists already.
     */
    private OpResponse createNamespace(OpRequest r) throws IOException {
        JsonNode b = r.body();
        if (b == null || !b.isObject()) throw new InvalidRequestException("invalid_request", "", "the request body must be a JSON object");
        ReentrantReadWriteLock lock = creating.computeIfAbsent(r.namespace(), k -> new ReentrantReadWriteLock());
        Namespace ns;
        lock.writeLock().lock();
        try {
            if (engine.find(r.namespace()).isPresent())
                throw new NamespaceConflictException("namespace_exists", "", "namespace " + r.namespace() + " exists already; its settings "
                        + "are changed with the schema, configure-metric and encryption routes");
            ns = engine.create(r.namespace(), b);
        } finally {
            lock.writeLock().unlock();
        }
        LOG.info("trace {} op {}: created namespace {} with {}", r.traceId(), r.operationId(), r.namespace(), b);
        OpResponse res = info(ns.info());
        res.body().put("operation_id", r.operationId());
        return res;
    }

    private OpResponse deleteNamespace(OpRequest r) throws IOException {
        ReentrantReadWriteLock lock = creating.computeIfAbsent(r.namespace(), k -> new ReentrantReadWriteLock());
        lock.writeLock().lock();
        try {
            if (!engine.delete(r.namespace())) throw new NamespaceNotFoundException(r.namespace());
        } finally {
            lock.writeLock().unlock();
        }
        LOG.info("trace {} op {}: deleted namespace {}", r.traceId(), r.operationId(), r.namespace());
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("namespace", r.namespace());
        out.put("deleted", true);
        out.put("operation_id", r.operationId());
        return OpResponse.ok(out);
    }

    // ------------------------------------------------------------------ reads

    private OpResponse search(OpRequest r) throws IOException {
        long t0 = System.nanoTime();
        SearchRequest req = SearchRequest.fromJson(r.body());
        return OpResponse.ok(searchResponse(engine.get(r.namespace()).searchAll(req), req, t0));
    }

    /**
     * A multi-search's queries (each a {@link io.tamter.client.wire.Op#SEARCH} request) against one
     * state of each shard ({@link Namespace#searchBatch}): every query prepared first (a failure
     * there ends the list at it), then all run together.
     */
    private List<OpResponse> searchBatch(List<OpRequest> qs) {
        long t0 = System.nanoTime();
        List<OpResponse> out = new ArrayList<>(qs.size());
        try {
            Namespace ns = engine.get(qs.get(0).namespace());
            List<Namespace.PreparedSearch> prepared = new ArrayList<>(qs.size());
            for (OpRequest q : qs) {
                try {
                    prepared.add(ns.prepareSearch(SearchRequest.fromJson(q.body())));
                } catch (RuntimeException e) {
                    while (out.size() < prepared.size()) out.add(null); // the queries before it: not run
                    out.add(failure(e, q));
                    return out;
                }
            }
            List<Namespace.BatchAnswer> answers = ns.searchBatch(prepared);
            for (int i = 0; i < answers.size(); i++) {
                Namespace.BatchAnswer a = answers.get(i);
                out.add(a.error() != null ? failure(a.error(), qs.get(i))
                        : OpResponse.ok(searchResponse(a.merged(), prepared.get(i).request(), t0)));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            out.clear();
            out.add(failure(e, qs.get(0)));
            return out;
        }
    }

    /**
     * Internal parameter of a multi-search sent to one owner node of a namespace spread over nodes
     * ({@link GridCoordinator}): the shards (comma-separated numbers) whose partials it answers.
     */
    static final String SHARDS = "_shards";

    /**
     * A grid multi-search's part on an owner node: for each of the body's {@code queries} (already
     * validated and embedded by the coordinator), the partials of the shards {@link #SHARDS} names,
     * each shard read under one pin for all the queries ({@link Namespace#searchShardsBatch}).
     * Answers {@code {"partials":[[partial as JSON text, per shard]…], "errors":[null or the
     * query's error response as JSON text…]}}, both indexed like the queries.
     */
    private OpResponse shardsBatch(OpRequest r) throws IOException {
        List<Integer> shards = new ArrayList<>();
        for (String x : r.param(SHARDS).split(",")) shards.add(Integer.parseInt(x.strip()));
        Namespace ns = engine.get(r.namespace());
        JsonNode qs = field(r.body(), "queries", true);
        List<Namespace.PreparedSearch> prepared = new ArrayList<>(qs.size());
        RuntimeException[] errors = new RuntimeException[qs.size()];
        for (int i = 0; i < qs.size(); i++) {
            try {
                prepared.add(ns.prepareSearch(SearchRequest.fromJson(qs.get(i))));
            } catch (RuntimeException e) { // the schema changed since the coordinator checked it
                prepared.add(null);
                errors[i] = e;
            }
        }
        List<List<ShardSearch.Partial>> parts = ns.searchShardsBatch(shards, prepared, errors);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ArrayNode ps = out.putArray("partials");
        ArrayNode es = out.putArray("errors");
        for (int i = 0; i < qs.size(); i++) {
            if (errors[i] != null) {
                ps.addNull();
                es.add(failure(errors[i], new OpRequest(io.tamter.client.wire.Op.SEARCH, r.namespace(), qs.get(i), r.params(), r.traceId(), null))
                        .encode());
                continue;
            }
            ArrayNode a = ps.addArray();
            for (ShardSearch.Partial p : parts.get(i)) a.add(PartialCodec.encode(p));
            es.addNull();
        }
        return OpResponse.ok(out);
    }

    /** The most queries one multi-search takes (API.md). */
    static final int MAX_QUERIES = 16;

    /**
     * {@code POST …/multi-search}: {@code {"queries":[search body…]}} (1 to {@value #MAX_QUERIES})
     * answers {@code {"results":[search response…]}}, each what the search route answers for that
     * body. Every query is validated before any runs; the first bad one makes the whole request a
     * 400 whose path names it ({@code queries[3].top_k}); a query that fails when it runs (an
     * unknown attribute in its filter, a namespace that does not exist) answers the request with
     * its error, path likewise prefixed. {@code batch} runs the queries (each request a
     * {@link io.tamter.client.wire.Op#SEARCH}) and answers one response per query, in order, or a
     * list that ends at a failed one (queries before it that it did not run: null); the first
     * failed one answers the request. On one node it reads each shard once for all of
     * them ({@link #searchBatch}: every query sees the same state of that shard).
     */
    static OpResponse multiSearch(OpRequest r, java.util.function.Function<List<OpRequest>, List<OpResponse>> batch) {
        JsonNode b = r.body();
        checkFields(b, BodySchemas.requestFields(io.tamter.client.wire.Op.MULTI_SEARCH));
        JsonNode qs = field(b, "queries", true);
        if (!qs.isArray() || qs.isEmpty() || qs.size() > MAX_QUERIES)
            throw new InvalidRequestException("invalid_request", "queries", "queries: must be a list of 1.." + MAX_QUERIES
                    + " search bodies; got " + (qs.isArray() ? qs.size() + " queries" : qs.getNodeType().name().toLowerCase(java.util.Locale.ROOT)));
        for (int i = 0; i < qs.size(); i++) {
            try {
                SearchRequest.fromJson(qs.get(i));
            } catch (IllegalArgumentException e) {
                OpResponse failed = failure(e, r);
                throw new InvalidRequestException(failed.body().path("error").path("code").asText("invalid_request"), queryPath(i, e),
                        "queries[" + i + "]: " + e.getMessage());
            }
        }
        List<OpRequest> queries = new ArrayList<>(qs.size());
        for (JsonNode q : qs) queries.add(new OpRequest(io.tamter.client.wire.Op.SEARCH, r.namespace(), q, r.params(), r.traceId(), null));
        List<OpResponse> answers = batch.apply(queries);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ArrayNode results = out.putArray("results");
        for (int i = 0; i < answers.size(); i++) { // the first failure answers the request
            OpResponse one = answers.get(i);
            if (one != null && !one.isOk()) {
                ObjectNode body = one.body().deepCopy();
                if (body.get("error") instanceof ObjectNode e && one.httpStatus() == 400) {
                    String p = e.path("path").asText("");
                    e.put("path", "queries[" + i + "]" + (p.isEmpty() ? "" : "." + p));
                    e.put("message", "queries[" + i + "]: " + e.path("message").asText());
                }
                return new OpResponse(one.httpStatus(), body, one.retryAfterSeconds());
            }
        }
        if (answers.size() != qs.size() || answers.contains(null))
            throw new IllegalStateException("multi-search answered " + answers.size() + " of " + qs.size() + " queries, none failed");
        for (OpResponse one : answers) results.add(one.body());
        return OpResponse.ok(out);
    }

    private static String queryPath(int i, IllegalArgumentException e) {
        String p = e instanceof RequestError re && re.path() != null ? re.path() : "";
        return "queries[" + i + "]" + (p.isEmpty() ? "" : "." + p);
    }

    /** API.md's search response body for {@code res}. */
    static ObjectNode searchResponse(SearchResult res, SearchRequest req, long startNanos) {
        return searchResponse(new ShardSearch.Merged(res, null, null), req, startNanos);
    }

    /**
     * API.md's search response body for {@code merged}: {@code matches} and {@code found} when the
     * search has a vector, a text or a rank_by (a rank_by answer adds {@code next_cursor}, null
     * after the last page, and its matches carry no score); {@code aggregations} or
     * {@code aggregation_groups} when it asked for them.
     */
    static ObjectNode searchResponse(ShardSearch.Merged merged, SearchRequest req, long startNanos) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        SearchResult res = merged.result();
        if (req.hasMatches()) putMatches(out, res, req);
        if (req.rankBy() != null) {
            if (merged.nextCursor() == null) out.putNull("next_cursor");
            else out.put("next_cursor", merged.nextCursor());
        }
        if (req.aggregate() != null) {
            io.tamter.node.namespace.Aggregation.Result a = merged.aggregations();
            if (a == null) a = io.tamter.node.namespace.Aggregation.render(req.aggregate(), null, req.topK());
            if (a.aggregations() != null) out.set("aggregations", a.aggregations());
            else out.putArray("aggregation_groups").addAll(a.groups());
        }
        out.put("search_time_ms", (System.nanoTime() - startNanos) / 1_000_000);
        return out;
    }

    private static void putMatches(ObjectNode out, SearchResult res, SearchRequest req) {
        ArrayNode matches = out.putArray("matches");
        for (SearchResult.Match m : res.matches()) {
            ObjectNode o = matches.addObject();
            o.set("id", m.id());
            if (req.rankBy() == null) o.put("score", m.score());
            if (m.dist() != null) o.put("dist", m.dist());
            if (req.includeMetadata() == null || !req.includeMetadata().isEmpty()) {
                ObjectNode meta = o.putObject("metadata");
                m.metadata().forEach(meta::set);
            }
            if (m.vector() != null) putVector(o, m.vector());
            if (m.text() != null) o.put("text", m.text());
        }
        out.put("found", res.matches().size());
    }

    private OpResponse list(OpRequest r) throws IOException {
        String prefix = r.param("prefix") == null ? "" : r.param("prefix");
        String cursor = r.param("cursor");
        int size = pageSize(r.param("page_size"), "page_size");
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ArrayNode names = out.putArray("namespaces");
        String last = null;
        boolean more = false;
        for (String n : engine.list(prefix)) {
            if (cursor != null && !cursor.isEmpty() && n.compareTo(cursor) <= 0) continue;
            if (names.size() == size) {
                more = true;
                break;
            }
            names.addObject().put("name", n);
            last = n;
        }
        if (more) out.put("next_cursor", last);
        else out.putNull("next_cursor");
        return OpResponse.ok(out);
    }

    static int pageSize(String v, String field) {
        if (v == null || v.isEmpty()) return DEFAULT_PAGE;
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= MAX_PAGE) return n;
        } catch (NumberFormatException ignored) {
            // falls through to the error
        }
        throw new InvalidRequestException("invalid_request", field, field + ": must be an integer in 1.." + MAX_PAGE + "; got '" + v + "'");
    }

    /**
     * Brings a namespace into memory and the caches ({@link Namespace#warm}): opens the shards
     * served here that are not open (reloading from the object store those the cold tier evicted)
     * and reads every posting once, which fills the block cache and the page cache.
     */
    private OpResponse warm(Namespace ns) throws IOException {
        long t0 = System.nanoTime();
        Namespace.Warmed w = ns.warm();
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("shards", ns.settings().numShards());
        out.put("shards_loaded", w.shardsLoaded());
        out.put("heads", w.heads());
        out.put("live_vectors", w.liveVectors());
        out.put("warm_ms", (System.nanoTime() - t0) / 1_000_000);
        return OpResponse.ok(out);
    }

    private OpResponse info(Namespace.Info i) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("name", i.name());
        out.put("approx_row_count", i.approxRowCount());
        out.put("dimensions", i.dimensions());
        out.put("distance_metric", i.metric());
        out.set("schema", i.schema());
        out.put("num_shards", i.numShards());
        if (i.embeddingModel() == null) out.putNull("embedding_model");
        else out.put("embedding_model", i.embeddingModel());
        out.set("encryption", i.encryption());
        ObjectNode index = out.putObject("index");
        index.put("status", i.indexStatus());
        index.put("unindexed_bytes", i.unindexedBytes());
        index.put("pending_tasks", i.pendingIndexTasks());
        out.put("created_at", java.time.Instant.ofEpochMilli(i.createdAt()).toString());
        out.put("updated_at", java.time.Instant.ofEpochMilli(i.updatedAt()).toString());
        return OpResponse.ok(out);
    }

    private OpResponse getDocument(OpRequest r) throws IOException {
        Namespace ns = engine.get(r.namespace());
        String raw = r.param("id");
        if (raw == null || raw.isEmpty()) throw new InvalidRequestException("invalid_id", "id", "id: missing document id");
        Document d = null;
        List<JsonNode> candidates = idCandidates(raw);
        String only = r.param(GridCoordinator.CANDIDATE); // a grid asks each candidate's shard owner for that one
        if (only != null) candidates = List.of(candidates.get(Integer.parseInt(only)));
        for (JsonNode candidate : candidates) {
            d = ns.get(candidate);
            if (d != null) break;
        }
        if (d == null) return OpResponse.error(404, "document_not_found", "document not found: " + raw, "id", 0);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ObjectNode doc = documentJson(d);
        if (!"true".equals(r.param("include_vectors"))) doc.remove("vector"); // as in search: vectors on request
        out.set("document", doc);
        return OpResponse.ok(out);
    }

    /**
     * A document id taken from a URL path has lost its JSON type: "42" may be the integer id 42 or
     * the string id "42". Integers are tried first, then the string (UUIDs parse as UUIDs either way).
     */
    static List<JsonNode> idCandidates(String raw) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (raw.matches("[0-9]{1,20}")) {
            java.math.BigInteger n = new java.math.BigInteger(raw);
            if (n.bitLength() <= 64) return List.of(f.numberNode(n), f.textNode(raw));
            // 2^64 and above are no u64: only the string id of those digits can exist
        }
        DocId.fromJson(f.textNode(raw), "id"); // validates (length) with the engine's message
        return List.of(f.textNode(raw));
    }

    static ObjectNode documentJson(Document d) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.set("id", d.id().toJson());
        if (d.vector() != null) putVector(o, d.vector());
        if (d.text() != null) o.put("text", d.text());
        ObjectNode meta = o.putObject("metadata");
        d.attributes().forEach(meta::set);
        return o;
    }

    static void putVector(ObjectNode o, float[] v) {
        ArrayNode a = o.putArray("vector");
        for (float x : v) a.add(x);
    }

    // ------------------------------------------------------------------ request checks

    /** The body's field {@code name}; a missing required one is a 400 naming it. */
    static JsonNode field(JsonNode body, String name, boolean required) {
        JsonNode n = body == null ? null : body.get(name);
        if ((n == null || n.isNull()) && required)
            throw new InvalidRequestException("invalid_request", name, name + ": required");
        return n;
    }

    /** Rejects fields the route does not know: a misspelt {@code condition} must not turn a conditional write into a plain one. */
    static void checkFields(JsonNode body, Set<String> allowed) {
        if (body == null || !body.isObject()) throw new InvalidRequestException("invalid_request", "", "the request body must be a JSON object");
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k))
                throw new InvalidRequestException("invalid_request", k, k + ": unknown field; this route takes " + new java.util.TreeSet<>(allowed));
        }
    }

    /** A fresh operation id ({@link io.tamter.client.wire.Envelope#newOperationId}: {@code op-} + a random UUID). */
    public static String newOperationId() {
        return io.tamter.client.wire.Envelope.newOperationId();
    }
}
