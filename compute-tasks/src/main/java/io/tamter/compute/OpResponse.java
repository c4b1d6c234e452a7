package io.tamter.compute;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The outcome of an operation: the HTTP status it maps to, the response body of API.md (with
 * {@code status} "ok" or "error") and, for 429/503, the seconds after which to retry (0 = none).
 * Errors travel as responses, not exceptions, so a thin client sees the same body as HTTP.
 */
public record OpResponse(int httpStatus, ObjectNode body, int retryAfterSeconds) {
    public static OpResponse ok(ObjectNode body) {
        // "status" first, as in API.md's examples
        ObjectNode o = OpRequest.JSON.createObjectNode();
        o.put("status", "ok");
        body.fields().forEachRemaining(e -> { if (!e.getKey().equals("status")) o.set(e.getKey(), e.getValue()); });
        return new OpResponse(200, o, 0);
    }

    public static OpResponse error(int httpStatus, String code, String message, String path, int retryAfterSeconds) {
        ObjectNode o = OpRequest.JSON.createObjectNode();
        o.put("status", "error");
        ObjectNode e = o.putObject("error");
        e.put("code", code);
        e.put("message", message);
        if (path != null && !path.isEmpty()) e.put("path", path);
        return new OpResponse(httpStatus, o, retryAfterSeconds);
    }

    public boolean isOk() {
        return httpStatus == 200;
    }

    public String encode() {
        ObjectNode o = OpRequest.JSON.createObjectNode();
        o.put("http_status", httpStatus);
        if (retryAfterSeconds > 0) o.put("retry_after", retryAfterSeconds);
        o.set("body", body);
        return o.toString();
    }

    public static OpResponse decode(String s) {
        try {
            JsonNode o = OpRequest.JSON.readTree(s);
            return new OpResponse(o.path("http_status").asInt(500), (ObjectNode) o.get("body"), o.path("retry_after").asInt(0));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("not an operation response: " + e.getOriginalMessage(), e);
        }
    }
}
