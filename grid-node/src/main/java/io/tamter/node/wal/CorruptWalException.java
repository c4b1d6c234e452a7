package io.tamter.node.wal;

import io.tamter.node.objectstore.CorruptObjectException;

/**
 * A WAL segment (or the sequence of segments of a shard) is not what the WAL wrote: bad magic,
 * unknown version, lengths that do not add up, a failed checksum, a segment under the wrong key,
 * or a missing segment in the middle of the log. The message names the key. Recovery stops
 * here: the WAL is the source of truth and is never repaired silently.
 */
public class CorruptWalException extends CorruptObjectException {
    public CorruptWalException(String key, String reason) {
        super(key, reason);
    }
}
