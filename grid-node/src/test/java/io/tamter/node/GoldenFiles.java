package io.tamter.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Golden files of the binary formats (CONVENTIONS.md): small files of each released version in
 * {@code grid-node/src/test/resources/golden}, read back by every codec's test.
 */
public final class GoldenFiles {
    private GoldenFiles() {}

    /**
     * The golden file {@code name}; with {@code -Dtamter.writeGolden=true} it is first rewritten
     * from {@code current} (the bytes this build writes) and {@code current} is returned.
     */
    public static byte[] golden(String name, byte[] current) throws Exception {
        if (Boolean.getBoolean("tamter.writeGolden")) {
            Path dir = Path.of(System.getProperty("tamter.root", "..")).resolve("grid-node/src/test/resources/golden");
            Files.write(dir.resolve(name), current);
            return current;
        }
        return frozen(name);
    }

    /** A golden file as it is, never regenerated (a format this build no longer writes). */
    public static byte[] frozen(String name) throws Exception {
        try (InputStream in = GoldenFiles.class.getResourceAsStream("/golden/" + name)) {
            assertThat(in).as("golden file " + name).isNotNull();
            return in.readAllBytes();
        }
    }

    /**
     * Flipping any single bit anywhere (header, body or checksum) must fail {@code decode} with an
     * {@link IllegalStateException} whose message starts with {@code messagePrefix}, never decode.
     */
    public static void assertEveryBitFlipRejected(byte[] g, Consumer<byte[]> decode, String messagePrefix) {
        List<Integer> accepted = new ArrayList<>();
        for (int i = 0; i < g.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] f = g.clone();
                f[i] ^= (byte) (1 << bit);
                try {
                    decode.accept(f);
                    accepted.add(i * 8 + bit);
                } catch (IllegalStateException e) {
                    assertThat(e).hasMessageStartingWith(messagePrefix);
                }
            }
        }
        assertThat(accepted).as("bit positions whose flip was accepted").isEmpty();
    }
}
