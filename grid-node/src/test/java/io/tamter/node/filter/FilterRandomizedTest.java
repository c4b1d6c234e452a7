package io.tamter.node.filter;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.node.schema.AttributeSpec;
import io.tamter.node.schema.AttributeType;
import io.tamter.node.schema.Schema;
import io.tamter.node.schema.Values;
import io.tamter.node.text.TextIndex;
import io.tamter.node.text.VidBitSet;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random documents and random filters: the bitset from Lucene must equal a brute-force evaluation
 * of the filter written independently from the package documentation's semantics.
 * Re-run a failure with {@code -Dtamter.seed=<printed seed>}.
 */
class FilterRandomizedTest {
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final Schema SCHEMA = Schema.fromJson(new ObjectMapper().createObjectNode()
            .<ObjectNode>set("s", F.objectNode().put("type", "string"))
            .<ObjectNode>set("i", F.objectNode().put("type", "int"))
            .<ObjectNode>set("f", F.objectNode().put("type", "float"))
            .<ObjectNode>set("b", F.objectNode().put("type", "bool"))
            .<ObjectNode>set("d", F.objectNode().put("type", "datetime"))
            .<ObjectNode>set("ss", F.objectNode().put("type", "[]string"))
            .<ObjectNode>set("ii", F.objectNode().put("type", "[]int"))
            .<ObjectNode>set("ff", F.objectNode().put("type", "[]float"))
            .<ObjectNode>set("bb", F.objectNode().put("type", "[]bool"))
            .set("dd", F.objectNode().put("type", "[]datetime")));
    static final List<String> ATTRS = List.of("s", "i", "f", "b", "d", "ss", "ii", "ff", "bb", "dd");
    static final String[] STRINGS = {"apple", "Apple", "apricot", "banana", "Banana", "cherry", "b*c", "a?c", "zeta", "\u00e9clair"};
    static final double[] FLOATS = {-1.5, -0.0, 0.0, 0.5, 1.0, 2.25, 7};
    static final String[] DATES = {"2024-01-01T00:00:00Z", "2024-06-01T12:00:00Z", "2025-01-01", "2025-01-01T00:00:00Z", "2026-03-04T05:06:07+02:00"};
    static final String[] GLOBS = {"a*", "*an*", "?pple", "[ab]*", "[!a]*", "*", "b\\*c", "A*", "*E*", "[a-c]?*", "\u00c9*"};

    @TempDir
    Path dir;

    @Test
    void bitsetEqualsBruteForceOnRandomDocsAndFilters() throws IOException {
        long seed = seed();
        Random r = new Random(seed);
        Map<Long, Map<String, JsonNode>> live = new HashMap<>();
        int n = 2000;
        try (TextIndex ix = TextIndex.open(dir, SCHEMA)) {
            for (long vid = 0; vid < n; vid++) {
                Map<String, JsonNode> doc = randomDoc(r);
                ix.upsert(vid, doc);
                live.put(vid, doc);
            }
            for (int k = 0; k < n / 10; k++) { // replace some, delete some
                long vid = r.nextInt(n);
                if (r.nextBoolean()) {
                    Map<String, JsonNode> doc = randomDoc(r);
                    ix.upsert(vid, doc);
                    live.put(vid, doc);
                } else {
                    ix.delete(vid);
                    live.remove(vid);
                }
            }
            ix.refresh();
            assertThat(ix.count()).isEqualTo(live.size());
            FilterParser parser = new FilterParser(SCHEMA);
            int nonTrivial = 0;
            for (int q = 0; q < 300; q++) {
                JsonNode filter = randomFilter(r, 3);
                VidBitSet got = ix.matchingVids(parser.parse(filter));
                long[] words = new long[(n + 63) / 64];
                long count = 0;
                for (Map.Entry<Long, Map<String, JsonNode>> e : live.entrySet()) {
                    if (eval(filter, e.getValue())) {
                        words[(int) (e.getKey() >>> 6)] |= 1L << e.getKey();
                        count++;
                    }
                }
                VidBitSet want = VidBitSet.of(words, n);
                assertThat(got).as("seed " + seed + ", filter " + filter).isEqualTo(want);
                assertThat(got.cardinality()).isEqualTo(count);
                if (count > 0 && count < live.size()) nonTrivial++;
            }
            assertThat(nonTrivial).as("the generator makes selective filters").isGreaterThan(75);
        }
    }

    static long seed() {
        String s = System.getProperty("tamter.seed");
        long seed = s != null ? Long.parseLong(s) : new Random().nextLong();
        System.out.println("FilterRandomizedTest: seed " + seed + " (re-run with -Dtamter.seed=" + seed + ")");
        return seed;
    }

