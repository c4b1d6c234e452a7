package io.tamter.compute;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.client.wire.Op;
import io.tamter.node.cluster.GridNode;
import io.tamter.node.namespace.Namespace;
import io.tamter.node.namespace.NamespaceManager;
import io.tamter.node.namespace.NamespaceSettings;
import io.tamter.node.namespace.RecallProbe;
import io.tamter.node.namespace.SearchRequest;
import io.tamter.node.namespace.ShardSearch;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteException;
import org.apache.ignite.cluster.ClusterNode;
import org.apache.ignite.lang.IgniteCallable;
import org.apache.ignite.lang.IgniteFuture;
import org.apache.ignite.resources.IgniteInstanceResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one operation on a namespace from the node that received it (the coordinator), when the
 * namespace's shards live on several nodes (ARCHITECTURE.md "The grid"). When one node owns every
 * shard (always, on a one-node grid) the whole operation runs on that node, as it always did.
 *
 * <ul>
 *   <li>Row writes (upsert, patch, delete, their conditional and columnar forms): validated as a
 *       whole here, texts embedded once here ({@link Namespace#planUpsert}), split by shard; each
 *       shard's rows go, in parallel, to its owner ({@link ShardOpCall}, which checks that its node
 *       still owns the shard before it writes anything). A part answered 503 {@code shard_moved} or
 *       {@code node_unavailable}, or whose node left, is routed again and resent until
 *       {@value #RETRY_MS} ms have passed; then the answers are merged once. A write is atomic per
 *       shard, not across shards: when a part fails for good after others were written, the answer
 *       is 500 {@code write_outcome_unknown} (the written parts stay).</li>
 *   <li>Get a document: asked of the owner of its shard (for each reading of a path id in turn).</li>
 *   <li>Namespace metadata, configure-metric, filter-delete, update-by-filter, warm, export: sent to every owner node
 *       for its own shards; counts are summed, export pages merged in id order.</li>
 *   <li>Delete: removed here (settings, objects, local state), then every other node drops what it
 *       has open.</li>
 *   <li>Schema and encryption reads, schema changes: here, from the settings ({@code meta.json} is
 *       shared; other nodes reload it on their next access).</li>
 *   <li>Copy between namespaces spread over nodes: checked and prepared here, then the source's
 *       pages exported from its owners (merged as export is) and written to the target as upserts
 *       through the write routing above ({@link #gridCopy}).</li>
 *   <li>{@code _debug/recall}: a sample from every owner node, the queries picked from them, each
 *       searched (index and exhaustive) on every owner node, the hits merged ({@link #recall}).</li>
 *   <li>Encryption changes: made here, then every owner node reads the settings again and confirms
 *       ({@link #setEncryption}).</li>
 * </ul>
 * Searches do not come here: {@link TamterTask} scatters them, one job per owner node. A
 * multi-search of a namespace spread over nodes runs here: its queries prepared here, then one
 * part per owner node with all of them, each shard read once for all the queries
 * ({@link #multiSearch}).
 *
 * <p>Why a part is resent only on those answers: each of them says nothing was written (the job
 * refused before touching a shard, or the WAL refused the batch). A part whose node left while it
 * ran may have been written: it is resent too, which rewrites the same rows (upserts, patches and
 * deletes by id are idempotent; a conditional write's condition is evaluated again).
 */
final class GridCoordinator {
    private static final Logger LOG = LoggerFactory.getLogger(GridCoordinator.class);
    /** How long parts are routed again and resent after answers that say "moved" or "node gone". */
    static final long RETRY_MS = 30_000;
    /** Internal parameter: try only this reading of a path id (a GET split by candidate shard). */
    static final String CANDIDATE = "_candidate";
    /** Internal parameter: drop the namespace's local state only (a grid delete, on the other nodes). */
    static final String DROP_LOCAL = "_drop_local";
    /** Internal parameter of a GET of the encryption: read the namespace's settings again first (a grid encryption change). */
    static final String RELOAD = "_reload";
    private static final Set<Op> WRITES = Set.of(Op.UPSERT, Op.CONDITIONAL_UPSERT, Op.UPDATE, Op.CONDITIONAL_UPDATE, Op.BATCH_DELETE,
            Op.CONDITIONAL_DELETE, Op.UPSERT_COLUMNS, Op.UPDATE_COLUMNS);
    private static final Set<Op> FAN_OUT = Set.of(Op.GET_NAMESPACE, Op.CONFIGURE_METRIC, Op.FILTER_DELETE, Op.UPDATE_BY_FILTER, Op.WARM,
            Op.EXPORT);
    private static final Set<Op> SETTINGS_ONLY = Set.of(Op.GET_SCHEMA, Op.SET_SCHEMA, Op.GET_ENCRYPTION, Op.CREATE_NAMESPACE);

    private final Ignite ignite;
    private final NamespaceManager engine;
    private final EngineOps ops;

    GridCoordinator(Ignite ignite, NamespaceManager engine, EngineOps ops) {
        this.ignite = ignite;
        this.engine = engine;
        this.ops = ops;
    }

    /** Runs {@code r} (encoded size {@code bytes}, for the local backpressure bound). */
    OpResponse run(OpRequest r, long bytes) {
        if (r.op() == Op.GET_CLUSTER) return cluster(r);
        if (!r.op().namespaced() || r.param(DROP_LOCAL) != null) return ops.execute(r, bytes);
        try {
            NamespaceSettings.checkName(r.namespace());
            Optional<Namespace> found = engine.find(r.namespace());
            int n = found.map(Namespace::numShards).orElse(1); // a write creates a missing namespace, with one shard
            Map<UUID, List<Integer>> owners = owners(r.namespace(), range(n));
            UUID local = ignite.cluster().localNode().id();
            if (r.op() == Op.COPY) return copy(r, found, owners, bytes);
            if (owners.size() == 1) {
                Map.Entry<UUID, List<Integer>> only = owners.entrySet().iterator().next();
                if (only.getKey().equals(local)) return ops.execute(r, bytes); // everything here: the one-node path
                return resend(r, only.getValue()); // one other node owns it all: it runs the whole operation
            }
            Namespace ns = found.orElseThrow();
            if (r.op() == Op.MULTI_SEARCH) return EngineOps.multiSearch(r, qs -> multiSearch(qs, ns, n));
            if (WRITES.contains(r.op())) return write(r, ns);
            if (FAN_OUT.contains(r.op())) return fanOut(r, n);
            if (SETTINGS_ONLY.contains(r.op())) return ops.execute(r, bytes);
            if (r.op() == Op.GET_DOCUMENT) return getDocument(r, ns);
            if (r.op() == Op.DELETE_NAMESPACE) return deleteNamespace(r);
            if (r.op() == Op.DEBUG_RECALL) return recall(r, ns, n);
            if (r.op() == Op.SET_ENCRYPTION) return setEncryption(r, n, bytes);
            // every namespaced operation but search (TamterTask scatters it) is routed above
            throw new IllegalStateException(r.op().wire() + " is not routed over several nodes (namespace " + r.namespace() + " has " + n
                    + " shards on " + owners.size() + " nodes)");
        } catch (IOException | RuntimeException e) {
            return EngineOps.failure(e, r);
        }
    }

    /**
     * A copy whose source and target shards are all owned by one node runs there whole (always on
     * one node); otherwise here, page by page ({@link #gridCopy}).
     */
    private OpResponse copy(OpRequest r, Optional<Namespace> target, Map<UUID, List<Integer>> targetOwners, long bytes) throws IOException {
        JsonNode sn = r.body() == null ? null : r.body().get("source_namespace");
        Optional<Namespace> source = Optional.empty();
        if (sn != null && sn.isTextual()) {
            try {
                source = engine.find(sn.textValue());
            } catch (IllegalArgumentException e) {
                source = Optional.empty(); // a bad name: the engine's own error below
            }
        }
        if (source.isEmpty()) return ops.execute(r, bytes); // the engine's 400 or 404
        int targetShards = target.map(Namespace::numShards).orElse(source.get().numShards());
        Map<UUID, List<Integer>> nodes = new LinkedHashMap<>(owners(sn.textValue(), range(source.get().numShards())));
        for (UUID u : owners(r.namespace(), range(targetShards)).keySet()) nodes.putIfAbsent(u, List.of());
        if (nodes.size() > 1) return gridCopy(r, target);
        UUID only = nodes.keySet().iterator().next();
        if (only.equals(ignite.cluster().localNode().id())) return ops.execute(r, bytes);
        return resend(r, targetOwners.getOrDefault(only, List.of()));
    }

    /**
     * A copy between namespaces whose shards are on several nodes, as {@link NamespaceManager#copy}
     * does it on one: the request checked, the target empty on every node (before it takes the
     * source's settings), created or given the source's settings here; then the source's documents
     * in id order, a page of {@link NamespaceManager#COPY_PAGE} at a time, each page exported from
     * every owner node of the source and merged ({@link #fanOut}), and written to the target as one
     * upsert through the write routing ({@link #write}: split by shard, each part to its owner,
     * retried on a move). Rows carry their vectors, so nothing is embedded again. Not atomic, as on
     * one node: a failure after some pages leaves them written (500 {@code write_outcome_unknown},
     * naming how many documents were copied).
     */
    private OpResponse gridCopy(OpRequest r, Optional<Namespace> existing) throws IOException {
        String source = engine.checkCopy(r.namespace(), r.body());
        engine.get(source); // 404 before anything changes
        if (existing.isPresent()) {
            OpResponse info = fanOut(new OpRequest(Op.GET_NAMESPACE, r.namespace(), null, Map.of(), r.traceId(), null), existing.get().numShards());
            if (!info.isOk()) return info;
            long n = info.body().path("approx_row_count").asLong();
            if (n > 0)
                return OpResponse.error(409, "target_not_empty", "namespace: namespace " + r.namespace() + " has " + n
                        + " documents; copy only into a new or empty namespace", "namespace", 0);
        }
        NamespaceManager.CopyPlan plan = engine.prepareCopy(r.namespace(), r.body());
        long copied = 0;
        String cursor = null;
        do {
            Map<String, String> params = new HashMap<>();
            params.put("limit", Integer.toString(NamespaceManager.COPY_PAGE));
            if (cursor != null) params.put("cursor", cursor);
            OpResponse page = fanOut(new OpRequest(Op.EXPORT, source, null, params, r.traceId(), null), plan.source().numShards());
            if (!page.isOk()) return copyFailed(r, page, copied);
            JsonNode docs = page.body().path("documents");
            if (docs.isEmpty()) break;
            ObjectNode rows = JsonNodeFactory.instance.objectNode();
            rows.set("upsert_rows", docs);
            OpResponse w = write(new OpRequest(Op.UPSERT, r.namespace(), rows, Map.of(), r.traceId(), r.operationId()), plan.target());
            if (!w.isOk()) return copyFailed(r, w, copied);
            if (!w.body().path("errors").isEmpty())
                return copyFailed(r, OpResponse.error(500, "internal", "rows of the copy were refused: " + w.body().get("errors"), null, 0), copied);
            copied += w.body().path("inserted").asLong() + w.body().path("updated").asLong();
            JsonNode next = page.body().get("next_cursor");
            cursor = next == null || next.isNull() ? null : next.asText();
        } while (cursor != null);
        LOG.info("trace {} op {}: copied {} documents from {} into {} (over the grid)", r.traceId(), r.operationId(), copied, source, r.namespace());
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("source_namespace", source);
        out.put("namespace", r.namespace());
        out.put("copied", copied);
        out.put("operation_id", r.operationId());
        return OpResponse.ok(out);
    }

    /** A copy's answer when a page failed: that page's answer while nothing was copied, else 500 naming what was. */
    private static OpResponse copyFailed(OpRequest r, OpResponse failed, long copied) {
        LOG.warn("trace {} op {}: copy into {} failed after {} documents: {}", r.traceId(), r.operationId(), r.namespace(), copied, failed.body());
        if (copied == 0) return failed;
        return OpResponse.error(500, "write_outcome_unknown", "the copy wrote " + copied + " documents into " + r.namespace() + ", then failed: "
                + failed.body().path("error").path("message").asText() + " (delete the target and copy again)", null, 0);
    }

    private static List<Integer> range(int n) {
        List<Integer> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(i);
        return out;
    }

    /** The current primary owner of each of {@code shards}, grouped by node. */
    private Map<UUID, List<Integer>> owners(String ns, List<Integer> shards) {
        Map<UUID, List<Integer>> out = new LinkedHashMap<>();
        for (int s : shards) {
            ClusterNode owner = ignite.affinity(GridNode.SHARDS_CACHE).mapKeyToNode(GridNode.shardKey(ns, s));
            if (owner == null) throw new IgniteException("no owner for shard " + GridNode.shardKey(ns, s) + ": no server node in the grid");
            out.computeIfAbsent(owner.id(), k -> new ArrayList<>()).add(s);
        }
        return out;
    }

    // ------------------------------------------------------------------ sending parts

    /** One part of an operation: a request for some shards, and its answer once it has one that is final. */
    private static final class Part {
        final List<Integer> shards;
        final OpRequest request;
        final int[] rowIndex;
        OpResponse answer;

        Part(List<Integer> shards, OpRequest request, int[] rowIndex) {
            this.shards = shards;
            this.request = request;
            this.rowIndex = rowIndex;
        }
    }

    /** Whether an answer says nothing was done and the part should be routed again. */
    private static boolean retryable(OpResponse o) {
        if (o.httpStatus() != 503) return false;
        String code = o.body().path("error").path("code").asText();
        return code.equals("shard_moved") || code.equals("node_unavailable");
    }

    /**
     * Sends every part to the current owner of its shards (one node per part; a part whose shards
     * have come to live on several nodes is split), in parallel, resending those that come back
     * retryable until {@link #RETRY_MS}, and returns when each has a final answer.
     */
    private List<Part> send(List<Part> parts) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_MS);
        List<Part> done = new ArrayList<>();
        List<Part> todo = new ArrayList<>(parts);
        long backoff = 50;
        for (int attempt = 0; !todo.isEmpty(); attempt++) {
            Map<Part, IgniteFuture<String>> running = new LinkedHashMap<>();
            Map<Part, OpResponse> failedAtOnce = new HashMap<>();
            for (Part p : todo) {
                Map<UUID, List<Integer>> owners;
                try {
                    owners = owners(p.request.namespace(), p.shards);
                } catch (IgniteException e) {
                    failedAtOnce.put(p, OpResponse.error(503, "node_unavailable", e.getMessage(), null, 1));
                    continue;
                }
                if (owners.size() > 1) { // a fan-out part whose shards moved apart: one part per node
                    for (List<Integer> s : owners.values()) {
                        Part q = new Part(s, p.request, p.rowIndex); // each node answers for the shards it owns
                        running.put(q, call(owners, s, q));
                    }
                } else {
                    running.put(p, call(owners, p.shards, p));
                }
            }
            List<Part> again = new ArrayList<>();
            for (Map.Entry<Part, OpResponse> e : failedAtOnce.entrySet()) {
                e.getKey().answer = e.getValue();
                again.add(e.getKey());
            }
            for (Map.Entry<Part, IgniteFuture<String>> e : running.entrySet()) {
                Part p = e.getKey();
                try {
                    p.answer = OpResponse.decode(e.getValue().get(RETRY_MS + 60_000, TimeUnit.MILLISECONDS));
                } catch (IgniteException ex) {
                    // the owner left (or failed) while running the part: route again
                    p.answer = OpResponse.error(503, "node_unavailable", "the node serving shards " + p.shards + " of " + p.request.namespace()
                            + " failed: " + ex.getMessage(), null, 1);
                }
                if (retryable(p.answer)) again.add(p);
                else done.add(p);
            }
            if (again.isEmpty() || System.nanoTime() > deadline) {
                done.addAll(again);
                break;
            }
            LOG.info("trace {}: {} part(s) of {} on {} answered {} (attempt {}); routing again", todo.get(0).request.traceId(), again.size(),
                    todo.get(0).request.op().wire(), todo.get(0).request.namespace(), again.get(0).answer.body().path("error").path("code").asText(),
                    attempt + 1);
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                done.addAll(again);
                break;
            }
            backoff = Math.min(1000, backoff * 2);
            todo = again;
        }
        return done;
    }

    private IgniteFuture<String> call(Map<UUID, List<Integer>> owners, List<Integer> shards, Part p) {
        UUID node = owners.keySet().iterator().next();
        int[] s = shards.stream().mapToInt(Integer::intValue).toArray();
        return ignite.compute(ignite.cluster().forNodeId(node)).withExecutor(GridNode.SHARD_OPS_EXECUTOR).withNoFailover()
                .callAsync(new ShardOpCall(p.request.encode(), p.request.namespace(), s));
    }

    /** The whole operation on the one node that owns every shard of its namespace. */
    private OpResponse resend(OpRequest r, List<Integer> shards) {
        return send(List.of(new Part(shards, r, null))).get(0).answer;
    }

    // ------------------------------------------------------------------ multi-search

    /**
     * A multi-search's queries on a namespace spread over nodes: each prepared here (validated, its
     * text embedded once; a failure ends the answers at it), then one part per owner node carrying
     * all of them, which reads each of its shards once for all the queries ({@link EngineOps#SHARDS}:
     * every query sees the same state of each shard), resent like a fan-out part when it answers
     * {@code shard_moved}; the parts' partials are merged here, query by query.
     */
    private List<OpResponse> multiSearch(List<OpRequest> qs, Namespace ns, int numShards) {
        long t0 = System.nanoTime();
        List<OpResponse> out = new ArrayList<>(qs.size());
        List<SearchRequest> prepared = new ArrayList<>(qs.size());
        ArrayNode bodies = JsonNodeFactory.instance.arrayNode();
        for (OpRequest q : qs) {
            try {
                SearchRequest p = ns.prepareSearch(SearchRequest.fromJson(q.body())).request();
                ObjectNode b = q.body().deepCopy();
                if (p.vector() != null) EngineOps.putVector(b, p.vector()); // embedded once, here
                prepared.add(p);
                bodies.add(b);
            } catch (RuntimeException e) {
                while (out.size() < prepared.size()) out.add(null);
                out.add(EngineOps.failure(e, q));
                return out;
            }
        }
        OpRequest first = qs.get(0);
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.set("queries", bodies);
        OpRequest request = new OpRequest(Op.MULTI_SEARCH, first.namespace(), body, first.params(), first.traceId(), null);
        List<Part> parts = new ArrayList<>();
        for (List<Integer> s : owners(first.namespace(), range(numShards)).values()) parts.add(new Part(s, request, null));
        List<List<ShardSearch.Partial>> partials = new ArrayList<>(qs.size());
        for (int i = 0; i < qs.size(); i++) partials.add(new ArrayList<>());
        OpResponse[] failed = new OpResponse[qs.size()];
        for (Part p : send(parts)) {
            if (!p.answer.isOk()) return List.of(p.answer); // the part's node could not answer: the request's error
            JsonNode ps = p.answer.body().path("partials"), es = p.answer.body().path("errors");
            for (int i = 0; i < qs.size(); i++) {
                if (es.path(i).isTextual()) {
                    if (failed[i] == null) failed[i] = OpResponse.decode(es.path(i).textValue());
                } else {
                    for (JsonNode t : ps.path(i)) partials.get(i).add(PartialCodec.decode(t.textValue()));
                }
            }
        }
        for (int i = 0; i < qs.size(); i++) {
            if (failed[i] != null) {
                out.add(failed[i]);
                continue;
            }
            try {
                out.add(OpResponse.ok(EngineOps.searchResponse(ShardSearch.mergeAll(partials.get(i), prepared.get(i)), prepared.get(i), t0)));
            } catch (RuntimeException e) { // a request error only the shards' answers show (bm25 where there is no text)
                out.add(EngineOps.failure(e, qs.get(i)));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ writes

    private static final Pattern ROW_PATH = Pattern.compile("^(upsert_rows|patch_rows|deletes)\\[(\\d+)\\]");

    private OpResponse write(OpRequest r, Namespace ns) throws IOException {
        JsonNode b = r.body();
        Namespace.ShardedWrite plan;
        Op sub = r.op();
        String columns = null;
        boolean conditional = switch (r.op()) {
            case CONDITIONAL_UPSERT, CONDITIONAL_UPDATE, CONDITIONAL_DELETE -> true;
            default -> false;
        };
        EngineOps.checkFields(b, BodySchemas.requestFields(r.op())); // only the fields of its schema in /openapi.json
        switch (r.op()) {
            case UPSERT -> plan = ns.planUpsert(EngineOps.field(b, "upsert_rows", true), null);
            case CONDITIONAL_UPSERT -> plan = ns.planUpsert(EngineOps.field(b, "upsert_rows", true), EngineOps.field(b, "condition", true));
            case UPDATE -> plan = ns.planPatch(EngineOps.field(b, "patch_rows", true), null);
            case CONDITIONAL_UPDATE -> plan = ns.planPatch(EngineOps.field(b, "patch_rows", true), EngineOps.field(b, "condition", true));
            case BATCH_DELETE -> plan = ns.planDelete(EngineOps.field(b, "deletes", true), null);
            case CONDITIONAL_DELETE -> plan = ns.planDelete(EngineOps.field(b, "deletes", true), EngineOps.field(b, "condition", true));
            case UPSERT_COLUMNS -> {
                plan = ns.planUpsertColumns(EngineOps.field(b, "upsert_columns", true));
                sub = Op.UPSERT;
            }
            case UPDATE_COLUMNS -> {
                plan = ns.planPatchColumns(EngineOps.field(b, "patch_columns", true));
                sub = Op.UPDATE;
                columns = "patch_columns";
            }
            default -> throw new IllegalStateException("not a row write: " + r.op());
        }
        List<Part> parts = new ArrayList<>();
        for (Map.Entry<Integer, ObjectNode> e : plan.bodies().entrySet())
            parts.add(new Part(List.of(e.getKey()), new OpRequest(sub, r.namespace(), e.getValue(), r.params(), r.traceId(), r.operationId()),
                    plan.rowIndex().get(e.getKey())));
        List<Part> answered = send(parts);
        long inserted = 0, updated = 0, deleted = 0, skipped = 0;
        boolean met = true;
        ArrayNode errors = JsonNodeFactory.instance.arrayNode();
        OpResponse failed = null;
        answered.sort((x, y) -> Integer.compare(x.shards.get(0), y.shards.get(0)));
        for (Part p : answered) {
            OpResponse a = p.answer;
            if (!a.isOk()) {
                if (failed == null) failed = a;
                continue;
            }
            ObjectNode o = a.body();
            inserted += o.path("inserted").asLong();
            updated += o.path("updated").asLong();
            deleted += o.path("deleted").asLong();
            skipped += o.path("skipped").asLong();
            if (o.has("condition_met") && !o.get("condition_met").asBoolean()) met = false;
            for (JsonNode e : o.path("errors")) {
                ObjectNode copy = ((ObjectNode) e).deepCopy();
                String m = renumber(e.path("message").asText(), p.rowIndex);
                copy.put("message", columns == null ? m : Namespace.columnsMessage(m, columns));
                errors.add(copy);
            }
        }
        if (failed != null) {
            long bad = answered.stream().filter(p -> !p.answer.isOk()).count();
            LOG.warn("trace {} op {}: {} on {}: {} of {} shard part(s) failed: {}", r.traceId(), r.operationId(), r.op().wire(), r.namespace(),
                    bad, answered.size(), failed.body());
            if (bad == answered.size()) return failed; // no part written (or each part's own answer says what it knows)
            // some parts are written: a 503 or 429 would promise that nothing was (see GridExecutor)
            return OpResponse.error(500, "write_outcome_unknown", "the write was applied to " + (answered.size() - bad) + " of "
                    + answered.size() + " shard part(s); another failed: " + failed.body().path("error").path("message").asText()
                    + " (read it back or send it again)", null, 0);
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("inserted", inserted);
        out.put("updated", updated);
        out.put("deleted", deleted);
        if (conditional) {
            out.put("condition_met", met);
            out.put("skipped", skipped);
        }
        out.set("errors", errors);
        out.put("operation_id", r.operationId());
        return OpResponse.ok(out);
    }

    /** A row error's message from a shard's part, with the row's index in the whole request. */
    static String renumber(String message, int[] rowIndex) {
        if (rowIndex == null) return message;
        Matcher m = ROW_PATH.matcher(message);
        if (!m.find()) return message;
        int i = Integer.parseInt(m.group(2));
        if (i >= rowIndex.length) return message;
        return m.group(1) + "[" + rowIndex[i] + "]" + message.substring(m.end());
    }

    // ------------------------------------------------------------------ reads and namespace operations

    private OpResponse getDocument(OpRequest r, Namespace ns) {
        String raw = r.param("id");
        if (raw == null || raw.isEmpty()) return ops.execute(r); // the engine's error
        List<JsonNode> candidates = EngineOps.idCandidates(raw);
        for (int i = 0; i < candidates.size(); i++) {
            Map<String, String> params = new HashMap<>(r.params());
            params.put(CANDIDATE, Integer.toString(i));
            OpRequest sub = new OpRequest(r.op(), r.namespace(), r.body(), params, r.traceId(), r.operationId());
            OpResponse a = resend(sub, List.of(ns.shardOf(candidates.get(i))));
            if (a.httpStatus() != 404 || !"document_not_found".equals(a.body().path("error").path("code").asText())) return a;
        }
        return OpResponse.error(404, "document_not_found", "document not found: " + raw, "id", 0);
    }

    private OpResponse fanOut(OpRequest r, int numShards) {
        List<Part> parts = new ArrayList<>();
        for (List<Integer> s : owners(r.namespace(), range(numShards)).values()) parts.add(new Part(s, r, null));
        List<Part> answered = send(parts);
        for (Part p : answered) if (!p.answer.isOk()) return p.answer;
        ObjectNode out = answered.get(0).answer.body().deepCopy();
        switch (r.op()) {
            case GET_NAMESPACE, CONFIGURE_METRIC -> {
                long rows = 0, unindexed = 0, pending = 0;
                boolean updating = false;
                for (Part p : answered) {
                    ObjectNode o = p.answer.body();
                    rows += o.path("approx_row_count").asLong();
                    unindexed += o.path("index").path("unindexed_bytes").asLong();
                    pending += o.path("index").path("pending_tasks").asLong();
                    updating |= "updating".equals(o.path("index").path("status").asText());
                }
                out.put("approx_row_count", rows);
                ObjectNode index = out.putObject("index");
                index.put("status", updating ? "updating" : "up-to-date");
                index.put("unindexed_bytes", unindexed);
                index.put("pending_tasks", pending);
            }
            case FILTER_DELETE -> out.put("deleted", answered.stream().mapToLong(p -> p.answer.body().path("deleted").asLong()).sum());
            case UPDATE_BY_FILTER -> out.put("updated", answered.stream().mapToLong(p -> p.answer.body().path("updated").asLong()).sum());
            case EXPORT -> {
                // every node answered its own smallest ids after the cursor; the page is the smallest of them all
                List<JsonNode> ids = new ArrayList<>();
                Map<String, JsonNode> docs = new HashMap<>();
                boolean more = false;
                for (Part p : answered) {
                    ObjectNode o = p.answer.body();
                    more |= o.hasNonNull("next_cursor");
                    for (JsonNode d : o.path("documents")) {
                        ids.add(d.get("id"));
                        docs.put(d.get("id").toString(), d);
                    }
                }
                Namespace.MergedPage page = Namespace.mergeExportPages(ids, more, r.param("limit"));
                ArrayNode documents = out.putArray("documents");
                for (JsonNode id : page.ids()) documents.add(docs.get(id.toString()));
                if (page.nextCursor() == null) out.putNull("next_cursor");
                else out.put("next_cursor", page.nextCursor());
            }
            case WARM -> {
                out.put("shards", numShards);
                out.put("shards_loaded", answered.stream().mapToLong(p -> p.answer.body().path("shards_loaded").asLong()).sum());
                out.put("heads", answered.stream().mapToLong(p -> p.answer.body().path("heads").asLong()).sum());
                out.put("live_vectors", answered.stream().mapToLong(p -> p.answer.body().path("live_vectors").asLong()).sum());
                out.put("warm_ms", answered.stream().mapToLong(p -> p.answer.body().path("warm_ms").asLong()).max().orElse(0));
            }
            default -> { }
        }
        return new OpResponse(200, out, 0);
    }

    /** How long {@code GET /v1/cluster} waits for a node's report before it shows the node's fields as unknown. */
    static final long REPORT_MS = 10_000;

    /** A request like {@code r} with another body and one more (internal) parameter. */
    private static OpRequest with(OpRequest r, JsonNode body, String param, String value) {
        Map<String, String> params = new HashMap<>(r.params());
        params.put(param, value);
        return new OpRequest(r.op(), r.namespace(), body, params, r.traceId(), r.operationId());
    }

    /**
     * An encryption change of a namespace spread over nodes: made here ({@link
     * NamespaceManager#setEncryption}: validated, the data key and {@code meta.json} written, this
     * node's shards switched), then every owner node is asked to read the settings again now and
     * say which encryption its shards write with. It answers when all did; when a node failed or
     * answered another encryption, 500 {@code encryption_incomplete} names them (the settings are
     * changed; the other nodes take them on their next access, and the same request again checks
     * every node again).
     */
    private OpResponse setEncryption(OpRequest r, int numShards, long bytes) {
        OpResponse here = ops.execute(r, bytes);
        if (!here.isOk()) return here;
        JsonNode want = here.body().get("encryption");
        OpRequest check = new OpRequest(Op.GET_ENCRYPTION, r.namespace(), null, Map.of(RELOAD, "true"), r.traceId(), r.operationId());
        List<Part> parts = new ArrayList<>();
        for (List<Integer> s : owners(r.namespace(), range(numShards)).values()) parts.add(new Part(s, check, null));
        List<String> failed = new ArrayList<>();
        for (Part p : send(parts)) {
            if (!p.answer.isOk()) failed.add("shards " + p.shards + ": " + p.answer.body().path("error").path("message").asText());
            else if (!want.equals(p.answer.body().get("encryption")))
                failed.add("shards " + p.shards + ": still " + p.answer.body().get("encryption"));
        }
        if (failed.isEmpty()) return here;
        LOG.warn("trace {} op {}: encryption of {} set to {}, not taken by every node: {}", r.traceId(), r.operationId(), r.namespace(), want, failed);
        return OpResponse.error(500, "encryption_incomplete", "the encryption of " + r.namespace() + " is set to " + want + " but not every "
                + "node confirmed it (" + String.join("; ", failed) + "); those nodes take it on their next access; send the request again "
                + "to check every node again", null, 0);
    }

    /**
     * {@code _debug/recall} over the owner nodes, in {@link RecallProbe}'s phases ({@link
     * RecallParts}): the body validated here, a sample from every owner node, the queries picked
     * from them, every query searched on every owner node, the hits merged per query and scored.
     */
    private OpResponse recall(OpRequest r, Namespace ns, int numShards) {
        RecallProbe.Request q = RecallProbe.parse(ns.settings(), r.body()); // a bad body is a 400 before any node is asked
        if (ns.settings().dimensions() == 0) return recallAnswer(new RecallProbe.Result(0, 0, 0, 0));
        List<Part> parts = new ArrayList<>();
        for (List<Integer> s : owners(r.namespace(), range(numShards)).values()) parts.add(new Part(s, with(r, r.body(), RecallParts.PHASE, "sample"), null));
        List<RecallProbe.Sample> samples = new ArrayList<>();
        for (Part p : send(parts)) {
            if (!p.answer.isOk()) return p.answer;
            samples.add(RecallParts.sample(p.answer.body()));
        }
        List<float[]> queries = RecallProbe.pick(samples, q.num(), new java.util.Random());
        if (queries.isEmpty()) return recallAnswer(new RecallProbe.Result(0, 0, 0, 0));
        OpRequest search = with(r, RecallParts.searchBody(r.body(), queries), RecallParts.PHASE, "search");
        parts = new ArrayList<>();
        for (List<Integer> s : owners(r.namespace(), range(numShards)).values()) parts.add(new Part(s, search, null));
        List<List<RecallProbe.Hits>> perNode = new ArrayList<>();
        for (Part p : send(parts)) {
            if (!p.answer.isOk()) return p.answer;
            perNode.add(RecallParts.hits(p.answer.body()));
        }
        return recallAnswer(RecallProbe.score(perNode, queries.size(), q.topK()));
    }

    private static OpResponse recallAnswer(RecallProbe.Result res) {
        return OpResponse.ok(EngineOps.recallJson(res));
    }

    /**
     * {@code GET /v1/cluster} (API.md): {@code {"nodes":[{"id","address","http","shards"}…],
     * "shards":[{"namespace","shard","owner","state"}…]}}. Owners are the primaries of the ownership
     * cache (ids are the nodes' consistent ids); every server node reports ({@link NodeReportCall})
     * its addresses and which shards it has open or idle, from which each shard's state is: {@code
     * moving} while a node that no longer owns it still has it open (it drains, then closes), else
     * {@code serving} open on its owner, {@code idle} closed there by the cold tier (the next request
     * opens it), {@code opening} not opened yet by its owner (it just took it over), {@code unowned}
     * with no server node, {@code unknown} when its owner did not answer within {@value #REPORT_MS} ms.
     */
    private OpResponse cluster(OpRequest r) {
        try {
            List<ClusterNode> servers = new ArrayList<>(ignite.cluster().forServers().nodes());
            servers.sort((a, b) -> Long.compare(a.order(), b.order()));
            Map<UUID, IgniteFuture<String>> asked = new LinkedHashMap<>();
            for (ClusterNode n : servers)
                asked.put(n.id(), ignite.compute(ignite.cluster().forNodeId(n.id())).withExecutor(GridNode.SHARD_OPS_EXECUTOR).withNoFailover()
                        .callAsync(new NodeReportCall()));
            Map<UUID, JsonNode> reports = new HashMap<>();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REPORT_MS);
            for (Map.Entry<UUID, IgniteFuture<String>> e : asked.entrySet()) {
                try {
                    long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                    reports.put(e.getKey(), OpRequest.JSON.readTree(e.getValue().get(left, TimeUnit.MILLISECONDS)));
                } catch (IgniteException | IOException ex) {
                    LOG.warn("trace {}: node {} gave no cluster report: {}", r.traceId(), e.getKey(), ex.toString());
                }
            }
            Map<String, UUID> openOn = new HashMap<>(); // "ns/s" -> a node that has it open and does not own it (moving)
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            ArrayNode nodes = out.putArray("nodes");
            ArrayNode shards = out.putArray("shards");
            Map<String, Integer> owned = new LinkedHashMap<>();
            for (ClusterNode n : servers) owned.put(n.consistentId().toString(), 0);
            for (String name : engine.list("")) {
                Optional<Namespace> ns = engine.find(name);
                if (ns.isEmpty()) continue;
                for (int s = 0; s < ns.get().numShards(); s++) {
                    String key = GridNode.shardKey(name, s);
                    ClusterNode owner = ignite.affinity(GridNode.SHARDS_CACHE).mapKeyToNode(key);
                    ObjectNode o = shards.addObject().put("namespace", name).put("shard", s);
                    String state;
                    if (owner == null) {
                        o.putNull("owner");
                        state = "unowned";
                    } else {
                        String id = owner.consistentId().toString();
                        o.put("owner", id);
                        owned.merge(id, 1, Integer::sum);
                        JsonNode mine = reports.get(owner.id());
                        boolean elsewhere = false;
                        for (Map.Entry<UUID, JsonNode> e : reports.entrySet())
                            if (!e.getKey().equals(owner.id()) && contains(e.getValue().path("open"), key)) elsewhere = true;
                        if (elsewhere) state = "moving";
                        else if (mine == null) state = "unknown";
                        else if (contains(mine.path("open"), key)) state = "serving";
                        else if (contains(mine.path("idle"), key)) state = "idle";
                        else state = "opening";
                    }
                    o.put("state", state);
                }
            }
            for (ClusterNode n : servers) {
                JsonNode rep = reports.get(n.id());
                ObjectNode o = nodes.addObject();
                o.put("id", n.consistentId().toString());
                if (rep == null || !rep.hasNonNull("address")) o.putNull("address");
                else o.put("address", rep.get("address").asText());
                if (rep == null || !rep.hasNonNull("http")) o.putNull("http");
                else o.put("http", rep.get("http").asText());
                o.put("shards", owned.getOrDefault(n.consistentId().toString(), 0));
            }
            return OpResponse.ok(out);
        } catch (IOException | RuntimeException e) {
            return EngineOps.failure(e, r);
        }
    }

    private static boolean contains(JsonNode array, String value) {
        for (JsonNode v : array) if (v.asText().equals(value)) return true;
        return false;
    }

    /**
     * What a server node reports for {@code GET /v1/cluster}: {@code {"address","http","open":["ns/s"…],
     * "idle":[…]}}, its discovery address, its REST URL (null without REST) and the shards it has
     * open, and those its cold tier closed. Opens nothing.
     */
    static final class NodeReportCall implements IgniteCallable<String> {
        private static final long serialVersionUID = 1L;

        @IgniteInstanceResource
        private transient Ignite ignite;

        @Override
        public String call() {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            out.put("address", GridNode.discoveryAddress(ignite));
            String http = GridNode.httpUrlOf(ignite);
            if (http == null) out.putNull("http");
            else out.put("http", http);
            ArrayNode open = out.putArray("open");
            ArrayNode idle = out.putArray("idle");
            NamespaceManager engine = GridNode.engineOf(ignite);
            if (engine != null) {
                for (Namespace ns : engine.openNamespaces())
                    for (int s = 0; s < ns.numShards(); s++) {
                        if (ns.isOpen(s)) open.add(GridNode.shardKey(ns.name(), s));
                        else if (ns.isParked(s)) idle.add(GridNode.shardKey(ns.name(), s));
                    }
            }
            return out.toString();
        }
    }

    /**
     * Deletes here (settings first, so no node opens it again; objects; local state), then asks every
     * other server node to drop what it has open, then deletes objects again (a part in flight on
     * another node may have written a WAL segment meanwhile).
     */
    private OpResponse deleteNamespace(OpRequest r) throws IOException {
        OpResponse here = ops.execute(r);
        Map<String, String> params = new HashMap<>(r.params());
        params.put(DROP_LOCAL, "true");
        OpRequest drop = new OpRequest(r.op(), r.namespace(), r.body(), params, r.traceId(), r.operationId());
        var others = ignite.cluster().forServers().forOthers(ignite.cluster().localNode());
        if (!others.nodes().isEmpty()) {
            try {
                ignite.compute(others).withExecutor(GridNode.SHARD_OPS_EXECUTOR).broadcast(new ShardOpCall(drop.encode(), r.namespace(), new int[0]));
            } catch (IgniteException e) {
                LOG.warn("trace {}: dropping namespace {} on the other nodes failed (their ownership checks close it): {}", r.traceId(),
                        r.namespace(), e.toString());
            }
        }
        engine.delete(r.namespace());
        return here;
    }

    /**
     * A part of a grid operation, run on the node that owns {@code shards} of {@code namespace}: it
     * refuses (503, nothing done) unless its node has an engine and is the primary owner of every one
     * of them, then runs the request on its engine. Runs in {@link GridNode#SHARD_OPS_EXECUTOR}.
     */
    static final class ShardOpCall implements IgniteCallable<String> {
        private static final long serialVersionUID = 1L;
        private final String request;
        private final String namespace;
        private final int[] shards;

        @IgniteInstanceResource
        private transient Ignite ignite;

        ShardOpCall(String request, String namespace, int[] shards) {
            this.request = request;
            this.namespace = namespace;
            this.shards = shards;
        }

        @Override
        public String call() {
            OpRequest r = OpRequest.decode(request);
            NamespaceManager engine = GridNode.engineOf(ignite);
            if (engine == null)
                return OpResponse.error(503, "node_unavailable", "node " + ignite.cluster().localNode().consistentId() + " has no engine (stopping?)",
                        null, 1).encode();
            for (int s : shards) {
                String key = GridNode.shardKey(namespace, s);
                if (!ignite.affinity(GridNode.SHARDS_CACHE).isPrimary(ignite.cluster().localNode(), key))
                    return OpResponse.error(503, "shard_moved", "shard " + key + " is moving to another node; retry", null, 1).encode();
            }
            if (r.param(DROP_LOCAL) != null) {
                try {
                    engine.dropLocal(namespace);
                    return OpResponse.ok(JsonNodeFactory.instance.objectNode()).encode();
                } catch (IOException | RuntimeException e) {
                    return EngineOps.failure(e, r).encode();
                }
            }
            long bytes = r.op().mutates() ? request.length() : 0;
            if (r.op() == Op.MULTI_SEARCH) { // a grid multi-search's part: the partials of these shards (EngineOps#SHARDS)
                Map<String, String> params = new HashMap<>(r.params());
                params.put(EngineOps.SHARDS, java.util.Arrays.stream(shards).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(",")));
                r = new OpRequest(r.op(), r.namespace(), r.body(), params, r.traceId(), r.operationId());
            }
            return TamterTask.ops(ignite, engine).execute(r, bytes).encode();
        }
    }
}
