package io.tamter.node.namespace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tamter.config.Settings;
import io.tamter.node.doc.Document;
import io.tamter.node.doc.InvalidRequestException;
import io.tamter.node.filter.FilterException;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import io.tamter.node.schema.SchemaException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NamespaceEngineTest {
    static final ObjectMapper M = new ObjectMapper();
    static final JsonNode NO_EMBED = json("{'embedding_model':null}");

    @TempDir
    Path tmp;
    LocalDirectoryObjectStore store;
    NamespaceManager engine;

    static JsonNode json(String s) {
        try {
            return M.readTree(s.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    @BeforeEach
    void open() throws Exception {
        store = new LocalDirectoryObjectStore(tmp.resolve("store"));
        engine = new NamespaceManager(tmp.resolve("data"), store, Settings.defaults(), null);
    }

    @AfterEach
    void close() throws Exception {
        if (engine != null) engine.close();
        store.close();
    }

    void reopen(Path data) throws Exception {
        engine = new NamespaceManager(data, store, Settings.defaults(), null);
    }

    Namespace ns() throws Exception {
        return engine.create("ns1", NO_EMBED);
    }

    static List<String> ids(SearchResult r) {
        List<String> out = new ArrayList<>();
        for (SearchResult.Match m : r.matches()) out.add(m.id().asText());
        return out;
    }

    /** 40 docs with 4-d vectors near axis (i % 4), category c(i%3), price i. */
    static JsonNode rows(int from, int n) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = from; i < from + n; i++) {
            if (i > from) sb.append(',');
            float[] v = {0.01f * i, 0.01f, 0.01f, 0.01f};
            v[i % 4] += 1;
            sb.append("{'id':").append(i).append(",'vector':[").append(v[0]).append(',').append(v[1]).append(',').append(v[2]).append(',')
                    .append(v[3]).append("],'category':'c").append(i % 3).append("','metadata':{'price':").append(i)
                    .append("},'text':'item number ").append(i).append(i % 5 == 0 ? " wireless charger" : " cable").append("'}");
        }
        return json(sb.append(']').toString());
    }

    @Test
    void upsertGetSearchReadYourWrites() throws Exception {
        Namespace ns = ns();
        WriteResult w = ns.upsert(rows(0, 40), null);
        assertThat(w.inserted()).isEqualTo(40);
        Document d = ns.get(json("7"));
        assertThat(d.attributes().get("price").asInt()).isEqualTo(7);
        assertThat(d.attributes().get("category").asText()).isEqualTo("c1");
        assertThat(d.text()).contains("cable");
        // read-your-writes: the acked upsert is found at once
        SearchResult r = ns.search(SearchRequest.ofVector(new float[] {0, 0, 0, 1}, 5));
        assertThat(r.matches()).hasSize(5);
        for (SearchResult.Match m : r.matches()) assertThat(m.id().asInt() % 4).isEqualTo(3);
        assertThat(r.matches().get(0).id().isIntegralNumber()).isTrue();
        ns.upsert(json("[{'id':'new','vector':[0,0,0,5]}]"), null);
        assertThat(ids(ns.search(SearchRequest.ofVector(new float[] {0, 0, 0, 1}, 1)))).containsExactly("new");
        // upsert replaces the whole document
        w = ns.upsert(json("[{'id':7,'vector':[1,0,0,0]}]"), null);
        assertThat(w.updated()).isEqualTo(1);
        assertThat(ns.get(json("7")).attributes()).isEmpty();
        assertThat(ns.info().approxRowCount()).isEqualTo(41);
        assertThat(ns.info().dimensions()).isEqualTo(4);
    }

    @Test
    void searchOptionsFilterThresholdIncludes() throws Exception {
        Namespace ns = ns();
        ns.upsert(rows(0, 40), null);
        SearchRequest r = SearchRequest.fromJson(json("{'vector':[1,0,0,0],'top_k':100,'filter':{'category':'c2','price':{'$lt':20}},"
                + "'include_metadata':['price'],'include_vectors':true}"));
        SearchResult res = ns.search(r);
        assertThat(res.matches()).isNotEmpty();
        for (SearchResult.Match m : res.matches()) {
            assertThat(m.id().asInt() % 3).isEqualTo(2);
            assertThat(m.id().asInt()).isLessThan(20);
            assertThat(m.metadata()).containsOnlyKeys("price");
            assertThat(m.vector()).hasSize(4);
            assertThat(m.dist()).isNotNull();
        }
        // the exact (selective filter) path ranks like the unfiltered one
        assertThat(res.matches().get(0).id().asInt() % 4).isZero();
        SearchResult t = ns.search(SearchRequest.fromJson(json("{'vector':[1,0,0,0],'top_k':100,'distance_threshold':0.01}")));
        assertThat(t.matches()).isNotEmpty();
        for (SearchResult.Match m : t.matches()) assertThat(m.dist()).isLessThanOrEqualTo(0.01f);
        assertThat(ns.search(SearchRequest.fromJson(json("{'vector':[1,0,0,0],'include_metadata':false}"))).matches().get(0).metadata()).isEmpty();
    }

    @Test
    void bm25AndHybrid() throws Exception {
        Namespace ns = ns();
        ns.upsert(rows(0, 40), null);
        SearchResult b = ns.search(SearchRequest.ofText("wireless charger", SearchRequest.Mode.BM25, 10));
        assertThat(b.matches()).hasSize(8);
        for (SearchResult.Match m : b.matches()) {
            assertThat(m.id().asInt() % 5).isZero();
            assertThat(m.dist()).isNull();
        }
        // hybrid: a doc that is first in both lists comes first; docs in both beat docs in one
        SearchResult h = ns.search(SearchRequest.ofText("wireless charger", SearchRequest.Mode.HYBRID, 5).withVector(new float[] {1, 0, 0, 0}));
        assertThat(h.matches()).hasSize(5);
        int top = h.matches().get(0).id().asInt();
        assertThat(top % 5).isZero();
        assertThat(top % 4).isZero();
        assertThat(h.matches().get(0).score()).isGreaterThan(h.matches().get(4).score());
        assertThat(h.matches().get(0).score()).isLessThanOrEqualTo(2f / 61);
        // a text vector search without an embedding model is a 400
        assertThatThrownBy(() -> ns.search(SearchRequest.ofText("x", null, 3))).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void validationErrorsNameTheFieldAndWriteNothing() throws Exception {
        Namespace ns = ns();
        ns.upsert(json("[{'id':1,'vector':[1,0,0,0],'price':3}]"), null);
        String[][] cases = {
                {"[{'id':2,'vector':[1,0,0]}]", "upsert_rows[0].vector"},
                {"[{'id':2,'vector':[1,0,0,0]},{'id':3,'vector':[1,0]}]", "upsert_rows[1].vector"},
                {"[{'id':-5,'vector':[1,0,0,0]}]", "upsert_rows[0].id"},
                {"[{'id':2,'vector':[1,0,0,0]},{'id':2,'vector':[1,0,0,0]}]", "upsert_rows[1].id"},
                {"[{'id':2,'vector':[1,0,0,0],'$bad':1}]", "upsert_rows[0].$bad"},
                {"[{'id':2,'vector':[1,0,0,0],'metadata':{'$x':1}}]", "upsert_rows[0].metadata.$x"},
                {"[{'id':2,'vector':[1,0,0,0],'price':'cheap'}]", "upsert_rows[0].price"},
                {"[{'id':2,'vector':[1,0,0,0],'a':1,'metadata':{'a':2}}]", "upsert_rows[0].a"},
                {"[{'id':2,'vector':[0,0,0,0]}]", "upsert_rows[0].vector"},
                {"[{'id':2,'vector':[1,'x',0,0]}]", "upsert_rows[0].vector[1]"},
        };
        for (String[] c : cases) {
            assertThatThrownBy(() -> ns.upsert(json(c[0]), null)).as(c[0]).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith(c[1]);
        }
        // NaN / Inf (from a Java caller or a lenient parser) and float32 overflow
        for (String v : List.of("NaN", "Infinity", "1e39")) {
            JsonNode row = json("[{'id':2,'vector':[1,0,0,0]}]");
            ((com.fasterxml.jackson.databind.node.ArrayNode) row.get(0).get("vector")).set(2, M.getNodeFactory().numberNode(Double.parseDouble(v)));
            assertThatThrownBy(() -> ns.upsert(row, null)).isInstanceOf(InvalidRequestException.class).hasMessageStartingWith("upsert_rows[0].vector[2]");
        }
        assertThatThrownBy(() -> ns.upsert(json("[{'id':2,'vector':[1,0,0,0],'price':1.5}]"), null)).isInstanceOf(SchemaException.class);
        assertThatThrownBy(() -> ns.search(SearchRequest.ofVector(new float[] {1, 0, 0, 0}, 3).withFilter(json("{'price':{'$foo':1}}"))))
                .isInstanceOf(FilterException.class).hasMessageContaining("filter.price.$foo");
        assertThatThrownBy(() -> ns.deleteByFilter(json("{'price':{'$bogus':1}}"))).isInstanceOf(FilterException.class);
        assertThatThrownBy(() -> ns.search(SearchRequest.ofVector(new float[] {1, 0}, 3))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> engine.create("bad name!", null)).isInstanceOf(InvalidRequestException.class);
        // nothing of the rejected requests was written
        assertThat(ns.get(json("2"))).isNull();
        assertThat(ns.info().approxRowCount()).isEqualTo(1);
    }

    @Test
    void patchSemantics() throws Exception {
        Namespace ns = ns();
        ns.upsert(json("[{'id':'a','vector':[1,0,0,0],'price':3,'color':'red','text':'hello'}]"), null);
        WriteResult w = ns.patch(json("[{'id':'a','price':4,'color':null,'size':'L'},{'id':'zzz','price':1}]"), null);
        assertThat(w.updated()).isEqualTo(1);
        assertThat(w.errors()).hasSize(1);
        assertThat(w.errors().get(0).code()).isEqualTo("not_found");
        assertThat(w.errors().get(0).id().asText()).isEqualTo("zzz");
        Document d = ns.get(json("'a'"));
        assertThat(d.attributes().get("price").asInt()).isEqualTo(4);
        assertThat(d.attributes()).doesNotContainKey("color").containsKey("size");
        assertThat(d.text()).isEqualTo("hello");
        assertThat(d.vector()).containsExactly(1, 0, 0, 0);
        assertThat(ns.get(json("'zzz'"))).isNull();
        // the filter index follows the patch
        assertThat(ids(ns.search(SearchRequest.ofVector(new float[] {1, 0, 0, 0}, 5).withFilter(json("{'price':4}"))))).containsExactly("a");
        assertThat(ns.search(SearchRequest.ofVector(new float[] {1, 0, 0, 0}, 5).withFilter(json("{'color':'red'}"))).matches()).isEmpty();
        assertThatThrownBy(() -> ns.patch(json("[{'id':'a','vector':[1,1,1,1]}]"), null)).hasMessageStartingWith("patch_rows[0].vector");
    }

    @Test
    void conditionalWritesWithRefNew() throws Exception {
        Namespace ns = ns();
        ns.upsert(json("[{'id':1,'vector':[1,0,0,0],'version':5},{'id':2,'vector':[0,1,0,0],'version':5}]"), null);
        JsonNode cond = json("{'version':{'$lt':{'$ref_new':'version'}}}");
        // id 1 newer → applied; id 2 older → skipped; id 3 missing → inserted
        WriteResult w = ns.upsert(json("[{'id':1,'vector':[1,0,0,0],'version':6},{'id':2,'vector':[0,1,0,0],'version':4},"
                + "{'id':3,'vector':[0,0,1,0],'version':1}]"), cond);
        assertThat(w.updated()).isEqualTo(1);
        assertThat(w.inserted()).isEqualTo(1);
        assertThat(w.skipped()).isEqualTo(1);
        assertThat(w.conditionMet()).isFalse();
        assertThat(ns.get(json("1")).attributes().get("version").asInt()).isEqualTo(6);
        assertThat(ns.get(json("2")).attributes().get("version").asInt()).isEqualTo(5);
        // conditional update: short form; missing ids skipped
        w = ns.patch(json("[{'id':1,'flag':true},{'id':2,'flag':true},{'id':9,'flag':true}]"),
                json("{'field':'version','operator':'gte','value':6}"));
        assertThat(w.updated()).isEqualTo(1);
        assertThat(w.skipped()).isEqualTo(2);
        assertThat(ns.get(json("2")).attributes()).doesNotContainKey("flag");
        // conditional delete
        w = ns.delete(json("[1,2]"), json("{'flag':true}"));
        assertThat(w.deleted()).isEqualTo(1);
        assertThat(w.skipped()).isEqualTo(1);
        assertThat(ns.get(json("1"))).isNull();
        assertThat(ns.get(json("2"))).isNotNull();
        assertThatThrownBy(() -> ns.upsert(json("[{'id':1,'vector':[1,0,0,0]}]"), json("{'version':{'$nope':1}}")))
                .isInstanceOf(FilterException.class).hasMessageContaining("condition");
    }

    @Test
    void deleteByIdsAndByFilter() throws Exception {
        Namespace ns = ns();
        ns.upsert(rows(0, 30), null);
        assertThat(ns.delete(json("[0,1,999]"), null).deleted()).isEqualTo(2);
        assertThat(ns.get(json("0"))).isNull();
        assertThatThrownBy(() -> ns.delete(json("[3,3]"), null)).isInstanceOf(InvalidRequestException.class).hasMessageStartingWith("deletes[1]");
        WriteResult w = ns.deleteByFilter(json("{'category':'c0'}"));
        assertThat(w.deleted()).isEqualTo(9); // 3,6,…,27 (0 already gone)
        assertThat(ns.info().approxRowCount()).isEqualTo(30 - 2 - 9);
        SearchResult r = ns.search(SearchRequest.ofVector(new float[] {1, 0, 0, 0}, 100));
        assertThat(r.matches()).hasSize(19);
        for (SearchResult.Match m : r.matches()) assertThat(m.id().asInt() % 3).isNotZero();
        // a deleted id can be written again
        ns.upsert(json("[{'id':0,'vector':[1,0,0,0]}]"), null);
        assertThat(ns.get(json("0"))).isNotNull();
    }

    @Test
    void reopenGivesTheSameResultsAndMultipleShardsRoute() throws Exception {
        Namespace ns = engine.create("multi", json("{'embedding_model':null,'num_shards':3,'distance_metric':'euclidean_squared'}"));
        ns.upsert(rows(0, 60), null);
        ns.delete(json("[5]"), null);
        SearchRequest q = SearchRequest.ofVector(new float[] {0, 1, 0, 0}, 10).withFilter(json("{'price':{'$gte':10}}"));
        List<String> before = ids(ns.search(q));
        List<String> bm = ids(ns.search(SearchRequest.ofText("charger", SearchRequest.Mode.BM25, 20)));
        int nonEmpty = 0;
        for (int i = 0; i < 3; i++) if (ns.shard(i).count() > 0) nonEmpty++;
        assertThat(nonEmpty).isGreaterThan(1);
        engine.close();
        reopen(tmp.resolve("data"));
        Namespace again = engine.get("multi");
        assertThat(again.settings().metric().apiName()).isEqualTo("euclidean_squared");
        assertThat(ids(again.search(q))).isEqualTo(before);
        assertThat(ids(again.search(SearchRequest.ofText("charger", SearchRequest.Mode.BM25, 20)))).isEqualTo(bm);
        assertThat(again.get(json("5"))).isNull();
        assertThat(engine.list("")).containsExactly("multi");
        assertThat(engine.delete("multi")).isTrue();
        assertThat(engine.list("")).isEmpty();
        assertThatThrownBy(() -> engine.get("multi")).isInstanceOf(NamespaceNotFoundException.class);
    }

    @Test
    void walReplayRestoresWritesMissingFromLocalState() throws Exception {
        Namespace ns = ns();
        ns.upsert(rows(0, 20), null);
        // snapshot the local state (a cold copy taken while closed), then write more
        engine.close();
        Path snapshot = tmp.resolve("snapshot");
        copyTree(tmp.resolve("data"), snapshot);
        reopen(tmp.resolve("data"));
        ns = engine.get("ns1");
        ns.upsert(rows(20, 10), null);
        ns.patch(json("[{'id':3,'price':1000}]"), null);
        ns.delete(json("[4]"), null);
        List<String> expected = ids(ns.search(SearchRequest.ofVector(new float[] {0, 0, 1, 0}, 30)));
        engine.close();
        // "crash": the local state lost the last writes; the WAL in the object store has them
        reopen(snapshot);
        Namespace r = engine.get("ns1");
        assertThat(r.get(json("25"))).isNotNull();
        assertThat(r.get(json("3")).attributes().get("price").asInt()).isEqualTo(1000);
        assertThat(r.get(json("4"))).isNull();
        assertThat(ids(r.search(SearchRequest.ofVector(new float[] {0, 0, 1, 0}, 30)))).isEqualTo(expected);
        assertThat(ids(r.search(SearchRequest.ofVector(new float[] {1, 0, 0, 0}, 5).withFilter(json("{'price':1000}"))))).containsExactly("3");
        // and writes continue after the replayed segments
        r.upsert(json("[{'id':100,'vector':[1,1,1,1]}]"), null);
        assertThat(r.get(json("100"))).isNotNull();
        // an empty local dir rebuilds everything from the WAL
        engine.close();
        reopen(tmp.resolve("empty"));
        assertThat(engine.get("ns1").info().approxRowCount()).isEqualTo(30 - 1 + 1);
    }

    @Test
    void lostLocalStateIsRestoredFromTheCloseCheckpoint() throws Exception {
        Namespace ns = engine.create("two", json("{'embedding_model':null,'num_shards':2}"));
        ns.upsert(rows(0, 40), null);
        ns.patch(json("[{'id':3,'price':1000}]"), null);
        ns.delete(json("[4]"), null);
        List<String> vec = ids(ns.search(SearchRequest.ofVector(new float[] {0, 0, 1, 0}, 30)));
        List<String> bm = ids(ns.search(SearchRequest.ofText("charger", SearchRequest.Mode.BM25, 20)));
        List<String> filtered = ids(ns.search(SearchRequest.ofVector(new float[] {1, 0, 0, 0}, 5).withFilter(json("{'category':'c1'}"))));
        engine.close(); // default settings: a final checkpoint of each shard, its WAL dropped
        assertThat(store.list("two/shards/0/wal/")).isEmpty();
        assertThat(store.list("two/shards/1/manifest.json")).hasSize(1);
        // the node lost its disk
        io.tamter.node.shard.CheckpointerTestAccess.deleteTree(tmp.resolve("data"));
        reopen(tmp.resolve("data"));
        Namespace r = engine.get("two");
        assertThat(ids(r.search(SearchRequest.ofVector(new float[] {0, 0, 1, 0}, 30)))).isEqualTo(vec);
        assertThat(ids(r.search(SearchRequest.ofText("charger", SearchRequest.Mode.BM25, 20)))).isEqualTo(bm);
        assertThat(ids(r.search(SearchRequest.ofVector(new float[] {1, 0, 0, 0}, 5).withFilter(json("{'category':'c1'}"))))).isEqualTo(filtered);
        assertThat(r.get(json("3")).attributes().get("price").asInt()).isEqualTo(1000);
        assertThat(r.get(json("4"))).isNull();
        r.upsert(json("[{'id':100,'vector':[1,1,1,1]}]"), null);
        assertThat(r.info().approxRowCount()).isEqualTo(40);
        // deleting the namespace takes no final checkpoint and leaves no object behind
        engine.delete("two");
        assertThat(store.list("two/")).isEmpty();
    }

    static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }

    @Test
    void randomizedAgainstBruteForce() throws Exception {
        long seed = Long.getLong("tamter.seed", System.nanoTime());
        System.out.println("NamespaceEngineTest.randomizedAgainstBruteForce seed=" + seed);
        Random rnd = new Random(seed);
        Namespace ns = engine.create("rnd", json("{'embedding_model':null,'distance_metric':'euclidean_squared'}"));
        float[][] vs = new float[200][];
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < 200; i++) {
            vs[i] = new float[] {rnd.nextFloat(), rnd.nextFloat(), rnd.nextFloat()};
            sb.append(i == 0 ? "" : ",").append("{'id':").append(i).append(",'vector':[").append(vs[i][0]).append(',').append(vs[i][1])
                    .append(',').append(vs[i][2]).append("],'g':").append(i % 7).append('}');
        }
        ns.upsert(json(sb.append(']').toString()), null);
        for (int t = 0; t < 20; t++) {
            float[] q = {rnd.nextFloat(), rnd.nextFloat(), rnd.nextFloat()};
            int g = rnd.nextInt(7);
            List<Integer> expect = new ArrayList<>();
            for (int i = 0; i < 200; i++) if (i % 7 == g) expect.add(i);
            expect.sort((a, b) -> Double.compare(d(vs[a], q), d(vs[b], q)));
            SearchResult r = ns.search(SearchRequest.ofVector(q, 5).withFilter(json("{'g':" + g + "}")));
            List<Integer> got = new ArrayList<>();
            for (SearchResult.Match m : r.matches()) got.add(m.id().asInt());
            assertThat(got).as("seed " + seed).isEqualTo(expect.subList(0, 5));
        }
    }

    static double d(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return s;
    }
}
