package io.tamter.node.crypto;

import static java.nio.charset.StandardCharsets.UTF_8;
import static io.tamter.node.GoldenFiles.golden;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tamter.node.objectstore.CorruptObjectException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The encryption formats of each released version, read back from golden files
 * (src/test/resources/golden, written by this code at version 1 with {@code -Dtamter.writeGolden=true}
 * from fixed keys, nonces and salts). A later version must still read them. The two-chunk object
 * is pinned by its SHA-256 instead of a 64 KiB file.
 */
class EncryptionGoldenTest {
    private static final SecretKey KEK = new SecretKeySpec(seq(0x00, 32), "AES");
    private static final DataKey DATA_KEY = DataKey.of(seq(0x20, 32));
    private static final String NS = "golden_ns";
    private static final String KEY_NAME = "golden-kek";
    private static final String OBJECT = NS + "/shards/0/wal/00000000000000000001.log";
    private static final float[] VECTOR = {1f, -2.5f, 0.125f};
    private static final String TWO_CHUNKS_SHA256 = "e9bc43b6dd7bb936817173afdc348d8276fa2241d9132d413abe105c24fec62e";

    private static byte[] seq(int from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (from + i);
        return b;
    }


    private static byte[] plaintext() {
        byte[] text = "hello, encrypted tamter".getBytes(UTF_8);
        ByteBuffer b = ByteBuffer.allocate(text.length + VECTOR.length * 4).order(ByteOrder.LITTLE_ENDIAN).put(text);
        for (float f : VECTOR) b.putFloat(f);
        return b.array();
    }

    @Test
    void dataKeyEnvelopeV1() throws Exception {
        byte[] now = EnvelopeCodec.wrap(DATA_KEY, KEY_NAME, KEK, NS, seq(0xA0, 12));
        byte[] g = golden("data-key-envelope-v1.bin", now);
        // magic "TDEK", version 1, AES-256-GCM, name length 10 (u16 BE)
        assertThat(Arrays.copyOf(g, 8)).containsExactly(0x54, 0x44, 0x45, 0x4B, 1, 1, 0, 10);
        assertThat(new String(g, 8, 10, UTF_8)).isEqualTo(KEY_NAME);
        assertThat(Arrays.copyOfRange(g, 18, 26)).isEqualTo(DATA_KEY.id());
        assertThat(Arrays.copyOfRange(g, 26, 38)).isEqualTo(seq(0xA0, 12));
        assertThat(g).hasSize(8 + 10 + 8 + 12 + 32 + 16 + 4);
        assertThat(EnvelopeCodec.header("r", g)).satisfies(h -> {
            assertThat(h.version()).isEqualTo(1);
            assertThat(h.keyName()).isEqualTo(KEY_NAME);
        });
        assertThat(EnvelopeCodec.unwrap("r", g, KEK, NS)).isEqualTo(DATA_KEY);
        assertThat(EnvelopeCodec.unwrap("r", g, KEK, NS).material()).isEqualTo(seq(0x20, 32));
        assertThat(now).isEqualTo(g);
        assertThat(Bytes.indexOf(g, seq(0x20, 32))).as("no data key in the clear").isEqualTo(-1);
    }

    @Test
    void envelopeRejectsWhatIsNotAnIntactRecord() throws Exception {
        byte[] g = EnvelopeCodec.wrap(DATA_KEY, KEY_NAME, KEK, NS, seq(0xA0, 12));
        byte[] future = g.clone();
        future[4] = 9;
        assertThatThrownBy(() -> EnvelopeCodec.header("ns/keys/data-key.bin", future)).isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining("ns/keys/data-key.bin").hasMessageContaining("format version 9");
        byte[] magic = g.clone();
        magic[0] ^= 1;
        assertThatThrownBy(() -> EnvelopeCodec.header("r", magic)).hasMessageContaining("magic");
        byte[] flipped = g.clone();
        flipped[g.length - 10] ^= 1;
        assertThatThrownBy(() -> EnvelopeCodec.unwrap("r", flipped, KEK, NS)).isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining("checksum");
        assertThatThrownBy(() -> EnvelopeCodec.header("r", Arrays.copyOf(g, 7))).hasMessageContaining("truncated");
        assertThatThrownBy(() -> EnvelopeCodec.unwrap("r", g, new SecretKeySpec(seq(0x01, 32), "AES"), NS))
                .isInstanceOf(KeyUnavailableException.class).hasMessageContaining("'" + KEY_NAME + "'");
    }

    @Test
    void encryptedObjectV1() throws Exception {
        byte[] plain = plaintext();
        byte[] now = EncryptedObjectCodec.encrypt(DATA_KEY, OBJECT, plain, seq(0xB0, 16));
        byte[] g = golden("encrypted-object-v1.bin", now);
        // magic "TENC", version 1, chunk shift 16, reserved 0
        assertThat(Arrays.copyOf(g, 8)).containsExactly(0x54, 0x45, 0x4E, 0x43, 1, 16, 0, 0);
        assertThat(Arrays.copyOfRange(g, 8, 16)).isEqualTo(DATA_KEY.id());
        assertThat(Arrays.copyOfRange(g, 16, 32)).isEqualTo(seq(0xB0, 16));
        assertThat((long) g.length).isEqualTo(EncryptedObjectCodec.ciphertextSize(plain.length)).isEqualTo(36 + plain.length + 16);
        assertThat(EncryptedObjectCodec.plaintextSize(OBJECT, g.length)).isEqualTo(plain.length);
        assertThat(EncryptedObjectCodec.decrypt(DATA_KEY, OBJECT, g)).isEqualTo(plain);
        assertThat(now).isEqualTo(g);
        assertThat(Bytes.indexOf(g, "hello".getBytes(UTF_8))).isEqualTo(-1);
        assertThatThrownBy(() -> EncryptedObjectCodec.decrypt(DATA_KEY, NS + "/elsewhere", g)).isInstanceOf(ObjectIntegrityException.class);
    }

    @Test
    void twoChunkObjectV1() throws Exception {
        byte[] plain = new byte[EncryptedObjectCodec.CHUNK_BYTES + 100];
        for (int i = 0; i < plain.length; i++) plain[i] = (byte) (i * 31);
        byte[] now = EncryptedObjectCodec.encrypt(DATA_KEY, OBJECT, plain, seq(0xC0, 16));
        assertThat(now).hasSize(36 + plain.length + 2 * 16);
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(now))).isEqualTo(TWO_CHUNKS_SHA256);
        assertThat(EncryptedObjectCodec.decrypt(DATA_KEY, OBJECT, now)).isEqualTo(plain);
        byte[] future = now.clone();
        future[4] = 9;
        assertThatThrownBy(() -> EncryptedObjectCodec.decrypt(DATA_KEY, OBJECT, future)).isInstanceOf(CorruptObjectException.class);
    }

    /** Byte-sequence search. */
    private static final class Bytes {
        static int indexOf(byte[] haystack, byte[] needle) {
            outer:
            for (int i = 0; i + needle.length <= haystack.length; i++) {
                for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
                return i;
            }
            return -1;
        }
    }
}
