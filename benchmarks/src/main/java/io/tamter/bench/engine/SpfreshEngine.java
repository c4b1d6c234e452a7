package io.tamter.bench.engine;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.index.spann.IndexStats;
import io.tamter.node.index.spann.SpfreshIndex;
import io.tamter.node.vector.VectorMetric;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tamter's SPFresh index, through the same API the shard uses. Built either as {@code bench ann}
 * builds a static index (balanced k-means over all vectors at once), or, as {@code spfresh-inserted},
 * by inserting the vectors one at a time, as a namespace's index worker does when rows arrive over
 * REST: the layout LIRE's splits grow, which is what a loaded namespace searches.
 */
public final class SpfreshEngine implements AnnEngine {
    private final boolean inserted;
    private final VectorMetric metric;
    private final int dim;
    private final Settings settings;
    private final Path dir;
    private SpfreshIndex index;
    private int nprobe;
    private double epsilon;
    private double radiusFactor;
    private int patience;
    /** index.probe_target_recall: above 0, nprobe is a cap and the index probes as deep as its queries need (ProbeCalibrator). */
    private double targetRecall;
    /** Postings scanned and skipped by the radius bound, and searches, since the last stats(): what the timed searches read. */
    private final java.util.concurrent.atomic.LongAdder scanned = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder skipped = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder entries = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder rescored = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder searches = new java.util.concurrent.atomic.LongAdder();

    public SpfreshEngine(VectorMetric metric, int dim, Settings settings, Path workDir) {
        this(metric, dim, settings, workDir, false);
    }

    /** @param inserted build by one insert per vector (see the class comment), not by a static build */
    public SpfreshEngine(VectorMetric metric, int dim, Settings settings, Path workDir, boolean inserted) {
        this.inserted = inserted;
        this.metric = metric;
        this.dim = dim;
        this.settings = settings;
        this.dir = workDir.resolve(inserted ? "spfresh-inserted" : "spfresh");
        this.nprobe = settings.get(Params.NPROBE);
        this.epsilon = settings.get(Params.SEARCH_EPSILON);
        this.radiusFactor = settings.get(Params.PROBE_RADIUS_FACTOR);
        this.patience = settings.get(Params.PROBE_PATIENCE);
        this.targetRecall = settings.get(Params.PROBE_TARGET_RECALL);
        reopenEmpty();
    }

    private void reopenEmpty() {
        if (index != null) index.close();
        Dirs.deleteTree(dir);
        index = SpfreshIndex.openStandalone(dir, metric, dim, settings);
    }

    @Override
    public String name() {
        return inserted ? "spfresh-inserted" : "spfresh";
    }

    @Override
    public Map<String, Object> params() {
        Map<String, Object> p = new LinkedHashMap<>();
        for (var param : List.of(Params.BUILD_POSTING, Params.MAX_POSTING, Params.MIN_POSTING, Params.REPLICA_COUNT,
                Params.CLOSURE_EPSILON, Params.RNG_FACTOR)) {
            p.put(param.key().replace("index.", ""), settings.value(param));
        }
        p.put("nprobe", nprobe);
        p.put("search_epsilon", epsilon);
        p.put("probe_radius_factor", radiusFactor);
        p.put("probe_patience", patience);
        p.put("probe_target_recall", targetRecall);
        return p;
    }

    @Override
    public void build(float[][] vectors, int[] ids) {
        reopenEmpty();
        if (inserted) for (int id : ids) index.insert(id, vectors[id]);
        else index.bulkBuild(ids.length, i -> ids[i], i -> vectors[ids[i]]);
    }

    @Override
    public void insert(int id, float[] vector) {
        index.insert(id, vector);
    }

    @Override
    public void delete(int id) {
        index.delete(id);
    }

    @Override
    public int[] search(float[] query, int k) {
        SpfreshIndex.SearchResult r = index.search(query, index.defaults(k).withNprobe(nprobe).withTargetRecall(targetRecall).withEpsilon(epsilon)
                .withRadiusFactor(radiusFactor).withPatience(patience));
        scanned.add(r.postingsScanned());
        skipped.add(r.postingsSkipped());
        entries.add(r.entriesScanned());
        rescored.add(r.entriesRescored());
        searches.increment();
        int[] out = new int[r.matches().size()];
        for (int i = 0; i < out.length; i++) out[i] = (int) r.matches().get(i).vid();
        return out;
    }

