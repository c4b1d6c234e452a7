package io.tamter.compute;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tamter.node.doc.DocId;
import io.tamter.node.namespace.Aggregation;
import io.tamter.node.namespace.RankBy;
import io.tamter.node.namespace.ShardSearch;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A shard's answer as it travels between nodes: a rank_by page (candidates, their keys, "more")
 * and aggregation totals come back equal, so a grid merges what one node would.
 */
class PartialCodecTest {
    @Test
    void rankedPagesAndAggregatesSurviveTheTrip() throws Exception {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ShardSearch.Candidate a = new ShardSearch.Candidate(DocId.ofU64(7), Map.of("price", f.numberNode(3)), null, null, 0f, Float.NaN);
        ShardSearch.Candidate b = new ShardSearch.Candidate(DocId.ofString("x", "id"), Map.of(), null, null, 0f, Float.NaN);
        List<ShardSearch.Ranked> ranked = List.of(new ShardSearch.Ranked(a, new RankBy.Key(f.numberNode(3L), DocId.ofU64(7))),
                new ShardSearch.Ranked(b, new RankBy.Key(null, DocId.ofString("x", "id"))));
        // group "a": 3 documents, 2 prices summing to 10 (4 and 6); group null: 1 document, no price
        Aggregation.Partials aggs = Aggregation.Partials.fromJson(OpRequest.JSON.readTree("""
                {"fn_types":["count","int","int","int"],"group_types":["string"],
                 "groups":[[["a"],[3,[0,0,0,null,null],[2,10,10.0,4.0,6.0,4,6],[2,10,10.0,4.0,6.0,4,6],[2,10,10.0,4.0,6.0,4,6]]],
                           [[null],[1,[0,0,0,null,null],[0,0,0,null,null],[0,0,0,null,null],[0,0,0,null,null]]]]}"""));
        ShardSearch.Partial p = new ShardSearch.Partial(List.of(), List.of(), ShardSearch.TextPresence.PRESENT, ranked, true, aggs);
        ShardSearch.Partial back = PartialCodec.decode(PartialCodec.encode(p));
        assertThat(back.more()).isTrue();
        assertThat(back.ranked()).hasSize(2);
        assertThat(back.ranked().get(0).key().id()).isEqualTo(DocId.ofU64(7));
        assertThat(back.ranked().get(0).key().value().longValue()).isEqualTo(3L);
        assertThat(back.ranked().get(1).key().value()).isNull();
        assertThat(back.ranked().get(0).candidate().metadata().get("price").asInt()).isEqualTo(3);
        RankBy asc = new RankBy("price", false);
        assertThat(asc.order().compare(back.ranked().get(0).key(), back.ranked().get(1).key())).isNegative();
        java.util.LinkedHashMap<String, Aggregation.Fn> fns = new java.util.LinkedHashMap<>();
        fns.put("n", new Aggregation.Fn(Aggregation.Kind.COUNT, null));
        fns.put("total", new Aggregation.Fn(Aggregation.Kind.SUM, "price"));
        fns.put("avg", new Aggregation.Fn(Aggregation.Kind.AVG, "price"));
        fns.put("max", new Aggregation.Fn(Aggregation.Kind.MAX, "price"));
        Aggregation.Result r = Aggregation.render(new Aggregation.Spec(fns, List.of("cat")), back.aggregates(), 10);
        assertThat(r.groups()).hasSize(2);
        assertThat(r.groups().get(0).toString()).isEqualTo("{\"cat\":\"a\",\"n\":3,\"total\":10,\"avg\":5.0,\"max\":6}");
        assertThat(r.groups().get(1).toString()).isEqualTo("{\"cat\":null,\"n\":1,\"total\":0,\"avg\":null,\"max\":null}");
    }
}
