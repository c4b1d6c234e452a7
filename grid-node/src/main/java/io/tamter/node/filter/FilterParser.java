package io.tamter.node.filter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.tamter.node.schema.AttributeSpec;
import io.tamter.node.schema.AttributeType;
import io.tamter.node.schema.Schema;
import io.tamter.node.schema.Values;
import io.tamter.node.text.IndexFields;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.AutomatonQuery;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.ConstantScoreQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TermRangeQuery;
import org.apache.lucene.util.BytesRef;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Parses API.md's filter language into a Lucene query over a shard's {@link io.tamter.node.text.TextIndex}.
 * See the package documentation for the grammar and the semantics of missing attributes and arrays.
 * A parser is bound to one schema and is immutable and thread-safe.
 */
public final class FilterParser {
    /** Operators allowed on an attribute, in API.md's order. */
    public static final List<String> FIELD_OPERATORS = List.of("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin",
            "$exists", "$contains", "$contains_any", "$glob", "$iglob", "$not");
    /** Operators combining filters. */
    public static final List<String> LOGICAL_OPERATORS = List.of("$and", "$or", "$not");
    private static final String REF_NEW = "$ref_new";

    private final Schema schema;

    public FilterParser(Schema schema) {
        this.schema = schema;
    }

    /** Parses a filter found at JSON path {@code filter}; null or {@code {}} matches every document. */
    public Query parse(JsonNode filter) {
        return parse(filter, "filter", null);
    }

    /**
     * Parses a filter or condition.
     *
     * @param path   JSON path of {@code filter} in the request, used in error messages
     * @param refNew resolves {@code {"$ref_new":"attr"}} to the incoming row's value of attr (a
     *               missing value as null); null where {@code $ref_new} is not allowed (filters)
     */
    public Query parse(JsonNode filter, String path, Function<String, JsonNode> refNew) {
        if (filter == null || filter.isNull() || filter.isMissingNode()) return new MatchAllDocsQuery();
        if (depth(filter, 0) > MAX_DEPTH)
            throw new FilterException("filter_too_deep", path, "a filter nests deeper than " + MAX_DEPTH
                    + " levels (450 nested $not took 16 s to evaluate: a filter that deep is a mistake or an attack)");
        return new Run(refNew).filter(filter, path);
    }

    /** Deepest JSON nesting a filter may have ($and/$or/$not of attribute conditions). */
    public static final int MAX_DEPTH = 64;

    private static int depth(JsonNode n, int d) {
        if (d > MAX_DEPTH) return d; // deep enough to refuse; do not walk further
        int max = d;
        if (n.isContainerNode()) for (JsonNode c : n) max = Math.max(max, depth(c, d + 1));
        return max;
    }

    private final class Run {
        private final Function<String, JsonNode> refNew;

        Run(Function<String, JsonNode> refNew) {
            this.refNew = refNew;
        }

        Query filter(JsonNode node, String path) {
            if (!node.isObject()) throw new FilterException("invalid_filter", path, "a filter is a JSON object, got " + node);
            if (isShortForm(node)) return shortForm(node, path);
            List<Query> and = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String key = e.getKey();
                String p = path + "." + key;
                JsonNode v = e.getValue();
                if (key.startsWith("$")) {
                    switch (key) {
                        case "$and" -> and.add(and(list(v, p), p));
                        case "$or" -> and.add(or(list(v, p), p));
                        case "$not" -> and.add(not(filter(v, p)));
                        default -> throw new FilterException("unknown_operator", p, "unknown operator '" + key
                                + "'; at the top level of a filter: $and, $or, $not or an attribute name");
                    }
                } else {
                    and.add(attribute(key, v, p));
                }
            }
            return all(and);
        }

        private boolean isShortForm(JsonNode n) {
            if (n.size() != 3 || !n.has("field") || !n.has("operator") || !n.has("value")) return false;
            return n.get("field").isTextual() && n.get("operator").isTextual() && schema.get("field") == null;
        }