    @Override
    public void awaitQuiescent() {
        index.awaitQuiescent();
    }

    @Override
    public long nativeBytes() {
        return index.core().db().nativeMemoryBytes();
    }

    @Override
    public long indexBytes() {
        return index.core().db().diskBytes();
    }

    @Override
    public Map<String, Object> stats() {
        IndexStats s = index.stats();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("heads", s.heads());
        m.put("max_posting", s.maxPosting());
        m.put("mean_posting", Math.round(s.meanPosting() * 10) / 10.0);
        m.put("replication", Math.round(s.replication() * 1000) / 1000.0);
        m.put("stale_fraction", Math.round(s.staleFraction() * 10000) / 10000.0);
        m.put("rebalancer", new LinkedHashMap<>(index.rebalancerStats()));
        long n = Math.max(1, searches.sumThenReset());
        m.put("postings_scanned_per_search", Math.round(scanned.sumThenReset() * 10.0 / n) / 10.0);
        m.put("postings_skipped_per_search", Math.round(skipped.sumThenReset() * 10.0 / n) / 10.0);
        m.put("entries_scanned_per_search", Math.round(entries.sumThenReset() * 10.0 / n) / 10.0);
        // entries whose exact distance was computed after their code could not rule them out (0: codes off)
        m.put("entries_rescored_per_search", Math.round(rescored.sumThenReset() * 10.0 / n) / 10.0);
        m.put("posting_cache", new LinkedHashMap<>(index.postingCacheStats()));
        m.put("probe_depth", index.probeDepth()); // the adaptive depth's current plan (0: none, every search at nprobe)
        return m;
    }

    @Override
    public List<Map<String, Object>> searchSweep() {
        List<Map<String, Object>> out = new ArrayList<>();
        // nprobe alone (radius factor 1 is exact: it skips only what cannot matter; no adaptive
        // depth), then the adaptive depth's target recall, the patience rule and the radius rule's
        // factor, each alone at the configured nprobe
        for (int n : new int[] {4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256}) {
            out.add(Map.of("nprobe", n, "probe_radius_factor", 1.0, "probe_patience", 0, "probe_target_recall", 0.0));
        }
        int configured = settings.get(Params.NPROBE);
        for (double t : new double[] {0.95, 0.97, 0.98, 0.99, 0.995, 0.999}) {
            out.add(Map.of("nprobe", configured, "probe_radius_factor", 1.0, "probe_patience", 0, "probe_target_recall", t));
        }
        for (int pt : new int[] {2, 4, 6, 8, 12, 16, 24, 32}) {
            out.add(Map.of("nprobe", configured, "probe_radius_factor", 1.0, "probe_patience", pt, "probe_target_recall", 0.0));
        }
        for (double f : new double[] {0.05, 0.1, 0.15, 0.2, 0.3, 0.5}) {
            out.add(Map.of("nprobe", configured, "probe_radius_factor", f, "probe_patience", 0, "probe_target_recall", 0.0));
        }
        return out;
    }

    @Override
    public void applySearchParams(Map<String, Object> p) {
        if (p.containsKey("nprobe")) nprobe = ((Number) p.get("nprobe")).intValue();
        if (p.containsKey("search_epsilon")) epsilon = ((Number) p.get("search_epsilon")).doubleValue();
        if (p.containsKey("probe_radius_factor")) radiusFactor = ((Number) p.get("probe_radius_factor")).doubleValue();
        if (p.containsKey("probe_patience")) patience = ((Number) p.get("probe_patience")).intValue();
        if (p.containsKey("probe_target_recall")) targetRecall = ((Number) p.get("probe_target_recall")).doubleValue();
    }

    @Override
    public void close() {
        if (index != null) index.close();
        index = null;
        Dirs.deleteTree(dir);
    }
}
