package io.tamter.node.embed;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.tamter.config.Params;
import io.tamter.config.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeds texts with one {@link EmbeddingModel}, in process: the HuggingFace tokenizer (DJL's
 * binding of the Rust {@code tokenizers}) and the ONNX model run by ONNX Runtime on the CPU.
 *
 * <p><b>Queue and workers.</b> Every caller's texts go into one queue per model, bounded at
 * {@code embed.queue} texts; a request whose texts do not all fit is rejected as a whole with
 * {@link EmbeddingRejectedException} (HTTP 429), never half-run. {@code embed.threads} workers
 * each take up to {@code embed.batch_size} texts from the queue, whoever sent them: concurrent
 * callers (single-row upserts, search queries) are coalesced into one window (dynamic batching).
 * The window takes one text from each waiting request in turn, so a search query's text is not
 * stuck behind the hundreds of a bulk upsert queued before it. A worker that found fewer texts than one run holds waits up to
 * {@code embed.max_wait_us} for more, but only while another caller is between entering
 * {@link #embed(List)} and queueing its texts: a lone caller never waits, and texts that queue
 * up while the workers are busy are taken together anyway.
 *
 * <p><b>Runs.</b> A worker tokenizes its window, orders it by token count (and a caller queues
 * its texts shortest first, so a large request's windows already hold similar lengths), and cuts
 * it into ONNX Runtime calls of at most {@code embed.texts_per_run} texts, each padded to its
 * longest with an attention mask, on at most {@code embed.intra_op_threads} threads. The hidden
 * states are pooled as the model says (mean over the real tokens, or {@code [CLS]}) and
 * L2-normalized, and each vector goes back to its caller at its caller's index. A failure
 * (tokenizer or model) in a call with several texts is retried text by text, so it fails only
 * the callers whose own text fails.
 *
 * <p><b>Why one text per call by default.</b> Both models are int8 with <em>dynamic</em>
 * activation quantization ({@code DynamicQuantizeLinear}), whose scale is the min/max of the
 * whole input tensor of the call, other texts and padding included. Texts run together therefore
 * move each other's vectors (measured: cosine to the lone vector down to 0.95 for a 3-token text
 * batched with longer ones, see {@code EmbedderTest}; with MiniLM's float32 export, a test
 * dependency, batched and lone vectors agree within 1e-5, so padding and mask are not the cause);
 * with dynamic batching a query's vector
 * would even depend on which other queries arrived in the same millisecond. And the calls are
 * compute-bound: MiniLM costs ~10.6 M multiply-adds per token, so a 237-token SciFact abstract
 * is ~2.5 G, and tokens/s measured on this 2-core machine moved little with the texts per call
 * ({@code bench embed} reports it at 1, 8 and 32). {@code embed.texts_per_run} above 1 is for
 * machines where {@code bench embed} shows that batching pays.
 *
 * <p>Thread-safe: the ONNX Runtime session and the tokenizer are both safe for concurrent use,
 * and each call owns its tensors. Tokenization runs on the workers (native code wants their big
 * stacks; the tokenizer's own batch call would start its own thread pool, outside our bounds).
 */
public final class Embedder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Embedder.class);

    private static final String INPUT_IDS = "input_ids";
    private static final String ATTENTION_MASK = "attention_mask";
    private static final String TOKEN_TYPE_IDS = "token_type_ids";
    private static final AtomicInteger POOLS = new AtomicInteger();

    private final EmbeddingModel model;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final Set<String> inputNames;
    private final String outputName;
    private final int batchSize;
    private final int textsPerRun;
    private final long maxWaitNanos;
    private final int queueCapacity;
    private final List<Thread> workers = new ArrayList<>();
    /** ONNX Runtime calls and the texts they carried, since open (for tests and bench embed). */
    private final AtomicLong runs = new AtomicLong(), runTexts = new AtomicLong(), runTokens = new AtomicLong(),
            runCells = new AtomicLong();

    // the queue, guarded by lock
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition queued = lock.newCondition();
    /** Requests with texts no worker has taken yet, in the order a window visits them. */
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    /** Texts in {@link #queue}. */
    private int queuedTexts;
    /** Callers inside {@link #embed(List)} that have not queued their texts yet (see max_wait_us). */
    private int arriving;
    private boolean closed;

    private Embedder(EmbeddingModel model, OrtEnvironment env, OrtSession session, HuggingFaceTokenizer tokenizer,
                     String outputName, Settings settings) {
        this.model = model;
        this.env = env;
        this.session = session;
        this.tokenizer = tokenizer;
        this.inputNames = Set.copyOf(session.getInputNames());
        this.outputName = outputName;
        this.batchSize = settings.get(Params.EMBED_BATCH_SIZE);
        this.textsPerRun = settings.get(Params.EMBED_TEXTS_PER_RUN);
        this.maxWaitNanos = TimeUnit.MICROSECONDS.toNanos(settings.get(Params.EMBED_MAX_WAIT_US));
        this.queueCapacity = settings.get(Params.EMBED_QUEUE);
        int threads = settings.get(Params.EMBED_THREADS);
        ThreadFactory factory = threadFactory(model);
        for (int i = 0; i < threads; i++) workers.add(factory.newThread(this::work));
        workers.forEach(Thread::start);
    }

    /** Opens {@code model} with the default settings. */
    public static Embedder open(EmbeddingModel model) {
        return open(model, Settings.defaults());
    }

    /**
     * Loads {@code model}'s tokenizer and ONNX model from the classpath and starts its workers
     * (about a second per model; the caller keeps the instance for the life of the node).
     *
     * @throws IllegalStateException when a resource is missing or the model does not look like
     *     a token-level encoder of the expected dimension
     */
    public static Embedder open(EmbeddingModel model, Settings settings) {
        return open(model, model.modelResource(), settings);
    }

    /**
     * {@code model} with another ONNX export of it ({@code onnxResource} on the classpath; same
     * tokenizer, pooling and dimensions). For tests: the float32 export shows what batching does
     * without the int8 models' per-call quantization.
     */
    static Embedder open(EmbeddingModel model, String onnxResource, Settings settings) {
        // The Rust tokenizer and ONNX Runtime run on the calling thread while loading and need more
        // stack than some callers have: `tamter serve` died with SIGSEGV (no hs_err) loading the
        // tokenizer on an Ignite job thread, and lived with -Xss8m. So loading gets its own thread.
        Embedder[] out = new Embedder[1];
        RuntimeException[] failure = new RuntimeException[1];
        Thread loader = new Thread(null, () -> {
            try {
                out[0] = load(model, onnxResource, settings);
            } catch (RuntimeException e) {
                failure[0] = e;
            }
        }, "tamter-embed-load-" + model.settingName(), NATIVE_STACK_BYTES);
        loader.start();
        boolean interrupted = false;
        while (true) {
            try {
                loader.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // finish loading: abandoning it would leak the native session
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        if (failure[0] != null) throw failure[0];
        return out[0];
    }

    /** Stack of the threads that run native tokenizer and ONNX code (see {@link #open(EmbeddingModel, Settings)}). */
    static final long NATIVE_STACK_BYTES = 16L << 20;

    private static Embedder load(EmbeddingModel model, String onnxResource, Settings settings) {
        long t0 = System.nanoTime();
        byte[] onnx = readResource(model, onnxResource);
        HuggingFaceTokenizer tokenizer = loadTokenizer(model);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session = null;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(settings.get(Params.EMBED_INTRA_OP_THREADS));
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // every batch has its own shape: planning memory for one shape only wastes work
            options.setMemoryPatternOptimization(false);
            session = env.createSession(onnx, options);
            checkInputs(model, session);
            String output = chooseOutput(model, session);
            Embedder e = new Embedder(model, env, session, tokenizer, output, settings);
            LOG.info("embedding model {} loaded: {} dims, {} pooling, max {} tokens, inputs {}, output {}, "
                            + "{} threads x {} intra-op, batch {}, {} texts per run, in {} ms",
                    model.settingName(), model.dimensions(), model.pooling().name().toLowerCase(java.util.Locale.ROOT),
                    model.maxTokens(), session.getInputNames(), output, settings.get(Params.EMBED_THREADS),
                    settings.get(Params.EMBED_INTRA_OP_THREADS), e.batchSize, e.textsPerRun, (System.nanoTime() - t0) / 1_000_000);
            return e;
        } catch (OrtException | RuntimeException ex) {
            tokenizer.close();
            if (session != null) {
                try {
                    session.close();
                } catch (OrtException suppressed) {
                    ex.addSuppressed(suppressed);
                }
            }
            if (ex instanceof RuntimeException re) throw re;
            throw new IllegalStateException("cannot load embedding model " + model.settingName() + ": " + ex.getMessage(), ex);
        }
    }

    public EmbeddingModel model() {
        return model;
    }

    public int dimensions() {
        return model.dimensions();
    }

    /** Embeds one text; see {@link #embed(List)}. */
    public float[] embed(String text) {
        return embed(List.of(checkedText(text, 0)))[0];
    }

    /**
     * The unit-norm embedding of each text, in order ({@code result[i]} is {@code texts.get(i)}'s).
     * Texts over {@link EmbeddingModel#maxTokens()} tokens are truncated. Blocks until done; the
     * texts may share model calls with other callers' (see the class comment).
     *
     * @throws IllegalArgumentException a text is null, empty or blank (the message gives its index)
     * @throws EmbeddingRejectedException the queue cannot take the request's texts now
     * @throws IllegalStateException the embedder is closed, the model failed on one of these texts,
     *     or the thread was interrupted
     */
    public float[][] embed(List<String> texts) {
        if (texts == null) throw new IllegalArgumentException("texts must not be null");
        for (int i = 0; i < texts.size(); i++) checkedText(texts.get(i), i);
        if (texts.isEmpty()) return new float[0][];
        lock.lock();
        try {
            arriving++;
        } finally {
            lock.unlock();
        }
        Request req = new Request(texts.size());
        boolean arrived = false; // arriving was decremented
        try {
            // shortest first (characters are a free proxy for tokens): a large request's windows
            // then hold texts of similar length and its runs carry little padding
            Integer[] order = new Integer[texts.size()];
            for (int i = 0; i < order.length; i++) order[i] = i;
            Arrays.sort(order, Comparator.comparingInt(i -> texts.get(i).length()));
            List<Item> items = new ArrayList<>(order.length);
            for (int i : order) items.add(new Item(req, i, texts.get(i)));
            lock.lock();
            try {
                arriving--;
                arrived = true;
                if (closed) throw new IllegalStateException("embedder for " + model.settingName() + " is closed");
                if (queuedTexts + items.size() > queueCapacity) {
                    throw new EmbeddingRejectedException("embedding queue full for model " + model.settingName() + ": "
                            + queuedTexts + " of " + queueCapacity + " texts waiting (embed.queue); the request has "
                            + items.size() + "; retry later");
                }
                queue.add(new Pending(req, new ArrayDeque<>(items)));
                queuedTexts += items.size();
                queued.signalAll();
            } finally {
                lock.unlock();
            }
        } finally {
            if (!arrived) {
                lock.lock();
                try {
                    arriving--;
                } finally {
                    lock.unlock();
                }
            }
        }
        try {
            return req.await(model);
        } catch (InterruptedException ie) {
            withdraw(req);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while embedding with model " + model.settingName(), ie);
        }
    }

    /** Takes the request's texts that no worker has taken out of the queue; the rest are skipped when done. */
    private void withdraw(Request req) {
        req.fail(new CancellationException("withdrawn"));
        lock.lock();
        try {
            queue.removeIf(p -> {
                if (p.req != req) return false;
                queuedTexts -= p.items.size();
                return true;
            });
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops taking texts, lets the workers finish what is queued (for up to 30 s) and frees the
     * native session. Callers still waiting after that fail with {@link IllegalStateException}.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            queued.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            if (!joinWorkers(30_000)) {
                LOG.warn("embedding workers of {} still busy after 30 s; closing anyway", model.settingName());
                // queued texts will not run: fail their callers so that they wake up
                List<Pending> left;
                lock.lock();
                try {
                    left = new ArrayList<>(queue);
                    queue.clear();
                    queuedTexts = 0;
                } finally {
                    lock.unlock();
                }
                for (Pending p : left) p.req.fail(new IllegalStateException("embedder closed"));
                if (!joinWorkers(10_000)) {
                    // a native call still runs: freeing the session under it would crash the JVM
                    LOG.warn("embedding workers of {} did not stop; leaving its session open", model.settingName());
                    return;
                }
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            session.close();
        } catch (OrtException e) {
            LOG.warn("closing the ONNX session of {}: {}", model.settingName(), e.toString());
        }
        tokenizer.close();
    }

    private boolean joinWorkers(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (Thread t : workers) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left > 0) t.join(left);
            if (t.isAlive()) return false;
        }
        return true;
    }

    /** ONNX Runtime calls made since open. */
    public long runs() {
        return runs.get();
    }

    /** Texts embedded since open (each text of each call). */
    public long textsRun() {
        return runTexts.get();
    }

    /** Real tokens (special tokens included, padding not) embedded since open. */
    public long tokensRun() {
        return runTokens.get();
    }

    /** Token positions fed to the model since open: real tokens plus padding (texts x longest, per call). */
    public long cellsRun() {
        return runCells.get();
    }

    /** The token ids the model sees for {@code text} (special tokens included, truncated); for tests. */
    long[] tokenIds(String text) {
        return tokenizer.encode(checkedText(text, 0)).getIds();
    }

    // ---- requests and their texts ----

    /** One text of one caller's request. */
    private static final class Item {
        final Request req;
        final int index;
        final String text;
        Encoding encoding; // set by the worker that took it

        Item(Request req, int index, String text) {
            this.req = req;
            this.index = index;
            this.text = text;
        }

        int tokens() {
            return encoding.getIds().length;
        }
    }

    /** A request's texts not taken by a worker yet; guarded by the embedder's lock. */
    private record Pending(Request req, ArrayDeque<Item> items) {}

    /** One caller's {@link #embed(List)}: its vectors arrive one by one, possibly from several workers. */
    private static final class Request {
        private final float[][] out;
        private int remaining;
        private Throwable failure;
        private boolean done;

        Request(int n) {
            out = new float[n][];
            remaining = n;
        }

        synchronized boolean isDone() {
            return done;
        }

        synchronized void deliver(int index, float[] v) {
            if (done || out[index] != null) return;
            out[index] = v;
            if (--remaining == 0) {
                done = true;
                notifyAll();
            }
        }

        /** The first failure wins; the caller's other texts are skipped by the workers. */
        synchronized void fail(Throwable t) {
            if (done) return;
            failure = t;
            done = true;
            notifyAll();
        }

        synchronized float[][] await(EmbeddingModel model) throws InterruptedException {
            while (!done) wait();
            if (failure == null) return out;
            if (failure instanceof IllegalStateException ise && "embedder closed".equals(ise.getMessage())) {
                throw new IllegalStateException("embedding with model " + model.settingName()
                        + " was cancelled (embedder closed)", failure);
            }
            throw new IllegalStateException("embedding with model " + model.settingName() + " failed: " + failure, failure);
        }
    }

    // ---- the workers ----

    private void work() {
        while (true) {
            List<Item> window;
            try {
                window = takeWindow();
            } catch (InterruptedException ie) {
                return; // nothing of ours interrupts the workers; whoever did wants the thread to end
            }
            if (window == null) return;
            try {
                embedWindow(window);
            } catch (Throwable t) {
                // a bug (or an OutOfMemoryError) must neither strand the window's callers, who would
                // wait forever, nor end the worker, whose queue would then never drain
                LOG.error("embedding worker of {} failed", model.settingName(), t);
                for (Item it : window) it.req.fail(t);
            }
        }
    }

    /** Up to {@code embed.batch_size} texts, one per waiting request in turn; null when closed and drained. */
    private List<Item> takeWindow() throws InterruptedException {
        lock.lock();
        try {
            while (queuedTexts == 0) {
                if (closed) return null;
                queued.await();
            }
            // coalesce: another caller is about to queue texts that could share this call
            if (textsPerRun > 1 && maxWaitNanos > 0) {
                long left = maxWaitNanos;
                while (queuedTexts < textsPerRun && arriving > 0 && !closed && left > 0) left = queued.awaitNanos(left);
            }
            List<Item> window = new ArrayList<>(Math.min(batchSize, queuedTexts));
            while (window.size() < batchSize && !queue.isEmpty()) {
                Pending p = queue.poll();
                if (p.req.isDone()) { // failed or withdrawn: its other texts are not run
                    queuedTexts -= p.items.size();
                    continue;
                }
                window.add(p.items.poll());
                queuedTexts--;
                if (!p.items.isEmpty()) queue.add(p);
            }
            return window;
        } finally {
            lock.unlock();
        }
    }

    /** Tokenizes the window, orders it by token count and runs it in calls of at most {@code texts_per_run}. */
    private void embedWindow(List<Item> window) {
        List<Item> ready = new ArrayList<>(window.size());
        for (Item it : window) {
            try {
                it.encoding = tokenizer.encode(it.text);
                ready.add(it);
            } catch (RuntimeException e) {
                it.req.fail(new IllegalStateException("text " + it.index + " cannot be tokenized: " + e.getMessage(), e));
            }
        }
        ready.sort(Comparator.comparingInt(Item::tokens));
        for (int from = 0; from < ready.size(); from += textsPerRun) {
            List<Item> run = new ArrayList<>(textsPerRun);
            for (Item it : ready.subList(from, Math.min(ready.size(), from + textsPerRun))) {
                if (!it.req.isDone()) run.add(it); // a failed or withdrawn caller's texts are not run
            }
            if (run.isEmpty()) continue;
            try {
                deliver(run, run(run));
            } catch (OrtException | RuntimeException e) {
                if (run.size() == 1) {
                    run.get(0).req.fail(e);
                    continue;
                }
                // which text broke the call? Each alone: only the callers of failing texts fail
                LOG.warn("embedding a call of {} texts with {} failed ({}); retrying them one by one",
                        run.size(), model.settingName(), e.toString());
                for (Item it : run) {
                    try {
                        deliver(List.of(it), run(List.of(it)));
                    } catch (OrtException | RuntimeException alone) {
                        it.req.fail(alone);
                    }
                }
            }
        }
    }

    private static void deliver(List<Item> run, float[][] vectors) {
        for (int i = 0; i < run.size(); i++) run.get(i).req.deliver(run.get(i).index, vectors[i]);
    }

    /** One model call: the texts padded to the longest, with the attention mask. */
    private float[][] run(List<Item> texts) throws OrtException {
        int n = texts.size();
        long[][] ids = new long[n][], masks = new long[n][], types = new long[n][];
        int seq = 0;
        long tokens = 0;
        for (int i = 0; i < n; i++) {
            Encoding enc = texts.get(i).encoding;
            ids[i] = enc.getIds();
            masks[i] = enc.getAttentionMask();
            types[i] = enc.getTypeIds();
            seq = Math.max(seq, ids[i].length);
            tokens += ids[i].length;
        }
        runs.incrementAndGet();
        runTexts.addAndGet(n);
        runTokens.addAndGet(tokens);
        runCells.addAndGet((long) n * seq);
        long[] shape = {n, seq};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put(INPUT_IDS, tensor(ids, n, seq, shape));
            if (inputNames.contains(ATTENTION_MASK)) inputs.put(ATTENTION_MASK, tensor(masks, n, seq, shape));
            if (inputNames.contains(TOKEN_TYPE_IDS)) inputs.put(TOKEN_TYPE_IDS, tensor(types, n, seq, shape));
            try (OrtSession.Result result = session.run(inputs, Set.of(outputName))) {
                OnnxTensor hidden = (OnnxTensor) result.get(0);
                long[] hs = hidden.getInfo().getShape();
                int dim = model.dimensions();
                if (hs.length != 3 || hs[0] != n || hs[1] != seq || hs[2] != dim) {
                    throw new IllegalStateException("model " + model.settingName() + " returned shape "
                            + java.util.Arrays.toString(hs) + ", expected [" + n + ", " + seq + ", " + dim + "]");
                }
                return poolAndNormalize(hidden.getFloatBuffer(), masks, seq, dim);
            }
        } finally {
            for (OnnxTensor t : inputs.values()) t.close();
        }
    }

    private OnnxTensor tensor(long[][] rows, int n, int seq, long[] shape) throws OrtException {
        LongBuffer buf = ByteBuffer.allocateDirect(n * seq * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
        for (long[] row : rows) {
            buf.put(row);
            for (int j = row.length; j < seq; j++) buf.put(0L); // padding: id 0 is [PAD], mask 0, type 0
        }
        buf.rewind();
        return OnnxTensor.createTensor(env, buf, shape);
    }

    /** Pools {@code hidden} ([n, seq, dim], row-major) per text and L2-normalizes. */
    private float[][] poolAndNormalize(FloatBuffer hidden, long[][] masks, int seq, int dim) {
        int n = masks.length;
        float[][] out = new float[n][];
        double[] acc = new double[dim];
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(acc, 0.0);
            int base = i * seq * dim;
            if (model.pooling() == EmbeddingModel.Pooling.CLS) {
                for (int d = 0; d < dim; d++) acc[d] = hidden.get(base + d);
            } else {
                int count = 0;
                for (int t = 0; t < masks[i].length; t++) {
                    if (masks[i][t] == 0) continue;
                    count++;
                    int off = base + t * dim;
                    for (int d = 0; d < dim; d++) acc[d] += hidden.get(off + d);
                }
                for (int d = 0; d < dim; d++) acc[d] /= Math.max(count, 1);
            }
            out[i] = normalize(acc);
        }
        return out;
    }

    private static float[] normalize(double[] v) {
        double sq = 0;
        for (double x : v) sq += x * x;
        double norm = Math.sqrt(sq);
        float[] out = new float[v.length];
        // sentence-transformers' Normalize divides by max(norm, 1e-12)
        double inv = 1.0 / Math.max(norm, 1e-12);
        for (int d = 0; d < v.length; d++) out[d] = (float) (v[d] * inv);
        return out;
    }

    // ---- loading ----

    private static String checkedText(String text, int index) {
        if (text == null) throw new IllegalArgumentException("text " + index + " is null");
        if (text.isBlank()) throw new IllegalArgumentException("text " + index + " is empty or blank");
        return text;
    }

    private static InputStream openResource(EmbeddingModel model, String name) {
        ClassLoader cl = Embedder.class.getClassLoader();
        InputStream in = cl == null ? null : cl.getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException("embedding model " + model.settingName() + ": resource '" + name
                    + "' is not on the classpath (it ships in " + model.carrierArtifact() + ")");
        }
        return in;
    }

    private static byte[] readResource(EmbeddingModel model, String name) {
        try (InputStream in = openResource(model, name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + name + " of embedding model " + model.settingName(), e);
        }
    }

    private static HuggingFaceTokenizer loadTokenizer(EmbeddingModel model) {
        String max = Integer.toString(model.maxTokens());
        // the files' own settings differ (MiniLM's pads to a fixed 128); ours: truncate to the
        // model's limit, never pad (a batch is padded here, to its longest text)
        Map<String, String> options = Map.of(
                "addSpecialTokens", "true",
                "truncation", "true",
                "padding", "false",
                "maxLength", max,
                "modelMaxLength", max);
        try (InputStream in = openResource(model, model.tokenizerResource())) {
            return HuggingFaceTokenizer.newInstance(in, options);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the tokenizer of embedding model " + model.settingName(), e);
        }
    }

    private static void checkInputs(EmbeddingModel model, OrtSession session) {
        Set<String> names = session.getInputNames();
        if (!names.contains(INPUT_IDS)) {
            throw new IllegalStateException("embedding model " + model.settingName() + " has no '" + INPUT_IDS
                    + "' input; inputs: " + names);
        }
        for (String name : names) {
            if (!name.equals(INPUT_IDS) && !name.equals(ATTENTION_MASK) && !name.equals(TOKEN_TYPE_IDS)) {
                throw new IllegalStateException("embedding model " + model.settingName() + " wants input '" + name
                        + "', which the embedder does not provide; inputs: " + names);
            }
        }
        if (model.pooling() == EmbeddingModel.Pooling.MEAN && !names.contains(ATTENTION_MASK)) {
            // without a mask the model would attend to padding and mean pooling would average it
            throw new IllegalStateException("embedding model " + model.settingName()
                    + " has no attention_mask input; batches could not be padded");
        }
    }

    /** The token-level output: {@code last_hidden_state} when present, else the only rank-3 output. */
    private static String chooseOutput(EmbeddingModel model, OrtSession session) throws OrtException {
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        List<String> rank3 = new ArrayList<>();
        for (Map.Entry<String, NodeInfo> e : outputs.entrySet()) {
            if (e.getValue().getInfo() instanceof TensorInfo ti && ti.getShape().length == 3) {
                long last = ti.getShape()[2];
                if (last > 0 && last != model.dimensions()) {
                    throw new IllegalStateException("embedding model " + model.settingName() + ": output " + e.getKey()
                            + " has " + last + " dimensions, expected " + model.dimensions());
                }
                rank3.add(e.getKey());
            }
        }
        if (rank3.contains("last_hidden_state")) return "last_hidden_state";
        if (rank3.size() == 1) return rank3.get(0);
        throw new IllegalStateException("embedding model " + model.settingName()
                + ": cannot tell the token-level output among " + outputs.keySet());
    }

    private static ThreadFactory threadFactory(EmbeddingModel model) {
        int poolId = POOLS.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(null, r, "tamter-embed-" + model.settingName() + "-" + poolId + "-" + n.incrementAndGet(), NATIVE_STACK_BYTES);
            t.setDaemon(true);
            return t;
        };
    }
}
