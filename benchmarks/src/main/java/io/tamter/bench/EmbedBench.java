package io.tamter.bench;

import io.tamter.bench.data.Datasets;
import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.embed.Embedder;
import io.tamter.node.embed.EmbeddingModel;
import io.tamter.node.vector.VectorFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tamter bench embed --dataset DIR [--out DIR2]}: the embedding rate, and optionally the
 * dataset as vectors.
 *
 * <p>First a sweep over texts per model call ({@code --batch-sizes}, default 1, 8, 32: the
 * setting {@code embed.texts_per_run}): for each, the first {@code --sample} documents of the
 * corpus (default 1,000) and up to as many queries are embedded in requests of {@code --request}
 * texts (default 500, what {@code tamter load} sends), after a warm-up; it reports docs/s,
 * tokens/s (real tokens, padding not counted), the padding share, queries/s (short texts) and the
 * lowest and mean cosine between each document's vector and its vector at one text per call
 * (the int8 models' dynamic quantization lets texts in one call move each other's vectors).
 *
 * <p>With {@code --out}, the whole corpus is then embedded with the settings as given
 * ({@code --set}, defaults otherwise) and written as an ANN dataset ({@code base.fvecs} = the
 * corpus, {@code query.fvecs} = the judged queries, {@code ids.txt} = corpus ids in row order),
 * so {@code bench ann --dataset DIR2 --metric cosine} measures the vector index on real text
 * embeddings without embedding again. One JSON line per batch size, then the summary line.
 */
final class EmbedBench {
    private EmbedBench() {}

    @Command(name = "embed", synopsisHeading = "usage: ", separator = " ", sortOptions = false, descriptionHeading = "%n",
            optionListHeading = "%noptions:%n", sortSynopsis = false,
            description = {
                "Embedding rate per texts per model call; optionally the corpus as vectors.",
                "",
                "On a BEIR corpus: docs/s and tokens/s for each number of texts per model call; with "
                    + "--out, the corpus and judged queries embedded and written as base/query.fvecs for bench ann. One JSON line per "
                    + "batch size, then a summary line."})
    static final class Options implements Callable<Integer> {
        @Mixin
        io.tamter.http.cli.TamterMain.HelpOption help;

        @Option(names = "--dataset", paramLabel = "DIR", required = true, description = "a BEIR directory, or its name under ../shared/data")
        String dataset;

        @Option(names = "--batch-sizes", paramLabel = "N,N", split = ",", hideParamSyntax = true, defaultValue = "1,8,32",
                description = "texts per model call to sweep, the setting embed.texts_per_run (default ${DEFAULT-VALUE})")
        List<Integer> batchSizes;

        @Option(names = "--sample", paramLabel = "N", description = "documents (and at most as many queries) per sweep point "
                + "(default ${DEFAULT-VALUE})")
        int sample = 1_000;

        @Option(names = "--request", paramLabel = "N", description = "texts per embedding request, what tamter load sends "
                + "(default ${DEFAULT-VALUE})")
        int request = 500;

        @Option(names = "--model", paramLabel = "NAME", description = "embedding model (default: the default model)")
        String model;

        @Option(names = "--split", paramLabel = "NAME", description = "qrels split whose queries are embedded (default ${DEFAULT-VALUE})")
        String split = "test";

        @Option(names = "--out", paramLabel = "DIR2", description = "also write the whole corpus and the judged queries as "
                + "base.fvecs, query.fvecs and ids.txt there (with the settings as given)")
        Path out;

        @Mixin
        BenchOptions.Sets sets;

        @Override
        public Integer call() throws Exception {
            run(this);
            return 0;
        }
    }

