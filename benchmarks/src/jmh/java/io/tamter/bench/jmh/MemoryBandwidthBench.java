package io.tamter.bench.jmh;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
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
 * What one core can read: the floats of an array summed with the Vector API, once from an array
 * that fits the L1/L2 caches and once from one far larger than the last-level cache (main
 * memory). The posting scan of {@link KernelBench} is judged against these: bytes/s = the
 * array's bytes / the time per operation (benchmarks/README.md does the division).
 * Run: {@code ./tamter jmh MemoryBandwidthBench}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx2g"})
@State(Scope.Thread)
public class MemoryBandwidthBench {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** Array size in bytes: 32 KiB (cache-resident) and 512 MiB (main memory). */
    @Param({"32768", "536870912"})
    public int bytes;

    private float[] data;

    @Setup
    public void setup() {
        data = new float[bytes / Float.BYTES];
        for (int i = 0; i < data.length; i++) data[i] = i & 1023;
    }

    /** Reads every float into four independent vector sums (so the adds do not wait on each other); one lane is returned to keep the loads. */
    @Benchmark
    public float read() {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int step = F.length();
        int i = 0;
        for (int bound = data.length - 4 * step; i <= bound; i += 4 * step) {
            a0 = a0.add(FloatVector.fromArray(F, data, i));
            a1 = a1.add(FloatVector.fromArray(F, data, i + step));
            a2 = a2.add(FloatVector.fromArray(F, data, i + 2 * step));
            a3 = a3.add(FloatVector.fromArray(F, data, i + 3 * step));
        }
        float s = a0.add(a1).add(a2).add(a3).lane(0);
        for (; i < data.length; i++) s += data[i];
        return s;
    }
}
