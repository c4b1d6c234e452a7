package io.tamter.node.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How a grid recall picks its queries from the nodes' samples ({@link RecallProbe#pick}) and scores merged hits. */
class RecallProbeTest {
    static List<float[]> vectors(int from, int n) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new float[] {from + i});
        return out;
    }

    static Set<Float> firsts(List<float[]> vs) {
        Set<Float> out = new HashSet<>();
        for (float[] v : vs) out.add(v[0]);
        return out;
    }

    @Test
    void picksEveryVectorWhenAskedForMoreThanThereAre() {
        List<RecallProbe.Sample> samples = List.of(new RecallProbe.Sample(5, vectors(0, 5)), new RecallProbe.Sample(3, vectors(100, 3)),
                new RecallProbe.Sample(0, List.of()));
        List<float[]> picked = RecallProbe.pick(samples, 1000, new Random(1));
        assertThat(picked).hasSize(8);
        assertThat(firsts(picked)).hasSize(8);
    }

    @Test
    void aSampleOutOfVectorsIsDrawnFromNoMore() {
        // node 1 drew from 1000 candidates but only 2 had vectors: the rest come from node 2
        List<RecallProbe.Sample> samples = List.of(new RecallProbe.Sample(1000, vectors(0, 2)), new RecallProbe.Sample(10, vectors(100, 10)));
        List<float[]> picked = RecallProbe.pick(samples, 12, new Random(2));
        assertThat(firsts(picked)).hasSize(12);
    }

    @Test
    void drawsInProportionToCandidates() {
        int fromFirst = 0;
        Random rnd = new Random(3); // one generator: the first draws of consecutively seeded ones are correlated
        for (int i = 0; i < 2000; i++) {
            List<RecallProbe.Sample> samples = List.of(new RecallProbe.Sample(300, vectors(0, 1)), new RecallProbe.Sample(100, vectors(100, 1)));
            if (RecallProbe.pick(samples, 1, rnd).get(0)[0] == 0f) fromFirst++;
        }
        assertThat(fromFirst).as("3 in 4 draws from the node with 3 times the candidates").isBetween(1400, 1600);
    }

    @Test
    void scoreMergesEachQuerysHitsOverTheNodesIntoItsTopK() {
        // one query, k=2: the exact top 2 are (0,1) at 0.1 and (1,7) at 0.2; the index found (0,1) and (1,9) at 0.5
        RecallProbe.Hits node0 = new RecallProbe.Hits(List.of(new RecallProbe.Hit(0, 1, 0.1f)), List.of(new RecallProbe.Hit(0, 1, 0.1f)));
        RecallProbe.Hits node1 = new RecallProbe.Hits(List.of(new RecallProbe.Hit(1, 9, 0.5f)),
                List.of(new RecallProbe.Hit(1, 7, 0.2f), new RecallProbe.Hit(1, 9, 0.5f)));
        RecallProbe.Result r = RecallProbe.score(List.of(List.of(node0), List.of(node1)), 1, 2);
        assertThat(r.sampled()).isEqualTo(1);
        assertThat(r.avgRecall()).isEqualTo(0.5);
        assertThat(r.avgAnnCount()).isEqualTo(2.0);
        assertThat(r.avgExhaustiveCount()).isEqualTo(2.0);
        assertThat(RecallProbe.score(List.of(), 0, 10)).isEqualTo(new RecallProbe.Result(0, 0, 0, 0));
    }
}
