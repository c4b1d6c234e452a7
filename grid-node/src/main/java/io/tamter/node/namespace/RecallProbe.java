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
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.lucene.search.Query;

/**
 * API.md {@code POST …/_debug/recall}: how well the vector index answers this namespace's
 * searches. {@code num} documents with a vector (and matching {@code filter}, if given) are
 * sampled uniformly; each one's stored vector is searched for its {@code top_k} nearest twice,
 * with {@link Shard#searchVector} exactly as a search runs (index, or exact for selective filters
 * and during a rebuild) and with {@link Shard#searchExact} over every stored vector, both with the
 * filter and both merged over every shard. The recall of one query is the fraction of the
 * exhaustive results that the index search returned; a returned match at a distance no greater
 * than the last exhaustive one also counts (ties at the boundary are not misses). A query whose
 * exhaustive search finds nothing has recall 1.
 *
 * <p>{@code avg_ann_count} and {@code avg_exhaustive_count} are the mean numbers of results of the
 * two searches; {@code sampled} is the number of queries (0 when no document has a vector: then
 * all averages are 0).
 *
 * <p>It runs in phases, so that a namespace whose shards are on several nodes gives the answer one
 * node gives (the grid's coordinator runs the phases across nodes, a single node runs them all
 * here, {@link Namespace#recall}): {@link #parse} validates the body; {@link #sample} draws, on each
 * node, up to {@code num} vectors of its shards in random order and counts the candidates it drew
 * from; {@link #pick} draws the queries from those samples, each next query from a node with
 * probability proportional to its candidates not drawn yet (uniform over all shards); {@link
 * #search} runs both searches of every query on a node's shards; {@link #score} merges each
 * query's hits over the nodes into its top k and averages.
 */
public final class RecallProbe {
    public static final int DEFAULT_NUM = 25;
    public static final int MAX_NUM = 1000;
    /** The fields of the body (the OpenAPI schema of that body is checked against them). */
    public static final Set<String> KEYS = Set.of("num", "top_k", "filter");

    /** The answer: {@code {"avg_recall":…, "avg_ann_count":…, "avg_exhaustive_count":…, "sampled":…}}. */
    public record Result(double avgRecall, double avgAnnCount, double avgExhaustiveCount, int sampled) {}

    /** A validated body: {@code filterJson} is the body's filter (null: none), {@code filter} its parsed query. */
    public record Request(int num, int topK, JsonNode filterJson, Query filter) {}

    /**
     * One node's sample: up to {@code num} stored vectors of its shards in random order, drawn from
     * {@code candidates} live documents matching the filter (those without a vector are skipped).
     */
    public record Sample(long candidates, List<float[]> vectors) {}

    /** A result of one search on one shard: global shard number, the document's vid there, its distance. */
    public record Hit(int shard, long vid, float distance) {}

    /** The hits of one query on one node's shards: index search and exhaustive search, each its top k over those shards. */
    public record Hits(List<Hit> ann, List<Hit> exact) {}

    private final NamespaceSettings settings;
    /** This node's shards of the namespace, by global shard number. */
    private final Map<Integer, Shard> shards;

    RecallProbe(NamespaceSettings settings, Map<Integer, Shard> shards) {
        this.settings = settings;
        this.shards = shards;
    }

    /** Validates {@code body} against the namespace's settings (its filter against the schema). */
    public static Request parse(NamespaceSettings s, JsonNode body) {
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
        JsonNode f = body == null ? null : body.get("filter");
        if (f != null && f.isNull()) f = null;
        Query filter = f == null ? null : new FilterParser(s.schema()).parse(f, "filter", null);
        return new Request(num, k, f, filter);
    }

