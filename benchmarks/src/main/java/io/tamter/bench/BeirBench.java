package io.tamter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.bench.data.Datasets;
import io.tamter.config.Settings;
import io.tamter.node.embed.EmbeddingModel;
import io.tamter.node.namespace.SearchRequest;
import io.tamter.node.namespace.SearchResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tamter bench beir}: retrieval quality on a BEIR dataset (BENCHMARKS.md). The corpus goes
 * through the namespace engine's write path (rows {@code {"id":_id, "text":title + " " + text}},
 * the id kept a string, embedded by the namespace's model when a dense or hybrid mode is asked
 * for), then every query of the split's qrels is searched: {@code bm25} → mode bm25, {@code dense}
 * → the query text embedded and searched by vector, {@code hybrid} → the engine's RRF fusion. Each
 * search asks for {@code max(100, k)} results; nDCG@k and recall@100 are computed as pytrec_eval
 * does ({@link IrMetrics}), the matches ordered as trec_eval orders them (by score, ties by id). {@code --modes a,b} runs several modes on one load.
 */
final class BeirBench {
    private BeirBench() {}

    static final List<String> MODES = List.of("bm25", "dense", "hybrid");
    private static final ObjectMapper M = new ObjectMapper();

    /** A BEIR dataset folder: corpus (id → text), queries (id → text), and the qrels of one split. */
    record Beir(String name, List<String[]> corpus, Map<String, String> queries, Map<String, Map<String, Integer>> qrels) {
        static Beir load(Path dir, String split) throws IOException {
            List<String[]> corpus = new ArrayList<>();
            try (BufferedReader r = Files.newBufferedReader(dir.resolve("corpus.jsonl"), StandardCharsets.UTF_8)) {
                for (String l; (l = r.readLine()) != null; ) {
                    if (l.isBlank()) continue;
                    JsonNode o = M.readTree(l);
                    String title = o.path("title").asText("");
                    String text = o.path("text").asText("");
                    corpus.add(new String[] {o.get("_id").asText(), title.isEmpty() ? text : title + " " + text});
                }
            }
            Map<String, String> queries = new LinkedHashMap<>();
            try (BufferedReader r = Files.newBufferedReader(dir.resolve("queries.jsonl"), StandardCharsets.UTF_8)) {
                for (String l; (l = r.readLine()) != null; ) {
                    if (l.isBlank()) continue;
                    JsonNode o = M.readTree(l);
                    queries.put(o.get("_id").asText(), o.path("text").asText(""));
                }
            }
            Map<String, Map<String, Integer>> qrels = new TreeMap<>();
            Path qf = dir.resolve("qrels").resolve(split + ".tsv");
            List<String> lines = Files.readAllLines(qf, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i).strip();
                if (l.isEmpty()) continue;
                String[] f = l.split("\t");
                if (i == 0 && f.length >= 3 && !f[2].strip().matches("-?\\d+")) continue; // header
                if (f.length < 3) throw new IllegalArgumentException(qf + ":" + (i + 1) + ": want query-id, corpus-id, score");
                qrels.computeIfAbsent(f[0].strip(), q -> new LinkedHashMap<>()).put(f[1].strip(), Integer.parseInt(f[2].strip()));
            }
            return new Beir(dir.getFileName().toString(), corpus, queries, qrels);
        }