        private Query shortForm(JsonNode n, String path) {
            String field = n.get("field").textValue();
            String op = n.get("operator").textValue();
            if (!op.startsWith("$")) op = "$" + op;
            if (op.equals("$not")) throw new FilterException("unknown_operator", path + ".operator", "'not' needs a filter object, use the object form");
            AttributeSpec spec = spec(field, path + ".field");
            return operator(spec, op, n.get("value"), path + ".value", path + ".operator");
        }

        private List<JsonNode> list(JsonNode v, String p) {
            if (!v.isArray()) throw new FilterException("invalid_filter", p, "needs an array of filters, got " + v);
            List<JsonNode> out = new ArrayList<>();
            v.forEach(out::add);
            return out;
        }

        private Query and(List<JsonNode> filters, String p) {
            List<Query> qs = new ArrayList<>();
            for (int i = 0; i < filters.size(); i++) qs.add(filter(filters.get(i), p + "[" + i + "]"));
            return all(qs);
        }

        private Query or(List<JsonNode> filters, String p) {
            if (filters.isEmpty()) return new MatchNoDocsQuery("empty $or");
            BooleanQuery.Builder b = new BooleanQuery.Builder();
            for (int i = 0; i < filters.size(); i++) b.add(filter(filters.get(i), p + "[" + i + "]"), BooleanClause.Occur.SHOULD);
            return new ConstantScoreQuery(b.build());
        }

        private AttributeSpec spec(String name, String path) {
            AttributeSpec spec = schema.get(name);
            if (spec == null) throw new FilterException("unknown_attribute", path, "unknown attribute '" + name + "'");
            if (!spec.filterable())
                throw new FilterException("not_filterable", path, "attribute '" + name + "' is not filterable (set \"filterable\": true in the schema)");
            return spec;
        }

