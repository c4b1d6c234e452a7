package io.tamter.node.index.spann;

import static org.assertj.core.api.Assertions.assertThat;

import io.tamter.node.vector.VectorMetric;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A vector far outside every posting opens a head of its own ({@code SpannCore#opensNewRegion}),
 * and the vectors of its region that follow go there, not into the nearest old posting.
 */
class NewRegionTest {
    private static final int DIM = 8;

    @Test
    void aRegionTheIndexHasNotSeenGetsItsOwnHead(@TempDir Path dir) {
        float[][] old = TestData.blob(600, DIM, 0f, 0.1f, 51);
        float[][] fresh = TestData.blob(40, DIM, 5f, 0.1f, 52); // far from every old posting
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM, IndexBehaviourTest.small())) {
            for (int i = 0; i < old.length; i++) index.insert(i, old[i]);
            index.awaitQuiescent();
            // searches read every posting, so their radii are known (they are what the rule compares with)
            SpfreshIndex.SearchOptions all = index.defaults(10).withNprobe(index.core().heads().size()).withEpsilon(1e9);
            for (float[] q : TestData.blob(20, DIM, 0f, 0.1f, 53)) index.search(q, all);
            int headsBefore = index.core().heads().size();
            index.insert(10_000, fresh[0]);
            assertThat(index.core().heads().size()).as("heads after the first far vector").isEqualTo(headsBefore + 1);
            float[] nearest = new float[DIM];
            int[] ids = new int[1];
            float[] ds = new float[1];
            index.core().heads().nearest(fresh[0], 1, ids, ds);
            System.arraycopy(index.core().heads().get(ids[0]).centroid, 0, nearest, 0, DIM);
            assertThat(nearest).as("the new head is the vector").containsExactly(fresh[0]);
            for (int i = 1; i < fresh.length; i++) index.insert(10_000 + i, fresh[i]);
            // Placement is checked once the rebalancer is done: an insert racing the split of the region's
            // posting (its head gone, the two new ones not yet in the head index) lands in the nearest old
            // posting until LIRE's reassignment moves it (seen once at load 15).
            index.awaitQuiescent();
            // the region's vectors went to its own head(s): none of the old postings holds one
            long[] inOld = {0};
            index.core().storage().forEachPosting((id, v) -> {
                HeadIndex.Head h = index.core().heads().get((int) id);
                if (h == null || h.centroid[0] > 2.5f) return; // a head of the new region
                LivePosting lp = LivePosting.of(v, DIM, index.core().versions(), (int) id);
                for (int i = 0; i < lp.count(); i++) if (lp.vid(i) >= 10_000) inOld[0]++;
            });
            assertThat(inOld[0]).as("new-region vectors in old postings").isZero();
            for (float[] q : fresh) {
                assertThat(Arrays.stream(IndexBehaviourTest.vids(index.search(q, 1))).boxed().toList().get(0)).isGreaterThanOrEqualTo(10_000L);
            }
        }
    }
}
