package io.tamter.node.index.spann;

import static org.assertj.core.api.Assertions.assertThat;

import io.tamter.node.vector.VectorMetric;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Searches racing the rebalancer: vectors that LIRE moves while a search runs must not be missed
 * (the window {@link MoveLog} closes). A static set is indexed; then inserts into its region make
 * the rebalancer split its postings and reassign its vectors, while two threads search for the
 * static vectors by their own values over every posting (so only a race could miss one). The test
 * counts the moves that happened during the searches, so that it fails if the workload stops
 * exercising the race rather than passing vacuously.
 */
class MoveRaceTest {
    static final int DIM = 16;

    @Test
    void searchesOverlappingLireMovesMissNothing(@TempDir Path dir) throws Exception {
        float[][] fixed = TestData.gaussian(1500, DIM, 61);
        float[][] incoming = TestData.gaussian(3000, DIM, 62);
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM, IndexBehaviourTest.small())) {
            for (int i = 0; i < fixed.length; i++) index.insert(i, fixed[i]);
            index.awaitQuiescent();
            MoveLog moves = index.core().moves;
            long movesBefore = moves.epoch();
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong searches = new AtomicLong(), misses = new AtomicLong();
            AtomicReference<String> firstMiss = new AtomicReference<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> searchers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                long seed = 70 + t;
                searchers.add(Thread.ofPlatform().start(() -> {
                    Random r = new Random(seed);
                    try {
                        while (writing.get()) {
                            int i = r.nextInt(fixed.length);
                            // every posting, no ε pruning, the exact radius bound: nothing but a race can hide the vector
                            SpfreshIndex.SearchOptions all = index.defaults(1).withNprobe(100_000).withEpsilon(1e9).withRadiusFactor(1.0);
                            SpfreshIndex.SearchResult res = index.search(fixed[i], all);
                            searches.incrementAndGet();
                            if (res.matches().isEmpty() || res.matches().get(0).vid() != i) {
                                misses.incrementAndGet();
                                firstMiss.compareAndSet(null, "vid " + i + " answered " + res.matches());
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            try {
                for (int i = 0; i < incoming.length; i++) index.insert(10_000 + i, incoming[i]);
                index.awaitQuiescent();
            } finally {
                writing.set(false);
                for (Thread t : searchers) t.join();
            }
            assertThat(failure.get()).isNull();
            long moved = moves.epoch() - movesBefore;
            assertThat(moved).as("vectors LIRE moved while the searches ran").isGreaterThan(200);
            assertThat(searches.get()).isGreaterThan(100);
            assertThat(misses.get()).as("searches that missed a static vector (first: %s) of %s", firstMiss.get(), searches.get()).isZero();
        }
    }
}
