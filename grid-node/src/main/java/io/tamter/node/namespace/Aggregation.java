package io.tamter.node.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.node.doc.Document;
import io.tamter.node.doc.InvalidRequestException;
import io.tamter.node.schema.AttributeSpec;
import io.tamter.node.schema.AttributeType;
import io.tamter.node.schema.Schema;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Aggregations of a search (API.md {@code "aggregate_by"} with an optional {@code "group_by"}):
 * over the documents matching the filter, per group of equal {@code group_by} values, {@code count}
 * (documents), and {@code sum}, {@code avg}, {@code min}, {@code max} of a numeric attribute (int or
 * float; {@code min} and {@code max} also of datetime, answered as ISO-8601 text).
 *
 * <p>Each shard answers {@link Partials}: per group, the number of documents and, per function, the
 * number of values, their sum and their extremes; the coordinator adds them up ({@link Partials#add})
 * and only then derives {@code avg} (sum / number of values), so an average over shards is exact
 * and not an average of averages. Documents without an aggregated attribute count for
 * {@code count} and are skipped by the others; a group without any value has {@code sum} 0 and
 * {@code avg}, {@code min}, {@code max} null. Documents without a {@code group_by} attribute form
 * the group whose value is null. Groups come largest first (most documents), ties by their values'
 * JSON text; {@code top_k} groups are answered. Int sums are exact 64-bit integers (a sum past
 * 2^63 is answered as a float).
 *
 * <p>Group values are normalized as ranks are ({@link RankBy#normalize}: datetime as epoch ms,
 * answered as ISO-8601 text), so one datetime written in two forms is one group.
 */
public final class Aggregation {
    public enum Kind { COUNT, SUM, AVG, MIN, MAX }

    /** One aggregation: the function and its attribute (null for count). */
    public record Fn(Kind kind, String attribute) {}

    /** The aggregations asked for, in request order, and the attributes to group by (empty: one group). */
    public record Spec(Map<String, Fn> fns, List<String> groupBy) {
        public Spec {
            fns = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fns));
            groupBy = List.copyOf(groupBy);
        }
    }

    private Aggregation() {}

    /** Parses {@code aggregate_by} and {@code group_by} (null: none) of a search body. */
    static Spec parse(JsonNode aggs, JsonNode groupBy) {
        if (aggs == null || !aggs.isObject() || aggs.isEmpty())
            throw new InvalidRequestException("invalid_request", "aggregate_by", "aggregate_by: must be an object of name -> [\"count\"] or "
                    + "[\"sum\"|\"avg\"|\"min\"|\"max\", \"<attribute>\"] with at least one entry; got " + aggs);
        Map<String, Fn> fns = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = aggs.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String path = "aggregate_by." + e.getKey();
            if (e.getKey().isEmpty()) throw new InvalidRequestException("invalid_request", path, path + ": a result name must not be empty");
            JsonNode f = e.getValue();
            if (!f.isArray() || f.isEmpty() || !f.get(0).isTextual())
                throw new InvalidRequestException("invalid_request", path, path + ": must be [\"count\"] or [\"sum\"|\"avg\"|\"min\"|\"max\", "
                        + "\"<attribute>\"]; got " + f);
            Kind k = switch (f.get(0).textValue()) {
                case "count" -> Kind.COUNT;
                case "sum" -> Kind.SUM;
                case "avg" -> Kind.AVG;
                case "min" -> Kind.MIN;
                case "max" -> Kind.MAX;
                default -> throw new InvalidRequestException("invalid_request", path + "[0]", path + "[0]: unknown function " + f.get(0)
                        + "; functions are count, sum, avg, min, max");
            };
            if (k == Kind.COUNT) {
                if (f.size() != 1) throw new InvalidRequestException("invalid_request", path, path + ": count takes no attribute: [\"count\"]");
                fns.put(e.getKey(), new Fn(k, null));
            } else {
                if (f.size() != 2 || !f.get(1).isTextual() || f.get(1).textValue().isEmpty())
                    throw new InvalidRequestException("invalid_request", path, path + ": must be [\"" + f.get(0).textValue()
                            + "\", \"<attribute>\"]; got " + f);
                fns.put(e.getKey(), new Fn(k, f.get(1).textValue()));
            }
        }
        List<String> groups = new ArrayList<>();
        if (groupBy != null && !groupBy.isNull()) {
            if (!groupBy.isArray() || groupBy.isEmpty())
                throw new InvalidRequestException("invalid_request", "group_by", "group_by: must be a non-empty list of attribute names; got " + groupBy);
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < groupBy.size(); i++) {
                JsonNode g = groupBy.get(i);
                String path = "group_by[" + i + "]";
                if (!g.isTextual() || g.textValue().isEmpty())
                    throw new InvalidRequestException("invalid_request", path, path + ": must be an attribute name; got " + g);
                if (!seen.add(g.textValue()))
                    throw new InvalidRequestException("invalid_request", path, path + ": '" + g.textValue() + "' is listed twice");
                if (fns.containsKey(g.textValue()))
                    throw new InvalidRequestException("invalid_request", path, path + ": '" + g.textValue() + "' is also the name of an "
                            + "aggregation; a group's answer would hold both");
                groups.add(g.textValue());
            }
        }
        return new Spec(fns, groups);
    }

    /**
     * The types the spec's attributes have in {@code schema}: per aggregation (null for count), then
     * per group attribute; an unknown attribute or an unfit type is a 400 naming the request path.
     */
    static Types check(Spec spec, Schema schema) {
        List<AttributeType> fnTypes = new ArrayList<>();
        for (Map.Entry<String, Fn> e : spec.fns().entrySet()) {
            Fn f = e.getValue();
            if (f.kind() == Kind.COUNT) {
                fnTypes.add(null);
                continue;
            }
            String path = "aggregate_by." + e.getKey() + "[1]";
            AttributeSpec a = schema.get(f.attribute());
            if (a == null) throw new InvalidRequestException("unknown_attribute", path, path + ": unknown attribute '" + f.attribute() + "'");
            AttributeType t = a.type();
            boolean ok = t == AttributeType.INT || t == AttributeType.FLOAT
                    || (t == AttributeType.DATETIME && (f.kind() == Kind.MIN || f.kind() == Kind.MAX));
            if (!ok)
                throw new InvalidRequestException("invalid_request", path, path + ": " + f.kind().name().toLowerCase(java.util.Locale.ROOT)
                        + " needs an int or float attribute" + (f.kind() == Kind.MIN || f.kind() == Kind.MAX ? " (or datetime)" : "")
                        + "; '" + f.attribute() + "' is " + t.apiName());
            fnTypes.add(t);
        }
        List<AttributeType> groupTypes = new ArrayList<>();
        for (int i = 0; i < spec.groupBy().size(); i++)
            groupTypes.add(RankBy.scalarType(schema, spec.groupBy().get(i), "group_by[" + i + "]"));
        return new Types(fnTypes, groupTypes);
    }

    /** The types of a spec's attributes (see {@link #check}). */
    record Types(List<AttributeType> fns, List<AttributeType> groups) {}

    /** One group's running totals: documents, and per aggregation the number of values, their sums and extremes. */
    public static final class Acc {
        long docs;
        final long[] n;
        final long[] longSum;
        final boolean[] longOverflow;
        final double[] sum;
        final double[] min;
        final double[] max;
        /** Exact extremes of integral values (int, datetime): doubles lose precision past 2^53. */
        final long[] longMin;
        final long[] longMax;

        Acc(int fns) {
            n = new long[fns];
            longSum = new long[fns];
            longOverflow = new boolean[fns];
            sum = new double[fns];
            min = new double[fns];
            max = new double[fns];
            java.util.Arrays.fill(min, Double.POSITIVE_INFINITY);
            java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
            longMin = new long[fns];
            longMax = new long[fns];
            java.util.Arrays.fill(longMin, Long.MAX_VALUE);
            java.util.Arrays.fill(longMax, Long.MIN_VALUE);
        }

        void addValue(int i, JsonNode normalized) {
            n[i]++;
            if (normalized.isIntegralNumber()) {
                long v = normalized.longValue();
                longMin[i] = Math.min(longMin[i], v);
                longMax[i] = Math.max(longMax[i], v);
                if (!longOverflow[i]) {
                    try {
                        longSum[i] = Math.addExact(longSum[i], v);
                    } catch (ArithmeticException e) {
                        longOverflow[i] = true;
                    }
                }
            }
            double d = normalized.doubleValue();
            sum[i] += d;
            min[i] = Math.min(min[i], d);
            max[i] = Math.max(max[i], d);
        }

        void add(Acc o) {
            docs += o.docs;
            for (int i = 0; i < n.length; i++) {
                n[i] += o.n[i];
                if (!longOverflow[i]) {
                    if (o.longOverflow[i]) longOverflow[i] = true;
                    else {
                        try {
                            longSum[i] = Math.addExact(longSum[i], o.longSum[i]);
                        } catch (ArithmeticException e) {
                            longOverflow[i] = true;
                        }
                    }
                }
                sum[i] += o.sum[i];
                min[i] = Math.min(min[i], o.min[i]);
                max[i] = Math.max(max[i], o.max[i]);
                longMin[i] = Math.min(longMin[i], o.longMin[i]);
                longMax[i] = Math.max(longMax[i], o.longMax[i]);
            }
        }

        /** As JSON (shards on other nodes): {@code [docs, [n, longSum|null, sum, min|null, max|null, longMin, longMax]…]}. */
        ArrayNode toJson() {
            ArrayNode a = JsonNodeFactory.instance.arrayNode();
            a.add(docs);
            for (int i = 0; i < n.length; i++) {
                ArrayNode f = a.addArray();
                f.add(n[i]);
                if (longOverflow[i]) f.addNull();
                else f.add(longSum[i]);
                f.add(sum[i]);
                if (n[i] == 0) f.addNull().addNull();
                else f.add(min[i]).add(max[i]);
                f.add(longMin[i]).add(longMax[i]);
            }
            return a;
        }

        static Acc fromJson(JsonNode a, int fns) {
            Acc acc = new Acc(fns);
            acc.docs = a.get(0).longValue();
            for (int i = 0; i < fns; i++) {
                JsonNode f = a.get(i + 1);
                acc.n[i] = f.get(0).longValue();
                if (f.get(1).isNull()) acc.longOverflow[i] = true;
                else acc.longSum[i] = f.get(1).longValue();
                acc.sum[i] = f.get(2).doubleValue();
                if (!f.get(3).isNull()) {
                    acc.min[i] = f.get(3).doubleValue();
                    acc.max[i] = f.get(4).doubleValue();
                }
                if (f.size() > 6) {
                    acc.longMin[i] = f.get(5).longValue();
                    acc.longMax[i] = f.get(6).longValue();
                }
            }
            return acc;
        }
    }

    /**
     * One shard's (or, merged, the whole namespace's) aggregation state: per group (keyed by the
     * JSON text of its normalized values), the values and the totals; and the types of the
     * aggregated and grouped attributes, for rendering.
     */
    public static final class Partials {
        final List<String> fnTypes;
        final List<String> groupTypes;
        final Map<String, ArrayNode> groupValues = new LinkedHashMap<>();
        final Map<String, Acc> groups = new LinkedHashMap<>();

        Partials(List<String> fnTypes, List<String> groupTypes) {
            this.fnTypes = List.copyOf(fnTypes);
            this.groupTypes = List.copyOf(groupTypes);
        }

        static Partials of(Types t) {
            List<String> f = new ArrayList<>(), g = new ArrayList<>();
            for (AttributeType a : t.fns()) f.add(a == null ? "count" : a.apiName());
            for (AttributeType a : t.groups()) g.add(a.apiName());
            return new Partials(f, g);
        }

        /** Adds a document (its group values and aggregated values taken as {@code spec} and the types say). */
        void addDocument(Spec spec, Types types, Document d) {
            ArrayNode gv = JsonNodeFactory.instance.arrayNode();
            for (int i = 0; i < spec.groupBy().size(); i++) {
                String a = spec.groupBy().get(i);
                JsonNode v = RankBy.normalize(types.groups().get(i), a, d.attributes().get(a));
                if (v == null) gv.addNull();
                else gv.add(v);
            }
            String key = gv.toString();
            Acc acc = groups.get(key);
            if (acc == null) {
                acc = new Acc(fnTypes.size());
                groups.put(key, acc);
                groupValues.put(key, gv);
            }
            acc.docs++;
            int i = 0;
            for (Fn f : spec.fns().values()) {
                if (f.kind() != Kind.COUNT) {
                    JsonNode v = RankBy.normalize(types.fns().get(i), f.attribute(), d.attributes().get(f.attribute()));
                    if (v != null) acc.addValue(i, v);
                }
                i++;
            }
        }

        /** Adds another shard's totals into these. */
        public void add(Partials o) {
            for (Map.Entry<String, Acc> e : o.groups.entrySet()) {
                Acc mine = groups.get(e.getKey());
                if (mine == null) {
                    mine = new Acc(fnTypes.size());
                    groups.put(e.getKey(), mine);
                    groupValues.put(e.getKey(), o.groupValues.get(e.getKey()));
                }
                mine.add(e.getValue());
            }
        }

        public ObjectNode toJson() {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            ArrayNode ft = o.putArray("fn_types");
            fnTypes.forEach(ft::add);
            ArrayNode gt = o.putArray("group_types");
            groupTypes.forEach(gt::add);
            ArrayNode gs = o.putArray("groups");
            for (Map.Entry<String, Acc> e : groups.entrySet()) {
                ArrayNode g = gs.addArray();
                g.add(groupValues.get(e.getKey()));
                g.add(e.getValue().toJson());
            }
            return o;
        }

        public static Partials fromJson(JsonNode o) {
            List<String> f = new ArrayList<>(), g = new ArrayList<>();
            o.get("fn_types").forEach(n -> f.add(n.asText()));
            o.get("group_types").forEach(n -> g.add(n.asText()));
            Partials p = new Partials(f, g);
            for (JsonNode e : o.get("groups")) {
                ArrayNode values = (ArrayNode) e.get(0);
                String key = values.toString();
                p.groupValues.put(key, values);
                p.groups.put(key, Acc.fromJson(e.get(1), f.size()));
            }
            return p;
        }
    }

    /** A merged aggregation's answer: one object of results (ungrouped), or the groups (grouped), largest first, at most {@code topK}. */
    public record Result(ObjectNode aggregations, List<ObjectNode> groups) {}

    /** Renders the merged totals: avg from sum and count, datetime extremes as ISO-8601 text. */
    public static Result render(Spec spec, Partials p, int topK) {
        if (p == null) { // no shard answered totals (none to answer for): every function over nothing
            List<String> f = new ArrayList<>();
            for (Fn fn : spec.fns().values()) f.add(fn.kind() == Kind.COUNT ? "count" : "float");
            p = new Partials(f, java.util.Collections.nCopies(spec.groupBy().size(), "string"));
        }
        if (spec.groupBy().isEmpty()) {
            Acc acc = p.groups.getOrDefault("[]", new Acc(spec.fns().size()));
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            put(o, spec, p, acc);
            return new Result(o, null);
        }
        List<Map.Entry<String, Acc>> all = new ArrayList<>(p.groups.entrySet());
        all.sort((a, b) -> a.getValue().docs != b.getValue().docs ? Long.compare(b.getValue().docs, a.getValue().docs)
                : a.getKey().compareTo(b.getKey()));
        List<ObjectNode> out = new ArrayList<>();
        for (Map.Entry<String, Acc> e : all) {
            if (out.size() >= topK) break;
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            ArrayNode values = p.groupValues.get(e.getKey());
            for (int i = 0; i < spec.groupBy().size(); i++) {
                JsonNode v = values.get(i);
                if (v == null || v.isNull()) o.putNull(spec.groupBy().get(i));
                else if ("datetime".equals(p.groupTypes.get(i))) o.put(spec.groupBy().get(i), Instant.ofEpochMilli(v.longValue()).toString());
                else o.set(spec.groupBy().get(i), v);
            }
            put(o, spec, p, e.getValue());
            out.add(o);
        }
        return new Result(null, out);
    }

    private static void put(ObjectNode o, Spec spec, Partials p, Acc acc) {
        int i = 0;
        for (Map.Entry<String, Fn> e : spec.fns().entrySet()) {
            String name = e.getKey();
            String type = p.fnTypes.get(i);
            boolean integral = type.equals("int");
            switch (e.getValue().kind()) {
                case COUNT -> o.put(name, acc.docs);
                case SUM -> {
                    if (integral && !acc.longOverflow[i]) o.put(name, acc.longSum[i]);
                    else o.put(name, acc.sum[i]);
                }
                case AVG -> {
                    if (acc.n[i] == 0) o.putNull(name);
                    else o.put(name, (integral && !acc.longOverflow[i] ? (double) acc.longSum[i] : acc.sum[i]) / acc.n[i]);
                }
                case MIN, MAX -> {
                    double v = e.getValue().kind() == Kind.MIN ? acc.min[i] : acc.max[i];
                    if (acc.n[i] == 0) o.putNull(name);
                    else if (type.equals("datetime") || integral) {
                        long l = e.getValue().kind() == Kind.MIN ? acc.longMin[i] : acc.longMax[i];
                        if (type.equals("datetime")) o.put(name, Instant.ofEpochMilli(l).toString());
                        else o.put(name, l);
                    }
                    else o.put(name, v);
                }
            }
            i++;
        }
    }
}
