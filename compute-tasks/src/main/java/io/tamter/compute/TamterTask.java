package io.tamter.compute;

import io.tamter.config.Params;
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
 * <p>Routing: an operation on namespace {@code ns} goes to the primary owner of the key
 * {@code ns/0} in {@link GridNode#SHARDS_CACHE} (a namespace's shards are opened together on one
 * node until the grid issue spreads them; searches then scatter one job per owner node and merge).
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

    @IgniteInstanceResource
    private transient Ignite ignite;

    @Override
    public Map<? extends ComputeJob, ClusterNode> map(List<ClusterNode> subgrid, String arg) {
        OpRequest r = OpRequest.decode(arg);
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

    @Override
    public String reduce(List<ComputeJobResult> results) {
        ComputeJobResult res = results.get(0);
        if (res.getException() != null)
            return OpResponse.error(503, "node_unavailable", "the node serving the request failed: " + res.getException().getMessage(), null, 1).encode();
        return res.getData();
    }

    /** Runs one operation on the node that owns its namespace. */
    static final class OpJob extends ComputeJobAdapter {
        private static final long serialVersionUID = 1L;
        private static final Logger LOG = LoggerFactory.getLogger(OpJob.class);
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
            NamespaceManager engine = GridNode.engineOf(ignite);
            if (engine == null)
                return OpResponse.error(503, "node_unavailable", "node " + ignite.cluster().localNode().consistentId() + " has no engine (stopping?)", null, 1).encode();
            if (shardKey != null && !ignite.affinity(GridNode.SHARDS_CACHE).isPrimary(ignite.cluster().localNode(), shardKey)) {
                LOG.info("trace {}: shard {} moved away from this node; answering 503", r.traceId(), shardKey);
                return OpResponse.error(503, "shard_moved", "shard " + shardKey + " is moving to another node; retry", null, 1).encode();
            }
            EngineOps ops = (EngineOps) ignite.cluster().nodeLocalMap().computeIfAbsent(OPS_KEY,
                    k -> new EngineOps(engine, engine.settings().getLong(Params.WRITE_MAX_UNAPPLIED_BYTES)));
            return ops.execute(r, request.length()).encode();
        }
    }
}
