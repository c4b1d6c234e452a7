package io.tamter.node.index.lire;

import static org.assertj.core.api.Assertions.assertThat;

import io.tamter.kernels.Kernels;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The split's fallback when k-means gives one part: {@link LireOps#farthestPairParts}. */
class SplitFallbackTest {

    /**
     * Unit vectors in two groups, every pair at a positive dot product (as text embeddings are):
     * the fallback must find the two groups. Measured by dot distances (negative here) it found
     * no second vector and declined every such split.
     */
    @Test
    void unitVectorsInTwoGroupsSplitIntoThem() {
        Random r = new Random(5);
        int dim = 16, n = 100;
        float[][] v = new float[n][];
        for (int i = 0; i < n; i++) {
            float[] x = new float[dim];
            x[0] = 1f;
            if (i >= n / 2) x[1] = 1f;
            for (int j = 0; j < dim; j++) x[j] += 0.01f * (float) r.nextGaussian();
            double norm = 0;
            for (float c : x) norm += c * c;
            for (int j = 0; j < dim; j++) x[j] /= (float) Math.sqrt(norm);
            v[i] = x;
        }
        int[] parts = LireOps.farthestPairParts(v, Kernels.get());
        assertThat(parts).isNotNull();
        for (int i = 1; i < n; i++) {
            assertThat(parts[i]).as("vector %d", i).isEqualTo(i < n / 2 ? parts[0] : 1 - parts[0]);
        }
    }

    @Test
    void identicalVectorsHaveNothingToSplitOn() {
        float[][] v = new float[20][];
        for (int i = 0; i < v.length; i++) v[i] = new float[] {0.6f, 0.8f, 0f};
        assertThat(LireOps.farthestPairParts(v, Kernels.get())).isNull();
    }
}
