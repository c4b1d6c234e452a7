package io.tamter.bench.data;

/** Test access to the generator's package-private size rule. */
public final class SyntheticAccess {
    private SyntheticAccess() {}

    public static int[] zipf(int n, int clusters) {
        return Synthetic.zipfSizes(n, clusters);
    }
}
