package io.tamter.compute;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.node.namespace.Namespace;
import io.tamter.node.namespace.RecallProbe;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code _debug/recall} of a namespace whose shards are on several nodes, in the phases of {@link
 * RecallProbe}: the coordinator asks every owner node for a sample (internal parameter {@value
 * #PHASE}={@code sample}, the user's body), picks the queries from the samples, asks every owner
 * node for its hits of them ({@value #PHASE}={@code search}, body {@code {"request":<the user's
 * body>,"queries":[[…]…]}}) and scores the merged hits. This class is both ends' JSON of those parts.
 */
final class RecallParts {
    /** Internal parameter of a recall part: {@code sample} or {@code search}. */
    static final String PHASE = "_recall";

    private RecallParts() {}

    /** Runs a part on this node's shards of {@code ns} ({@code phase} is the request's {@value #PHASE}). */
    static OpResponse run(Namespace ns, String phase, JsonNode body) throws IOException {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        if (phase.equals("sample")) {
            RecallProbe.Sample s = ns.recallSample(RecallProbe.parse(ns.settings(), body));
            out.put("candidates", s.candidates());
            ArrayNode vs = out.putArray("vectors");
            for (float[] v : s.vectors()) vs.add(vector(v));
        } else if (phase.equals("search")) {
            RecallProbe.Request r = RecallProbe.parse(ns.settings(), body.get("request"));
            List<float[]> queries = new ArrayList<>();
            for (JsonNode q : body.path("queries")) queries.add(vector(q));
            ArrayNode results = out.putArray("results");
            for (RecallProbe.Hits h : ns.recallSearch(queries, r)) {
                ObjectNode o = results.addObject();
                o.set("ann", hits(h.ann()));
                o.set("exact", hits(h.exact()));
            }
        } else {
            throw new IllegalArgumentException(PHASE + ": unknown phase " + phase);
        }
        return OpResponse.ok(out);
    }

    static RecallProbe.Sample sample(JsonNode o) {
        List<float[]> vs = new ArrayList<>();
        for (JsonNode v : o.path("vectors")) vs.add(vector(v));
        return new RecallProbe.Sample(o.path("candidates").asLong(), vs);
    }

    static ObjectNode searchBody(JsonNode request, List<float[]> queries) {
        ObjectNode b = JsonNodeFactory.instance.objectNode();
        b.set("request", request == null ? JsonNodeFactory.instance.nullNode() : request);
        ArrayNode qs = b.putArray("queries");
        for (float[] q : queries) qs.add(vector(q));
        return b;
    }

    static List<RecallProbe.Hits> hits(JsonNode o) {
        List<RecallProbe.Hits> out = new ArrayList<>();
        for (JsonNode r : o.path("results")) out.add(new RecallProbe.Hits(hitList(r.path("ann")), hitList(r.path("exact"))));
        return out;
    }

    private static ArrayNode hits(List<RecallProbe.Hit> hs) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        for (RecallProbe.Hit h : hs) a.addArray().add(h.shard()).add(h.vid()).add(h.distance());
        return a;
    }

    private static List<RecallProbe.Hit> hitList(JsonNode a) {
        List<RecallProbe.Hit> out = new ArrayList<>();
        for (JsonNode h : a) out.add(new RecallProbe.Hit(h.get(0).asInt(), h.get(1).asLong(), (float) h.get(2).asDouble()));
        return out;
    }

    // floats travel as their shortest decimal form and come back as the same float
    private static ArrayNode vector(float[] v) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode(v.length);
        for (float x : v) a.add(x);
        return a;
    }

    private static float[] vector(JsonNode a) {
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) a.get(i).asDouble();
        return v;
    }
}
