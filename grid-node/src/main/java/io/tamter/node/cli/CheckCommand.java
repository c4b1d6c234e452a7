package io.tamter.node.cli;

/** {@code tamter check --index DIR}: the integrity check of a vector index directory. */
public final class CheckCommand {
    private CheckCommand() {}

    public static int run(String[] args) {
        System.err.println("tamter check: the index integrity check is not built yet");
        return 2;
    }
}
