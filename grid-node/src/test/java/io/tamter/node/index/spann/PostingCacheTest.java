package io.tamter.node.index.spann;

import static io.tamter.node.index.spann.IndexBehaviourTest.bruteForce;
import static io.tamter.node.index.spann.IndexBehaviourTest.vids;
import static org.assertj.core.api.Assertions.assertThat;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.vector.VectorMetric;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The posting cache and the radius rule: searches served from cached postings see every
 * completed write, and the radius rule at factor 1 (the triangle inequality) changes no answer.
 */
class PostingCacheTest {
    private static final int DIM = 16;

    /** Clustered vectors: {@code clusters} centres far apart, points close around them (tight postings). */
    static float[][] clustered(int n, int clusters, long seed) {
        return clustered(n, clusters, seed, DIM);
    }

    static float[][] clustered(int n, int clusters, long seed, int dim) {
        Random r = new Random(seed);
        float[][] centres = new float[clusters][dim];
        for (float[] c : centres) for (int d = 0; d < dim; d++) c[d] = (float) (r.nextGaussian() * 20);
        float[][] out = new float[n][dim];
        for (int i = 0; i < n; i++) {
            float[] c = centres[r.nextInt(clusters)];
            for (int d = 0; d < dim; d++) out[i][d] = c[d] + (float) r.nextGaussian();
        }
        return out;
    }

