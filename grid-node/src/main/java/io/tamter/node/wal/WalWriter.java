package io.tamter.node.wal;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.objectstore.CorruptObjectException;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.objectstore.StoredObject;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends payloads to one shard's WAL with group commit. Callers {@link #append} an opaque payload
 * and get a future of the sequence number of the segment it landed in; one committer thread
 * gathers the waiting payloads into a segment, writes it with
 * {@link ObjectStore#putIfAbsent create-if-absent} under the next sequence number, and completes
 * the futures only after the write returned (durable).
 *
 * <h2>Grouping</h2>
 * The committer takes a group when its oldest payload has waited
 * {@code wal.group_commit_max_delay_ms} or the waiting payloads reach
 * {@code wal.group_commit_max_bytes}, whichever comes first; payloads that arrive while a segment
 * is being written join the next group, so under load groups grow with the store's latency.
 * Payloads keep their append order: within a segment, and across segments (a later append never
 * lands in an earlier segment).
 *
 * <h2>Fencing</h2>
 * If the key of the next segment already exists and was not written by this writer (each segment
 * carries the writer's random id; an object there that is not a valid segment of this shard
 * counts as another writer's), another node owns the shard: the writer becomes
 * {@link State#FENCED}, fails the group and everything queued with {@link WalFencedException},
 * refuses every later append, and writes nothing more.
 *
 * <h2>I/O errors and retries</h2>
 * A failed write is retried with the same sequence number and the same bytes up to
 * {@code wal.write_retries} times, waiting {@code wal.write_retry_backoff_ms} doubled each time.
 * A write may have succeeded with its response lost; the retry's create-if-absent then finds the
 * key taken, reads it back, and if the bytes are exactly this segment's, the write succeeded.
 * When the retries run out, the group's futures fail with {@link WalWriteException} (outcome
 * unknown) and the writer keeps its sequence number: the next group tries the same number, and
 * if it finds a segment there with this writer's id but other bytes (the failed group did land),
 * it moves to the next number. So no sequence number is ever skipped (the log has no gaps) and
 * no sequence number is taken twice.
 *
 * <h2>Backpressure and close</h2>
 * Payload bytes queued or being written are bounded by {@code wal.max_pending_bytes}; an append
 * past it fails at once with {@link WalBackpressureException} (HTTP 429). {@link #close()}
 * refuses new appends, writes everything already accepted, then stops the committer.
 *
 * <p>Futures complete on the committer thread, a group's in append order and before the next
 * group is taken: dependent actions that do real work should use the {@code …Async} variants.
 * {@link #appendEntry} tells where a payload landed (segment, entry, entries in it), for callers
 * that apply whole segments (the shard). Counters are in {@link #stats()}.
 */
public final class WalWriter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WalWriter.class);
    private static final SecureRandom IDS = new SecureRandom();

    /** Life cycle of a writer. */
    public enum State {
        /** Accepting appends. */
        OPEN,
        /** {@link #close()} was called: accepted payloads are being written, new ones refused. */
        CLOSING,
        /** Closed cleanly: everything accepted was written (or failed with its cause). */
        CLOSED,
        /** Another writer owns the shard; nothing more is written. */
        FENCED,
        /** Stopped by an unexpected error (a bug): see the log; every pending append failed. */
        FAILED
    }

    /**
     * The writer's parameters (see {@link Params} for their meaning and bounds).
     *
     * @param groupCommitMaxDelayMs   {@code wal.group_commit_max_delay_ms}
     * @param groupCommitMaxBytes     {@code wal.group_commit_max_bytes}
     * @param maxPendingBytes         {@code wal.max_pending_bytes}
     * @param writeRetries            {@code wal.write_retries}
     * @param writeRetryBackoffMs     {@code wal.write_retry_backoff_ms}
     */
    public record Config(int groupCommitMaxDelayMs, long groupCommitMaxBytes, long maxPendingBytes, int writeRetries,
                         int writeRetryBackoffMs) {
        public Config {
            Params.WAL_GROUP_COMMIT_MAX_DELAY_MS.validate(groupCommitMaxDelayMs);
            Params.WAL_GROUP_COMMIT_MAX_BYTES.validate(groupCommitMaxBytes);
            Params.WAL_MAX_PENDING_BYTES.validate(maxPendingBytes);
            Params.WAL_WRITE_RETRIES.validate(writeRetries);
            Params.WAL_WRITE_RETRY_BACKOFF_MS.validate(writeRetryBackoffMs);
            if (maxPendingBytes < groupCommitMaxBytes) {
                throw new IllegalArgumentException("wal.max_pending_bytes must be >= wal.group_commit_max_bytes; wal.max_pending_bytes="
                        + maxPendingBytes + ", wal.group_commit_max_bytes=" + groupCommitMaxBytes);
            }
        }

        public static Config from(Settings s) {
            return new Config(s.get(Params.WAL_GROUP_COMMIT_MAX_DELAY_MS), s.get(Params.WAL_GROUP_COMMIT_MAX_BYTES),
                    s.get(Params.WAL_MAX_PENDING_BYTES), s.get(Params.WAL_WRITE_RETRIES), s.get(Params.WAL_WRITE_RETRY_BACKOFF_MS));
        }

        public static Config defaults() {
            return from(Settings.defaults());
        }
    }

    /**
     * Where an appended payload landed: entry {@code entry} (from 0) of the {@code entries}
     * payloads of segment {@code seq}.
     */
    public record Appended(long seq, int entry, int entries) {}

    /** A queued payload; exactly one of its two futures is set (which {@code append} variant queued it). */
    private record Pending(byte[] payload, CompletableFuture<Long> future, CompletableFuture<Appended> entryFuture, long enqueuedNanos) {
        void complete(long seq, int entry, int entries) {
            if (future != null) future.complete(seq);
            else entryFuture.complete(new Appended(seq, entry, entries));
        }

        void fail(Throwable t) {
            if (future != null) future.completeExceptionally(t);
            else entryFuture.completeExceptionally(t);
        }
    }

    private final ObjectStore store;
    private final WalShard shard;
    private final Config config;
    private final long writerId;
    private final Thread committer;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wakeCommitter = lock.newCondition();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    /** Bytes of payloads in {@link #queue}. Guarded by {@link #lock}. */
    private long queuedBytes;
    /** Bytes of payloads queued or in the group being written (the backpressure bound). Guarded by {@link #lock}. */
    private long pendingBytes;
    private volatile State state = State.OPEN;
    private volatile String fencedReason;
    /** The sequence number the next segment will get; written only by the committer. */
    private volatile long nextSeq;

    private final AtomicLong segments = new AtomicLong();
    private final AtomicLong segmentBytes = new AtomicLong();
    private final AtomicLong entries = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong lostResponses = new AtomicLong();
    private final AtomicLong uncertainSegments = new AtomicLong();
    private final AtomicLong failedGroups = new AtomicLong();
    private final AtomicLong backpressureRejections = new AtomicLong();

    private WalWriter(ObjectStore store, WalShard shard, long firstSeq, Config config) {
        this.store = Objects.requireNonNull(store, "store");
        this.shard = Objects.requireNonNull(shard, "shard");
        this.config = Objects.requireNonNull(config, "config");
        if (firstSeq < WalShard.FIRST_SEQ) throw new IllegalArgumentException("WAL sequence numbers start at 1; firstSeq=" + firstSeq);
        this.nextSeq = firstSeq;
        long id;
        do {
            id = IDS.nextLong();
        } while (id == 0);
        this.writerId = id;
        this.committer = new Thread(this::run, "wal-committer-" + shard.namespace() + "-" + shard.shard());
        this.committer.setDaemon(true);
    }

    /**
     * Starts a writer whose first segment will be {@code firstSeq}: after recovery,
     * {@link WalReader#nextSeq(long)}. If that segment already exists, the first write is fenced.
     */
    public static WalWriter start(ObjectStore store, WalShard shard, long firstSeq, Config config) {
        WalWriter w = new WalWriter(store, shard, firstSeq, config);
        w.committer.start();
        return w;
    }

    /**
     * Claims sequence number {@code seq} of {@code shard}'s WAL for a new owner: writes an empty
     * segment there, create-if-absent (see {@code Shard.open} with claim). A previous owner's writer,
     * whose next segment would be {@code seq}, then finds it written by another writer and is fenced.
     *
     * @return false when a segment {@code seq} exists already (the previous owner wrote it: replay it
     *         and claim the next number)
     */
    public static boolean claim(ObjectStore store, WalShard shard, long seq) throws IOException {
        long id;
        do {
            id = IDS.nextLong();
        } while (id == 0);
        return store.putIfAbsent(shard.segmentKey(seq), WalSegmentCodec.encode(shard, seq, id, List.of()));
    }

    /**
     * Queues {@code payload} for the next group commit.
     *
     * @return a future of the sequence number of the segment holding the payload, completed once
     *         that segment is durable; or failed with {@link WalBackpressureException} (at once),
     *         {@link WalFencedException}, {@link WalClosedException} or {@link WalWriteException}
     * @throws IllegalArgumentException if the payload alone exceeds {@code wal.max_pending_bytes}
     */
    public CompletableFuture<Long> append(byte[] payload) {
        CompletableFuture<Long> future = new CompletableFuture<>();
        WalException refused = enqueue(payload, future, null);
        return refused == null ? future : CompletableFuture.failedFuture(refused);
    }

    /**
     * Like {@link #append}, but the future tells where the payload landed. A refusal
     * ({@link WalBackpressureException}, {@link WalFencedException}, {@link WalClosedException}:
     * the payload was not queued and will never be written) is already failed when this returns.
     */
    public CompletableFuture<Appended> appendEntry(byte[] payload) {
        CompletableFuture<Appended> future = new CompletableFuture<>();
        WalException refused = enqueue(payload, null, future);
        return refused == null ? future : CompletableFuture.failedFuture(refused);
    }

    /** Queues the payload, or returns why it is refused. */
    private WalException enqueue(byte[] payload, CompletableFuture<Long> future, CompletableFuture<Appended> entryFuture) {
        Objects.requireNonNull(payload, "payload");
        if (payload.length > config.maxPendingBytes()) {
            throw new IllegalArgumentException("WAL payload of " + payload.length + " bytes exceeds wal.max_pending_bytes="
                    + config.maxPendingBytes() + " (shard " + shard + ")");
        }
        lock.lock();
        try {
            State s = state;
            if (s == State.FENCED) return new WalFencedException(fencedReason);
            if (s != State.OPEN) return new WalClosedException("WAL writer of shard " + shard + " is " + s);
            if (pendingBytes + payload.length > config.maxPendingBytes()) {
                backpressureRejections.incrementAndGet();
                return new WalBackpressureException("WAL of shard " + shard + " has " + pendingBytes
                        + " bytes pending; a payload of " + payload.length + " bytes would pass wal.max_pending_bytes="
                        + config.maxPendingBytes());
            }
            boolean wasEmpty = queue.isEmpty();
            queue.addLast(new Pending(payload, future, entryFuture, System.nanoTime()));
            queuedBytes += payload.length;
            pendingBytes += payload.length;
            if (wasEmpty || queuedBytes >= config.groupCommitMaxBytes()) wakeCommitter.signal();
        } finally {
            lock.unlock();
        }
        return null;
    }

    /** The shard this writer appends to. */
    public WalShard shard() {
        return shard;
    }

    /** The random id written into every segment of this writer. */
    public long writerId() {
        return writerId;
    }

    /** The sequence number the next segment will get (the last written one + 1). */
    public long nextSeq() {
        return nextSeq;
    }

    public State state() {
        return state;
    }

    /**
     * Counters: {@code segments} and {@code segment_bytes} written, {@code entries} in them,
     * {@code mean_group_entries}, {@code retries} of failed writes, {@code lost_responses}
     * (writes found stored after an error), {@code uncertain_segments} (segments of failed groups
     * found stored later), {@code failed_groups}, {@code backpressure_rejections},
     * {@code pending_bytes}, {@code next_seq}.
     */
    public Map<String, Number> stats() {
        Map<String, Number> m = new LinkedHashMap<>();
        long seg = segments.get(), ent = entries.get();
        m.put("segments", seg);
        m.put("segment_bytes", segmentBytes.get());
        m.put("entries", ent);
        m.put("mean_group_entries", seg == 0 ? 0.0 : (double) ent / seg);
        m.put("retries", retries.get());
        m.put("lost_responses", lostResponses.get());
        m.put("uncertain_segments", uncertainSegments.get());
        m.put("failed_groups", failedGroups.get());
        m.put("backpressure_rejections", backpressureRejections.get());
        lock.lock();
        try {
            m.put("pending_bytes", pendingBytes);
        } finally {
            lock.unlock();
        }
        m.put("next_seq", nextSeq);
        return m;
    }

    /**
     * Refuses new appends, writes every payload already accepted (their futures complete or fail
     * as usual), then stops the committer and returns. Idempotent. Called from a callback running
     * on the committer thread, it only starts the close and returns at once.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (state == State.OPEN) state = State.CLOSING;
            wakeCommitter.signalAll();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() == committer) return; // closed from a future's callback: the loop ends by itself
        boolean interrupted = false;
        while (committer.isAlive()) {
            try {
                committer.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        lock.lock();
        try {
            if (state == State.CLOSING) state = State.CLOSED;
        } finally {
            lock.unlock();
        }
    }

    // ---- committer thread ----

    private void run() {
        List<Pending> group = null;
        try {
            while ((group = nextGroup()) != null) {
                commit(group);
                group = null;
            }
        } catch (Throwable t) {
            log.error("WAL writer of shard {} stopped by an unexpected error", shard, t);
            List<Pending> failed = new ArrayList<>();
            if (group != null) failed.addAll(group);
            lock.lock();
            try {
                state = State.FAILED;
                failed.addAll(queue);
                queue.clear();
                queuedBytes = 0;
                pendingBytes = 0;
            } finally {
                lock.unlock();
            }
            WalException e = new WalException("WAL writer of shard " + shard + " stopped by an unexpected error", t);
            for (Pending p : failed) p.fail(e);
        }
    }

    /** The next group to write, or null when the writer is done (closed and drained, or fenced). */
    private List<Pending> nextGroup() throws InterruptedException {
        lock.lock();
        try {
            while (queue.isEmpty()) {
                if (state != State.OPEN) return null;
                wakeCommitter.await();
            }
            if (state == State.FENCED) return null;
            long deadline = queue.peekFirst().enqueuedNanos() + TimeUnit.MILLISECONDS.toNanos(config.groupCommitMaxDelayMs());
            while (state == State.OPEN && queuedBytes < config.groupCommitMaxBytes()) {
                long wait = deadline - System.nanoTime();
                if (wait <= 0) break;
                wakeCommitter.awaitNanos(wait);
            }
            List<Pending> group = new ArrayList<>();
            long bytes = 0;
            while (!queue.isEmpty() && (group.isEmpty() || bytes + queue.peekFirst().payload().length <= config.groupCommitMaxBytes())) {
                Pending p = queue.pollFirst();
                group.add(p);
                bytes += p.payload().length;
            }
            queuedBytes -= bytes;
            return group;
        } finally {
            lock.unlock();
        }
    }

    private void commit(List<Pending> group) throws InterruptedException {
        List<byte[]> payloads = new ArrayList<>(group.size());
        long payloadBytes = 0;
        for (Pending p : group) {
            payloads.add(p.payload());
            payloadBytes += p.payload().length;
        }
        long seq = nextSeq;
        byte[] bytes = WalSegmentCodec.encode(shard, seq, writerId, payloads);
        int failures = 0;
        while (true) {
            String key = shard.segmentKey(seq);
            try {
                boolean created = store.putIfAbsent(key, bytes);
                if (!created) {
                    Optional<StoredObject> existing;
                    try {
                        existing = store.getObject(key);
                    } catch (CorruptObjectException e) {
                        // the store writes atomically, so a damaged object there is not a write of ours
                        fence(group, key + " exists and is unreadable (" + e.getMessage() + ")");
                        return;
                    }
                    if (existing.isEmpty()) throw new IOException("WAL segment " + key + " existed at create but is gone now");
                    byte[] stored = existing.get().bytes();
                    long owner;
                    try {
                        owner = WalSegmentCodec.decode(key, stored, shard, seq).writerId();
                    } catch (CorruptWalException e) {
                        fence(group, key + " exists and is not a valid segment of this shard (" + e.getMessage() + ")");
                        return;
                    }
                    if (owner != writerId) {
                        fence(group, "WAL segment " + key + " was written by writer " + Long.toHexString(owner)
                                + ", not by this writer " + Long.toHexString(writerId) + ": another node owns shard " + shard);
                        return;
                    }
                    if (!Arrays.equals(stored, bytes)) {
                        // a group that failed with an unknown outcome did land here: keep it, move on
                        uncertainSegments.incrementAndGet();
                        log.warn("WAL segment {} holds a group of this writer that failed with an unknown outcome; "
                                + "writing the next group at seq {}", key, seq + 1);
                        seq++;
                        nextSeq = seq;
                        bytes = WalSegmentCodec.encode(shard, seq, writerId, payloads);
                        continue;
                    }
                    lostResponses.incrementAndGet(); // our own write, its response was lost
                }
                nextSeq = seq + 1;
                segments.incrementAndGet();
                segmentBytes.addAndGet(bytes.length);
                entries.addAndGet(group.size());
                release(payloadBytes);
                for (int i = 0; i < group.size(); i++) group.get(i).complete(seq, i, group.size());
                return;
            } catch (IOException e) {
                failures++;
                if (failures > config.writeRetries()) {
                    failedGroups.incrementAndGet();
                    log.warn("writing WAL segment {} failed {} times; failing its {} appends", key, failures, group.size(), e);
                    release(payloadBytes);
                    WalWriteException failure = new WalWriteException("writing WAL segment " + key + " failed after " + failures
                            + " attempts; the outcome is unknown", e);
                    for (Pending p : group) p.fail(failure);
                    return;
                }
                retries.incrementAndGet();
                long backoff = (long) config.writeRetryBackoffMs() << Math.min(failures - 1, 20);
                log.info("writing WAL segment {} failed (attempt {}), retrying in {} ms: {}", key, failures, backoff, e.toString());
                if (backoff > 0) Thread.sleep(backoff);
            }
        }
    }

    private void release(long payloadBytes) {
        lock.lock();
        try {
            pendingBytes -= payloadBytes;
        } finally {
            lock.unlock();
        }
    }

    private void fence(List<Pending> group, String reason) {
        log.warn("WAL writer of shard {} fenced: {}", shard, reason);
        List<Pending> failed = new ArrayList<>(group);
        lock.lock();
        try {
            fencedReason = reason;
            state = State.FENCED;
            failed.addAll(queue);
            queue.clear();
            queuedBytes = 0;
            pendingBytes = 0;
            wakeCommitter.signalAll();
        } finally {
            lock.unlock();
        }
        WalFencedException e = new WalFencedException(reason);
        for (Pending p : failed) p.fail(e);
    }
}
