package io.tamter.node.index.spann;

import io.tamter.config.Params;
import io.tamter.config.Settings;

/** The index's parameters, read once from {@link Settings} (see {@link Params} for each one's meaning). */
public record IndexParams(
        int maxPosting, int minPosting, int buildPosting, int replicaCount, double closureEpsilon, double rngFactor,
        double searchEpsilon, int nprobe, int headCandidates, int reassignK, int buildThreshold,
        int rebalancerThreads, int rebalancerQueue, int headGraphDegree, int headGraphBeam, double headSearchOverquery,
        int kmeansIterations, int kmeansBranching, int kmeansSample, double kmeansBalance, long postingCacheBytes, double probeRadiusFactor, long headScanFloats, int probePatience,
        int codeMinDims, double codeErrorBound, double probeTargetRecall, double gcLiveFraction) {

    public static IndexParams from(Settings s) {
        s.validate();
        return new IndexParams(
                s.get(Params.MAX_POSTING), s.get(Params.MIN_POSTING), s.get(Params.BUILD_POSTING), s.get(Params.REPLICA_COUNT),
                s.get(Params.CLOSURE_EPSILON), s.get(Params.RNG_FACTOR), s.get(Params.SEARCH_EPSILON), s.get(Params.NPROBE),
                s.get(Params.HEAD_CANDIDATES), s.get(Params.REASSIGN_K), s.get(Params.BUILD_THRESHOLD),
                s.get(Params.REBALANCER_THREADS), s.get(Params.REBALANCER_QUEUE), s.get(Params.HEAD_GRAPH_DEGREE),
                s.get(Params.HEAD_GRAPH_BEAM), s.get(Params.HEAD_SEARCH_OVERQUERY), s.get(Params.KMEANS_ITERATIONS),
                s.get(Params.KMEANS_BRANCHING), s.get(Params.KMEANS_SAMPLE), s.get(Params.KMEANS_BALANCE),
                s.get(Params.POSTING_CACHE_BYTES), s.get(Params.PROBE_RADIUS_FACTOR), s.get(Params.HEAD_SCAN_FLOATS), s.get(Params.PROBE_PATIENCE),
                s.get(Params.CODE_MIN_DIMS), s.get(Params.CODE_ERROR_BOUND), s.get(Params.PROBE_TARGET_RECALL),
                s.get(Params.GC_LIVE_FRACTION));
    }
}
