package io.tamter.node.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SchemaTest {
    static final ObjectMapper M = new ObjectMapper();

    static JsonNode json(String s) {
        try {
            return M.readTree(s.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    @Test
    void emptySchemaHasTheReservedTextAttributeWithApiDefaults() {
        AttributeSpec text = Schema.empty().get("text");
        assertThat(text.type()).isEqualTo(AttributeType.STRING);
        assertThat(text.filterable()).isFalse();
        assertThat(text.fullText()).isEqualTo(new FullTextOptions("english", true, true, false, 1.2, 0.75));
        assertThat(FullTextOptions.DEFAULTS).isEqualTo(text.fullText());
    }

    @Test
    void parsesTypesFilterableAndFullTextOptions() {
        Schema s = Schema.fromJson(json("{'title':{'type':'string','full_text_search':{'language':'french','stemming':false,'k1':2}},"
                + "'price':{'type':'float'},'tags':{'type':'[]string','filterable':false},'n':{'type':'[]int'},"
                + "'at':{'type':'datetime'},'ok':{'type':'bool'},'body':{'type':'string','full_text_search':true}}"));
        assertThat(s.get("title").fullText()).isEqualTo(new FullTextOptions("french", false, true, false, 2.0, 0.75));
        assertThat(s.get("title").filterable()).as("full-text attributes are not filterable unless set").isFalse();
        assertThat(s.get("body").fullText()).isEqualTo(FullTextOptions.DEFAULTS);
        assertThat(s.get("price").type()).isEqualTo(AttributeType.FLOAT);
        assertThat(s.get("price").filterable()).isTrue();
        assertThat(s.get("price").fullTextSearch()).isFalse();
        assertThat(s.get("tags").type()).isEqualTo(AttributeType.STRING_ARRAY);
        assertThat(s.get("tags").filterable()).isFalse();
        assertThat(s.get("n").type()).isEqualTo(AttributeType.INT_ARRAY);
        assertThat(s.get("n").type().element()).isEqualTo(AttributeType.INT);
        assertThat(s.fullTextAttributes()).extracting(AttributeSpec::name).containsExactly("text", "title", "body");
        // the JSON form reads back to the same schema
        assertThat(Schema.fromJson(s.toJson())).isEqualTo(s);
    }

    @Test
    void everyTypeNameRoundTrips() {
        for (AttributeType t : AttributeType.values()) {
            assertThat(AttributeType.fromApiName(t.apiName())).isEqualTo(t);
            if (t.isArray()) assertThat(t.element().arrayOf()).isEqualTo(t);
        }
        assertThat(AttributeType.fromApiName("uuid")).isNull();
    }

    @Test
    void updateKeepsUnsetOptionsAndRejectsTypeChanges() {
        Schema s = Schema.fromJson(json("{'price':{'type':'int'},'title':{'type':'string','full_text_search':true}}"));
        Schema s2 = s.update(json("{'price':{'filterable':false},'title':{'full_text_search':{'k1':0.5,'b':0}}}"));
        assertThat(s2.get("price").type()).isEqualTo(AttributeType.INT);
        assertThat(s2.get("price").filterable()).isFalse();
        assertThat(s2.get("title").fullText().k1()).isEqualTo(0.5);
        assertThat(s2.get("title").fullText().b()).isEqualTo(0.0);
        assertThat(s2.update(json("{'price':{'type':'int'}}")).get("price").type()).isEqualTo(AttributeType.INT);
        assertThatThrownBy(() -> s.update(json("{'price':{'type':'float'}}")))
                .isInstanceOfSatisfying(SchemaException.class, e -> {
                    assertThat(e.path()).isEqualTo("price.type");
                    assertThat(e.code()).isEqualTo("type_change");
                })
                .hasMessageContaining("price").hasMessageContaining("int").hasMessageContaining("float");
        assertThatThrownBy(() -> s.update(json("{'text':{'type':'int'}}"))).hasMessageContaining("text");
        // the reserved text attribute may change its full-text options
        assertThat(s.update(json("{'text':{'full_text_search':{'stemming':false}}}")).get("text").fullText().stemming()).isFalse();
    }

    @Test
    void invalidSchemasNameTheOffendingField() {
        expectError("{'a':{}}", "a.type", "needs a type");
        expectError("{'a':{'type':'varchar'}}", "a.type", "unknown type");
        expectError("{'a':{'type':'int','full_text_search':true}}", "a.full_text_search", "only string");
        expectError("{'a':{'type':'string','full_text_search':{'language':'klingon'}}}", "a.full_text_search.language", "klingon");
        expectError("{'a':{'type':'string','full_text_search':{'k1':-1}}}", "a.full_text_search.k1", "k1");
        expectError("{'a':{'type':'string','full_text_search':{'b':1.5}}}", "a.full_text_search.b", "[0, 1]");
        expectError("{'a':{'type':'string','full_text_search':{'stem':true}}}", "a.full_text_search.stem", "unknown full_text_search option");
        expectError("{'a':{'type':'string','full_text_search':{'stemming':'yes'}}}", "a.full_text_search.stemming", "true or false");
        expectError("{'a':{'type':'string','full_text_search':3}}", "a.full_text_search", "must be true, false or an object");
        expectError("{'a':{'type':'string','filterable':1}}", "a.filterable", "true or false");
        expectError("{'a':{'type':'string','index':true}}", "a.index", "unknown attribute option");
        expectError("{'$a':{'type':'string'}}", "$a", "must not start with '$'");
        expectError("{'id':{'type':'string'}}", "id", "reserved");
        expectError("{'vector':{'type':'string'}}", "vector", "reserved");
        expectError("{'a':'string'}", "a", "must be an object");
        assertThatThrownBy(() -> Schema.empty().update(json("[1]"))).isInstanceOf(SchemaException.class);
    }

    private static void expectError(String schema, String path, String fragment) {
        assertThatThrownBy(() -> Schema.fromJson(json(schema)))
                .isInstanceOfSatisfying(SchemaException.class, e -> assertThat(e.path()).isEqualTo(path))
                .hasMessageContaining(path).hasMessageContaining(fragment);
    }

    private static Map<String, JsonNode> row(String json) {
        Map<String, JsonNode> m = new LinkedHashMap<>();
        json(json).fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue()));
        return m;
    }

    @Test
    void infersTypesFromTheFirstValue() {
        Schema s = Schema.empty().withInferred(row("{'title':'x','price':29.99,'n':5,'ok':true,'tags':['a','b'],"
                + "'ns':[3],'created_at':'2025-06-15T10:30:00Z','e':[],'z':null}"), "upsert_rows[0]");
        assertThat(s.get("title").type()).isEqualTo(AttributeType.STRING);
        assertThat(s.get("price").type()).isEqualTo(AttributeType.FLOAT);
        assertThat(s.get("n").type()).isEqualTo(AttributeType.INT);
        assertThat(s.get("ok").type()).isEqualTo(AttributeType.BOOL);
        assertThat(s.get("tags").type()).isEqualTo(AttributeType.STRING_ARRAY);
        assertThat(s.get("ns").type()).isEqualTo(AttributeType.INT_ARRAY);
        assertThat(s.get("created_at").type()).as("strings stay strings unless declared datetime").isEqualTo(AttributeType.STRING);
        assertThat(s.get("e")).as("an empty array implies no type").isNull();
        assertThat(s.get("z")).isNull();
        assertThat(s.get("price").filterable()).isTrue();
        assertThat(s.withInferred(row("{'price':30,'n':6}"), "r")).as("nothing new: same schema").isSameAs(s);
        // an int widens into a float attribute; a fraction does not fit an int attribute
        assertThatThrownBy(() -> s.withInferred(row("{'n':5.5}"), "upsert_rows[1]"))
                .isInstanceOfSatisfying(SchemaException.class, e -> assertThat(e.path()).isEqualTo("upsert_rows[1].n"))
                .hasMessageContaining("'n'").hasMessageContaining("int");
        assertThatThrownBy(() -> s.withInferred(row("{'tags':'a'}"), "r")).hasMessageContaining("r.tags");
        assertThatThrownBy(() -> s.withInferred(row("{'tags':['a',1]}"), "r")).hasMessageContaining("r.tags[1]");
        assertThatThrownBy(() -> s.withInferred(row("{'tags':['a',null]}"), "r")).hasMessageContaining("r.tags[1]");
        assertThatThrownBy(() -> s.withInferred(row("{'o':{'a':1}}"), "r")).hasMessageContaining("r.o").hasMessageContaining("object");
        assertThatThrownBy(() -> s.withInferred(row("{'o':[[1]]}"), "r")).hasMessageContaining("r.o[0]");
        assertThatThrownBy(() -> s.withInferred(row("{'$x':1}"), "r")).hasMessageContaining("must not start with '$'");
        assertThatThrownBy(() -> s.withInferred(row("{'big':18446744073709551615}"), "r")).hasMessageContaining("int64");
    }

    @Test
    void datetimeValuesAcceptIsoFormsAndEpochMillis() {
        Schema s = Schema.fromJson(json("{'at':{'type':'datetime'}}"));
        AttributeSpec at = s.get("at");
        assertThat(Values.asDatetime("at", json("'1970-01-01T00:00:01Z'"), "at")).isEqualTo(1000L);
        assertThat(Values.asDatetime("at", json("'1970-01-01T02:00:01+02:00'"), "at")).isEqualTo(1000L);
        assertThat(Values.asDatetime("at", json("'1970-01-01T00:00:01'"), "at")).isEqualTo(1000L);
        assertThat(Values.asDatetime("at", json("'1970-01-02'"), "at")).isEqualTo(86_400_000L);
        assertThat(Values.asDatetime("at", json("1234"), "at")).isEqualTo(1234L);
        Values.check(at, json("'2025-06-15T10:30:00Z'"), "at");
        assertThatThrownBy(() -> Values.check(at, json("'yesterday'"), "rows[0].at"))
                .isInstanceOfSatisfying(SchemaException.class, e -> assertThat(e.code()).isEqualTo("type_mismatch"))
                .hasMessageContaining("rows[0].at").hasMessageContaining("datetime");
        assertThatThrownBy(() -> Values.check(s.get("text"), json("3"), "text")).hasMessageContaining("string");
    }
}
