package io.tamter.compute;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.config.Params;
import io.tamter.node.namespace.Namespace;
import io.tamter.node.namespace.NamespaceSettings;
import io.tamter.node.namespace.SearchRequest;
import io.tamter.node.namespace.SearchResult;
import io.tamter.node.namespace.ShardSearch;
import java.io.IOException;
import java.util.ArrayList;
import io.tamter.node.cluster.GridNode;
import io.tamter.node.namespace.NamespaceManager;
import java.util.List;
import java.util.Map;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteException;
import org.apache.ignite.cluster.ClusterNode;
import org.apache.ignite.compute.ComputeJob;
import org.apache.ignite.compute.ComputeJobAdapter;
import org.apache.ignite.compute.ComputeJobResult;
import org.apache.ignite.compute.ComputeTaskAdapter;
import org.apache.ignite.resources.IgniteInstanceResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compute task behind every operation: argument an encoded {@link OpRequest}, result an
 * encoded {@link OpResponse}. The HTTP frontend runs it with {@code ignite.compute().execute},
 * thin clients by name ({@link #NAME}).
 *
 * <p>Routing: a search scatters one job per shard to the primary owner of the key {@code ns/s} in
 * {@link GridNode#SHARDS_CACHE}; each answers its shard's candidates ({@link ShardSearch.Partial})
 * and {@link #reduce} merges them into the top k. The query text is embedded once, here, before
 * the scatter. Every other operation on namespace {@code ns} goes to the owner of {@code ns/0},
 * which validates the whole request and applies it to the namespace's shards (they are opened
 * together on one node until the grid issue spreads them).
 * The job checks, on arrival, that its node is still the primary for that key: during a topology
 * change a job that lands on a node that just lost the shard answers 503 {@code shard_moved}
 * with Retry-After instead of serving a shard it no longer owns (ARCHITECTURE.md: jobs either run
 * under a partition reservation or verify ownership). Listing namespaces reads only the object
 * store and runs on any server node.
 */
public final class TamterTask extends ComputeTaskAdapter<String, String> {
    private static final long serialVersionUID = 1L;
    public static final String NAME = TamterTask.class.getName();
    static final String OPS_KEY = "tamter.ops";
    private static final Logger LOG = LoggerFactory.getLogger(TamterTask.class);

    @IgniteInstanceResource
    private transient Ignite ignite;
    private transient long started;
    private transient SearchRequest search;
    private transient OpRequest request;

    @Override
    public Map<? extends ComputeJob, ClusterNode> map(List<ClusterNode> subgrid, String arg) {
        started = System.nanoTime();
        OpRequest r = OpRequest.decode(arg);
        request = r;
        if (r.op() == Op.SEARCH) {
            Map<ComputeJob, ClusterNode> scatter = scatterSearch(r);
            if (scatter != null) return scatter;
        }
        if (!r.op().namespaced()) {
            ClusterNode local = ignite.cluster().localNode();
            ClusterNode target = !local.isClient() ? local
                    : subgrid.stream().filter(n -> !n.isClient()).findFirst().orElseThrow(() -> new IgniteException("no server node in the grid"));
            return Map.of(new OpJob(arg, null), target);
        }
        String key = GridNode.shardKey(r.namespace(), 0);
        ClusterNode owner = ignite.affinity(GridNode.SHARDS_CACHE).mapKeyToNode(key);
        if (owner == null) throw new IgniteException("no owner for shard " + key + ": no server node in the grid");
        return Map.of(new OpJob(arg, key), owner);
    }

    /**
     * One {@link ShardSearchJob} per shard, with the query prepared (validated, text embedded) on
     * this node; a request that fails preparation becomes a single job that answers the error.
     * Null when this node has no engine (the search then goes whole to the owner of shard 0).
     */
    private Map<ComputeJob, ClusterNode> scatterSearch(OpRequest r) {
        NamespaceManager engine = GridNode.engineOf(ignite);
        if (engine == null) return null;
        Map<ComputeJob, ClusterNode> jobs = new java.util.LinkedHashMap<>();
        try {
            NamespaceSettings.checkName(r.namespace());
            Namespace ns = engine.get(r.namespace());
            search = ns.prepare(SearchRequest.fromJson(r.body()));
            ObjectNode body = r.body().deepCopy();
            if (search.vector() != null) EngineOps.putVector(body, search.vector()); // embedded once, here
            String prepared = new OpRequest(r.op(), r.namespace(), body, r.params(), r.traceId(), null).encode();
            for (int s = 0; s < ns.settings().numShards(); s++) {
                String key = GridNode.shardKey(r.namespace(), s);
                ClusterNode owner = ignite.affinity(GridNode.SHARDS_CACHE).mapKeyToNode(key);
                if (owner == null) throw new IgniteException("no owner for shard " + key + ": no server node in the grid");
                jobs.put(new ShardSearchJob(prepared, s, key), owner);
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof IgniteException ie) throw ie;
            jobs.clear();
            search = null;
            jobs.put(new AnswerJob(EngineOps.failure(e, r).encode()), ignite.cluster().localNode());
        }
        return jobs;
    }

    @Override
    public String reduce(List<ComputeJobResult> results) {
        List<ShardSearch.Partial> parts = new ArrayList<>();
        for (ComputeJobResult res : results) {
            if (res.getException() != null)
                return OpResponse.error(503, "node_unavailable", "the node serving the request failed: " + res.getException().getMessage(), null, 1).encode();
            String data = res.getData();
            if (!(res.getJob() instanceof ShardSearchJob) || data.startsWith(ERROR_PREFIX))
                return data.startsWith(ERROR_PREFIX) ? data.substring(ERROR_PREFIX.length()) : data;
            parts.add(PartialCodec.decode(data));
        }
        SearchResult merged;
        try {
            merged = ShardSearch.merge(parts, search);
        } catch (RuntimeException e) { // a request error only the shards' answers show (bm25 where there is no text)
            return EngineOps.failure(e, request).encode();
        }
        return OpResponse.ok(EngineOps.searchResponse(merged, search, started)).encode();
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

    /** Answers a response decided before the scatter (a request that failed validation). */
    static final class AnswerJob extends ComputeJobAdapter {
        private static final long serialVersionUID = 1L;
        private final String response;

        AnswerJob(String response) {
            this.response = response;
        }

        @Override
        public Object execute() {
            return response;
        }
    }

    /** One shard's part of a search, run on the shard's owner. */
    static final class ShardSearchJob extends ComputeJobAdapter {
        private static final long serialVersionUID = 1L;
        private final String request;
        private final int shard;
        private final String shardKey;

        @IgniteInstanceResource
        private transient Ignite ignite;

        ShardSearchJob(String request, int shard, String shardKey) {
            this.request = request;
            this.shard = shard;
            this.shardKey = shardKey;
        }

        @Override
        public Object execute() {
            OpRequest r = OpRequest.decode(request);
            OpResponse refused = refuse(ignite, shardKey, r);
            if (refused != null) return ERROR_PREFIX + refused.encode();
            NamespaceManager engine = GridNode.engineOf(ignite);
            try {
                Namespace ns = engine.get(r.namespace());
                return PartialCodec.encode(ns.searchShard(shard, ns.prepare(SearchRequest.fromJson(r.body()))));
            } catch (IOException | RuntimeException e) {
                return ERROR_PREFIX + EngineOps.failure(e, r).encode();
            }
        }
    }

    /** Runs one operation on the node that owns its namespace. */
    static final class OpJob extends ComputeJobAdapter {
        private static final long serialVersionUID = 1L;
        private final String request;
        private final String shardKey;

        @IgniteInstanceResource
        private transient Ignite ignite;

        OpJob(String request, String shardKey) {
            this.request = request;
            this.shardKey = shardKey;
        }

        @Override
        public Object execute() {
            OpRequest r = OpRequest.decode(request);
            OpResponse refused = refuse(ignite, shardKey, r);
            if (refused != null) return refused.encode();
            NamespaceManager engine = GridNode.engineOf(ignite);
            EngineOps ops = (EngineOps) ignite.cluster().nodeLocalMap().computeIfAbsent(OPS_KEY,
                    k -> new EngineOps(engine, engine.settings().getLong(Params.WRITE_MAX_UNAPPLIED_BYTES)));
            return ops.execute(r, request.length()).encode();
        }
    }
}