    // ---------------------------------------------------------------- generators

    static JsonNode randomScalar(Random r, AttributeType t) {
        return switch (t) {
            case STRING -> F.textNode(STRINGS[r.nextInt(STRINGS.length)]);
            case INT -> F.numberNode(r.nextInt(11) - 5L);
            case FLOAT -> F.numberNode(FLOATS[r.nextInt(FLOATS.length)]);
            case BOOL -> F.booleanNode(r.nextBoolean());
            case DATETIME -> F.textNode(DATES[r.nextInt(DATES.length)]);
            default -> throw new IllegalStateException();
        };
    }

    static Map<String, JsonNode> randomDoc(Random r) {
        Map<String, JsonNode> doc = new LinkedHashMap<>();
        for (String a : ATTRS) {
            int p = r.nextInt(10);
            if (p < 2) continue; // absent
            if (p == 2) {
                doc.put(a, F.nullNode());
                continue;
            }
            AttributeType t = SCHEMA.get(a).type();
            if (t.isArray()) {
                ArrayNode arr = F.arrayNode();
                int len = r.nextInt(4);
                for (int k = 0; k < len; k++) arr.add(randomScalar(r, t.element()));
                doc.put(a, arr);
            } else {
                doc.put(a, randomScalar(r, t));
            }
        }
        return doc;
    }

    static JsonNode randomOperand(Random r, AttributeType e) {
        if (r.nextInt(12) == 0) return F.nullNode();
        if (e == AttributeType.INT && r.nextInt(5) == 0) return F.numberNode(r.nextInt(11) - 5 + 0.5);
        if (e == AttributeType.FLOAT && r.nextInt(5) == 0) return F.numberNode(r.nextInt(9) - 4L);
        if (e == AttributeType.DATETIME && r.nextInt(5) == 0) return F.numberNode(1735689600000L); // 2025-01-01 in ms
        return randomScalar(r, e);
    }

    static ArrayNode randomList(Random r, AttributeType e) {
        ArrayNode arr = F.arrayNode();
        int len = r.nextInt(4);
        for (int k = 0; k < len; k++) arr.add(randomOperand(r, e));
        return arr;
    }

    static ObjectNode randomCondition(Random r) {
        String a = ATTRS.get(r.nextInt(ATTRS.size()));
        AttributeType t = SCHEMA.get(a).type();
        AttributeType e = t.element();
        List<String> ops = new ArrayList<>(List.of("$eq", "$ne", "$in", "$nin", "$exists", "$not"));
        if (e != AttributeType.BOOL) ops.addAll(List.of("$gt", "$gte", "$lt", "$lte"));
        if (t.isArray()) ops.addAll(List.of("$contains", "$contains_any"));
        if (e == AttributeType.STRING) ops.addAll(List.of("$glob", "$iglob"));
        String op = ops.get(r.nextInt(ops.size()));
        JsonNode operand = switch (op) {
            case "$in", "$nin", "$contains_any" -> randomList(r, e);
            case "$exists" -> F.booleanNode(r.nextBoolean());
            case "$glob", "$iglob" -> F.textNode(GLOBS[r.nextInt(GLOBS.length)]);
            case "$not" -> F.objectNode().set(r.nextBoolean() && e != AttributeType.BOOL ? "$gte" : "$eq", randomScalar(r, e));
            default -> randomOperand(r, e);
        };
        ObjectNode o = F.objectNode();
        if (op.equals("$eq") && r.nextBoolean() && !operand.isNull()) {
            o.set(a, operand); // implicit $eq
        } else if (r.nextInt(10) == 0 && !op.equals("$not")) {
            return F.objectNode().put("field", a).put("operator", op.substring(1)).set("value", operand); // short form
        } else {
            o.set(a, F.objectNode().set(op, operand));
        }
        return o;
    }

    static JsonNode randomFilter(Random r, int depth) {
        int pick = depth == 0 ? 0 : r.nextInt(5);
        switch (pick) {
            case 0, 1 -> {
                ObjectNode o = randomCondition(r);
                if (r.nextInt(4) == 0 && !o.has("operator")) { // implicit AND of two attributes in one object
                    ObjectNode other = randomCondition(r);
                    if (!other.has("operator")) o.setAll(other);
                }
                return o;
            }
            case 2, 3 -> {
                ArrayNode arr = F.arrayNode();
                int len = 1 + r.nextInt(3);
                for (int k = 0; k < len; k++) arr.add(randomFilter(r, depth - 1));
                return F.objectNode().set(pick == 2 ? "$and" : "$or", arr);
            }
            default -> {
                return F.objectNode().set("$not", randomFilter(r, depth - 1));
            }
        }
    }

