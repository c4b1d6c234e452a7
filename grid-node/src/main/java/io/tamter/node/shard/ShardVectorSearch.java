package io.tamter.node.shard;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.kernels.Metric;
import io.tamter.node.doc.Document;
import io.tamter.node.index.spann.ScratchPool;
import io.tamter.node.index.spann.SpfreshIndex;
import io.tamter.node.shard.Shard.VectorHit;
import io.tamter.node.text.TextIndex;
import io.tamter.node.text.VidBitSet;
import io.tamter.node.vector.VectorMetric;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import org.apache.lucene.search.Query;

/**
 * A shard's vector searches, one of {@link Shard}'s parts: the vector index's answer merged with
 * an exact scan of the unindexed tail, the exact path for selective filters, and exact search over
 * the stored vectors. It holds no lock and no state of its own beyond per-thread scratch: the
 * shard calls it under its index read lock, with the index it read there, and it reads the tail,
 * the text index (filters) and the documents through what the shard handed it.
 */
final class ShardVectorSearch {
    private final Settings settings;
    private final IndexTail tail;
    private final TextIndex text;
    private final LongFunction<Document> documents;
    private final Supplier<VectorMetric> metric;

    ShardVectorSearch(Settings settings, IndexTail tail, TextIndex text, LongFunction<Document> documents, Supplier<VectorMetric> metric) {
        this.settings = settings;
        this.tail = tail;
        this.text = text;
        this.documents = documents;
        this.metric = metric;
    }

    /** Direct buffers for the vector index's filter bits, lent to one search at a time (grown as shards grow; null: none yet). */
    private static final ScratchPool<ByteBuffer> FILTER_SCRATCH = ScratchPool.forCores(() -> null);

    /**
     * The index's answer merged with an exact scan of the unindexed tail: the tail's latest state of
     * each vid it touches is scored exactly, and the index's entries of those vids (stale: deleted,
     * overwritten, or about to be) are left out. The tail is read before the index (see {@link IndexTail}).
     * Filters see the tail as they are: the text index is written in the apply itself.
     */
    List<VectorHit> search(SpfreshIndex idx, float[] query, int k, Query filter, float maxDistance, boolean scanTail)
            throws IOException {
        Map<Long, Document> pending = scanTail ? tail.snapshot() : Map.of();
        if (filter != null) {
            VidBitSet bits = text.matchingVids(filter);
            double fraction = settings.getDouble(Params.FILTER_EXACT_FRACTION);
            if (bits.cardinality() <= Math.max(k, fraction * idx.liveCount())) return exact(query, k, bits, maxDistance);
            ByteBuffer scratch = bits.toByteBuffer(FILTER_SCRATCH.take());
            try { // read by this search only, and free again when it returns
                List<VectorHit> fromIndex = indexHits(idx, query, k, maxDistance, scratch, bits.limitBits(), pending);
                return pending.isEmpty() ? fromIndex : merge(fromIndex, tailHits(idx, query, k, pending, bits, maxDistance), k);
            } finally {
                FILTER_SCRATCH.give(scratch);
            }
        }
        List<VectorHit> fromIndex = indexHits(idx, query, k, maxDistance, null, 0, pending);
        return pending.isEmpty() ? fromIndex : merge(fromIndex, tailHits(idx, query, k, pending, null, maxDistance), k);
    }

    /**
     * The index's {@code k} nearest among the vids not in {@code hidden}: asks for more while
     * hidden vids took places and the index may have more to give.
     */
    private static List<VectorHit> indexHits(SpfreshIndex idx, float[] query, int k, float maxDistance, ByteBuffer filter, long filterBits,
            Map<Long, Document> hidden) {
        long cap = Math.min(Integer.MAX_VALUE - 1L, (long) k + hidden.size());
        int want = k;
        for (;;) {
            SpfreshIndex.SearchOptions o = idx.defaults(want);
            if (filter != null) o = o.withFilter(filter, filterBits);
            if (!Float.isNaN(maxDistance)) o = o.withMaxDistance(maxDistance);
            List<SpfreshIndex.Match> ms = idx.search(query, o).matches();
            List<VectorHit> out = new ArrayList<>(Math.min(k, ms.size()));
            int kept = 0;
            for (SpfreshIndex.Match m : ms) {
                if (hidden.containsKey(m.vid())) continue;
                kept++;
                if (out.size() < k) out.add(new VectorHit(m.vid(), m.distance(), m.score()));
            }
            if (kept >= k || ms.size() < want || want >= cap) return out;
            want = (int) Math.min(cap, (long) k + (ms.size() - kept)); // > want: kept < k and ms.size() == want
        }
    }

