package io.tamter.bench;

/** {@code tamter bench <kind>}: the benchmark harness (see benchmarks/README.md). */
public final class BenchMain {
    private BenchMain() {}

    public static void main(String[] args) {
        System.err.println("tamter bench: no benchmark kinds are built yet");
        System.exit(2);
    }
}