        /** The query ids to evaluate: in the qrels with a positive judgment and with a text. */
        List<String> evalQueries() {
            List<String> out = new ArrayList<>();
            for (Map.Entry<String, Map<String, Integer>> e : qrels.entrySet())
                if (queries.containsKey(e.getKey()) && e.getValue().values().stream().anyMatch(g -> g > 0)) out.add(e.getKey());
            return out;
        }
    }

    @Command(name = "beir", synopsisHeading = "usage: ", separator = " ", sortOptions = false, descriptionHeading = "%n",
            optionListHeading = "%noptions:%n", sortSynopsis = false,
            description = {
                "Text retrieval quality (nDCG@k, recall@100) on a BEIR dataset: bm25, dense, hybrid.",
                "",
                "The corpus is loaded through the namespace engine "
                    + "(or over HTTP with --via http), each judged query is searched in each mode and scored with nDCG@k and recall@100. "
                    + "One JSON line per mode, then a summary line."})
    static final class Options implements Callable<Integer> {
        @Mixin
        io.tamter.http.cli.TamterMain.HelpOption help;

        @Option(names = "--dataset", paramLabel = "DIR", required = true, description = "a BEIR directory (corpus.jsonl, queries.jsonl, "
                + "qrels/), e.g. ../shared/data/scifact, or its name under ../shared/data")
        String dataset;

        @Option(names = "--mode", paramLabel = "bm25|dense|hybrid", split = ",", hideParamSyntax = true, description = "the mode to run (default bm25)")
        List<String> mode;

        @Option(names = "--modes", paramLabel = "A,B", split = ",", hideParamSyntax = true, description = "several modes, e.g. bm25,dense,hybrid (not with --mode)")
        List<String> modes;

        @Option(names = "--model", paramLabel = "NAME", description = "embedding model for dense and hybrid, e.g. all-minilm-l6-v2 or "
                + "bge-small-en-v1.5 (default: the server's default; --via engine only)")
        String model;

        @Option(names = "--k", paramLabel = "N", description = "results per query, in 1..100 (default ${DEFAULT-VALUE})")
        int k = 10;

        @Option(names = "--split", paramLabel = "NAME", description = "qrels split (default ${DEFAULT-VALUE})")
        String split = "test";

        @Option(names = "--queries", paramLabel = "N", description = "use the first N judged queries (default: all)")
        Integer queries;

        @Option(names = "--batch", paramLabel = "N", description = "documents per write while loading (default ${DEFAULT-VALUE})")
        int batch = 256;

        @Option(names = "--via", paramLabel = "engine|http", description = "load and search through the namespace engine in this JVM, "
                + "or over REST (default ${DEFAULT-VALUE})")
        String via = "engine";

        @Option(names = "--url", paramLabel = "URL", description = "with --via http: the server, e.g. http://127.0.0.1:PORT (default: "
                + "a server of its own on a free port)")
        String url;

        @Mixin
        BenchOptions.Sets sets;

        @Mixin
        BenchOptions.Work work;

        @Override
        public Integer call() throws Exception {
            run(this);
            return 0;
        }
    }

    static void run(Options o) throws Exception {
        String via = o.via;
        if (!via.equals("engine") && !via.equals("http")) throw new IllegalArgumentException("--via must be engine or http; got " + via);
        if (o.mode != null && o.modes != null) throw new IllegalArgumentException("give --mode or --modes, not both");
        List<String> modes = o.modes != null ? o.modes : o.mode != null ? o.mode : List.of("bm25");
        for (String m : modes) if (!MODES.contains(m)) throw new IllegalArgumentException("unknown mode '" + m + "'; known: " + String.join(", ", MODES));
        int k = o.k;
        if (k < 1 || k > 100) throw new IllegalArgumentException("--k must be in 1..100; --k " + k);
        int top = Math.max(100, k);
        int batch = o.batch;
        boolean embed = modes.contains("dense") || modes.contains("hybrid");
        EmbeddingModel model = embed ? EmbeddingModel.fromName(o.model != null ? o.model : EmbeddingModel.DEFAULT.settingName()) : null;
        if (via.equals("http") && o.model != null && model != EmbeddingModel.DEFAULT)
            throw new IllegalArgumentException("--via http: namespaces created over HTTP use the default model; --model is for --via engine");
        // over HTTP a namespace is created by its first write, with the default settings: it embeds
        // every document even for bm25 alone
        if (via.equals("http")) model = EmbeddingModel.DEFAULT;
        Settings settings = o.sets.settings();
        Path work = o.work.dir;

        Path dir = Datasets.locate(o.dataset, null);
        Beir data = Beir.load(dir, o.split);
        List<String> qids = data.evalQueries();
        int nq = o.queries != null ? o.queries : qids.size();
        if (nq < qids.size()) qids = qids.subList(0, nq);
        AnnBench.log("beir %s: %d documents, %d queries with judgments; modes %s%s", data.name(), data.corpus().size(), qids.size(), modes,
                model == null ? "" : ", model " + model.settingName());

        ObjectNode options = M.createObjectNode().put("num_shards", 1);
        if (model == null) options.putNull("embedding_model");
        else options.put("embedding_model", model.settingName());
        try (BeirTarget e = via.equals("http") ? BeirTarget.http(o.url, work, settings)
                : BeirTarget.engine(new EngineNamespace(work, "tamter-beir", settings, options))) {
            long t0 = System.nanoTime();
            ArrayNode rows = M.createArrayNode();
            int done = 0;
            for (String[] doc : data.corpus()) {
                rows.addObject().put("id", doc[0]).put("text", doc[1]);
                if (rows.size() == batch) {
                    e.upsert(rows);
                    done += rows.size();
                    rows = M.createArrayNode();
                    if (done % (batch * 4) == 0) AnnBench.log("loaded %d/%d (%.0f docs/s)", done, data.corpus().size(), done / AnnBench.secs(t0));
                }
            }
            if (!rows.isEmpty()) e.upsert(rows);
            double writeS = AnnBench.secs(t0);
            e.settle();
            double loadS = AnnBench.secs(t0);
            AnnBench.log("loaded %d documents in %.1f s (%.1f s writing) via %s", data.corpus().size(), loadS, writeS, via);

            Map<String, Object> perMode = new LinkedHashMap<>();
            for (String mode : modes) {
                SearchRequest.Mode m = switch (mode) {
                    case "bm25" -> SearchRequest.Mode.BM25;
                    case "dense" -> SearchRequest.Mode.VECTOR;
                    default -> SearchRequest.Mode.HYBRID;
                };
                // warm up (JIT, caches) on a few queries, then time one pass over all of them
                for (int i = 0; i < Math.min(20, qids.size()); i++) search(e, data.queries().get(qids.get(i)), m, top);
                double ndcg = 0, recall = 0;
                int scored = 0;
                double searchS = 0;
                for (String qid : qids) {
                    long q0 = System.nanoTime();
                    List<String> ranking = search(e, data.queries().get(qid), m, top);
                    searchS += AnnBench.secs(q0);
                    Map<String, Integer> judged = data.qrels().get(qid);
                    ndcg += IrMetrics.ndcg(ranking, judged, k);
                    recall += IrMetrics.recall(ranking, judged, 100);
                    scored++;
                }
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("bench", "beir");
                line.put("dataset", data.name());
                line.put("mode", mode);
                line.put("via", via);
                line.put("ndcg_at_" + k, Json.round(ndcg / scored, 4));
                line.put("recall_at_100", Json.round(recall / scored, 4));
                line.put("qps", Json.round(scored / searchS, 1));
                line.put("queries", scored);
                line.put("top_k", top);
                if (!mode.equals("bm25")) line.put("model", model.settingName());
                Json.line(line);
                perMode.put(mode, line.get("ndcg_at_" + k));
            }
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("bench", "beir");
            s.put("summary", true);
            s.put("dataset", data.name());
            s.put("via", via);
            s.put("documents", data.corpus().size());
            s.put("queries", qids.size());
            s.put("model", model == null ? null : model.settingName());
            s.put("load_s", Json.round(loadS, 2));
            s.put("load_docs_per_s", Json.round(data.corpus().size() / loadS, 1));
            s.put("ndcg_at_" + k, perMode);
            s.put("settings", settings.overrides());
            s.put("machine", Json.machine());
            Json.line(s);
        }
    }

    private static List<String> search(BeirTarget e, String text, SearchRequest.Mode mode, int top) throws IOException {
        List<String> ids = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        e.search(text, mode, top, ids, scores);
        return IrMetrics.trecOrder(ids, scores);
    }
}
