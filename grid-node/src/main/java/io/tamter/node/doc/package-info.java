/**
 * Documents and their ids: {@link io.tamter.node.doc.DocId} (u64, UUID or string ≤ 64 bytes, a
 * stable tagged binary key, FNV-1a routing to shards), {@link io.tamter.node.doc.Document} and its
 * versioned, checksummed binary form {@link io.tamter.node.doc.DocumentCodec}.
 *
 * <h2>Vids</h2>
 * Inside a shard every document has a vid, the key the vector index and the text index use. Vids
 * are assigned <b>per document</b>, from a per-shard counter that only grows: an upsert or patch of
 * an existing document keeps its vid (the vector index bumps the vid's version, the text index
 * replaces the vid's Lucene document); a deleted document's vid is never reused, and writing its
 * id again gives it a new vid. Per-document vids keep the vid space dense (the vector index keeps
 * an in-memory version array indexed by vid). The id → vid mapping and the documents live in the
 * shard's {@code docs} column family ({@link io.tamter.node.doc.DocumentStore}, which the shard
 * writes in its apply).
 */
package io.tamter.node.doc;
