package io.tamter.node.vector;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The TEXMEX vector file formats: {@code .fvecs} (per vector {@code [int32 d][float32 × d]})
 * and {@code .ivecs} (the same with int32 values), little-endian.
 */
public final class VectorFiles {
    private VectorFiles() {}

    public static float[][] readFvecs(Path file) throws IOException {
        return readFvecs(file, Integer.MAX_VALUE);
    }

    /** Reads at most {@code limit} vectors. */
    public static float[][] readFvecs(Path file, int limit) throws IOException {
        ByteBuffer b = map(file);
        List<float[]> out = new ArrayList<>();
        while (b.remaining() > 0 && out.size() < limit) {
            int d = dimension(b, file, out.size());
            float[] v = new float[d];
            b.asFloatBuffer().get(v);
            b.position(b.position() + 4 * d);
            out.add(v);
        }
        return out.toArray(new float[0][]);
    }

    public static int[][] readIvecs(Path file) throws IOException {
        ByteBuffer b = map(file);
        List<int[]> out = new ArrayList<>();
        while (b.remaining() > 0) {
            int d = dimension(b, file, out.size());
            int[] v = new int[d];
            b.asIntBuffer().get(v);
            b.position(b.position() + 4 * d);
            out.add(v);
        }
        return out.toArray(new int[0][]);
    }

    private static int dimension(ByteBuffer b, Path file, int row) throws IOException {
        int d = b.getInt();
        if (d <= 0 || (long) d * 4 > b.remaining()) {
            throw new IOException(file + ": row " + row + " declares " + d + " dimensions with " + b.remaining() + " bytes left");
        }
        return d;
    }

    private static ByteBuffer map(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    public static void writeFvecs(Path file, float[][] vectors) throws IOException {
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            for (float[] v : vectors) {
                ByteBuffer b = ByteBuffer.allocate(4 + 4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
                b.putInt(v.length);
                for (float x : v) b.putFloat(x);
                os.write(b.array());
            }
        }
    }

    public static void writeIvecs(Path file, int[][] rows) throws IOException {
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            for (int[] v : rows) {
                ByteBuffer b = ByteBuffer.allocate(4 + 4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
                b.putInt(v.length);
                for (int x : v) b.putInt(x);
                os.write(b.array());
            }
        }
    }
}
