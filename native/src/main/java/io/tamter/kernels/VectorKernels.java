package io.tamter.kernels;

import java.nio.ByteBuffer;

/**
 * The one seam for vector math (as jvector's {@code VectorizationProvider}, Lucene's
 * {@code VectorUtil}). Implementations: {@link ScalarKernels} (plain Java, the reference that
 * is always there), {@code VectorApiKernels} (the incubating Java Vector API) and
 * {@code NativeKernels} (C with AVX2/AVX-512, via JNA). {@link Kernels#get()} picks one at start.
 *
 * <p>Every implementation must return the same results as {@link ScalarKernels} up to float
 * rounding; {@code KernelParityTest} checks that at awkward sizes.
 */
public interface VectorKernels {

    /** Which memory a posting buffer should live in to be scanned without a copy. */
    enum BufferKind { HEAP, DIRECT }

    String name();

    BufferKind preferredBuffer();

    float dot(float[] a, int aOffset, float[] b, int bOffset, int dim);

    float squaredL2(float[] a, int aOffset, float[] b, int bOffset, int dim);

    /** {@link Metric} distance between two vectors. */
    default float distance(Metric metric, float[] a, int aOffset, float[] b, int bOffset, int dim) {
        return metric == Metric.L2 ? squaredL2(a, aOffset, b, bOffset, dim) : -dot(a, aOffset, b, bOffset, dim);
    }

    default float distance(Metric metric, float[] a, float[] b) {
        return distance(metric, a, 0, b, 0, a.length);
    }

    /**
     * Distances from {@code query} to {@code count} vectors stored contiguously in
     * {@code matrix} starting at {@code offset} ({@code dim} floats each), into {@code out[0..count)}.
     */
    void distances(Metric metric, float[] query, float[] matrix, int offset, int count, int dim, float[] out);

    /**
     * Sums of a quantized query over the set bits of 1-bit codes, the scan of quantized postings
     * (see {@code ResidualCodes}): {@code count} codes of {@code words} 64-bit words lie one after
     * another in {@code codes}; bit j of a code stands for component j (bit {@code j % 64} of word
     * {@code j / 64}). {@code table} holds, for every byte position p of a code (component
     * {@code 8p} to {@code 8p + 7}) and every byte value v, the query's quantized components summed
     * over v's set bits, at {@code table[256 * p + v]}. Then {@code out[i]} is the query summed over
     * code i's set bits: one table load per code byte, where summing bit planes took a popcount per
     * plane and word (eight planes for an 8-bit query: twice the time of the whole scan before).
     * Integer arithmetic, so every implementation gives the same answer; they all share this one.
     */
    default void byteTableSums(long[] codes, int words, int count, short[] table, int[] out) {
        for (int i = 0, base = 0; i < count; i++, base += words) {
            int s = 0;
            for (int w = 0, t = 0; w < words; w++, t += 2048) {
                long c = codes[base + w];
                s += table[t + (int) (c & 0xFF)] + table[t + 256 + (int) (c >>> 8 & 0xFF)]
                        + table[t + 512 + (int) (c >>> 16 & 0xFF)] + table[t + 768 + (int) (c >>> 24 & 0xFF)]
                        + table[t + 1024 + (int) (c >>> 32 & 0xFF)] + table[t + 1280 + (int) (c >>> 40 & 0xFF)]
                        + table[t + 1536 + (int) (c >>> 48 & 0xFF)] + table[t + 1792 + (int) (c >>> 56)];
            }
            out[i] = s;
        }
    }

    /**
     * Scans a packed posting list (see {@link PostingLayout}) against a query: the hot loop of search.
     *
     * @param posting      the posting bytes; heap or direct (see {@link #preferredBuffer()}); absolute indexing
     * @param offset       byte offset of the first entry in {@code posting}
     * @param count        number of entries
     * @param query        the prepared query ({@code dim} = its length)
     * @param metric       distance to compute
     * @param versions     version map, a direct buffer: the little-endian u16 at byte {@code 2 * vid} is the
     *                     current version of vid (bit 15 = deleted, see {@link PostingLayout}); entries whose
     *                     u16 version differs, or whose vid is {@code >= versionsLimit}, are stale and skipped
     * @param versionsLimit number of valid vids (u16 slots, not bytes) in {@code versions}
     * @param filter       optional allow-list bitset (little-endian 64-bit words; bit {@code vid} set = allowed), or null
     * @param filterLimitBits number of valid bits in {@code filter}; vids at or past it are not allowed
     * @param threshold    only entries with distance strictly below it are reported
     * @param k            at most this many entries are reported: the {@code k} closest live ones of this posting
     * @param outVids      receives the vids of reported entries (length >= k)
     * @param outDists     receives their distances (length >= k)
     * @return how many entries were reported, in no particular order
     */
    int scanPosting(ByteBuffer posting, int offset, int count, QueryVector query, Metric metric,
                    ByteBuffer versions, int versionsLimit, ByteBuffer filter, long filterLimitBits,
                    float threshold, int k, long[] outVids, float[] outDists);
}
