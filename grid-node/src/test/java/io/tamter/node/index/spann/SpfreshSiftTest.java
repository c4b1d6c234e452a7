package io.tamter.node.index.spann;

import static org.assertj.core.api.Assertions.assertThat;

import io.tamter.config.Settings;
import io.tamter.node.vector.VectorMetric;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIFT10K through both write paths (one insert at a time through LIRE, and the bulk build), scored against its ground truth. */
class SpfreshSiftTest {

    @Test
    void streamingInsertsReachHighRecall(@TempDir Path dir) {
        Path sift = TestData.sift10k();
        float[][] base = TestData.fvecs(sift.resolve("base.fvecs"));
        float[][] queries = TestData.fvecs(sift.resolve("query.fvecs"));
        int[][] gt = TestData.ivecs(sift.resolve("groundtruth.ivecs"));
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, 128, Settings.defaults())) {
            long t0 = System.nanoTime();
            for (int i = 0; i < base.length; i++) index.insert(i, base[i]);
            long t1 = System.nanoTime();
            index.awaitQuiescent();
            long t2 = System.nanoTime();
            // the shape right after the drain: the searches below feed the rebalancer (observe asks for
            // merges, re-centres and the splits they cause), so a posting may be over the limit again
            // while they run
            IndexStats st = index.stats();
            double recall = meanRecall(index, queries, gt);
            System.out.printf("streaming: insert %.1f s, drain %.1f s, recall@10 %.4f, %s, rebalancer %s%n",
                    (t1 - t0) / 1e9, (t2 - t1) / 1e9, recall, st, index.rebalancerStats());
            assertThat(st.liveVectors()).isEqualTo(base.length);
            assertThat(st.maxPosting()).isLessThanOrEqualTo(index.core().params().maxPosting());
            assertThat(recall).isGreaterThanOrEqualTo(0.90);
            assertThat(IntegrityCheck.run(index.core().db()).ok()).isTrue();
        }
    }

    @Test
    void bulkBuildReachesHighRecall(@TempDir Path dir) {
        Path sift = TestData.sift10k();
        float[][] base = TestData.fvecs(sift.resolve("base.fvecs"));
        float[][] queries = TestData.fvecs(sift.resolve("query.fvecs"));
        int[][] gt = TestData.ivecs(sift.resolve("groundtruth.ivecs"));
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, 128, Settings.defaults())) {
            index.bulkBuild(base.length, i -> i, i -> base[i]);
            double recall = meanRecall(index, queries, gt);
            System.out.printf("bulk: recall@10 %.4f, %s%n", recall, index.stats());
            assertThat(recall).isGreaterThanOrEqualTo(0.95);
            IntegrityCheck.Report r = IntegrityCheck.run(index.core().db());
            assertThat(r.problems()).isEmpty();
        }
    }

    static double meanRecall(SpfreshIndex index, float[][] queries, int[][] gt) {
        double sum = 0;
        for (int q = 0; q < queries.length; q++) {
            SpfreshIndex.SearchResult r = index.search(queries[q], 10);
            long[] got = r.matches().stream().mapToLong(SpfreshIndex.Match::vid).toArray();
            sum += TestData.recall(got, gt[q], 10);
        }
        return sum / queries.length;
    }
}
