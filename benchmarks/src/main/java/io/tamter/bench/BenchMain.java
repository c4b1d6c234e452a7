package io.tamter.bench;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
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
 * a stack trace, exit code 1. The error handling follows http-frontend's {@code TamterMain} (whose
 * handlers this module cannot reach: they are that package's own).
 */
public final class BenchMain {
    private BenchMain() {}

    /** Exit code of a usage error. */
    static final int USAGE_ERROR = 2;

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

    /** The command tree with the harness's error handling. */
    static CommandLine commandLine(Bench top, PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(top);
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            if (c.getCommandSpec().parent() != null && List.of(args).stream().anyMatch(a -> a.equals("--help") || a.equals("-h"))) {
                // --help anywhere among a kind's arguments asks for its usage, whatever else is wrong there
                c.usage(c.getOut());
                return 0;
            }
            PrintWriter w = c.getErr();
            if (c.getCommandSpec().parent() == null && ex instanceof CommandLine.UnmatchedArgumentException u
                    && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
                w.println("tamter bench: unknown kind " + u.getUnmatched().get(0));
                c.usage(w);
            } else {
                w.println(c.getCommandSpec().qualifiedName() + ": " + oneLine(ex) + " (try --help)");
            }
            w.flush();
            return USAGE_ERROR;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof IllegalArgumentException) { // a bench's own check of a value
                c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
                c.getErr().flush();
                return USAGE_ERROR;
            }
            top.failure = ex;
            return 1;
        });
        return cl;
    }

    /** picocli's message for a bad argument, cut to its first line; an unknown option named first. */
    private static String oneLine(CommandLine.ParameterException ex) {
        // picocli checks required options before it reports an unknown one: "--dataset is missing"
        // would hide that --datset was misspelt
        List<String> unmatched = ex instanceof CommandLine.UnmatchedArgumentException u ? u.getUnmatched()
                : ex.getCommandLine().getUnmatchedArguments();
        if (!unmatched.isEmpty()) {
            String a = unmatched.get(0);
            return (a.startsWith("-") ? "unknown option " : "unexpected argument ") + a;
        }
        String m = ex.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
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
        BenchOptions.Help help;

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
