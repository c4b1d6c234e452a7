/**
 * The namespace engine: {@link io.tamter.node.namespace.NamespaceManager} opens, creates, lists and
 * deletes namespaces; {@link io.tamter.node.namespace.Namespace} runs the operations of API.md
 * (upsert, patch, delete, conditional variants with {@code $ref_new}, filter-delete, get, search).
 *
 * <h2>Settings</h2>
 * {@code <ns>/meta.json} ({@link io.tamter.node.namespace.NamespaceSettings}), created and updated by
 * compare-and-set. Dimensions are fixed by the first vector; attributes new to the schema are
 * inferred from the batch; both are stored before the batch is logged, so replay always finds a
 * schema that knows every logged attribute.
 *
 * <h2>Validation</h2>
 * A request is validated as a whole (ids, duplicates, vectors, dimensions, attribute names and
 * types, conditions and filters) before anything is written; errors are
 * {@link java.lang.IllegalArgumentException}s with a code and the JSON path (HTTP 400).
 * Embedding: a row with {@code text} and no {@code vector} is embedded with the namespace's model
 * when the namespace has none or that model's dimensions; with a client-chosen other dimension it is
 * a 400; with embedding off ({@code embedding_model: null}) the row is stored without a vector.
 *
 * <h2>Search</h2>
 * Vector search asks each shard for its top k (a selective filter is answered exactly from the stored
 * vectors of its matches: {@code index.filter_exact_fraction}); BM25 asks each shard's text index;
 * shard lists are merged by distance or score. Hybrid fuses the vector and BM25 lists (each
 * {@code max(2·top_k, 20)} long) by reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009):
 * {@code score = Σ 1/(60 + rank)}. BM25 scores of different shards are merged as they are (each
 * shard has its own statistics, as in Elasticsearch's default query-then-fetch).
 * {@code include_metadata} defaults to all attributes.
 *
 * <h2>Limits</h2>
 * A multi-shard request is atomic per shard, not across shards. Not implemented yet: configure-metric,
 * encryption, copy, export with a cursor, the query result cache, warm.
 */
package io.tamter.node.namespace;