    @Test
    void theExactRadiusRuleSkipsPostingsAndChangesNoAnswer(@TempDir Path dir) {
        Settings s = Settings.defaults().with(Params.BUILD_POSTING, 32).with(Params.MAX_POSTING, 64).with(Params.MIN_POSTING, 4);
        float[][] data = clustered(4000, 40, 11);
        boolean[] live = new boolean[data.length];
        java.util.Arrays.fill(live, true);
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM, s)) {
            index.bulkBuild(data.length, i -> i, i -> data[i]);
            index.awaitQuiescent();
            int heads = index.core().heads().size();
            SpfreshIndex.SearchOptions all = index.defaults(10).withNprobe(heads).withEpsilon(1e9).withRadiusFactor(1.0);
            float[][] queries = clustered(50, 40, 12); // other centres: queries far from every cluster
            float[][] near = new float[50][];
            for (int i = 0; i < near.length; i++) near[i] = data[i * 37];
            int skipped = 0;
            for (float[][] qs : List.of(queries, near)) {
                for (float[] q : qs) {
                    index.search(q, all); // the first search reads and caches; the second one can skip by radius
                    SpfreshIndex.SearchResult r = index.search(q, all);
                    assertThat(vids(r)).containsExactly(bruteForce(data, live, q, 10));
                    skipped += r.postingsSkipped();
                }
            }
            // the clusters are tight and far apart: most postings cannot hold a neighbour of a query near a cluster
            assertThat(skipped).isGreaterThan(50 * heads / 2);
            assertThat(index.postingCacheStats().get("hits")).isPositive();
        }
    }

    @Test
    void withTheCacheOffPostingsAreScannedAsReadWithTheSameAnswers(@TempDir Path dir) {
        Settings s = Settings.defaults().with(Params.BUILD_POSTING, 32).with(Params.MAX_POSTING, 64).with(Params.MIN_POSTING, 4)
                .with(Params.POSTING_CACHE_BYTES, 0L).with(Params.BUILD_THRESHOLD, 300);
        float[][] data = clustered(2000, 20, 31);
        boolean[] live = new boolean[data.length];
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM, s)) {
            for (int i = 0; i < 200; i++) {
                index.insert(i, data[i]);
                live[i] = true;
            }
            for (float[] q : clustered(10, 20, 32)) assertThat(vids(index.search(q, 5))).containsExactly(bruteForce(data, live, q, 5)); // flat
            for (int i = 200; i < data.length; i++) {
                index.insert(i, data[i]);
                live[i] = true;
            }
            index.awaitQuiescent();
            SpfreshIndex.SearchOptions all = index.defaults(10).withNprobe(index.core().heads().size()).withEpsilon(1e9);
            for (float[] q : clustered(30, 20, 33)) assertThat(vids(index.search(q, all))).containsExactly(bruteForce(data, live, q, 10));
            assertThat(index.postingCacheStats().get("hits")).isZero();
        }
    }

    /**
     * Postings written whole (splits, merges, rewrites) go into the cache as they are written
     * (SpannStorage#commit, the searcher's warmer) instead of being read back from RocksDB by the
     * next search; appends drop a cached posting, so only the postings no insert touched since
     * stay warm. One run: the first search over every head after a settled stream of inserts read
     * 79 of 156 postings from RocksDB with the warmer.
     */
    @Test
    void postingsWrittenWholeAreCachedAsWritten(@TempDir Path dir) {
        long warm = missesOfASearchOverEveryHead(dir.resolve("warm"), true);
        long cold = missesOfASearchOverEveryHead(dir.resolve("cold"), false);
        assertThat(warm).as("postings read from RocksDB with the warmer, against %d without", cold).isLessThan(cold * 3 / 4);
    }

    private static long missesOfASearchOverEveryHead(Path dir, boolean warmer) {
        float[][] data = clustered(3000, 30, 31);
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM, IndexBehaviourTest.small())) {
            if (!warmer) index.core().storage.setWarmer(null);
            for (int i = 0; i < data.length; i++) index.insert(i, data[i]);
            index.awaitQuiescent();
            assertThat(index.rebalancerStats().get("splits")).as("splits").isPositive();
            long misses = index.postingCacheStats().get("misses");
            int heads = index.core().heads().size();
            index.search(data[0], index.defaults(10).withNprobe(heads).withEpsilon(1e9));
            return index.postingCacheStats().get("misses") - misses;
        }
    }

    /**
     * Searches that refill the cache against inserts and deletes that drop what they touch: a
     * search right after a write sees it. At 256 dimensions the cached postings carry codes, and
     * the search scans them first (the query equal to the vector is never cut by the bound).
     */
    @ParameterizedTest
    @ValueSource(ints = {DIM, 256})
    void cachedPostingsNeverHideACompletedWrite(int dim, @TempDir Path dir) throws Exception {
        // no splits or merges while the test runs: what races here is only the cache (fills by
        // searches against invalidations by writes), not LIRE's documented move window
        Settings s = Settings.defaults().with(Params.BUILD_POSTING, 32).with(Params.MAX_POSTING, 100_000).with(Params.MIN_POSTING, 0)
                .with(Params.BUILD_THRESHOLD, 500);
        float[][] data = clustered(3000, 30, 21, dim);
        Random r = new Random(22);
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, dim, s)) {
            for (int i = 0; i < 1000; i++) index.insert(i, data[i]);
            index.awaitQuiescent();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> readers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                long seed = 100 + t;
                Thread th = new Thread(() -> {
                    Random rr = new Random(seed);
                    try {
                        while (!stop.get()) index.search(data[rr.nextInt(data.length)], 10); // keeps refilling the cache
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                });
                th.start();
                readers.add(th);
            }
            try {
                for (int step = 0; step < 2000; step++) {
                    int vid = 1000 + r.nextInt(2000);
                    float[] v = data[r.nextInt(data.length)].clone();
                    v[0] += 1e-3f * (step + 1); // a new point next to a cluster, equal to no other
                    v[1 + r.nextInt(dim - 1)] += 0.01f * (1 + r.nextInt(100));
                    if (r.nextInt(5) == 0 && index.contains(vid)) {
                        index.delete(vid);
                        for (SpfreshIndex.Match m : index.search(v, 50).matches()) {
                            assertThat(m.vid()).as("deleted vid %d returned at step %d", vid, step).isNotEqualTo(vid);
                        }
                        continue;
                    }
                    index.insert(vid, v);
                    SpfreshIndex.SearchResult got = index.search(v, 1);
                    assertThat(got.matches()).as("search right after the insert of vid %d at step %d", vid, step).isNotEmpty();
                    assertThat(got.matches().get(0).vid()).as("step %d", step).isEqualTo(vid);
                    assertThat(got.matches().get(0).distance()).isZero();
                }
            } finally {
                stop.set(true);
                for (Thread th : readers) th.join();
            }
            assertThat(failure.get()).isNull();
            assertThat(index.postingCacheStats().get("hits")).isPositive();
        }
    }
}
