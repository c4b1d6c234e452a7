package io.tamter.http.cli;

import java.util.Arrays;

/**
 * The {@code tamter} command (the launcher script runs this class for everything but
 * {@code test}, {@code build}, {@code bench} and {@code jmh}).
 */
public final class TamterMain {
    private TamterMain() {}

    public static void main(String[] args) throws Exception {
        String cmd = args.length == 0 ? "help" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        switch (cmd) {
            case "check" -> System.exit(io.tamter.node.cli.CheckCommand.run(rest));
            case "serve", "node", "frontend" -> {
                System.err.println("tamter " + cmd + ": not yet: the REST server lands with issue 4 (see README)");
                System.exit(2);
            }
            default -> {
                System.err.println("""
                        usage: ./tamter <command>
                          test                       run the test suite
                          serve                      start the server (not yet: issue 4)
                          check --index DIR          integrity check of a vector index directory
                          bench <ann|stream> ...     benchmark harness (benchmarks/README.md)
                          jmh [regexp]               JMH micro-benchmarks""");
                System.exit(cmd.equals("help") ? 0 : 2);
            }
        }
    }
}
