package io.tamter.node.doc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DocIdTest {
    static final ObjectMapper M = new ObjectMapper();

    @Test
    void idsRoundTripInTheirType() throws Exception {
        for (String json : List.of("0", "42", "18446744073709551615", "\"550e8400-e29b-41d4-a716-446655440000\"", "\"product-123\"")) {
            DocId id = DocId.fromJson(M.readTree(json), "id");
            assertThat(id.toJson().toString()).isEqualTo(json);
            assertThat(DocId.fromKey(id.key())).isEqualTo(id);
        }
        assertThat(DocId.fromJson(M.readTree("\"550E8400-E29B-41D4-A716-446655440000\""), "id").kind()).isEqualTo(DocId.Kind.UUID);
        assertThat(DocId.fromJson(M.readTree("7"), "id").key()).containsExactly(1, 0, 0, 0, 0, 0, 0, 0, 7);
    }

    @Test
    void badIdsNameThePath() {
        for (String json : List.of("-1", "18446744073709551616", "1.5", "true", "null", "\"\"", "{}",
                "\"" + "x".repeat(65) + "\"")) {
            assertThatThrownBy(() -> DocId.fromJson(M.readTree(json), "upsert_rows[3].id"))
                    .isInstanceOf(InvalidRequestException.class).hasMessageStartingWith("upsert_rows[3].id");
        }
    }

    @Test
    void controlCharactersInStringIdsAreRefused() throws Exception {
        for (String id : List.of("a\u0000b", "\u0000", "tab\there", "line\n", "cr\r", "\u001F", "del\u007F", "esc\u001B[0m")) {
            String json = M.writeValueAsString(id);
            assertThatThrownBy(() -> DocId.fromJson(M.readTree(json), "upsert_rows[1].id"))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                        assertThat(e.code()).isEqualTo("invalid_id");
                        assertThat(e.path()).isEqualTo("upsert_rows[1].id");
                    })
                    .hasMessageStartingWith("upsert_rows[1].id: an id string must not contain control characters");
        }
        // neighbours of the control ranges stay valid ids; C1 controls (U+0080-U+009F) are not refused
        for (String id : List.of(" x", "x~", "\u00A0", "\u0080", "caf\u00E9"))
            assertThat(DocId.fromJson(M.readTree(M.writeValueAsString(id)), "id").toString()).isEqualTo(id);
        // ids the engine itself sends back (stored before the rule) still decode
        assertThat(DocId.fromStoredJson(M.readTree("\"old\\u0000id\"")).toString()).isEqualTo("old\u0000id");
    }

    @Test
    void routingIsStableFnv1a() {
        // FNV-1a 64 of the key bytes {1,0,0,0,0,0,0,0,7}; fixed forever
        DocId id = DocId.ofU64(7);
        assertThat(DocId.fnv1a64(new byte[0])).isEqualTo(0xcbf29ce484222325L);
        int s = id.shard(16);
        assertThat(s).isEqualTo((int) Long.remainderUnsigned(DocId.fnv1a64(id.key()), 16));
        assertThat(DocId.ofString("a", "id").shard(1)).isZero();
    }

    @Test
    void documentCodecRoundTripsAndDetectsCorruption() throws Exception {
        Document d = new Document(DocId.ofString("doc-1", "id"), new float[] {1, 2.5f}, "hello world",
                Map.of("price", M.readTree("12.5"), "tags", M.readTree("[\"a\",\"b\"]")));
        byte[] b = DocumentCodec.encode(99, d);
        DocumentCodec.Stored s = DocumentCodec.decode(b);
        assertThat(s.vid()).isEqualTo(99);
        assertThat(s.doc()).isEqualTo(d);
        Document bare = new Document(DocId.ofU64(-1), null, null, Map.of());
        assertThat(DocumentCodec.decode(DocumentCodec.encode(0, bare)).doc()).isEqualTo(bare);
        b[20] ^= 1;
        assertThatThrownBy(() -> DocumentCodec.decode(b)).hasMessageContaining("checksum");
    }
}
