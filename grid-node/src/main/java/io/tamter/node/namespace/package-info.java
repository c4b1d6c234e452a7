/**
 * The namespace engine: {@link io.tamter.node.namespace.NamespaceManager} opens, creates, lists,
 * copies and deletes namespaces and sets their encryption; {@link io.tamter.node.namespace.Namespace}
 * runs the operations of API.md (upsert, patch, delete, conditional variants with {@code $ref_new},
 * filter-delete, update-by-filter, columnar upsert and patch, get, export, search, configure-metric,
 * _debug/recall, metadata).
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
 * vectors of its matches: {@code index.filter_exact_fraction}; writes not yet in the vector index
 * are scanned exactly and merged, see the shard package); BM25 asks each shard's text index;
 * shard lists are merged by distance or score. Hybrid fuses the vector and BM25 lists (each
 * {@code max(2·top_k, 20)} long) by reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009):
 * {@code score = Σ w/(rrf_k + rank)} (rrf_k 60 and weights 1 by default). BM25 scores of different shards are merged as they are (each
 * shard has its own statistics, as in Elasticsearch's default query-then-fetch).
 * {@code include_metadata} defaults to all attributes. {@code rank_by} ({@link io.tamter.node.namespace.RankBy})
 * asks each shard for its first top_k after the cursor in attribute order and merges by key;
 * {@code aggregate_by} ({@link io.tamter.node.namespace.Aggregation}) adds the shards' totals. Both
 * scan the filter's matches in the document store. {@code consistency: eventual} skips the exact
 * scan of the unindexed tail.
 *
 * <h2>Encryption</h2>
 * {@code {"mode":"customer-managed","key_name":…}} puts every object of the namespace but
 * {@code meta.json} and the wrapped data key through {@link io.tamter.node.crypto.EncryptingObjectStore}
 * (WAL, manifests, checkpoint files); opening it needs the key ({@link io.tamter.node.namespace.NamespaceManager}).
 * The encryption of a namespace can change only before its first write (else {@code namespace_not_empty});
 * re-encryption is not implemented (copy into a namespace created with the wanted encryption).
 *
 * <h2>Export, copy, metric</h2>
 * Export pages through documents in id order with an opaque cursor ({@link io.tamter.node.namespace.ExportCursor}:
 * u64 ids numerically, then UUIDs, then strings by UTF-8 bytes, the same for any shard count). Copy
 * reads the source in that order and writes through the target's write path. A metric change on a
 * namespace with vectors rebuilds each shard's index in the background
 * ({@link io.tamter.node.shard.VectorIndexRebuild}); its vector searches are exact meanwhile.
 *
 * <h2>Cold tier</h2>
 * {@link io.tamter.node.namespace.ShardCache}: shards leave memory when idle
 * ({@code storage.idle_unload_ms}) and local disk past a budget ({@code storage.local_disk_budget_bytes}),
 * least recently used first; {@link io.tamter.node.namespace.Namespace} reopens them on their next
 * request (one load however many requests wait) and {@code warm} loads them ahead of queries.
 *
 * <h2>Limits</h2>
 * A multi-shard request is atomic per shard, not across shards; so is a copy. Not implemented yet:
 * the query result cache, re-encryption / key rotation of a namespace with data. Settings
 * changes (metric, encryption) are made by the node that runs them; other nodes of a grid that
 * have the namespace open learn of them only when they reopen it (the replicated settings cache
 * of ARCHITECTURE.md is not there yet).
 */
package io.tamter.node.namespace;
