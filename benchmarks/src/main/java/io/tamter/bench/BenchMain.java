package io.tamter.bench;

/** {@code tamter bench <kind> …}: the benchmark harness (benchmarks/README.md). */
public final class BenchMain {
    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) usage(0);
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        try {
            switch (args[0]) {
                case "ann" -> AnnBench.run(rest);
                case "stream" -> StreamBench.run(rest);
                case "filter" -> FilterBench.run(rest);
                case "beir" -> BeirBench.run(rest);
                case "http" -> HttpBench.run(rest);
                case "embed" -> EmbedBench.run(rest);
                case "grid" -> GridBench.run(rest);
                case "cold" -> ColdBench.run(rest);
                case "help", "-h", "--help" -> usage(0);
                default -> {
                    System.err.println("tamter bench: unknown kind '" + args[0] + "'");
                    usage(2);
                }
            }
        } catch (Args.HelpRequested e) {
            usage(0);
        } catch (IllegalArgumentException e) {
            System.err.println("tamter bench " + args[0] + ": " + e.getMessage());
            System.exit(2);
        }
        System.exit(0);
    }

    /** The usage: asked for (exit code 0) on stdout, after a usage error (2) on stderr. */
    private static void usage(int code) {
        (code == 0 ? System.out : System.err).println("""
                usage: ./tamter bench <kind> ...
                  ann    --dataset DIR|name|synthetic:n=..,dim=..,clusters=..,seed=.. [--k 10] [--engines spfresh,exact,lucene-hnsw,jvector]
                         [--metric l2|cosine|dot] [--sweep] [--threads 1] [--queries N] [--set key=value ...]
                  stream --runbook FILE [--dataset DIR|SPEC] [--engines spfresh,lucene-hnsw] [--k 10] [--queries N] [--set key=value ...]
                  filter --dataset DIR|name|synthetic:... [--selectivity 0.5,0.1,0.01,0.001] [--k 10] [--metric l2|cosine|dot]
                         [--queries N] [--set key=value ...]
                  beir   --dataset DIR (e.g. ../shared/data/scifact) --mode bm25|dense|hybrid | --modes bm25,dense,hybrid
                         [--model all-minilm-l6-v2|bge-small-en-v1.5] [--k 10] [--split test] [--queries N] [--set key=value ...]
                         [--via engine|http] [--url http://127.0.0.1:PORT] (http without --url: a server of its own on a free port)
                  embed  --dataset DIR (BEIR) [--batch-sizes 1,8,32] [--sample 1000] [--request 500] [--model NAME]
                         [--out DIR2] [--set key=value ...]: docs/s and tokens/s per texts per call; with --out the
                         corpus and queries as base/query.fvecs for bench ann
                  cold   [--dataset DIR|name|synthetic:... (default synthetic:n=100000,dim=128,clusters=200,seed=7,queries=1000)]
                         [--targets local,gcs:20,gcs:50] [--rounds 20] [--warm 20] [--shards 1] [--k 10] [--set key=value ...]:
                         the first query after evicting every shard (reload from the object store) and warm queries
                  http   --namespace NS [--url http://127.0.0.1:8080] [--mix search=0.7,upsert=0.3] [--concurrency 32]
                         [--duration 60s] [--warmup 5s] [--dataset DIR (query.fvecs)] [--k 10]
                  grid   [--nodes 1,2,3] [--dataset DIR|name|synthetic:...] [--shards 6] [--ops search,upsert] [--concurrency 16]
                         [--duration 30s] [--warmup 5s] [--k 10] [--heap 1g] [--set key=value ...]: REST throughput of a grid
                         of that many tamter serve JVMs on this machine (a fresh file:// store each), CPU cores per node
                --help after a kind (bench ann --help) prints this too.
                results: one JSON object per line on stdout, the last a summary; progress on stderr""");
        System.exit(code);
    }
}
