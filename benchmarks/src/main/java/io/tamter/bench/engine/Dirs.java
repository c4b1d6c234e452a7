package io.tamter.bench.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Scratch directories of the benchmarks. */
public final class Dirs {
    private Dirs() {}

    /** Removes a directory tree (missing is fine). */
    public static void deleteTree(Path p) {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot remove " + p, e);
        }
    }

    /** Bytes of the regular files under a directory. */
    public static long size(Path p) {
        if (!Files.exists(p)) return 0;
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile).mapToLong(x -> x.toFile().length()).sum();
        } catch (IOException e) {
            return -1;
        }
    }
}
