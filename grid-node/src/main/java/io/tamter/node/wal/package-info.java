/**
 * The write-ahead log of a shard: how a write becomes durable, and how a shard knows it still
 * owns itself.
 *
 * <p><b>Role.</b> The object store is the source of truth (ARCHITECTURE.md). A write batch is
 * acknowledged only after it is stored there as part of an immutable, checksummed WAL segment
 * {@code <ns>/shards/<s>/wal/<seq, 20 digits>.log}; local state (RocksDB, Lucene, the write
 * buffer) is a cache rebuilt from the latest checkpoint plus the segments after it. Segment
 * sequence numbers are contiguous from 1; a checkpoint records the last one it covers, and only
 * segments below it are ever deleted.
 *
 * <p><b>Durability with few objects.</b> One object per write would cost one object-store round
 * trip (tens of milliseconds on GCS) and one object per document. {@link io.tamter.node.wal.WalWriter}
 * does group commit instead: concurrent appends share one segment, written when its oldest write
 * has waited {@code wal.group_commit_max_delay_ms} or it reaches {@code wal.group_commit_max_bytes},
 * and all their futures complete once it is stored. The payload of an entry is opaque here (the
 * document-level write batch, encoded by the caller); the segment format is
 * {@link io.tamter.node.wal.WalSegmentCodec}.
 *
 * <p><b>Fencing.</b> A segment is created only if its key is absent
 * ({@link io.tamter.node.objectstore.ObjectStore#putIfAbsent}). Two nodes that both believe they
 * own a shard race for the same next sequence number; exactly one creates it, the other finds a
 * segment carrying another writer's id, stops ({@link io.tamter.node.wal.WalFencedException}) and
 * must give the shard up. No lease or lock service is needed, and an acknowledged write can never
 * be overwritten. Each segment carries its writer's random id, which also lets a writer recognise
 * its own segment after a lost response, so retries neither duplicate a write nor leave a gap.
 *
 * <p><b>Store failures.</b> A segment write that fails past its retries has an unknown outcome
 * (its answer may have been lost). The writer settles it before writing anything else: it creates
 * its own empty segment under that number, which either wins (the group was not written) or finds
 * the group there (written). Meanwhile appends are refused
 * ({@link io.tamter.node.wal.WalUnavailableException}, nothing written); the settle is retried in
 * the background until the store answers. So the log never has a gap or a group that its shard did
 * not apply (see {@link io.tamter.node.wal.WalWriter}, "I/O errors, retries and settling").
 *
 * <p><b>Recovery.</b> {@link io.tamter.node.wal.WalReader#replay} hands the entries after the
 * local state's applied sequence number to the caller in order, checking that no segment is
 * missing and that each is intact; a new writer starts at
 * {@link io.tamter.node.wal.WalReader#nextSeq}. Replay is idempotent when applying is.
 */
package io.tamter.node.wal;
