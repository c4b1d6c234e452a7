package io.tamter.bench;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import io.tamter.http.cli.TamterMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code tamter bench <kind> …}: the benchmark harness (benchmarks/README.md). Arguments are parsed
 * by picocli, one {@code @Command} per kind ({@code AnnBench.Options} and its peers) with typed
 * options: {@code --help} (or {@code -h}) prints a kind's usage on stdout and exits 0; an unknown
 * option, a missing or bad value, or a bench's own check of a value (an
 * {@link IllegalArgumentException}) is one line on stderr naming it, exit code 2; any other failure
 * a stack trace, exit code 1: the error handling of the {@code tamter} commands
 * ({@link TamterMain#withErrorHandling}).
 */
public final class BenchMain {
    private BenchMain() {}

    /** Exit code of a usage error. */
    static final int USAGE_ERROR = TamterMain.USAGE_ERROR;

    public static void main(String[] args) {
        int code;
        try {
            code = run(args, System.out, System.err);
        } catch (Throwable t) {
            System.err.println("tamter bench: " + t);
            t.printStackTrace(System.err);
            code = 1;
        }
        // exit even while a failed run's threads (engines, HTTP clients, servers) are still alive
        System.exit(code);
    }

    /**
     * Runs one bench; returns the exit code. {@code out} gets help, {@code err} usage errors; a
     * bench's results go to System.out and its progress to System.err. Failures other than usage
     * errors are thrown.
     */
    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Bench top = new Bench();
        int code = commandLine(top, out, err).execute(args);
        if (top.failure != null) throw top.failure;
        return code;
    }

    /** The command tree with the error handling of the {@code tamter} commands ({@link TamterMain#withErrorHandling}). */
    static CommandLine commandLine(Bench top, PrintStream out, PrintStream err) {
        // --help anywhere among a kind's arguments asks for its usage, whatever else is wrong there (as before picocli)
        return TamterMain.withErrorHandling(new CommandLine(top), out, err, "tamter bench: unknown kind ", true, e -> top.failure = e);
    }

    @Command(name = "tamter bench", synopsisHeading = "", customSynopsis = "usage: ./tamter bench <kind> [options]%n",
            commandListHeading = "%nkinds (./tamter bench <kind> --help for each one's options):%n",
            subcommands = {AnnBench.Options.class, StreamBench.Options.class, FilterBench.Options.class, BeirBench.Options.class,
                EmbedBench.Options.class, ColdBench.Options.class, HttpBench.Options.class, GridBench.Options.class,
                CommandLine.HelpCommand.class},
            footerHeading = "%n", footer = "results: one JSON object per line on stdout, the last a summary; progress on stderr")
    static final class Bench implements Callable<Integer> {
        Exception failure;

        @Mixin
        TamterMain.HelpOption help;

        @Spec
        CommandSpec spec;

        /** No kind: the usage, exit code 0. */
        @Override
        public Integer call() {
            spec.commandLine().usage(spec.commandLine().getOut());
            return 0;
        }
    }
}
