package io.tamter.bench.data;

import io.tamter.node.vector.VectorFiles;
import io.tamter.node.vector.VectorMetric;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves a dataset argument: {@code synthetic:…}; a folder holding {@code base.fvecs},
 * {@code query.fvecs} and optionally {@code groundtruth.ivecs}; or a short name such as
 * {@code sift10k} looked up under {@code ../shared/data} next to the project root.
 */
public final class Datasets {
    private Datasets() {}

    public static Dataset load(String spec, Path relativeTo, VectorMetric metric) throws IOException {
        if (Synthetic.isSpec(spec)) return Synthetic.generate(spec, metric);
        Path dir = locate(spec, relativeTo);
        float[][] base = VectorFiles.readFvecs(dir.resolve("base.fvecs"));
        float[][] queries = VectorFiles.readFvecs(dir.resolve("query.fvecs"));
        int[][] gt = null;
        Path gtFile = dir.resolve("groundtruth.ivecs");
        // the shipped ground truth is L2; other metrics are computed
        if (metric == VectorMetric.EUCLIDEAN_SQUARED && Files.isRegularFile(gtFile)) gt = VectorFiles.readIvecs(gtFile);
        return new Dataset(dir.getFileName().toString(), metric, base, queries, gt);
    }

    public static Path locate(String spec, Path relativeTo) {
        Path p = Path.of(spec);
        if (!p.isAbsolute() && relativeTo != null) {
            Path rel = relativeTo.resolve(spec);
            if (Files.isDirectory(rel)) return rel;
        }
        if (Files.isDirectory(p)) return p;
        Path shared = sharedData().resolve(spec);
        if (Files.isDirectory(shared)) return shared;
        throw new IllegalArgumentException("dataset '" + spec + "' is neither synthetic:…, a folder, nor a folder under " + sharedData());
    }

    /** ../shared/data relative to the project root (the launcher passes -Dtamter.root). */
    public static Path sharedData() {
        String d = System.getProperty("tamter.shared.data");
        if (d != null) return Path.of(d);
        return Path.of(System.getProperty("tamter.root", ".")).toAbsolutePath().normalize().resolveSibling("shared").resolve("data");
    }

    /** The dataset with exact ground truth for k (computed when absent or too short). */
    public static Dataset withGroundTruth(Dataset d, int k) {
        if (d.groundTruth() != null && d.groundTruth().length == d.queries().length && d.groundTruth()[0].length >= k) return d;
        return d.withGroundTruth(GroundTruth.compute(d.base(), d.queries(), k, d.metric()));
    }
}
