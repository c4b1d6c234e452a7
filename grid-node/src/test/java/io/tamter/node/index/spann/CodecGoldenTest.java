package io.tamter.node.index.spann;

import static io.tamter.node.GoldenFiles.golden;
import static io.tamter.node.GoldenFiles.frozen;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tamter.node.vector.VectorMetric;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The index's binary formats, read back from golden files of each released version
 * (src/test/resources/golden). The files were written by this code with
 * {@code -Dtamter.writeGolden=true}; a later version must still read them, or reject them with a
 * clear message where a format was retired (posting format 1, see {@link PostingCodec}).
 */
class CodecGoldenTest {
    private static final float[] V0 = {1f, 2f, 3f};
    private static final float[] V1 = {-1.5f, 0f, 3.25f};



    @Test
    void postingV1IsRejected() throws Exception {
        // format 1 (8-bit entry versions, which wrapped after 128 updates) is no longer read: no
        // such data was deployed, and reading it would need the old version map too
        byte[] g = frozen("posting-v1.bin");
        // header: magic "TPST", version 1, encoding 0, dim 3 (u16 LE); entries [i64 vid][u8 version][f32 x 3]
        assertThat(Arrays.copyOf(g, 8)).containsExactly(0x54, 0x50, 0x53, 0x54, 1, 0, 3, 0);
        assertThat(g).hasSize(8 + 2 * (9 + 12));
        assertThatThrownBy(() -> PostingCodec.count(g, 3, 4)).isInstanceOf(CorruptIndexException.class)
                .hasMessageContaining("posting of head 4 has format version 1")
                .hasMessageContaining("8-bit entry versions")
                .hasMessageContaining("reads versions 2..2")
                .hasMessageContaining("rebuild the index");
    }

    @Test
    void postingV2() throws Exception {
        byte[] now = PostingCodec.encode(3, 3, new long[] {7, 1L << 40, 9}, new int[] {1, 0x7FFF, 300}, new float[][] {V0, V1, V0});
        byte[] g = golden("posting-v2.bin", now);
        // header: magic "TPST", version 2, encoding 0, dim 3 (u16 LE)
        assertThat(Arrays.copyOf(g, 8)).containsExactly(0x54, 0x50, 0x53, 0x54, 2, 0, 3, 0);
        assertThat(g).hasSize(8 + 3 * (10 + 12));
        // first entry: vid 7 (i64 LE), version 1 (u16 LE), then the floats
        assertThat(Arrays.copyOfRange(g, 8, 18)).containsExactly(7, 0, 0, 0, 0, 0, 0, 0, 1, 0);
        // second entry's version 0x7FFF, little-endian
        assertThat(Arrays.copyOfRange(g, 8 + 22 + 8, 8 + 22 + 10)).containsExactly(0xFF, 0x7F);
        assertThat(PostingCodec.count(g, 3, 0)).isEqualTo(3);
        assertThat(PostingCodec.vid(g, 3, 0)).isEqualTo(7);
        assertThat(PostingCodec.version(g, 3, 0)).isEqualTo(1);
        assertThat(PostingCodec.vector(g, 3, 0, new float[3])).containsExactly(V0);
        assertThat(PostingCodec.vid(g, 3, 1)).isEqualTo(1L << 40);
        assertThat(PostingCodec.version(g, 3, 1)).isEqualTo(0x7FFF);
        assertThat(PostingCodec.vector(g, 3, 1, new float[3])).containsExactly(V1);
        assertThat(PostingCodec.vid(g, 3, 2)).isEqualTo(9);
        assertThat(PostingCodec.version(g, 3, 2)).isEqualTo(300);
        assertThat(now).isEqualTo(g);
        // an append is exactly one entry, so header + entries concatenate into a valid posting
        byte[] appended = concat(PostingCodec.header(3), PostingCodec.entry(7, 1, V0), PostingCodec.entry(1L << 40, 0x7FFF, V1),
                PostingCodec.entry(9, 300, V0));
        assertThat(appended).isEqualTo(g);
    }

    @Test
    void versionRecords() {
        assertThat(VersionMap.encode(0x8000 | 300)).containsExactly(0x2C, 0x81);
        assertThat(VersionMap.decode(5, new byte[] {0x2C, (byte) 0x81})).isEqualTo(0x8000 | 300);
        assertThatThrownBy(() -> VersionMap.decode(5, new byte[] {1})).isInstanceOf(CorruptIndexException.class)
                .hasMessageContaining("vid 5").hasMessageContaining("8-bit versions").hasMessageContaining("rebuild the index");
        assertThatThrownBy(() -> VersionMap.decode(5, new byte[3])).isInstanceOf(CorruptIndexException.class)
                .hasMessageContaining("3 bytes, expected 2");
    }

    @Test
    void postingRejectsWhatIsNotAPosting() {
        byte[] p = PostingCodec.encode(3, 1, new long[] {1}, new int[] {1}, new float[][] {V0});
        assertThatThrownBy(() -> PostingCodec.count(Arrays.copyOf(p, p.length - 1), 3, 9))
                .isInstanceOf(CorruptIndexException.class).hasMessageContaining("head 9").hasMessageContaining("not a multiple");
        assertThatThrownBy(() -> PostingCodec.count(p, 4, 9)).hasMessageContaining("dim 3, index has 4");
        byte[] badMagic = p.clone();
        badMagic[0] ^= 1;
        assertThatThrownBy(() -> PostingCodec.count(badMagic, 3, 9)).hasMessageContaining("magic");
        byte[] future = p.clone();
        future[4] = 9;
        assertThatThrownBy(() -> PostingCodec.count(future, 3, 9)).hasMessageContaining("format version 9");
        assertThatThrownBy(() -> PostingCodec.count(new byte[3], 3, 9)).hasMessageContaining("shorter than its header");
    }

    @Test
    void headV1() throws Exception {
        byte[] now = HeadCodec.encode(V1, 42);
        byte[] g = golden("head-v1.bin", now);
        assertThat(Arrays.copyOf(g, 4)).containsExactly(0x54, 0x48, 0x45, 0x44); // "THED"
        HeadCodec.Head h = HeadCodec.decode(g, 3, 5);
        assertThat(h.centroid()).containsExactly(V1);
        assertThat(h.lengthHint()).isEqualTo(42);
        assertThat(now).isEqualTo(g);
        byte[] flipped = g.clone();
        flipped[14] ^= 0x10;
        assertThatThrownBy(() -> HeadCodec.decode(flipped, 3, 5)).isInstanceOf(CorruptIndexException.class)
                .hasMessageContaining("head record 5 fails its checksum");
    }

    @Test
    void metaV1() throws Exception {
        IndexMetaCodec.Meta m = new IndexMetaCodec.Meta(IndexMetaCodec.State.BUILT, VectorMetric.EUCLIDEAN_SQUARED, 128, 1234567L);
        byte[] now = IndexMetaCodec.encode(m);
        byte[] g = golden("index-meta-v1.bin", now);
        assertThat(IndexMetaCodec.decode(g)).isEqualTo(m);
        assertThat(now).isEqualTo(g);
        byte[] flipped = g.clone();
        flipped[9] ^= 1;
        assertThatThrownBy(() -> IndexMetaCodec.decode(flipped)).hasMessageContaining("checksum");
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }
}
