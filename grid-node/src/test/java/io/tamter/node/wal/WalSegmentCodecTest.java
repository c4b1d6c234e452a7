package io.tamter.node.wal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static io.tamter.node.GoldenFiles.golden;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * The WAL segment format, read back from the golden file of each released version
 * (src/test/resources/golden, written by this code at version 1 with {@code -Dtamter.writeGolden=true}),
 * and every way decoding rejects bytes that are not the expected segment.
 */
class WalSegmentCodecTest {
    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final WalShard SHARD = new WalShard("golden-ns", 3);
    private static final String KEY = SHARD.segmentKey(42);
    private static final long WRITER = 0x0123456789ABCDEFL;
    private static final List<byte[]> PAYLOADS = List.of("hello".getBytes(UTF_8), new byte[0], new byte[] {0, 1, 2, (byte) 0xFF});


    @Test
    void segmentV1() throws Exception {
        byte[] now = WalSegmentCodec.encode(SHARD, 42, WRITER, PAYLOADS);
        byte[] g = golden("wal-segment-v1.bin", now);
        // magic "TWAL", version 1, flags 0, reserved 0
        assertThat(Arrays.copyOf(g, 8)).containsExactly('T', 'W', 'A', 'L', 1, 0, 0, 0);
        assertThat(g).hasSize(WalSegmentCodec.HEADER_BYTES + 3 * 4 + 5 + 0 + 4 + 4);
        assertThat((int) I32.get(g, 16)).as("shard").isEqualTo(3);
        assertThat((int) I32.get(g, 36)).as("entry count").isEqualTo(3);
        WalSegment s = WalSegmentCodec.decode(KEY, g, SHARD, 42);
        assertThat(s.seq()).isEqualTo(42);
        assertThat(s.shard()).isEqualTo(3);
        assertThat(s.writerId()).isEqualTo(WRITER);
        assertThat(s.namespaceHash()).isEqualTo(SHARD.namespaceHash());
        assertThat(s.entries()).hasSize(3);
        for (int i = 0; i < 3; i++) assertThat(s.entries().get(i)).containsExactly(PAYLOADS.get(i));
        assertThat(now).isEqualTo(g);
    }

    @Test
    void emptySegmentRoundTrips() throws Exception {
        byte[] b = WalSegmentCodec.encode(SHARD, 1, 7, List.of());
        assertThat(b).hasSize(WalSegmentCodec.HEADER_BYTES + WalSegmentCodec.FOOTER_BYTES);
        assertThat(WalSegmentCodec.decode(SHARD.segmentKey(1), b, SHARD, 1).entries()).isEmpty();
    }

    @Test
    void namespaceHashIsStable() {
        // FNV-1a 64 of "golden-ns": part of the golden format, must never change
        assertThat(SHARD.namespaceHash()).isEqualTo(fnv1a("golden-ns"));
        assertThat(new WalShard("a", 0).namespaceHash()).isEqualTo(0xaf63dc4c8601ec8cL);
    }

    private static long fnv1a(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        return h;
    }

