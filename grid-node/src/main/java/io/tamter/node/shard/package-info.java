/**
 * One shard's lifecycle and local state. {@link io.tamter.node.storage.ShardDb} is its RocksDB instance
 * (column families {@code docs}, {@code postings}, {@code centroids}, {@code versions}, {@code meta})
 * with a {@code version.info} in its directory; {@link io.tamter.node.shard.Shard} is the open shard:
 * documents, vector index, text index and WAL writer.
 *
 * <h2>Write path</h2>
 * Under the shard's write lock: the caller's resolver reads the documents, evaluates conditions,
 * merges patches and assigns vids, producing <em>resolved effects</em>
 * ({@link io.tamter.node.shard.ShardWrite}: put document at vid, delete vid); the effects are one WAL
 * payload ({@link io.tamter.node.shard.ShardWriteCodec}), appended to the WAL writer; the lock is
 * released. The next batch is resolved while this one waits to be durable, so the WAL's group
 * commit puts the batches of concurrent writers into one segment. Durable batches are applied in
 * WAL order, under the apply lock, whole segments at a time (all those durable, together): text
 * index (refreshed lazily by the next read), and the documents plus the applied WAL sequence number
 * in one RocksDB write batch; the effects join the shard's unindexed tail; then the writes are
 * acked. Reads see applied state only, so nothing that is not durable.
 *
 * <h2>The vector index off the write path</h2>
 * {@link io.tamter.node.shard.IndexTail} (ARCHITECTURE.md's write buffer) holds the applies the
 * vector index does not hold yet. One worker task per shard (on a shared pool) writes them into
 * the index oldest first, then records {@code engine.indexed_seq} in the {@code meta} column
 * family, then drops them from the tail. A vector search ({@link io.tamter.node.shard.ShardVectorSearch},
 * called by the shard under its index read lock) reads the tail's latest state of each vid
 * it touches <em>before</em> it asks the index, scores those documents exactly, leaves the
 * index's entries of those vids out (deleted, overwritten or not there yet) and merges: so every
 * acked write is found at once (a vid leaves the tail only once the index holds it). Filters and
 * BM25 need no scan: the text index is still written in the apply (its refresh is what costs, and
 * that is lazy), so a filter's matches include the tail's documents. The tail is bounded: past
 * {@code index.max_unindexed_bytes} of WAL payload, the shard refuses writes with
 * {@link io.tamter.node.shard.IndexBackpressureException} (HTTP 429) before resolving them.
 * {@link io.tamter.node.shard.Shard#holdIndexing} holds the worker (tests).
 * A resolution that touches a batch still in flight (the same id or vid, or a query over all
 * documents such as a filter delete) first waits for the batches in flight to be applied; see
 * {@link io.tamter.node.shard.Shard.View} for why this rather than an overlay of pending effects.
 * Because the log holds effects, not requests, replay needs no evaluation and is idempotent.
 *
 * <p>Reads take no shard lock and see each apply as soon as it is done. A multi-search, whose
 * queries must all see one state, runs its queries of a shard under one
 * {@link io.tamter.node.shard.Shard#pin}: applies and the worker's moves of tail entries into the
 * index wait until it is released (writes are still resolved and logged meanwhile).
 *
 * <p><b>Not there yet:</b> the text index in the worker too (it is written in the apply, so each
 * apply still pays Lucene's analysis and buffering of its documents).
 *
 * <h2>Checkpoints</h2>
 * {@link io.tamter.node.shard.Checkpointer}: under the write lock (briefly: a RocksDB flush and
 * hard-link checkpoint, a Lucene commit pinned by a {@code SnapshotDeletionPolicy}) the shard
 * takes a local copy in which documents, vector index and text index all hold exactly the writes
 * up to the applied seq; without the lock it uploads the files no previous manifest references
 * (content-addressed keys), writes {@code manifest.json} ({@link io.tamter.node.shard.CheckpointManifest})
 * by compare-and-set (a lost CAS: fenced, stop), then deletes the WAL segments it covers and the
 * objects only the previous manifest referenced. Triggered every {@code checkpoint.interval_ms}
 * with writes, after {@code checkpoint.wal_bytes} of WAL, at a clean close, or by
 * {@link io.tamter.node.shard.Shard#checkpoint()}.
 *
 * <h2>Recovery</h2>
 * With no local state and a manifest, the checkpoint is downloaded first (into a staging directory,
 * each file checked against its size and CRC32C, then moved into place). Open local state; the
 * documents' applied seq is in the {@code meta} column family, the text index's in its last
 * commit's user data (committed every {@code TEXT_COMMIT_EVERY} batches, at checkpoints and at
 * close), the vector index's in {@code engine.indexed_seq}. Replay starts one segment before the
 * oldest of the three (an earlier build's replay may have applied a segment of several entries
 * in part), and applies whole segments, each only to the parts that do not hold it: the text
 * index gets the segments after its commit's seq, the documents those from their applied seq on,
 * and the segments after the indexed seq are queued for the index worker again. The text index
 * is the one part where applying a segment twice shows: a Lucene update is a delete plus an add,
 * and deleted documents count in BM25's statistics (docFreq, docCount, average field length)
 * until a merge, so scores would move although the documents are the same (issue 9: after a
 * restore from a checkpoint taken while the worker lagged). A checkpoint covers the oldest of the
 * applied, text and indexed seqs, so the WAL it truncates never holds writes a part still needs. When the segments replay needs
 * were deleted by a checkpoint: local state at or past the checkpoint's seq replays from the
 * checkpoint's seq; local state older than it is replaced by the checkpoint (a replay gap otherwise).
 * Local state newer than the checkpoint is kept. The vector index lives in the same RocksDB as the
 * documents; it may be behind the applied seq, never ahead of what {@code engine.indexed_seq}
 * claims (the seq is written after the index writes). An empty local directory and no checkpoint
 * rebuilds the whole shard from the WAL.
 */
package io.tamter.node.shard;
