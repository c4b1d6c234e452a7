package io.tamter.node.doc;

import static io.tamter.node.GoldenFiles.assertEveryBitFlipRejected;
import static io.tamter.node.GoldenFiles.golden;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@link DocumentCodec}, read back from golden files of each released version
 * (src/test/resources/golden). The files were written by this code at format version 1 with
 * {@code -Dtamter.writeGolden=true}; a later version must still read them field by field.
 */
public class DocumentCodecGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();


    /** A document with every part: u64 id, vector, text, attributes of every JSON kind in a fixed order. */
    public static Document full() throws Exception {
        Map<String, JsonNode> a = new LinkedHashMap<>();
        a.put("v", JSON.readTree("42"));
        a.put("s", JSON.readTree("\"grün ☃\""));
        a.put("neg", JSON.readTree("-9007199254740993"));
        a.put("f", JSON.readTree("0.125"));
        a.put("b", JSON.readTree("true"));
        a.put("tags", JSON.readTree("[\"a\",\"b\",3]"));
        a.put("obj", JSON.readTree("{\"x\":1,\"y\":[null,false]}"));
        return new Document(DocId.ofU64(-2L), new float[] {1f, -0.5f, 3.25f, Float.MIN_VALUE}, "hello wörld", a);
    }

    /** A minimal document: UUID id, no vector, no text, no attributes. */
    public static Document bare() {
        return new Document(DocId.ofUuid(UUID.fromString("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")), null, null, Map.of());
    }

    /** A string id, a vector, empty text and one attribute. */
    public static Document stringId() throws Exception {
        return new Document(DocId.ofString("doc/7 ü", "id"), new float[] {0f, -0f}, "", Map.of("v", JSON.readTree("7")));
    }

    public static void assertFull(DocumentCodec.Stored s) throws Exception {
        assertThat(s.vid()).isEqualTo(0x0102030405060708L);
        Document d = s.doc();
        assertThat(d.id().kind()).isEqualTo(DocId.Kind.U64);
        assertThat(d.id().toString()).isEqualTo("18446744073709551614");
        assertThat(d.vector()).containsExactly(1f, -0.5f, 3.25f, Float.MIN_VALUE);
        assertThat(d.text()).isEqualTo("hello wörld");
        assertThat(new ArrayList<>(d.attributes().keySet())).containsExactly("v", "s", "neg", "f", "b", "tags", "obj");
        assertThat(d.attributes().get("v").isIntegralNumber()).isTrue();
        assertThat(d.attributes().get("v").longValue()).isEqualTo(42);
        assertThat(d.attributes().get("s").textValue()).isEqualTo("grün ☃");
        assertThat(d.attributes().get("neg").longValue()).isEqualTo(-9007199254740993L);
        assertThat(d.attributes().get("f").doubleValue()).isEqualTo(0.125);
        assertThat(d.attributes().get("b").booleanValue()).isTrue();
        assertThat(d.attributes().get("tags")).isEqualTo(JSON.readTree("[\"a\",\"b\",3]"));
        assertThat(d.attributes().get("obj")).isEqualTo(JSON.readTree("{\"x\":1,\"y\":[null,false]}"));
        assertThat(d).isEqualTo(full());
    }

    public static void assertBare(DocumentCodec.Stored s) {
        assertThat(s.vid()).isEqualTo(0);
        Document d = s.doc();
        assertThat(d.id().kind()).isEqualTo(DocId.Kind.UUID);
        assertThat(d.id().toString()).isEqualTo("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        assertThat(d.vector()).isNull();
        assertThat(d.text()).isNull();
        assertThat(d.attributes()).isEmpty();
        assertThat(d).isEqualTo(bare());
    }

    public static void assertStringId(DocumentCodec.Stored s) throws Exception {
        assertThat(s.vid()).isEqualTo(Long.MAX_VALUE);
        Document d = s.doc();
        assertThat(d.id().kind()).isEqualTo(DocId.Kind.STRING);
        assertThat(d.id().toString()).isEqualTo("doc/7 ü");
        float[] v = d.vector();
        assertThat(v).hasSize(2);
        assertThat(Float.floatToRawIntBits(v[0])).isEqualTo(0);
        assertThat(Float.floatToRawIntBits(v[1])).isEqualTo(0x80000000);
        assertThat(d.text()).isEqualTo("");
        assertThat(d.attributes()).containsOnlyKeys("v");
        assertThat(d.attributes().get("v").longValue()).isEqualTo(7);
        assertThat(d).isEqualTo(stringId());
    }

    @Test
    void fullDocumentV1() throws Exception {
        byte[] now = DocumentCodec.encode(0x0102030405060708L, full());
        byte[] g = golden("document-full-v1.bin", now);
        ByteBuffer b = ByteBuffer.wrap(g).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt()).isEqualTo(DocumentCodec.MAGIC);
        assertThat(Arrays.copyOf(g, 5)).containsExactly(0x43, 0x4F, 0x44, 0x54, 1); // magic LE, version 1
        assertThat(b.getLong(5)).isEqualTo(0x0102030405060708L);
        assertThat(b.getShort(13)).isEqualTo((short) 9);
        assertFull(DocumentCodec.decode(g));
        assertThat(now).isEqualTo(g);
        assertEveryBitFlipRejected(g, DocumentCodec::decode, "corrupt document");
    }

    @Test
    void bareDocumentV1() throws Exception {
        byte[] now = DocumentCodec.encode(0, bare());
        byte[] g = golden("document-bare-v1.bin", now);
        // 4 magic + 1 version + 8 vid + 2 + 17 key + 4 dims(-1) + 4 text(-1) + 4 + 2 "{}" + 4 crc
        assertThat(g).hasSize(50);
        ByteBuffer b = ByteBuffer.wrap(g).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt(32)).isEqualTo(-1);
        assertThat(b.getInt(36)).isEqualTo(-1);
        assertBare(DocumentCodec.decode(g));
        assertThat(now).isEqualTo(g);
        assertEveryBitFlipRejected(g, DocumentCodec::decode, "corrupt document");
    }

    @Test
    void stringIdDocumentV1() throws Exception {
        byte[] now = DocumentCodec.encode(Long.MAX_VALUE, stringId());
        byte[] g = golden("document-string-id-v1.bin", now);
        assertStringId(DocumentCodec.decode(g));
        assertThat(now).isEqualTo(g);
        assertEveryBitFlipRejected(g, DocumentCodec::decode, "corrupt document");
    }

    @Test
    void rejectsWhatIsNotADocument() throws Exception {
        byte[] g = DocumentCodec.encode(1, bare());
        assertThatThrownBy(() -> DocumentCodec.decode(new byte[10])).hasMessageContaining("too short");
        byte[] future = g.clone();
        future[4] = 2;
        assertThatThrownBy(() -> DocumentCodec.decode(future)).hasMessageContaining("unknown version 2");
        byte[] magic = g.clone();
        magic[0] ^= 1;
        assertThatThrownBy(() -> DocumentCodec.decode(magic)).hasMessageContaining("bad magic");
        assertThatThrownBy(() -> DocumentCodec.decode(Arrays.copyOf(g, g.length - 1))).hasMessageContaining("corrupt document");
    }

}
