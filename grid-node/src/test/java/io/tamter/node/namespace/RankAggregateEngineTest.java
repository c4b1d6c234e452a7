package io.tamter.node.namespace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.doc.DocId;
import io.tamter.node.doc.InvalidRequestException;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine side of API.md v1.1 search, on a real namespace (RocksDB, Lucene, a local store): the
 * rank_by order and cursor ({@link RankBy}), pages merged over shards, aggregation totals, the
 * update-by-filter write, and {@code consistency: eventual} skipping the unindexed tail.
 */
class RankAggregateEngineTest {
    @TempDir
    Path tmp;
    LocalDirectoryObjectStore store;
    NamespaceManager engine;

    @BeforeEach
    void open() throws Exception {
        store = new LocalDirectoryObjectStore(tmp.resolve("store"));
        engine = new NamespaceManager(tmp.resolve("data"), store, Settings.defaults().with(Params.BUILD_THRESHOLD, 256), null);
    }

    @AfterEach
    void close() throws Exception {
        if (engine != null) engine.close();
        store.close();
    }

    static JsonNode json(String s) {
        return NamespaceEngineTest.json(s);
    }

    @Test
    void orderPutsMissingLastAndBreaksTiesById() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        RankBy desc = new RankBy("p", true);
        List<RankBy.Key> keys = new ArrayList<>(List.of(new RankBy.Key(null, DocId.ofU64(1)), new RankBy.Key(f.numberNode(5L), DocId.ofU64(9)),
                new RankBy.Key(f.numberNode(5L), DocId.ofString("a", "id")), new RankBy.Key(f.numberNode(7L), DocId.ofU64(3)),
                new RankBy.Key(null, DocId.ofU64(0))));
        keys.sort(desc.order());
        assertThat(keys.stream().map(k -> k.id().toString()).toList()).containsExactly(DocId.ofU64(3).toString(), DocId.ofU64(9).toString(),
                DocId.ofString("a", "id").toString(), DocId.ofU64(0).toString(), DocId.ofU64(1).toString());
        for (RankBy.Key k : keys) {
            RankBy.Key back = desc.decodeCursor(desc.cursor(k), "cursor");
            assertThat(desc.order().compare(back, k)).isZero();
        }
        String c = desc.cursor(keys.get(0));
        assertThatThrownBy(() -> new RankBy("p", false).decodeCursor(c, "cursor")).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("cursor:");
        assertThatThrownBy(() -> desc.decodeCursor("2" + c.substring(1), "cursor")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> desc.decodeCursor(c.substring(0, c.length() - 3), "cursor")).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void pagesAggregatesAndUpdateByFilterOverThreeShards() throws Exception {
        Namespace ns = engine.create("ns1", json("{'embedding_model':null,'num_shards':3}"));
        Random r = new Random(1);
        StringBuilder sb = new StringBuilder("[");
        long[] price = new long[300];
        for (int i = 0; i < 300; i++) {
            price[i] = i % 10 == 0 ? Long.MIN_VALUE : r.nextInt(20) + (1L << 60); // past 2^53: exact only as longs
            sb.append(i == 0 ? "" : ",").append("{'id':").append(i).append(price[i] == Long.MIN_VALUE ? "" : ",'price':" + price[i])
                    .append(",'g':'").append(i % 4 == 0 ? "x" : "y").append("'}");
        }
        ns.upsert(json(sb.append("]").toString()), null);
        List<Integer> want = new ArrayList<>();
        for (int i = 0; i < 300; i++) want.add(i);
        want.sort(Comparator.<Integer, Boolean>comparing(i -> price[i] == Long.MIN_VALUE).thenComparing(i -> price[i]).thenComparing(i -> i));
        List<Integer> got = new ArrayList<>();
        String cursor = null;
        do {
            ShardSearch.Merged m = ns.searchAll(SearchRequest.fromJson(json("{'rank_by':['price','asc'],'top_k':32"
                    + (cursor == null ? "" : ",'cursor':'" + cursor + "'") + "}")));
            m.result().matches().forEach(x -> got.add(x.id().asInt()));
            cursor = m.nextCursor();
        } while (cursor != null);
        assertThat(got).isEqualTo(want);
        assertThat(new HashSet<>(got)).hasSize(300);

        ShardSearch.Merged a = ns.searchAll(SearchRequest.fromJson(json(
                "{'aggregate_by':{'n':['count'],'lo':['min','price'],'hi':['max','price'],'s':['sum','g2']},'group_by':['g']}".replace("g2", "price"))));
        assertThat(a.result().matches()).isEmpty();
        for (com.fasterxml.jackson.databind.node.ObjectNode g : a.aggregations().groups()) {
            boolean x = g.get("g").asText().equals("x");
            long lo = Long.MAX_VALUE, hi = Long.MIN_VALUE, n = 0;
            double sum = 0;
            for (int i = 0; i < 300; i++) {
                if ((i % 4 == 0) != x) continue;
                n++;
                if (price[i] == Long.MIN_VALUE) continue;
                lo = Math.min(lo, price[i]);
                hi = Math.max(hi, price[i]);
                sum += price[i];
            }
            assertThat(g.get("n").asLong()).isEqualTo(n);
            assertThat(g.get("lo").asLong()).as("exact int minimum").isEqualTo(lo);
            assertThat(g.get("hi").asLong()).as("exact int maximum").isEqualTo(hi);
            assertThat(g.get("s").asDouble()).as("a sum past 2^63 is answered as a float").isCloseTo(sum, org.assertj.core.data.Percentage.withPercentage(1e-9));
        }

        WriteResult w = ns.updateByFilter(json("{'g':'x'}"), json("{'flag':true,'price':null}"));
        assertThat(w.updated()).isEqualTo(75);
        assertThat(ns.get(json("4")).attributes()).containsKey("flag").doesNotContainKey("price");
        assertThat(ns.get(json("5")).attributes()).doesNotContainKey("flag");
        assertThatThrownBy(() -> ns.updateByFilter(json("{'g':'x'}"), json("{'flag':'yes'}"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ns.updateByFilter(json("{'g':'x'}"), json("{'vector':[1]}"))).isInstanceOf(InvalidRequestException.class)
                .hasMessageStartingWith("patch.vector");
    }

    @Test
    void eventualSearchesSkipTheUnindexedTail() throws Exception {
        Namespace ns = engine.create("ns1", json("{'embedding_model':null,'num_shards':2,'distance_metric':'euclidean_squared'}"));
        Random r = new Random(2);
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 400; i++) rows.add(UnindexedTailTest.row(i, UnindexedTailTest.vector(r), ""));
        ns.upsert(UnindexedTailTest.rows(rows), null);
        UnindexedTailTest.awaitIndexed(ns);
        UnindexedTailTest.hold(ns, true);
        try {
            float[] far = new float[UnindexedTailTest.DIM];
            java.util.Arrays.fill(far, 40f);
            ns.upsert(UnindexedTailTest.rows(List.of(UnindexedTailTest.row("far", far, ""))), null);
            SearchRequest strong = SearchRequest.ofVector(far, 1);
            SearchRequest eventual = SearchRequest.fromJson(json("{'vector':" + java.util.Arrays.toString(far) + ",'top_k':1,'consistency':'eventual'}"));
            assertThat(ns.search(strong).matches().get(0).id().asText()).isEqualTo("far");
            assertThat(ns.search(eventual).matches().get(0).id().asText()).isNotEqualTo("far");
        } finally {
            UnindexedTailTest.hold(ns, false);
        }
    }
}
