package io.tamter.http.api;

import io.tamter.compute.OpRequest;
import io.tamter.compute.OpResponse;
import io.tamter.compute.TamterTask;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs operations as {@link TamterTask} on the grid: the task routes each to the node that owns
 * its namespace. A grid failure (no server node, the node left mid-request) is a 503 with
 * Retry-After; nothing is half-written because a write is applied by one job on one node.
 */
public final class GridExecutor implements OpExecutor {
    private static final Logger LOG = LoggerFactory.getLogger(GridExecutor.class);
    private final Ignite ignite;

    public GridExecutor(Ignite ignite) {
        this.ignite = ignite;
    }

    @Override
    public OpResponse execute(OpRequest request) {
        try {
            // typed in, typed out: the task passes objects to jobs on this node (see TamterTask)
            return (OpResponse) ignite.compute().execute(TamterTask.class, request);
        } catch (IgniteException e) {
            LOG.warn("trace {}: grid call failed: {}", request.traceId(), e.toString());
            return OpResponse.error(503, "grid_unavailable", "the grid could not run the request: " + e.getMessage(), null, 1);
        }
    }
}
