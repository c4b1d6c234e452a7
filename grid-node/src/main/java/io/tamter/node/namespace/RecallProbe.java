package io.tamter.node.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.node.doc.Document;
import io.tamter.node.doc.InvalidRequestException;
import io.tamter.node.filter.FilterParser;
import io.tamter.node.shard.Shard;
import io.tamter.node.text.VidBitSet;
import io.tamter.node.vector.VectorMetric;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.apache.lucene.search.Query;

/**
 * API.md {@code POST …/_debug/recall}: how well the vector index answers this namespace's
 * searches. {@code num} documents with a vector (and matching {@code filter}, if given) are
 * sampled uniformly; each one's stored vector is searched for its {@code top_k} nearest twice,
 * with {@link Shard#searchVector} exactly as a search runs (index, or exact for selective filters
 * and during a rebuild) and with {@link Shard#searchExact} over every stored vector, both with the
 * filter. The recall of one query is the fraction of the exhaustive results that the index search
 * returned; a returned match at a distance no greater than the last exhaustive one also counts
 * (ties at the boundary are not misses). A query whose exhaustive search finds nothing has recall 1.
 *
 * <p>{@code avg_ann_count} and {@code avg_exhaustive_count} are the mean numbers of results of the
 * two searches; {@code sampled} is the number of queries (0 when no document has a vector: then
 * all averages are 0).
 */
public final class RecallProbe {
    public static final int DEFAULT_NUM = 25;
    public static final int MAX_NUM = 1000;
    /** The fields of the body (the OpenAPI schema of that body is checked against them). */
    public static final Set<String> KEYS = Set.of("num", "top_k", "filter");

    /** The answer: {@code {"avg_recall":…, "avg_ann_count":…, "avg_exhaustive_count":…, "sampled":…}}. */
    public record Result(double avgRecall, double avgAnnCount, double avgExhaustiveCount, int sampled) {}

    private final Namespace ns;
    private final Shard[] shards;

    RecallProbe(Namespace ns, Shard[] shards) {
        this.ns = ns;
        this.shards = shards;
    }

    Result run(JsonNode body) throws IOException {
        if (body != null && !body.isNull() && !body.isObject())
            throw new InvalidRequestException("invalid_request", "", "the body is an object {\"num\":…, \"top_k\":…, \"filter\":…}");
        if (body != null && body.isObject()) {
            for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!KEYS.contains(k)) throw new InvalidRequestException("invalid_request", k, k + ": unknown field; known: " + KEYS);
            }
        }
        int num = intField(body, "num", DEFAULT_NUM, MAX_NUM);
        int k = intField(body, "top_k", 10, SearchRequest.MAX_TOP_K);
        NamespaceSettings s = ns.settings();
        JsonNode f = body == null ? null : body.get("filter");
        Query filter = f == null || f.isNull() ? null : new FilterParser(s.schema()).parse(f, "filter", null);
        if (s.dimensions() == 0) return new Result(0, 0, 0, 0);

        // candidates: (shard, vid) of every live document matching the filter
        List<long[]> candidates = new ArrayList<>();
        for (int si = 0; si < shards.length; si++) {
            VidBitSet bits = shards[si].textIndex().matchingVids(filter);
            long[] words = bits.words();
            for (int w = 0; w < words.length; w++)
                for (long word = words[w]; word != 0; word &= word - 1) candidates.add(new long[] {si, ((long) w << 6) + Long.numberOfTrailingZeros(word)});
        }
        Random random = new Random();
        double recallSum = 0, annSum = 0, exactSum = 0;
        int sampled = 0;
        // partial Fisher-Yates: draw until num queries with a vector were found
        for (int i = 0; i < candidates.size() && sampled < num; i++) {
            int j = i + random.nextInt(candidates.size() - i);
            long[] c = candidates.get(j);
            candidates.set(j, candidates.get(i));
            Document d = shards[(int) c[0]].byVid(c[1]);
            if (d == null || d.vector() == null || d.vector().length != s.dimensions()) continue;
            if (s.metric() == VectorMetric.COSINE_DISTANCE && isZero(d.vector())) continue;
            List<Hit> ann = merged(d.vector(), k, filter, false);
            List<Hit> exact = merged(d.vector(), k, filter, true);
            annSum += ann.size();
            exactSum += exact.size();
            recallSum += recall(ann, exact);
            sampled++;
        }
        if (sampled == 0) return new Result(0, 0, 0, 0);
        return new Result(recallSum / sampled, annSum / sampled, exactSum / sampled, sampled);
    }

    private record Hit(int shard, long vid, float distance) {}

    private List<Hit> merged(float[] q, int k, Query filter, boolean exhaustive) throws IOException {
        List<Hit> all = new ArrayList<>();
        for (int si = 0; si < shards.length; si++) {
            List<Shard.VectorHit> hs = exhaustive ? shards[si].searchExact(q, k, filter, Float.NaN) : shards[si].searchVector(q, k, filter, Float.NaN);
            for (Shard.VectorHit h : hs) all.add(new Hit(si, h.vid(), h.distance()));
        }
        all.sort((a, b) -> Float.compare(a.distance(), b.distance()));
        return all.size() > k ? all.subList(0, k) : all;
    }

    static double recall(List<Hit> ann, List<Hit> exact) {
        if (exact.isEmpty()) return 1;
        Set<Long> truth = new HashSet<>();
        for (Hit h : exact) truth.add(((long) h.shard() << 40) ^ h.vid());
        float bound = exact.get(exact.size() - 1).distance();
        int found = 0;
        for (Hit h : ann) if (truth.contains(((long) h.shard() << 40) ^ h.vid()) || h.distance() <= bound) found++;
        return Math.min(1.0, (double) found / exact.size());
    }

    private static boolean isZero(float[] v) {
        for (float x : v) if (x != 0) return false;
        return true;
    }

    private static int intField(JsonNode body, String k, int dflt, int max) {
        JsonNode n = body == null ? null : body.get(k);
        if (n == null || n.isNull()) return dflt;
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 1 || n.asInt() > max)
            throw new InvalidRequestException("invalid_request", k, k + ": must be an integer in 1.." + max + "; got " + n);
        return n.asInt();
    }
}
