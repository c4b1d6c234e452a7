package io.tamter.node.text;

import static org.assertj.core.api.Assertions.assertThat;

import io.tamter.kernels.PostingLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The filter buffer a search hands the vector index: reused per thread, read up to limitBits only. */
class VidBitSetTest {
    @Test
    void aLargeEnoughBufferIsReusedAndWhatItHeldBeforeIsNotReadAsMembers() {
        VidBitSet big = VidBitSet.of(new long[] {-1L, -1L, -1L, -1L}, 256); // every vid below 256
        ByteBuffer first = big.toByteBuffer(null);
        assertThat(first.isDirect()).isTrue();
        assertThat(first.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);

        VidBitSet small = VidBitSet.of(new long[] {0b1010L}, 64); // vids 1 and 3
        ByteBuffer again = small.toByteBuffer(first);
        assertThat(again).as("reused").isSameAs(first);
        for (long vid = 0; vid < 256; vid++)
            assertThat(PostingLayout.allowed(again, small.limitBits(), vid)).as("vid %d", vid).isEqualTo(vid == 1 || vid == 3);

        VidBitSet larger = VidBitSet.of(new long[8], 512);
        ByteBuffer grown = larger.toByteBuffer(again);
        assertThat(grown).as("too small: a new, larger buffer").isNotSameAs(again);
        assertThat(grown.capacity()).isGreaterThanOrEqualTo(2 * 64);
        for (long vid = 0; vid < 512; vid++) assertThat(PostingLayout.allowed(grown, larger.limitBits(), vid)).isFalse();

        ByteBuffer heap = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(small.toByteBuffer(heap)).as("a heap buffer is not what the native kernels read").isNotSameAs(heap);
    }
}
