package io.tamter.bench.jmh;

import io.tamter.kernels.Kernels;
import io.tamter.kernels.Metric;
import io.tamter.kernels.PostingLayout;
import io.tamter.kernels.QueryVector;
import io.tamter.kernels.VectorKernels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * The three kernel implementations side by side: single-vector dot and squared L2, and the
 * posting scan (the hot loop of search) over a posting of {@code entries} entries. The native
 * scan reads a direct posting buffer (how it is meant to be fed); the Java ones a heap buffer.
 * Run: {@code ./tamter jmh KernelBench} (results in benchmarks/README.md).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class KernelBench {
    @Param({"scalar", "vector", "native"})
    public String impl;

    @Param({"128", "384"})
    public int dim;

    @Param({"64", "256"})
    public int entries;

    private VectorKernels k;
    private float[] a;
    private float[] b;
    private ByteBuffer posting;
    private ByteBuffer versions;
    private QueryVector query;
    private final long[] outVids = new long[10];
    private final float[] outDists = new float[10];

    @Setup
    public void setup() {
        k = Kernels.select(impl);
        if (!k.name().equals(impl)) throw new IllegalStateException(impl + " kernels are not available here");
        Random r = new Random(1);
        a = new float[dim];
        b = new float[dim];
        float[] q = new float[dim];
        for (int i = 0; i < dim; i++) {
            a[i] = (float) r.nextGaussian();
            b[i] = (float) r.nextGaussian();
            q[i] = (float) r.nextGaussian();
        }
        query = new QueryVector(q);
        query.direct();
        int eb = PostingLayout.entryBytes(dim);
        posting = k.preferredBuffer() == VectorKernels.BufferKind.DIRECT
                ? ByteBuffer.allocateDirect(entries * eb).order(ByteOrder.LITTLE_ENDIAN)
                : ByteBuffer.allocate(entries * eb).order(ByteOrder.LITTLE_ENDIAN);
        versions = ByteBuffer.allocateDirect(PostingLayout.VERSION_SLOT_BYTES * entries).order(ByteOrder.LITTLE_ENDIAN);
        for (int e = 0; e < entries; e++) {
            posting.putLong(e * eb, e);
            posting.putShort(e * eb + PostingLayout.VID_BYTES, (short) 1);
            versions.putShort(PostingLayout.VERSION_SLOT_BYTES * e, (short) 1);
            for (int i = 0; i < dim; i++) posting.putFloat(e * eb + PostingLayout.ENTRY_HEADER_BYTES + 4 * i, (float) r.nextGaussian());
        }
    }

    @Benchmark
    public float dot() {
        return k.dot(a, 0, b, 0, dim);
    }

    @Benchmark
    public float squaredL2() {
        return k.squaredL2(a, 0, b, 0, dim);
    }

    @Benchmark
    public int scanPosting() {
        return k.scanPosting(posting, 0, entries, query, Metric.L2, versions, entries, null, 0, Float.POSITIVE_INFINITY, 10, outVids, outDists);
    }
}
