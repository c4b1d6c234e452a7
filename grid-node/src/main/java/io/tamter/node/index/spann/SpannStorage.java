package io.tamter.node.index.spann;

import io.tamter.node.storage.ShardDb;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * Where the index keeps its state in the shard's RocksDB, and nothing else:
 * <ul>
 *   <li>{@code postings}: key = head id (8 bytes big-endian), value = {@link PostingCodec};
 *       the flat posting of a not-yet-built index is head id {@link #FLAT_HEAD}.</li>
 *   <li>{@code centroids}: key = head id, value = {@link HeadCodec}.</li>
 *   <li>{@code versions}: key = vid (8 bytes big-endian), value = 2 bytes, the vid's 16-bit version slot little-endian
 *       ({@link VersionMap#encode}/{@link VersionMap#decode}; 1-byte values of 8-bit-version stores are rejected).</li>
 *   <li>{@code meta}: key {@code "spfresh"} = {@link IndexMetaCodec}.</li>
 * </ul>
 * Big-endian keys so that iteration order is numeric order.
 */
public final class SpannStorage {
    /** The posting that holds every vector while the index is below its build threshold. */
    public static final int FLAT_HEAD = Integer.MAX_VALUE;
    static final byte[] META_KEY = "spfresh".getBytes(StandardCharsets.UTF_8);

    private final ShardDb db;
    private final ReadOptions reads;
    /** The index's posting cache; null for views that read RocksDB only (the integrity check's snapshot). */
    private final PostingCache cache;
    /** Turns a posting just written into its cache entry (bounds, codes), or null; set by the searcher. */
    private volatile Warmer warmer;

    /** What the cache should hold for a posting just written whole (see {@link #commit}); null to just drop it. */
    @FunctionalInterface
    interface Warmer {
        PostingCache.Entry entry(int headId, byte[] posting);
    }

    void setWarmer(Warmer w) {
        this.warmer = w;
    }

    public SpannStorage(ShardDb db) {
        this(db, db.readOptions());
    }

    /** The index's own storage: reads through {@code cache}, and {@link #commit} keeps the cache coherent. */
    SpannStorage(ShardDb db, PostingCache cache) {
        this.db = db;
        this.reads = db.readOptions();
        this.cache = cache;
    }

    /**
     * A view that reads with {@code reads}, e.g. through a snapshot: a check that scans several
     * column families one after the other must see them as of one moment, or a split or reassign
     * committed between two scans looks like a lost vector.
     */
    public SpannStorage(ShardDb db, ReadOptions reads) {
        this.db = db;
        this.reads = reads;
        this.cache = null;
    }

    /** The posting cache of this storage, or null. */
    PostingCache cache() {
        return cache;
    }

    /**
     * A write batch of the index that remembers which postings it touches, so that committing it
     * ({@link #commit}) invalidates exactly those postings in the cache. The posting helpers
     * below take only this type, so no posting write can bypass the invalidation.
     */
    public static final class PostingBatch extends WriteBatch {
        /**
         * Every posting this batch writes whole, appends to or deletes, with what it wrote when the
         * last of those was a whole write, null otherwise (the final state is what the cache follows).
         */
        private final java.util.Map<Integer, byte[]> touched = new java.util.HashMap<>();

        void put(int headId, byte[] posting) {
            touched.put(headId, posting);
        }

        void appended(int headId) {
            touched.put(headId, null);
        }

        void deleted(int headId) {
            touched.put(headId, null);
        }
    }

    /**
     * Writes {@code b} to RocksDB, then brings the cache up to it (after the write: see
     * {@link PostingCache} for why that order keeps the cache coherent): a posting the batch wrote
     * whole last (a split's, merge's or rewrite's new posting) is replaced by what was written,
     * described by the {@link Warmer} (so that the searches after a split find its new postings in
     * memory rather than read them from BlobDB, and the rebalancer, not a search, pays for
     * decoding them); one it appended to or deleted is dropped. Then it empties its lists so that
     * the batch can be cleared and reused.
     *
     * <p>Appends drop the cached posting rather than extend it. Extending it (2026-12-07) kept
     * hot postings in memory under a stream of inserts, but on the clustered-shift runbook the
     * delete phase then fell from 0.97-0.99 to 0.75-0.85 recall, its searches ran at a third of
     * the speed, and LIRE drained twice as slowly (benchmarks/README.md); why was not found.
     */
    public void commit(PostingBatch b) {
        db.write(b);
        if (cache != null) {
            Warmer w = warmer;
            for (java.util.Map.Entry<Integer, byte[]> t : b.touched.entrySet()) {
                PostingCache.Entry e = t.getValue() == null || w == null ? null : w.entry(t.getKey(), t.getValue());
                if (e != null) cache.put(t.getKey(), e);
                else cache.invalidate(t.getKey());
            }
        }
        b.touched.clear();
    }

    public ShardDb db() {
        return db;
    }

    public static byte[] key(long id) {
        return ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putLong(id).array();
    }

    public static long keyToLong(byte[] k) {
        return ByteBuffer.wrap(k).order(ByteOrder.BIG_ENDIAN).getLong();
    }

    public byte[] posting(int headId) {
        return get(db.postings(), key(headId));
    }

    /** The postings of {@code count} heads in one multi-get; a missing posting is null. */
    public List<byte[]> postings(int[] headIds, int count) {
        if (count == 0) return List.of(); // RocksJava asserts on an empty multi-get
        List<ColumnFamilyHandle> cfs = new ArrayList<>(count);
        List<byte[]> keys = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            cfs.add(db.postings());
            keys.add(key(headIds[i]));
        }
        try {
            return db.db().multiGetAsList(reads, cfs, keys);
        } catch (RocksDBException e) {
            throw new IllegalStateException("posting multi-get failed: " + e.getMessage(), e);
        }
    }

    public byte[] head(int headId) {
        return get(db.centroids(), key(headId));
    }

    public byte[] meta() {
        return get(db.meta(), META_KEY);
    }

    private byte[] get(ColumnFamilyHandle cf, byte[] key) {
        try {
            return db.db().get(cf, reads, key);
        } catch (RocksDBException e) {
            throw new IllegalStateException("RocksDB get failed: " + e.getMessage(), e);
        }
    }

    // ---- batch helpers: every mutation of the index is one WriteBatch ----

    public static void append(PostingBatch b, ShardDb db, int headId, byte[] entry) {
        b.appended(headId);
        try {
            b.merge(db.postings(), key(headId), entry);
        } catch (RocksDBException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void putPosting(PostingBatch b, ShardDb db, int headId, byte[] posting) {
        b.put(headId, posting);
        put(b, db.postings(), key(headId), posting);
    }

    public static void putHead(WriteBatch b, ShardDb db, int headId, byte[] head) {
        put(b, db.centroids(), key(headId), head);
    }

    public static void deleteHeadAndPosting(PostingBatch b, ShardDb db, int headId) {
        b.deleted(headId);
        try {
            b.delete(db.postings(), key(headId));
            b.delete(db.centroids(), key(headId));
        } catch (RocksDBException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void deletePosting(PostingBatch b, ShardDb db, int headId) {
        b.deleted(headId);
        try {
            b.delete(db.postings(), key(headId));
        } catch (RocksDBException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void putVersion(WriteBatch b, ShardDb db, long vid, int value) {
        put(b, db.versions(), key(vid), VersionMap.encode(value));
    }

    public static void putMeta(WriteBatch b, ShardDb db, byte[] meta) {
        put(b, db.meta(), META_KEY, meta);
    }

    /** Deletes the index's meta record (the shard empties its index to rebuild it under another metric). */
    public static void deleteMeta(WriteBatch b, ShardDb db) {
        try {
            b.delete(db.meta(), META_KEY);
        } catch (RocksDBException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void put(WriteBatch b, ColumnFamilyHandle cf, byte[] k, byte[] v) {
        try {
            b.put(cf, k, v);
        } catch (RocksDBException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- scans (open, integrity check) ----

    public interface EntryVisitor {
        void visit(long key, byte[] value);
    }

    public void forEachHead(EntryVisitor v) {
        scan(db.centroids(), v);
    }

    public void forEachPosting(EntryVisitor v) {
        scan(db.postings(), v);
    }

    public void forEachVersion(EntryVisitor v) {
        scan(db.versions(), v);
    }

    private void scan(ColumnFamilyHandle cf, EntryVisitor v) {
        try (RocksIterator it = db.db().newIterator(cf, reads)) {
            for (it.seekToFirst(); it.isValid(); it.next()) v.visit(keyToLong(it.key()), it.value());
            it.status();
        } catch (RocksDBException e) {
            throw new IllegalStateException("RocksDB scan failed: " + e.getMessage(), e);
        }
    }
}
