package io.tamter.node.index.spann;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import io.tamter.kernels.Kernels;
import io.tamter.kernels.Metric;
import io.tamter.kernels.PostingLayout;
import io.tamter.kernels.QueryVector;
import io.tamter.kernels.VectorKernels;
import io.tamter.node.vector.VectorMetric;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Version wrap-around (ABA): with 7-bit versions, the 129th update of a vid gave it the version
 * of an entry left stale in a posting that was never rewritten, and that entry's old vector was
 * read as the vid's content. With 15-bit versions 300 updates must never revive it.
 */
class VersionWrapTest {
    private static final int DIM = 4;
    private static final float[] OLD = {100f, 100f, 100f, 100f};
    private static final int UPDATES = 300;

    private static float[] fresh(int i) {
        return new float[] {i * 0.001f, -1f, 0.5f, 2f};
    }

    /** Posting A keeps vid 5's very first entry (never rewritten); every update appends to posting B. */
    @Test
    void staleEntryInAnUnrewrittenPostingNeverMatchesAgain() {
        long vid = 5, other = 6;
        VersionMap vm = new VersionMap(16);
        int v1 = VersionMap.nextVersion(vm.get(vid));
        assertThat(v1).isEqualTo(1);
        vm.set(vid, v1);
        vm.set(other, 1);
        byte[] a = concat(PostingCodec.header(DIM), PostingCodec.entry(vid, v1, OLD), PostingCodec.entry(other, 1, fresh(0)));
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(PostingCodec.header(DIM));
        List<VectorKernels> kernels = List.of(Kernels.select("scalar"), Kernels.select("vector"), Kernels.select("native"));
        QueryVector q = new QueryVector(OLD.clone());
        long[] outVids = new long[8];
        float[] outDists = new float[8];
        for (int i = 1; i <= UPDATES; i++) {
            int next = VersionMap.nextVersion(vm.get(vid));
            assertThat(next).isEqualTo(1 + i);
            b.writeBytes(PostingCodec.entry(vid, next, fresh(i)));
            vm.set(vid, next);

            LivePosting liveA = LivePosting.of(a, DIM, vm, 1);
            assertThat(liveA.count()).as("update %d: live entries of A", i).isEqualTo(1);
            assertThat(liveA.vid(0)).isEqualTo(other);
            assertThat(LivePosting.countLive(a, DIM, 2, vm)).isEqualTo(1);

            byte[] pb = b.toByteArray();
            LivePosting liveB = LivePosting.of(pb, DIM, vm, 2);
            assertThat(liveB.count()).as("update %d: live entries of B", i).isEqualTo(1);
            assertThat(liveB.vector(0)).containsExactly(fresh(i));

            for (VectorKernels k : kernels) {
                ByteBuffer versions = vm.buffer();
                int n = k.scanPosting(ByteBuffer.wrap(a), PostingCodec.HEADER_BYTES, 2, q, Metric.L2, versions, vm.limitFor(versions),
                        null, 0, Float.POSITIVE_INFINITY, 8, outVids, outDists);
                assertThat(n).as("%s update %d", k.name(), i).isEqualTo(1);
                assertThat(outVids[0]).as("%s update %d: the stale entry of vid 5 was reported", k.name(), i).isEqualTo(other);
                ByteBuffer direct = ByteBuffer.allocateDirect(pb.length).put(0, pb);
                n = k.scanPosting(direct, PostingCodec.HEADER_BYTES, i, q, Metric.L2, versions, vm.limitFor(versions),
                        null, 0, Float.POSITIVE_INFINITY, 8, outVids, outDists);
                assertThat(n).as("%s update %d: B", k.name(), i).isEqualTo(1);
                assertThat(outVids[0]).isEqualTo(vid);
            }
        }
        // the map wraps only after 0x7FFF, keeping the deleted bit out of the version
        assertThat(VersionMap.nextVersion(PostingLayout.VERSION_MASK)).isZero();
        assertThat(VersionMap.nextVersion(PostingLayout.DELETED_BIT | 7)).isEqualTo(8);
        assertThat(VersionMap.isDeleted(new VersionMap(4).get(3))).isTrue();
    }

    /** End to end in the flat phase: the first entry stays in the flat posting (never compacted) while the vid is updated. */
    @Test
    void searchNeverReturnsTheStaleVector(@TempDir Path dir) {
        Settings s = Settings.defaults().with(Params.BUILD_THRESHOLD, 100_000);
        try (SpfreshIndex index = SpfreshIndex.openStandalone(dir, VectorMetric.EUCLIDEAN_SQUARED, DIM, s)) {
            // enough live vectors that the flat posting's stale entries never become most of it
            for (int v = 10; v < 500; v++) index.insert(v, new float[] {-v, 0f, 0f, 0f});
            index.insert(1, OLD);
            byte[] before = index.core().storage.posting(SpannStorage.FLAT_HEAD);
            for (int i = 1; i <= UPDATES; i++) {
                index.insert(1, fresh(i));
                var r = index.search(OLD, 1);
                assertThat(r.matches()).hasSize(1);
                float expected = l2(OLD, fresh(i));
                assertThat(r.matches().get(0).vid()).as("update %d", i).isEqualTo(1);
                assertThat(r.matches().get(0).distance()).as("update %d: distance to the stale vector", i).isCloseTo(expected, within(0.5f));
            }
            byte[] after = index.core().storage.posting(SpannStorage.FLAT_HEAD);
            // the first entry was never rewritten away: the posting only grew by appends
            assertThat(after.length).isEqualTo(before.length + UPDATES * PostingCodec.entryBytes(DIM));
            assertThat(java.util.Arrays.copyOf(after, before.length)).isEqualTo(before);
        }
    }

    private static float l2(float[] x, float[] y) {
        float s = 0f;
        for (int i = 0; i < x.length; i++) {
            float d = x[i] - y[i];
            s += d * d;
        }
        return s;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }
}
