package io.tamter.http.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.config.Params;
import io.tamter.node.namespace.Namespace;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read-after-write over HTTP (the write-path issue's acceptance): 8 clients each upsert a row,
 * then at once GET it and search by its own vector, which must answer it as top-1, every time.
 * Half of the rounds run while the namespace's index workers are held, so the rows are acked but
 * not yet in the vector index and the searches must find them in the unindexed tail; the other
 * half run while the workers index them and the rebalancer moves vectors. The namespace has a
 * built index (above the build threshold) over two shards before the clients start.
 */
class ReadAfterWriteTest {
    static final int DIM = 16, CLIENTS = 8, ROUNDS = 40;

    @TempDir
    Path dir;

    @Test
    void everyClientReadsItsOwnWriteByIdAndAsItsVectorsTop1() throws Exception {
        try (TestServer s = TestServer.start(dir.resolve("n"), Map.of(Params.BUILD_THRESHOLD.key(), "256"))) {
            s.ok("PUT", "/v1/namespaces/raw", "{\"num_shards\":2,\"distance_metric\":\"euclidean_squared\",\"embedding_model\":null}");
            Random r = new Random(9);
            StringBuilder base = new StringBuilder("{\"upsert_rows\":[");
            for (int i = 0; i < 1200; i++) base.append(i == 0 ? "" : ",").append(row("base" + i, vector(r)));
            s.ok("POST", "/v1/namespaces/raw/upsert", base.append("]}").toString());
            Namespace ns = s.node.engine().get("raw");
            for (int i = 0; i < 2; i++) assertThat(ns.shard(i).awaitIndexed(120_000)).isTrue();

            List<String> problems = Collections.synchronizedList(new ArrayList<>());
            long[] tailSeen = new long[1];
            for (boolean held : new boolean[] {true, false}) {
                for (int i = 0; i < 2; i++) ns.shard(i).holdIndexing(held);
                CountDownLatch done = new CountDownLatch(CLIENTS);
                for (int c = 0; c < CLIENTS; c++) {
                    int client = c;
                    Thread.ofPlatform().start(() -> {
                        Random cr = new Random(100 + client + (held ? 0 : 50));
                        try {
                            for (int round = 0; round < ROUNDS; round++) {
                                String id = (held ? "h" : "f") + client + "-" + round;
                                float[] v = vector(cr);
                                s.ok("POST", "/v1/namespaces/raw/upsert", "{\"upsert_rows\":[" + row(id, v) + "]}");
                                int status = s.call("GET", "/v1/namespaces/raw/documents/" + id, null).statusCode();
                                if (status != 200) problems.add(id + ": GET right after the ack answered " + status);
                                JsonNode top = s.ok("POST", "/v1/namespaces/raw/search", "{\"vector\":" + json(v) + ",\"top_k\":1}").get("matches");
                                String first = top.isEmpty() ? null : top.get(0).get("id").asText();
                                if (!id.equals(first)) problems.add(id + ": its own vector's top-1 was " + first);
                            }
                        } catch (Throwable e) {
                            problems.add("client " + client + ": " + e);
                        } finally {
                            done.countDown();
                        }
                    });
                }
                assertThat(done.await(5, TimeUnit.MINUTES)).isTrue();
                if (held) tailSeen[0] = ns.shard(0).unindexedBytes() + ns.shard(1).unindexedBytes();
            }
            for (int i = 0; i < 2; i++) ns.shard(i).holdIndexing(false);
            assertThat(tailSeen[0]).as("bytes acked but not indexed while the workers were held").isPositive();
            assertThat(problems).as("read-after-write failures").isEmpty();
            assertThat(s.ok("GET", "/v1/namespaces/raw", null).get("approx_row_count").asInt()).isEqualTo(1200 + 2 * CLIENTS * ROUNDS);
        }
    }

    static float[] vector(Random r) {
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    static String json(float[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) sb.append(i == 0 ? "" : ",").append(v[i]);
        return sb.append(']').toString();
    }

    static String row(String id, float[] v) {
        return "{\"id\":\"" + id + "\",\"vector\":" + json(v) + "}";
    }
}
