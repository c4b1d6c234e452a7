package io.tamter.node.index.spann;

import static org.assertj.core.api.Assertions.assertThat;

import io.tamter.kernels.Metric;
import io.tamter.kernels.ScalarKernels;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class HeadIndexTest {
    /** Heads from which these tests' indexes search the graph (the scan limit they pass is this many heads). */
    private static final int GRAPH_FROM = 2048;

    @Test
    void sortTopKeepsTheNSmallestInOrder() {
        Random r = new Random(TestData.seed("HeadIndexTest"));
        for (int round = 0; round < 200; round++) {
            int m = r.nextInt(300);
            int n = 1 + r.nextInt(80);
            int[] ids = IntStream.range(0, m).map(i -> i * 7).toArray();
            float[] ds = new float[m];
            for (int i = 0; i < m; i++) ds[i] = r.nextInt(50); // many ties
            int[] outIds = new int[n];
            float[] outDs = new float[n];
            int k = HeadIndex.sortTop(ids, ds, m, n, outIds, outDs);
            assertThat(k).isEqualTo(Math.min(n, m));
            float[] expected = ds.clone();
            Arrays.sort(expected);
            assertThat(Arrays.copyOf(outDs, k)).containsExactly(Arrays.copyOf(expected, k));
            for (int i = 0; i < k; i++) assertThat(ds[outIds[i] / 7]).isEqualTo(outDs[i]);
        }
    }

    @Test
    void graphAndBruteForceAgreeOnTheNearestHeads() {
        int dim = 16;
        float[][] c = TestData.gaussian(GRAPH_FROM + 1000, dim, 5);
        try (HeadIndex hs = new HeadIndex(dim, Metric.L2, new ScalarKernels(), 32, 100, 4.0, (long) GRAPH_FROM * dim)) {
            for (int i = 0; i < c.length; i++) hs.add(i, c[i], 0);
            for (int i = 0; i < 500; i += 2) hs.remove(i); // deleted heads never come back
            int hits = 0, total = 0;
            for (float[] q : TestData.gaussian(50, dim, 6)) {
                int[] ids = new int[10];
                float[] ds = new float[10];
                int n = hs.nearest(q, 10, ids, ds);
                assertThat(n).isEqualTo(10);
                for (int i = 0; i < n; i++) assertThat(ids[i] >= 500 || ids[i] % 2 == 1).isTrue();
                int[] exact = IntStream.range(0, c.length).filter(i -> i >= 500 || i % 2 == 1).boxed()
                        .sorted(Comparator.comparingDouble(i -> new ScalarKernels().squaredL2(q, 0, c[i], 0, dim)))
                        .limit(10).mapToInt(Integer::intValue).toArray();
                for (int id : ids) for (int e : exact) if (id == e) hits++;
                total += 10;
            }
            assertThat(hits / (double) total).as("graph head search recall").isGreaterThan(0.95);
        }
    }

    @Test
    void graphSearchSurvivesChurnAndCompaction() {
        int dim = 16;
        Random r = new Random(TestData.seed("HeadIndexTest.churn"));
        try (HeadIndex hs = new HeadIndex(dim, Metric.L2, new ScalarKernels(), 32, 100, 2.0, (long) GRAPH_FROM * dim)) {
            int next = 0;
            java.util.List<Integer> live = new java.util.ArrayList<>();
            for (int round = 0; round < 30; round++) {
                for (int i = 0; i < 300; i++) {
                    float[] v = new float[dim];
                    for (int j = 0; j < dim; j++) v[j] = (float) r.nextGaussian() + round;
                    hs.add(next, v, 0);
                    live.add(next++);
                }
                for (int i = 0; i < 180; i++) hs.remove(live.remove(r.nextInt(live.size())));
                hs.compactIfWorthIt();
                int[] ids = new int[10];
                float[] ds = new float[10];
                float[] q = new float[dim];
                for (int j = 0; j < dim; j++) q[j] = (float) r.nextGaussian() + round;
                assertThat(hs.nearest(q, 10, ids, ds)).as("round %d, %d live heads", round, hs.size()).isEqualTo(10);
            }
        }
    }

    @Test
    void headsAddedByAnotherThreadAreFoundByTheNextSearch() throws Exception {
        int dim = 8;
        try (HeadIndex hs = new HeadIndex(dim, Metric.L2, new ScalarKernels(), 16, 64, 2.0, (long) GRAPH_FROM * dim)) {
            float[][] c = TestData.gaussian(GRAPH_FROM + 1000, dim, 8); // graph, not scan
            for (int i = 0; i < c.length; i++) hs.add(i, c[i], 0);
            int[] ids = new int[1];
            float[] ds = new float[1];
            hs.nearest(c[0], 1, ids, ds); // this thread has searched before the add below
            float[] fresh = TestData.gaussian(1, dim, 99)[0];
            Thread t = new Thread(() -> hs.add(50_000, fresh, 0)); // as the rebalancer adds a split's heads
            t.start();
            t.join();
            assertThat(hs.nearest(fresh, 1, ids, ds)).isEqualTo(1);
            assertThat(ids[0]).as("a head another thread added after this thread's first search").isEqualTo(50_000);
        }
    }

    @Test
    void massRemovalThenRegrowthStillFindsTheNearestHeads() {
        // the shape of a streaming run: most heads merged away, new ones added elsewhere
        int dim = 16;
        Random r = new Random(TestData.seed("HeadIndexTest.massRemoval"));
        try (HeadIndex hs = new HeadIndex(dim, Metric.L2, new ScalarKernels(), 32, 100, 2.0, (long) GRAPH_FROM * dim)) {
            int total = GRAPH_FROM * 2;
            java.util.Map<Integer, float[]> live = new java.util.HashMap<>();
            for (int i = 0; i < total; i++) {
                float[] v = new float[dim];
                for (int j = 0; j < dim; j++) v[j] = (float) r.nextGaussian();
                hs.add(i, v, 0);
                live.put(i, v);
            }
            for (int i = 0; i < total - 100; i++) {
                hs.remove(i);
                live.remove(i);
            }
            hs.compactIfWorthIt();
            for (int i = total; i < total + GRAPH_FROM + 500; i++) {
                float[] v = new float[dim];
                for (int j = 0; j < dim; j++) v[j] = (float) r.nextGaussian() + 5;
                hs.add(i, v, 0);
                live.put(i, v);
            }
            int hits = 0;
            for (int t = 0; t < 50; t++) {
                float[] q = new float[dim];
                for (int j = 0; j < dim; j++) q[j] = (float) r.nextGaussian() + (t % 2) * 5;
                int[] ids = new int[10];
                float[] ds = new float[10];
                assertThat(hs.nearest(q, 10, ids, ds)).isEqualTo(10);
                int[] exact = live.entrySet().stream()
                        .sorted(Comparator.comparingDouble(e -> new ScalarKernels().squaredL2(q, 0, e.getValue(), 0, dim)))
                        .limit(10).mapToInt(java.util.Map.Entry::getKey).toArray();
                for (int id : ids) for (int e : exact) if (id == e) hits++;
            }
            System.out.printf("mass removal: recall %.3f, graph shortfalls %d%n", hits / 500.0, hs.graphShortfalls());
            assertThat(hits / 500.0).isGreaterThan(0.9);
        }
    }
}
