package io.tamter.node.shard;

import io.tamter.node.storage.ShardDb;
import io.tamter.node.index.spann.IndexMetaCodec;
import io.tamter.node.index.spann.SpannStorage;
import io.tamter.node.vector.VectorMetric;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rebuild of a shard's vector index after its namespace's metric changed (API.md
 * {@code configure-metric}).
 *
 * <p>An SPFresh index is built for one metric (cosine stores normalized vectors; heads and
 * postings are placed by that metric's distances), so a new metric needs a new index. The shard
 * ({@link Shard#changeMetric}) empties the index column families ({@link #reset}: postings,
 * centroids, versions and the index's meta record, plus the marker {@code engine.vector_rebuild}
 * in the same RocksDB batch) and opens an empty index under the new metric; writes from then on
 * go into it as usual. This class then walks the stored documents in vid order in batches, each
 * under the shard's apply lock (which applies of writes hold), and inserts every vector the new index does not hold yet, so a
 * concurrent write or delete is never undone by the walk. When the walk reaches the end the
 * marker is deleted and the shard searches its index again; until then the shard answers vector
 * searches exactly from the stored vectors, under the new metric.
 *
 * <p>A restart during the rebuild finds the marker (or an index whose meta record names another
 * metric than the namespace's) when the shard opens, and starts over ({@link #needed}); the same
 * holds for a shard restored from a checkpoint taken during the rebuild.
 *
 * <p>Under cosine distance a stored zero vector (written under another metric) has no distance:
 * it is left out of the index and out of exact searches, and counted in {@link #skippedZeroVectors()}.
 */
public final class VectorIndexRebuild {
    private static final Logger LOG = LoggerFactory.getLogger(VectorIndexRebuild.class);
    /** Marker in the {@code meta} column family while a rebuild is unfinished. */
    static final byte[] REBUILD_KEY = "engine.vector_rebuild".getBytes(StandardCharsets.UTF_8);
    /** Documents visited per step (one hold of the shard's apply lock). */
    static final int BATCH = 256;
    /** Tests: while set, rebuild threads wait on it before each step. */
    static volatile CountDownLatch holdForTests;

    private final Shard shard;
    private final long total;
    private final AtomicLong visited = new AtomicLong();
    private final AtomicLong vectorBytesVisited = new AtomicLong();
    private final AtomicLong skippedZero = new AtomicLong();
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile boolean cancelled;

    VectorIndexRebuild(Shard shard) {
        this.shard = shard;
        long n;
        try {
            n = shard.count();
        } catch (IOException e) {
            n = 0;
        }
        this.total = n;
    }

    /** Whether the index in {@code db} must be rebuilt for {@code metric}: an unfinished rebuild, or an index of another metric. */
    static boolean needed(ShardDb db, VectorMetric metric) {
        try {
            if (db.db().get(db.meta(), REBUILD_KEY) != null) return true;
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot read the index rebuild marker in " + db.dir() + ": " + e.getMessage(), e);
        }
        byte[] meta = new SpannStorage(db).meta();
        return meta != null && IndexMetaCodec.decode(meta).metric() != metric;
    }

    /** Empties the vector index in {@code db} and records that a rebuild is due, in one batch. */
    static void reset(ShardDb db) {
        try (WriteBatch b = new WriteBatch()) {
            for (ColumnFamilyHandle cf : new ColumnFamilyHandle[] {db.postings(), db.centroids(), db.versions()}) {
                try (RocksIterator it = db.db().newIterator(cf)) {
                    it.seekToFirst();
                    if (!it.isValid()) continue;
                    byte[] first = it.key();
                    it.seekToLast();
                    byte[] last = it.key();
                    b.deleteRange(cf, first, last);
                    b.delete(cf, last);
                }
            }
            SpannStorage.deleteMeta(b, db);
            b.put(db.meta(), REBUILD_KEY, new byte[] {1});
            db.write(b);
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot reset the vector index in " + db.dir() + ": " + e.getMessage(), e);
        }
    }

    void start() {
        Thread t = new Thread(this::run, "tamter-index-rebuild-" + shard.id());
        t.setDaemon(true);
        t.start();
    }

    private void run() {
        long t0 = System.nanoTime();
        try {
            long next = 0;
            while (!cancelled) {
                CountDownLatch hold = holdForTests;
                if (hold != null) hold.await();
                next = shard.rebuildStep(this, next, BATCH);
                if (next == -1) {
                    LOG.info("rebuilt the vector index of shard {} under {}: {} documents in {} ms{}", shard.id(), shard.metric().apiName(),
                            visited.get(), (System.nanoTime() - t0) / 1_000_000,
                            skippedZero.get() == 0 ? "" : " (" + skippedZero.get() + " zero vectors left out: no cosine distance)");
                    return;
                }
                if (next == -2) return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            LOG.error("vector index rebuild of shard {} failed (searches stay exact; reopening the shard starts it over): {}", shard.id(),
                    e.toString(), e);
        } finally {
            done.countDown();
        }
    }

    /** Stops this rebuild (the shard closes, or a newer metric change replaces it). */
    void cancel() {
        cancelled = true;
    }

    /** Waits until this rebuild's thread has ended; false on timeout. */
    boolean await(long timeoutMs) throws InterruptedException {
        return done.await(timeoutMs, TimeUnit.MILLISECONDS);
    }

    void visited(int dims) {
        visited.incrementAndGet();
        vectorBytesVisited.addAndGet(4L * dims);
    }

    void skippedZero() {
        skippedZero.incrementAndGet();
    }

    /** Documents of the shard when the rebuild started. */
    public long total() {
        return total;
    }

    /** Documents visited so far. */
    public long visited() {
        return visited.get();
    }

    /**
     * Bytes of vectors not yet visited: an estimate from the documents left and the mean vector
     * size so far (or {@code dims} floats per document before the first step).
     */
    public long remainingBytes(int dims) {
        long v = visited.get();
        long left = Math.max(0, total - v);
        long perDoc = v == 0 ? 4L * dims : vectorBytesVisited.get() / v;
        return left * perDoc;
    }

    /** Zero vectors left out under cosine distance so far. */
    public long skippedZeroVectors() {
        return skippedZero.get();
    }
}
