package io.tamter.compute;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.apache.ignite.Ignition;
import org.apache.ignite.client.IgniteClient;
import org.apache.ignite.configuration.ClientConfiguration;

/**
 * Tamter for JVM applications, over the Ignite thin client (port 10800 by default): the same
 * operations and the same JSON request and response bodies as the REST API, run as
 * {@link TamterTask} on the grid. Errors come back as {@link OpResponse}s with API.md's error body.
 */
public final class TamterClient implements AutoCloseable {
    private final IgniteClient client;

    private TamterClient(IgniteClient client) {
        this.client = client;
    }

    /** Connects to the grid through any of {@code addresses} ({@code host:port}). */
    public static TamterClient connect(String... addresses) {
        return new TamterClient(Ignition.startClient(new ClientConfiguration().setAddresses(addresses)));
    }

    /** Runs {@code op} on namespace {@code ns} (null for listing) with a JSON body and parameters. */
    public OpResponse execute(Op op, String ns, JsonNode body, Map<String, String> params) {
        // the same refusal as over HTTP: a number beyond a double or a lone surrogate would not survive
        // the trip as JSON text (1e400 would arrive as the string "Infinity")
        JsonChecks.Problem bad = body == null ? null : JsonChecks.firstUnrepresentable(body);
        if (bad != null) return OpResponse.error(400, bad.code(), bad.message(), bad.path(), 0);
        String opId = op.mutates() ? EngineOps.newOperationId() : null;
        OpRequest r = new OpRequest(op, ns, body, params, "thin-" + java.util.UUID.randomUUID(), opId);
        try {
            OpResponse res = OpResponse.decode(client.compute().execute(TamterTask.NAME, r.encode()));
            // a read answered "moved" or "node gone" (a grid's shards moving) runs again for a while;
            // writes are routed again by the grid's coordinator itself
            long deadline = System.nanoTime() + 30_000_000_000L;
            for (long backoff = 50; !op.mutates() && movedOrGone(res) && System.nanoTime() < deadline; backoff = Math.min(1000, backoff * 2)) {
                Thread.sleep(backoff);
                res = OpResponse.decode(client.compute().execute(TamterTask.NAME, r.encode()));
            }
            return res;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + op.wire(), e);
        }
    }

    private static boolean movedOrGone(OpResponse r) {
        if (r.httpStatus() != 503) return false;
        String code = r.body().path("error").path("code").asText();
        return code.equals("shard_moved") || code.equals("node_unavailable");
    }

    /** {@link #execute} with a body given as JSON text. */
    public OpResponse execute(Op op, String ns, String jsonBody) {
        try {
            return execute(op, ns, OpRequest.JSON.readTree(jsonBody), Map.of());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
    }

    public OpResponse upsert(String ns, String upsertBody) {
        return execute(Op.UPSERT, ns, upsertBody);
    }

    public OpResponse search(String ns, String searchBody) {
        return execute(Op.SEARCH, ns, searchBody);
    }

    @Override
    public void close() throws Exception {
        client.close();
    }
}
