package io.tamter.client.wire;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * What a thin client and the grid's compute task exchange: the task's name, and the request and
 * response envelopes as JSON text (JSON so that the two sides share no classes beyond this jar and
 * Ignite never has to deserialize a Tamter type on the client).
 *
 * <p>Request: {@code {"op":"upsert","namespace":"ns","body":{…API.md's body…},"params":{"id":"7",…},
 * "trace_id":"…","operation_id":"op-…"}} ({@code namespace}, {@code trace_id} and {@code operation_id}
 * absent when there is none; {@code params} are the query and path parameters of the REST route,
 * all strings). Response: {@code {"http_status":200,"retry_after":1,"body":{"status":"ok",…}}}
 * ({@code retry_after} only for a 429/503 that sets it); the body is API.md's response or error body.
 *
 * <p>The server side's {@code io.tamter.compute.OpRequest}/{@code OpResponse} encode and decode
 * through here; there is no other copy of this format.
 */
public final class Envelope {
    private Envelope() {}

    /** The name thin clients run the task by: the class name of {@code io.tamter.compute.TamterTask} (checked by its tests). */
    public static final String TASK_NAME = "io.tamter.compute.TamterTask";

    /** One mapper for the envelopes (thread-safe once configured). */
    public static final ObjectMapper JSON = new ObjectMapper();

    /** A decoded request: the operation's wire name ({@link Op#wire()}), namespace (or null), body, params, trace and operation ids. */
    public record Request(String op, String namespace, JsonNode body, Map<String, String> params, String traceId, String operationId) {
        public Request {
            params = params == null ? Map.of() : Map.copyOf(params);
            body = body == null ? JsonNodeFactory.instance.objectNode() : body;
        }

        public String encode() {
            ObjectNode o = JSON.createObjectNode();
            o.put("op", op);
            if (namespace != null) o.put("namespace", namespace);
            o.set("body", body);
            ObjectNode p = o.putObject("params");
            params.forEach(p::put);
            if (traceId != null) o.put("trace_id", traceId);
            if (operationId != null) o.put("operation_id", operationId);
            return o.toString();
        }

        public static Request decode(String s) {
            try {
                JsonNode o = JSON.readTree(s);
                Map<String, String> params = new LinkedHashMap<>();
                JsonNode p = o.get("params");
                if (p != null) p.fields().forEachRemaining(e -> params.put(e.getKey(), e.getValue().asText()));
                return new Request(o.path("op").asText(), text(o, "namespace"), o.get("body"), params, text(o, "trace_id"), text(o, "operation_id"));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("not an operation request: " + e.getOriginalMessage(), e);
            }
        }
    }

    /** A decoded response: the HTTP status it maps to, API.md's body, and Retry-After seconds (0 = none). */
    public record Response(int httpStatus, ObjectNode body, int retryAfterSeconds) {
        /** An ok response: {@code "status":"ok"} first, as in API.md's examples, then the fields of {@code body}. */
        public static Response ok(ObjectNode body) {
            ObjectNode o = JSON.createObjectNode();
            o.put("status", "ok");
            body.fields().forEachRemaining(e -> { if (!e.getKey().equals("status")) o.set(e.getKey(), e.getValue()); });
            return new Response(200, o, 0);
        }

        /** API.md's error body: {@code {"status":"error","error":{"code":…,"message":…,"path":…}}} (no path when empty). */
        public static Response error(int httpStatus, String code, String message, String path, int retryAfterSeconds) {
            ObjectNode o = JSON.createObjectNode();
            o.put("status", "error");
            ObjectNode e = o.putObject("error");
            e.put("code", code);
            e.put("message", message);
            if (path != null && !path.isEmpty()) e.put("path", path);
            return new Response(httpStatus, o, retryAfterSeconds);
        }

        public String encode() {
            ObjectNode o = JSON.createObjectNode();
            o.put("http_status", httpStatus);
            if (retryAfterSeconds > 0) o.put("retry_after", retryAfterSeconds);
            o.set("body", body);
            return o.toString();
        }

        public static Response decode(String s) {
            try {
                JsonNode o = JSON.readTree(s);
                JsonNode body = o.get("body");
                if (body == null || !body.isObject()) throw new IllegalStateException("not an operation response (no body): " + s);
                return new Response(o.path("http_status").asInt(500), (ObjectNode) body, o.path("retry_after").asInt(0));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("not an operation response: " + e.getOriginalMessage(), e);
            }
        }
    }

    /** A fresh operation id for a write: {@code op-} and a random UUID (the grid logs it and answers it back; any unique string does). */
    public static String newOperationId() {
        return "op-" + UUID.randomUUID();
    }

    private static String text(JsonNode o, String field) {
        return o.hasNonNull(field) ? o.get(field).asText() : null;
    }
}
