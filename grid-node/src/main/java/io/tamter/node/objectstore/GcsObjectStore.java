package io.tamter.node.objectstore;

import com.google.api.gax.paging.Page;
import com.google.cloud.BaseServiceException;
import com.google.cloud.NoCredentials;
import com.google.cloud.ReadChannel;
import com.google.cloud.ServiceOptions;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.HttpStorageOptions;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.StorageOptions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link ObjectStore} on Google Cloud Storage: each key is the object {@code <root><key>} in
 * one bucket ({@code gs://bucket/root}), written and read with the {@code google-cloud-storage}
 * client over the JSON API.
 *
 * <h2>Durability and atomicity</h2>
 * GCS makes an object durable (replicated) before the request that wrote it succeeds, and an
 * object is replaced whole: a reader sees the old object or the new one, never a mix. So every
 * write is durable when it returns, as the interface asks. Uploads carry their CRC32C, which GCS
 * checks before it commits; whole-object reads ({@code get}, {@code getObject},
 * {@code downloadTo}) check the bytes against the object's CRC32C and fail with
 * {@link CorruptObjectException} when they differ.
 *
 * <h2>Generations and preconditions</h2>
 * The generation of {@link ObjectInfo} is the object's GCS generation, which GCS raises on every
 * write of a name, also across a delete and re-create. Conditional writes are GCS preconditions,
 * evaluated atomically by GCS, so they hold across threads, processes and nodes:
 * <ul>
 *   <li>{@code putIfAbsent} and {@code compareAndSet(key, NO_GENERATION, …)}:
 *       {@code ifGenerationMatch=0}, "only if no live object has the name" (the WAL fencing);</li>
 *   <li>{@code compareAndSet(key, g, …)}: {@code ifGenerationMatch=g} (the checkpoint manifest,
 *       namespace settings);</li>
 *   <li>a failed precondition (HTTP 412) is the {@code false} of these methods.</li>
 * </ul>
 * Reads of a whole object fetch its metadata and then the bytes of exactly that generation, so
 * bytes and generation always belong together; if the object was replaced in between, the read
 * starts again.
 *
 * <h2>Retries</h2>
 * The client's own retries are off; this class retries every call itself, up to
 * {@link GcsObjectStoreOptions#maxAttempts()} attempts with exponential backoff and full jitter, on the errors
 * GCS calls transient: 408, 429, 500, 502, 503, 504, and I/O failures (reset, timeout, no
 * answer). Anything else (400, 403, 404 where it is an answer, 412) is final at once. An attempt
 * that failed transiently may still have taken effect (GCS committed the write, the answer was
 * lost), which matters for conditional writes: the retry of a create that actually succeeded
 * meets its own object and gets 412. To tell that from a real conflict, every write stores a
 * random token in the object's metadata ({@value #WRITE_TOKEN}); a 412 after a failed attempt
 * reads the live object, and if it carries this call's token the call reports success with that
 * object's generation. (If another writer already replaced the object in that window, the call
 * reports a conflict although its write happened; the other writer then had seen it.) A call that
 * exhausts its attempts throws an {@link IOException}; its write may or may not have happened. A
 * delete retried after a lost answer that finds the key gone reports {@code true}: the lost
 * attempt deleted it. Unconditional writes ({@code put}, {@code putFile}) are simply repeated.
 *
 * <h2>Uploads</h2>
 * Objects up to {@link GcsObjectStoreOptions#resumableThreshold()} bytes go up in one multipart request; larger
 * ones (checkpoint files) as a resumable upload in chunks of {@link GcsObjectStoreOptions#uploadChunkSize()},
 * streamed from the file, so a file may be larger than the heap. A retry restarts the upload.
 *
 * <h2>Listing and keys</h2>
 * {@code list} pages through the bucket listing ({@link GcsObjectStoreOptions#listPageSize()} per page) and
 * returns keys in UTF-8 byte order, GCS's own. Names under the root that are not valid
 * {@link ObjectKeys keys} (made by other tools) are skipped. Under a root of r bytes, keys are
 * limited to 1024 − r bytes (GCS's limit on whole names); a longer key fails with an
 * {@link IllegalArgumentException} before any I/O. GCS could hold both {@code a/b} and
 * {@code a/b/c}; the storage layout never writes both and this store does not check for it
 * (checking would cost a listing per write).
 *
 * <h2>Credentials and endpoint</h2>
 * {@link GcsObjectStoreOptions#fromEnvironment} follows the client libraries' convention: with
 * {@code STORAGE_EMULATOR_HOST} set, the store talks plain HTTP to that host without credentials
 * (a test server); otherwise to Google with Application Default Credentials
 * ({@code GOOGLE_APPLICATION_CREDENTIALS}, gcloud's login, or the GCE metadata server).
 */
public final class GcsObjectStore implements ObjectStore {
    private static final Logger log = LoggerFactory.getLogger(GcsObjectStore.class);

    /** Metadata key of the token that identifies the write that made an object. */
    public static final String WRITE_TOKEN = "tamter-write";
    /** GCS's limit on object names, in UTF-8 bytes. */
    static final int MAX_NAME_BYTES = 1024;
    private static final int IO_BUFFER = 1 << 20;
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 16;
    private static final long PID = ProcessHandle.current().pid();

    private final GcsObjectStoreOptions options;
    private final Storage storage;
    private volatile boolean closed;

    /** Opens a store with its own client, built from {@code options}. */
    public GcsObjectStore(GcsObjectStoreOptions options) {
        this.options = options;
        this.storage = client(options);
    }

    private static Storage client(GcsObjectStoreOptions o) {
        HttpStorageOptions.Builder b = StorageOptions.http()
                // retries are ours: the client's would turn a lost create answer into a false 412
                .setRetrySettings(ServiceOptions.getNoRetrySettings())
                .setTransportOptions(HttpTransportOptions.newBuilder()
                        .setConnectTimeout(Math.toIntExact(o.connectTimeout().toMillis()))
                        .setReadTimeout(Math.toIntExact(o.readTimeout().toMillis()))
                        .build());
        if (o.host() != null) {
            b.setHost(o.host()).setCredentials(NoCredentials.getInstance()).setProjectId("tamter-test");
        }
        return b.build().getService();
    }

    public GcsObjectStoreOptions options() {
        return options;
    }

    // ---- writes ----

    @Override
    public ObjectInfo put(String key, byte[] bytes) throws IOException {
        String name = name(key);
        String token = newToken();
        Blob blob = retrying("put", key, attempt -> upload(name, token, bytes, null));
        return info(key, blob);
    }

    @Override
    public boolean putIfAbsent(String key, byte[] bytes) throws IOException {
        return conditionalWrite("putIfAbsent", key, NO_GENERATION, bytes);
    }

    @Override
    public boolean compareAndSet(String key, long expectedGeneration, byte[] bytes) throws IOException {
        if (expectedGeneration < NO_GENERATION) {
            throw new IllegalArgumentException("expectedGeneration must be >= 0; key='" + key + "', expectedGeneration=" + expectedGeneration);
        }
        return conditionalWrite("compareAndSet", key, expectedGeneration, bytes);
    }

    /** A write under {@code ifGenerationMatch=expected}; false on a real conflict (see the class doc). */
    private boolean conditionalWrite(String op, String key, long expected, byte[] bytes) throws IOException {
        String name = name(key);
        String token = newToken();
        return retrying(op, key, attempt -> {
            try {
                upload(name, token, bytes, expected);
                return true;
            } catch (StorageException e) {
                // 404: compare-and-set of a generation on a key that does not exist (GCS may say either)
                if (e.getCode() != 412 && !(e.getCode() == 404 && expected != NO_GENERATION)) throw e;
                if (attempt > 1 && ownsLiveObject(name, token)) {
                    log.info("{} of '{}': an earlier attempt whose answer was lost had written it", op, key);
                    return true;
                }
                return false;
            }
        });
    }

    /** Whether the live object {@code name} was written by the call that made {@code token}. */
    private boolean ownsLiveObject(String name, String token) {
        Blob live = storage.get(BlobId.of(options.bucket(), name));
        return live != null && live.getMetadata() != null && token.equals(live.getMetadata().get(WRITE_TOKEN));
    }

    @Override
    public ObjectInfo putFile(String key, Path source) throws IOException {
        String name = name(key);
        long size = Files.size(source); // NoSuchFileException before any request
        String token = newToken();
        if (size <= options.resumableThreshold()) {
            byte[] bytes = Files.readAllBytes(source);
            return info(key, retrying("putFile", key, attempt -> upload(name, token, bytes, null)));
        }
        // checkpoint files: streamed from disk; CRC32C computed first so GCS verifies the upload
        String crc = crc32cOfFile(source);
        BlobInfo info = blobInfo(name, token, crc);
        Blob blob = retrying("putFile", key, attempt -> {
            // from a stream, the client sends one request per chunk (from a Path, the whole file in one)
            try (InputStream in = Files.newInputStream(source)) {
                return storage.createFrom(info, in, options.uploadChunkSize(),
                        Storage.BlobWriteOption.crc32cMatch(), Storage.BlobWriteOption.disableGzipContent());
            } catch (NoSuchFileException e) {
                throw e;
            } catch (IOException e) {
                throw asStorageException(e);
            }
        });
        return info(key, blob);
    }

    /** One upload attempt: multipart up to the threshold, resumable above; precondition when {@code ifGeneration} is set. */
    private Blob upload(String name, String token, byte[] bytes, Long ifGeneration) {
        BlobInfo info = blobInfo(name, token, crc32c(bytes, 0, bytes.length));
        if (bytes.length <= options.resumableThreshold()) {
            List<Storage.BlobTargetOption> opts = new ArrayList<>(List.of(Storage.BlobTargetOption.disableGzipContent()));
            if (ifGeneration != null) opts.add(Storage.BlobTargetOption.generationMatch(ifGeneration));
            return storage.create(info, bytes, opts.toArray(Storage.BlobTargetOption[]::new));
        }
        List<Storage.BlobWriteOption> opts = new ArrayList<>(List.of(Storage.BlobWriteOption.disableGzipContent(),
                Storage.BlobWriteOption.crc32cMatch()));
        if (ifGeneration != null) opts.add(Storage.BlobWriteOption.generationMatch(ifGeneration));
        try {
            return storage.createFrom(info, new ByteArrayInputStream(bytes), options.uploadChunkSize(),
                    opts.toArray(Storage.BlobWriteOption[]::new));
        } catch (IOException e) {
            throw asStorageException(e);
        }
    }

    private BlobInfo blobInfo(String name, String token, String crc32c) {
        return BlobInfo.newBuilder(BlobId.of(options.bucket(), name))
                .setContentType("application/octet-stream")
                .setCrc32c(crc32c)
                .setMetadata(Map.of(WRITE_TOKEN, token))
                .build();
    }

    // ---- reads ----

    @Override
    public Optional<StoredObject> getObject(String key) throws IOException {
        String name = name(key);
        return retrying("get", key, attempt -> {
            while (true) {
                Blob blob = storage.get(BlobId.of(options.bucket(), name));
                if (blob == null) return Optional.empty();
                if (blob.getSize() > MAX_ARRAY) {
                    throw new IOException("object '" + key + "' is " + blob.getSize() + " bytes, too large for get: use downloadTo");
                }
                byte[] bytes;
                try {
                    bytes = storage.readAllBytes(BlobId.of(options.bucket(), name, blob.getGeneration()));
                } catch (StorageException e) {
                    if (e.getCode() == 404) continue; // replaced or deleted since the metadata read
                    throw e;
                }
                return Optional.of(new StoredObject(info(key, blob), verified(key, blob, bytes)));
            }
        });
    }

    @Override
    public byte[] getRange(String key, long offset, int length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must be >= 0; key='" + key + "', offset=" + offset + ", length=" + length);
        }
        String name = name(key);
        if (length == 0) {
            ObjectInfo info = stat(key).orElseThrow(() -> new ObjectNotFoundException(key));
            if (offset > info.size()) throw pastTheEnd(key, offset, info.size());
            return new byte[0];
        }
        byte[] bytes = retrying("getRange", key, attempt -> readRange(name, offset, length));
        if (bytes == null) throw new ObjectNotFoundException(key);
        if (bytes.length == 0) {
            // empty: the offset is at the end, past it, or the object is empty; only the size tells
            ObjectInfo info = stat(key).orElseThrow(() -> new ObjectNotFoundException(key));
            if (offset > info.size()) throw pastTheEnd(key, offset, info.size());
        }
        return bytes;
    }

    /** The bytes of [offset, offset + length) clipped to the object, or null when it is absent. */
    private byte[] readRange(String name, long offset, int length) {
        try (ReadChannel in = storage.reader(BlobId.of(options.bucket(), name), Storage.BlobSourceOption.shouldReturnRawInputStream(true))) {
            in.seek(offset);
            in.limit(offset + length);
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(length, IO_BUFFER));
            ByteBuffer buf = ByteBuffer.allocate(Math.min(length, 64 * 1024));
            while (out.size() < length) {
                buf.clear();
                int n = in.read(buf);
                if (n < 0) break;
                out.write(buf.array(), 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            StorageException se = asStorageException(e);
            if (se.getCode() == 404) return null;
            if (se.getCode() == 416) return new byte[0];
            throw se;
        } catch (StorageException e) {
            if (e.getCode() == 404) return null;
            if (e.getCode() == 416) return new byte[0];
            throw e;
        }
    }

    private static EOFException pastTheEnd(String key, long offset, long size) {
        return new EOFException("range of object '" + key + "' starts past its end: offset=" + offset + ", size=" + size);
    }

    @Override
    public ObjectInfo downloadTo(String key, Path target) throws IOException {
        String name = name(key);
        Path dir = target.toAbsolutePath().getParent();
        ObjectInfo info = retrying("downloadTo", key, attempt -> {
            while (true) {
                Blob blob = storage.get(BlobId.of(options.bucket(), name));
                if (blob == null) return null;
                Path temp = dir.resolve(ObjectKeys.RESERVED_PREFIX + "dl-" + PID + "-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
                try {
                    // local file errors and a corrupt object are final; download() turns transport errors into StorageExceptions
                    if (!download(key, blob, temp)) continue; // replaced since the metadata read
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    LocalDirectoryObjectStore.fsyncDirectory(dir);
                    return info(key, blob);
                } finally {
                    try {
                        Files.deleteIfExists(temp);
                    } catch (IOException e) {
                        log.debug("could not remove {}", temp, e);
                    }
                }
            }
        });
        if (info == null) throw new ObjectNotFoundException(key);
        return info;
    }

    /** Streams generation {@code blob} into {@code temp}, checked and fsynced; false if that generation is gone. */
    private boolean download(String key, Blob blob, Path temp) throws IOException {
        CRC32C crc = new CRC32C();
        long size = 0;
        try (ReadChannel in = storage.reader(BlobId.of(options.bucket(), blob.getName(), blob.getGeneration()),
                Storage.BlobSourceOption.shouldReturnRawInputStream(true));
             FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            in.setChunkSize(IO_BUFFER);
            ByteBuffer buf = ByteBuffer.allocate(IO_BUFFER);
            while (true) {
                buf.clear();
                int n;
                try {
                    n = in.read(buf);
                } catch (IOException e) {
                    StorageException se = asStorageException(e);
                    if (se.getCode() == 404) return false;
                    throw se;
                } catch (StorageException e) {
                    if (e.getCode() == 404) return false;
                    throw e;
                }
                if (n < 0) break;
                buf.flip();
                crc.update(buf.array(), 0, buf.limit());
                size += n;
                while (buf.hasRemaining()) out.write(buf);
            }
            if (size != blob.getSize()) {
                throw new CorruptObjectException(key, "downloaded " + size + " bytes, metadata says " + blob.getSize());
            }
            checkCrc(key, blob, crc);
            out.force(true);
        }
        return true;
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        String name = name(key);
        return retrying("stat", key, attempt -> Optional.ofNullable(storage.get(BlobId.of(options.bucket(), name))).map(b -> info(key, b)));
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        ensureOpen();
        ObjectKeys.validatePrefix(prefix);
        String namePrefix = options.root() + prefix;
        return retrying("list", prefix, attempt -> {
            List<ObjectInfo> out = new ArrayList<>();
            Page<Blob> page = storage.list(options.bucket(), Storage.BlobListOption.prefix(namePrefix),
                    Storage.BlobListOption.pageSize(options.listPageSize()));
            // a failed page restarts the listing: a page token is only good with its listing
            for (Blob b : page.iterateAll()) {
                String key = b.getName().substring(options.root().length());
                try {
                    ObjectKeys.validateKey(key);
                } catch (IllegalArgumentException e) {
                    log.debug("skipping object '{}' in gs://{}: not a Tamter key", b.getName(), options.bucket());
                    continue;
                }
                out.add(info(key, b));
            }
            out.sort((a, c) -> ObjectKeys.ORDER.compare(a.key(), c.key()));
            return out;
        });
    }

    @Override
    public boolean delete(String key) throws IOException {
        String name = name(key);
        return retrying("delete", key, attempt -> storage.delete(BlobId.of(options.bucket(), name)) || attempt > 1);
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        try {
            storage.close();
        } catch (Exception e) {
            throw new IOException("closing the GCS client failed", e);
        }
    }

    @Override
    public String toString() {
        return "GcsObjectStore[gs://" + options.bucket() + "/" + options.root() + (options.host() == null ? "" : " at " + options.host()) + "]";
    }

    // ---- retries ----

    @FunctionalInterface
    private interface Attempt<T> {
        /** One try; {@code attempt} is 1 for the first. A {@link StorageException} may be retried, an {@link IOException} (local file, corrupt object) is final. */
        T run(int attempt) throws IOException;
    }

    private <T> T retrying(String op, String key, Attempt<T> call) throws IOException {
        long backoff = options.initialBackoff().toMillis();
        for (int attempt = 1; ; attempt++) {
            try {
                return call.run(attempt);
            } catch (StorageException e) {
                if (!isTransient(e)) {
                    throw new IOException("GCS " + op + " of '" + key + "' in gs://" + options.bucket() + " failed: " + describe(e), e);
                }
                if (attempt >= options.maxAttempts()) {
                    throw new IOException("GCS " + op + " of '" + key + "' in gs://" + options.bucket() + " failed after " + attempt
                            + " attempts: " + describe(e), e);
                }
                long sleep = backoff <= 0 ? 0 : ThreadLocalRandom.current().nextLong(backoff + 1); // full jitter
                log.debug("GCS {} of '{}' failed transiently ({}); attempt {} in {} ms", op, key, describe(e), attempt + 1, sleep);
                try {
                    Thread.sleep(sleep);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while retrying GCS " + op + " of '" + key + "'");
                }
                backoff = Math.min(Math.max(backoff * 2, 1), options.maxBackoff().toMillis());
            }
        }
    }

    /** GCS's retryable statuses, and failures with no status (connection reset, timeout, no answer). */
    static boolean isTransient(StorageException e) {
        int code = e.getCode();
        return code == 408 || code == 429 || code == 500 || code == 502 || code == 503 || code == 504
                || (code == 0 && hasIoCause(e));
    }

    private static boolean hasIoCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) if (t instanceof IOException) return true;
        return false;
    }

    private static String describe(StorageException e) {
        return e.getCode() == 0 ? String.valueOf(e.getCause() != null ? e.getCause() : e.getMessage()) : e.getCode() + " " + e.getMessage();
    }

    /** The StorageException inside {@code e}, or {@code e} as a status-less (transient) one. */
    private static StorageException asStorageException(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StorageException se) return se;
            if (t instanceof BaseServiceException bse) return new StorageException(bse.getCode(), bse.getMessage(), bse);
        }
        return new StorageException(e);
    }

    // ---- helpers ----

    private String name(String key) {
        ensureOpen();
        ObjectKeys.validateKey(key);
        String name = options.root() + key;
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("invalid object key '" + ObjectKeys.printable(key) + "': with the root '" + options.root()
                    + "' the GCS name is " + bytes + " bytes, over " + MAX_NAME_BYTES);
        }
        return name;
    }

    private static ObjectInfo info(String key, Blob blob) {
        return new ObjectInfo(key, blob.getSize(), blob.getGeneration());
    }

    private static byte[] verified(String key, Blob blob, byte[] bytes) throws CorruptObjectException {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        if (bytes.length != blob.getSize()) {
            throw new CorruptObjectException(key, "read " + bytes.length + " bytes, metadata says " + blob.getSize());
        }
        checkCrc(key, blob, crc);
        return bytes;
    }

    private static void checkCrc(String key, Blob blob, CRC32C crc) throws CorruptObjectException {
        String actual = encodeCrc((int) crc.getValue());
        if (blob.getCrc32c() != null && !blob.getCrc32c().equals(actual)) {
            throw new CorruptObjectException(key, "CRC32C mismatch: object says " + blob.getCrc32c() + ", bytes have " + actual);
        }
    }

    static String crc32c(byte[] bytes, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, off, len);
        return encodeCrc((int) crc.getValue());
    }

    private static String crc32cOfFile(Path file) throws IOException {
        CRC32C crc = new CRC32C();
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(IO_BUFFER);
            while (in.read(buf) >= 0) {
                buf.flip();
                crc.update(buf);
                buf.clear();
            }
        }
        return encodeCrc((int) crc.getValue());
    }

    /** GCS's form of a CRC32C: base64 of the big-endian 4 bytes. */
    private static String encodeCrc(int crc) {
        return Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt(crc).array());
    }

    private static String newToken() {
        byte[] b = new byte[16];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException(this + " is closed");
    }
}
