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
 * <h2>I/O errors, retries and settling</h2>
 * A failed write is retried with the same sequence number and the same bytes up to
 * {@code wal.write_retries} times, waiting {@code wal.write_retry_backoff_ms} doubled each time.
 * A write may have succeeded with its response lost; the retry's create-if-absent then finds the
 * key taken, reads it back, and if the bytes are exactly this segment's, the write succeeded.
 *
 * <p>When the retries run out, the outcome of segment n is unknown: any attempt may have been
 * stored with its answer lost (on GCS a timed-out request may even land after the timeout). The
 * writer used to keep n and let the next group find out: if n held the failed group, it moved to
 * n + 1. That kept the log gap-free but not consistent with its shard: the failed group was in
 * the log yet never applied, and batches resolved meanwhile against a state without it were
 * logged after it, so a replay gave another state than the one served (a document the failed
 * batch inserted and a later batch re-inserted under a new vid came back twice). So now the
 * writer <em>settles</em> n before it writes anything else: it creates under n an empty segment
 * (no entries) of its own. If that create wins, the failed group can never land (create-if-absent:
 * the key is taken), so its outcome is "not written". If n already holds the failed group's
 * bytes, the outcome is "written" (and durable). If n holds this writer's empty segment, an
 * earlier settle won with its answer lost: "not written". (Another writer's segment fences, as
 * above.) Either way n is taken and the writer goes on at n + 1: no gap, no number taken twice,
 * and a replay yields exactly the groups whose outcome the writer reported as written.
 *
 * <p>One settle attempt follows the last retry at once: "written" completes the group's futures
 * (acknowledged after all), "not written" fails them with {@link WalUnavailableException}. If the
 * store does not answer that either, the group's futures fail with {@link WalWriteException}
 * (outcome unknown), everything queued fails with {@link WalUnavailableException} (never
 * written), and until n is settled every append is refused with {@link WalUnavailableException}.
 * The committer retries the settle in the background, waiting {@code wal.write_retry_backoff_ms}
 * doubled each time up to {@link #SETTLE_MAX_BACKOFF_MS}; the first settle the store answers
 * reopens the writer at n + 1, without a restart. If that late settle finds the failed group
 * written, whoever applies the log must apply it before anything resolved after its failure is
 * written: the writer holds it as {@link #landed()}, keeps refusing appends, and reopens when
 * {@link #landedApplied} is called (the shard does so before it resolves its next write). Closing
 * an unsettled writer leaves n as it is: the next writer starts after a replay, which includes the
 * failed group if it landed and otherwise leaves n to the new writer.
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

    /**
     * A group whose futures failed with an unknown outcome and that a later settle found written
     * as segment {@code seq}: its payloads, in append order, for the caller to apply before
     * {@link #landedApplied}.
     */
    public record Landed(long seq, List<byte[]> payloads) {}

    /** A segment whose outcome is unknown: what was tried under {@code seq}. */
    private record Unsettled(long seq, byte[] bytes, List<byte[]> payloads) {}

    /** What a settle found under the unsettled sequence number. */
    private enum Outcome { WRITTEN, NOT_WRITTEN, FENCED }

    /**
     * Longest wait between two background settles: one small create per second is nothing to a
     * store that is down, and it bounds how long appends are refused after the store is back.
     */
    static final long SETTLE_MAX_BACKOFF_MS = 1000;

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
    /** The segment whose outcome is unknown, or null; while set, appends are refused. Written only by the committer, under {@link #lock}. */
    private volatile Unsettled unsettled;
    /** A failed group a late settle found written, until {@link #landedApplied}; while set, appends are refused. Under {@link #lock}. */
    private volatile Landed landed;

    private final AtomicLong segments = new AtomicLong();
    private final AtomicLong segmentBytes = new AtomicLong();
    private final AtomicLong entries = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong lostResponses = new AtomicLong();
    private final AtomicLong uncertainSegments = new AtomicLong();
    private final AtomicLong settledNotWritten = new AtomicLong();
    private final AtomicLong unavailableRejections = new AtomicLong();
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
            WalException refused = refusalLocked(payload.length);
            if (refused != null) {
                if (refused instanceof WalUnavailableException) unavailableRejections.incrementAndGet();
                if (refused instanceof WalBackpressureException) backpressureRejections.incrementAndGet();
                return refused;
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

    /**
     * Why an append of {@code bytes} would be refused now, or null (nothing is counted or queued).
     * A request with parts for several shards asks each shard before appending to any, so that a
     * shard refusing at once does not leave the request partly written.
     */
    public WalException refusal(int bytes) {
        lock.lock();
        try {
            return refusalLocked(bytes);
        } finally {
            lock.unlock();
        }
    }

    private WalException refusalLocked(int bytes) {
        State s = state;
        if (s == State.FENCED) return new WalFencedException(fencedReason);
        if (s != State.OPEN) return new WalClosedException("WAL writer of shard " + shard + " is " + s);
        Unsettled u = unsettled;
        if (u != null || landed != null) {
            long n = u != null ? u.seq() : landed.seq();
            return new WalUnavailableException("WAL of shard " + shard + " writes nothing until the object store settles segment "
                    + n + (u != null ? ", whose outcome is unknown" : ", found written late and not applied yet")
                    + "; this payload was not written");
        }
        if (pendingBytes + bytes > config.maxPendingBytes()) {
            return new WalBackpressureException("WAL of shard " + shard + " has " + pendingBytes
                    + " bytes pending; a payload of " + bytes + " bytes would pass wal.max_pending_bytes="
                    + config.maxPendingBytes());
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
     * A group whose futures failed with an unknown outcome and that the background settle then
     * found written, or null. While it is set, appends are refused: apply it, then call
     * {@link #landedApplied}.
     */
    public Landed landed() {
        return landed;
    }

    /** The caller has applied {@link #landed()} of sequence number {@code seq}: appends are accepted again. */
    public void landedApplied(long seq) {
        lock.lock();
        try {
            Landed l = landed;
            if (l == null || l.seq() != seq) throw new IllegalStateException("WAL segment " + seq + " of shard " + shard + " is not the landed one: "
                    + (l == null ? "none is" : l.seq() + " is"));
            landed = null;
        } finally {
            lock.unlock();
        }
    }

    /** Whether appends are refused because a segment's outcome is not settled yet, or a landed group is not applied yet. */
    public boolean unsettled() {
        return unsettled != null || landed != null;
    }

    /**
     * Counters: {@code segments} and {@code segment_bytes} written, {@code entries} in them,
     * {@code mean_group_entries}, {@code retries} of failed writes, {@code lost_responses}
     * (writes found stored after an error), {@code uncertain_segments} (segments of failed groups
     * found stored later), {@code settled_not_written} (failed groups whose number a settle took
     * with an empty segment), {@code failed_groups}, {@code backpressure_rejections},
     * {@code unavailable_rejections} (appends refused while a segment was unsettled),
     * {@code pending_bytes}, {@code next_seq}, {@code unsettled_seq} (0: none).
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
        m.put("settled_not_written", settledNotWritten.get());
        m.put("failed_groups", failedGroups.get());
        m.put("backpressure_rejections", backpressureRejections.get());
        m.put("unavailable_rejections", unavailableRejections.get());
        lock.lock();
        try {
            m.put("pending_bytes", pendingBytes);
        } finally {
            lock.unlock();
        }
        m.put("next_seq", nextSeq);
        Unsettled u = unsettled;
        m.put("unsettled_seq", u == null ? 0L : u.seq());
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
            int settles = 0;
            while (true) {
                if (unsettled != null) {
                    if (!awaitSettleRetry(++settles)) break;
                    settleInBackground();
                    continue;
                }
                settles = 0;
                if ((group = nextGroup()) == null) break;
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
                        // every failed group is settled before the next one is written (see the class comment)
                        throw new IllegalStateException("WAL segment " + key + " holds another segment of this writer, "
                                + Long.toHexString(writerId) + ", than the one it is writing");
                    }
                    lostResponses.incrementAndGet(); // our own write, its response was lost
                }
                written(group, seq, bytes.length, payloadBytes);
                return;
            } catch (IOException e) {
                failures++;
                if (failures > config.writeRetries()) {
                    failedGroups.incrementAndGet();
                    log.warn("writing WAL segment {} failed {} times; settling it", key, failures, e);
                    Outcome o;
                    try {
                        o = settle(seq, bytes, group);
                    } catch (IOException settleFailure) {
                        unknown(group, seq, bytes, payloads, payloadBytes, failures, e);
                        return;
                    }
                    switch (o) {
                        case WRITTEN -> {
                            uncertainSegments.incrementAndGet();
                            written(group, seq, bytes.length, payloadBytes);
                        }
                        case NOT_WRITTEN -> {
                            release(payloadBytes);
                            WalUnavailableException failure = new WalUnavailableException("writing WAL segment " + key + " failed after "
                                    + failures + " attempts; it was not written (an empty segment took its number)", e);
                            for (Pending p : group) p.fail(failure);
                        }
                        case FENCED -> { } // fence() failed the group
                    }
                    return;
                }
                retries.incrementAndGet();
                long backoff = (long) config.writeRetryBackoffMs() << Math.min(failures - 1, 20);
                log.info("writing WAL segment {} failed (attempt {}), retrying in {} ms: {}", key, failures, backoff, e.toString());
                if (backoff > 0) Thread.sleep(backoff);
            }
        }
    }

    /** The group is durable as segment {@code seq}: complete its futures. */
    private void written(List<Pending> group, long seq, int segmentLength, long payloadBytes) {
        nextSeq = seq + 1;
        segments.incrementAndGet();
        segmentBytes.addAndGet(segmentLength);
        entries.addAndGet(group.size());
        release(payloadBytes);
        for (int i = 0; i < group.size(); i++) group.get(i).complete(seq, i, group.size());
    }

    /**
     * The group's outcome is unknown: fail it with {@link WalWriteException}, fail everything queued
     * with {@link WalUnavailableException} (never written), and refuse appends until the background
     * settle answers.
     */
    private void unknown(List<Pending> group, long seq, byte[] bytes, List<byte[]> payloads, long payloadBytes, int failures, IOException e) {
        String key = shard.segmentKey(seq);
        List<Pending> queued;
        lock.lock();
        try {
            unsettled = new Unsettled(seq, bytes, payloads);
            queued = new ArrayList<>(queue);
            queue.clear();
            queuedBytes = 0;
            pendingBytes = 0; // the group's bytes and the queue's: nothing is pending any more
        } finally {
            lock.unlock();
        }
        log.warn("WAL segment {} of shard {}: outcome unknown after {} attempts and a failed settle; refusing appends until the store "
                + "answers ({} queued appends failed, not written)", key, shard, failures, queued.size());
        WalWriteException failure = new WalWriteException("writing WAL segment " + key + " failed after " + failures
                + " attempts; the outcome is unknown", e);
        for (Pending p : group) p.fail(failure);
        WalUnavailableException refused = new WalUnavailableException("WAL segment " + key + " of shard " + shard
                + " failed with an unknown outcome before this payload was written; it was not written", e);
        for (Pending p : queued) p.fail(refused);
    }

    /**
     * Waits before background settle number {@code attempt}: {@code wal.write_retry_backoff_ms}
     * doubled each time, at most {@link #SETTLE_MAX_BACKOFF_MS}. False when the writer is closing
     * (the segment stays unsettled; see the class comment).
     */
    private boolean awaitSettleRetry(int attempt) throws InterruptedException {
        long ms = Math.min(SETTLE_MAX_BACKOFF_MS, (long) config.writeRetryBackoffMs() << Math.min(attempt - 1, 20));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        lock.lock();
        try {
            while (state == State.OPEN) {
                long wait = deadline - System.nanoTime();
                if (wait <= 0) return true;
                wakeCommitter.awaitNanos(wait);
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** One background settle of {@link #unsettled}; an I/O error leaves it for the next try. */
    private void settleInBackground() {
        Unsettled u = unsettled;
        Outcome o;
        try {
            o = settle(u.seq(), u.bytes(), List.of());
        } catch (IOException e) {
            log.info("settling WAL segment {} failed, retrying: {}", shard.segmentKey(u.seq()), e.toString());
            return;
        }
        lock.lock();
        try {
            if (o == Outcome.WRITTEN) {
                uncertainSegments.incrementAndGet();
                landed = new Landed(u.seq(), u.payloads());
            }
            if (o != Outcome.FENCED) nextSeq = u.seq() + 1;
            unsettled = null;
        } finally {
            lock.unlock();
        }
        log.info("settled WAL segment {} of shard {}: {}", shard.segmentKey(u.seq()), shard, o);
    }

    /**
     * Makes the outcome of segment {@code seq}, whose write of {@code bytes} failed, known by
     * creating this writer's empty segment under its key unless something is there already (see
     * the class comment). {@code group} is failed if the key turns out to be another writer's.
     */
    private Outcome settle(long seq, byte[] bytes, List<Pending> group) throws IOException {
        String key = shard.segmentKey(seq);
        byte[] empty = WalSegmentCodec.encode(shard, seq, writerId, List.of());
        if (store.putIfAbsent(key, empty)) {
            settledNotWritten.incrementAndGet();
            nextSeq = seq + 1;
            return Outcome.NOT_WRITTEN;
        }
        Optional<StoredObject> existing;
        try {
            existing = store.getObject(key);
        } catch (CorruptObjectException e) {
            fence(group, key + " exists and is unreadable (" + e.getMessage() + ")");
            return Outcome.FENCED;
        }
        if (existing.isEmpty()) throw new IOException("WAL segment " + key + " existed at create but is gone now");
        byte[] stored = existing.get().bytes();
        if (Arrays.equals(stored, bytes)) return Outcome.WRITTEN;
        if (Arrays.equals(stored, empty)) {
            settledNotWritten.incrementAndGet(); // an earlier settle won, its answer lost
            nextSeq = seq + 1;
            return Outcome.NOT_WRITTEN;
        }
        long owner;
        try {
            owner = WalSegmentCodec.decode(key, stored, shard, seq).writerId();
        } catch (CorruptWalException e) {
            fence(group, key + " exists and is not a valid segment of this shard (" + e.getMessage() + ")");
            return Outcome.FENCED;
        }
        if (owner != writerId) {
            fence(group, "WAL segment " + key + " was written by writer " + Long.toHexString(owner) + ", not by this writer "
                    + Long.toHexString(writerId) + ": another node owns shard " + shard);
            return Outcome.FENCED;
        }
        throw new IllegalStateException("WAL segment " + key + " holds a segment of this writer that is neither the unsettled group nor "
                + "its empty settle");
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
