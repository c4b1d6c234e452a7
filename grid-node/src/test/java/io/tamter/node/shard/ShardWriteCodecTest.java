package io.tamter.node.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tamter.node.doc.DocId;
import io.tamter.node.doc.Document;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShardWriteCodecTest {
    @Test
    void roundTripAndCorruption() throws Exception {
        Document d = new Document(DocId.ofString("x", "id"), new float[] {0.5f, -1}, null,
                Map.of("n", new ObjectMapper().readTree("3")));
        List<ShardWrite> ws = List.of(new ShardWrite.Put(7, d), new ShardWrite.Delete(3, DocId.ofU64(12)));
        byte[] b = ShardWriteCodec.encode(ws);
        assertThat(ShardWriteCodec.decode(b)).isEqualTo(ws);
        assertThat(ShardWriteCodec.decode(ShardWriteCodec.encode(List.of()))).isEmpty();
        b[b.length - 6] ^= 0x10;
        assertThatThrownBy(() -> ShardWriteCodec.decode(b)).hasMessageContaining("checksum");
        byte[] c = ShardWriteCodec.encode(ws);
        c[4] = 9;
        assertThatThrownBy(() -> ShardWriteCodec.decode(c)).hasMessageContaining("unknown version 9");
    }
}
