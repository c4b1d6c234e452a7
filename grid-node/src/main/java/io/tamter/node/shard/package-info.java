/**
 * One shard's lifecycle and local state. {@link io.tamter.node.shard.ShardDb} is its RocksDB instance
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
 * WAL order, under the apply lock, whole segments at a time (all those durable, together): vector index, text index (refreshed,
 * so searches see it), and the documents plus the applied WAL sequence number in one RocksDB write
 * batch; then the writes are acked. Reads see applied state only, so nothing that is not durable.
 * A resolution that touches a batch still in flight (the same id or vid, or a query over all
 * documents such as a filter delete) first waits for the batches in flight to be applied; see
 * {@link io.tamter.node.shard.Shard.View} for why this rather than an overlay of pending effects.
 * Because the log holds effects, not requests, replay needs no evaluation and is idempotent.
 *
 * <p><b>Not there yet:</b> the write buffer of ARCHITECTURE.md. Indexes are updated synchronously on
 * the apply path, so a segment's apply costs its index updates.
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
 * have been applied in part by an earlier replay) and re-applies every later entry. When the segments replay needs
 * were deleted by a checkpoint: local state at or past the checkpoint's seq replays from the
 * checkpoint's seq; local state older than it is replaced by the checkpoint (a replay gap otherwise).
 * Local state newer than the checkpoint is kept. The vector index lives in the same RocksDB as the
 * documents and is written before them, so it is never behind the applied seq. An empty local
 * directory and no checkpoint rebuilds the whole shard from the WAL.
 */
package io.tamter.node.shard;
