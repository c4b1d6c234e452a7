package io.tamter.node.storage;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.Cache;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.MemoryUsageType;
import org.rocksdb.MemoryUtil;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.StringAppendOperator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The local RocksDB instance of one shard, with the column families of ARCHITECTURE.md:
 * {@code docs}, {@code postings}, {@code centroids}, {@code versions}, {@code meta}.
 *
 * <ul>
 *   <li>{@code postings}: values concatenated by {@code StringAppendOperator("")} so an
 *       append never reads; large values in BlobDB blob files (uncompressed: float vectors do
 *       not compress, and reads would pay for it).</li>
 *   <li>All column families share one LRU block cache of {@code storage.block_cache_bytes},
 *       with index and filter blocks charged to it, so the memory is bounded by configuration.</li>
 *   <li>Writes go through RocksDB's WAL without fsync: a killed process loses nothing that
 *       was written; a machine crash is covered by the shard's WAL in the object store.</li>
 * </ul>
 * The directory carries a {@code version.info}; opening a directory of an unknown version
 * fails with a message that says so.
 */
public final class ShardDb implements AutoCloseable {
    public static final String VERSION_FILE = "version.info";
    public static final String VERSION_LINE = "tamter-shard-db 1";

    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final RocksDB db;
    private final DBOptions dbOptions;
    private final List<ColumnFamilyOptions> cfOptions = new ArrayList<>();
    private final List<ColumnFamilyHandle> handles = new ArrayList<>();
    private final Cache blockCache;
    private final StringAppendOperator appendOperator;
    private final BloomFilter bloom;
    private final WriteOptions writeOptions;
    private final ReadOptions readOptions;
    private final ColumnFamilyHandle docs, postings, centroids, versions, meta;

