package io.tamter.node.objectstore;

import static io.tamter.node.objectstore.LocalObjectFormat.HEADER_BYTES;
import static io.tamter.node.objectstore.LocalObjectFormat.OVERHEAD;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default {@link ObjectStore}: each object is one file under a root directory, at the path
 * of its key ({@code ns/shards/0/wal/00000000000000000001.log}), framed by
 * {@link LocalObjectFormat} (a header with the generation, a checksum footer).
 *
 * <h2>Durability and atomicity</h2>
 * Every write goes to a temporary file in the object's own directory (named
 * {@code .tamter-tmp-<pid>-<random>}, never listed), which is fsynced, then published in one
 * atomic step and the directory fsynced, so a crash leaves the old object or the new one and a
 * returned write survives power loss:
 * <ul>
 *   <li>{@code put}, {@code putFile}, {@code compareAndSet}: {@code rename(2)} over the target
 *       ({@link StandardCopyOption#ATOMIC_MOVE}).</li>
 *   <li>{@code putIfAbsent} (and {@code compareAndSet} from {@link #NO_GENERATION}):
 *       {@code link(2)} of the temporary file to the target, which the kernel refuses if the
 *       target exists. Exactly one of any number of racing threads or processes succeeds, and
 *       the object appears complete because its bytes were fsynced before the link.</li>
 *   <li>Directories created for a key are fsynced into their parents.</li>
 * </ul>
 *
 * <h2>Generations and compare-and-set</h2>
 * The generation is stored in the object's header, so a rename swaps bytes and generation
 * together. Every mutation of a key (put, create, compare-and-set, delete) runs under the key's
 * lock ({@link KeyLocks}: an in-JVM lock plus a {@code FileChannel.lock} on a striped lock file,
 * so it holds across processes): read the current generation, check it, pick a greater one,
 * publish. Generations are wall-clock microseconds, bumped above both the previous generation
 * of the key and the last one this JVM handed out, so they increase per key even across a
 * delete and re-create (unless the clock steps back further than the object's lifetime: the
 * same trade GCS makes). The payload is written before the lock is taken, so a slow upload does
 * not hold up other writers; when the generation chosen beforehand is not above the current
 * one, only the header is rewritten.
 *
 * <h2>Housekeeping</h2>
 * Opening a store checks {@code .tamter-version.info} (written on first open; an unknown version
 * fails) and deletes the temporary files of writers that died: those whose process is gone, whose
 * pid now belongs to a younger process, or that are older than {@link #STALE_TEMP_AGE}. Temporary
 * files of live writers (this or other processes on the same root) are left alone. Deletes remove
 * the directories they leave empty.
 *
 * <h2>Reads</h2>
 * Readers take no lock: a file is only ever replaced whole, so an open file is one complete
 * write. {@code get} and {@code downloadTo} verify the payload checksum; {@code stat} and
 * {@code list} verify the header. A corrupt object fails a listing ({@link CorruptObjectException})
 * rather than drop out of it: a WAL segment missing from a listing would silently shorten
 * recovery; so does a compare-and-set on it. Overwriting a corrupt object with {@code put} is
 * allowed (it is the repair), and {@code putIfAbsent} sees it as present.
 *
 * <p>Requirements on the root's file system: POSIX rename and hard links, and working
 * {@code fsync} of directories (ext4, xfs, tmpfs, APFS; not SMB or most FUSE mounts). A key
 * segment longer than the file system's name limit (255 bytes on most) fails with its
 * {@code IOException}.
 */
public final class LocalDirectoryObjectStore implements ObjectStore {
    private static final Logger log = LoggerFactory.getLogger(LocalDirectoryObjectStore.class);

    static final String TEMP_PREFIX = ObjectKeys.RESERVED_PREFIX + "tmp-";
    static final String DOWNLOAD_PREFIX = ObjectKeys.RESERVED_PREFIX + "dl-";
    static final String LOCK_DIR = ObjectKeys.RESERVED_PREFIX + "locks";
    static final String VERSION_FILE = ObjectKeys.RESERVED_PREFIX + "version.info";
    static final String VERSION_LINE = "tamter-object-store 1";
    /** A temporary file this old is a crash leftover whatever its pid says. */
    static final Duration STALE_TEMP_AGE = Duration.ofHours(1);
    private static final int IO_BUFFER = 1 << 20;
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 16;
    private static final long PID = ProcessHandle.current().pid();
    /** Last generation handed out in this JVM, so two writes in one microsecond still differ. */
    private static final AtomicLong LAST_GENERATION = new AtomicLong();

    private final Path root;
    private final KeyLocks locks;
    private volatile boolean closed;

    /** Opens (creating if needed) the store at {@code root}. */
    public LocalDirectoryObjectStore(Path root) throws IOException {
        Files.createDirectories(root);
        this.root = root.toRealPath();
        LocalStoreHousekeeping.checkVersion(this.root);
        this.locks = new KeyLocks(this.root.resolve(LOCK_DIR));
        int removed = LocalStoreHousekeeping.cleanTemporaryFiles(this.root);
        if (removed > 0) log.info("object store {}: removed {} temporary files left by crashed writers", this.root, removed);
    }

    /** The directory holding the objects. */
    public Path root() {
        return root;
    }

    @Override
    public ObjectInfo put(String key, byte[] bytes) throws IOException {
        Path target = target(key);
        long generation = nextGeneration(NO_GENERATION);
        Path temp = writeTemp(target.getParent(), generation, bytes);
        try (KeyLocks.Held held = locks.lock(key)) {
            generation = raiseAbove(temp, generation, bytes.length, generationToReplace(key, target));
            publishByRename(temp, target);
            return new ObjectInfo(key, bytes.length, generation);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public boolean putIfAbsent(String key, byte[] bytes) throws IOException {
        Path target = target(key);
        if (Files.isDirectory(target)) throw folderConflict(key);
        if (Files.exists(target)) return false; // losers skip the write; the link below decides races
        Path temp = writeTemp(target.getParent(), nextGeneration(NO_GENERATION), bytes);
        try (KeyLocks.Held held = locks.lock(key)) {
            return publishByLink(key, temp, target);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public ObjectInfo putFile(String key, Path source) throws IOException {
        Path target = target(key);
        long generation = nextGeneration(NO_GENERATION);
        Path temp = newTemp(target.getParent());
        long size;
        try {
            size = writeTempFromFile(temp, generation, source);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        try (KeyLocks.Held held = locks.lock(key)) {
            generation = raiseAbove(temp, generation, size, generationToReplace(key, target));
            publishByRename(temp, target);
            return new ObjectInfo(key, size, generation);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public boolean compareAndSet(String key, long expectedGeneration, byte[] bytes) throws IOException {
        if (expectedGeneration < NO_GENERATION) {
            throw new IllegalArgumentException("expectedGeneration must be >= 0; key='" + key + "', expectedGeneration=" + expectedGeneration);
        }
        if (expectedGeneration == NO_GENERATION) return putIfAbsent(key, bytes);
        Path target = target(key);
        if (currentGeneration(key, target, false) != expectedGeneration) return false; // losers skip the write
        long generation = nextGeneration(expectedGeneration);
        Path temp = writeTemp(target.getParent(), generation, bytes);
        try (KeyLocks.Held held = locks.lock(key)) {
            long current = currentGeneration(key, target, false);
            if (current != expectedGeneration) return false;
            raiseAbove(temp, generation, bytes.length, current);
            publishByRename(temp, target);
            return true;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public Optional<StoredObject> getObject(String key) throws IOException {
        Path target = target(key);
        try (FileChannel ch = openExisting(target)) {
            if (ch == null) return Optional.empty();
            LocalObjectFormat.Header h = LocalObjectFormat.readHeader(key, ch);
            if (h.length() > MAX_ARRAY) {
                throw new IOException("object '" + key + "' is " + h.length() + " bytes, too large for get: use downloadTo");
            }
            ByteBuffer payload = ByteBuffer.allocate((int) h.length());
            LocalObjectFormat.readFully(ch, payload, HEADER_BYTES);
            CRC32C crc = new CRC32C();
            crc.update(payload.array());
            verifyPayload(key, (int) crc.getValue(), LocalObjectFormat.readFooter(ch, h.length()));
            return Optional.of(new StoredObject(new ObjectInfo(key, h.length(), h.generation()), payload.array()));
        }
    }

    @Override
    public byte[] getRange(String key, long offset, int length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must be >= 0; key='" + key + "', offset=" + offset + ", length=" + length);
        }
        Path target = target(key);
        try (FileChannel ch = openExisting(target)) {
            if (ch == null) throw new ObjectNotFoundException(key);
            LocalObjectFormat.Header h = LocalObjectFormat.readHeader(key, ch);
            if (offset > h.length()) {
                throw new EOFException("range of object '" + key + "' starts past its end: offset=" + offset + ", size=" + h.length());
            }
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(length, h.length() - offset));
            LocalObjectFormat.readFully(ch, b, HEADER_BYTES + offset);
            return b.array();
        }
    }

    @Override
    public ObjectInfo downloadTo(String key, Path target) throws IOException {
        Path source = target(key);
        Path dir = target.toAbsolutePath().getParent();
        try (FileChannel in = openExisting(source)) {
            if (in == null) throw new ObjectNotFoundException(key);
            LocalObjectFormat.Header h = LocalObjectFormat.readHeader(key, in);
            Path temp = dir.resolve(DOWNLOAD_PREFIX + PID + "-" + randomSuffix());
            try {
                try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    CRC32C crc = new CRC32C();
                    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(IO_BUFFER, Math.max(h.length(), 1)));
                    long pos = HEADER_BYTES;
                    long end = HEADER_BYTES + h.length();
                    while (pos < end) {
                        buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
                        LocalObjectFormat.readFully(in, buf, pos);
                        buf.flip();
                        crc.update(buf.array(), 0, buf.limit());
                        while (buf.hasRemaining()) out.write(buf);
                        pos += buf.limit();
                    }
                    verifyPayload(key, (int) crc.getValue(), LocalObjectFormat.readFooter(in, h.length()));
                    out.force(true);
                }
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                fsyncDirectory(dir);
            } finally {
                Files.deleteIfExists(temp);
            }
            return new ObjectInfo(key, h.length(), h.generation());
        }
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        return Optional.ofNullable(readInfo(key, target(key)));
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        ensureOpen();
        ObjectKeys.validatePrefix(prefix);
        int slash = prefix.lastIndexOf('/');
        Path base = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
        if (!Files.isDirectory(base)) return List.of();
        List<ObjectInfo> out = new ArrayList<>();
        Files.walkFileTree(base, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (dir.equals(base)) return FileVisitResult.CONTINUE;
                if (isReserved(dir)) return FileVisitResult.SKIP_SUBTREE;
                String folder = keyOf(dir) + "/";
                // descend only where keys with the prefix can be
                return folder.startsWith(prefix) || prefix.startsWith(folder) ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (!attrs.isRegularFile() || isReserved(file)) return FileVisitResult.CONTINUE;
                String key = keyOf(file);
                if (key.startsWith(prefix)) {
                    ObjectInfo info = readInfo(key, file);
                    if (info != null) out.add(info);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE; // deleted while we walked
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) throw e;
                return FileVisitResult.CONTINUE;
            }
        });
        out.sort((a, b) -> ObjectKeys.ORDER.compare(a.key(), b.key()));
        return out;
    }

    @Override
    public boolean delete(String key) throws IOException {
        Path target = target(key);
        boolean deleted;
        try (KeyLocks.Held held = locks.lock(key)) {
            if (Files.isDirectory(target)) return false; // a folder of other keys, not an object
            try {
                deleted = Files.deleteIfExists(target);
            } catch (FileSystemException e) {
                if (!underAnObject(target)) throw e;
                deleted = false;
            }
            if (deleted) fsyncExistingAncestor(target.getParent());
        }
        if (deleted) removeEmptyDirectories(target.getParent());
        return deleted;
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "LocalDirectoryObjectStore[" + root + "]";
    }

    // ---- writing ----

    /** Writes a complete, fsynced object file with {@code bytes} to a new temporary file in {@code dir}. */
    private Path writeTemp(Path dir, long generation, byte[] bytes) throws IOException {
        Path temp = newTemp(dir);
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            CRC32C crc = new CRC32C();
            crc.update(bytes);
            ByteBuffer[] parts = {LocalObjectFormat.encodeHeader(generation, bytes.length), ByteBuffer.wrap(bytes),
                    LocalObjectFormat.encodeFooter((int) crc.getValue())};
            while (parts[2].hasRemaining()) ch.write(parts);
            ch.force(true);
            return temp;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    /** Streams {@code source} into the temporary object file {@code temp}; returns the payload size. */
    private static long writeTempFromFile(Path temp, long generation, Path source) throws IOException {
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            CRC32C crc = new CRC32C();
            ByteBuffer buf = ByteBuffer.allocate(IO_BUFFER);
            long size = 0;
            out.position(HEADER_BYTES);
            while (in.read(buf) >= 0) {
                buf.flip();
                crc.update(buf.array(), 0, buf.limit());
                size += buf.limit();
                while (buf.hasRemaining()) out.write(buf);
                buf.clear();
            }
            LocalObjectFormat.writeFully(out, LocalObjectFormat.encodeFooter((int) crc.getValue()), HEADER_BYTES + size);
            LocalObjectFormat.writeFully(out, LocalObjectFormat.encodeHeader(generation, size), 0);
            out.force(true);
            return size;
        }
    }

    /**
     * Returns a generation above {@code current}: {@code generation} itself when it already is
     * (the usual case), else a new one written into {@code temp}'s header.
     */
    private static long raiseAbove(Path temp, long generation, long size, long current) throws IOException {
        if (generation > current) return generation;
        long raised = nextGeneration(current);
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            LocalObjectFormat.writeFully(ch, LocalObjectFormat.encodeHeader(raised, size), 0);
            ch.force(true);
        }
        return raised;
    }

    private static void publishByRename(Path temp, Path target) throws IOException {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        fsyncDirectory(target.getParent());
    }

    /** Links {@code temp} as {@code target} if absent; the caller holds the key lock. */
    private boolean publishByLink(String key, Path temp, Path target) throws IOException {
        try {
            Files.createLink(target, temp);
        } catch (FileAlreadyExistsException e) {
            if (Files.isDirectory(target)) throw folderConflict(key);
            return false;
        }
        Files.delete(temp);
        fsyncDirectory(target.getParent());
        return true;
    }

    /** Creates a new empty temporary file in {@code dir}, creating {@code dir} if needed. */
    private Path newTemp(Path dir) throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                ensureDirectory(dir);
                return Files.createFile(dir.resolve(TEMP_PREFIX + PID + "-" + randomSuffix()));
            } catch (NoSuchFileException e) {
                // a concurrent delete removed an emptied directory on our path; create it again
                if (attempt >= 10) throw e;
            }
        }
    }

    /** Creates the missing directories from the root down to {@code dir}, each fsynced into its parent. */
    private void ensureDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) return;
        Path current = root;
        for (Path part : root.relativize(dir)) {
            Path next = current.resolve(part);
            if (!Files.isDirectory(next)) {
                try {
                    Files.createDirectory(next);
                } catch (FileAlreadyExistsException e) {
                    if (!Files.isDirectory(next)) {
                        throw new FileAlreadyExistsException(next.toString(), null,
                                "object '" + keyOf(next) + "' exists where a folder of the key is needed");
                    }
                }
                fsyncDirectory(current); // also when another writer created it: its fsync may not have run yet
            }
            current = next;
        }
    }

    static long nextGeneration(long floor) {
        Instant now = Instant.now();
        long micros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
        return LAST_GENERATION.accumulateAndGet(Math.max(micros, floor + 1), (last, want) -> Math.max(last + 1, want));
    }

    // ---- reading ----

    /**
     * The generation of the object at {@code target}, or {@link #NO_GENERATION} when it is absent.
     * With {@code failOnFolder}, a key that names a folder of other objects fails: writing it
     * could never succeed.
     */
    private long currentGeneration(String key, Path target, boolean failOnFolder) throws IOException {
        ObjectInfo info = readInfo(key, target);
        if (info == null && failOnFolder && Files.isDirectory(target)) throw folderConflict(key);
        return info == null ? NO_GENERATION : info.generation();
    }

    /**
     * The generation an overwrite must exceed. A corrupt object does not block its overwrite
     * (rewriting it is the repair); its generation is unknown, so the clock-based one stands.
     */
    private long generationToReplace(String key, Path target) throws IOException {
        try {
            return currentGeneration(key, target, true);
        } catch (CorruptObjectException e) {
            log.warn("overwriting corrupt object: {}", e.getMessage());
            return NO_GENERATION;
        }
    }

    private ObjectInfo readInfo(String key, Path file) throws IOException {
        try (FileChannel ch = openExisting(file)) {
            if (ch == null) return null;
            LocalObjectFormat.Header h = LocalObjectFormat.readHeader(key, ch);
            return new ObjectInfo(key, h.length(), h.generation());
        }
    }

    /** Opens an object file for reading, or returns null when there is no object at {@code file}. */
    private FileChannel openExisting(Path file) throws IOException {
        try {
            if (Files.isDirectory(file)) return null;
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return null;
        } catch (FileSystemException e) {
            if (underAnObject(file)) return null; // "Not a directory": a prefix of the key is an object
            throw e;
        }
    }

    private static void verifyPayload(String key, int actual, int stored) throws CorruptObjectException {
        if (actual != stored) {
            throw new CorruptObjectException(key, String.format("payload checksum mismatch: stored %08X, computed %08X", stored, actual));
        }
    }

    // ---- paths and housekeeping ----

    private Path target(String key) {
        ensureOpen();
        ObjectKeys.validateKey(key);
        return root.resolve(key);
    }

    private String keyOf(Path path) {
        StringBuilder sb = new StringBuilder();
        for (Path part : root.relativize(path)) {
            if (!sb.isEmpty()) sb.append('/');
            sb.append(part);
        }
        return sb.toString();
    }

    private static boolean isReserved(Path path) {
        return path.getFileName().toString().startsWith(ObjectKeys.RESERVED_PREFIX);
    }

    private boolean underAnObject(Path file) {
        for (Path p = file.getParent(); p != null && p.startsWith(root) && !p.equals(root); p = p.getParent()) {
            if (Files.isRegularFile(p)) return true;
        }
        return false;
    }

    private static IOException folderConflict(String key) {
        return new FileAlreadyExistsException(key, null, "key '" + key + "' is a folder of other objects, it cannot also be an object");
    }

    private void removeEmptyDirectories(Path dir) {
        for (Path p = dir; p != null && p.startsWith(root) && !p.equals(root); p = p.getParent()) {
            try {
                Files.delete(p);
            } catch (DirectoryNotEmptyException | NoSuchFileException e) {
                return;
            } catch (IOException e) {
                log.debug("could not remove empty directory {}", p, e);
                return;
            }
        }
    }

    /**
     * Fsyncs {@code dir} after a delete, or, when a concurrent delete already removed it as
     * empty, the nearest ancestor still there (which then holds the removal).
     */
    private void fsyncExistingAncestor(Path dir) throws IOException {
        for (Path p = dir; ; p = p.getParent()) {
            try {
                fsyncDirectory(p);
                return;
            } catch (NoSuchFileException e) {
                if (p.equals(root)) throw e;
            }
        }
    }

    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static String randomSuffix() {
        return Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("object store at " + root + " is closed");
    }
}
