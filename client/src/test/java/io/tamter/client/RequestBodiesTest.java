package io.tamter.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tamter.client.wire.Envelope;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The typed requests become API.md's bodies, and API.md's responses the typed results (no server here; see ThinClientAndTextTest). */
class RequestBodiesTest {
    @Test
    void rowsPatchesAndSearchesAreApiBodies() throws Exception {
        assertThat(Row.of(7).vector(1f, 0.5f).text("t").attr("kind", "a").attr("tags", List.of("x", "y")).toJson().toString())
                .isEqualTo("{\"id\":7,\"vector\":[1.0,0.5],\"text\":\"t\",\"metadata\":{\"kind\":\"a\",\"tags\":[\"x\",\"y\"]}}");
        assertThat(Row.of("doc-1").toJson().toString()).isEqualTo("{\"id\":\"doc-1\"}");
        assertThat(Patch.of(3L).set("kind", "b").remove("old").toJson().toString())
                .isEqualTo("{\"id\":3,\"metadata\":{\"kind\":\"b\",\"old\":null}}");
        assertThat(SearchRequest.vector(1f, 2f).topK(5).filter(Map.of("price", Map.of("$lt", 50))).includeMetadata("title").toJson().toString())
                .isEqualTo("{\"vector\":[1.0,2.0],\"filter\":{\"price\":{\"$lt\":50}},\"top_k\":5,\"include_metadata\":[\"title\"]}");
        assertThat(SearchRequest.text("fox").mode(SearchRequest.Mode.HYBRID).filter("{\"kind\":\"animal\"}").includeText(true).toJson().toString())
                .isEqualTo("{\"text\":\"fox\",\"mode\":\"hybrid\",\"filter\":{\"kind\":\"animal\"},\"include_text\":true}");
        assertThat(SearchRequest.rankBy("price", true).topK(3).cursor("1abc").consistency("eventual").toJson().toString())
                .isEqualTo("{\"top_k\":3,\"rank_by\":[\"price\",\"desc\"],\"cursor\":\"1abc\",\"consistency\":\"eventual\"}");
        assertThat(SearchRequest.aggregations().aggregate("n", "count", null).aggregate("avg", "avg", "price").groupBy("kind").toJson().toString())
                .isEqualTo("{\"aggregate_by\":{\"n\":[\"count\"],\"avg\":[\"avg\",\"price\"]},\"group_by\":[\"kind\"]}");
        assertThat(SearchRequest.text("fox").mode(SearchRequest.Mode.HYBRID).rrfK(10).weights(2, 0.5).toJson().toString())
                .isEqualTo("{\"text\":\"fox\",\"mode\":\"hybrid\",\"rrf_k\":10,\"weights\":{\"vector\":2.0,\"bm25\":0.5}}");
    }

    @Test
    void idsKeepTheirTypeBothWays() {
        UUID u = UUID.randomUUID();
        assertThat(Json.id(Json.id(u))).isEqualTo(u.toString());
        assertThat(Json.id(Json.id(42))).isEqualTo(42L);
        BigInteger max = BigInteger.TWO.pow(64).subtract(BigInteger.ONE);
        assertThat(Json.id(Json.id(max))).isEqualTo(max);
        assertThatThrownBy(() -> Row.of(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unsigned");
        assertThatThrownBy(() -> Row.of(1.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Patch.of(1).set("a", null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("remove");
    }

    @Test
    void responsesBecomeTypedResults() throws Exception {
        SearchResult r = SearchResult.fromJson(Envelope.JSON.readTree("""
                {"status":"ok","matches":[{"id":"a","score":-0.5,"dist":0.5,"metadata":{"n":3,"tags":["x"]}},
                  {"id":18446744073709551615,"score":0.1,"metadata":{}}],"found":2,"search_time_ms":4}"""));
        assertThat(r.ids()).containsExactly("a", new BigInteger("18446744073709551615"));
        assertThat(r.matches().get(0).dist()).isEqualTo(0.5);
        assertThat(r.matches().get(0).attributes()).containsEntry("n", 3).containsEntry("tags", List.of("x"));
        assertThat(r.matches().get(1).dist()).isNull();
        assertThat(r.searchTimeMs()).isEqualTo(4);
        WriteResult w = WriteResult.fromJson(Envelope.JSON.readTree("""
                {"status":"ok","inserted":0,"updated":1,"deleted":0,"errors":[{"id":99,"code":"not_found","message":"no such id"}],
                 "operation_id":"op-1"}"""));
        assertThat(w.updated()).isEqualTo(1);
        assertThat(w.errors()).containsExactly(new WriteResult.RowError(99L, "not_found", "no such id"));
        assertThat(w.operationId()).isEqualTo("op-1");
    }
}
