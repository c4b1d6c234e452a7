package io.tamter.node.index.spann;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.kernels.ScalarKernels;
import io.tamter.node.vector.VectorMetric;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Behaviour of one shard's index: flat vs built, versions, deletes, pruning, LIRE under churn, reopen. */
class IndexBehaviourTest {
    private static final int DIM = 8;

    static Settings small() {
        return Settings.defaults()
                .with(Params.BUILD_POSTING, 16).with(Params.MAX_POSTING, 32).with(Params.MIN_POSTING, 10)
                .with(Params.BUILD_THRESHOLD, 200).with(Params.NPROBE, 8).with(Params.REASSIGN_K, 8);
    }

    static long[] bruteForce(float[][] data, boolean[] live, float[] q, int k) {
        ScalarKernels s = new ScalarKernels();
        return IntStream.range(0, data.length).filter(i -> live[i]).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> s.squaredL2(q, 0, data[i], 0, q.length)).thenComparing(i -> i))
                .limit(k).mapToLong(i -> i).toArray();
    }

    static long[] vids(SpfreshIndex.SearchResult r) {
        return r.matches().stream().mapToLong(SpfreshIndex.Match::vid).toArray();
    }

    @Test
    void belowTheBuildThresholdSearchIsExact(@TempDir Path dir) {
        float[][] data = TestData.gaussian(150, DIM, 1);
        boolean[] live = new boolean[data.length];
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM, small())) {
            for (int i = 0; i < data.length; i++) {
                index.insert(i, data[i]);
                live[i] = true;
            }
            assertThat(index.core().state()).isEqualTo(IndexMetaCodec.State.FLAT);
            for (float[] q : TestData.gaussian(20, DIM, 2)) {
                assertThat(vids(index.search(q, 10))).containsExactly(bruteForce(data, live, q, 10));
            }
            assertThat(IntegrityCheck.run(index.core().db()).problems()).isEmpty();
        }
    }

    @Test
    void crossingTheThresholdBuildsHeadsAndKeepsEveryVector(@TempDir Path dir) {
        float[][] data = TestData.gaussian(1000, DIM, 3);
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM, small())) {
            for (int i = 0; i < data.length; i++) index.insert(i, data[i]);
            assertThat(index.core().state()).isEqualTo(IndexMetaCodec.State.BUILT);
            assertThat(index.core().heads().size()).isGreaterThan(1);
            // once the rebalancer is idle, every vector is found by a search for itself that reads
            // every posting, and nearly every one at the configured nprobe (8): SPFresh keeps each
            // vector near its heads, not always among its 8 nearest (a split far away can push
            // them out), so an exact "always" holds only for the exhaustive search. (While a vector
            // is being moved, a search that fetched its postings before the move and reads the
            // version map after it misses it: the window documented in SpannSearcher.)
            index.awaitQuiescent();
            int found = 0, tried = 0;
            for (int i = 0; i < data.length; i += 7, tried++) {
                SpfreshIndex.SearchOptions all = index.defaults(3).withNprobe(index.core().heads().size()).withEpsilon(1e9).withRadiusFactor(1.0);
                assertThat(vids(index.search(data[i], all))).contains((long) i);
                long self = i;
                if (Arrays.stream(vids(index.search(data[i], 3))).anyMatch(v -> v == self)) found++;
            }
            assertThat(found / (double) tried).as("self-recall at nprobe 8").isGreaterThanOrEqualTo(0.95);
            IntegrityCheck.Report r = IntegrityCheck.run(index.core().db());
            assertThat(r.problems()).isEmpty();
            assertThat(r.liveVectors()).isEqualTo(1000);
        }
    }

    @Test
    void staleVersionsAndDeletesAreNeverReturned(@TempDir Path dir) {
        for (int n : new int[] {100, 800}) { // flat, then built
            Path d = dir.resolve("n" + n);
            float[][] data = TestData.gaussian(n, DIM, 5);
            try (SpfreshIndex index = SpfreshIndex.openStandalone(d, VectorMetric.EUCLIDEAN_SQUARED, DIM, small())) {
                for (int i = 0; i < n; i++) index.insert(i, data[i]);
                float[] moved = new float[DIM];
                Arrays.fill(moved, 50f);
                index.insert(3, moved); // update: the old entry of vid 3 is now stale
                assertThat(index.delete(7)).isTrue();
                assertThat(index.delete(7)).as("second delete").isFalse();
                assertThat(index.contains(7)).isFalse();
                // the stale entry is still stored until the next rewrite, but never returned
                IndexStats st = index.stats(); // one snapshot: the rebalancer may append or rewrite between two
                assertThat(st.entries()).isGreaterThan(st.liveEntries());
                SpfreshIndex.SearchResult atOld = index.search(data[3], 5);
                assertThat(atOld.matches()).noneMatch(m -> m.vid() == 3 && m.distance() < 1e-3);
                assertThat(vids(index.search(moved, 1))).containsExactly(3);
                assertThat(vids(index.search(data[7], 10))).doesNotContain(7L);
                for (float[] q : TestData.gaussian(30, DIM, 9)) assertThat(vids(index.search(q, 20))).doesNotContain(7L);
            }
            try (SpfreshIndex again = SpfreshIndex.openStandalone(d, VectorMetric.EUCLIDEAN_SQUARED, DIM, small())) {
                assertThat(again.contains(7)).as("delete survives reopen").isFalse();
                assertThat(again.liveCount()).isEqualTo(n - 1);
                assertThat(vids(again.search(data[7], 10))).doesNotContain(7L);
            }
        }
    }

    @Test
    void queryAwarePruningSkipsFarPostings(@TempDir Path dir) {
        // two clusters 1000 apart: with a small epsilon the far cluster's postings are never read
        Random r = new Random(11);
        float[][] data = new float[2000][DIM];
        for (int i = 0; i < data.length; i++) {
            for (int j = 0; j < DIM; j++) data[i][j] = (float) r.nextGaussian() + (i < 1000 ? 0 : 1000);
        }
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM, small())) {
            index.bulkBuild(data.length, i -> i, i -> data[i]);
            index.awaitQuiescent();
            float[] q = data[10];
            SpfreshIndex.SearchOptions wide = index.defaults(10).withNprobe(1000).withEpsilon(1e12).withRadiusFactor(1.0);
            SpfreshIndex.SearchOptions pruned = wide.withEpsilon(10.0);
            SpfreshIndex.SearchResult all = index.search(q, wide);
            SpfreshIndex.SearchResult few = index.search(q, pruned);
            int[] far = {0};
            index.core().heads().forEach(h -> {
                if (h.centroid[0] > 500) far[0]++;
            });
            assertThat(far[0]).isGreaterThan(10);
            assertThat(all.postingsScanned()).isEqualTo(index.core().heads().size());
            assertThat(few.postingsScanned()).isLessThanOrEqualTo(all.postingsScanned() - far[0]);
            assertThat(vids(few)).containsExactly(vids(all));
        }
    }

    @Test
    void filteredSearchReturnsOnlyAllowedVidsAndWidensToFindK(@TempDir Path dir) {
        float[][] data = TestData.gaussian(3000, DIM, 21);
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM, small())) {
            index.bulkBuild(data.length, i -> i, i -> data[i]);
            // allow every 97th vid: far fewer than nprobe postings' worth near any query
            ByteBuffer bits = ByteBuffer.allocateDirect((data.length + 63) / 64 * 8).order(ByteOrder.LITTLE_ENDIAN);
            boolean[] allowed = new boolean[data.length];
            for (int i = 0; i < data.length; i += 97) {
                allowed[i] = true;
                bits.putLong((i >>> 6) * 8, bits.getLong((i >>> 6) * 8) | (1L << (i & 63)));
            }
            double recall = 0;
            float[][] qs = TestData.gaussian(20, DIM, 22);
            for (float[] q : qs) {
                SpfreshIndex.SearchResult res = index.search(q, index.defaults(10).withFilter(bits, data.length));
                assertThat(res.matches()).hasSize(10);
                for (SpfreshIndex.Match m : res.matches()) assertThat(allowed[(int) m.vid()]).isTrue();
                recall += TestData.recall(vids(res), toInt(bruteForce(data, allowed, q, 10)), 10);
            }
            // widening stops once k matches are found, so a 1% filter is approximate here; the shard
            // answers such selective filters exactly (SPFRESH.md), the index only guarantees k allowed matches
            assertThat(recall / qs.length).isGreaterThan(0.7);
        }
    }

    @Test
    void lireKeepsPostingsWithinLimitsUnderChurn(@TempDir Path dir) {
        float[][] data = TestData.gaussian(4000, DIM, 31);
        boolean[] live = new boolean[data.length];
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM, small())) {
            for (int i = 0; i < data.length; i++) {
                index.insert(i, data[i]);
                live[i] = true;
            }
            index.awaitQuiescent();
            IndexStats grown = index.stats();
            assertThat(grown.maxPosting()).isLessThanOrEqualTo(32);
            assertThat(index.rebalancerStats().get("splits")).isPositive();
            int headsBefore = grown.heads();
            for (int i = 0; i < data.length; i++) {
                if (i % 4 != 0) {
                    index.delete(i);
                    live[i] = false;
                }
            }
            index.awaitQuiescent();
            IndexStats shrunk = index.stats();
            assertThat(index.rebalancerStats().get("merges")).isPositive();
            assertThat(shrunk.heads()).isLessThan(headsBefore * 3 / 4);
            assertThat(shrunk.maxPosting()).isLessThanOrEqualTo(32);
            assertThat(shrunk.staleFraction()).as("stale entries are collected").isLessThan(0.5);
            assertThat(IntegrityCheck.run(index.core().db()).problems()).isEmpty();
            float[][] qs = TestData.gaussian(50, DIM, 32);
            double churned = meanRecall(index, data, live, qs);
            // the bar: an index built from scratch on the same live vectors with the same settings
            try (SpfreshIndex fresh = SpfreshIndex.openStandalone(dir.resolve("fresh"), VectorMetric.EUCLIDEAN_SQUARED, DIM, small())) {
                int[] keep = IntStream.range(0, data.length).filter(i -> live[i]).toArray();
                fresh.bulkBuild(keep.length, i -> keep[i], i -> data[keep[i]]);
                double rebuilt = meanRecall(fresh, data, live, qs);
                System.out.printf("churned recall %.3f, rebuilt %.3f, %s, %s%n", churned, rebuilt, shrunk, index.rebalancerStats());
                // Known gap (see benchmarks/README.md): after a uniform 75% delete the churned index carries
                // more replicas per vector than a rebuild (about 1.6 vs 1.1 here), so nprobe postings hold fewer
                // distinct vectors. Asserted here: recall does not collapse; the stream benchmark measures the gap.
                assertThat(churned).isGreaterThan(0.75);
                assertThat(rebuilt).isGreaterThan(0.9);
            }
        }
    }

    private static double meanRecall(SpfreshIndex index, float[][] data, boolean[] live, float[][] qs) {
        double recall = 0;
        for (float[] q : qs) recall += TestData.recall(vids(index.search(q, 10)), toInt(bruteForce(data, live, q, 10)), 10);
        return recall / qs.length;
    }

    @Test
    void reopenRestoresTheSameResults(@TempDir Path dir) {
        float[][] data = TestData.gaussian(2500, DIM, 41);
        float[][] qs = TestData.gaussian(25, DIM, 42);
        List<long[]> before = new ArrayList<>();
        int heads;
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM, small())) {
            for (int i = 0; i < data.length; i++) index.insert(i, data[i]);
            index.awaitQuiescent();
            heads = index.core().heads().size();
            for (float[] q : qs) before.add(vids(index.search(q, index.defaults(10).withNprobe(1000))));
        }
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, null, 0, small())) {
            assertThat(index.dim()).isEqualTo(DIM);
            assertThat(index.core().heads().size()).isEqualTo(heads);
            for (int i = 0; i < qs.length; i++) {
                assertThat(vids(index.search(qs[i], index.defaults(10).withNprobe(1000)))).containsExactly(before.get(i));
            }
        }
    }

    @Test
    void badInputIsRejectedWithTheFieldNamed(@TempDir Path dir) {
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM, small())) {
            assertThatThrownBy(() -> index.insert(1, new float[DIM - 1])).hasMessageContaining("vector has 7 dimensions, index has 8");
            float[] nan = new float[DIM];
            nan[2] = Float.NaN;
            assertThatThrownBy(() -> index.insert(1, nan)).hasMessageContaining("vector[2] is NaN");
            assertThatThrownBy(() -> index.insert(-1, new float[DIM])).hasMessageContaining("vid=-1");
            assertThatThrownBy(() -> index.search(new float[3], 10)).hasMessageContaining("query vector has 3 dimensions");
            assertThat(index.liveCount()).isZero();
        }
        assertThatThrownBy(() -> SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM + 1, small()))
                .hasMessageContaining("has 8 dimensions, not 9");
        assertThatThrownBy(() -> SpfreshIndex.openStandalone(dir, VectorMetric.DOT_PRODUCT, DIM, small()))
                .hasMessageContaining("uses euclidean_squared, not dot_product");
    }

    private static int[] toInt(long[] a) {
        return Arrays.stream(a).mapToInt(x -> (int) x).toArray();
    }
}
