package io.tamter.node.namespace;

import io.tamter.node.shard.Shard;
import java.io.IOException;

/**
 * The shard parts of one write request, written one shard after another. A failure before any part
 * was written leaves the request unapplied and is passed on as it is (a 503 then promises that
 * nothing was written); a failure after a part was written becomes a
 * {@link WriteOutcomeUnknownException}, since the request is then partly applied.
 */
final class ShardParts {
    private int written;

    /** How a part finds its shard: opening it (a grid node opens a shard it owns on demand) may fail. */
    @FunctionalInterface
    interface ShardSource {
        Shard get() throws IOException;
    }

    /** {@link #write(Shard, Shard.Resolver)} on shard number {@code shard}, found by {@code source}: failing to find it counts as the part failing. */
    <R> R write(int shard, ShardSource source, Shard.Resolver<R> resolver) throws IOException {
        Shard sh;
        try {
            sh = source.get();
        } catch (IOException | RuntimeException e) {
            if (written == 0) throw e;
            throw new WriteOutcomeUnknownException("the write's part for shard " + shard + " failed after " + written
                    + " other shard part(s) were written: " + e.getMessage(), e);
        }
        return write(sh, resolver);
    }

    <R> R write(Shard shard, Shard.Resolver<R> resolver) throws IOException {
        try {
            R out = shard.write(resolver);
            written++;
            return out;
        } catch (IOException | RuntimeException e) {
            if (written == 0 || e instanceof WriteOutcomeUnknownException) throw e;
            throw new WriteOutcomeUnknownException("the write's part for shard " + shard.id().shard() + " failed after " + written
                    + " other shard part(s) were written: " + e.getMessage(), e);
        }
    }
}