    // ---------------------------------------------------------------- reference semantics

    static boolean eval(JsonNode filter, Map<String, JsonNode> doc) {
        if (filter.size() == 3 && filter.has("field") && filter.has("operator") && filter.has("value"))
            return op(filter.get("field").textValue(), "$" + filter.get("operator").textValue(), filter.get("value"), doc);
        boolean all = true;
        for (var it = filter.fields(); it.hasNext(); ) {
            var e = it.next();
            boolean v = switch (e.getKey()) {
                case "$and" -> {
                    boolean x = true;
                    for (JsonNode c : e.getValue()) x &= eval(c, doc);
                    yield x;
                }
                case "$or" -> {
                    boolean x = false;
                    for (JsonNode c : e.getValue()) x |= eval(c, doc);
                    yield x;
                }
                case "$not" -> !eval(e.getValue(), doc);
                default -> attr(e.getKey(), e.getValue(), doc);
            };
            all &= v;
        }
        return all;
    }

    static boolean attr(String a, JsonNode v, Map<String, JsonNode> doc) {
        if (!v.isObject()) return op(a, "$eq", v, doc);
        boolean all = true;
        for (var it = v.fields(); it.hasNext(); ) {
            var e = it.next();
            all &= op(a, e.getKey(), e.getValue(), doc);
        }
        return all;
    }

    static boolean op(String a, String op, JsonNode v, Map<String, JsonNode> doc) {
        JsonNode value = doc.get(a);
        boolean present = value != null && !value.isNull();
        List<JsonNode> elems = Values.elements(value);
        AttributeSpec spec = SCHEMA.get(a);
        AttributeType e = spec.type().element();
        return switch (op) {
            case "$eq" -> v.isNull() ? !present : any(elems, x -> cmp(e, x, v) == 0);
            case "$ne" -> !op(a, "$eq", v, doc);
            case "$gt" -> !v.isNull() && any(elems, x -> cmp(e, x, v) > 0);
            case "$gte" -> !v.isNull() && any(elems, x -> cmp(e, x, v) >= 0);
            case "$lt" -> !v.isNull() && any(elems, x -> cmp(e, x, v) < 0);
            case "$lte" -> !v.isNull() && any(elems, x -> cmp(e, x, v) <= 0);
            case "$in" -> {
                boolean hit = false;
                for (JsonNode c : v) hit |= c.isNull() ? !present : any(elems, x -> cmp(e, x, c) == 0);
                yield hit;
            }
            case "$nin" -> !op(a, "$in", v, doc);
            case "$exists" -> present == v.booleanValue();
            case "$contains" -> !v.isNull() && any(elems, x -> cmp(e, x, v) == 0);
            case "$contains_any" -> {
                boolean hit = false;
                for (JsonNode c : v) hit |= !c.isNull() && any(elems, x -> cmp(e, x, c) == 0);
                yield hit;
            }
            case "$glob", "$iglob" -> {
                Pattern p = globRegex(v.textValue(), op.equals("$iglob"));
                yield any(elems, x -> p.matcher(x.textValue()).matches());
            }
            case "$not" -> !attr(a, v, doc);
            default -> throw new IllegalStateException(op);
        };
    }

    static boolean any(List<JsonNode> elems, Predicate<JsonNode> test) {
        for (JsonNode x : elems) if (test.test(x)) return true;
        return false;
    }

    /** Sign of (stored element − operand); bools compare only for equality (0 or 1). */
    static int cmp(AttributeType t, JsonNode x, JsonNode v) {
        return switch (t) {
            case STRING -> Integer.signum(x.textValue().compareTo(v.textValue()));
            case BOOL -> x.booleanValue() == v.booleanValue() ? 0 : 1;
            case INT, FLOAT -> {
                double a = x.doubleValue(), b = v.doubleValue();
                yield a < b ? -1 : a > b ? 1 : 0;
            }
            case DATETIME -> Long.signum(millis(x) - millis(v));
            default -> throw new IllegalStateException();
        };
    }

    static long millis(JsonNode v) {
        return v.isNumber() ? v.longValue() : Values.parseDatetime(v.textValue());
    }

    static Pattern globRegex(String glob, boolean ci) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> sb.append(".*");
                case '?' -> sb.append('.');
                case '\\' -> sb.append(Pattern.quote(String.valueOf(glob.charAt(++i))));
                case '[' -> {
                    int j = glob.indexOf(']', i + 2);
                    String body = glob.substring(i + 1, j);
                    if (body.startsWith("!")) body = "^" + body.substring(1);
                    sb.append('[').append(body).append(']');
                    i = j;
                }
                default -> sb.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(sb.toString(), Pattern.DOTALL | (ci ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0));
    }
}
