package io.tamter.http.cli;

import java.util.Arrays;

/**
 * The {@code tamter} command (the launcher script runs this class for everything but
 * {@code test}, {@code build}, {@code bench} and {@code jmh}).
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

    static final String USAGE = """
            usage: ./tamter <command> [--help]
              test                       run the test suite
              serve [--port N] [--data DIR]  start the server (REST on 127.0.0.1:8080, data in ./tamter-data)
                    [--object-store gs://bucket/prefix | file:///dir]  where the source of truth lives
                    [--grid-port N] [--join HOST:PORT,...]  form a grid with other nodes (README: Grid)
              node [serve's options]     a grid node without REST (takes grid jobs and thin clients)
              load --namespace NS FILE   bulk-load .fvecs or .jsonl (BEIR too) over HTTP (load --help)
              check --index DIR          integrity check of a vector index directory
              bench <ann|stream> ...     benchmark harness (benchmarks/README.md)
              jmh [regexp]               JMH micro-benchmarks""";

    /** Runs one command; returns the exit code. {@code help}, {@code -h}, {@code --help}: the usage on stdout, 0. */
    static int run(String[] args) throws Exception {
        String cmd = args.length == 0 ? "help" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        switch (cmd) {
            case "check" -> { return io.tamter.node.cli.CheckCommand.run(rest); }
            case "serve" -> { return usageErrors("serve", () -> ServeCommand.run(rest)); }
            case "load" -> { return usageErrors("load", () -> LoadCommand.run(rest)); }
            case "node" -> { return usageErrors("node", () -> ServeCommand.run(rest, false)); }
            case "frontend" -> {
                System.err.println("tamter frontend: not yet: a REST frontend as an Ignite client node comes with the grid issue; use serve (or node without REST)");
                return 2;
            }
            case "help", "-h", "--help" -> {
                System.out.println(USAGE);
                return 0;
            }
            default -> {
                System.err.println("tamter: unknown command " + cmd);
                System.err.println(USAGE);
                return 2;
            }
        }
    }

    interface Command {
        int run() throws Exception;
    }

    /** Runs a command; a bad argument (IllegalArgumentException) is one line on stderr and exit code 2. */
    private static int usageErrors(String name, Command c) throws Exception {
        try {
            return c.run();
        } catch (IllegalArgumentException e) {
            System.err.println("tamter " + name + ": " + e.getMessage());
            return 2;
        }
    }
}
