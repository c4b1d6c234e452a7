package io.tamter.node.wal;

import java.util.List;

/**
 * One decoded WAL segment: the payloads of one group commit, in the order they were appended.
 *
 * @param namespaceHash {@link WalShard#namespaceHash()} of the shard that wrote it
 * @param shard         shard number
 * @param seq           the segment's sequence number (also in its key)
 * @param writerId      random id of the {@link WalWriter} instance that wrote it
 * @param entries       the opaque payloads (arrays are the caller's)
 */
public record WalSegment(long namespaceHash, int shard, long seq, long writerId, List<byte[]> entries) {
    public WalSegment {
        entries = List.copyOf(entries);
    }
}
