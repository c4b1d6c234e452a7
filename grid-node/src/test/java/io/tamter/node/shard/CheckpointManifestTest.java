package io.tamter.node.shard;

import static java.nio.charset.StandardCharsets.UTF_8;
import static io.tamter.node.GoldenFiles.golden;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The manifest format, read back from the golden file of each released version
 * (src/test/resources/golden, written by this code at version 1 with {@code -Dtamter.writeGolden=true}),
 * round trips, and the manifests decoding rejects.
 */
class CheckpointManifestTest {
    static final CheckpointManifest SAMPLE = new CheckpointManifest(1, "golden-ns", 3, 7, 42, Instant.parse("2026-01-02T03:04:05.678Z"),
            "tamter-shard-db 1", 1,
            List.of(new CheckpointManifest.FileEntry("000012.sst", "golden-ns/shards/3/vectors/spfresh-index/000012.sst.4096.0a1b2c3d", 4096,
                            "0a1b2c3d"),
                    new CheckpointManifest.FileEntry("CURRENT", "golden-ns/shards/3/vectors/spfresh-index/CURRENT.ckpt-7-00112233aabbccdd", 16, "deadbeef")),
            List.of(new CheckpointManifest.FileEntry("segments_2", "golden-ns/shards/3/fulltext/bm25-index/segments_2.ckpt-7-00112233aabbccdd", 0,
                    "00000000")));


    @Test
    void manifestV1() throws Exception {
        byte[] g = golden("checkpoint-manifest-v1.json", SAMPLE.encode());
        String text = new String(g, UTF_8);
        assertThat(text).contains("\"format\" : \"tamter-shard-checkpoint\"", "\"format_version\" : 1", "\"wal_seq\" : 42",
                "\"crc32c\" : \"0a1b2c3d\"", "\"created_at\" : \"2026-01-02T03:04:05.678Z\"");
        CheckpointManifest m = CheckpointManifest.decode("k", g);
        assertThat(m).isEqualTo(SAMPLE);
        assertThat(m.encode()).isEqualTo(g);
        assertThat(m.keys()).containsExactly("golden-ns/shards/3/vectors/spfresh-index/000012.sst.4096.0a1b2c3d",
                "golden-ns/shards/3/vectors/spfresh-index/CURRENT.ckpt-7-00112233aabbccdd", "golden-ns/shards/3/fulltext/bm25-index/segments_2.ckpt-7-00112233aabbccdd");
    }

    @Test
    void unknownFieldsAreIgnored() throws Exception {
        String text = new String(SAMPLE.encode(), UTF_8).replaceFirst("\\{", "{\"later_field\":[1,2],");
        assertThat(CheckpointManifest.decode("k", text.getBytes(UTF_8))).isEqualTo(SAMPLE);
    }

    @Test
    void rejectsWhatItCannotRead() {
        String ok = new String(SAMPLE.encode(), UTF_8);
        assertThatThrownBy(() -> CheckpointManifest.decode("ns/shards/0/manifest.json", "{oops".getBytes(UTF_8)))
                .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("ns/shards/0/manifest.json").hasMessageContaining("not JSON");
        assertThatThrownBy(() -> CheckpointManifest.decode("k", ok.replace("\"format_version\" : 1", "\"format_version\" : 2").getBytes(UTF_8)))
                .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("format_version 2");
        assertThatThrownBy(() -> CheckpointManifest.decode("k", ok.replace("tamter-shard-checkpoint", "other").getBytes(UTF_8)))
                .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("'other'");
        assertThatThrownBy(() -> CheckpointManifest.decode("k", ok.replace("\"wal_seq\" : 42,", "").getBytes(UTF_8)))
                .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("wal_seq");
        assertThatThrownBy(() -> CheckpointManifest.decode("k", ok.replace("0a1b2c3d\"\n", "xyz\"\n").getBytes(UTF_8)))
                .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("crc32c");
        assertThatThrownBy(() -> CheckpointManifest.decode("k", ok.replace("\"name\" : \"CURRENT\"", "\"name\" : \"../x\"").getBytes(UTF_8)))
                .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("../x");
    }
}
