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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeds texts with one {@link EmbeddingModel}, in process: the HuggingFace tokenizer (DJL's
 * binding of the Rust {@code tokenizers}) and the ONNX model run by ONNX Runtime on the CPU.
 *
 * <p>{@link #embed(List)} cuts the texts into batches of at most {@code embed.batch_size} and
 * runs them on a fixed pool of {@code embed.threads} threads with a bounded queue of
 * {@code embed.queue} batches. A request whose batches do not all fit in the queue is rejected
 * as a whole with {@link EmbeddingRejectedException} (HTTP 429), never half-run. Inside a batch,
 * each ONNX Runtime call takes {@code embed.texts_per_run} texts, padded to the longest with an
 * attention mask, on at most {@code embed.intra_op_threads} threads. The hidden states are
 * pooled as the model says (mean over the real tokens, or {@code [CLS]}) and L2-normalized.
 *
 * <p>Why one text per call by default: both models are int8 with <em>dynamic</em> activation
 * quantization ({@code DynamicQuantizeLinear}), whose scale is the min/max of the whole input
 * tensor of the call, other texts and padding included. Texts run together therefore move each
 * other's vectors (measured: max component difference 0.045, cosine to the lone vector down to
 * 0.990 for MiniLM), so a document's vector would depend on what else was in its request, and a
 * query would not find its own text at distance ~0. One text per call costs about half the
 * throughput on uniform short sentences and gains on mixed lengths (no padding); set
 * {@code embed.texts_per_run} higher where throughput matters more than reproducibility.
 *
 * <p>Thread-safe: the ONNX Runtime session and the tokenizer are both safe for concurrent use,
 * and each call owns its tensors. Tokenization is done text by text on the pool's threads (the
 * tokenizer's own batch call would start its own thread pool, outside our bounds).
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
    private final int queueCapacity;
    private final ThreadPoolExecutor pool;

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
        this.queueCapacity = settings.get(Params.EMBED_QUEUE);
        int threads = settings.get(Params.EMBED_THREADS);
        this.pool = new ThreadPoolExecutor(threads, threads, 0L, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(queueCapacity), threadFactory(model), new ThreadPoolExecutor.AbortPolicy());
    }

    /** Opens {@code model} with the default settings. */
    public static Embedder open(EmbeddingModel model) {
        return open(model, Settings.defaults());
    }

    /**
     * Loads {@code model}'s tokenizer and ONNX model from the classpath and starts its pool
     * (about a second per model; the caller keeps the instance for the life of the node).
     *
     * @throws IllegalStateException when a resource is missing or the model does not look like
     *     a token-level encoder of the expected dimension
     */
    public static Embedder open(EmbeddingModel model, Settings settings) {
        // The Rust tokenizer and ONNX Runtime run on the calling thread while loading and need more
        // stack than some callers have: `tamter serve` died with SIGSEGV (no hs_err) loading the
        // tokenizer on an Ignite job thread, and lived with -Xss8m. So loading gets its own thread.
        Embedder[] out = new Embedder[1];
        RuntimeException[] failure = new RuntimeException[1];
        Thread loader = new Thread(null, () -> {
            try {
                out[0] = load(model, settings);
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

    private static Embedder load(EmbeddingModel model, Settings settings) {
        long t0 = System.nanoTime();
        byte[] onnx = readResource(model, model.modelResource());
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
     * Texts over {@link EmbeddingModel#maxTokens()} tokens are truncated. Blocks until done.
     *
     * @throws IllegalArgumentException a text is null, empty or blank (the message gives its index)
     * @throws EmbeddingRejectedException the pool's queue cannot take the request's batches now
     * @throws IllegalStateException the embedder is closed, the model failed, or the thread was interrupted
     */
    public float[][] embed(List<String> texts) {
        if (texts == null) throw new IllegalArgumentException("texts must not be null");
        for (int i = 0; i < texts.size(); i++) checkedText(texts.get(i), i);
        float[][] out = new float[texts.size()][];
        if (texts.isEmpty()) return out;

        List<FutureTask<float[][]>> tasks = new ArrayList<>();
        for (int from = 0; from < texts.size(); from += batchSize) {
            List<String> batch = List.copyOf(texts.subList(from, Math.min(texts.size(), from + batchSize)));
            FutureTask<float[][]> task = new FutureTask<>(() -> embedBatch(batch));
            try {
                pool.execute(task);
            } catch (RejectedExecutionException rejected) {
                withdraw(tasks);
                if (pool.isShutdown()) throw new IllegalStateException("embedder for " + model.settingName() + " is closed");
                throw new EmbeddingRejectedException("embedding queue full for model " + model.settingName() + ": "
                        + pool.getQueue().size() + " of " + queueCapacity + " batches waiting (embed.queue); "
                        + "the request needed " + ((texts.size() + batchSize - 1) / batchSize) + "; retry later");
            }
            tasks.add(task);
        }
        int at = 0;
        for (int b = 0; b < tasks.size(); b++) {
            float[][] part;
            try {
                part = tasks.get(b).get();
            } catch (InterruptedException ie) {
                withdraw(tasks);
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while embedding with model " + model.settingName(), ie);
            } catch (ExecutionException ee) {
                withdraw(tasks);
                Throwable c = ee.getCause();
                throw new IllegalStateException("embedding with model " + model.settingName() + " failed: " + c, c);
            } catch (java.util.concurrent.CancellationException ce) {
                throw new IllegalStateException("embedding with model " + model.settingName()
                        + " was cancelled (embedder closed)", ce);
            }
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }

    /** Cancels the request's batches that have not started and takes them out of the queue. */
    private void withdraw(List<FutureTask<float[][]>> tasks) {
        for (FutureTask<float[][]> t : tasks) {
            if (t.cancel(false)) pool.remove(t);
        }
    }

    /** Stops the pool (batches already queued finish first, for up to 30 s) and frees the native session. */
    @Override
    public void close() {
        pool.shutdown();
        try {
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("embedding pool of {} still busy after 30 s; closing anyway", model.settingName());
                // queued batches will not run: cancel them so that their callers wake up
                for (Runnable r : pool.shutdownNow()) {
                    if (r instanceof FutureTask<?> t) t.cancel(false);
                }
                if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
                    // a native call still runs: freeing the session under it would crash the JVM
                    LOG.warn("embedding pool of {} did not stop; leaving its session open", model.settingName());
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

    /** The token ids the model sees for {@code text} (special tokens included, truncated); for tests. */
    long[] tokenIds(String text) {
        return tokenizer.encode(checkedText(text, 0)).getIds();
    }

    // ---- one batch, on a pool thread ----

    private float[][] embedBatch(List<String> texts) throws OrtException {
        if (textsPerRun >= texts.size()) return run(texts);
        float[][] out = new float[texts.size()][];
        for (int from = 0; from < texts.size(); from += textsPerRun) {
            float[][] part = run(texts.subList(from, Math.min(texts.size(), from + textsPerRun)));
            System.arraycopy(part, 0, out, from, part.length);
        }
        return out;
    }

    /** One model call: the texts padded to the longest, with the attention mask. */
    private float[][] run(List<String> texts) throws OrtException {
        int n = texts.size();
        long[][] ids = new long[n][], masks = new long[n][], types = new long[n][];
        int seq = 0;
        for (int i = 0; i < n; i++) {
            Encoding enc = tokenizer.encode(texts.get(i));
            ids[i] = enc.getIds();
            masks[i] = enc.getAttentionMask();
            types[i] = enc.getTypeIds();
            seq = Math.max(seq, ids[i].length);
        }
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
