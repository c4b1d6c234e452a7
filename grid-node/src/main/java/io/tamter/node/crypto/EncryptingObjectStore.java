package io.tamter.node.crypto;

import io.tamter.node.objectstore.CorruptObjectException;
import io.tamter.node.objectstore.ObjectInfo;
import io.tamter.node.objectstore.ObjectKeys;
import io.tamter.node.objectstore.ObjectNotFoundException;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.objectstore.StoredObject;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An {@link ObjectStore} that encrypts every object whose key starts with one prefix (a
 * namespace's folder, {@code "<ns>/"}) with the namespace's {@link DataKey}, in the format of
 * {@link EncryptedObjectCodec}, and passes other keys through unchanged. The contract is the
 * inner store's: generations, create-if-absent, compare-and-set, listing order and deletes are
 * the inner store's own, because every write is exactly one inner write of the ciphertext.
 *
 * <ul>
 *   <li>Sizes ({@code stat}, {@code list}, returned {@link ObjectInfo}s) are plaintext sizes,
 *       computed from the stored size ({@link EncryptedObjectCodec#plaintextSize}) without
 *       reading the object.</li>
 *   <li>{@link #getRange} reads the header and only the chunks that cover the range. The inner
 *       reads are not pinned to one generation, but every chunk is bound to its write's header,
 *       so a concurrent overwrite shows as an authentication failure; the read is then retried
 *       when the generation changed, and reported as an integrity error when it did not.</li>
 *   <li>{@link #putFile} encrypts into a temporary file in the spool directory, then uploads it;
 *       {@link #downloadTo} downloads the ciphertext beside the target, decrypts into a second
 *       temporary file and renames it over the target only when every chunk authenticated.</li>
 *   <li>The namespace's wrapped data key record ({@code <prefix>keys/data-key.bin}) is stored in
 *       the clear (it is already wrapped) and cannot be written through this store.</li>
 * </ul>
 * The inner store is shared (one per node, many namespaces), so {@link #close()} does not close it.
 */
public final class EncryptingObjectStore implements ObjectStore {
    /** Temporary files of this class start with this (a name no object key can have). */
    static final String TEMP_PREFIX = ObjectKeys.RESERVED_PREFIX + "enc-";
    private static final int RANGE_RETRIES = 8;
    /** Chunks fetched per inner range read (4 MiB of ciphertext). */
    private static final int CHUNKS_PER_READ = 64;

    private final ObjectStore inner;
    private final String prefix;
    private final String record;
    private final DataKey dataKey;
    private final Path spool;

    /** Encrypts keys under {@code prefix} ({@code ""} or ending with '/') with {@code dataKey}; spools in java.io.tmpdir. */
    public EncryptingObjectStore(ObjectStore inner, String prefix, DataKey dataKey) {
        this(inner, prefix, dataKey, Path.of(System.getProperty("java.io.tmpdir")));
    }

    /** As above, with the directory for {@link #putFile}'s temporary ciphertext. */
    public EncryptingObjectStore(ObjectStore inner, String prefix, DataKey dataKey, Path spoolDirectory) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.dataKey = Objects.requireNonNull(dataKey, "dataKey");
        this.spool = Objects.requireNonNull(spoolDirectory, "spoolDirectory");
        ObjectKeys.validatePrefix(prefix);
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            throw new IllegalArgumentException("an encrypted prefix is a folder: it must be empty or end with '/'; prefix='" + prefix + "'");
        }
        this.prefix = prefix;
        this.record = prefix + NamespaceDataKeys.RECORD_NAME;
    }

    /**
     * The store of {@code namespace} with customer-managed encryption under the KEK {@code keyName}:
     * creates the namespace's data key on first use, else unwraps the existing one.
     */
    public static EncryptingObjectStore forNamespace(ObjectStore inner, String namespace, String keyName, KeyEncryptionKeys keks)
            throws IOException {
        DataKey key = NamespaceDataKeys.createOrLoad(inner, namespace, keyName, keks);
        return new EncryptingObjectStore(inner, namespace + "/", key);
    }

    /** The prefix whose objects are encrypted. */
    public String prefix() {
        return prefix;
    }

    /** Whether {@code key} is stored encrypted. */
    public boolean encrypts(String key) {
        return key.startsWith(prefix) && !key.equals(record);
    }

    private boolean encryptedWrite(String key) {
        ObjectKeys.validateKey(key);
        if (key.equals(record)) {
            throw new IllegalArgumentException("object '" + key + "' is the namespace's data key record; it is written only by NamespaceDataKeys");
        }
        return key.startsWith(prefix);
    }

    private boolean encryptedRead(String key) {
        return encrypts(ObjectKeys.validateKey(key));
    }

    private ObjectInfo plain(ObjectInfo raw) throws CorruptObjectException {
        if (!encrypts(raw.key())) return raw;
        return new ObjectInfo(raw.key(), EncryptedObjectCodec.plaintextSize(raw.key(), raw.size()), raw.generation());
    }

    @Override
    public ObjectInfo put(String key, byte[] bytes) throws IOException {
        if (!encryptedWrite(key)) return inner.put(key, bytes);
        ObjectInfo raw = inner.put(key, EncryptedObjectCodec.encrypt(dataKey, key, bytes));
        return new ObjectInfo(key, bytes.length, raw.generation());
    }

    @Override
    public boolean putIfAbsent(String key, byte[] bytes) throws IOException {
        if (!encryptedWrite(key)) return inner.putIfAbsent(key, bytes);
        return inner.putIfAbsent(key, EncryptedObjectCodec.encrypt(dataKey, key, bytes));
    }

    @Override
    public boolean compareAndSet(String key, long expectedGeneration, byte[] bytes) throws IOException {
        if (!encryptedWrite(key)) return inner.compareAndSet(key, expectedGeneration, bytes);
        if (expectedGeneration < NO_GENERATION) {
            throw new IllegalArgumentException("expected generation must be >= 0; key='" + key + "', generation=" + expectedGeneration);
        }
        return inner.compareAndSet(key, expectedGeneration, EncryptedObjectCodec.encrypt(dataKey, key, bytes));
    }

    @Override
    public ObjectInfo putFile(String key, Path source) throws IOException {
        if (!encryptedWrite(key)) return inner.putFile(key, source);
        try (InputStream in = Files.newInputStream(source)) { // NoSuchFileException before anything is written
            Path temp = Files.createTempFile(spool, TEMP_PREFIX, ".tmp");
            try {
                long size;
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 20)) {
                    size = EncryptedObjectCodec.encrypt(dataKey, key, in, out);
                }
                ObjectInfo raw = inner.putFile(key, temp);
                return new ObjectInfo(key, size, raw.generation());
            } finally {
                Files.deleteIfExists(temp);
            }
        }
    }

    @Override
    public Optional<StoredObject> getObject(String key) throws IOException {
        if (!encryptedRead(key)) return inner.getObject(key);
        Optional<StoredObject> raw = inner.getObject(key);
        if (raw.isEmpty()) return raw;
        byte[] plain = EncryptedObjectCodec.decrypt(dataKey, key, raw.get().bytes());
        return Optional.of(new StoredObject(new ObjectInfo(key, plain.length, raw.get().generation()), plain));
    }

    @Override
    public byte[] getRange(String key, long offset, int length) throws IOException {
        if (!encryptedRead(key)) return inner.getRange(key, offset, length);
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must be >= 0; key='" + key + "', offset=" + offset + ", length=" + length);
        }
        for (int attempt = 1; ; attempt++) {
            ObjectInfo raw = inner.stat(key).orElseThrow(() -> new ObjectNotFoundException(key));
            try {
                return readRange(key, raw, offset, length);
            } catch (CorruptObjectException | EOFException e) {
                // an overwrite between our inner reads looks like tampering: retry if the object changed
                Optional<ObjectInfo> now = inner.stat(key);
                if (now.isEmpty()) throw new ObjectNotFoundException(key);
                if (now.get().generation() == raw.generation() || attempt >= RANGE_RETRIES) throw e;
            }
        }
    }

    private byte[] readRange(String key, ObjectInfo raw, long offset, int length) throws IOException {
        long size = EncryptedObjectCodec.plaintextSize(key, raw.size());
        if (offset > size) {
            throw new EOFException("range of object '" + key + "' starts past its end: offset=" + offset + ", size=" + size);
        }
        long end = Math.min(size, offset + length);
        byte[] out = new byte[(int) (end - offset)];
        if (out.length == 0) return out;
        long chunks = EncryptedObjectCodec.chunkCount(size);
        long first = offset >>> EncryptedObjectCodec.CHUNK_SHIFT;
        long last = (end - 1) >>> EncryptedObjectCodec.CHUNK_SHIFT;
        EncryptedObjectCodec.ObjectCipher cipher = EncryptedObjectCodec.ObjectCipher.forRead(dataKey, key,
                inner.getRange(key, 0, EncryptedObjectCodec.HEADER_BYTES));
        byte[] plain = new byte[EncryptedObjectCodec.CHUNK_BYTES];
        for (long batch = first; batch <= last; batch += CHUNKS_PER_READ) {
            long batchEnd = Math.min(last + 1, batch + CHUNKS_PER_READ);
            long from = EncryptedObjectCodec.HEADER_BYTES + batch * EncryptedObjectCodec.SEALED_CHUNK_BYTES;
            long to = Math.min(raw.size(), EncryptedObjectCodec.HEADER_BYTES + batchEnd * EncryptedObjectCodec.SEALED_CHUNK_BYTES);
            byte[] sealed = inner.getRange(key, from, (int) (to - from));
            if (sealed.length != to - from) throw new EOFException("object '" + key + "' became shorter while it was read");
            int pos = 0;
            for (long i = batch; i < batchEnd; i++) {
                int len = Math.min(EncryptedObjectCodec.SEALED_CHUNK_BYTES, sealed.length - pos);
                int n = cipher.open(i, i == chunks - 1, sealed, pos, len, plain, 0);
                pos += len;
                long chunkStart = i << EncryptedObjectCodec.CHUNK_SHIFT;
                long copyFrom = Math.max(chunkStart, offset);
                long copyTo = Math.min(chunkStart + n, end);
                System.arraycopy(plain, (int) (copyFrom - chunkStart), out, (int) (copyFrom - offset), (int) (copyTo - copyFrom));
            }
        }
        return out;
    }

    @Override
    public ObjectInfo downloadTo(String key, Path target) throws IOException {
        if (!encryptedRead(key)) return inner.downloadTo(key, target);
        Path dir = target.toAbsolutePath().getParent();
        String stem = TEMP_PREFIX + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
        Path sealed = dir.resolve(stem + ".sealed");
        Path opened = dir.resolve(stem + ".plain");
        try {
            ObjectInfo raw = inner.downloadTo(key, sealed);
            long size;
            try (InputStream in = new BufferedInputStream(Files.newInputStream(sealed), 1 << 20);
                 FileChannel ch = FileChannel.open(opened, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20);
                size = EncryptedObjectCodec.decrypt(dataKey, key, in, Files.size(sealed), out);
                out.flush();
                ch.force(true);
            }
            Files.move(opened, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            fsyncDirectory(dir);
            return new ObjectInfo(key, size, raw.generation());
        } finally {
            Files.deleteIfExists(sealed);
            Files.deleteIfExists(opened);
        }
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems cannot open a directory for fsync; the rename itself is still atomic
        }
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        encryptedRead(key);
        Optional<ObjectInfo> raw = inner.stat(key);
        return raw.isEmpty() ? raw : Optional.of(plain(raw.get()));
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        List<ObjectInfo> raw = inner.list(prefix);
        List<ObjectInfo> out = new ArrayList<>(raw.size());
        for (ObjectInfo info : raw) out.add(plain(info));
        return out;
    }

    @Override
    public boolean delete(String key) throws IOException {
        return inner.delete(key);
    }

    @Override
    public int deletePrefix(String prefix) throws IOException {
        return inner.deletePrefix(prefix);
    }

    /** Does not close the inner store, which is shared. */
    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "EncryptingObjectStore[" + (prefix.isEmpty() ? "*" : prefix) + " with " + dataKey + " over " + inner + "]";
    }
}
