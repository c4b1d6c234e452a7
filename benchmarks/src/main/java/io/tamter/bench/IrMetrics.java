package io.tamter.bench;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Ranking quality as trec_eval / pytrec_eval compute it (the numbers BEIR reports):
 * <ul>
 *   <li>{@code ndcg_cut_k}: DCG = Σ_{rank r ≤ k} gain(doc_r) / log2(r + 1) with gain = the judged
 *   relevance (linear, not 2^rel − 1; unjudged or rel ≤ 0 → 0); the ideal DCG sorts the positive
 *   judgments of the query (all of them, retrieved or not) in decreasing order and cuts at k.</li>
 *   <li>{@code recall_k}: relevant (rel &gt; 0) documents among the first k, over all relevant ones.</li>
 * </ul>
 * A document id repeated in a ranking counts once (its first rank). A query without relevant
 * judgments has no value (NaN); callers skip it, as trec_eval does for queries absent from the qrels.
 * trec_eval ranks a run by score, not by the order it was given in: {@link #trecOrder} does the same
 * (ties by document id, descending), so equal scores are broken as BEIR's numbers break them.
 * (BEIR also drops a result whose id equals the query id; no SciFact query id is a document id.)
 */
public final class IrMetrics {
    private IrMetrics() {}

    /**
     * The ids in trec_eval's order: score descending, ties by id descending (trec_eval compares
     * {@code docno}s with strcmp; the same for ASCII ids).
     */
    public static List<String> trecOrder(List<String> ids, List<Float> scores) {
        Integer[] idx = new Integer[ids.size()];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        java.util.Arrays.sort(idx, (a, b) -> {
            int c = Double.compare(scores.get(b), scores.get(a));
            return c != 0 ? c : ids.get(b).compareTo(ids.get(a));
        });
        List<String> out = new ArrayList<>(idx.length);
        for (int i : idx) out.add(ids.get(i));
        return out;
    }

    public static double ndcg(List<String> ranking, Map<String, Integer> judged, int k) {
        List<Integer> gains = new ArrayList<>();
        for (int g : judged.values()) if (g > 0) gains.add(g);
        if (gains.isEmpty()) return Double.NaN;
        gains.sort((a, b) -> Integer.compare(b, a));
        double ideal = 0;
        for (int i = 0; i < Math.min(k, gains.size()); i++) ideal += gains.get(i) / log2(i + 2);
        double dcg = 0;
        int rank = 0;
        Set<String> seen = new HashSet<>();
        for (String id : ranking) {
            if (rank >= k) break;
            if (!seen.add(id)) continue;
            rank++;
            int g = judged.getOrDefault(id, 0);
            if (g > 0) dcg += g / log2(rank + 1);
        }
        return dcg / ideal;
    }

    public static double recall(List<String> ranking, Map<String, Integer> judged, int k) {
        long relevant = judged.values().stream().filter(g -> g > 0).count();
        if (relevant == 0) return Double.NaN;
        Set<String> seen = new HashSet<>();
        int found = 0;
        for (String id : ranking) {
            if (seen.size() >= k) break;
            if (!seen.add(id)) continue;
            if (judged.getOrDefault(id, 0) > 0) found++;
        }
        return (double) found / relevant;
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
