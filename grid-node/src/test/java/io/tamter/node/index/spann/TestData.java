package io.tamter.node.index.spann;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tamter.node.vector.VectorFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Real datasets from ../shared/data (tests skip with a message when it is absent) and seeded random data. */
public final class TestData {
    private TestData() {}

    public static Path sharedData() {
        return Path.of(System.getProperty("tamter.shared.data", "../../shared/data"));
    }

    public static Path sift10k() {
        Path p = sharedData().resolve("sift10k");
        assumeTrue(Files.isRegularFile(p.resolve("base.fvecs")), "SIFT10K not found at " + p + " (../shared/data); skipping");
        return p;
    }

    public static float[][] fvecs(Path p) {
        try {
            return VectorFiles.readFvecs(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int[][] ivecs(Path p) {
        try {
            return VectorFiles.readIvecs(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A seed from -Dtamter.seed or a fresh one, printed so a failing run can be repeated. */
    public static long seed(String test) {
        String s = System.getProperty("tamter.seed");
        long seed = s != null ? Long.parseLong(s) : new Random().nextLong();
        System.out.println(test + ": seed " + seed + " (re-run with -Dtamter.seed=" + seed + ")");
        return seed;
    }

    public static float[][] gaussian(int n, int dim, long seed) {
        Random r = new Random(seed);
        float[][] out = new float[n][dim];
        for (float[] v : out) for (int i = 0; i < dim; i++) v[i] = (float) r.nextGaussian();
        return out;
    }

    /** {@code n} Gaussian vectors around the point with every coordinate {@code centre}. */
    public static float[][] blob(int n, int dim, float centre, float sigma, long seed) {
        Random r = new Random(seed);
        float[][] out = new float[n][dim];
        for (float[] v : out) for (int j = 0; j < dim; j++) v[j] = centre + sigma * (float) r.nextGaussian();
        return out;
    }

    /** Recall@k of {@code got} against the first k of {@code truth}. */
    public static double recall(long[] got, int[] truth, int k) {
        int hit = 0;
        for (int i = 0; i < Math.min(k, got.length); i++) {
            for (int j = 0; j < k; j++) {
                if (truth[j] == got[i]) {
                    hit++;
                    break;
                }
            }
        }
        return hit / (double) k;
    }
}
