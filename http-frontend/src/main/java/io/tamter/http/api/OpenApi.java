package io.tamter.http.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.HandlerType;
import io.tamter.compute.BodySchemas;
import java.util.Locale;

/**
 * {@code /openapi.json}: an OpenAPI 3.1 description generated from the route table
 * ({@link Routes}), so it cannot drift from what the server registers, with the request and
 * response schemas and examples of {@link BodySchemas} (tied there to the parsers and renderers
 * that really read and write those bodies) under {@code components.schemas}. Every 4xx/5xx answer
 * has the error schema. Built once ({@link #SPEC_JSON}); serving it renders no JSON.
 */
public final class OpenApi {
    private OpenApi() {}

    /** The spec as served. */
    static final String SPEC_JSON = spec().toString();

    static ObjectNode spec() {
        ObjectNode root = HttpServer.JSON.createObjectNode();
        root.put("openapi", "3.1.0");
        ObjectNode info = root.putObject("info");
        info.put("title", "Tamter REST API");
        info.put("version", "v1");
        info.put("description", "Vector + full-text search. Every response has status \"ok\" or \"error\"; errors carry code, message, "
                + "the offending field's path and the trace id. Details: API.md.");
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
                if (r.jsonBody()) {
                    ObjectNode media = op.putObject("requestBody").put("required", true).putObject("content").putObject("application/json");
                    ObjectNode schema = BodySchemas.request(r.op());
                    if (schema == null) throw new IllegalStateException(r.path() + " takes a body but " + r.op() + " describes none");
                    media.set("schema", schema);
                    examples(media, BodySchemas.requestExamples(r.op()));
                }
                ObjectNode responses = op.putObject("responses");
                ObjectNode ok = json(responses.putObject("200").put("description", "status ok"), BodySchemas.response(r.op()));
                examples(ok, BodySchemas.responseExamples(r.op()));
                json(responses.putObject("4XX").put("description", "status error; path names the offending field; 429 carries Retry-After"),
                        BodySchemas.error());
                json(responses.putObject("5XX").put("description", "status error; 503 carries Retry-After"), BodySchemas.error());
            }
        }
        for (String s : Routes.SERVICE) {
            ObjectNode get = paths.putObject(s).putObject("get");
            get.put("operationId", s.substring(1).replace(".json", ""));
            ObjectNode responses = get.putObject("responses");
            switch (s) {
                case "/metrics" -> responses.putObject("200").put("description", "Prometheus text format").putObject("content")
                        .putObject("text/plain").putObject("schema").put("type", "string");
                case "/openapi.json" -> json(responses.putObject("200").put("description", "this document"),
                        HttpServer.JSON.createObjectNode().put("type", "object"));
                default -> json(responses.putObject("200").put("description", "ok"), BodySchemas.ok());
            }
            if (s.equals("/metrics")) json(responses.putObject("4XX").put("description", "status error (API key, rate limit)"), BodySchemas.error());
            json(responses.putObject("5XX").put("description", "status error: /ready while not ready, or any route while shutting down"),
                    BodySchemas.error());
        }
        ObjectNode components = root.putObject("components");
        components.set("schemas", BodySchemas.components());
        ObjectNode schemes = components.putObject("securitySchemes");
        schemes.putObject("bearer").put("type", "http").put("scheme", "bearer");
        root.putArray("security").addObject().putArray("bearer");
        return root;
    }

    private static ObjectNode json(ObjectNode response, ObjectNode schema) {
        response.putObject("content").putObject("application/json").set("schema", schema);
        return (ObjectNode) response.get("content").get("application/json");
    }

    private static void examples(ObjectNode media, java.util.List<BodySchemas.Example> examples) {
        if (examples.isEmpty()) return;
        ObjectNode all = media.putObject("examples");
        for (BodySchemas.Example e : examples) all.putObject(e.name()).put("summary", e.summary()).set("value", e.value().deepCopy());
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
