package io.tamter.node.index.spann;

import static org.assertj.core.api.Assertions.assertThat;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.vector.VectorMetric;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Searches that scan postings' 1-bit codes ({@link ResidualCodes}) and compute exact distances
 * only where a code's error bound can beat the k-th find what the full float scan finds, on
 * the same index (written once, reopened without codes), and compute few exact distances.
 */
class PostingCodesTest {
    private static final int DIM = 256;

    private static Settings settings(int codeMinDims) {
        return Settings.defaults().with(Params.BUILD_THRESHOLD, 500).with(Params.CODE_MIN_DIMS, codeMinDims);
    }

    /** Gaussian clusters: a centre per cluster, members around it (what embeddings look like, roughly). */
    private static float[][] clustered(int n, int clusters, long seed) {
        Random r = new Random(seed);
        float[][] centres = new float[clusters][DIM];
        for (float[] c : centres) for (int j = 0; j < DIM; j++) c[j] = (float) r.nextGaussian();
        float[][] out = new float[n][DIM];
        for (float[] v : out) {
            float[] c = centres[r.nextInt(clusters)];
            for (int j = 0; j < DIM; j++) v[j] = c[j] + 0.5f * (float) r.nextGaussian();
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = VectorMetric.class, names = {"EUCLIDEAN_SQUARED", "COSINE_DISTANCE"})
    void codedSearchFindsWhatTheFullScanFinds(VectorMetric metric, @TempDir Path dir) {
        long seed = TestData.seed("PostingCodesTest");
        float[][] data = clustered(3000, 30, seed);
        float[][] qs = clustered(50, 30, seed + 1);
        List<long[]> coded = new ArrayList<>();
        long rescored = 0, entries = 0;
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, metric, DIM, settings(DIM))) {
            for (int i = 0; i < data.length; i++) index.insert(i, data[i]);
            index.awaitQuiescent();
            for (float[] q : qs) {
                SpfreshIndex.SearchResult r = index.search(q, 10);
                coded.add(IndexBehaviourTest.vids(r));
                rescored += r.entriesRescored();
                entries += r.entriesScanned();
            }
        }
        int same = 0; // neighbours in common
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, null, 0, settings(DIM + 1))) {
            for (int i = 0; i < qs.length; i++) {
                SpfreshIndex.SearchResult r = index.search(qs[i], 10);
                assertThat(r.entriesRescored()).as("no codes: every entry is computed in full").isZero();
                long[] full = IndexBehaviourTest.vids(r);
                for (long v : coded.get(i)) if (Arrays.stream(full).anyMatch(x -> x == v)) same++;
                if (!Arrays.equals(full, coded.get(i))) System.out.println("differs: " + Arrays.toString(full) + " / coded " + Arrays.toString(coded.get(i)));
            }
        }
        // the bound holds with high probability, not always (see ResidualCodes: at ε0 1.9 about 1% of
        // entries fall outside it), so a rare neighbour is missed: 24 seeds missed 0-5 of the 500,
        // one suite run on a loaded machine 7 (the rebalancer's timing also moves the postings)
        assertThat(same).as("neighbours found with codes that the full scan found, of %d", 10 * qs.length).isGreaterThanOrEqualTo(10 * qs.length - 10);
        // with the 4-bit query's rounding bounded exactly, about 31 % of these entries (14 % of
        // SciFact's) cannot be ruled out by their code; 8 bits rescored 8 % but scanned slower
        assertThat(rescored).as("entries computed exactly, of %d scanned", entries).isPositive().isLessThan(entries / 2);
    }
}