    @Test
    void everyFlippedBitIsDetected() {
        byte[] b = WalSegmentCodec.encode(SHARD, 42, WRITER, PAYLOADS);
        for (int i = 0; i < b.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] f = b.clone();
                f[i] ^= (byte) (1 << bit);
                assertThatThrownBy(() -> WalSegmentCodec.decode(KEY, f, SHARD, 42)).as("byte %d bit %d", i, bit)
                        .isInstanceOf(CorruptWalException.class).hasMessageContaining(KEY);
            }
        }
    }

    @Test
    void rejectsWhatIsNotTheExpectedSegment() {
        byte[] b = WalSegmentCodec.encode(SHARD, 42, WRITER, PAYLOADS);
        assertThatThrownBy(() -> WalSegmentCodec.decode(KEY, new byte[10], SHARD, 42))
                .isInstanceOf(CorruptWalException.class).hasMessageContaining(KEY).hasMessageContaining("shorter than header");
        byte[] magic = b.clone();
        magic[0] = 'X';
        assertThatThrownBy(() -> WalSegmentCodec.decode(KEY, magic, SHARD, 42)).hasMessageContaining("magic");
        byte[] future = b.clone();
        future[4] = 2;
        assertThatThrownBy(() -> WalSegmentCodec.decode(KEY, future, SHARD, 42))
                .hasMessageContaining("format version 2").hasMessageContaining("reads versions 1..1");
        byte[] truncated = Arrays.copyOf(b, b.length - 1);
        assertThatThrownBy(() -> WalSegmentCodec.decode(KEY, truncated, SHARD, 42)).hasMessageContaining("checksum");
        byte[] flipped = b.clone();
        flipped[WalSegmentCodec.HEADER_BYTES + 5] ^= 0x40;
        assertThatThrownBy(() -> WalSegmentCodec.decode(KEY, flipped, SHARD, 42)).hasMessageContaining("fails its checksum");

        // structurally wrong but with a valid checksum: lengths must add up
        byte[] badLength = b.clone();
        I32.set(badLength, WalSegmentCodec.HEADER_BYTES, 1000);
        assertThatThrownBy(() -> WalSegmentCodec.decode(KEY, reseal(badLength), SHARD, 42))
                .hasMessageContaining("entry 0 of 3 has length 1000");
        byte[] badCount = b.clone();
        I32.set(badCount, 36, 2);
        assertThatThrownBy(() -> WalSegmentCodec.decode(KEY, reseal(badCount), SHARD, 42))
                .hasMessageContaining("bytes after its 2 entries");
        I32.set(badCount, 36, -1);
        assertThatThrownBy(() -> WalSegmentCodec.decode(KEY, reseal(badCount), SHARD, 42))
                .hasMessageContaining("claims 4294967295 entries");

        // a valid segment under the wrong key
        assertThatThrownBy(() -> WalSegmentCodec.decode(KEY, b, SHARD, 43)).hasMessageContaining("has seq 42, its key says 43");
        assertThatThrownBy(() -> WalSegmentCodec.decode(KEY, b, new WalShard("golden-ns", 4), 42))
                .hasMessageContaining("segment of shard 3, expected shard 4");
        assertThatThrownBy(() -> WalSegmentCodec.decode(KEY, b, new WalShard("other", 3), 42))
                .hasMessageContaining("not that of namespace 'other'");
    }

    @Test
    void segmentKeys() throws Exception {
        assertThat(SHARD.prefix()).isEqualTo("golden-ns/shards/3/wal/");
        assertThat(SHARD.segmentKey(42)).isEqualTo("golden-ns/shards/3/wal/00000000000000000042.log");
        assertThat(SHARD.parseSeq(SHARD.segmentKey(Long.MAX_VALUE))).isEqualTo(Long.MAX_VALUE);
        assertThat(SHARD.parseSeq(SHARD.segmentKey(1))).isEqualTo(1);
        assertThatThrownBy(() -> SHARD.parseSeq("golden-ns/shards/3/wal/42.log")).isInstanceOf(CorruptWalException.class)
                .hasMessageContaining("not a WAL segment key");
        assertThatThrownBy(() -> SHARD.parseSeq("golden-ns/shards/3/wal/0000000000000000004x.log")).hasMessageContaining("non-digit");
        assertThatThrownBy(() -> SHARD.parseSeq("golden-ns/shards/3/wal/99999999999999999999.log")).hasMessageContaining("overflows");
        assertThatThrownBy(() -> SHARD.segmentKey(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WalShard("bad/ns", 0)).hasMessageContaining("bad/ns");
        assertThatThrownBy(() -> new WalShard("ns", -1)).hasMessageContaining("shard=-1");
    }

    private static byte[] reseal(byte[] b) {
        CRC32C crc = new CRC32C();
        crc.update(b, 0, b.length - 4);
        I32.set(b, b.length - 4, (int) crc.getValue());
        return b;
    }
}