    private ShardDb(Path dir, Settings settings) throws RocksDBException {
        this.dir = dir;
        this.blockCache = new LRUCache(settings.get(Params.BLOCK_CACHE_BYTES));
        this.appendOperator = new StringAppendOperator("");
        this.bloom = new BloomFilter(10);
        long writeBuffer = settings.get(Params.WRITE_BUFFER_BYTES);

        ColumnFamilyOptions base = cf(writeBuffer, CompressionType.LZ4_COMPRESSION);
        ColumnFamilyOptions postingsOpts = cf(writeBuffer, CompressionType.NO_COMPRESSION)
                .setMergeOperator(appendOperator)
                .setEnableBlobFiles(true)
                .setMinBlobSize(settings.get(Params.MIN_BLOB_BYTES))
                .setBlobCompressionType(CompressionType.NO_COMPRESSION)
                .setEnableBlobGarbageCollection(true);
        ColumnFamilyOptions vectorsOpts = cf(writeBuffer, CompressionType.NO_COMPRESSION);

        List<ColumnFamilyDescriptor> descs = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, base),
                new ColumnFamilyDescriptor(bytes("docs"), base),
                new ColumnFamilyDescriptor(bytes("postings"), postingsOpts),
                new ColumnFamilyDescriptor(bytes("centroids"), vectorsOpts),
                new ColumnFamilyDescriptor(bytes("versions"), base),
                new ColumnFamilyDescriptor(bytes("meta"), base));
        this.dbOptions = new DBOptions()
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                .setMaxBackgroundJobs(2)
                .setBytesPerSync(1 << 20)
                .setKeepLogFileNum(3);
        this.db = RocksDB.open(dbOptions, rocksDir(dir).toString(), descs, handles);
        this.docs = handles.get(1);
        this.postings = handles.get(2);
        this.centroids = handles.get(3);
        this.versions = handles.get(4);
        this.meta = handles.get(5);
        this.writeOptions = new WriteOptions();
        this.readOptions = new ReadOptions();
    }

    private ColumnFamilyOptions cf(long writeBuffer, CompressionType compression) {
        BlockBasedTableConfig table = new BlockBasedTableConfig()
                .setBlockCache(blockCache)
                .setFilterPolicy(bloom)
                .setCacheIndexAndFilterBlocks(true)
                .setPinL0FilterAndIndexBlocksInCache(true);
        ColumnFamilyOptions o = new ColumnFamilyOptions()
                .setTableFormatConfig(table)
                .setWriteBufferSize(writeBuffer)
                .setCompressionType(compression)
                .setLevelCompactionDynamicLevelBytes(true);
        cfOptions.add(o);
        return o;
    }

    /** Opens (creating if needed) the shard database under {@code dir}. */
    public static ShardDb open(Path dir, Settings settings) {
        try {
            Files.createDirectories(dir);
            checkOrWriteVersion(dir);
            return new ShardDb(dir, settings);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open shard directory " + dir + ": " + e.getMessage(), e);
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot open RocksDB in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void checkOrWriteVersion(Path dir) throws IOException {
        Path vf = dir.resolve(VERSION_FILE);
        if (Files.exists(vf)) {
            String line = Files.readString(vf, StandardCharsets.UTF_8).trim();
            if (!line.equals(VERSION_LINE)) {
                throw new IllegalStateException(dir + " holds data of version '" + line + "'; this build reads '"
                        + VERSION_LINE + "'");
            }
            return;
        }
        try (Stream<Path> s = Files.list(dir)) {
            if (s.anyMatch(p -> p.getFileName().toString().equals("rocksdb"))) {
                throw new IllegalStateException(dir + " holds a database without " + VERSION_FILE + "; refusing to guess its version");
            }
        }
        Path tmp = dir.resolve(VERSION_FILE + ".tmp");
        Files.writeString(tmp, VERSION_LINE + "\n", StandardCharsets.UTF_8);
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, vf, StandardCopyOption.ATOMIC_MOVE);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public RocksDB db() { return db; }
    public Path dir() { return dir; }
    public ColumnFamilyHandle docs() { return docs; }
    public ColumnFamilyHandle postings() { return postings; }
    public ColumnFamilyHandle centroids() { return centroids; }
    public ColumnFamilyHandle versions() { return versions; }
    public ColumnFamilyHandle meta() { return meta; }
    public WriteOptions writeOptions() { return writeOptions; }
    public ReadOptions readOptions() { return readOptions; }

    /** Applies a batch atomically (the unit of every index mutation). */
    public void write(WriteBatch batch) {
        try {
            db.write(writeOptions, batch);
        } catch (RocksDBException e) {
            throw new IllegalStateException("RocksDB write failed in " + dir + ": " + e.getMessage(), e);
        }
    }

    public void flush() {
        try (FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
            db.flush(fo, handles);
        } catch (RocksDBException e) {
            throw new IllegalStateException("RocksDB flush failed in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Flushes every column family and writes a consistent point-in-time copy of the database to
     * {@code target} (which must not exist; same file system): hard links of the immutable SST and
     * blob files, copies of MANIFEST, CURRENT, OPTIONS and live WAL files. The copy can be opened
     * as a database directory of its own (see {@link #rocksDir}).
     */
    public void createCheckpoint(Path target) {
        flush();
        try (Checkpoint c = Checkpoint.create(db)) {
            c.createCheckpoint(target.toString());
        } catch (RocksDBException e) {
            throw new IllegalStateException("RocksDB checkpoint of " + dir + " into " + target + " failed: " + e.getMessage(), e);
        }
    }

    /** The RocksDB directory inside a shard database directory {@code dir}. */
    public static Path rocksDir(Path dir) {
        return dir.resolve("rocksdb");
    }

    /** Off-heap bytes RocksDB holds for this shard, as RocksDB accounts them: memtables, table readers, block cache. */
    public long nativeMemoryBytes() {
        Map<MemoryUsageType, Long> m = MemoryUtil.getApproximateMemoryUsageByType(List.of(db), Set.of(blockCache));
        long total = 0;
        for (Long v : m.values()) total += v;
        return total;
    }

    /** Bytes of the shard's files on disk. */
    public long diskBytes() {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        for (ColumnFamilyHandle h : handles) h.close();
        db.close();
        dbOptions.close();
        for (ColumnFamilyOptions o : cfOptions) o.close();
        writeOptions.close();
        readOptions.close();
        appendOperator.close();
        bloom.close();
        blockCache.close();
    }
}
