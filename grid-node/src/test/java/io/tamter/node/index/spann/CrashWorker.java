package io.tamter.node.index.spann;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.node.vector.VectorMetric;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/**
 * The child process of {@link IndexCrashTest}: applies random upserts and deletes to an index
 * until it is killed, logging each operation to a file before it starts ({@code B op vid seq})
 * and after it returned ({@code A vid seq byte}), so the parent knows what was acknowledged and
 * what was in flight. Every few operations it logs the rebalancer's state ({@code R splits merges busy}).
 */
public final class CrashWorker {
    static final int DIM = 16;
    static final int VIDS = 3000;

    private CrashWorker() {}

    /** Small postings so that splits and merges run all the time. */
    static Settings settings() {
        return Settings.defaults()
                .with(Params.BUILD_POSTING, 12).with(Params.MAX_POSTING, 24).with(Params.MIN_POSTING, 6)
                .with(Params.BUILD_THRESHOLD, 300).with(Params.REPLICA_COUNT, 4).with(Params.REASSIGN_K, 8)
                .with(Params.NPROBE, 16);
    }

    /** The vector written for (vid, seq): deterministic, so the parent can check content. */
    static float[] vector(int vid, long seq) {
        Random r = new Random(vid * 1_000_003L + seq);
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Random r = new Random(Long.parseLong(args[1]));
        long seq = Long.parseLong(args[2]);
        // the log goes to a file, appended line by line with one write(2) each: what the kernel has
        // accepted survives SIGKILL, and the parent reads it only once the process is gone
        PrintStream out = new PrintStream(new java.io.FileOutputStream(args[3], true), false);
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM, settings())) {
            out.println("OPEN");
            out.flush();
            for (long op = 0; ; op++) {
                int vid = r.nextInt(VIDS);
                seq++;
                boolean delete = r.nextInt(100) < 30;
                out.println("B " + (delete ? "D" : "U") + " " + vid + " " + seq);
                out.flush();
                if (delete) index.delete(vid);
                else index.insert(vid, vector(vid, seq));
                out.println("A " + vid + " " + seq + " " + index.core().versions().get(vid));
                if (op % 50 == 0) {
                    Map<String, Long> st = index.rebalancerStats();
                    out.println("R " + st.get("splits") + " " + st.get("merges") + " " + (st.get("queued") + st.get("running")));
                }
                out.flush();
            }
        }
    }
}
