package io.tamter.bench.engine;

import java.util.List;
import java.util.Map;

/**
 * One index under test: built statically ({@link #build}) for {@code bench ann}, or fed
 * inserts and deletes for {@code bench stream}. Ids are the dataset's row numbers.
 */
public interface AnnEngine extends AutoCloseable {
    String name();

    /** The parameters in effect, printed with every result line. */
    Map<String, Object> params();

    /** Builds from scratch over {@code vectors[ids[i]]}. */
    void build(float[][] vectors, int[] ids) throws Exception;

    void insert(int id, float[] vector) throws Exception;

    void delete(int id) throws Exception;

    /** The ids of the k nearest live vectors, nearest first. */
    int[] search(float[] query, int k) throws Exception;

    /** Waits until background maintenance has drained (the SPFresh rebalancer). */
    default void awaitQuiescent() {}

    /** Off-heap bytes the engine holds, as its own accounting reports them (RocksDB for SPFresh). */
    default long nativeBytes() {
        return 0;
    }

    /** Bytes on disk. */
    default long indexBytes() {
        return 0;
    }

    /** Engine-specific figures (max_posting, stale_fraction, …); empty when not applicable. */
    default Map<String, Object> stats() {
        return Map.of();
    }

    /** Search-time parameter points for {@code --sweep} (applied without rebuilding). */
    default List<Map<String, Object>> searchSweep() {
        return List.of();
    }

    default void applySearchParams(Map<String, Object> p) {}

    @Override
    void close();
}