        /** {@code "attr": value} (implicit $eq) or {@code "attr": {"$op": value, …}} (all must hold). */
        private Query attribute(String name, JsonNode v, String path) {
            AttributeSpec spec = spec(name, path);
            if (v.isObject() && !isRef(v)) {
                if (v.isEmpty()) throw new FilterException("invalid_filter", path, "empty operator object for attribute '" + name + "'");
                List<Query> and = new ArrayList<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String p = path + "." + e.getKey();
                    and.add(operator(spec, e.getKey(), e.getValue(), p, p));
                }
                return all(and);
            }
            return operator(spec, "$eq", v, path, path);
        }

        private Query operator(AttributeSpec spec, String op, JsonNode rawValue, String valuePath, String opPath) {
            String name = spec.name();
            AttributeType t = spec.type();
            if (op.equals("$not")) {
                if (!rawValue.isObject() || isRef(rawValue) || rawValue.isEmpty())
                    throw new FilterException("invalid_filter", valuePath, "$not on an attribute needs an object of operators, e.g. {\"$not\":{\"$gt\":5}}");
                return not(attribute(name, rawValue, valuePath));
            }
            if (!FIELD_OPERATORS.contains(op))
                throw new FilterException("unknown_operator", opPath, "unknown operator '" + op + "' for attribute '" + name
                        + "'; known: " + String.join(" ", FIELD_OPERATORS));
            JsonNode v = resolve(rawValue, valuePath);
            return switch (op) {
                case "$eq" -> v.isNull() ? missing(name) : eq(spec, scalar(spec, v, valuePath, op), valuePath);
                case "$ne" -> v.isNull() ? present(name) : not(eq(spec, scalar(spec, v, valuePath, op), valuePath));
                case "$gt", "$gte", "$lt", "$lte" -> range(spec, op, v, valuePath);
                case "$in" -> in(spec, v, valuePath, op);
                case "$nin" -> not(in(spec, v, valuePath, op));
                case "$exists" -> {
                    if (!v.isBoolean()) throw new FilterException("type_mismatch", valuePath, "$exists takes true or false, got " + v);
                    yield v.booleanValue() ? present(name) : missing(name);
                }
                case "$contains" -> {
                    requireArray(spec, op, opPath);
                    yield v.isNull() ? new MatchNoDocsQuery() : eq(spec, scalar(spec, v, valuePath, op), valuePath);
                }
                case "$contains_any" -> {
                    requireArray(spec, op, opPath);
                    yield in(spec, v, valuePath, op);
                }
                case "$glob", "$iglob" -> {
                    if (t.element() != AttributeType.STRING)
                        throw new FilterException("type_mismatch", opPath, op + " needs a string attribute; '" + name + "' is " + t);
                    if (!v.isTextual()) throw new FilterException("type_mismatch", valuePath, op + " takes a glob string, got " + v);
                    try {
                        yield new AutomatonQuery(new Term(IndexFields.filter(name), v.textValue()),
                                Globs.compile(v.textValue(), op.equals("$iglob")));
                    } catch (IllegalArgumentException e) {
                        throw new FilterException("invalid_filter", valuePath, "invalid glob " + v + ": " + e.getMessage());
                    }
                }
                default -> throw new IllegalStateException(op);
            };
        }

        private void requireArray(AttributeSpec spec, String op, String opPath) {
            if (!spec.type().isArray())
                throw new FilterException("type_mismatch", opPath, op + " needs an array attribute; '" + spec.name() + "' is "
                        + spec.type() + " (use $eq / $in)");
        }

        private boolean isRef(JsonNode v) {
            return v.isObject() && v.size() == 1 && v.has(REF_NEW);
        }

        private JsonNode resolve(JsonNode v, String path) {
            if (!isRef(v)) return v;
            if (refNew == null) throw new FilterException("invalid_filter", path, "$ref_new is only allowed in conditions of conditional writes");
            JsonNode ref = v.get(REF_NEW);
            if (!ref.isTextual()) throw new FilterException("invalid_filter", path, "$ref_new takes an attribute name, got " + ref);
            JsonNode r = refNew.apply(ref.textValue());
            return r == null || r.isMissingNode() ? NullNode.getInstance() : r;
        }

        /** A single element value for comparison (an array is not one). */
        private JsonNode scalar(AttributeSpec spec, JsonNode v, String path, String op) {
            if (v.isArray())
                throw new FilterException("type_mismatch", path, op + " compares with one value, got an array"
                        + (spec.type().isArray() ? "; array attributes match element-wise: use $contains_any" : "; use $in"));
            if (v.isObject()) throw new FilterException("type_mismatch", path, "expected a value for attribute '" + spec.name() + "', got an object " + v);
            return v;
        }

        // ---------------- queries on the element values of one attribute

        private Query eq(AttributeSpec spec, JsonNode v, String path) {
            String f = IndexFields.filter(spec.name());
            AttributeType e = spec.type().element();
            return switch (e) {
                case STRING -> new TermQuery(new Term(f, string(spec, v, path)));
                case BOOL -> new TermQuery(new Term(f, bool(spec, v, path) ? IndexFields.TRUE : IndexFields.FALSE));
                case DATETIME -> LongPoint.newExactQuery(f, datetime(spec, v, path));
                case FLOAT -> DoublePoint.newExactQuery(f, IndexFields.normalize(number(spec, v, path)));
                case INT -> {
                    double d = number(spec, v, path);
                    if (v.isIntegralNumber() && v.canConvertToLong()) yield LongPoint.newExactQuery(f, v.longValue());
                    yield d == Math.rint(d) && Math.abs(d) < 0x1p63 ? LongPoint.newExactQuery(f, (long) d) : new MatchNoDocsQuery();
                }
                default -> throw new IllegalStateException(e.apiName());
            };
        }

        private Query in(AttributeSpec spec, JsonNode v, String path, String op) {
            if (!v.isArray()) throw new FilterException("type_mismatch", path, op + " takes an array of values, got " + v);
            String f = IndexFields.filter(spec.name());
            AttributeType e = spec.type().element();
            boolean withNull = false;
            List<Query> others = new ArrayList<>();
            Set<BytesRef> terms = new LinkedHashSet<>();
            List<Long> longs = new ArrayList<>();
            List<Double> doubles = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                JsonNode x = v.get(i);
                String p = path + "[" + i + "]";
                if (x.isNull()) {
                    withNull = true;
                    continue;
                }
                scalar(spec, x, p, op);
                switch (e) {
                    case STRING -> terms.add(new BytesRef(string(spec, x, p)));
                    case BOOL -> terms.add(new BytesRef(bool(spec, x, p) ? IndexFields.TRUE : IndexFields.FALSE));
                    case DATETIME -> longs.add(datetime(spec, x, p));
                    case FLOAT -> doubles.add(IndexFields.normalize(number(spec, x, p)));
                    case INT -> {
                        number(spec, x, p);
                        if (x.isIntegralNumber() && x.canConvertToLong()) longs.add(x.longValue());
                        else others.add(eq(spec, x, p));
                    }
                    default -> throw new IllegalStateException(e.apiName());
                }
            }
            if (!terms.isEmpty()) others.add(new TermInSetQuery(f, terms));
            if (!longs.isEmpty()) others.add(LongPoint.newSetQuery(f, longs));
            if (!doubles.isEmpty()) others.add(DoublePoint.newSetQuery(f, doubles));
            if (withNull && !op.equals("$contains_any")) others.add(missing(spec.name()));
            return any(others);
        }

        private Query range(AttributeSpec spec, String op, JsonNode v, String path) {
            String name = spec.name();
            String f = IndexFields.filter(name);
            AttributeType e = spec.type().element();
            if (e == AttributeType.BOOL) throw new FilterException("type_mismatch", path, op + " does not apply to bool attribute '" + name + "'");
            if (v.isNull()) return new MatchNoDocsQuery("range with null");
            scalar(spec, v, path, op);
            boolean lower = op.startsWith("$gt"), inclusive = op.endsWith("e");
            switch (e) {
                case STRING -> {
                    String s = string(spec, v, path);
                    return lower ? TermRangeQuery.newStringRange(f, s, null, inclusive, true)
                            : TermRangeQuery.newStringRange(f, null, s, true, inclusive);
                }
                case FLOAT -> {
                    double d = IndexFields.normalize(number(spec, v, path));
                    if (lower) return DoublePoint.newRangeQuery(f, inclusive ? d : DoublePoint.nextUp(d), Double.POSITIVE_INFINITY);
                    return DoublePoint.newRangeQuery(f, Double.NEGATIVE_INFINITY, inclusive ? d : DoublePoint.nextDown(d));
                }
                case DATETIME -> {
                    return longRange(f, datetime(spec, v, path), lower, inclusive);
                }
                case INT -> {
                    double d = number(spec, v, path);
                    if (v.isIntegralNumber() && v.canConvertToLong()) return longRange(f, v.longValue(), lower, inclusive);
                    // a fraction: x > 5.5 <=> x >= 6 and x < 5.5 <=> x <= 5, for integers x
                    if (d != Math.rint(d)) return lower ? longBound(f, Math.ceil(d), true) : longBound(f, Math.floor(d), false);
                    return lower ? (inclusive ? longBound(f, d, true) : longBound(f, d + 1, true))
                            : (inclusive ? longBound(f, d, false) : longBound(f, d - 1, false));
                }
                default -> throw new IllegalStateException(e.apiName());
            }
        }

        private Query longRange(String f, long x, boolean lower, boolean inclusive) {
            if (lower) {
                if (!inclusive && x == Long.MAX_VALUE) return new MatchNoDocsQuery();
                return LongPoint.newRangeQuery(f, inclusive ? x : x + 1, Long.MAX_VALUE);
            }
            if (!inclusive && x == Long.MIN_VALUE) return new MatchNoDocsQuery();
            return LongPoint.newRangeQuery(f, Long.MIN_VALUE, inclusive ? x : x - 1);
        }

        /** x >= d (lower) or x <= d for an integral double d, which may lie outside the long range. */
        private Query longBound(String f, double d, boolean lower) {
            if (lower) return d > 0x1p63 - 1 ? new MatchNoDocsQuery() : LongPoint.newRangeQuery(f, d < -0x1p63 ? Long.MIN_VALUE : (long) d, Long.MAX_VALUE);
            return d < -0x1p63 ? new MatchNoDocsQuery() : LongPoint.newRangeQuery(f, Long.MIN_VALUE, d >= 0x1p63 ? Long.MAX_VALUE : (long) d);
        }

        // ---------------- value checks (400 naming attribute and path)

        private String string(AttributeSpec spec, JsonNode v, String path) {
            if (!v.isTextual()) throw mismatch(spec, v, path);
            return v.textValue();
        }

        private boolean bool(AttributeSpec spec, JsonNode v, String path) {
            if (!v.isBoolean()) throw mismatch(spec, v, path);
            return v.booleanValue();
        }

        private double number(AttributeSpec spec, JsonNode v, String path) {
            if (!v.isNumber() || !Double.isFinite(v.doubleValue())) throw mismatch(spec, v, path);
            return v.doubleValue();
        }

        private long datetime(AttributeSpec spec, JsonNode v, String path) {
            if (v.isIntegralNumber() && v.canConvertToLong()) return v.longValue();
            if (v.isTextual()) {
                Long ms = Values.parseDatetime(v.textValue());
                if (ms != null) return ms;
            }
            throw mismatch(spec, v, path);
        }

        private FilterException mismatch(AttributeSpec spec, JsonNode v, String path) {
            String want = switch (spec.type().element()) {
                case STRING -> "a string";
                case BOOL -> "true or false";
                case INT, FLOAT -> "a number";
                case DATETIME -> "an ISO-8601 datetime string or epoch milliseconds";
                default -> spec.type().element().apiName();
            };
            return new FilterException("type_mismatch", path, "attribute '" + spec.name() + "' is " + spec.type()
                    + ", expected " + want + ", got " + v);
        }
    }

    // ---------------- combinators

    static Query present(String attribute) {
        return new TermQuery(new Term(IndexFields.HAS, attribute));
    }

    static Query missing(String attribute) {
        return not(present(attribute));
    }

    /** Every live document not matching {@code q} (including those missing the attribute). */
    static Query not(Query q) {
        if (q instanceof MatchNoDocsQuery) return new MatchAllDocsQuery();
        if (q instanceof MatchAllDocsQuery) return new MatchNoDocsQuery("not all");
        return new BooleanQuery.Builder().add(new MatchAllDocsQuery(), BooleanClause.Occur.FILTER)
                .add(q, BooleanClause.Occur.MUST_NOT).build();
    }

    static Query all(List<Query> qs) {
        List<Query> kept = new ArrayList<>();
        for (Query q : qs) {
            if (q instanceof MatchNoDocsQuery) return q;
            if (!(q instanceof MatchAllDocsQuery)) kept.add(q);
        }
        if (kept.isEmpty()) return new MatchAllDocsQuery();
        if (kept.size() == 1) return kept.get(0);
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        for (Query q : kept) b.add(q, BooleanClause.Occur.FILTER);
        return new ConstantScoreQuery(b.build());
    }

    static Query any(List<Query> qs) {
        if (qs.isEmpty()) return new MatchNoDocsQuery("empty set");
        if (qs.size() == 1) return qs.get(0);
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        for (Query q : qs) b.add(q, BooleanClause.Occur.SHOULD);
        return new ConstantScoreQuery(b.build());
    }
}
