package io.tamter.compute;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.client.wire.Op;
import io.tamter.config.Params;
import io.tamter.node.cluster.GridNode;
import io.tamter.node.namespace.Namespace;
import io.tamter.node.namespace.NamespaceManager;
import io.tamter.node.namespace.NamespaceSettings;
import io.tamter.node.namespace.SearchRequest;
import io.tamter.node.namespace.ShardSearch;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteException;
import org.apache.ignite.cluster.ClusterNode;
import org.apache.ignite.compute.ComputeJob;
import org.apache.ignite.compute.ComputeJobAdapter;
import org.apache.ignite.compute.ComputeExecutionRejectedException;
import org.apache.ignite.compute.ComputeJobResult;
import org.apache.ignite.compute.ComputeJobResultPolicy;
import org.apache.ignite.compute.ComputeTaskAdapter;
import org.apache.ignite.resources.IgniteInstanceResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compute task behind every operation: argument an {@link OpRequest}, result an
 * {@link OpResponse} (both as JSON text for thin clients; see below). The HTTP frontend runs it with
 * {@code ignite.compute().execute}, thin clients by name ({@link #NAME}).
 *
 * <p>Routing: a search scatters one job per node that owns shards of the namespace (the primary
 * owners of the keys {@code ns/s} in {@link GridNode#SHARDS_CACHE}), covering all of that node's
 * shards; each answers its shards' candidates ({@link ShardSearch.Partial}) and {@link #reduce}
 * merges them into the top k. The query text is embedded once, here, before the scatter. Every
 * other operation runs as an {@link OpJob} on this node (the node that received the request; a
 * client node sends it to a server node picked at random, so a frontend's requests spread their
 * coordination, embedding and merging over the servers), where {@link GridCoordinator} runs it whole
 * when one node owns every shard of the namespace, and otherwise splits it over the shards'
 * owners. A shard job checks, on arrival, that its node is still the primary of each of its shards:
 * during a topology change a job that lands on a node that just lost a shard answers 503
 * {@code shard_moved} with Retry-After instead of serving a shard it no longer owns
 * (ARCHITECTURE.md: jobs either run under a partition reservation or verify ownership).
 *
 * <p>What travels: a caller in this JVM (the HTTP frontend) passes an {@link OpRequest} and gets
 * an {@link OpResponse} back; a thin client passes the request as JSON text ({@link OpRequest#encode})
 * and gets JSON text back. Ignite runs a job mapped to the local node without marshalling it, so a
 * job for this node carries the typed request (and, for a search, the prepared query with its
 * parsed filter) and answers a typed result; only a job for another node carries JSON text. A
 * request is thus parsed once at the HTTP edge and rendered once there when everything is local.
 *
 * <p>A job whose node left before it answered ({@link #result}): a read's job is failed over to
 * another node, as Ignite does by default, and so is a write that is the same write when run twice
 * ({@link #REPEATABLE}: by id, unconditional, as a client's own retry would be). Any other write
 * (conditional, by filter, namespace-level) may have been applied by the node that left, and its
 * condition or filter would be evaluated again against that result: it is answered 500
 * {@code write_outcome_unknown} instead, as GridExecutor answers a write whose task failed.
 */
public final class TamterTask extends ComputeTaskAdapter<Object, Object> {
    private static final long serialVersionUID = 1L;
    /** The name thin clients run it by: {@link io.tamter.client.wire.Envelope#TASK_NAME}, which must be this class's name. */
    public static final String NAME = io.tamter.client.wire.Envelope.TASK_NAME;
    static final String OPS_KEY = "tamter.ops";
    /** Writes that leave the same state when run again (see the class comment): failed over like reads. */
    static final java.util.Set<Op> REPEATABLE = java.util.EnumSet.of(Op.UPSERT, Op.UPSERT_COLUMNS, Op.UPDATE, Op.UPDATE_COLUMNS, Op.BATCH_DELETE);
    private static final Logger LOG = LoggerFactory.getLogger(TamterTask.class);

    @IgniteInstanceResource
    private transient Ignite ignite;
    private transient long started;
    private transient SearchRequest search;
    private transient OpRequest request;

    /** Whether the caller passed a typed {@link OpRequest} (and so gets an {@link OpResponse} back). */
    private transient boolean typedCaller;

    @Override
    public Map<? extends ComputeJob, ClusterNode> map(List<ClusterNode> subgrid, Object arg) {
        started = System.nanoTime();
        typedCaller = arg instanceof OpRequest;
        OpRequest r = typedCaller ? (OpRequest) arg : OpRequest.decode((String) arg);
        request = r;
        if (r.op() == Op.SEARCH) {
            Map<ComputeJob, ClusterNode> scatter = scatterSearch(r);
            if (scatter != null) return scatter;
        }
        ClusterNode local = ignite.cluster().localNode();
        if (!r.op().namespaced()) {
            ClusterNode target = !local.isClient() ? local : anyServer(subgrid);
            return Map.of(OpJob.to(target, local, r, null), target);
        }
        // the node that coordinates: this one when it has an engine (it received the request), else
        // (a client node) a server at random; GridCoordinator runs it there, or splits it over owners
        ClusterNode target = GridNode.engineOf(ignite) != null ? local : anyServer(subgrid);
        return Map.of(OpJob.to(target, local, r, null), target);
    }

    /**
     * One {@link ShardSearchJob} per shard, with the query prepared (validated, text embedded) on
     * this node; a request that fails preparation becomes a single job that answers the error.
     * Null when this node has no engine (the search then goes whole to a server node, which scatters it).
     */
    private Map<ComputeJob, ClusterNode> scatterSearch(OpRequest r) {
        NamespaceManager engine = GridNode.engineOf(ignite);
        if (engine == null) return null;
        Map<ComputeJob, ClusterNode> jobs = new java.util.LinkedHashMap<>();
        try {
            NamespaceSettings.checkName(r.namespace());
            Namespace ns = engine.get(r.namespace());
            Namespace.PreparedSearch prepared = ns.prepareSearch(SearchRequest.fromJson(r.body()));
            search = prepared.request();
            ClusterNode local = ignite.cluster().localNode();
            String remote = null; // the prepared request as JSON text, made once if some shard lives elsewhere
            Map<ClusterNode, List<Integer>> byOwner = new java.util.LinkedHashMap<>();
            for (int s = 0; s < ns.settings().numShards(); s++) {
                String key = GridNode.shardKey(r.namespace(), s);
                ClusterNode owner = ignite.affinity(GridNode.SHARDS_CACHE).mapKeyToNode(key);
                if (owner == null) throw new IgniteException("no owner for shard " + key + ": no server node in the grid");
                byOwner.computeIfAbsent(owner, k -> new ArrayList<>()).add(s);
            }
            for (Map.Entry<ClusterNode, List<Integer>> e : byOwner.entrySet()) { // one job per owner node, for all its shards
                ClusterNode owner = e.getKey();
                int[] shards = e.getValue().stream().mapToInt(Integer::intValue).toArray();
                if (owner.id().equals(local.id())) {
                    jobs.put(new ShardSearchJob(null, shards, r.namespace(), r, prepared), owner);
                    continue;
                }
                if (remote == null) {
                    ObjectNode body = r.body().deepCopy();
                    if (search.vector() != null) EngineOps.putVector(body, search.vector()); // embedded once, here
                    remote = new OpRequest(r.op(), r.namespace(), body, r.params(), r.traceId(), null).encode();
                }
                jobs.put(new ShardSearchJob(remote, shards, r.namespace(), null, null), owner);
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof IgniteException ie) throw ie;
            jobs.clear();
            search = null;
            jobs.put(new AnswerJob(EngineOps.failure(e, r)), ignite.cluster().localNode());
        }
        return jobs;
    }

    /** A server node of {@code subgrid}, at random (a client node's requests spread over them). */
    private static ClusterNode anyServer(List<ClusterNode> subgrid) {
        List<ClusterNode> servers = subgrid.stream().filter(n -> !n.isClient()).toList();
        if (servers.isEmpty()) throw new IgniteException("no server node in the grid");
        return servers.get(java.util.concurrent.ThreadLocalRandom.current().nextInt(servers.size()));
    }

    @Override
    public ComputeJobResultPolicy result(ComputeJobResult res, List<ComputeJobResult> rcvd) {
        IgniteException e = res.getException();
        // a job rejected by its node never ran: failing it over is safe for any operation
        if (e != null && request != null && request.op().mutates() && !REPEATABLE.contains(request.op())
                && !(e instanceof ComputeExecutionRejectedException))
            return ComputeJobResultPolicy.REDUCE; // answered 500 write_outcome_unknown by merged
        return super.result(res, rcvd);
    }

    @Override
    public Object reduce(List<ComputeJobResult> results) {
        OpResponse out = merged(results);
        return typedCaller ? out : out.encode();
    }

    private OpResponse merged(List<ComputeJobResult> results) {
        List<ShardSearch.Partial> parts = new ArrayList<>();
        for (ComputeJobResult res : results) {
            if (res.getException() != null) {
                if (request != null && request.op().mutates()) // see result: it may have been applied
                    return OpResponse.error(500, "write_outcome_unknown", "the node running the write failed; it may or may not have been applied "
                            + "(read it back or send it again): " + res.getException().getMessage(), null, 0);
                return OpResponse.error(503, "node_unavailable", "the node serving the request failed: " + res.getException().getMessage(), null, 1);
            }
            Object data = res.getData();
            if (data instanceof OpResponse o) return o; // an operation's answer, or a shard job's error
            if (data instanceof ShardSearch.Partial p) {
                parts.add(p);
                continue;
            }
            if (data instanceof List<?> list) { // a node's partials, typed (this node)
                for (Object o : list) parts.add((ShardSearch.Partial) o);
                continue;
            }
            if (data instanceof String[] encoded) { // a node's partials, as JSON text (another node)
                for (String t : encoded) parts.add(PartialCodec.decode(t));
                continue;
            }
            String text = (String) data; // from another node
            if (text.startsWith(ERROR_PREFIX)) return OpResponse.decode(text.substring(ERROR_PREFIX.length()));
            if (!(res.getJob() instanceof ShardSearchJob)) return OpResponse.decode(text);
            parts.add(PartialCodec.decode(text));
        }
        ShardSearch.Merged merged;
        try {
            merged = ShardSearch.mergeAll(parts, search);
        } catch (RuntimeException e) { // a request error only the shards' answers show (bm25 where there is no text)
            return EngineOps.failure(e, request);
        }
        return OpResponse.ok(EngineOps.searchResponse(merged, search, started));
    }

    /**
     * Runs {@code r} on this node without a compute task, when this node is where the task would
     * run all of it: a server node (it has an engine) given a namespaced operation, and for a search,
     * the primary owner of every shard of the namespace. Null otherwise: the caller then runs the
     * task ({@code ignite.compute().execute}).
     *
     * <p>Why: on a one-node grid every request became a task with one local job, and the task's
     * bookkeeping (mapping, the job's worker, the result's collection) cost as much CPU as the
     * search it ran: 18 % of the server's samples under REST searches on sift10k, against the
     * index's 22 % (benchmarks/README.md). The work done is the same as the task's: a search runs
     * what {@link ShardSearchJob} and {@link #reduce} run, with the same ownership check
     * ({@link #refuse}) before it reads a shard; any other operation runs what {@link OpJob} runs,
     * {@link GridCoordinator}, which sends parts to other owners itself.
     *
     * <p>A failure inside is answered as the task's caller answers it: a read is a 503, and a write
     * that may have been applied is a 500 {@code write_outcome_unknown} (see GridExecutor).
     */
    public static OpResponse runHere(Ignite ignite, OpRequest r) {
        NamespaceManager engine = GridNode.engineOf(ignite);
        if (engine == null || !r.op().namespaced()) return null;
        try {
            if (r.op() == Op.SEARCH) return searchHere(ignite, engine, r);
            OpResponse refused = refuse(ignite, null, r);
            if (refused != null) return refused;
            long bytes = r.op().mutates() ? r.sizeEstimate() : 0; // as OpJob counts a typed request
            return new GridCoordinator(ignite, engine, ops(ignite, engine)).run(r, bytes);
        } catch (RuntimeException e) { // GridCoordinator answers its own failures; this is the grid failing under it
            LOG.warn("trace {}: local run failed: {}", r.traceId(), e.toString());
            if (r.op().mutates())
                return OpResponse.error(500, "write_outcome_unknown", "the node failed while the write was in flight; it may or may not "
                        + "have been applied (read it back or send it again): " + e.getMessage(), null, 0);
            return OpResponse.error(503, "grid_unavailable", "the node could not run the request: " + e.getMessage(), null, 1);
        }
    }

    /**
     * Whether every shard of {@code r}'s namespace is open on this node now, so that a search of it
     * here opens nothing: no RocksDB open or checkpoint download, native or blocking work that
     * would pin a virtual thread's carrier (see the REST frontend's GridExecutor).
     */
    public static boolean allOpenHere(Ignite ignite, OpRequest r) {
        NamespaceManager engine = GridNode.engineOf(ignite);
        Namespace ns = engine == null || r.namespace() == null ? null : engine.openNamespace(r.namespace()).orElse(null);
        if (ns == null) return false;
        for (int i = 0, n = ns.settings().numShards(); i < n; i++) if (!ns.isOpen(i)) return false;
        return true;
    }

    /** A search over shards all owned here (see {@link #runHere}); null when some shard's primary is another node. */
    private static OpResponse searchHere(Ignite ignite, NamespaceManager engine, OpRequest r) {
        long started = System.nanoTime();
        try {
            NamespaceSettings.checkName(r.namespace());
            Namespace ns = engine.get(r.namespace());
            int n = ns.settings().numShards();
            ClusterNode local = ignite.cluster().localNode();
            org.apache.ignite.cache.affinity.Affinity<Object> affinity = ignite.affinity(GridNode.SHARDS_CACHE);
            for (int s = 0; s < n; s++)
                if (!affinity.isPrimary(local, GridNode.shardKey(r.namespace(), s))) return null;
            Namespace.PreparedSearch prepared = ns.prepareSearch(SearchRequest.fromJson(r.body()));
            List<ShardSearch.Partial> parts = n == 1 ? List.of(ns.searchShard(0, prepared))
                    : ns.searchShards(java.util.stream.IntStream.range(0, n).boxed().toList(), prepared);
            ShardSearch.Merged merged = ShardSearch.mergeAll(parts, prepared.request());
            return OpResponse.ok(EngineOps.searchResponse(merged, prepared.request(), started));
        } catch (IOException | RuntimeException e) {
            return EngineOps.failure(e, r);
        }
    }

    /**
     * Why a job that just landed on this node must not run here: the node has no engine (a client
     * node, or one stopping), or it is no longer the primary of {@code shardKey} (null: any server
     * node will do). Null when the job may run.
     */
    static OpResponse refuse(Ignite ignite, String shardKey, OpRequest r) {
        if (GridNode.engineOf(ignite) == null)
            return OpResponse.error(503, "node_unavailable", "node " + ignite.cluster().localNode().consistentId()
                    + " has no engine (stopping?)", null, 1);
        if (shardKey != null && !ignite.affinity(GridNode.SHARDS_CACHE).isPrimary(ignite.cluster().localNode(), shardKey)) {
            LOG.info("trace {}: shard {} moved away from this node; answering 503", r.traceId(), shardKey);
            return OpResponse.error(503, "shard_moved", "shard " + shardKey + " is moving to another node; retry", null, 1);
        }
        return null;
    }

    /** Marks a shard job's answer that is an error response rather than a partial. */
    static final String ERROR_PREFIX = "error:";

    /** Answers a response decided before the scatter (a request that failed validation); runs locally. */
    static final class AnswerJob extends ComputeJobAdapter {
        private static final long serialVersionUID = 1L;
        private final transient OpResponse response;

        AnswerJob(OpResponse response) {
            this.response = response;
        }

        @Override
        public Object execute() {
            return response;
        }
    }

    /**
     * One shard's part of a search, run on the shard's owner: with the typed request and prepared
     * query when that is this node (answers a {@link ShardSearch.Partial} or an {@link OpResponse}),
     * else with the prepared request as JSON text (answers JSON text).
     */
    static final class ShardSearchJob extends ComputeJobAdapter {
        private static final long serialVersionUID = 1L;
        private final String request;
        private final int[] shards;
        private final String namespace;
        private final transient OpRequest typed;
        private final transient Namespace.PreparedSearch prepared;

        @IgniteInstanceResource
        private transient Ignite ignite;

        ShardSearchJob(String request, int[] shards, String namespace, OpRequest typed, Namespace.PreparedSearch prepared) {
            this.request = request;
            this.shards = shards;
            this.namespace = namespace;
            this.typed = typed;
            this.prepared = prepared;
        }

        @Override
        public Object execute() {
            boolean local = typed != null;
            OpRequest r = local ? typed : OpRequest.decode(request);
            for (int s : shards) {
                OpResponse refused = refuse(ignite, GridNode.shardKey(namespace, s), r);
                if (refused != null) return local ? refused : ERROR_PREFIX + refused.encode();
            }
            NamespaceManager engine = GridNode.engineOf(ignite);
            try {
                Namespace ns = engine.get(r.namespace());
                List<Integer> list = java.util.Arrays.stream(shards).boxed().toList();
                if (local) return shards.length == 1 ? ns.searchShard(shards[0], prepared) : ns.searchShards(list, prepared);
                List<ShardSearch.Partial> parts = ns.searchShards(list, ns.prepareSearch(SearchRequest.fromJson(r.body())));
                String[] out = new String[parts.size()];
                for (int i = 0; i < out.length; i++) out[i] = PartialCodec.encode(parts.get(i));
                return out;
            } catch (IOException | RuntimeException e) {
                OpResponse failed = EngineOps.failure(e, r);
                return local ? failed : ERROR_PREFIX + failed.encode();
            }
        }
    }

    /**
     * Runs one operation on the node that owns its namespace: typed when that is this node
     * (answers an {@link OpResponse}), else as JSON text (answers JSON text).
     */
    static final class OpJob extends ComputeJobAdapter {
        private static final long serialVersionUID = 1L;
        private final String request;
        private final String shardKey;
        private final transient OpRequest typed;

        @IgniteInstanceResource
        private transient Ignite ignite;

        private OpJob(String request, String shardKey, OpRequest typed) {
            this.request = request;
            this.shardKey = shardKey;
            this.typed = typed;
        }

        static OpJob to(ClusterNode target, ClusterNode local, OpRequest r, String shardKey) {
            return target.id().equals(local.id()) ? new OpJob(null, shardKey, r) : new OpJob(r.encode(), shardKey, null);
        }

        @Override
        public Object execute() {
            boolean local = typed != null;
            OpRequest r = local ? typed : OpRequest.decode(request);
            OpResponse out = run(r);
            return local ? out : out.encode();
        }

        private OpResponse run(OpRequest r) {
            OpResponse refused = refuse(ignite, shardKey, r);
            if (refused != null) return refused;
            NamespaceManager engine = GridNode.engineOf(ignite);
            if (engine == null) // the node began to stop between the two looks: refused before any write
                return OpResponse.error(503, "node_unavailable", "node " + ignite.cluster().localNode().consistentId() + " is stopping", null, 1);
            // a write's size counts against write.max_unapplied_bytes: its encoded length as it
            // travelled, or about that for a typed request (reads are not counted)
            long bytes = !r.op().mutates() ? 0 : request != null ? request.length() : r.sizeEstimate();
            if (r.op() == Op.SEARCH) { // a client node's search, coordinated here: scattered from this node
                try {
                    return (OpResponse) ignite.compute(ignite.cluster().forLocal()).execute(TamterTask.class, r);
                } catch (IgniteException e) {
                    return OpResponse.error(503, "grid_unavailable", "the grid could not run the search: " + e.getMessage(), null, 1);
                }
            }
            return new GridCoordinator(ignite, engine, ops(ignite, engine)).run(r, bytes);
        }
    }

    /** The node's {@link EngineOps} (one per node: it holds the node's write backpressure count). */
    static EngineOps ops(Ignite ignite, NamespaceManager engine) {
        return (EngineOps) ignite.cluster().nodeLocalMap().computeIfAbsent(OPS_KEY,
                k -> new EngineOps(engine, engine.settings().getLong(Params.WRITE_MAX_UNAPPLIED_BYTES)));
    }
}
