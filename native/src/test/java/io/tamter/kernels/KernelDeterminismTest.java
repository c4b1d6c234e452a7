package io.tamter.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Vector API kernels give bit-identical answers however warm the JVM is: the first calls run
 * the Java fallback of the Vector API, later ones the JIT's intrinsics, and a search must score
 * a vector the same either way (an index restored on another node is compared with the original).
 */
class KernelDeterminismTest {
    @Test
    void answersDoNotChangeOnceTheJitCompiled() {
        VectorApiKernels k = new VectorApiKernels();
        Random r = new Random(3);
        int dim = 384;
        float[][] a = new float[8][dim];
        float[][] b = new float[8][dim];
        for (int i = 0; i < 8; i++) {
            for (int d = 0; d < dim; d++) {
                a[i][d] = (float) r.nextGaussian();
                b[i][d] = (float) r.nextGaussian() * 1e3f; // mixed magnitudes make the order of additions visible
            }
        }
        float[] firstDot = new float[8], firstL2 = new float[8];
        for (int i = 0; i < 8; i++) {
            firstDot[i] = k.dot(a[i], 0, b[i], 0, dim);
            firstL2[i] = k.squaredL2(a[i], 0, b[i], 0, dim);
        }
        float sink = 0;
        for (int round = 0; round < 200_000; round++) sink += k.dot(a[round & 7], 0, b[round & 7], 0, dim) + k.squaredL2(a[round & 7], 0, b[round & 7], 0, dim);
        assertThat(sink).isNotNaN();
        for (int i = 0; i < 8; i++) {
            assertThat(k.dot(a[i], 0, b[i], 0, dim)).as("dot %d", i).isEqualTo(firstDot[i]);
            assertThat(k.squaredL2(a[i], 0, b[i], 0, dim)).as("squaredL2 %d", i).isEqualTo(firstL2[i]);
        }
    }
}
