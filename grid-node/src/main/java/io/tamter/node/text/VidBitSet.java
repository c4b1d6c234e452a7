package io.tamter.node.text;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A set of vids as a bitset: bit {@code vid} of word {@code vid >>> 6} is set when the vid is in
 * the set. This is the form the SPFresh scan kernels take as a filter
 * ({@link #toByteBuffer}: little-endian 64-bit words, direct, so the native kernels can read it;
 * vids at or past {@link #limitBits()} are outside the set).
 */
public final class VidBitSet {
    private final long[] words;
    private final long limitBits;
    private final long cardinality;

    VidBitSet(long[] words, long limitBits, long cardinality) {
        this.words = words;
        this.limitBits = limitBits;
        this.cardinality = cardinality;
    }

    /** A bitset over the given words (not copied); its cardinality is counted. */
    public static VidBitSet of(long[] words, long limitBits) {
        if (limitBits < 0 || limitBits > (long) words.length * 64)
            throw new IllegalArgumentException("limitBits must be in [0, 64*words]; limitBits=" + limitBits + ", words=" + words.length);
        long c = 0;
        for (long w : words) c += Long.bitCount(w);
        return new VidBitSet(words, limitBits, c);
    }

    /** The words; bit {@code vid & 63} of word {@code vid >>> 6}. Shared, do not modify. */
    public long[] words() {
        return words;
    }

    /** Vids at or past this are not in the set (one past the largest vid the index held, or more). */
    public long limitBits() {
        return limitBits;
    }

    /** Number of vids in the set. */
    public long cardinality() {
        return cardinality;
    }

    public boolean get(long vid) {
        return vid >= 0 && vid < limitBits && (words[(int) (vid >>> 6)] & (1L << vid)) != 0;
    }

    /**
     * The words as a direct little-endian buffer, positioned at 0, for the vector index's filter:
     * written into {@code reuse} when it is a direct little-endian buffer large enough
     * (bytes past the words are left as they were: readers stop at {@link #limitBits()}), else
     * into a new one (when it replaces one too small, twice the size needed, so that a caller
     * keeping it for the next filter of a growing shard reallocates seldom). A filtered search reuses one per thread instead of
     * allocating direct memory per query.
     */
    public ByteBuffer toByteBuffer(ByteBuffer reuse) {
        int bytes = Math.max(8, words.length * 8);
        ByteBuffer b = reuse != null && reuse.isDirect() && reuse.capacity() >= bytes && reuse.order() == ByteOrder.LITTLE_ENDIAN
                ? reuse.clear()
                : ByteBuffer.allocateDirect(reuse == null ? bytes : 2 * bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < words.length; i++) b.putLong(i * 8, words[i]);
        return b;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof VidBitSet v)) return false;
        int n = Math.max(words.length, v.words.length);
        for (int i = 0; i < n; i++) {
            long a = i < words.length ? words[i] : 0, b = i < v.words.length ? v.words[i] : 0;
            if (a != b) return false;
        }
        return true;
    }

    @Override
    public int hashCode() {
        int n = words.length;
        while (n > 0 && words[n - 1] == 0) n--;
        return Arrays.hashCode(Arrays.copyOf(words, n));
    }

    @Override
    public String toString() {
        return "VidBitSet{cardinality=" + cardinality + ", limitBits=" + limitBits + "}";
    }
}
