package io.tamter.node.index.spann;

import static org.assertj.core.api.Assertions.assertThat;

import io.tamter.kernels.Metric;
import io.tamter.kernels.ScalarKernels;
import io.tamter.node.vector.VectorMetric;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * {@link HeadNeighbourhood} answers only what it can prove: every answer it gives equals an exact
 * scan of all live heads, removed heads never come back, and it does answer most lookups for
 * vectors near its centre (else it would save the rebalancer nothing).
 */
class HeadNeighbourhoodTest {
    private final ScalarKernels kernels = new ScalarKernels();

    @Test
    void answersEqualAnExactScanForL2() {
        check(VectorMetric.EUCLIDEAN_SQUARED, "HeadNeighbourhoodTest.l2", Double.POSITIVE_INFINITY);
        check(VectorMetric.EUCLIDEAN_SQUARED, "HeadNeighbourhoodTest.l2", 1.6);
    }

    @Test
    void answersEqualAnExactScanForCosine() {
        check(VectorMetric.COSINE_DISTANCE, "HeadNeighbourhoodTest.cosine", Double.POSITIVE_INFINITY);
        check(VectorMetric.COSINE_DISTANCE, "HeadNeighbourhoodTest.cosine", 1.6);
    }

    /**
     * With a finite {@code closure} only the prefix the replica rules read must be exact: every
     * head whose rule distance is within closure times the nearest's, in order.
     */
    private void check(VectorMetric vm, String seedName, double closure) {
        int dim = 16;
        int want = 32;
        Random r = new Random(TestData.seed(seedName));
        float[][] c = TestData.gaussian(3000, dim, r.nextLong());
        for (int i = 0; i < c.length; i++) c[i] = vm.prepare(c[i]);
        Metric m = vm.kernelMetric();
        try (HeadIndex hs = new HeadIndex(dim, m, kernels, 32, 100, 2.0)) {
            for (int i = 0; i < c.length; i++) hs.add(i, c[i], 0);
            for (int i = 0; i < c.length; i += 3) hs.remove(i);
            long answered = 0, asked = 0;
            int[] ids = new int[want];
            float[] ds = new float[want];
            for (int round = 0; round < 40; round++) {
                int centre = 1 + 3 * r.nextInt(900); // a live head
                HeadNeighbourhood nb = HeadNeighbourhood.around(hs, kernels, vm, c[centre], 256);
                if (round == 0) hs.remove(centre + 1); // removed after the neighbourhood was taken
                for (int v = 0; v < 50; v++) {
                    float[] x = c[centre].clone();
                    double spread = v < 25 ? 0.05 : 0.6; // near the centre, then farther out
                    for (int j = 0; j < dim; j++) x[j] += (float) (spread * r.nextGaussian());
                    x = vm.prepare(x);
                    asked++;
                    int n = nb.nearest(x, want, ids, ds, closure);
                    if (n < 0) continue;
                    answered++;
                    float[] q = x;
                    int[] exact = IntStream.range(0, c.length).filter(hs::isAlive).boxed()
                            .sorted(Comparator.comparingDouble(i -> kernels.distance(m, q, 0, c[i], 0, dim)))
                            .limit(want).mapToInt(Integer::intValue).toArray();
                    assertThat(n).isEqualTo(want);
                    double limit = closure * vm.ratioDistance(kernels.distance(m, q, 0, c[exact[0]], 0, dim));
                    for (int i = 0; i < n; i++) {
                        assertThat(hs.isAlive(ids[i])).as("a removed head").isTrue();
                        float exactD = kernels.distance(m, q, 0, c[exact[i]], 0, dim);
                        if (vm.ratioDistance(exactD) > limit) break; // past what the rules read
                        assertThat(ds[i]).as("rank %d", i).isEqualTo(exactD);
                    }
                }
                assertThat(nb.exactCount() + nb.fallbackCount()).isEqualTo(50);
            }
            assertThat(answered).as("lookups proven inside the neighbourhood of %d", asked).isGreaterThan(asked / 4);
            assertThat(answered).as("far vectors must fall back sometimes").isLessThan(asked);
        }
    }

    @Test
    void aNeighbourhoodHoldingEveryHeadAlwaysAnswers() {
        int dim = 8;
        float[][] c = TestData.gaussian(100, dim, 3);
        try (HeadIndex hs = new HeadIndex(dim, Metric.L2, kernels, 16, 64, 2.0)) {
            for (int i = 0; i < c.length; i++) hs.add(i, c[i], 0);
            HeadNeighbourhood nb = HeadNeighbourhood.around(hs, kernels, VectorMetric.EUCLIDEAN_SQUARED, c[0], 256);
            int[] ids = new int[10];
            float[] ds = new float[10];
            float[] far = new float[dim];
            java.util.Arrays.fill(far, 100f);
            assertThat(nb.nearest(far, 10, ids, ds, Double.POSITIVE_INFINITY)).isEqualTo(10);
            int[] outIds = new int[10];
            float[] outDs = new float[10];
            hs.nearest(far, 10, outIds, outDs);
            assertThat(ids).containsExactly(outIds);
        }
    }
}
