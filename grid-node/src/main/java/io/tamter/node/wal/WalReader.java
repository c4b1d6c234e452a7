package io.tamter.node.wal;

import io.tamter.node.objectstore.ObjectInfo;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.objectstore.StoredObject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads one shard's WAL from the object store: lists its segments, replays those after an
 * applied sequence number in order, tells a new writer where to continue, and deletes segments a
 * checkpoint covers.
 *
 * <p>The segments of a shard form one contiguous run of sequence numbers: the writer never skips
 * one, and {@link #truncateBefore} only removes a prefix of the run. Replay checks this and fails
 * with a {@link WalGapException} on a missing segment instead of silently skipping writes. Every
 * segment is decoded and checked by {@link WalSegmentCodec} (checksum, and that it is the
 * segment its key says).
 *
 * <p>Listings are not snapshots: segments written during a replay may not be included; replaying
 * again from the returned sequence number picks them up. Thread-safe (stateless).
 */
public final class WalReader {
    /** Receives the entries of replayed segments, in log order. */
    @FunctionalInterface
    public interface EntryConsumer {
        /**
         * @param seq     sequence number of the segment holding the entry
         * @param index   position of the entry in its segment, from 0
         * @param payload the entry's payload
         */
        void accept(long seq, int index, byte[] payload) throws IOException;
    }

    private final ObjectStore store;
    private final WalShard shard;

    public WalReader(ObjectStore store, WalShard shard) {
        this.store = Objects.requireNonNull(store, "store");
        this.shard = Objects.requireNonNull(shard, "shard");
    }

    public WalShard shard() {
        return shard;
    }

    /**
     * The sequence numbers of the shard's segments, ascending.
     *
     * @throws CorruptWalException if an object under the WAL prefix is not named like a segment
     */
    public List<Long> segmentSeqs() throws IOException {
        List<ObjectInfo> infos = store.list(shard.prefix());
        List<Long> seqs = new ArrayList<>(infos.size());
        for (ObjectInfo info : infos) seqs.add(shard.parseSeq(info.key()));
        // fixed-width keys sort numerically; sort anyway so a store's listing order is not load-bearing
        seqs.sort(null);
        return seqs;
    }

    /** The highest sequence number present, or 0 when the shard has no segments. */
    public long lastSeq() throws IOException {
        List<Long> seqs = segmentSeqs();
        return seqs.isEmpty() ? 0 : seqs.get(seqs.size() - 1);
    }

    /**
     * The sequence number a writer that starts now must use: one past the highest segment present
     * and past {@code checkpointSeq}, the sequence number the latest checkpoint covers (0 if none).
     * The floor matters once {@link #truncateBefore} has removed every segment: without it the
     * numbering would restart below the checkpoint and replay would skip the new writes.
     */
    public long nextSeq(long checkpointSeq) throws IOException {
        if (checkpointSeq < 0) throw new IllegalArgumentException("checkpointSeq must be >= 0; checkpointSeq=" + checkpointSeq);
        return Math.max(lastSeq(), checkpointSeq) + 1;
    }

    /**
     * Reads and validates segment {@code seq}.
     *
     * @throws WalGapException     if it does not exist
     * @throws CorruptWalException if it is not a valid segment of this shard with that number
     */
    public WalSegment read(long seq) throws IOException {
        String key = shard.segmentKey(seq);
        Optional<StoredObject> o = store.getObject(key);
        if (o.isEmpty()) throw new WalGapException(key, seq, "WAL segment " + seq + " of shard " + shard + " does not exist");
        return WalSegmentCodec.decode(key, o.get().bytes(), shard, seq);
    }

    /**
     * Hands every entry of the segments after {@code appliedSeq} to {@code consumer}, segment by
     * segment in sequence order, entries in append order. Idempotent for an idempotent consumer:
     * replaying again from the same {@code appliedSeq} gives the same entries.
     *
     * @param appliedSeq the last sequence number the local state has applied (0: none)
     * @return the last sequence number replayed, or {@code appliedSeq} when there was nothing after it
     * @throws WalGapException     if a segment between {@code appliedSeq + 1} and the last one is missing
     * @throws CorruptWalException if a segment fails validation (nothing after it is replayed)
     */
    public long replay(long appliedSeq, EntryConsumer consumer) throws IOException {
        if (appliedSeq < 0) throw new IllegalArgumentException("appliedSeq must be >= 0; appliedSeq=" + appliedSeq);
        Objects.requireNonNull(consumer, "consumer");
        long expected = appliedSeq + 1;
        for (long seq : segmentSeqs()) {
            if (seq <= appliedSeq) continue;
            if (seq != expected) {
                throw new WalGapException(shard.segmentKey(expected), expected, "WAL of shard " + shard + " has a gap: segment "
                        + expected + " is missing but segment " + seq + " exists (replay from applied seq " + appliedSeq
                        + "); segments are deleted only below a checkpoint, so either objects were lost or the local state "
                        + "is older than the checkpoint and must be restored from it first");
            }
            WalSegment segment = read(seq);
            List<byte[]> entries = segment.entries();
            for (int i = 0; i < entries.size(); i++) consumer.accept(seq, i, entries.get(i));
            expected = seq + 1;
        }
        return expected - 1;
    }

    /**
     * Deletes the segments with a sequence number below {@code seq}, lowest first (a crash midway
     * leaves a contiguous run). Call it with {@code checkpointSeq + 1} once the manifest of a
     * checkpoint covering {@code checkpointSeq} is durable, and from then on give that
     * {@code checkpointSeq} to {@link #nextSeq(long)}.
     *
     * @return how many segments were deleted
     */
    public int truncateBefore(long seq) throws IOException {
        int deleted = 0;
        for (long s : segmentSeqs()) {
            if (s >= seq) break;
            if (store.delete(shard.segmentKey(s))) deleted++;
        }
        return deleted;
    }
}
