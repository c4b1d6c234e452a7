package io.tamter.compute;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.node.doc.DocId;
import io.tamter.node.namespace.Aggregation;
import io.tamter.node.namespace.RankBy;
import io.tamter.node.namespace.ShardSearch;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A shard's search answer ({@link ShardSearch.Partial}) as JSON text, the form it travels in from
 * the shard's owner to the node that merges (ids keep their JSON type; distances that are NaN
 * are left out).
 */
final class PartialCodec {
    private PartialCodec() {}

    static String encode(ShardSearch.Partial p) {
        ObjectNode o = OpRequest.JSON.createObjectNode();
        list(o.putArray("vector"), p.vector());
        list(o.putArray("bm25"), p.bm25());
        if (p.text() != ShardSearch.TextPresence.PRESENT) o.put("text_presence", p.text().name());
        if (!p.ranked().isEmpty() || p.more()) {
            List<ShardSearch.Candidate> cs = new ArrayList<>();
            ArrayNode keys = o.putArray("ranked_keys");
            for (ShardSearch.Ranked r : p.ranked()) {
                cs.add(r.candidate());
                ArrayNode k = keys.addArray();
                if (r.key().value() == null) k.addNull();
                else k.add(r.key().value());
                k.add(r.key().id().toJson());
            }
            list(o.putArray("ranked"), cs);
            o.put("more", p.more());
        }
        if (p.aggregates() != null) o.set("aggregates", p.aggregates().toJson());
        return o.toString();
    }

    private static void list(ArrayNode a, List<ShardSearch.Candidate> cs) {
        for (ShardSearch.Candidate c : cs) {
            ObjectNode o = a.addObject();
            o.set("id", c.id().toJson());
            o.put("score", c.score());
            if (!Float.isNaN(c.dist())) o.put("dist", c.dist());
            ObjectNode m = o.putObject("metadata");
            c.metadata().forEach(m::set);
            if (c.vector() != null) EngineOps.putVector(o, c.vector());
            if (c.text() != null) o.put("text", c.text());
        }
    }

    static ShardSearch.Partial decode(String s) {
        try {
            JsonNode o = OpRequest.JSON.readTree(s);
            JsonNode t = o.get("text_presence");
            List<ShardSearch.Ranked> ranked = new ArrayList<>();
            if (o.has("ranked")) {
                List<ShardSearch.Candidate> cs = list(o.get("ranked"));
                for (int i = 0; i < cs.size(); i++) {
                    JsonNode k = o.get("ranked_keys").get(i);
                    ranked.add(new ShardSearch.Ranked(cs.get(i), new RankBy.Key(k.get(0), DocId.fromStoredJson(k.get(1)))));
                }
            }
            return new ShardSearch.Partial(list(o.get("vector")), list(o.get("bm25")),
                    t == null ? ShardSearch.TextPresence.PRESENT : ShardSearch.TextPresence.valueOf(t.asText()), ranked,
                    o.path("more").asBoolean(false), o.has("aggregates") ? Aggregation.Partials.fromJson(o.get("aggregates")) : null);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("not a shard search answer: " + e.getOriginalMessage(), e);
        }
    }

    private static List<ShardSearch.Candidate> list(JsonNode a) {
        List<ShardSearch.Candidate> out = new ArrayList<>(a.size());
        for (JsonNode c : a) {
            Map<String, JsonNode> meta = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = c.get("metadata").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                meta.put(e.getKey(), e.getValue());
            }
            float[] v = null;
            if (c.has("vector")) {
                v = new float[c.get("vector").size()];
                for (int i = 0; i < v.length; i++) v[i] = c.get("vector").get(i).floatValue();
            }
            out.add(new ShardSearch.Candidate(DocId.fromStoredJson(c.get("id")), meta, v, c.has("text") ? c.get("text").asText() : null,
                    c.get("score").floatValue(), c.has("dist") ? c.get("dist").floatValue() : Float.NaN));
        }
        return out;
    }
}
