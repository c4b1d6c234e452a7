package io.tamter.node.index.spann;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link ProbeCalibrator}: when a search is a sample, and the depth and limit it computes from the samples. */
class ProbeCalibratorTest {
    private static final int CAP = 128;

    /** Fills the window: {@code deep} samples have one match of ten found at rank 50, the rest find all ten within rank 5. */
    private static ProbeCalibrator filled(int deep, long writes) {
        ProbeCalibrator c = new ProbeCalibrator();
        for (int i = 0; i < ProbeCalibrator.WINDOW; i++) {
            int[] ranks = {1, 1, 2, 2, 3, 3, 4, 4, 5, i < deep ? 50 : 5};
            c.record(ranks, i == 7 ? 3.5f : i == 9 ? 2.5f : 1f + i / 100f, i == 3 ? 9f : i == 4 ? 8f : 5f, 0.99, CAP, writes, 100_000);
        }
        return c;
    }

    @Test
    void everySearchIsASampleUntilTheWindowIsFull() {
        ProbeCalibrator c = new ProbeCalibrator();
        for (int i = 0; i < ProbeCalibrator.WINDOW - 1; i++) {
            assertThat(c.plan(0.99, 0)).isNull();
            c.record(new int[] {1, 2, 3}, 1f, 1f, 0.99, CAP, 0, 100_000);
        }
        assertThat(c.current()).as("one sample short").isNull();
        c.record(new int[] {1, 2, 3}, 1f, 1f, 0.99, CAP, 0, 100_000);
        assertThat(c.current()).isNotNull();
        assertThat(c.current().nprobe()).isEqualTo(3);
    }

    @Test
    void depthIsTheSmallestThatReachesTheTarget() {
        // 4 of WINDOW (128) samples miss one of ten below rank 50: recall at rank 5 is 1 - 4 / 1280
        ProbeCalibrator c = filled(4, 0);
        assertThat(c.current().nprobe()).isEqualTo(5);
        assertThat(c.current().headLimit()).as("the second farthest nearest head of the samples").isEqualTo(2.5f);
        assertThat(c.current().kthLimit()).as("the second farthest k-th of the samples").isEqualTo(8f);
        c.record(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 1f, 1f, 0.995, CAP, 0, 100_000);
        // the oldest sample (one at rank 50) left; 3 remain: 1 - 3/1280 >= 0.995 at rank 5
        assertThat(c.current().nprobe()).isEqualTo(5);
        c.record(new int[] {60}, 1f, 1f, 0.999, CAP, 0, 100_000);
        assertThat(c.current().nprobe()).as("a target only the deep ranks reach").isEqualTo(60);
        c.record(new int[] {500}, 1f, 1f, 0.999, CAP, 0, 100_000);
        assertThat(c.current().nprobe()).as("never past the cap").isEqualTo(CAP);
    }

    @Test
    void oneSearchInSampleEveryIsASampleAndAnotherTargetResamples() {
        ProbeCalibrator c = filled(0, 0);
        int samples = 0;
        for (int i = 0; i < 10 * ProbeCalibrator.SAMPLE_EVERY; i++) if (c.plan(0.99, 0) == null) samples++;
        assertThat(samples).isEqualTo(10);
        assertThat(c.plan(0.5, 0)).as("a plan made for another target").isNull();
    }

    @Test
    void writesMakeSamplesStale() {
        ProbeCalibrator c = filled(0, 1_000);
        long allowance = (long) (ProbeCalibrator.STALE_CHANGE * 100_000);
        assertThat(c.current().validUntil()).isEqualTo(1_000 + allowance);
        int plans = 0;
        for (int i = 0; i < 2 * ProbeCalibrator.SAMPLE_EVERY; i++) if (c.plan(0.99, 1_000 + allowance) != null) plans++;
        assertThat(plans).as("within the allowance").isPositive();
        for (int i = 0; i < 2 * ProbeCalibrator.SAMPLE_EVERY; i++) assertThat(c.plan(0.99, 1_001 + allowance)).isNull();
        // a sample taken after that many writes drops every older one: no plan until the window is full again
        c.record(new int[] {1}, 1f, 1f, 0.99, CAP, 1_001 + allowance, 100_000);
        assertThat(c.current()).isNull();
    }
}
