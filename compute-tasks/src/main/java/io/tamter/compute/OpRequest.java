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

    /**
     * About the length of {@link #encode()}, without rendering it: what a write counts against
     * {@code write.max_unapplied_bytes} when it did not arrive as text. Rendering a 500-row batch
     * of 128-dimensional vectors only to measure it was 11 % of the server's CPU during a
     * {@code tamter load} (doubles to decimal text). Strings and names count their length plus
     * quotes, a floating-point number 10 characters, an integer its digits.
     */
    public long sizeEstimate() {
        long n = 64 + (namespace == null ? 0 : namespace.length());
        for (Map.Entry<String, String> e : params.entrySet()) n += e.getKey().length() + e.getValue().length() + 6;
        java.util.ArrayDeque<JsonNode> todo = new java.util.ArrayDeque<>();
        todo.push(body);
        while (!todo.isEmpty()) {
            JsonNode node = todo.pop();
            switch (node.getNodeType()) {
                case OBJECT -> {
                    n += 2;
                    for (Map.Entry<String, JsonNode> f : node.properties()) {
                        n += f.getKey().length() + 4;
                        todo.push(f.getValue());
                    }
                }
                case ARRAY -> {
                    n += 2;
                    for (JsonNode c : node) {
                        n++;
                        todo.push(c);
                    }
                }
                case STRING -> n += node.textValue().length() + 2;
                case NUMBER -> n += node.isIntegralNumber() ? Long.toString(node.longValue()).length() : 10;
                default -> n += 5;
            }
        }
        return n;
    }

    public static OpRequest decode(String s) {
        Envelope.Request r = Envelope.Request.decode(s);
        return new OpRequest(Op.fromWire(r.op()), r.namespace(), r.body(), r.params(), r.traceId(), r.operationId());
    }
}
