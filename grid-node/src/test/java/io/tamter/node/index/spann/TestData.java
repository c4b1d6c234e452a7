package io.tamter.node.index.spann;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tamter.node.vector.VectorFiles;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Real datasets from ../shared/data (tests skip loudly when it is absent, fail with -Dtamter.requireData=true) and seeded random data. */
public final class TestData {
    private TestData() {}

    public static Path sharedData() {
        return Path.of(System.getProperty("tamter.shared.data", "../../shared/data"));
    }

    public static Path sift10k() {
        Path p = sharedData().resolve("sift10k");
        requireSharedData(p.resolve("base.fvecs"), "SIFT10K");
        return p;
    }

    /**
     * {@code path} (a file or directory under ../shared/data) for a test that needs it. When it is
     * absent the test skips, and says so on stderr in a banner, not only in the surefire report (a
     * silent skip reads as a pass). With {@code -Dtamter.requireData=true} (CI, which has the data)
     * an absent path fails the test instead.
     */
    public static void requireSharedData(Path path, String what) {
        if (Files.exists(path)) return;
        String test = StackWalker.getInstance().walk(s -> s.skip(1).filter(f -> !f.getClassName().equals(TestData.class.getName()))
                .findFirst().map(f -> f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "." + f.getMethodName()).orElse("?"));
        String msg = test + " needs " + what + " at " + path.toAbsolutePath().normalize() + " (../shared/data), which is absent";
        if (Boolean.getBoolean("tamter.requireData")) throw new AssertionError(msg + "; -Dtamter.requireData=true makes that a failure");
        loud("""
                ****************************************************************************
                SKIPPED: %s.
                It did not run. CI has the data and runs it (-Dtamter.requireData=true).
                ****************************************************************************""".formatted(msg));
        assumeTrue(false, "SKIPPED: " + msg);
    }

    /** To the test JVM's own stderr, past surefire's capture of System.err (which goes to a report file). */
    private static void loud(String banner) {
        PrintStream native2 = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        native2.println(banner);
        System.err.println(banner);
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
