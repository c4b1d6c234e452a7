package io.tamter.http.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's error handler for requests it refuses itself, before Javalin sees them (an undecodable
 * URI, an invalid or repeated Content-Length, Content-Length with Transfer-Encoding, no Host, a URI
 * or headers over Jetty's limits): the body is API.md's error JSON with a code and a trace id, like
 * every other error, instead of Jetty's HTML page.
 */
final class JsonErrorHandler extends ErrorHandler {
    @Override
    protected void generateResponse(Request request, Response response, int status, String message, Throwable cause, Callback callback)
            throws IOException {
        String trace = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
        ObjectNode body = HttpServer.JSON.createObjectNode();
        body.put("status", "error");
        ObjectNode e = body.putObject("error");
        e.put("code", code(status));
        String m = message == null || message.isBlank() ? "the request was refused by the HTTP layer" : message;
        e.put("message", m + " (HTTP " + status + ")");
        e.put("trace_id", trace);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpServer.TRACE_HEADER, trace);
        response.write(true, ByteBuffer.wrap(body.toString().getBytes(StandardCharsets.UTF_8)), callback);
    }

    static String code(int status) {
        return switch (status) {
            case 400 -> "bad_http_request";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 413 -> "payload_too_large";
            case 414 -> "uri_too_long";
            case 431 -> "headers_too_large";
            default -> "http_" + status;
        };
    }
}
