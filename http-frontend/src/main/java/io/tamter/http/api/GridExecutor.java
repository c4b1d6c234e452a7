package io.tamter.http.api;

import io.tamter.client.wire.Op;
import io.tamter.compute.OpRequest;
import io.tamter.compute.OpResponse;
import io.tamter.compute.TamterTask;
import io.tamter.config.Params;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteClientDisconnectedException;
import org.apache.ignite.IgniteException;
import org.apache.ignite.cluster.ClusterGroupEmptyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs operations as {@link TamterTask} on the grid: the task routes each to the node that owns
 * its namespace. When that is this node for all of an operation (a one-node grid, a search whose
 * shards are all here), it runs here without a task ({@link TamterTask#runHere}), the same work
 * without the task's bookkeeping. A grid failure (no server node, the node left mid-request) is a 503 with
 * Retry-After, except for a write that may already have reached its job: that is a 500
 * {@code write_outcome_unknown}, never a 503 (see {@link #execute}). Nothing is half-written
 * because a write is applied by one job on one node.
 */
public final class GridExecutor implements OpExecutor {
    private static final Logger LOG = LoggerFactory.getLogger(GridExecutor.class);
    private final Ignite ignite;
    /**
     * Platform threads that run operations here ({@link TamterTask#runHere}), as Ignite's public
     * pool ran the task's jobs, except the searches that {@link #runsInline} lets run on the request's
     * own virtual thread. The handlers run on virtual threads, and an embedding (ONNX, milliseconds of
     * native code) or a long export would pin one of the few carrier threads and stall every other
     * request. Writes wait in them for the WAL, hence as many as {@code grid.job_threads}.
     */
    private final ExecutorService here;

    public GridExecutor(Ignite ignite) {
        this(ignite, Params.GRID_JOB_THREADS.defaultValue());
    }

    public GridExecutor(Ignite ignite, int threads) {
        this.ignite = ignite;
        AtomicInteger n = new AtomicInteger();
        this.here = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "tamter-op-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** How long a read answered "moved" or "node gone" (a grid's shards moving) is sent again before that answer is returned. */
    static final long READ_RETRY_MS = 30_000;

    /**
     * Runs the request; a read whose answer is 503 {@code shard_moved} or {@code node_unavailable}
     * (a shard moving between nodes, an owner that left) runs again, after a short backoff, for up
     * to {@value #READ_RETRY_MS} ms. Writes are routed again by the grid's coordinator itself
     * (GridCoordinator), part by part.
     */
    @Override
    public OpResponse execute(OpRequest request) {
        OpResponse r = executeOnce(request);
        if (request.op().mutates()) return r;
        long deadline = System.nanoTime() + READ_RETRY_MS * 1_000_000;
        long backoff = 50;
        // on a one-node grid "node gone" means this node is stopping: nothing to wait for
        while (movedOrGone(r) && System.nanoTime() < deadline && ignite.cluster().forServers().nodes().size() > 1) {
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return r;
            }
            backoff = Math.min(1000, backoff * 2);
            r = executeOnce(request);
        }
        return r;
    }

    private static boolean movedOrGone(OpResponse r) {
        if (r.httpStatus() != 503) return false;
        String code = r.body().path("error").path("code").asText();
        return code.equals("shard_moved") || code.equals("node_unavailable");
    }

    /** Whether this is a client node (tamter frontend) cut off from the grid, waiting to reconnect. */
    private boolean disconnectedClient() {
        try {
            return ignite.cluster().localNode().isClient() && ignite.cluster().clientReconnectFuture() != null;
        } catch (IgniteClientDisconnectedException e) { // what Ignite's API throws on such a node
            return true;
        }
    }

    private OpResponse executeOnce(OpRequest request) {
        // a frontend (client node) whose servers all left waits to reconnect: nothing can be sent, so a 503 is true even for a write
        if (disconnectedClient())
            return OpResponse.error(503, "grid_unavailable", "this frontend is disconnected from the grid (no server node); retry", null, 1);
        if (runsInline(request)) return runOnce(request);
        try {
            return CompletableFuture.supplyAsync(() -> runOnce(request), here).join();
        } catch (java.util.concurrent.CompletionException e) { // what runOnce threw, as it would have thrown here
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error er) throw er;
            throw e;
        } catch (RejectedExecutionException e) {
            return OpResponse.error(503, "node_unavailable", "the node is stopping", null, 1);
        }
    }

    /**
     * Whether a request runs on the calling (virtual) thread rather than on {@link #here}: a search
     * that embeds nothing (no {@code text}: the vector is given). Such a search is a few dozen
     * microseconds of CPU, and handing it to a pool thread and back cost two thread switches, as much
     * CPU as the search itself (perf of REST searches, benchmarks/README session 7). Its scratch
     * comes from the index's pools ({@code ScratchPool}), not from thread-locals, so a new virtual
     * thread per request allocates nothing again. Only when every shard of the namespace is open here
     * already: opening one (RocksDB, a checkpoint download after the cold tier unloaded it) is native
     * or blocking work that would pin one of the few carrier threads for its whole length.
     */
    boolean runsInline(OpRequest request) {
        return request.op() == Op.SEARCH && request.body() != null && !request.body().has("text") && TamterTask.allOpenHere(ignite, request);
    }

    private OpResponse runOnce(OpRequest request) {
        OpResponse done = TamterTask.runHere(ignite, request); // no task when this node would run it all
        if (done != null) return done;
        try {
            // typed in, typed out: the task passes objects to jobs on this node (see TamterTask)
            return (OpResponse) ignite.compute().execute(TamterTask.class, request);
        } catch (ClusterGroupEmptyException e) {
            // no server node to map the task to: no job ran, nothing was written
            LOG.warn("trace {}: grid call failed: {}", request.traceId(), e.toString());
            return OpResponse.error(503, "grid_unavailable", "the grid could not run the request: " + e.getMessage(), null, 1);
        } catch (IgniteException e) {
            LOG.warn("trace {}: grid call failed: {}", request.traceId(), e.toString());
            if (request.op().mutates())
                // A 503 promises that nothing was written (clients retry it, tests check it). Past the
                // mapping the job may have started, and a job that started may apply its write although
                // this call failed (a cancelled task, a node that left after applying, an interrupt):
                // the outcome is unknown, and saying so is the only true answer. Upserts, patches and
                // deletes carry ids, so reading back or sending the write again is safe.
                return OpResponse.error(500, "write_outcome_unknown", "the grid failed while the write was in flight; it may or may not "
                        + "have been applied (read it back or send it again): " + e.getMessage(), null, 0);
            return OpResponse.error(503, "grid_unavailable", "the grid could not run the request: " + e.getMessage(), null, 1);
        }
    }
}
