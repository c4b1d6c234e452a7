package io.tamter.node.shard;

import io.tamter.node.doc.Document;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The unindexed tail of a shard (ARCHITECTURE.md's write buffer): the applies whose effects are
 * in the document store but not yet in the vector index, in WAL order, and for each vid they
 * touch, its latest state among them. Searches scan that state exactly and hide the vector
 * index's entries of those vids (which may be stale: deleted, overwritten or absent).
 *
 * <p>Visibility rule that makes the merge correct: a vid leaves {@link #byVid} only after the
 * index holds its latest state, and a search takes its {@link #snapshot} before it asks the
 * index. So every applied write is either in the snapshot or already in the index the search
 * reads afterwards.
 */
final class IndexTail {
    /** One apply: the effects of WAL segments up to {@code seq}, {@code bytes} of WAL payload. */
    record Entry(long no, long seq, List<ShardWrite> writes, long bytes) {}

    /**
     * The latest state of a vid in the tail: its document ({@code null}: deleted), and the number
     * of the last entry that touched it.
     */
    record Pending(Document doc, long no) {}

    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private final ConcurrentHashMap<Long, Pending> byVid = new ConcurrentHashMap<>();
    private long nextNo;
    private long bytes;

    /** Under the shard's apply lock, after the effects are in the document store: queues them for the index. */
    synchronized void add(long seq, List<ShardWrite> writes, long payloadBytes) {
        Entry e = new Entry(nextNo++, seq, writes, payloadBytes);
        for (ShardWrite w : writes) {
            Document d = w instanceof ShardWrite.Put p ? p.doc() : null;
            byVid.put(w.vid(), new Pending(d, e.no()));
        }
        entries.addLast(e);
        bytes += payloadBytes;
        notifyAll();
    }

    /** The oldest entry, or null when the tail is empty. */
    synchronized Entry head() {
        return entries.peekFirst();
    }

    /**
     * After the index holds {@code e} (the head): drops it, and the vids whose latest state it
     * was (a vid touched again by a later entry stays, with that entry's state).
     */
    synchronized void indexed(Entry e) {
        if (entries.peekFirst() != e) throw new IllegalStateException("index tail: entry " + e.no() + " is not the head");
        entries.pollFirst();
        bytes -= e.bytes();
        for (ShardWrite w : e.writes()) byVid.computeIfPresent(w.vid(), (k, p) -> p.no() <= e.no() ? null : p);
        notifyAll();
    }

    /** WAL payload bytes in the tail. */
    synchronized long bytes() {
        return bytes;
    }

    synchronized boolean isEmpty() {
        return entries.isEmpty();
    }

    synchronized int size() {
        return entries.size();
    }

    /**
     * The latest state of every vid in the tail (a {@code null} document: deleted). Taken before
     * the vector index is searched; see the class comment.
     */
    Map<Long, Document> snapshot() {
        if (byVid.isEmpty()) return Map.of();
        Map<Long, Document> out = new HashMap<>(byVid.size() * 2);
        // weakly consistent iteration: a vid present throughout is seen; one removed meanwhile is in the index already
        for (Map.Entry<Long, Pending> e : byVid.entrySet()) out.put(e.getKey(), e.getValue().doc());
        return out;
    }

    /** Waits until the tail is empty, up to {@code timeoutMs}; returns whether it is. */
    synchronized boolean awaitEmpty(long timeoutMs) throws InterruptedException {
        long end = System.nanoTime() + timeoutMs * 1_000_000;
        while (!entries.isEmpty()) {
            long left = (end - System.nanoTime()) / 1_000_000;
            if (left <= 0) return false;
            wait(left);
        }
        return true;
    }

    /** Wakes {@link #awaitEmpty} waiters (the worker stopped: they should look at the shard's state). */
    synchronized void wake() {
        notifyAll();
    }
}
