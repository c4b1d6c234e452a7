package io.tamter.node.shard;

import java.io.IOException;

/**
 * A checkpoint lost the compare-and-set of its shard's manifest: another owner wrote the manifest
 * since this one read it. This owner must stop checkpointing (and writing) the shard; nothing it
 * did is referenced, and it deleted nothing.
 */
public final class CheckpointFencedException extends IOException {
    public CheckpointFencedException(String message) {
        super(message);
    }
}