    static void run(Options o) throws Exception {
        EmbeddingModel model = EmbeddingModel.fromName(o.model != null ? o.model : EmbeddingModel.DEFAULT.settingName());
        Path dir = Datasets.locate(o.dataset, null);
        Path out = o.out != null ? Files.createDirectories(o.out) : null;
        Settings settings = o.sets.settings();
        int sample = o.sample, request = o.request;
        if (sample < 1 || request < 1) throw new IllegalArgumentException("--sample and --request must be >= 1");
        List<Integer> sizes = new ArrayList<>(o.batchSizes);

        BeirBench.Beir data = BeirBench.Beir.load(dir, o.split);
        List<String> qids = data.evalQueries();
        List<String> corpus = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (String[] d : data.corpus()) {
            ids.add(d[0]);
            corpus.add(d[1].isBlank() ? d[0] : d[1]);
        }
        List<String> queries = new ArrayList<>();
        for (String q : qids) queries.add(data.queries().get(q));

        List<Map<String, Object>> sweep = new ArrayList<>();
        List<String> docs = corpus.subList(0, Math.min(sample, corpus.size()));
        List<String> shortTexts = queries.subList(0, Math.min(sample, queries.size()));
        float[][] lone = null;
        for (int size : sizes) {
            Settings s = settings.with(Params.EMBED_BATCH_SIZE, Math.max(size, settings.get(Params.EMBED_BATCH_SIZE)))
                    .with(Params.EMBED_TEXTS_PER_RUN, size);
            try (Embedder e = Embedder.open(model, s)) {
                e.embed(docs.subList(0, Math.min(docs.size(), Math.max(2 * size, 16)))); // warm-up
                long runs0 = e.runs(), tokens0 = e.tokensRun(), cells0 = e.cellsRun();
                long t0 = System.nanoTime();
                float[][] v = embedInRequests(e, docs, request);
                double secs = AnnBench.secs(t0);
                long tokens = e.tokensRun() - tokens0, cells = e.cellsRun() - cells0, runs = e.runs() - runs0;
                long q0 = System.nanoTime();
                embedInRequests(e, shortTexts, request);
                double qsecs = AnnBench.secs(q0);
                if (size == 1) lone = v;
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("bench", "embed");
                line.put("texts_per_run", size);
                line.put("documents", docs.size());
                line.put("docs_per_s", Json.round(docs.size() / secs, 1));
                line.put("tokens_per_s", Math.round(tokens / secs));
                line.put("tokens_per_doc", Json.round((double) tokens / docs.size(), 1));
                line.put("padding", Json.round(cells == 0 ? 0 : 1 - (double) tokens / cells, 3));
                line.put("calls", runs);
                line.put("queries", shortTexts.size());
                line.put("queries_per_s", Json.round(shortTexts.size() / qsecs, 1));
                if (lone != null && v != lone) {
                    double min = 1, sum = 0;
                    for (int i = 0; i < v.length; i++) {
                        double c = dot(v[i], lone[i]);
                        min = Math.min(min, c);
                        sum += c;
                    }
                    line.put("min_cos_to_single", Json.round(min, 4));
                    line.put("mean_cos_to_single", Json.round(sum / v.length, 5));
                }
                AnnBench.log("texts per call %d: %.1f docs/s, %.0f tokens/s, %.1f queries/s", size,
                        docs.size() / secs, tokens / secs, shortTexts.size() / qsecs);
                Json.line(line);
                sweep.add(line);
            }
        }

        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("bench", "embed");
        summary.put("dataset", data.name());
        summary.put("model", model.settingName());
        summary.put("threads", settings.get(Params.EMBED_THREADS));
        summary.put("intra_op_threads", settings.get(Params.EMBED_INTRA_OP_THREADS));
        summary.put("sample", docs.size());
        summary.put("request", request);
        Map<String, Object> bySize = new LinkedHashMap<>();
        for (Map<String, Object> l : sweep) {
            Map<String, Object> m = new LinkedHashMap<>(l);
            m.remove("bench");
            bySize.put(String.valueOf(m.remove("texts_per_run")), m);
        }
        summary.put("texts_per_run", bySize);
        if (out != null) {
            try (Embedder e = Embedder.open(model, settings)) {
                long t0 = System.nanoTime();
                float[][] base = new float[corpus.size()][];
                for (int from = 0; from < corpus.size(); from += 256) {
                    int to = Math.min(corpus.size(), from + 256);
                    float[][] part = e.embed(corpus.subList(from, to));
                    System.arraycopy(part, 0, base, from, part.length);
                    AnnBench.log("embedded %d/%d (%.1f docs/s)", to, corpus.size(), to / AnnBench.secs(t0));
                }
                double s = AnnBench.secs(t0);
                float[][] qv = e.embed(queries);
                VectorFiles.writeFvecs(out.resolve("base.fvecs"), base);
                VectorFiles.writeFvecs(out.resolve("query.fvecs"), qv);
                Files.write(out.resolve("ids.txt"), ids, StandardCharsets.UTF_8);
                summary.put("documents", base.length);
                summary.put("queries", qv.length);
                summary.put("dimensions", model.dimensions());
                summary.put("texts_per_run_used", settings.get(Params.EMBED_TEXTS_PER_RUN));
                summary.put("docs_per_s", Json.round(base.length / s, 1));
                summary.put("out", out.toString());
            }
        }
        summary.put("machine", Json.machine());
        Json.line(summary);
    }

    /** Embeds {@code texts} in requests of at most {@code request} texts, one after another, as a loader sends them. */
    private static float[][] embedInRequests(Embedder e, List<String> texts, int request) {
        float[][] out = new float[texts.size()][];
        for (int from = 0; from < texts.size(); from += request) {
            int to = Math.min(texts.size(), from + request);
            float[][] part = e.embed(texts.subList(from, to));
            System.arraycopy(part, 0, out, from, part.length);
        }
        return out;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
