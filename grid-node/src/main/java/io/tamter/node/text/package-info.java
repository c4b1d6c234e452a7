/**
 * A shard's Lucene index, which is two indexes in one directory: the BM25 full-text index and the
 * attribute index that filters are evaluated on (ARCHITECTURE.md). Documents are keyed by the
 * shard's internal vid, the same key the SPFresh vector index uses, so a filter evaluated here
 * becomes the vid bitset ({@link io.tamter.node.text.VidBitSet}) that the vector search checks
 * during its posting scans (SPFRESH.md, "Filters").
 *
 * <h2>Ranking</h2>
 * Okapi BM25 (Robertson and Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond",
 * 2009) as implemented by Lucene's {@code BM25Similarity}: for each query term t in field f,
 * {@code idf(t) · tf / (tf + k1 · (1 − b + b · |d| / avgdl))}, where Lucene drops the constant
 * {@code (k1 + 1)} factor of the textbook formula (it does not change the order). Each full-text
 * attribute has its own k1 and b ({@code PerFieldSimilarityWrapper}) and its own analyzer
 * ({@link io.tamter.node.text.Analyzers}). A query over several attributes sums their scores (one
 * SHOULD clause per attribute), which is what a user of Elasticsearch's {@code most_fields} or
 * turbopuffer's {@code Sum} of BM25 expects.
 *
 * <h2>Freshness</h2>
 * Lucene's near-real-time readers make writes searchable at {@link io.tamter.node.text.TextIndex#refresh()}
 * without a commit; commits happen at checkpoints, with the WAL position in the commit's user
 * data. Acked writes not yet refreshed are covered by the shard's write buffer, not here.
 */
package io.tamter.node.text;
