package io.tamter.node.shard;

import io.tamter.node.doc.DocId;
import io.tamter.node.wal.WalBackpressureException;
import io.tamter.node.wal.WalClosedException;
import io.tamter.node.wal.WalFencedException;
import io.tamter.node.wal.WalUnavailableException;
import io.tamter.node.wal.WalWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One resolved write batch of a shard between its WAL append and the end of its apply: queued
 * for the WAL, being written, or durable and waiting to be applied. {@link Shard#write} creates it
 * under the write lock; it is finished (applied, or failed) under the apply lock, in WAL order.
 */
final class InFlight {
    final List<ShardWrite> writes;
    final int bytes;
    /** Where the batch lands in the WAL; set by {@link Queue#append} when the WAL accepted it. */
    CompletableFuture<WalWriter.Appended> wal;
    /** Guarded by the queue's monitor. */
    private boolean done;
    private Throwable failure;

    InFlight(List<ShardWrite> writes, int bytes) {
        this.writes = writes;
        this.bytes = bytes;
    }

    /**
     * The batches in flight of one shard, in WAL order, and the ids and vids they write (so that a
     * resolution can tell whether it touches one). Appending to the WAL and to this queue happen
     * under one monitor, so a batch whose WAL future has completed is always in the queue.
     */
    static final class Queue {
        private final ArrayDeque<InFlight> entries = new ArrayDeque<>();
        private final Map<DocId, Integer> ids = new HashMap<>();
        private final Map<Long, Integer> vids = new HashMap<>();

        /**
         * Appends {@code payload} (the encoding of {@code f}'s writes) to {@code wal} and queues
         * {@code f}, unless the WAL refused it at once (backpressure, fenced, closed: never
         * written, or the store unavailable); then {@code f.wal} stays null and the refused future is returned.
         */
        synchronized CompletableFuture<WalWriter.Appended> append(WalWriter wal, byte[] payload, InFlight f) {
            CompletableFuture<WalWriter.Appended> a = wal.appendEntry(payload);
            if (a.isCompletedExceptionally()) {
                Throwable t = a.exceptionNow();
                if (t instanceof WalBackpressureException || t instanceof WalClosedException || t instanceof WalFencedException
                        || t instanceof WalUnavailableException) return a;
            }
            f.wal = a;
            entries.addLast(f);
            for (ShardWrite w : f.writes) {
                ids.merge(docId(w), 1, Integer::sum);
                vids.merge(w.vid(), 1, Integer::sum);
            }
            return a;
        }

        synchronized boolean isEmpty() {
            return entries.isEmpty();
        }

        /** How many batches are in flight (each write call's batch is one, however the WAL groups them). */
        synchronized int size() {
            return entries.size();
        }

        synchronized boolean writes(DocId id) {
            return ids.containsKey(id);
        }

        synchronized boolean writesVid(long vid) {
            return vids.containsKey(vid);
        }

        /** The oldest batch in flight, or null. */
        synchronized InFlight head() {
            return entries.peekFirst();
        }

        /** The newest batch in flight, or null. */
        synchronized InFlight tail() {
            return entries.peekLast();
        }

        /** The {@code n} oldest batches (fewer if there are fewer). */
        synchronized List<InFlight> oldest(int n) {
            List<InFlight> out = new ArrayList<>(Math.min(n, entries.size()));
            Iterator<InFlight> it = entries.iterator();
            while (out.size() < n && it.hasNext()) out.add(it.next());
            return out;
        }

        /** Ends {@code f}, the oldest batch: applied ({@code failure == null}) or failed. */
        synchronized void finish(InFlight f, Throwable failure) {
            if (entries.peekFirst() != f) throw new IllegalStateException("batches in flight must finish in WAL order");
            entries.pollFirst();
            for (ShardWrite w : f.writes) {
                ids.computeIfPresent(docId(w), (k, n) -> n == 1 ? null : n - 1);
                vids.computeIfPresent(w.vid(), (k, n) -> n == 1 ? null : n - 1);
            }
            f.done = true;
            f.failure = failure;
        }

        synchronized boolean done(InFlight f) {
            return f.done;
        }

        /** Why {@code f} failed, or null (applied, or not done yet). */
        synchronized Throwable failure(InFlight f) {
            return f.failure;
        }

        private static DocId docId(ShardWrite w) {
            return switch (w) {
                case ShardWrite.Put p -> p.doc().id();
                case ShardWrite.Delete d -> d.id();
            };
        }
    }
}
