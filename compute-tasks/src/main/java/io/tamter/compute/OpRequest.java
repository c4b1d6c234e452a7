package io.tamter.compute;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One operation as it travels to the node that runs it: the operation, the namespace, the JSON
 * body, the query/path parameters (cursor, document id, …), the caller's trace id and, for writes,
 * the operation id. Encoded as a JSON string ({@link #encode()}) so that the same task runs from
 * the HTTP frontend and from a thin client without class-sharing between them.
 */
public record OpRequest(Op op, String namespace, JsonNode body, Map<String, String> params, String traceId, String operationId) {
    static final ObjectMapper JSON = new ObjectMapper();

    public OpRequest {
        params = params == null ? Map.of() : Map.copyOf(params);
        body = body == null ? JsonNodeFactory.instance.objectNode() : body;
    }

    public String param(String k) {
        return params.get(k);
    }

    public String encode() {
        ObjectNode o = JSON.createObjectNode();
        o.put("op", op.wire());
        if (namespace != null) o.put("namespace", namespace);
        o.set("body", body);
        ObjectNode p = o.putObject("params");
        params.forEach(p::put);
        if (traceId != null) o.put("trace_id", traceId);
        if (operationId != null) o.put("operation_id", operationId);
        return o.toString();
    }

    public static OpRequest decode(String s) {
        try {
            JsonNode o = JSON.readTree(s);
            Map<String, String> params = new LinkedHashMap<>();
            JsonNode p = o.get("params");
            if (p != null) p.fields().forEachRemaining(e -> params.put(e.getKey(), e.getValue().asText()));
            return new OpRequest(Op.fromWire(o.path("op").asText()), o.hasNonNull("namespace") ? o.get("namespace").asText() : null,
                    o.get("body"), params, o.hasNonNull("trace_id") ? o.get("trace_id").asText() : null,
                    o.hasNonNull("operation_id") ? o.get("operation_id").asText() : null);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not an operation request: " + e.getOriginalMessage(), e);
        }
    }
}
