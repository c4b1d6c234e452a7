package io.tamter.http.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * The {@code tamter} command (the launcher script runs this class for everything but
 * {@code test}, {@code build}, {@code bench} and {@code jmh}). Arguments are parsed by picocli: each
 * command's options are declared once, with their help text; {@code --help} (or {@code -h}) prints
 * them and exits 0; a wrong option or value is one line on stderr naming it, exit code 2; a
 * command's own check of a value (an {@link IllegalArgumentException}) is the same one line.
 */
public final class TamterMain {
    private TamterMain() {}

    public static void main(String[] args) {
        int code;
        try {
            code = run(args);
        } catch (Throwable t) {
            // whatever failed, exit: a half-started Ignite node's threads must not keep the JVM alive (issue 10)
            System.err.println("tamter: " + t);
            t.printStackTrace(System.err);
            code = 1;
        }
        System.exit(code);
    }

    /** Exit code of a usage error (an unknown option, a missing or bad value). */
    public static final int USAGE_ERROR = 2;

    /** Runs one command with System.out and System.err; returns the exit code. */
    static int run(String[] args) throws Exception {
        return run(args, System.out, System.err);
    }

    /**
     * Runs one command; returns the exit code. {@code out} gets the command's output and help, {@code err}
     * progress and errors. Failures other than usage errors are thrown.
     */
    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Tamter top = new Tamter(out, err);
        CommandLine cl = commandLine(top);
        int code = cl.execute(args);
        if (top.failure != null) throw top.failure;
        return code;
    }

    /** The command tree with Tamter's error handling, writing to the streams of {@code top}. */
    static CommandLine commandLine(Tamter top) {
        return withErrorHandling(new CommandLine(top), top.out, top.err, "tamter: unknown command ", false, e -> top.failure = e);
    }

    /**
     * Tamter's command-line error handling on {@code cl} (also the bench harness's): an unknown
     * subcommand is {@code unknownSubcommand} plus its name and the usage; an unknown option or a
     * missing or bad value is one line naming it; a command's own check of a value (an
     * {@link IllegalArgumentException}) is one line too; all of these exit with {@link #USAGE_ERROR}.
     * Any other failure goes to {@code failure} (the caller reports it: a stack trace, exit code 1).
     * With {@code helpWins}, {@code --help} anywhere among a subcommand's arguments prints its usage
     * whatever else is wrong there.
     */
    public static CommandLine withErrorHandling(CommandLine cl, PrintStream out, PrintStream err, String unknownSubcommand, boolean helpWins,
            Consumer<Exception> failure) {
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            if (helpWins && c.getCommandSpec().parent() != null && List.of(args).stream().anyMatch(a -> a.equals("--help") || a.equals("-h"))) {
                c.usage(c.getOut());
                return 0;
            }
            PrintWriter w = c.getErr();
            if (c.getCommandSpec().parent() == null && ex instanceof CommandLine.UnmatchedArgumentException u
                    && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
                // an unknown subcommand: say so, then list them
                w.println(unknownSubcommand + u.getUnmatched().get(0));
                c.usage(w);
            } else {
                w.println(c.getCommandSpec().qualifiedName() + ": " + oneLine(ex) + " (try --help)");
            }
            w.flush();
            return USAGE_ERROR;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof IllegalArgumentException) { // a command's check of a value: a usage error too
                c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
                c.getErr().flush();
                return USAGE_ERROR;
            }
            failure.accept(ex); // anything else is the caller's to report (a stack trace, exit code 1)
            return 1;
        });
        return cl;
    }

    /** picocli's message for a bad argument, in Tamter's words where they differ. */
    private static String oneLine(CommandLine.ParameterException ex) {
        // an unknown option first: picocli checks required options before it reports one, and
        // "--namespace is missing" would hide that --namspace was misspelt
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

    /** {@code -h}/{@code --help} of every command (the bench harness's too). */
    public static final class HelpOption {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help and exit")
        public boolean help;
    }

    @Command(name = "tamter", synopsisHeading = "", customSynopsis = "usage: ./tamter <command> [--help]%n",
            commandListHeading = "%ncommands (./tamter <command> --help for each one's options):%n",
            subcommands = {ServeCommand.Serve.class, ServeCommand.Node.class, LoadCommand.Load.class, Check.class, FrontendCommand.Frontend.class,
                Completion.class, Help.class},
            footerHeading = "%nrun by the launcher itself:%n",
            footer = {"  test [maven args]       run the test suite (mvn verify)",
                "  build                   compile and package every module (skipping tests)",
                "  bench <kind> ...        benchmark harness (benchmarks/README.md; bench --help)",
                "  jmh [jmh args]          JMH micro-benchmarks (jmh -h)"})
    static final class Tamter implements Callable<Integer> {
        final PrintStream out;
        final PrintStream err;
        Exception failure;

        @Mixin
        HelpOption help;

        @Spec
        CommandSpec spec;

        Tamter(PrintStream out, PrintStream err) {
            this.out = out;
            this.err = err;
        }

        /** No command: the usage, exit code 0. */
        @Override
        public Integer call() {
            spec.commandLine().usage(spec.commandLine().getOut());
            return 0;
        }
    }

    @Command(name = "check", synopsisHeading = "usage: ", separator = " ", sortOptions = false,
            description = {"Integrity check of a vector index: DIR is a shard's data directory (RocksDB) or a standalone index. "
                    + "Reads one snapshot; checks every head's and posting's codec, that every posting has a head and every head "
                    + "a posting, and that every live vector is in at least one posting with a head. Prints one JSON line."},
            descriptionHeading = "%n", optionListHeading = "%noptions:%n",
            footerHeading = "%n", footer = "exit code: 0 sound, 1 problems found, 2 bad usage or not an index directory")
    static final class Check implements Callable<Integer> {
        @Mixin
        HelpOption help;

        @Option(names = "--index", paramLabel = "DIR", required = true, description = "the index directory")
        Path index;

        @ParentCommand
        Tamter top;

        @Override
        public Integer call() {
            return io.tamter.node.cli.CheckCommand.check(index, top.out, top.err);
        }
    }

    /** The commands the launcher runs itself ({@code tamter} script), not this class: name and one line about them. */
    static final String[][] LAUNCHER_COMMANDS = {{"test", "run the test suite (mvn verify)"}, {"build", "compile and package every module"},
        {"bench", "benchmark harness (benchmarks/README.md)"}, {"jmh", "JMH micro-benchmarks"}};

    @Command(name = "completion", synopsisHeading = "usage: ", sortOptions = false, descriptionHeading = "%n",
            description = {"Prints a completion script for bash (and zsh, through its bashcompinit) that completes every tamter "
                    + "command and each one's options. Enable it in the current shell with:",
                "  source <(./tamter completion)",
                "or, for every new bash, write it where bash-completion finds it:",
                "  ./tamter completion > ~/.local/share/bash-completion/completions/tamter"},
            optionListHeading = "%noptions:%n")
    static final class Completion implements Callable<Integer> {
        @Mixin
        HelpOption help;

        @ParentCommand
        Tamter top;

        @Override
        public Integer call() {
            top.out.print(completionScript());
            top.out.flush();
            return 0;
        }
    }

    /**
     * The bash/zsh completion script (picocli's {@link picocli.AutoComplete}) of the command tree,
     * plus the launcher's own commands ({@link #LAUNCHER_COMMANDS}, with their {@code --help}), so
     * that {@code ./tamter <TAB>} offers all of them. It completes {@code tamter} typed as
     * {@code ./tamter} or by any path too (bash looks a command's completion up by its last path
     * element when its full path has none).
     */
    static String completionScript() {
        CommandLine cl = new CommandLine(new Tamter(System.out, System.err));
        for (String[] c : LAUNCHER_COMMANDS) {
            CommandSpec spec = CommandSpec.create().name(c[0]);
            spec.usageMessage().description(c[1]);
            spec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true).description("print this help and exit").build());
            cl.addSubcommand(c[0], new CommandLine(spec));
        }
        return picocli.AutoComplete.bash("tamter", cl);
    }

    @Command(name = "help", synopsisHeading = "usage: ", sortOptions = false, descriptionHeading = "%n",
            description = "The commands, or one command's options (the same as ./tamter <command> --help).",
            optionListHeading = "%noptions:%n")
    static final class Help implements Callable<Integer> {
        @Mixin
        HelpOption help;

        @Parameters(paramLabel = "COMMAND", arity = "0..1", description = "the command to describe")
        String command;

        @ParentCommand
        Tamter top;

        @Override
        public Integer call() {
            CommandLine root = top.spec.commandLine();
            if (command == null) {
                root.usage(root.getOut());
                return 0;
            }
            CommandLine c = root.getSubcommands().get(command);
            if (c == null) throw new IllegalArgumentException("unknown command " + command);
            c.usage(root.getOut());
            return 0;
        }
    }
}
