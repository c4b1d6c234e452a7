package io.tamter.node.shard;

import static io.tamter.node.GoldenFiles.assertEveryBitFlipRejected;
import static io.tamter.node.GoldenFiles.golden;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tamter.node.doc.DocId;
import io.tamter.node.doc.DocumentCodec;
import io.tamter.node.doc.DocumentCodecGoldenTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link ShardWriteCodec}, read back from golden files of each released version
 * (src/test/resources/golden), written at format version 1 with {@code -Dtamter.writeGolden=true}.
 */
class ShardWriteCodecGoldenTest {


    private static List<ShardWrite> sample() throws Exception {
        return List.of(
                new ShardWrite.Put(0x0102030405060708L, DocumentCodecGoldenTest.full()),
                new ShardWrite.Delete(77, DocId.ofU64(12345)),
                new ShardWrite.Put(0, DocumentCodecGoldenTest.bare()),
                new ShardWrite.Delete(-1L, DocId.ofString("gone ✓", "id")),
                new ShardWrite.Put(Long.MAX_VALUE, DocumentCodecGoldenTest.stringId()));
    }

    @Test
    void batchV1() throws Exception {
        byte[] now = ShardWriteCodec.encode(sample());
        byte[] g = golden("shard-write-batch-v1.bin", now);
        ByteBuffer b = ByteBuffer.wrap(g).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt(0)).isEqualTo(ShardWriteCodec.MAGIC);
        assertThat(g[4]).isEqualTo((byte) 1);
        assertThat(b.getInt(5)).isEqualTo(5);
        assertThat(g[9]).isEqualTo((byte) 1); // first effect is a put

        List<ShardWrite> ws = ShardWriteCodec.decode(g);
        assertThat(ws).hasSize(5);
        ShardWrite.Put p0 = (ShardWrite.Put) ws.get(0);
        DocumentCodecGoldenTest.assertFull(new DocumentCodec.Stored(p0.vid(), p0.doc()));
        ShardWrite.Delete d1 = (ShardWrite.Delete) ws.get(1);
        assertThat(d1.vid()).isEqualTo(77);
        assertThat(d1.id().kind()).isEqualTo(DocId.Kind.U64);
        assertThat(d1.id().toString()).isEqualTo("12345");
        ShardWrite.Put p2 = (ShardWrite.Put) ws.get(2);
        DocumentCodecGoldenTest.assertBare(new DocumentCodec.Stored(p2.vid(), p2.doc()));
        ShardWrite.Delete d3 = (ShardWrite.Delete) ws.get(3);
        assertThat(d3.vid()).isEqualTo(-1L);
        assertThat(d3.id().kind()).isEqualTo(DocId.Kind.STRING);
        assertThat(d3.id().toString()).isEqualTo("gone ✓");
        ShardWrite.Put p4 = (ShardWrite.Put) ws.get(4);
        DocumentCodecGoldenTest.assertStringId(new DocumentCodec.Stored(p4.vid(), p4.doc()));
        assertThat(ws).isEqualTo(sample());
        assertThat(now).isEqualTo(g);
        assertEveryBitFlipRejected(g, ShardWriteCodec::decode, "corrupt");
    }

    @Test
    void emptyBatchV1() throws Exception {
        byte[] now = ShardWriteCodec.encode(List.of());
        byte[] g = golden("shard-write-batch-empty-v1.bin", now);
        assertThat(g).hasSize(13);
        assertThat(ShardWriteCodec.decode(g)).isEmpty();
        assertThat(now).isEqualTo(g);
        assertEveryBitFlipRejected(g, ShardWriteCodec::decode, "corrupt");
    }

    @Test
    void rejectsWhatIsNotABatch() throws Exception {
        byte[] g = ShardWriteCodec.encode(sample());
        assertThatThrownBy(() -> ShardWriteCodec.decode(new byte[12])).hasMessageContaining("too short");
        byte[] future = g.clone();
        future[4] = 2;
        assertThatThrownBy(() -> ShardWriteCodec.decode(future)).hasMessageContaining("unknown version 2");
        byte[] magic = g.clone();
        magic[1] ^= 1;
        assertThatThrownBy(() -> ShardWriteCodec.decode(magic)).hasMessageContaining("bad magic");
        assertThatThrownBy(() -> ShardWriteCodec.decode(Arrays.copyOf(g, g.length - 1))).hasMessageContaining("corrupt shard write batch");
    }

}
