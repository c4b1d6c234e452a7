package io.tamter.compute;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.client.wire.Envelope;

/**
 * The outcome of an operation: the HTTP status it maps to, the response body of API.md (with
 * {@code status} "ok" or "error") and, for 429/503, the seconds after which to retry (0 = none).
 * Errors travel as responses, not exceptions, so a thin client sees the same body as HTTP. The
 * encoding is {@link Envelope.Response}'s, shared with the thin client in tamter-client.
 */
public record OpResponse(int httpStatus, ObjectNode body, int retryAfterSeconds) {
    public static OpResponse ok(ObjectNode body) {
        return of(Envelope.Response.ok(body));
    }

    public static OpResponse error(int httpStatus, String code, String message, String path, int retryAfterSeconds) {
        return of(Envelope.Response.error(httpStatus, code, message, path, retryAfterSeconds));
    }

    public boolean isOk() {
        return httpStatus == 200;
    }

    public String encode() {
        return new Envelope.Response(httpStatus, body, retryAfterSeconds).encode();
    }

    public static OpResponse decode(String s) {
        return of(Envelope.Response.decode(s));
    }

    private static OpResponse of(Envelope.Response r) {
        return new OpResponse(r.httpStatus(), r.body(), r.retryAfterSeconds());
    }
}
