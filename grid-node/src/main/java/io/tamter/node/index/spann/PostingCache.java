package io.tamter.node.index.spann;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Postings kept in memory, decoded (see {@link Entry}), bounded in bytes
 * ({@code index.posting_cache_bytes}; Caffeine's size-weighted W-TinyLFU), so that a search
 * scans a posting where it lies instead of reading it from a BlobDB file on every query.
 * Each entry also carries what the search needs to skip a posting without scanning it: the
 * posting's radius around its head (see {@link Entry#radius}).
 *
 * <p><b>Coherence.</b> Every write to a posting (append, rewrite, delete) goes through
 * {@link SpannStorage#commit}, which writes the batch to RocksDB and then calls
 * {@link #invalidate} for each head it touched. A reader takes a {@link #stamp} of the head
 * <em>before</em> it reads RocksDB and {@link #offer}s what it read with that stamp; the offer is
 * refused when an invalidation of that head (or of another head of the same stripe) came in
 * between. Invalidation bumps the stripe and removes the entry inside one atomic
 * {@code compute} of the head's key, and an offer checks the stripe inside a {@code compute} of
 * the same key, so the two are ordered:
 * <ul>
 *   <li>invalidation first: the offer sees a new stamp (if its read was older) and is dropped, or
 *       the reader's stamp was taken after the bump, so its read saw the write;</li>
 *   <li>offer first: the entry goes in and the invalidation removes it.</li>
 * </ul>
 * So a posting in the cache is always the posting in RocksDB as of the last committed write,
 * and a search sees every write that completed before it started. Under heavy writes most
 * offers are refused; the cache fills again once writes to a region stop.
 *
 * <p>The radius of an offered posting is also kept in a table by head id that eviction does not
 * touch (4 bytes per head id), under the same protocol: set by an accepted offer, reset to
 * unknown (NaN) by an invalidation. So a search can skip a posting by its radius after the
 * posting itself was evicted, as long as nobody wrote to it since.
 */
final class PostingCache {
    private static final int STRIPES = 4096;
    private static final int[] NO_OUTLIERS = new int[0];
    /** Per-entry overhead beyond its arrays' contents: the entry, the key, the array headers and the cache's node. */
    private static final int ENTRY_OVERHEAD = 96;

    /**
     * A cached posting, decoded once when it is read so that a search scans plain arrays (the
     * kernels' float loads; measured on sift10k: 7,300–7,700 QPS against 4,400–5,000 scanning the
     * stored bytes, which the Vector API reads as bytes reinterpreted as floats).
     *
     * @param vids       the entries' vids
     * @param versions   their 16-bit versions (compare as {@code & 0xFFFF})
     * @param vectors    their vectors, row after row ({@code dim} floats each)
     * @param count      the entry count (live and stale)
     * @param radius     the largest Euclidean distance of any entry (live or stale) from the head's
     *                   centroid, or NaN when the metric has no such bound (dot product); with it,
     *                   no entry of the posting is closer to a query q than {@code |q - c| - radius}
     * @param coreRadius the largest distance from the centroid among the entries that are not
     *                   {@code outliers}; NaN with {@code radius}
     * @param outliers   indexes of the entries farther from the centroid than
     *                   {@link SpannSearcher#OUTLIER_RATIO} times the median entry: vectors that
     *                   LIRE has not yet moved to a head near them (ascending; often empty)
     * @param codes      the entries' 1-bit codes against the head ({@code index.code_min_dims}), or null
     */
    record Entry(long[] vids, short[] versions, float[] vectors, int count, float radius, float coreRadius, int[] outliers, ResidualCodes codes) {
        /** The entries of a stored posting ({@link PostingCodec}), without radius (NaN) and outliers. */
        static Entry decode(byte[] posting, int dim, int count) {
            long[] vids = new long[count];
            short[] versions = new short[count];
            float[] vectors = new float[count * dim];
            for (int i = 0; i < count; i++) {
                vids[i] = PostingCodec.vid(posting, dim, i);
                versions[i] = (short) PostingCodec.version(posting, dim, i);
                PostingCodec.vector(posting, dim, i, vectors, i * dim);
            }
            return new Entry(vids, versions, vectors, count, Float.NaN, Float.NaN, NO_OUTLIERS, null);
        }

        Entry withBounds(float radius, float coreRadius, int[] outliers) {
            return new Entry(vids, versions, vectors, count, radius, coreRadius, outliers, codes);
        }

        Entry withCodes(ResidualCodes c) {
            return new Entry(vids, versions, vectors, count, radius, coreRadius, outliers, c);
        }

        long bytes() {
            return (long) count * (Long.BYTES + Short.BYTES) + (long) vectors.length * Float.BYTES + (long) outliers.length * Integer.BYTES
                    + (codes == null ? 0 : codes.bytes());
        }
    }

    private static final java.lang.invoke.VarHandle RADIUS = java.lang.invoke.MethodHandles.arrayElementVarHandle(float[].class);
    private static final int RADIUS_CHUNK_BITS = 12;
    private static final int RADIUS_CHUNK = 1 << RADIUS_CHUNK_BITS;

    private final Cache<Integer, Entry> cache;
    /** Radii by head id in chunks of {@value #RADIUS_CHUNK}; NaN = unknown. Written only inside a compute of the head's key. */
    private volatile float[][] radii = new float[0][];
    private final Object radiiGrowLock = new Object();
    private final AtomicLongArray stripes = new AtomicLongArray(STRIPES);
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    PostingCache(long maxBytes) {
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((Integer k, Entry e) -> (int) Math.min(Integer.MAX_VALUE, e.bytes() + ENTRY_OVERHEAD))
                // eviction bookkeeping on the caller's thread: no work handed to the common pool
                .executor(Runnable::run)
                .build();
    }

    /** The cached posting of {@code head}, or null. */
    Entry get(int head) {
        Entry e = cache.getIfPresent(head);
        if (e == null) misses.increment();
        else hits.increment();
        return e;
    }

    /** To be taken before reading the posting of {@code head} from RocksDB; see the class comment. */
    long stamp(int head) {
        return stripes.get(stripe(head));
    }

    /** Caches {@code e} as the posting of {@code head} if nothing invalidated it since {@code stamp}. */
    void offer(int head, long stamp, Entry e) {
        int s = stripe(head);
        cache.asMap().compute(head, (k, old) -> {
            if (stripes.get(s) != stamp) return old;
            setRadius(head, e.radius());
            return e;
        });
    }

    /** The radius of the posting of {@code head} as last read, NaN if unknown or written since. */
    float radius(int head) {
        float[][] r = radii;
        int c = head >>> RADIUS_CHUNK_BITS;
        if (head < 0 || c >= r.length || r[c] == null) return Float.NaN;
        return (float) RADIUS.getVolatile(r[c], head & (RADIUS_CHUNK - 1));
    }

    private void setRadius(int head, float radius) {
        if (head < 0) return;
        int c = head >>> RADIUS_CHUNK_BITS;
        float[][] r = radii;
        if (c >= r.length || r[c] == null) {
            if (Float.isNaN(radius)) return; // unknown already
            synchronized (radiiGrowLock) {
                r = radii;
                if (c >= r.length) r = java.util.Arrays.copyOf(r, Math.max(c + 1, r.length * 2));
                if (r[c] == null) {
                    float[] chunk = new float[RADIUS_CHUNK];
                    java.util.Arrays.fill(chunk, Float.NaN);
                    r[c] = chunk;
                }
                radii = r;
            }
        }
        // volatile: a search on another thread must see an invalidation as soon as the write's commit returned
        RADIUS.setVolatile(r[c], head & (RADIUS_CHUNK - 1), radius);
    }

    /**
     * Caches {@code e} as the posting of {@code head} just written whole; called after the write,
     * under the same protocol as {@link #invalidate} (the stripe is bumped inside the key's
     * compute, so a reader that read the old posting cannot offer it afterwards).
     */
    void put(int head, Entry e) {
        int s = stripe(head);
        cache.asMap().compute(head, (k, old) -> {
            stripes.incrementAndGet(s);
            setRadius(head, e.radius());
            return e;
        });
    }

    /** Drops the posting of {@code head}; called after every committed write to it but whole writes. */
    void invalidate(int head) {
        int s = stripe(head);
        cache.asMap().compute(head, (k, old) -> {
            stripes.incrementAndGet(s);
            setRadius(head, Float.NaN);
            return null;
        });
    }

    /** Bytes held (by the weigher's count). */
    long bytes() {
        return cache.policy().eviction().map(ev -> ev.weightedSize().orElse(0L)).orElse(0L);
    }

    long hits() {
        return hits.sum();
    }

    long misses() {
        return misses.sum();
    }

    private static int stripe(int head) {
        return (head * 0x9E3779B1) >>> (32 - 12);
    }
}
