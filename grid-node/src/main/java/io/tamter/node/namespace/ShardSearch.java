package io.tamter.node.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.node.doc.DocId;
import io.tamter.node.doc.InvalidRequestException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The two halves of a search over several shards: what one shard answers ({@link Partial}: its
 * best vector and BM25 candidates with the documents they point at, already cut to what the
 * request asks to see), and how the partials of all shards become one result ({@link #merge}).
 * {@link Namespace#search} runs both in one process; the grid's search task runs one
 * {@link Namespace#searchShard} per shard on the shard's owner and merges the partials.
 *
 * <p>Merging: vector candidates by distance, BM25 candidates by score (each shard's BM25 uses its
 * own statistics, as in Elasticsearch's default query-then-fetch), each list cut to the number of
 * candidates the mode asks every shard for; hybrid fuses the two lists by reciprocal rank fusion
 * (Cormack, Clarke and Büttcher, SIGIR 2009): {@code score = w_vector/(k + rank_vector) +
 * w_bm25/(k + rank_bm25)}, ranks from 1, k = {@code rrf_k} (default 60), weights default 1 (a list
 * the document is not in adds nothing). A rank_by search merges the shards' pages by key
 * ({@link RankBy}); aggregations add the shards' totals ({@link Aggregation}). Ties go to the
 * smaller document id, so a result does not depend on which shard answered first.
 */
public final class ShardSearch {
    private ShardSearch() {}

    /** A shard's candidate: the document (projected as the request asks), its score, and its vector distance (NaN for none). */
    public record Candidate(DocId id, Map<String, JsonNode> metadata, float[] vector, String text, float score, float dist) {}

    /**
     * A shard's candidates. {@code text} says whether BM25 had anything to rank in the shard; it is
     * only looked up when the shard's BM25 list came back empty ({@link TextPresence#PRESENT} otherwise).
     * For a rank_by search, {@code ranked} holds the shard's first {@code top_k} documents after the
     * cursor, in order, with their keys, and {@code more} says whether it has further ones; for an
     * aggregation, {@code aggregates} holds the shard's totals (null otherwise).
     */
    public record Partial(List<Candidate> vector, List<Candidate> bm25, TextPresence text, List<Ranked> ranked, boolean more,
            Aggregation.Partials aggregates) {
        public Partial(List<Candidate> vector, List<Candidate> bm25, TextPresence text) {
            this(vector, bm25, text, List.of(), false, null);
        }

        public Partial(List<Candidate> vector, List<Candidate> bm25) {
            this(vector, bm25, TextPresence.PRESENT);
        }
    }

    /** A candidate of a rank_by search and its place in the order. */
    public record Ranked(Candidate candidate, RankBy.Key key) {}

    /**
     * A merged search: the matches, the cursor of the next rank_by page (null: none, or not a
     * rank_by search) and the aggregations (null when none were asked for).
     */
    public record Merged(SearchResult result, String nextCursor, Aggregation.Result aggregations) {}

    /** Whether a shard holds full-text values: some (or not looked up), no documents at all, documents but no text. */
    public enum TextPresence { PRESENT, NO_DOCUMENTS, ABSENT }

    /** How many candidates each shard returns per list: top_k, or for hybrid {@code max(2·top_k, 20)}. */
    public static int candidates(SearchRequest r) {
        return mode(r) == SearchRequest.Mode.HYBRID ? Math.min(SearchRequest.MAX_TOP_K, Math.max(2 * r.topK(), 20)) : r.topK();
    }

    static SearchRequest.Mode mode(SearchRequest r) {
        return r.mode() != null ? r.mode() : SearchRequest.Mode.VECTOR;
    }

    /**
     * Merges the shards' answers into the top k.
     *
     * @throws InvalidRequestException ({@code mode}) for a BM25 search of a namespace that has
     *     documents but no full-text value in any of them: an empty answer there would read as "no
     *     match" when the search cannot match anything (a vector-only namespace)
     */
    public static SearchResult merge(List<Partial> parts, SearchRequest r) {
        return mergeAll(parts, r).result();
    }

    /**
     * Merges the shards' answers: the top k of a vector, text or hybrid search ({@link #merge}), or
     * the first {@code top_k} of a rank_by search (each shard answered its first {@code top_k}
     * after the cursor, so the first {@code top_k} of their union are the page), and the
     * aggregations summed over the shards.
     */
    public static Merged mergeAll(List<Partial> parts, SearchRequest r) {
        Aggregation.Result aggs = null;
        if (r.aggregate() != null) {
            Aggregation.Partials total = null;
            for (Partial p : parts) {
                if (p.aggregates() == null) continue;
                if (total == null) total = Aggregation.Partials.fromJson(p.aggregates().toJson()); // a copy: partials stay as answered
                else total.add(p.aggregates());
            }
            if (total != null) aggs = Aggregation.render(r.aggregate(), total, r.topK());
        }
        if (r.rankBy() != null) {
            List<Ranked> all = new ArrayList<>();
            boolean more = false;
            for (Partial p : parts) {
                all.addAll(p.ranked());
                more |= p.more();
            }
            Comparator<RankBy.Key> order = r.rankBy().order();
            all.sort((a, b) -> order.compare(a.key(), b.key()));
            more |= all.size() > r.topK();
            if (all.size() > r.topK()) all = all.subList(0, r.topK());
            List<SearchResult.Match> out = new ArrayList<>(all.size());
            for (Ranked x : all) {
                Candidate c = x.candidate();
                out.add(new SearchResult.Match(c.id().toJson(), c.score(), null, c.metadata(), c.vector(), c.text()));
            }
            String next = more && !all.isEmpty() ? r.rankBy().cursor(all.get(all.size() - 1).key()) : null;
            return new Merged(new SearchResult(out), next, aggs);
        }
        if (!r.hasMatches()) return new Merged(new SearchResult(List.of()), null, aggs);
        return new Merged(mergeMatches(parts, r), null, aggs);
    }

    private static SearchResult mergeMatches(List<Partial> parts, SearchRequest r) {
        if (mode(r) == SearchRequest.Mode.BM25 && parts.stream().allMatch(p -> p.text() != TextPresence.PRESENT)
                && parts.stream().anyMatch(p -> p.text() == TextPresence.ABSENT))
            throw new InvalidRequestException("invalid_request", "mode", "mode: bm25 ranks full-text attributes, and no document in this"
                    + " namespace has one (no row has text, no attribute is full_text_search); search it with a vector, or write"
                    + " rows with text");
        int n = candidates(r);
        List<Candidate> vec = new ArrayList<>();
        List<Candidate> bm = new ArrayList<>();
        for (Partial p : parts) {
            vec.addAll(p.vector());
            bm.addAll(p.bm25());
        }
        vec.sort(Comparator.comparingDouble(Candidate::dist).thenComparing(Candidate::id));
        bm.sort(Comparator.comparingDouble((Candidate c) -> -c.score()).thenComparing(Candidate::id));
        if (vec.size() > n) vec = vec.subList(0, n);
        if (bm.size() > n) bm = bm.subList(0, n);
        List<Candidate> ranked;
        Map<DocId, float[]> fused = new HashMap<>(); // id -> {score, dist}
        switch (mode(r)) {
            case VECTOR -> ranked = vec;
            case BM25 -> ranked = bm;
            default -> {
                Map<DocId, Candidate> docs = new LinkedHashMap<>();
                for (int i = 0; i < vec.size(); i++) {
                    Candidate c = vec.get(i);
                    docs.putIfAbsent(c.id(), c);
                    float[] f = fused.computeIfAbsent(c.id(), k -> new float[] {0, Float.NaN});
                    f[0] += r.vectorWeight() / (r.rrfK() + i + 1);
                    f[1] = c.dist();
                }
                for (int i = 0; i < bm.size(); i++) {
                    Candidate c = bm.get(i);
                    docs.putIfAbsent(c.id(), c);
                    fused.computeIfAbsent(c.id(), k -> new float[] {0, Float.NaN})[0] += r.bm25Weight() / (r.rrfK() + i + 1);
                }
                ranked = new ArrayList<>(docs.values());
                ranked.sort((a, b) -> {
                    float sa = fused.get(a.id())[0], sb = fused.get(b.id())[0];
                    return sa != sb ? Float.compare(sb, sa) : a.id().compareTo(b.id());
                });
            }
        }
        List<SearchResult.Match> out = new ArrayList<>();
        for (Candidate c : ranked) {
            if (out.size() >= r.topK()) break;
            float score = c.score();
            float dist = c.dist();
            float[] f = fused.get(c.id());
            if (f != null) {
                score = f[0];
                dist = f[1];
            }
            out.add(new SearchResult.Match(c.id().toJson(), score, Float.isNaN(dist) ? null : dist, c.metadata(), c.vector(), c.text()));
        }
        return new SearchResult(out);
    }
}
