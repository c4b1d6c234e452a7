package io.tamter.node.index.spann;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** TopK against a reference: the k smallest of each vid's smallest distance, whatever the order of offers. */
class TopKTest {
    @Test
    void keepsEachVidsSmallestDistanceInAnyOrder() {
        Random r = new Random(5);
        for (int round = 0; round < 2000; round++) {
            int k = 1 + r.nextInt(12);
            TopK top = new TopK(k);
            Map<Long, Float> best = new HashMap<>();
            int offers = r.nextInt(60);
            for (int i = 0; i < offers; i++) {
                long vid = r.nextInt(20); // many repeats: replicas of one vector
                float d = r.nextInt(50) / 4f;
                top.offer(vid, d);
                best.merge(vid, d, Math::min);
            }
            long[] want = best.entrySet().stream()
                    .sorted(Map.Entry.<Long, Float>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
                    .limit(k).mapToLong(Map.Entry::getKey).toArray();
            TopK.Result got = top.sorted();
            assertThat(got.size()).isEqualTo(want.length);
            for (int i = 0; i < got.size(); i++) {
                // ties in distance may come in either vid order; the distances must match exactly
                assertThat(got.dists()[i]).isEqualTo(best.get(want[i]));
                assertThat(best.get(got.vids()[i])).isEqualTo(got.dists()[i]);
            }
        }
    }
}
