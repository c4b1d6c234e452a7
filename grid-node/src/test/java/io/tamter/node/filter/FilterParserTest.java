package io.tamter.node.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tamter.node.schema.Schema;
import io.tamter.node.text.TextIndex;
import io.tamter.node.text.VidBitSet;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every operator on every type against a small hand-made index, including arrays and missing attributes. */
class FilterParserTest {
    static final ObjectMapper M = new ObjectMapper();
    static final Schema SCHEMA = Schema.fromJson(json("{'s':{'type':'string'},'i':{'type':'int'},'f':{'type':'float'},"
            + "'b':{'type':'bool'},'d':{'type':'datetime'},'ss':{'type':'[]string'},'ii':{'type':'[]int'},"
            + "'ff':{'type':'[]float'},'bb':{'type':'[]bool'},'dd':{'type':'[]datetime'},"
            + "'body':{'type':'string','full_text_search':true}}"));

    @TempDir
    static Path dir;
    static TextIndex index;
    static FilterParser parser = new FilterParser(SCHEMA);

    static JsonNode json(String s) {
        try {
            return M.readTree(s.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    static Map<String, JsonNode> row(String s) {
        Map<String, JsonNode> m = new LinkedHashMap<>();
        json(s).fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue()));
        return m;
    }

    @BeforeAll
    static void build() throws IOException {
        index = TextIndex.open(dir, SCHEMA);
        index.upsert(1, row("{'s':'apple','i':5,'f':1.5,'b':true,'d':'2025-01-01T00:00:00Z','ss':['red','green'],'ii':[1,2],"
                + "'ff':[0.5],'bb':[true],'dd':['2025-01-01'],'body':'x'}"));
        index.upsert(2, row("{'s':'Banana','i':-3,'f':-0.0,'b':false,'d':'2024-06-01T12:00:00Z','ss':['blue'],'ii':[3],"
                + "'ff':[2.5,3.5],'bb':[false],'dd':['2024-01-01','2026-01-01']}"));
        index.upsert(3, row("{'s':'apricot','i':10,'f':10.0,'ss':[],'ii':[]}"));
        index.upsert(4, row("{'text':'only text'}"));
        index.upsert(5, row("{'s':null,'i':0,'f':0.0,'b':true,'ss':['red']}"));
        index.refresh();
    }

    @AfterAll
    static void close() throws IOException {
        index.close();
    }

    static Set<Long> run(String filter) {
        return run(parser, json(filter));
    }

    static Set<Long> run(FilterParser p, JsonNode filter) {
        return vids(p.parse(filter));
    }

    static Set<Long> vids(org.apache.lucene.search.Query q) {
        try {
            VidBitSet bits = index.matchingVids(q);
            Set<Long> out = new TreeSet<>();
            for (long v = 0; v < bits.limitBits(); v++) if (bits.get(v)) out.add(v);
            assertThat((long) out.size()).isEqualTo(bits.cardinality());
            return out;
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    static void expect(String filter, Long... vids) {
        assertThat(run(filter)).as(filter).containsExactlyInAnyOrder(vids);
    }

    @Test
    void strings() {
        expect("{'s':'apple'}", 1L);
        expect("{'s':{'$eq':'apple'}}", 1L);
        expect("{'s':{'$eq':null}}", 4L, 5L);
        expect("{'s':null}", 4L, 5L);
        expect("{'s':{'$ne':'apple'}}", 2L, 3L, 4L, 5L);
        expect("{'s':{'$ne':null}}", 1L, 2L, 3L);
        expect("{'s':{'$gt':'apple'}}", 3L);
        expect("{'s':{'$gte':'apple'}}", 1L, 3L);
        expect("{'s':{'$lt':'b'}}", 1L, 2L, 3L);
        expect("{'s':{'$lte':'Banana'}}", 2L);
        expect("{'s':{'$gt':'a','$lt':'apq'}}", 1L);
        expect("{'s':{'$in':['apple','Banana','x']}}", 1L, 2L);
        expect("{'s':{'$in':[]}}");
        expect("{'s':{'$nin':['apple']}}", 2L, 3L, 4L, 5L);
        expect("{'s':{'$nin':[]}}", 1L, 2L, 3L, 4L, 5L);
        expect("{'s':{'$in':[null,'apple']}}", 1L, 4L, 5L);
        expect("{'s':{'$nin':[null,'apple']}}", 2L, 3L);
        expect("{'s':{'$exists':true}}", 1L, 2L, 3L);
        expect("{'s':{'$exists':false}}", 4L, 5L);
        expect("{'s':{'$glob':'ap*'}}", 1L, 3L);
        expect("{'s':{'$glob':'a?ple'}}", 1L);
        expect("{'s':{'$glob':'[ab]*'}}", 1L, 3L);
        expect("{'s':{'$glob':'[!a]*'}}", 2L);
        expect("{'s':{'$glob':'*an*'}}", 2L);
        expect("{'s':{'$glob':'APPLE'}}");
        expect("{'s':{'$iglob':'APPLE'}}", 1L);
        expect("{'s':{'$iglob':'[ab]*'}}", 1L, 2L, 3L);
        expect("{'s':{'$iglob':'[!A]*'}}", 2L);
        expect("{'s':{'$iglob':'b?N*'}}", 2L);
    }

    @Test
    void ints() {
        expect("{'i':5}", 1L);
        expect("{'i':5.0}", 1L);
        expect("{'i':5.5}");
        expect("{'i':{'$gt':0}}", 1L, 3L);
        expect("{'i':{'$gte':0}}", 1L, 3L, 5L);
        expect("{'i':{'$lt':0}}", 2L);
        expect("{'i':{'$lte':5}}", 1L, 2L, 5L);
        expect("{'i':{'$gt':4.5}}", 1L, 3L);
        expect("{'i':{'$gte':4.5}}", 1L, 3L);
        expect("{'i':{'$lt':-2.5}}", 2L);
        expect("{'i':{'$lte':-3.5}}");
        expect("{'i':{'$gt':9223372036854775807}}");
        expect("{'i':{'$lt':-1e300}}");
        expect("{'i':{'$gt':-1e300}}", 1L, 2L, 3L, 5L);
        expect("{'i':{'$ne':5}}", 2L, 3L, 4L, 5L);
        expect("{'i':{'$in':[5,10,10.5]}}", 1L, 3L);
        expect("{'i':{'$nin':[5,10]}}", 2L, 4L, 5L);
        expect("{'i':{'$exists':false}}", 4L);
    }

    @Test
    void floats() {
        expect("{'f':0}", 2L, 5L);
        expect("{'f':-0.0}", 2L, 5L);
        expect("{'f':{'$gt':0}}", 1L, 3L);
        expect("{'f':{'$lt':0}}");
        expect("{'f':{'$lte':0}}", 2L, 5L);
        expect("{'f':{'$gte':1.5}}", 1L, 3L);
        expect("{'f':{'$gt':1.5}}", 3L);
        expect("{'f':10}", 3L);
        expect("{'f':{'$in':[1.5,0]}}", 1L, 2L, 5L);
        expect("{'f':{'$nin':[1.5,0]}}", 3L, 4L);
        expect("{'f':{'$ne':1.5}}", 2L, 3L, 4L, 5L);
    }

    @Test
    void bools() {
        expect("{'b':true}", 1L, 5L);
        expect("{'b':false}", 2L);
        expect("{'b':{'$ne':true}}", 2L, 3L, 4L);
        expect("{'b':{'$in':[false]}}", 2L);
        expect("{'b':{'$nin':[false]}}", 1L, 3L, 4L, 5L);
        expect("{'b':{'$exists':true}}", 1L, 2L, 5L);
    }

    @Test
    void datetimes() {
        expect("{'d':'2025-01-01T00:00:00Z'}", 1L);
        expect("{'d':'2025-01-01T01:00:00+01:00'}", 1L);
        expect("{'d':{'$gt':'2024-12-31'}}", 1L);
        expect("{'d':{'$lt':'2025-01-01T00:00:00Z'}}", 2L);
        expect("{'d':{'$lte':'2025-01-01T00:00:00Z'}}", 1L, 2L);
        expect("{'d':{'$gte':0}}", 1L, 2L);
        expect("{'d':{'$in':['2024-06-01T12:00:00Z']}}", 2L);
        expect("{'d':{'$ne':'2024-06-01T12:00:00Z'}}", 1L, 3L, 4L, 5L);
        expect("{'d':{'$exists':false}}", 3L, 4L, 5L);
    }

    @Test
    void arraysMatchElementWise() {
        expect("{'ss':{'$contains':'red'}}", 1L, 5L);
        expect("{'ss':'red'}", 1L, 5L);
        expect("{'ss':{'$in':['red']}}", 1L, 5L);
        expect("{'ss':{'$contains_any':['blue','green']}}", 1L, 2L);
        expect("{'ss':{'$contains_any':[]}}");
        expect("{'ss':{'$exists':true}}", 1L, 2L, 3L, 5L);
        expect("{'ss':{'$ne':'red'}}", 2L, 3L, 4L);
        expect("{'ss':{'$nin':['red','blue']}}", 3L, 4L);
        expect("{'ss':{'$glob':'gr*'}}", 1L);
        expect("{'ss':{'$iglob':'BL*'}}", 2L);
        expect("{'ss':{'$gt':'g'}}", 1L, 5L);
        expect("{'ii':{'$contains':2}}", 1L);
        expect("{'ii':{'$gt':2}}", 2L);
        expect("{'ii':{'$contains_any':[1,3]}}", 1L, 2L);
        expect("{'ii':{'$lt':1}}");
        expect("{'ii':{'$exists':true}}", 1L, 2L, 3L);
        expect("{'ff':{'$contains':3.5}}", 2L);
        expect("{'ff':{'$gte':3}}", 2L);
        expect("{'ff':{'$lt':1}}", 1L);
        expect("{'bb':{'$contains':false}}", 2L);
        expect("{'bb':{'$ne':false}}", 1L, 3L, 4L, 5L);
        expect("{'dd':{'$contains':'2026-01-01'}}", 2L);
        expect("{'dd':{'$gt':'2025-06-01'}}", 2L);
        expect("{'dd':{'$lt':'2024-06-01'}}", 2L);
    }

    @Test
    void logicalOperators() {
        expect("{}", 1L, 2L, 3L, 4L, 5L);
        expect("{'s':'apple','b':true}", 1L);
        expect("{'$or':[{'s':'apple'},{'i':-3}]}", 1L, 2L);
        expect("{'$or':[]}");
        expect("{'$and':[]}", 1L, 2L, 3L, 4L, 5L);
        expect("{'$and':[{'b':true},{'i':{'$gt':1}}]}", 1L);
        expect("{'$not':{'b':true}}", 2L, 3L, 4L);
        expect("{'i':{'$not':{'$gt':0}}}", 2L, 4L, 5L);
        expect("{'$not':{'$or':[{'s':'apple'},{'ss':{'$contains':'red'}}]}}", 2L, 3L, 4L);
        expect("{'$or':[{'$and':[{'b':true},{'f':0}]},{'$not':{'i':{'$exists':true}}}]}", 4L, 5L);
        expect("{'$not':{}}");
    }

    @Test
    void shortFormAndRefNew() {
        expect("{'field':'i','operator':'gt','value':4}", 1L, 3L);
        expect("{'field':'i','operator':'$in','value':[5]}", 1L);
        expect("{'field':'s','operator':'eq','value':null}", 4L, 5L);
        JsonNode cond = json("{'i':{'$lt':{'$ref_new':'i'}}}");
        Map<String, JsonNode> incoming = Map.of("i", json("5"));
        assertThat(vids(parser.parse(cond, "condition", incoming::get))).containsExactlyInAnyOrder(2L, 5L);
        assertThat(vids(parser.parse(json("{'i':{'$eq':{'$ref_new':'zzz'}}}"), "condition", incoming::get)))
                .as("a missing incoming value compares as null").containsExactly(4L);
        assertThatThrownBy(() -> parser.parse(cond)).isInstanceOfSatisfying(FilterException.class,
                e -> assertThat(e.path()).isEqualTo("filter.i.$lt")).hasMessageContaining("$ref_new");
    }

    @Test
    void errorsNameTheOffendingPath() {
        error("{'s':{'$regex':'x'}}", "unknown_operator", "filter.s.$regex", "$regex");
        error("{'$nor':[{'s':'a'}]}", "unknown_operator", "filter.$nor", "$nor");
        error("{'zzz':1}", "unknown_attribute", "filter.zzz", "zzz");
        error("{'body':'x'}", "not_filterable", "filter.body", "body");
        error("{'i':'five'}", "type_mismatch", "filter.i", "int");
        error("{'i':{'$gt':'x'}}", "type_mismatch", "filter.i.$gt", "int");
        error("{'f':{'$in':[1,'x']}}", "type_mismatch", "filter.f.$in[1]", "float");
        error("{'b':{'$gt':true}}", "type_mismatch", "filter.b.$gt", "bool");
        error("{'b':1}", "type_mismatch", "filter.b", "bool");
        error("{'s':{'$contains':'a'}}", "type_mismatch", "filter.s.$contains", "array attribute");
        error("{'s':{'$contains_any':['a']}}", "type_mismatch", "filter.s.$contains_any", "array attribute");
        error("{'ss':{'$contains_any':'a'}}", "type_mismatch", "filter.ss.$contains_any", "array");
        error("{'s':{'$in':'apple'}}", "type_mismatch", "filter.s.$in", "array");
        error("{'s':['a']}", "type_mismatch", "filter.s", "$in");
        error("{'ss':['a']}", "type_mismatch", "filter.ss", "$contains_any");
        error("{'i':{'$glob':'*'}}", "type_mismatch", "filter.i.$glob", "string attribute");
        error("{'s':{'$glob':'[a'}}", "invalid_filter", "filter.s.$glob", "unterminated");
        error("{'s':{'$glob':5}}", "type_mismatch", "filter.s.$glob", "glob");
        error("{'$and':{}}", "invalid_filter", "filter.$and", "array");
        error("{'$or':[{'s':1}]}", "type_mismatch", "filter.$or[0].s", "string");
        error("{'$not':[1]}", "invalid_filter", "filter.$not", "object");
        error("{'d':{'$gt':'not a date'}}", "type_mismatch", "filter.d.$gt", "datetime");
        error("{'s':{'$exists':'yes'}}", "type_mismatch", "filter.s.$exists", "true or false");
        error("{'s':{}}", "invalid_filter", "filter.s", "empty");
        error("{'i':{'$not':5}}", "invalid_filter", "filter.i.$not", "$not");
        error("{'field':'i','operator':'between','value':1}", "unknown_operator", "filter.operator", "$between");
        error("{'field':'nope','operator':'eq','value':1}", "unknown_attribute", "filter.field", "nope");
        error("[1]", "invalid_filter", "filter", "object");
    }

    private static void error(String filter, String code, String path, String fragment) {
        assertThatThrownBy(() -> parser.parse(json(filter))).as(filter)
                .isInstanceOfSatisfying(FilterException.class, e -> {
                    assertThat(e.code()).as(filter).isEqualTo(code);
                    assertThat(e.path()).as(filter).isEqualTo(path);
                })
                .hasMessageStartingWith(path + ": ").hasMessageContaining(fragment);
    }
}
