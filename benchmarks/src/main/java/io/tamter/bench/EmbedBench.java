package io.tamter.bench;

import io.tamter.bench.data.Datasets;
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
import java.util.Set;

/**
 * {@code tamter bench embed --dataset DIR --out DIR2}: embeds a BEIR dataset with Tamter's model
 * and writes it as an ANN dataset ({@code base.fvecs} = the corpus, {@code query.fvecs} = the
 * judged queries, {@code ids.txt} = corpus ids in row order), so {@code bench ann --dataset DIR2
 * --metric cosine} measures the vector index on real text embeddings without embedding again.
 * Prints one JSON line with the embedding rate.
 */
final class EmbedBench {
    private EmbedBench() {}

    static void run(String[] argv) throws Exception {
        Args a = new Args(argv, Set.of());
        a.checkKnown(Set.of("dataset", "out", "model", "split"));
        EmbeddingModel model = EmbeddingModel.fromName(a.get("model", EmbeddingModel.DEFAULT.settingName()));
        Path dir = Datasets.locate(a.require("dataset"), null);
        Path out = Files.createDirectories(Path.of(a.require("out")));
        BeirBench.Beir data = BeirBench.Beir.load(dir, a.get("split", "test"));
        List<String> qids = data.evalQueries();
        List<String> corpus = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (String[] d : data.corpus()) {
            ids.add(d[0]);
            corpus.add(d[1].isBlank() ? d[0] : d[1]);
        }
        List<String> queries = new ArrayList<>();
        for (String q : qids) queries.add(data.queries().get(q));
        try (Embedder e = Embedder.open(model, Settings.fromEnvironment())) {
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
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("bench", "embed");
            line.put("dataset", data.name());
            line.put("model", model.settingName());
            line.put("documents", base.length);
            line.put("queries", qv.length);
            line.put("dimensions", model.dimensions());
            line.put("docs_per_s", Json.round(base.length / s, 1));
            line.put("out", out.toString());
            line.put("machine", Json.machine());
            Json.line(line);
        }
    }
}
