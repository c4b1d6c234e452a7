/**
 * One shard's lifecycle and local state. {@link io.tamter.node.shard.ShardDb} is its RocksDB instance
 * (column families {@code docs}, {@code postings}, {@code centroids}, {@code versions}, {@code meta})
 * with a {@code version.info} in its directory; {@link io.tamter.node.shard.Shard} is the open shard:
 * documents, vector index, text index and WAL writer.
 *
 * <h2>Write path</h2>
 * Under the shard's write lock: the caller's resolver reads the current documents, evaluates
 * conditions, merges patches and assigns vids, producing <em>resolved effects</em>
 * ({@link io.tamter.node.shard.ShardWrite}: put document at vid, delete vid); the effects are one WAL
 * payload ({@link io.tamter.node.shard.ShardWriteCodec}), appended and awaited (durable in the object
 * store); then applied: vector index, text index (refreshed, so searches see it), and the documents
 * plus the applied WAL sequence number in one RocksDB write batch; then the write is acked.
 * Because the log holds effects, not requests, replay needs no evaluation and is idempotent.
 *
 * <p><b>Not there yet:</b> the write buffer of ARCHITECTURE.md. Indexes are updated synchronously on
 * the write path, so a write costs its index updates; the lock is held across the WAL append, so
 * group commit only groups writes of different shards (and each WAL segment of a shard holds one
 * entry, which recovery relies on at a checkpoint boundary, below).
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
 * close). Replay starts one segment before the older of the two (a segment of several entries may
 * have been applied in part) and re-applies every later entry. When the segments replay needs
 * were deleted by a checkpoint: local state at or past the checkpoint's seq replays from the
 * checkpoint's seq; local state older than it is replaced by the checkpoint (a replay gap otherwise).
 * Local state newer than the checkpoint is kept. The vector index lives in the same RocksDB as the
 * documents and is written before them, so it is never behind the applied seq. An empty local
 * directory and no checkpoint rebuilds the whole shard from the WAL.
 */
package io.tamter.node.shard;
