package io.tamter.node.objectstore;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A store that fails on purpose, for tests of what sits above an {@link ObjectStore} (WAL,
 * checkpoints, namespaces): calls go to a delegate unless a rule says otherwise. Faults:
 * <ul>
 *   <li>{@link Fault#ERROR}: the call fails with an {@link IOException} and does nothing;</li>
 *   <li>{@link Fault#LATENCY}: the call waits, then runs;</li>
 *   <li>{@link Fault#TIMEOUT}: the call waits, then fails with a {@link SocketTimeoutException}
 *       and does nothing;</li>
 *   <li>{@link Fault#LOST_RESPONSE}: the call runs, takes effect, and then fails with an
 *       {@link IOException}, as when the answer of a write the store committed is lost. A caller
 *       that simply retries a create then meets its own object.</li>
 * </ul>
 * Rules apply to the next n matching calls ({@link #inject}), to every matching call until
 * {@link #clear} ({@link #outage}; {@link #outageOnKeys} only on some keys, such as one shard's), or to each matching call with a probability from a seeded
 * random ({@link #injectRandomly}; the seed makes a failing run repeatable). The GCS store's own
 * retries are tested below it, in {@link GcsTestServer}; this wrapper is for the layers above.
 */
public class FaultInjectingObjectStore extends ForwardingObjectStore {
    /** The calls a rule can match. */
    public enum Call { PUT, PUT_IF_ABSENT, PUT_FILE, COMPARE_AND_SET, GET, GET_RANGE, DOWNLOAD, STAT, LIST, DELETE }

    /** Every call that writes. */
    public static final Set<Call> WRITES = EnumSet.of(Call.PUT, Call.PUT_IF_ABSENT, Call.PUT_FILE, Call.COMPARE_AND_SET, Call.DELETE);
    /** Every call that reads. */
    public static final Set<Call> READS = EnumSet.of(Call.GET, Call.GET_RANGE, Call.DOWNLOAD, Call.STAT, Call.LIST);

    public enum Fault { ERROR, LATENCY, TIMEOUT, LOST_RESPONSE }

    private record Rule(Set<Call> calls, String keyPart, Fault fault, Duration delay, AtomicInteger remaining, Random random,
                        double probability) {
        boolean fires(Call call, String key) {
            if (!calls.contains(call) || (keyPart != null && !key.contains(keyPart))) return false;
            if (random != null) {
                synchronized (random) {
                    return random.nextDouble() < probability;
                }
            }
            return remaining.getAndDecrement() > 0;
        }
    }

    private final ObjectStore delegate;
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final AtomicInteger injected = new AtomicInteger();

    public FaultInjectingObjectStore(ObjectStore delegate) {
        this.delegate = delegate;
    }

    @Override
    protected ObjectStore delegate() {
        return delegate;
    }

    /** Applies {@code fault} to the next {@code times} calls in {@code calls}; {@code delay} for LATENCY and TIMEOUT. */
    public FaultInjectingObjectStore inject(Set<Call> calls, Fault fault, Duration delay, int times) {
        rules.add(new Rule(EnumSet.copyOf(calls), null, fault, delay, new AtomicInteger(times), null, 0));
        return this;
    }

    /** Applies {@code fault} to every call in {@code calls} on a key (or prefix) containing {@code keyPart}, until {@link #clear}. */
    public FaultInjectingObjectStore outageOnKeys(Set<Call> calls, String keyPart, Fault fault, Duration delay) {
        rules.add(new Rule(EnumSet.copyOf(calls), keyPart, fault, delay, new AtomicInteger(Integer.MAX_VALUE), null, 0));
        return this;
    }

    /** Applies {@code fault} to every call in {@code calls} until {@link #clear}. */
    public FaultInjectingObjectStore outage(Set<Call> calls, Fault fault, Duration delay) {
        return inject(calls, fault, delay, Integer.MAX_VALUE);
    }

    /** Applies {@code fault} to each call in {@code calls} with {@code probability}, drawn from {@code seed}. */
    public FaultInjectingObjectStore injectRandomly(Set<Call> calls, Fault fault, Duration delay, double probability, long seed) {
        rules.add(new Rule(EnumSet.copyOf(calls), null, fault, delay, new AtomicInteger(), new Random(seed), probability));
        return this;
    }

    /** Removes every rule: the store works again. */
    public void clear() {
        rules.clear();
    }

    /** How many faults were applied so far. */
    public int injected() {
        return injected.get();
    }

    @FunctionalInterface
    private interface Body<T> {
        T run() throws IOException;
    }

    private <T> T call(Call call, String key, Body<T> body) throws IOException {
        Rule rule = null;
        for (Rule r : rules) {
            if (r.fires(call, key)) {
                rule = r;
                break;
            }
        }
        if (rule == null) return body.run();
        injected.incrementAndGet();
        String what = call + " of '" + key + "'";
        switch (rule.fault()) {
            case ERROR -> throw new IOException("injected fault: store unavailable for " + what);
            case LATENCY -> {
                sleep(rule.delay());
                return body.run();
            }
            case TIMEOUT -> {
                sleep(rule.delay());
                throw new SocketTimeoutException("injected fault: " + what + " timed out after " + rule.delay().toMillis() + " ms");
            }
            case LOST_RESPONSE -> {
                body.run();
                throw new IOException("injected fault: the answer to " + what + " was lost after it took effect");
            }
            default -> throw new IllegalStateException(rule.fault().toString());
        }
    }

    private static void sleep(Duration d) throws IOException {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted during an injected delay");
        }
    }

    @Override
    public ObjectInfo put(String key, byte[] bytes) throws IOException {
        return call(Call.PUT, key, () -> delegate.put(key, bytes));
    }

    @Override
    public boolean putIfAbsent(String key, byte[] bytes) throws IOException {
        return call(Call.PUT_IF_ABSENT, key, () -> delegate.putIfAbsent(key, bytes));
    }

    @Override
    public ObjectInfo putFile(String key, Path source) throws IOException {
        return call(Call.PUT_FILE, key, () -> delegate.putFile(key, source));
    }

    @Override
    public boolean compareAndSet(String key, long expectedGeneration, byte[] bytes) throws IOException {
        return call(Call.COMPARE_AND_SET, key, () -> delegate.compareAndSet(key, expectedGeneration, bytes));
    }

    @Override
    public Optional<StoredObject> getObject(String key) throws IOException {
        return call(Call.GET, key, () -> delegate.getObject(key));
    }

    @Override
    public byte[] getRange(String key, long offset, int length) throws IOException {
        return call(Call.GET_RANGE, key, () -> delegate.getRange(key, offset, length));
    }

    @Override
    public ObjectInfo downloadTo(String key, Path target) throws IOException {
        return call(Call.DOWNLOAD, key, () -> delegate.downloadTo(key, target));
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        return call(Call.STAT, key, () -> delegate.stat(key));
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        return call(Call.LIST, prefix, () -> delegate.list(prefix));
    }

    @Override
    public boolean delete(String key) throws IOException {
        return call(Call.DELETE, key, () -> delegate.delete(key));
    }

    @Override
    public int deletePrefix(String prefix) throws IOException {
        return call(Call.DELETE, prefix, () -> delegate.deletePrefix(prefix));
    }
}
