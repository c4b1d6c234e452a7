package io.tamter.compute;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tamter.client.wire.Envelope;
import io.tamter.client.wire.Op;
import java.util.Map;

/**
 * One operation as it travels to the node that runs it: the operation, the namespace, the JSON
 * body, the query/path parameters (cursor, document id, …), the caller's trace id and, for writes,
 * the operation id. Encoded as JSON text ({@link #encode()}, the format of {@link Envelope.Request},
 * shared with the thin client in tamter-client) so that the same task runs from the HTTP frontend
 * and from a thin client without class-sharing between them.
 */
public record OpRequest(Op op, String namespace, JsonNode body, Map<String, String> params, String traceId, String operationId) {
    static final ObjectMapper JSON = Envelope.JSON;

    public OpRequest {
        params = params == null ? Map.of() : Map.copyOf(params);
        body = body == null ? JsonNodeFactory.instance.objectNode() : body;
    }

    public String param(String k) {
        return params.get(k);
    }

    public String encode() {
        return new Envelope.Request(op.wire(), namespace, body, params, traceId, operationId).encode();
    }

    public static OpRequest decode(String s) {
        Envelope.Request r = Envelope.Request.decode(s);
        return new OpRequest(Op.fromWire(r.op()), r.namespace(), r.body(), r.params(), r.traceId(), r.operationId());
    }
}
