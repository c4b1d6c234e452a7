package io.tamter.node.cluster;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The exclusive lock of a node's data directory: {@code <data>/tamter.lock}, held with an OS file
 * lock ({@link FileChannel#tryLock()}) for as long as the node runs. Two processes on one data
 * directory would open the same RocksDB and Lucene directories and break each other (issue 10:
 * {@code rocksdb/LOCK: Resource temporarily unavailable} as a 500); with the lock the second one
 * fails at once with {@link DataDirLockedException}. The OS drops the lock when the process dies
 * (SIGKILL included), so a crashed node never leaves a stale lock behind. The file holds the pid
 * of the holder, for the message only.
 */
public final class DataDirLock implements AutoCloseable {
    /** The lock file's name under the data directory. */
    public static final String FILE = "tamter.lock";

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code dataDir} (created if missing).
     *
     * @throws DataDirLockedException another process (or another node in this JVM) holds it
     */
    public static DataDirLock acquire(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve(FILE);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null; // held by this JVM (another node started on the same directory)
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        if (l == null) {
            String holder;
            try {
                holder = Files.readString(file, StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                holder = "";
            }
            ch.close();
            throw new DataDirLockedException(dataDir, holder.isEmpty() ? "another process" : "process " + holder);
        }
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        ch.force(false);
        return new DataDirLock(file, ch, l);
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        try {
            if (lock.isValid()) lock.release();
        } finally {
            channel.close();
        }
    }

    /** The data directory is locked by another process (or another node of this JVM). */
    public static final class DataDirLockedException extends IllegalStateException {
        private static final long serialVersionUID = 1L;
        private final transient Path dataDir;

        DataDirLockedException(Path dataDir, String holder) {
            super("data directory " + dataDir.toAbsolutePath().normalize() + " is in use by " + holder
                    + " (it holds " + FILE + "); give every node its own --data");
            this.dataDir = dataDir;
        }

        public Path dataDir() {
            return dataDir;
        }
    }
}
