package io.tamter.http.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Checks HTTP answers against a served {@code /openapi.json} with a real JSON Schema 2020-12
 * validator (OpenAPI 3.1's schema dialect): the answer's route is found among the spec's path
 * templates, its status among the operation's responses ({@code 200}, {@code 4XX}, {@code 5XX}),
 * and the JSON body must validate against that response's schema, whose {@code $ref}s resolve in
 * the spec's {@code components}. {@link TestServer#call} runs every answer through here, so every
 * HTTP test checks the spec against what the server really sends.
 */
final class SpecValidator {
    private static final Map<String, SpecValidator> BY_SPEC = new ConcurrentHashMap<>();
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    private record Template(String path, Pattern pattern) {}

    final JsonNode spec;
    private final List<Template> templates = new ArrayList<>();
    private final Map<String, Schema> compiled = new ConcurrentHashMap<>();

    private SpecValidator(JsonNode spec) {
        this.spec = spec;
        for (Iterator<String> it = spec.get("paths").fieldNames(); it.hasNext(); ) {
            String p = it.next();
            templates.add(new Template(p, Pattern.compile(Pattern.quote(p).replaceAll("\\{[a-z_]+\\}", "\\\\E[^/]+\\\\Q"))));
        }
    }

    /** The validator of a spec text (one per distinct spec in the JVM: every test server serves the same). */
    static SpecValidator of(String specJson) {
        return BY_SPEC.computeIfAbsent(specJson, s -> {
            try {
                return new SpecValidator(TestServer.JSON.readTree(s));
            } catch (IOException e) {
                throw new AssertionError("/openapi.json is not JSON: " + e, e);
            }
        });
    }

    /** The path template a request path (query string stripped) falls under, or null. */
    String template(String path) {
        int q = path.indexOf('?');
        String p = q < 0 ? path : path.substring(0, q);
        for (Template t : templates) if (t.pattern.matcher(p).matches()) return t.path;
        return null;
    }

    /**
     * Validates one answer; returns the key it was checked under ({@code "POST /v1/namespaces/{ns}/search 200"},
     * {@code "… 4XX"}; {@code "unrouted 4XX"} for an error on a path the spec does not have), or null when there
     * was nothing to check (an empty body of a HEAD request, a file of the dashboard).
     *
     * @throws AssertionError when the status is not documented or the body does not validate
     */
    String check(String method, String path, int status, String contentType, String body) {
        if (body == null || body.isEmpty()) {
            if (method.equals("HEAD")) return null;
            throw new AssertionError(method + " " + path + ": " + status + " with an empty body; every answer has a body");
        }
        String template = template(path);
        JsonNode op = template == null ? null : spec.get("paths").get(template).get(method.toLowerCase(Locale.ROOT));
        String statusKey;
        JsonNode schema;
        if (op == null) {
            // the dashboard's page and assets are static files beside the API (HttpServer), not routes of the spec
            if (status < 400 && (path.equals(HttpServer.DASHBOARD) || path.startsWith(HttpServer.DASHBOARD + "/"))) return null;
            // a route or method the server does not serve: Javalin's 404/405 or Jetty's refusal, always the error body
            if (status < 400) throw new AssertionError(method + " " + path + ": " + status + " on a route /openapi.json does not have");
            statusKey = status < 500 ? "4XX" : "5XX";
            schema = spec.at("/components/schemas/Error");
            template = "unrouted";
        } else {
            JsonNode responses = op.get("responses");
            statusKey = Integer.toString(status);
            if (!responses.has(statusKey)) statusKey = status / 100 + "XX";
            if (!responses.has(statusKey))
                throw new AssertionError(method + " " + template + ": status " + status + " is not among the documented responses "
                        + responses.properties().stream().map(Map.Entry::getKey).toList() + "; body: " + body);
            JsonNode content = responses.get(statusKey).get("content");
            String media = contentType == null ? "" : contentType.split(";")[0].trim();
            if (content == null || !content.has(media))
                throw new AssertionError(method + " " + template + " " + status + ": content type " + contentType + " is not documented");
            if (!media.equals("application/json")) return method + " " + template + " " + statusKey; // text: nothing to validate
            schema = content.get(media).get("schema");
        }
        JsonNode value;
        try {
            value = TestServer.JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + ": " + status + " body is not JSON: " + body, e);
        }
        List<Error> errors = validate(schema, value);
        if (!errors.isEmpty())
            throw new AssertionError(method + " " + (template.equals("unrouted") ? path : template) + " " + status
                    + ": the body does not match /openapi.json: " + errors + "\nbody: " + abbreviate(body));
        return method + " " + template + " " + statusKey;
    }

    /**
     * A request body the server answered 200 must validate against the operation's request schema: a spec
     * stricter than the server would make generated clients refuse what the server takes.
     *
     * @throws AssertionError when it does not
     */
    void checkAcceptedRequest(String method, String path, String body) {
        if (body == null || body.isEmpty()) return;
        String template = template(path);
        JsonNode op = template == null ? null : spec.get("paths").get(template).get(method.toLowerCase(Locale.ROOT));
        JsonNode schema = op == null ? null : op.at("/requestBody/content/application~1json/schema");
        if (schema == null || schema.isMissingNode()) return;
        JsonNode value;
        try {
            value = TestServer.JSON.readTree(body);
        } catch (IOException e) {
            return; // not JSON yet answered 200: the answer's own check is what matters there
        }
        List<Error> errors = validate(schema, value);
        if (!errors.isEmpty())
            throw new AssertionError(method + " " + template + ": the server accepted a request body that /openapi.json refuses: " + errors
                    + "\nbody: " + abbreviate(body));
    }

    /** The errors of {@code value} against {@code schema} (a schema of the spec, whose {@code $ref}s point into its components). */
    List<Error> validate(JsonNode schema, JsonNode value) {
        return compiled.computeIfAbsent(schema.toString(), k -> {
            // the schema as the root of a document that carries the spec's components, so #/components/schemas/… resolve
            ObjectNode root = TestServer.JSON.createObjectNode();
            root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
            root.setAll((ObjectNode) schema.deepCopy());
            root.set("components", spec.get("components"));
            return REGISTRY.getSchema(root);
        }).validate(value);
    }

    /** The schema of a component by name. */
    JsonNode component(String name) {
        JsonNode s = spec.at("/components/schemas/" + name);
        if (s.isMissingNode()) throw new AssertionError("no component " + name);
        return TestServer.JSON.createObjectNode().put("$ref", "#/components/schemas/" + name);
    }

    private static String abbreviate(String s) {
        return s.length() <= 2000 ? s : s.substring(0, 2000) + "… (" + s.length() + " chars)";
    }
}
