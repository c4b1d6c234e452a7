package io.tamter.node.namespace;

import io.tamter.node.shard.Shard;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The shard parts of one write request, {@linkplain #add added} one per shard and then
 * {@linkplain #run run} together: every part's shard is found (opened on demand on a grid node)
 * and asked whether it accepts writes now, then every part is submitted (resolved and handed to
 * its shard's WAL), then all are awaited. A request touching n shards waits for one WAL round trip,
 * not n in a row.
 *
 * <p>What a failure promises: when no part was applied, the failure of the first failed part
 * (in shard order) is passed on as it is (a 503 then promises that nothing was written); when some
 * part was applied and another failed, the request is partly applied, which is a
 * {@link WriteOutcomeUnknownException}. Asking every shard first keeps the common refusals (a WAL
 * settling a segment, backpressure, a shard that moved) from writing part of a request; a WAL
 * that fails after its part was submitted still can. A part refused at submission stops the
 * submissions, but the parts already submitted are awaited before the failure is reported, so
 * that the report knows whether any of them landed and no part is left in flight.
 */
final class ShardParts {
    /** How a part finds its shard: opening it (a grid node opens a shard it owns on demand) may fail. */
    @FunctionalInterface
    interface ShardSource {
        Shard get() throws IOException;
    }

    private final List<Part<?>> parts = new ArrayList<>();

    private static final class Part<R> {
        final int number;
        final ShardSource source;
        final Shard.Resolver<R> resolver;
        final Consumer<R> sink;
        Shard shard;
        Shard.Submitted<R> submitted;

        Part(int number, ShardSource source, Shard.Resolver<R> resolver, Consumer<R> sink) {
            this.number = number;
            this.source = source;
            this.resolver = resolver;
            this.sink = sink;
        }

        void submit() throws IOException {
            submitted = shard.submit(resolver);
        }

        void complete() throws IOException {
            sink.accept(shard.await(submitted));
        }
    }

    /** A part for shard number {@code shard}, found by {@code source} when the parts run: failing to find it counts as the part failing. */
    <R> void add(int shard, ShardSource source, Shard.Resolver<R> resolver, Consumer<R> sink) {
        parts.add(new Part<>(shard, source, resolver, sink));
    }

    /** A part for {@code shard}; {@code sink} receives the resolver's result in {@link #run}, once the part is applied. */
    <R> void add(Shard shard, Shard.Resolver<R> resolver, Consumer<R> sink) {
        parts.add(new Part<>(shard.id().shard(), () -> shard, resolver, sink));
    }

    /** Runs the parts added; throws as the class doc says when any failed. */
    void run() throws IOException {
        for (Part<?> p : parts) {
            try {
                p.shard = p.source.get();
                if (parts.size() > 1) p.shard.checkAccepting();
            } catch (IOException | RuntimeException e) {
                throw outcome(p.number, e, 0); // nothing submitted yet
            }
        }
        int submitted = 0;
        for (Part<?> p : parts) {
            try {
                p.submit();
                submitted++;
            } catch (IOException | RuntimeException e) {
                throw outcome(p.number, e, awaitEach(parts.subList(0, submitted)).written()); // that part stopped the request
            }
        }
        Awaited a = awaitEach(parts);
        if (a.firstFailure() != null) throw outcome(a.firstFailedShard(), a.firstFailure(), a.written());
    }

    /** How waiting for submitted parts went: how many were applied, and the first (in shard order) that failed, if any. */
    private record Awaited(int written, Exception firstFailure, int firstFailedShard) {}

    private static Awaited awaitEach(List<Part<?>> submitted) {
        Exception first = null;
        int firstShard = -1, written = 0;
        for (Part<?> p : submitted) {
            try {
                p.complete();
                written++;
            } catch (IOException | RuntimeException e) {
                if (first == null) {
                    first = e;
                    firstShard = p.number;
                }
            }
        }
        return new Awaited(written, first, firstShard);
    }

    /** The failure to report: an IOException is returned for the caller to throw, anything else is thrown here. */
    private static IOException outcome(int shard, Exception e, int written) {
        if (written == 0 || e instanceof WriteOutcomeUnknownException) {
            if (e instanceof RuntimeException r) throw r;
            return (IOException) e;
        }
        throw new WriteOutcomeUnknownException("the write's part for shard " + shard + " failed after " + written
                + " other shard part(s) were written: " + e.getMessage(), e);
    }
}
