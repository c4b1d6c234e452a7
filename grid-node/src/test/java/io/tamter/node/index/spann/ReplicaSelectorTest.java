package io.tamter.node.index.spann;

import static org.assertj.core.api.Assertions.assertThat;

import io.tamter.kernels.ScalarKernels;
import io.tamter.node.vector.VectorMetric;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Closure and RNG replica selection on hand-built geometry (squared L2 in the plane). */
class ReplicaSelectorTest {
    // x at the origin; A and B on either side, C behind A, D far off to the side
    private static final float[] X = {0, 0};
    private static final Map<Integer, float[]> HEADS = Map.of(
            1, new float[] {1, 0},        // d²=1
            2, new float[] {-1.1f, 0},    // d²=1.21
            3, new float[] {2, 0},        // d²=4, and d²(A,C)=1 < 4: behind A
            4, new float[] {0, 3});       // d²=9
    private static final int[] IDS = {1, 2, 3, 4};
    private static final float[] DISTS = {1f, 1.21f, 4f, 9f};

    private int[] select(VectorMetric m, int replicas, double closure, double rng) {
        ReplicaSelector s = new ReplicaSelector(m, new ScalarKernels(), replicas, closure, rng);
        int[] out = new int[replicas];
        int n = s.select(X, IDS, DISTS, IDS.length, HEADS::get, out);
        return Arrays.copyOf(out, n);
    }

    @Test
    void closureStopsAtTheFirstHeadTooFarAway() {
        // limit (1+4)·1 = 5: D (9) is cut; C is blocked by the RNG rule (behind A)
        assertThat(select(VectorMetric.EUCLIDEAN_SQUARED, 8, 4.0, 1.0)).containsExactly(1, 2);
        // with a loose closure D qualifies: neither A nor B is closer to D than x is
        assertThat(select(VectorMetric.EUCLIDEAN_SQUARED, 8, 100.0, 1.0)).containsExactly(1, 2, 4);
        // a tight closure keeps only the nearest
        assertThat(select(VectorMetric.EUCLIDEAN_SQUARED, 8, 0.1, 1.0)).containsExactly(1);
    }

    @Test
    void rngRuleSkipsHeadsBehindAChosenOne() {
        // C is blocked at every factor ≥ 0.25 since 1·d²(A,C)=1 < d²(x,C)=4
        assertThat(select(VectorMetric.EUCLIDEAN_SQUARED, 8, 100.0, 1.0)).doesNotContain(3);
        // a small factor blocks more: 0.1·d²(A,B)=0.441 < 1.21 blocks B too
        assertThat(select(VectorMetric.EUCLIDEAN_SQUARED, 8, 100.0, 0.1)).containsExactly(1);
        // factor 0 blocks nothing (0 < any positive distance... except it is a strict comparison)
        assertThat(select(VectorMetric.EUCLIDEAN_SQUARED, 8, 100.0, 0.0)).containsExactly(1);
    }

    @Test
    void replicaCountCapsTheChoice() {
        assertThat(select(VectorMetric.EUCLIDEAN_SQUARED, 1, 100.0, 1.0)).containsExactly(1);
        assertThat(select(VectorMetric.EUCLIDEAN_SQUARED, 2, 100.0, 1.0)).containsExactly(1, 2);
    }

    @Test
    void goneHeadsAreSkipped() {
        ReplicaSelector s = new ReplicaSelector(VectorMetric.EUCLIDEAN_SQUARED, new ScalarKernels(), 8, 100.0, 1.0);
        int[] out = new int[8];
        int n = s.select(X, IDS, DISTS, IDS.length, id -> id == 1 ? null : HEADS.get(id), out);
        assertThat(Arrays.copyOf(out, n)).containsExactly(2, 3, 4);
    }

    @Test
    void cosineRulesUseOneMinusCosine() {
        // unit vectors at 0°, 60° and 180° from x: 1-cos = 0, 0.5, 2
        float[] x = {1, 0};
        Map<Integer, float[]> heads = Map.of(1, new float[] {1, 0}, 2, new float[] {0.5f, (float) Math.sqrt(0.75)}, 3, new float[] {-1, 0});
        ReplicaSelector s = new ReplicaSelector(VectorMetric.COSINE_DISTANCE, new ScalarKernels(), 8, 1.0, 1.0);
        int[] out = new int[8];
        // kernel distances are -cos: -1, -0.5, 1 ; d1 = 0 so the closure keeps only distance-0 heads
        int n = s.select(x, new int[] {1, 2, 3}, new float[] {-1f, -0.5f, 1f}, 3, heads::get, out);
        assertThat(Arrays.copyOf(out, n)).containsExactly(1);
    }
}
