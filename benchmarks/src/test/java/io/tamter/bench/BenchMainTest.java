package io.tamter.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tamter.node.vector.VectorMetric;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code tamter bench}'s command line: {@code --help} of the harness and of every kind prints a
 * usage listing every option on stdout, exit code 0; a wrong option or value is one line on stderr
 * naming it, exit code 2; the options keep the names and defaults the scripts and README use.
 * Nothing here runs a benchmark.
 */
class BenchMainTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = BenchMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The kinds, from the command tree itself: a new kind is covered without editing this test. */
    static Map<String, CommandLine> kinds() {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        return BenchMain.commandLine(new BenchMain.Bench(), sink, sink).getSubcommands();
    }

    @Test
    void harnessHelpListsEveryKind() throws Exception {
        for (String[] args : new String[][] {{}, {"--help"}, {"-h"}, {"help"}}) {
            Run r = run(args);
            assertThat(r.code()).as(String.join(" ", args)).isZero();
            assertThat(r.out()).as(String.join(" ", args)).startsWith("usage: ./tamter bench <kind>")
                    .contains("ann", "stream", "filter", "beir", "embed", "cold", "http", "grid");
            assertThat(r.err()).isEmpty();
        }
    }

    @Test
    void everyKindsHelpListsItsOptions() throws Exception {
        assertThat(kinds().keySet()).contains("ann", "stream", "filter", "beir", "embed", "cold", "http", "grid", "help");
        for (Map.Entry<String, CommandLine> c : kinds().entrySet()) {
            if (c.getKey().equals("help")) continue;
            for (String[] args : new String[][] {{c.getKey(), "--help"}, {c.getKey(), "-h"}, {"help", c.getKey()}}) {
                Run r = run(args);
                String what = String.join(" ", args);
                assertThat(r.code()).as(what + ": " + r.err()).isZero();
                assertThat(r.out()).as(what).startsWith("usage: tamter bench " + c.getKey());
                assertThat(r.err()).as(what).isEmpty();
                for (OptionSpec o : c.getValue().getCommandSpec().options())
                    assertThat(r.out()).as(what).contains(o.longestName());
            }
        }
        // --help anywhere among a kind's arguments, even after a bad value, asks for the usage
        Run r = run("ann", "--k", "x", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("usage: tamter bench ann");
    }

    @Test
    void wrongKindsOptionsAndValuesAreOneLineWithExitCode2() throws Exception {
        Run unknown = run("frobnicate");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).startsWith("tamter bench: unknown kind frobnicate").contains("usage:");
        assertThat(unknown.out()).isEmpty();

        for (String kind : kinds().keySet()) {
            if (kind.equals("help")) continue;
            Run r = run(kind, "--bogus", "1");
            assertThat(r.code()).as(kind).isEqualTo(2);
            assertThat(r.err()).as(kind).isEqualTo("tamter bench " + kind + ": unknown option --bogus (try --help)" + System.lineSeparator());
            assertThat(r.out()).as(kind).isEmpty();
        }
        Map<List<String>, String> bad = Map.of(
                List.of("ann", "--dataset", "d", "--k", "x"), "--k",
                List.of("ann", "--dataset", "d", "--engines", "spfresh,faiss"), "faiss",
                List.of("ann", "--dataset", "d", "--metric", "hamming"), "--metric",
                List.of("ann"), "--dataset",
                List.of("http", "--namespace", "n", "--duration", "soon"), "--duration",
                List.of("filter", "--dataset", "d", "--selectivity", "half"), "--selectivity",
                List.of("grid", "--nodes", "1,x"), "--nodes",
                List.of("stream", "--runbook"), "--runbook");
        for (Map.Entry<List<String>, String> b : bad.entrySet()) {
            Run r = run(b.getKey().toArray(String[]::new));
            String what = String.join(" ", b.getKey());
            assertThat(r.code()).as(what).isEqualTo(2);
            assertThat(r.err()).as(what).startsWith("tamter bench " + b.getKey().get(0) + ": ").contains(b.getValue()).endsWith("\n");
            assertThat(r.err().strip().lines().count()).as(what + ": " + r.err()).isEqualTo(1);
        }
        // a bench's own check of a value, before any work: one line, exit code 2 (cold checks its targets first)
        Run cold = run("cold", "--targets", "s3");
        assertThat(cold.code()).isEqualTo(2);
        assertThat(cold.err()).startsWith("tamter bench cold: ").contains("s3");
        assertThat(cold.err().strip().lines().count()).isEqualTo(1);
    }

    @Test
    void optionsKeepTheirNamesAndDefaults() {
        AnnBench.Options ann = HarnessTest.options(new AnnBench.Options(), "--dataset", "sift10k");
        assertThat(ann.k).isEqualTo(10);
        assertThat(ann.threads).isEqualTo(1);
        assertThat(ann.engines).containsExactly("spfresh", "exact", "lucene-hnsw", "jvector");
        assertThat(ann.metric.metric).isEqualTo(VectorMetric.EUCLIDEAN_SQUARED);
        assertThat(ann.sweep).isFalse();
        assertThat(ann.queries).isNull();
        assertThat(ann.work.dir).isEqualTo(Path.of(System.getProperty("java.io.tmpdir")));
        ann = HarnessTest.options(new AnnBench.Options(), "--dataset", "d", "--engines", "exact,jvector", "--sweep", "--threads", "4",
                "--metric", "cosine", "--queries", "7", "--set", "a=1", "--set", "b=2", "--work", "/w");
        assertThat(ann.engines).containsExactly("exact", "jvector");
        assertThat(ann.sweep).isTrue();
        assertThat(ann.threads).isEqualTo(4);
        assertThat(ann.metric.metric).isEqualTo(VectorMetric.COSINE_DISTANCE);
        assertThat(ann.queries).isEqualTo(7);
        assertThat(ann.sets.sets).containsExactly("a=1", "b=2");
        assertThat(ann.work.dir).isEqualTo(Path.of("/w"));

        StreamBench.Options stream = HarnessTest.options(new StreamBench.Options(), "--runbook", "r.yaml", "--step-stats");
        assertThat(stream.engines).containsExactly("spfresh", "lucene-hnsw");
        assertThat(stream.stepStats).isTrue();
        assertThat(stream.dataset).isNull();

        FilterBench.Options filter = HarnessTest.options(new FilterBench.Options(), "--dataset", "d");
        assertThat(filter.selectivity).containsExactly(0.5, 0.1, 0.01, 0.001);
        assertThat(filter.batch).isEqualTo(256);

        BeirBench.Options beir = HarnessTest.options(new BeirBench.Options(), "--dataset", "scifact", "--modes", "bm25,dense");
        assertThat(beir.modes).containsExactly("bm25", "dense");
        assertThat(beir.via).isEqualTo("engine");
        assertThat(beir.split).isEqualTo("test");
        assertThat(beir.url).isNull();

        EmbedBench.Options embed = HarnessTest.options(new EmbedBench.Options(), "--dataset", "scifact");
        assertThat(embed.batchSizes).containsExactly(1, 8, 32);
        assertThat(embed.sample).isEqualTo(1000);
        assertThat(embed.request).isEqualTo(500);
        assertThat(embed.out).isNull();

        ColdBench.Options cold = HarnessTest.options(new ColdBench.Options());
        assertThat(cold.dataset).isEqualTo("synthetic:n=100000,dim=128,clusters=200,seed=7,queries=1000");
        assertThat(cold.targets).containsExactly("local", "gcs:20", "gcs:50");
        assertThat(List.of(cold.rounds, cold.warm, cold.shards, cold.k)).containsExactly(20, 20, 1, 10);

        HttpBench.Options http = HarnessTest.options(new HttpBench.Options(), "--namespace", "n", "--warmup", "500ms");
        assertThat(http.url).isEqualTo("http://127.0.0.1:8080");
        assertThat(http.mix).isEqualTo("search=1.0");
        assertThat(http.concurrency).isEqualTo(32);
        assertThat(http.duration).isEqualTo(60.0);
        assertThat(http.warmup).isEqualTo(0.5);

        GridBench.Options grid = HarnessTest.options(new GridBench.Options(), "--duration", "2m");
        assertThat(grid.nodes).containsExactly(1, 2, 3);
        assertThat(grid.ops).containsExactly("search", "upsert");
        assertThat(grid.duration).isEqualTo(120.0);
        assertThat(grid.warmup).isEqualTo(5.0);
        assertThat(List.of(grid.shards, grid.concurrency, grid.k)).containsExactly(6, 16, 10);
        assertThat(grid.heap).isEqualTo("1g");
        assertThat(grid.dataset).isEqualTo("synthetic:n=20000,dim=64,clusters=64,seed=7,queries=1000");

        assertThatThrownBy(() -> HarnessTest.options(new HttpBench.Options(), "--namespace", "n", "--set", "a=1"))
                .isInstanceOf(CommandLine.UnmatchedArgumentException.class);
    }
}
