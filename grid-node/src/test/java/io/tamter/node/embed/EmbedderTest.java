package io.tamter.node.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The real models under the real ONNX Runtime and tokenizer: no mocks. Each model loads once. */
class EmbedderTest {
    private static final Map<EmbeddingModel, Embedder> EMBEDDERS = new EnumMap<>(EmbeddingModel.class);

    /** Texts of very different lengths, so a batch of them carries a lot of padding. */
    private static final List<String> MIXED = List.of(
            "Hi.",
            "A man is playing a guitar.",
            "The quick brown fox jumps over the lazy dog while the farmer watches from the porch of the old house.",
            "Vector databases index embeddings for approximate nearest neighbour search.",
            "ok",
            "Photosynthesis converts light energy into chemical energy stored in glucose, releasing oxygen as a "
                    + "by-product; it takes place in the chloroplasts of plant cells and some bacteria.",
            "Where is the nearest train station?");

    @BeforeAll
    static void load() {
        for (EmbeddingModel m : EmbeddingModel.values()) EMBEDDERS.put(m, Embedder.open(m));
    }

    @AfterAll
    static void close() {
        EMBEDDERS.values().forEach(Embedder::close);
    }

    @ParameterizedTest
    @EnumSource(EmbeddingModel.class)
    void vectorsHaveTheModelsDimensionAndUnitNorm(EmbeddingModel m) {
        Embedder e = EMBEDDERS.get(m);
        assertThat(e.dimensions()).isEqualTo(384);
        float[][] v = e.embed(MIXED);
        assertThat(v).hasNumberOfRows(MIXED.size());
        for (float[] x : v) {
            assertThat(x).hasSize(384);
            assertThat(norm(x)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @ParameterizedTest
    @EnumSource(EmbeddingModel.class)
    void aTextComesOutTheSameAloneAndInABatch(EmbeddingModel m) {
        Embedder e = EMBEDDERS.get(m);
        float[][] batch = e.embed(MIXED);
        for (int i = 0; i < MIXED.size(); i++) {
            assertThat(maxAbsDiff(e.embed(MIXED.get(i)), batch[i])).as("text %d", i).isLessThan(1e-4);
        }
    }

    /**
     * Several texts per model call, padded to the longest. Copies of one text need no padding and
     * share the quantization scales of the text alone, so they must match it closely (this checks
     * how the batch tensor is laid out and read back). Mixed lengths are padded: the mask keeps the
     * padding out of attention and pooling, but the dynamic quantization scales see the whole call,
     * so these only come close: measured min cosine 0.953 for MiniLM (the 3-token "ok"; batched
     * with the equally long "yes", no padding at all, it is 0.968, so this is quantization, not
     * padding) and 0.994 for BGE. Averaging the padding into the mean or reading another row
     * gives far less.
     */
    @ParameterizedTest
    @EnumSource(EmbeddingModel.class)
    void paddedRunsKeepThePaddingOut(EmbeddingModel m) {
        Settings padded = Settings.defaults().with(Params.EMBED_TEXTS_PER_RUN, 32).with(Params.EMBED_THREADS, 1);
        try (Embedder e = Embedder.open(m, padded)) {
            float[] alone = e.embed(MIXED.get(3));
            for (float[] copy : e.embed(Collections.nCopies(5, MIXED.get(3)))) {
                assertThat(maxAbsDiff(copy, alone)).isLessThan(1e-4);
            }
            float[][] batch = e.embed(MIXED);
            double worst = 1;
            for (int i = 0; i < MIXED.size(); i++) worst = Math.min(worst, dot(batch[i], e.embed(MIXED.get(i))));
            System.out.println(m + " padded runs: min cos(alone, batched) = " + worst);
            assertThat(worst).isGreaterThan(0.93);
        }
    }

    @ParameterizedTest
    @EnumSource(EmbeddingModel.class)
    void similarMeaningsAreCloserThanUnrelatedOnes(EmbeddingModel m) {
        float[][] v = EMBEDDERS.get(m).embed(List.of(
                "A man is playing a guitar.", "Someone plays an instrument.", "The stock market fell today."));
        double related = dot(v[0], v[1]), unrelated = dot(v[0], v[2]);
        System.out.println(m + " cos(related) = " + related + ", cos(unrelated) = " + unrelated);
        assertThat(related).isGreaterThan(unrelated);
    }

    @ParameterizedTest
    @EnumSource(EmbeddingModel.class)
    void textsOverTheTokenLimitAreTruncated(EmbeddingModel m) {
        Embedder e = EMBEDDERS.get(m);
        String longText = String.join(" ", Collections.nCopies(400, "the cat sat on the mat and looked around"));
        assertThat(e.tokenIds(longText)).hasSize(m.maxTokens());
        float[] v = e.embed(longText);
        assertThat(norm(v)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        // what lies past the limit cannot change the vector
        float[] w = e.embed(longText + " but then the stock market crashed and everybody lost their savings");
        assertThat(maxAbsDiff(v, w)).isLessThan(1e-6);
    }

    @Test
    void tokenizerMatchesTheBertUncasedVocabulary() {
        // [CLS] hello world [SEP] in bert-base-uncased's vocabulary, which both models use
        for (Embedder e : EMBEDDERS.values()) {
            assertThat(e.tokenIds("Hello world")).containsExactly(101, 7592, 2088, 102);
        }
    }

    @Test
    void aBatchOfSeventyComesBackInOrder() {
        Embedder e = EMBEDDERS.get(EmbeddingModel.DEFAULT);
        List<String> texts = new ArrayList<>();
        String[] topics = {"astronomy", "cooking pasta", "football", "tax law", "jazz music", "gardening", "databases"};
        for (int i = 0; i < 70; i++) {
            texts.add("Note " + i + ": a short remark about " + topics[i % topics.length]
                    + (i % 3 == 0 ? ", with a longer tail that adds several more tokens to this one" : "."));
        }
        float[][] all = e.embed(texts);
        assertThat(all).hasNumberOfRows(70);
        // batch boundaries are 0..31, 32..63, 64..69: check texts on both sides of each, one by one
        for (int i : new int[] {0, 1, 31, 32, 33, 63, 64, 69}) {
            assertThat(maxAbsDiff(all[i], e.embed(texts.get(i)))).as("text %d", i).isLessThan(1e-4);
        }
        // and every vector is nearest to its own text's
        float[][] again = e.embed(texts.reversed());
        for (int i = 0; i < 70; i++) {
            assertThat(maxAbsDiff(all[i], again[69 - i])).as("text %d", i).isLessThan(1e-4);
        }
    }

    @Test
    void badInputIsRejectedWithItsIndex() {
        Embedder e = EMBEDDERS.get(EmbeddingModel.DEFAULT);
        assertThatThrownBy(() -> e.embed(Arrays.asList("fine", "also fine", null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("text 2").hasMessageContaining("null");
        assertThatThrownBy(() -> e.embed(List.of("fine", "")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("text 1").hasMessageContaining("empty");
        assertThatThrownBy(() -> e.embed(List.of("  \n\t")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("text 0");
        assertThatThrownBy(() -> e.embed((String) null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> e.embed((List<String>) null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(e.embed(List.of())).isEmpty();
    }

    @Test
    void concurrentCallsGiveTheSequentialResults() throws Exception {
        Embedder e = EMBEDDERS.get(EmbeddingModel.DEFAULT);
        List<List<String>> requests = new ArrayList<>();
        for (int r = 0; r < 8; r++) {
            List<String> req = new ArrayList<>();
            for (int i = 0; i < 12; i++) req.add(MIXED.get((r + i) % MIXED.size()) + " (request " + r + ", item " + i + ")");
            requests.add(req);
        }
        List<float[][]> sequential = new ArrayList<>();
        for (List<String> req : requests) sequential.add(e.embed(req));

        ExecutorService callers = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[][]>> results = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                for (List<String> req : requests) results.add(callers.submit((Callable<float[][]>) () -> e.embed(req)));
            }
            for (int k = 0; k < results.size(); k++) {
                float[][] got = results.get(k).get();
                float[][] want = sequential.get(k % requests.size());
                for (int i = 0; i < want.length; i++) assertThat(got[i]).as("request %d, text %d", k, i).isEqualTo(want[i]);
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void aFullQueueRejectsTheWholeRequestAndRecovers() {
        Settings tiny = Settings.defaults().with(Params.EMBED_THREADS, 1).with(Params.EMBED_QUEUE, 2)
                .with(Params.EMBED_BATCH_SIZE, 1);
        try (Embedder e = Embedder.open(EmbeddingModel.DEFAULT, tiny)) {
            List<String> many = Collections.nCopies(50, "a sentence that needs a batch of its own");
            assertThatThrownBy(() -> e.embed(many)).isInstanceOf(EmbeddingRejectedException.class)
                    .hasMessageContaining("queue full").hasMessageContaining("embed.queue");
            // nothing of the rejected request was queued: the embedder is usable again
            assertThat(e.embed(List.of("one", "two"))).hasNumberOfRows(2);
        }
    }

    @Test
    void embeddingAfterCloseFails() {
        Embedder e = Embedder.open(EmbeddingModel.DEFAULT, Settings.defaults());
        e.close();
        assertThatThrownBy(() -> e.embed("too late")).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void embeddersShareOneInstancePerModel() {
        Embedders all = new Embedders(Settings.defaults());
        Embedder a = all.get("all-minilm-l6-v2");
        assertThat(all.get(EmbeddingModel.ALL_MINILM_L6_V2)).isSameAs(a);
        assertThat(all.get("ALL-MINILM-L6-V2")).isSameAs(a);
        assertThatThrownBy(() -> all.get("no-such-model")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no-such-model").hasMessageContaining("bge-small-en-v1.5");
        all.close();
        assertThatThrownBy(() -> a.embed("closed with its registry")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> all.get(EmbeddingModel.DEFAULT)).isInstanceOf(IllegalStateException.class);
    }

    /**
     * Several texts per call, grouped by token count: texts of two lengths, interleaved, come out
     * as calls of one length each (no padding at all), and every vector goes back to its own index.
     * The int8 models' dynamic quantization scales over the whole call, so a batched vector is only
     * close to the lone one (see paddedRunsKeepThePaddingOut); it must still be nearest to its own
     * text's lone vector among all of them.
     */
    @Test
    void runsAreGroupedByLengthAndComeBackInTheCallersOrder() {
        Settings batched = Settings.defaults().with(Params.EMBED_TEXTS_PER_RUN, 8).with(Params.EMBED_BATCH_SIZE, 16)
                .with(Params.EMBED_THREADS, 1);
        Embedder single = EMBEDDERS.get(EmbeddingModel.DEFAULT);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            texts.add(i % 2 == 0 ? "note " + (char) ('a' + i)
                    : "a considerably longer remark about the stars that carries many more tokens, number " + (char) ('a' + i));
        }
        for (int i = 2; i < texts.size(); i++) {
            assertThat(single.tokenIds(texts.get(i))).as("text %d", i).hasSize(single.tokenIds(texts.get(i % 2)).length);
        }
        try (Embedder e = Embedder.open(EmbeddingModel.DEFAULT, batched)) {
            float[][] got = e.embed(texts);
            assertThat(e.runs()).isEqualTo(2);
            assertThat(e.cellsRun()).as("no padding: each call holds texts of one length").isEqualTo(e.tokensRun());
            float[][] alone = new float[texts.size()][];
            for (int i = 0; i < texts.size(); i++) alone[i] = single.embed(texts.get(i));
            assertOwnNearest(got, alone, 0.93);
        }
    }

    /**
     * Many callers at once, one text each, into one worker whose calls take up to 16 texts: they
     * share calls (fewer calls than texts), each gets the vector of its own text, and a caller with
     * a bad text fails alone.
     */
    @Test
    void concurrentCallersShareCallsAndEachGetsItsOwnVector() throws Exception {
        Settings batched = Settings.defaults().with(Params.EMBED_TEXTS_PER_RUN, 16).with(Params.EMBED_BATCH_SIZE, 32)
                .with(Params.EMBED_THREADS, 1).with(Params.EMBED_MAX_WAIT_US, 2_000);
        Embedder single = EMBEDDERS.get(EmbeddingModel.DEFAULT);
        int callers = 24, rounds = 4;
        try (Embedder e = Embedder.open(EmbeddingModel.DEFAULT, batched)) {
            ExecutorService pool = Executors.newFixedThreadPool(callers + 1);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<float[][]>> results = submitCallers(pool, start, e, callers, rounds);
                Future<float[][]> bad = pool.submit(() -> {
                    start.await();
                    return e.embed(List.of("a fine text", " "));
                });
                start.countDown();
                assertThatThrownBy(bad::get).hasCauseInstanceOf(IllegalArgumentException.class).hasMessageContaining("text 1");
                float[][] got = new float[callers * rounds][], alone = new float[callers * rounds][];
                for (int c = 0; c < callers; c++) {
                    float[][] mine = results.get(c).get();
                    for (int r = 0; r < rounds; r++) {
                        got[c * rounds + r] = mine[r];
                        alone[c * rounds + r] = single.embed(callerText(c, r, rounds));
                    }
                }
                assertOwnNearest(got, alone, 0.93);
                assertThat(e.textsRun()).isEqualTo(callers * rounds);
                System.out.println("concurrent callers: " + e.textsRun() + " texts in " + e.runs() + " calls");
                assertThat(e.runs()).as("callers shared calls").isLessThan(callers * rounds);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** With the default one text per call, coalesced callers get exactly the lone vectors. */
    @Test
    void concurrentSingleTextCallersGetExactlyTheLoneVectors() throws Exception {
        Embedder e = EMBEDDERS.get(EmbeddingModel.DEFAULT);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 48; i++) texts.add(MIXED.get(i % MIXED.size()) + " #" + i);
        float[][] alone = new float[texts.size()][];
        for (int i = 0; i < texts.size(); i++) alone[i] = e.embed(texts.get(i));
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<float[]>> got = new ArrayList<>();
            for (String t : texts) got.add(pool.submit(() -> e.embed(t)));
            for (int i = 0; i < texts.size(); i++) assertThat(got.get(i).get()).as("text %d", i).isEqualTo(alone[i]);
        } finally {
            pool.shutdownNow();
        }
    }

    private static final String[] SUBJECTS = {"A pilot", "The chef", "My grandmother", "A young violinist", "The senator",
        "An astronaut", "The fisherman", "A software engineer", "The goalkeeper", "A beekeeper", "The librarian", "A volcano researcher"};
    private static final String[] ACTIONS = {"repaired an old engine in the garage", "cooked spicy noodles for dinner",
        "argued about taxes on the radio", "painted the fence bright yellow", "climbed a frozen waterfall at dawn",
        "lost a wallet on the crowded train", "planted tomatoes behind the school", "wrote a letter about quantum physics"};
    private static final String[] TOPICS = {"astronomy", "cooking pasta", "football", "tax law", "jazz music", "gardening", "databases"};

    /**
     * One worker, a bulk request of 120 long texts queued first, then a short query: the query's
     * text is taken in the next window (one text per waiting request in turn), so it comes back
     * while the bulk request is still running; and a caller interrupted while its texts wait is
     * withdrawn alone.
     */
    @Test
    void aQueryIsNotStuckBehindABulkRequestAndAnInterruptedCallerFailsAlone() throws Exception {
        Settings one = Settings.defaults().with(Params.EMBED_THREADS, 1).with(Params.EMBED_BATCH_SIZE, 4);
        String longText = String.join(" ", Collections.nCopies(30, "the cat sat on the mat and looked around"));
        List<String> bulk = new ArrayList<>();
        for (int i = 0; i < 120; i++) bulk.add(longText + " " + i);
        try (Embedder e = Embedder.open(EmbeddingModel.DEFAULT, one)) {
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                Future<float[][]> big = pool.submit(() -> e.embed(bulk));
                while (e.textsRun() == 0) Thread.sleep(1); // the bulk request is running
                List<String> doomedTexts = new ArrayList<>();
                for (int i = 0; i < 40; i++) doomedTexts.add(longText + " withdrawn " + i);
                AtomicReference<Throwable> doomedFailure = new AtomicReference<>();
                Future<?> doomed = pool.submit(() -> {
                    try {
                        e.embed(doomedTexts);
                    } catch (RuntimeException failure) {
                        doomedFailure.set(failure);
                    }
                });
                float[] query = pool.submit(() -> e.embed("Where is the nearest train station?")).get();
                assertThat(big.isDone()).as("the query came back while the bulk request still runs").isFalse();
                assertThat(maxAbsDiff(query, EMBEDDERS.get(EmbeddingModel.DEFAULT).embed("Where is the nearest train station?")))
                        .isLessThan(1e-4);
                doomed.cancel(true); // interrupts the caller while most of its texts wait
                float[][] all = big.get();
                assertThat(all).hasNumberOfRows(120);
                for (int i : new int[] {0, 57, 119}) {
                    assertThat(maxAbsDiff(all[i], EMBEDDERS.get(EmbeddingModel.DEFAULT).embed(bulk.get(i)))).as("text %d", i).isLessThan(1e-4);
                }
                while (doomedFailure.get() == null) Thread.sleep(1);
                assertThat(doomedFailure.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("interrupted");
                assertThat(e.textsRun()).as("the withdrawn texts were not run").isLessThan(120 + 1 + 40);
                // the embedder still serves after the withdrawal
                assertThat(e.embed(List.of("still", "working"))).hasNumberOfRows(2);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** The float32 export of MiniLM (test dependency): no per-call quantization. */
    private static final String MINILM_FP32 = "all-minilm-l6-v2.onnx";

    /**
     * Where no dynamic quantization blurs them, batched calls equal lone ones within float
     * tolerance: texts of very different lengths padded into shared calls, ordered by length and
     * returned in the caller's order. This checks the padding, the attention mask, pooling over
     * the real tokens only and the order with the real model (same weights as the int8 default).
     */
    @Test
    void withoutQuantizationBatchedCallsEqualLoneOnes() {
        Settings lone = Settings.defaults().with(Params.EMBED_THREADS, 1);
        List<String> texts = new ArrayList<>(MIXED);
        for (int i = 0; i < 40; i++) {
            texts.add(SUBJECTS[i % SUBJECTS.length] + " " + ACTIONS[i % ACTIONS.length]
                    + (i % 3 == 0 ? ", and then told everybody about it at length over a very long dinner" : "") + ".");
        }
        Collections.shuffle(texts, new java.util.Random(7));
        try (Embedder one = Embedder.open(EmbeddingModel.DEFAULT, MINILM_FP32, lone);
             Embedder many = Embedder.open(EmbeddingModel.DEFAULT, MINILM_FP32, lone.with(Params.EMBED_TEXTS_PER_RUN, 16))) {
            float[][] got = many.embed(texts);
            assertThat(many.runs()).as("texts shared calls").isLessThan(texts.size());
            assertThat(many.cellsRun()).as("calls were padded").isGreaterThan(many.tokensRun());
            Embedder int8 = EMBEDDERS.get(EmbeddingModel.DEFAULT);
            for (int i = 0; i < texts.size(); i++) {
                float[] alone = one.embed(texts.get(i));
                assertThat(maxAbsDiff(got[i], alone)).as("text %d", i).isLessThan(1e-5);
                assertThat(dot(alone, int8.embed(texts.get(i)))).as("the same model as the int8 one, text %d", i).isGreaterThan(0.95);
            }
        }
    }

    /** Concurrent one-text callers coalesced into shared float32 calls each get their lone vector back. */
    @Test
    void withoutQuantizationConcurrentCallersGetTheirLoneVectors() throws Exception {
        Settings lone = Settings.defaults().with(Params.EMBED_THREADS, 1);
        Settings shared = lone.with(Params.EMBED_TEXTS_PER_RUN, 16).with(Params.EMBED_MAX_WAIT_US, 2_000);
        int callers = 24, rounds = 4;
        try (Embedder one = Embedder.open(EmbeddingModel.DEFAULT, MINILM_FP32, lone);
             Embedder many = Embedder.open(EmbeddingModel.DEFAULT, MINILM_FP32, shared)) {
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<float[][]>> results = submitCallers(pool, start, many, callers, rounds);
                start.countDown();
                for (int c = 0; c < callers; c++) {
                    float[][] mine = results.get(c).get();
                    for (int r = 0; r < rounds; r++) {
                        assertThat(maxAbsDiff(mine[r], one.embed(callerText(c, r, rounds)))).as("caller %d, round %d", c, r).isLessThan(1e-5);
                    }
                }
                assertThat(many.runs()).as("callers shared calls").isLessThan(callers * rounds);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** {@code callers} tasks that wait for {@code start}, then embed their {@link #callerText}s one call at a time. */
    private static List<Future<float[][]>> submitCallers(ExecutorService pool, CountDownLatch start, Embedder e, int callers, int rounds) {
        List<Future<float[][]>> results = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            int caller = c;
            results.add(pool.submit(() -> {
                start.await();
                float[][] mine = new float[rounds][];
                for (int r = 0; r < rounds; r++) mine[r] = e.embed(callerText(caller, r, rounds));
                return mine;
            }));
        }
        return results;
    }

    /** 96 distinct subject/action pairs for {@code callers * rounds <= 96}: far apart, unlike the int8 batching noise. */
    private static String callerText(int caller, int round, int rounds) {
        int k = caller * rounds + round;
        return SUBJECTS[k / ACTIONS.length] + " " + ACTIONS[k % ACTIONS.length] + ".";
    }

    /** Each {@code got[i]} is within cosine {@code minCos} of {@code alone[i]} and nearer to it than to any other. */
    private static void assertOwnNearest(float[][] got, float[][] alone, double minCos) {
        for (int i = 0; i < got.length; i++) {
            int best = -1;
            double bestDot = -2;
            for (int j = 0; j < alone.length; j++) {
                double d = dot(got[i], alone[j]);
                if (d > bestDot) {
                    bestDot = d;
                    best = j;
                }
            }
            assertThat(dot(got[i], alone[i])).as("text %d", i).isGreaterThan(minCos);
            assertThat(dot(got[i], alone[best])).as("text %d is nearest to its own lone vector", i)
                    .isLessThanOrEqualTo(dot(got[i], alone[i]) + 1e-9);
        }
    }

    private static double norm(float[] v) {
        return Math.sqrt(dot(v, v));
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