    /**
     * The {@code k} nearest of the tail's documents (those in {@code bits}, when given), exactly,
     * scored by {@code idx}'s kernel so that a document ranks and scores the same before and after
     * it is indexed.
     */
    private static List<VectorHit> tailHits(SpfreshIndex idx, float[] query, int k, Map<Long, Document> pending, VidBitSet bits,
            float maxDistance) {
        PriorityQueue<VectorHit> top = new PriorityQueue<>((a, b) -> Float.compare(b.distance(), a.distance()));
        float[] q = idx.prepareQuery(query);
        for (Map.Entry<Long, Document> e : pending.entrySet()) {
            Document d = e.getValue();
            if (d == null || (bits != null && !bits.get(e.getKey()))) continue;
            float[] v = d.vector();
            if (v == null || v.length != idx.dim()) continue;
            if (idx.metric() == VectorMetric.COSINE_DISTANCE && Shard.isZero(v)) continue; // stored under another metric
            SpfreshIndex.Match m = idx.exactMatch(e.getKey(), q, v);
            if (!Float.isNaN(maxDistance) && m.distance() > maxDistance) continue;
            top.add(new VectorHit(m.vid(), m.distance(), m.score()));
            if (top.size() > k) top.poll();
        }
        return sorted(top);
    }

    /** The {@code k} nearest of two disjoint hit lists. */
    private static List<VectorHit> merge(List<VectorHit> a, List<VectorHit> b, int k) {
        List<VectorHit> all = new ArrayList<>(a.size() + b.size());
        all.addAll(a);
        all.addAll(b);
        all.sort(HIT_ORDER);
        return all.size() > k ? new ArrayList<>(all.subList(0, k)) : all;
    }

    private static final java.util.Comparator<VectorHit> HIT_ORDER =
            (a, b) -> a.distance() != b.distance() ? Float.compare(a.distance(), b.distance()) : Long.compare(a.vid(), b.vid());

    private static List<VectorHit> sorted(PriorityQueue<VectorHit> top) {
        List<VectorHit> out = new ArrayList<>(top);
        out.sort(HIT_ORDER);
        return out;
    }

    /** Exact search over the stored vectors of the vids in {@code bits}. */
    List<VectorHit> exact(float[] query, int k, VidBitSet bits, float maxDistance) {
        VectorMetric metric = this.metric.get();
        float[] q = metric.prepare(query);
        PriorityQueue<VectorHit> top = new PriorityQueue<>((a, b) -> Float.compare(b.distance(), a.distance()));
        long[] words = bits.words();
        for (int w = 0; w < words.length; w++) {
            long word = words[w];
            while (word != 0) {
                long vid = ((long) w << 6) + Long.numberOfTrailingZeros(word);
                word &= word - 1;
                Document d = documents.apply(vid);
                if (d != null) score(metric, q, vid, d, maxDistance, k, top);
            }
        }
        return sorted(top);
    }

    /** Adds {@code d} (vid {@code vid}) to {@code top} (the {@code k} nearest so far to the prepared query {@code q}) when it belongs there. */
    private static void score(VectorMetric metric, float[] q, long vid, Document d, float maxDistance, int k, PriorityQueue<VectorHit> top) {
        if (d.vector() == null || d.vector().length != q.length) return;
        if (metric == VectorMetric.COSINE_DISTANCE && Shard.isZero(d.vector())) return; // stored under another metric
        boolean l2 = metric.kernelMetric() == Metric.L2;
        float[] v = metric.prepare(d.vector());
        double acc = 0;
        for (int i = 0; i < q.length; i++) {
            if (l2) {
                double x = q[i] - v[i];
                acc += x * x;
            } else {
                acc -= (double) q[i] * v[i];
            }
        }
        float kd = (float) acc;
        float dist = metric.apiDistance(kd);
        if (!Float.isNaN(maxDistance) && dist > maxDistance) return;
        top.add(new VectorHit(vid, dist, metric.score(kd)));
        if (top.size() > k) top.poll();
    }
}
