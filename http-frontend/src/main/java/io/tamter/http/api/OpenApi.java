package io.tamter.http.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.HandlerType;
import java.util.Locale;

/**
 * {@code /openapi.json}: an OpenAPI 3.1 description generated from the route table
 * ({@link Routes}), so it cannot drift from what the server registers. Bodies are described as
 * JSON objects with a pointer to API.md, which holds their formats.
 */
public final class OpenApi {
    private OpenApi() {}

    public static ObjectNode spec() {
        ObjectNode root = HttpServer.JSON.createObjectNode();
        root.put("openapi", "3.1.0");
        ObjectNode info = root.putObject("info");
        info.put("title", "Tamter REST API");
        info.put("version", "v1");
        info.put("description", "Vector + full-text search. Request and response formats: API.md.");
        ObjectNode paths = root.putObject("paths");
        for (Route r : Routes.API) {
            ObjectNode path = paths.has(r.path()) ? (ObjectNode) paths.get(r.path()) : paths.putObject(r.path());
            for (HandlerType m : r.methods()) {
                ObjectNode op = path.putObject(m.name().toLowerCase(Locale.ROOT));
                op.put("operationId", r.op().wire() + (r.path().endsWith("/query") ? "-alias" : "") + "-" + m.name().toLowerCase(Locale.ROOT));
                op.put("summary", r.summary());
                ArrayNode params = op.putArray("parameters");
                if (r.namespaced()) param(params, "ns", "path", "namespace name [A-Za-z0-9_.-]{1,128}");
                if (r.path().contains("{id}")) param(params, "id", "path", "document id");
                switch (r.op()) {
                    case LIST_NAMESPACES -> {
                        param(params, "prefix", "query", "name prefix");
                        param(params, "cursor", "query", "next_cursor of the previous page");
                        param(params, "page_size", "query", "1..1000, default 100");
                    }
                    case EXPORT -> {
                        param(params, "cursor", "query", "next_cursor of the previous page");
                        param(params, "limit", "query", "documents per page");
                    }
                    default -> { }
                }
                if (r.jsonBody()) op.putObject("requestBody").put("required", true).putObject("content")
                        .putObject("application/json").putObject("schema").put("type", "object");
                ObjectNode responses = op.putObject("responses");
                responses.putObject("200").put("description", "status ok");
                responses.putObject("4XX").put("description", "status error: {status, error: {code, message, path?, trace_id}}");
                responses.putObject("5XX").put("description", "status error; 503 carries Retry-After");
            }
        }
        for (String s : Routes.SERVICE) {
            ObjectNode get = paths.putObject(s).putObject("get");
            get.put("operationId", s.substring(1).replace(".json", ""));
            get.putObject("responses").putObject("200").put("description", "ok");
        }
        ObjectNode schemes = root.putObject("components").putObject("securitySchemes");
        schemes.putObject("bearer").put("type", "http").put("scheme", "bearer");
        root.putArray("security").addObject().putArray("bearer");
        return root;
    }

    private static void param(ArrayNode params, String name, String in, String description) {
        ObjectNode p = params.addObject();
        p.put("name", name);
        p.put("in", in);
        p.put("required", in.equals("path"));
        p.put("description", description);
        p.putObject("schema").put("type", "string");
    }
}