    /** Phase 1 on this node's shards (see the class comment). */
    Sample sample(Request r) throws IOException {
        if (settings.dimensions() == 0) return new Sample(0, List.of());
        // candidates: (shard, vid) of every live document matching the filter
        List<long[]> candidates = new ArrayList<>();
        for (Map.Entry<Integer, Shard> e : shards.entrySet()) {
            VidBitSet bits = e.getValue().textIndex().matchingVids(r.filter());
            long[] words = bits.words();
            for (int w = 0; w < words.length; w++)
                for (long word = words[w]; word != 0; word &= word - 1)
                    candidates.add(new long[] {e.getKey(), ((long) w << 6) + Long.numberOfTrailingZeros(word)});
        }
        Random random = new Random();
        List<float[]> out = new ArrayList<>();
        // partial Fisher-Yates: draw until num vectors were found
        for (int i = 0; i < candidates.size() && out.size() < r.num(); i++) {
            int j = i + random.nextInt(candidates.size() - i);
            long[] c = candidates.get(j);
            candidates.set(j, candidates.get(i));
            Document d = shards.get((int) c[0]).byVid(c[1]);
            if (d == null || d.vector() == null || d.vector().length != settings.dimensions()) continue;
            if (settings.metric() == VectorMetric.COSINE_DISTANCE && isZero(d.vector())) continue;
            out.add(d.vector());
        }
        return new Sample(candidates.size(), out);
    }

    /**
     * Phase 2: up to {@code num} queries drawn from the nodes' samples, each next one from a sample
     * with probability proportional to its candidates not drawn yet; a sample out of vectors (the
     * rest of its candidates have none) is drawn from no more.
     */
    public static List<float[]> pick(List<Sample> samples, int num, Random random) {
        long[] left = new long[samples.size()];
        int[] next = new int[samples.size()];
        for (int i = 0; i < left.length; i++) left[i] = samples.get(i).candidates();
        List<float[]> out = new ArrayList<>();
        while (out.size() < num) {
            long total = 0;
            for (long l : left) total += l;
            if (total <= 0) break;
            long x = (long) (random.nextDouble() * total);
            int i = 0;
            while (i < left.length - 1 && x >= left[i]) x -= left[i++];
            if (left[i] <= 0) continue; // rounding at the end of the range: draw again
            Sample s = samples.get(i);
            if (next[i] >= s.vectors().size()) {
                left[i] = 0;
                continue;
            }
            out.add(s.vectors().get(next[i]++));
            left[i]--;
        }
        return out;
    }

    /** Phase 3 on this node's shards: each query's index and exhaustive top k, with the filter. */
    List<Hits> search(List<float[]> queries, Request r) throws IOException {
        List<Hits> out = new ArrayList<>(queries.size());
        for (float[] q : queries) out.add(new Hits(top(q, r, false), top(q, r, true)));
        return out;
    }

    private List<Hit> top(float[] q, Request r, boolean exhaustive) throws IOException {
        List<Hit> all = new ArrayList<>();
        for (Map.Entry<Integer, Shard> e : shards.entrySet()) {
            Shard sh = e.getValue();
            List<Shard.VectorHit> hs = exhaustive ? sh.searchExact(q, r.topK(), r.filter(), Float.NaN) : sh.searchVector(q, r.topK(), r.filter(), Float.NaN);
            for (Shard.VectorHit h : hs) all.add(new Hit(e.getKey(), h.vid(), h.distance()));
        }
        return topK(all, r.topK());
    }

    private static List<Hit> topK(List<Hit> all, int k) {
        List<Hit> sorted = new ArrayList<>(all);
        sorted.sort((a, b) -> Float.compare(a.distance(), b.distance()));
        return sorted.size() > k ? sorted.subList(0, k) : sorted;
    }

    /**
     * Phase 4: the answer from every node's hits ({@code perNode.get(n).get(q)}: node n's hits for
     * query q), each query's searches merged into their top k over all nodes.
     */
    public static Result score(List<List<Hits>> perNode, int queries, int k) {
        if (queries == 0) return new Result(0, 0, 0, 0);
        double recallSum = 0, annSum = 0, exactSum = 0;
        for (int q = 0; q < queries; q++) {
            List<Hit> ann = new ArrayList<>();
            List<Hit> exact = new ArrayList<>();
            for (List<Hits> node : perNode) {
                ann.addAll(node.get(q).ann());
                exact.addAll(node.get(q).exact());
            }
            ann = topK(ann, k);
            exact = topK(exact, k);
            annSum += ann.size();
            exactSum += exact.size();
            recallSum += recall(ann, exact);
        }
        return new Result(recallSum / queries, annSum / queries, exactSum / queries, queries);
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
