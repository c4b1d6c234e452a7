package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A search over a namespace of several shards scatters one job per shard and merges their top
 * k: the merged answer must equal the exact answer over all documents (the namespace is below
 * the index build threshold, so each shard searches exactly), for vector search with and without
 * a filter, and BM25 must find matches in every shard.
 */
class ShardedSearchTest {
    @TempDir
    Path dir;

    @Test
    void mergedTopKEqualsExactTopKOverAllShards() throws Exception {
        try (TestServer s = TestServer.start(dir.resolve("n"))) {
            s.node.engine().create("multi", TestServer.JSON.readTree("{\"num_shards\":4,\"distance_metric\":\"euclidean_squared\",\"embedding_model\":null}"));
            Random r = new Random(5);
            List<float[]> vs = new ArrayList<>();
            StringBuilder sb = new StringBuilder("{\"upsert_rows\":[");
            for (int i = 0; i < 400; i++) {
                float[] v = {r.nextFloat(), r.nextFloat(), r.nextFloat()};
                vs.add(v);
                if (i > 0) sb.append(',');
                sb.append("{\"id\":").append(i).append(",\"vector\":[").append(v[0]).append(',').append(v[1]).append(',').append(v[2])
                  .append("],\"odd\":").append(i % 2 == 1).append(",\"text\":\"doc number ").append(i).append(i % 10 == 0 ? " zebra" : "").append("\"}");
            }
            s.ok("POST", "/v1/namespaces/multi/upsert", sb.append("]}").toString());
            float[] q = {0.5f, 0.5f, 0.5f};
            for (boolean filtered : new boolean[] {false, true}) {
                List<Integer> want = new ArrayList<>();
                for (int i = 0; i < vs.size(); i++) if (!filtered || i % 2 == 1) want.add(i);
                want.sort(Comparator.comparingDouble(i -> d2(vs.get(i), q)));
                want = want.subList(0, 25);
                JsonNode res = s.ok("POST", "/v1/namespaces/multi/search", "{\"vector\":[0.5,0.5,0.5],\"top_k\":25"
                        + (filtered ? ",\"filter\":{\"odd\":true}" : "") + "}");
                List<Integer> got = new ArrayList<>();
                for (JsonNode m : res.get("matches")) got.add(m.get("id").asInt());
                assertThat(got).as(filtered ? "filtered" : "unfiltered").isEqualTo(want);
            }
            JsonNode bm = s.ok("POST", "/v1/namespaces/multi/search", "{\"text\":\"zebra\",\"mode\":\"bm25\",\"top_k\":100}");
            List<Integer> zebras = new ArrayList<>();
            for (JsonNode m : bm.get("matches")) zebras.add(m.get("id").asInt());
            assertThat(zebras).hasSize(40).allMatch(i -> i % 10 == 0);
            // a bad filter is a 400 from the scatter, not a 503
            s.expect(400, "POST", "/v1/namespaces/multi/search", "{\"vector\":[1,1,1],\"filter\":{\"odd\":{\"$bogus\":1}}}");
        }
    }

    static double d2(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return s;
    }
}
