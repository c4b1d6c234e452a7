package io.tamter.bench.jmh;

import io.tamter.kernels.Kernels;
import io.tamter.kernels.Metric;
import io.tamter.kernels.VectorKernels;
import io.tamter.node.index.spann.ResidualCodes;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The search's two ways through one cached posting of {@code entries} vectors, as
 * {@code SpannSearcher} runs them: {@code floats}, the distances of every entry from its decoded
 * floats ({@code VectorKernels.distances}, 4·dim bytes per entry); {@code codes}, the lower
 * bounds from the entries' 1-bit codes ({@link ResidualCodes#lowerBounds}: words·8 + 20 bytes per
 * entry), before the few exact distances the bounds leave. Bytes/s = those bytes / time.
 * Run: {@code ./tamter jmh PostingScanBench} (results in benchmarks/README.md, next to
 * {@code MemoryBandwidthBench}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class PostingScanBench {
    @Param({"128", "384"})
    public int dim;

    @Param({"64"})
    public int entries;

    private VectorKernels k;
    private float[] q;
    private double qq;
    private float[] vectors;
    private float[] out;
    private ResidualCodes codes;
    private final ResidualCodes.Query coded = new ResidualCodes.Query();
    private int[] popcounts;

    @Setup
    public void setup() {
        k = Kernels.get();
        Random r = new Random(1);
        float[] centre = new float[dim];
        for (int j = 0; j < dim; j++) centre[j] = (float) r.nextGaussian();
        vectors = new float[entries * dim];
        for (int i = 0; i < vectors.length; i++) vectors[i] = centre[i % dim] + 0.5f * (float) r.nextGaussian();
        q = new float[dim];
        for (int j = 0; j < dim; j++) {
            q[j] = centre[j] + 0.5f * (float) r.nextGaussian();
            qq += (double) q[j] * q[j];
        }
        codes = ResidualCodes.encode(centre, vectors, entries, dim, Metric.L2);
        coded.quantize(q);
        out = new float[entries];
        popcounts = new int[entries];
    }

    @Benchmark
    public float[] floats() {
        k.distances(Metric.L2, q, vectors, 0, entries, dim, out);
        return out;
    }

    @Benchmark
    public float[] codes() {
        codes.lowerBounds(k, coded, q, qq, Metric.L2, 1.9, popcounts, out);
        return out;
    }
}
