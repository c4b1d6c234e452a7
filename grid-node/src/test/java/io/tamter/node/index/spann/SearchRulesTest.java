package io.tamter.node.index.spann;

import static org.assertj.core.api.Assertions.assertThat;

import io.tamter.node.vector.VectorMetric;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The search's probe rules of {@link SpannSearcher}: patience, the adaptive depth, and postings a delete emptied. */
class SearchRulesTest {
    private static final int DIM = 8;

    /**
     * The adaptive depth ({@link ProbeCalibrator}): once measured, searches read fewer postings
     * than the cap and keep their recall against exhaustive search; a query far from every head
     * runs at the cap.
     */
    @Test
    void adaptiveDepthReadsLessAndKeepsRecallAndFarQueriesRunAtTheCap(@TempDir Path dir) {
        float[][] data = TestData.gaussian(4000, DIM, 51);
        int cap = 48;
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM,
                IndexBehaviourTest.small().with(io.tamter.config.Params.NPROBE, cap))) {
            for (int i = 0; i < data.length; i++) index.insert(i, data[i]);
            index.awaitQuiescent();
            assertThat(index.core().heads().size()).isGreaterThan(2 * cap);
            boolean[] live = new boolean[data.length];
            Arrays.fill(live, true);
            SpfreshIndex.SearchOptions adaptive = index.defaults(10).withTargetRecall(0.95);
            float[][] queries = TestData.gaussian(600, DIM, 52);
            long postings = 0, hits = 0, asked = 0;
            for (int i = 0; i < queries.length; i++) {
                SpfreshIndex.SearchResult r = index.search(queries[i], adaptive);
                if (i < 2 * ProbeCalibrator.WINDOW) continue; // measuring
                postings += r.postingsScanned() + r.postingsSkipped();
                long[] truth = IndexBehaviourTest.bruteForce(data, live, queries[i], 10);
                for (long v : IndexBehaviourTest.vids(r)) if (Arrays.stream(truth).anyMatch(t -> t == v)) hits++;
                asked += 10;
            }
            int n = queries.length - 2 * ProbeCalibrator.WINDOW;
            assertThat(index.probeDepth()).as("the measured depth").isBetween(1, cap - 1);
            assertThat(postings / (double) n).as("postings read per search").isLessThan(0.75 * cap);
            // the target is recall against the cap's answer, measured on a window of samples: allow for both
            assertThat(hits / (double) asked).as("recall against exhaustive search").isGreaterThan(0.9);
            float[] far = new float[DIM];
            Arrays.fill(far, 40f); // the data is N(0, 1): every head is far from it
            int atCap = 0;
            for (int i = 0; i < ProbeCalibrator.SAMPLE_EVERY; i++) {
                SpfreshIndex.SearchResult r = index.search(far, adaptive);
                if (r.postingsScanned() + r.postingsSkipped() >= cap) atCap++;
            }
            assertThat(atCap).as("a query farther from every head than the measured ones").isEqualTo(ProbeCalibrator.SAMPLE_EVERY);
            // an explicit nprobe turns it off
            assertThat(index.search(queries[0], index.defaults(10).withNprobe(cap)).postingsScanned()
                    + index.search(queries[0], index.defaults(10).withNprobe(cap)).postingsSkipped()).isEqualTo(cap);
        }
    }

    @Test
    void patienceReadsFewerPostingsAndZeroIsOff(@TempDir Path dir) {
        float[][] data = TestData.gaussian(3000, DIM, 41);
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM, IndexBehaviourTest.small())) {
            for (int i = 0; i < data.length; i++) index.insert(i, data[i]);
            index.awaitQuiescent();
            int heads = index.core().heads().size();
            SpfreshIndex.SearchOptions all = index.defaults(10).withNprobe(heads).withEpsilon(1e9).withRadiusFactor(1.0);
            long withAll = 0, withPatience = 0;
            for (float[] q : TestData.gaussian(30, DIM, 42)) {
                SpfreshIndex.SearchResult off = index.search(q, all.withPatience(0));
                SpfreshIndex.SearchResult on = index.search(q, all.withPatience(3));
                withAll += off.postingsScanned();
                withPatience += on.postingsScanned();
                assertThat(off.postingsScanned() + off.postingsSkipped()).as("patience 0 reads every head").isEqualTo(heads);
                // what the patient search found is what the full one found, as far as it got: its k-th is no better
                assertThat(on.matches().get(9).distance()).isGreaterThanOrEqualTo(off.matches().get(9).distance());
            }
            assertThat(withPatience).as("postings read with patience 3").isLessThan(withAll / 2);
        }
    }

    /**
     * Right after a cluster's vectors are all deleted, its heads are still the nearest ones for
     * queries about it; their postings hold nothing live. They must not use up nprobe: the search
     * reads as many more heads and finds the true neighbours in the next cluster. (The merges
     * these postings ask for run on the rebalancer while the search goes on; a merge that lands
     * first only makes the search look again, which finds the same neighbours.)
     */
    @Test
    void postingsADeleteEmptiedDoNotUseUpNprobe(@TempDir Path dir) {
        float[][] a = TestData.blob(120, DIM, 0f, 0.05f, 43);   // the cluster that will be deleted: a few heads
        float[][] b = TestData.blob(1200, DIM, 0.6f, 0.2f, 44); // its neighbour
        float[][] data = new float[a.length + b.length][];
        System.arraycopy(a, 0, data, 0, a.length);
        System.arraycopy(b, 0, data, a.length, b.length);
        boolean[] live = new boolean[data.length];
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM, IndexBehaviourTest.small())) {
            for (int i = 0; i < data.length; i++) {
                index.insert(i, data[i]);
                live[i] = true;
            }
            index.awaitQuiescent();
            for (int i = 0; i < a.length; i++) {
                index.delete(i);
                live[i] = false;
            }
            float[] q = new float[DIM]; // the deleted cluster's centre
            // nprobe = the deleted cluster's head count, so that the nearest nprobe heads are its own
            float[] bCentre = new float[DIM];
            Arrays.fill(bCentre, 0.6f);
            int[] aHeads = {0};
            index.core().heads().forEach(h -> {
                if (index.core().kernels().squaredL2(h.centroid, 0, q, 0, DIM) < index.core().kernels().squaredL2(h.centroid, 0, bCentre, 0, DIM)) aHeads[0]++;
            });
            assertThat(aHeads[0]).as("heads of the deleted cluster").isGreaterThan(1);
            SpfreshIndex.SearchResult r = index.search(q, index.defaults(10).withNprobe(aHeads[0]).withEpsilon(1e9).withRadiusFactor(1.0));
            long[] truth = IndexBehaviourTest.bruteForce(data, live, q, 10);
            long[] got = IndexBehaviourTest.vids(r);
            long hits = Arrays.stream(got).filter(v -> Arrays.stream(truth).anyMatch(t -> t == v)).count();
            assertThat(got).as("matches for a query about the deleted cluster").hasSize(10);
            // How many of the query's true neighbours the first nprobe postings of cluster b hold depends
            // on how the rebalancer split b, which depends on thread timing: 40 local runs found 8-10,
            // one CI run 7. Without the rule the search reads only the emptied postings and finds none.
            assertThat(hits).as("true neighbours found, postings read %d", r.postingsScanned()).isGreaterThanOrEqualTo(6);
            assertThat(r.postingsScanned()).as("postings read beyond the %d emptied ones", aHeads[0]).isGreaterThan(aHeads[0]);
        }
    }
}
