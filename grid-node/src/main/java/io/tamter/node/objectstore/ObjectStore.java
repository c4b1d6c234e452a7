package io.tamter.node.objectstore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The durable tier and source of truth of Tamter: WAL segments, checkpoint files (RocksDB,
 * Lucene) and manifests, under keys such as {@code <ns>/shards/<s>/wal/<seq, 20 digits>.log}
 * (layout in ARCHITECTURE.md). Everything local to a node can be rebuilt from it.
 *
 * <p>The operations are the few that the storage engine needs and that both a local directory
 * and Google Cloud Storage can give with the same guarantees, checked by one contract test
 * suite ({@code ObjectStoreContractTest}) that every implementation runs:
 * <ul>
 *   <li><b>Durable writes.</b> A write that returns has reached stable storage; a crash at any
 *       point leaves either the old object or the new one, never a torn one.</li>
 *   <li><b>Create-if-absent</b> ({@link #putIfAbsent}) is atomic across threads, processes and
 *       nodes: of any number of writers of one key exactly one wins. This is the fencing of the
 *       WAL: two nodes that both believe they own a shard cannot both write sequence n.</li>
 *   <li><b>Generations</b>: every write of a key gives it a new, strictly greater generation
 *       (opaque: GCS's object generation, a local counter). {@link #compareAndSet} writes only
 *       if the generation is still the one the caller read, which serializes manifest and
 *       namespace-settings updates without a lock service.</li>
 *   <li>Reads see whole writes: a reader gets the bytes of one complete write.</li>
 * </ul>
 * Keys follow {@link ObjectKeys}; an invalid key or prefix fails with an
 * {@link IllegalArgumentException} that names it, before any I/O. A key cannot be both an object
 * and a "folder" of other objects ({@code a/b} and {@code a/b/c}): the storage layout never does
 * this and the local directory store cannot represent it.
 *
 * <p>Implementations are thread-safe. {@link #close()} releases their resources; no operation
 * may be called after it.
 */
public interface ObjectStore extends AutoCloseable {
    /**
     * The generation of an object that does not exist: {@code compareAndSet(key, NO_GENERATION, b)}
     * creates the object only if it is absent. Real generations are always greater.
     */
    long NO_GENERATION = 0L;

    /**
     * Writes {@code bytes} under {@code key}, replacing any existing object. Durable when it
     * returns.
     *
     * @return the written object's size and new generation
     */
    ObjectInfo put(String key, byte[] bytes) throws IOException;

    /**
     * Creates {@code key} with {@code bytes} only if no object has that key. Atomic across
     * threads, processes and nodes: of concurrent callers for one key exactly one gets
     * {@code true}, and the stored bytes are that caller's. Durable when it returns {@code true}.
     *
     * @return {@code true} if this call created the object, {@code false} if it already existed
     *         (the existing object is left as it was)
     */
    boolean putIfAbsent(String key, byte[] bytes) throws IOException;

    /**
     * Uploads the file {@code source} under {@code key}, replacing any existing object; streamed,
     * so the file may be larger than the heap. Durable when it returns. Used for checkpoint
     * files (RocksDB SSTs and blobs, Lucene segments), which are immutable once written.
     *
     * @return the written object's size and new generation
     * @throws java.nio.file.NoSuchFileException if {@code source} does not exist
     */
    ObjectInfo putFile(String key, Path source) throws IOException;

    /**
     * Replaces {@code key} with {@code bytes} only if its current generation is
     * {@code expectedGeneration}; {@link #NO_GENERATION} means "only if absent". Atomic across
     * threads, processes and nodes. A caller that loses changes nothing. Durable when it returns
     * {@code true}. Start read-modify-write loops from {@link #getObject}, which returns bytes
     * and generation together.
     *
     * @return {@code true} if the object was written, {@code false} if its generation was not
     *         {@code expectedGeneration} (another writer got there first)
     */
    boolean compareAndSet(String key, long expectedGeneration, byte[] bytes) throws IOException;

    /** The whole object, or empty when no object has {@code key}. */
    default Optional<byte[]> get(String key) throws IOException {
        return getObject(key).map(StoredObject::bytes);
    }

    /** The whole object with its generation (one consistent pair), or empty when it is absent. */
    Optional<StoredObject> getObject(String key) throws IOException;

    /**
     * Reads up to {@code length} bytes of the object from {@code offset}. A range that runs past
     * the end is truncated to the end (an {@code offset} equal to the size gives an empty array);
     * an {@code offset} past the end fails.
     *
     * @throws ObjectNotFoundException  if the object does not exist
     * @throws java.io.EOFException     if {@code offset} is greater than the object's size
     * @throws IllegalArgumentException if {@code offset} or {@code length} is negative
     */
    byte[] getRange(String key, long offset, int length) throws IOException;

    /**
     * Streams the object into the file {@code target}, replacing it if it exists. The file
     * appears whole or not at all (written beside it, then renamed) and is durable when this
     * returns; its parent directory must exist.
     *
     * @return the size and generation of the object that was downloaded
     * @throws ObjectNotFoundException if the object does not exist
     */
    ObjectInfo downloadTo(String key, Path target) throws IOException;

    /** Size and generation of {@code key}, or empty when it is absent. */
    Optional<ObjectInfo> stat(String key) throws IOException;

    /**
     * All objects whose key starts with {@code prefix} (a string prefix, not a folder:
     * {@code "ns/shards/1"} also matches {@code "ns/shards/10/…"}), sorted by
     * {@link ObjectKeys#ORDER}. The empty prefix lists everything. Not a snapshot: objects
     * written or deleted during the call may or may not appear.
     */
    List<ObjectInfo> list(String prefix) throws IOException;

    /**
     * Deletes {@code key}. Idempotent: deleting an absent key does nothing.
     *
     * @return {@code true} if an object was deleted
     */
    boolean delete(String key) throws IOException;

    /**
     * Deletes every object whose key starts with {@code prefix} (non-empty: wiping the whole
     * store takes more than a typo). Each delete is atomic; the whole is not, so concurrent
     * writers under the prefix may leave objects behind.
     *
     * @return how many objects were deleted
     */
    default int deletePrefix(String prefix) throws IOException {
        if (prefix == null || prefix.isEmpty()) throw new IllegalArgumentException("deletePrefix needs a non-empty prefix");
        int n = 0;
        for (ObjectInfo info : list(prefix)) {
            if (delete(info.key())) n++;
        }
        return n;
    }

    @Override
    void close() throws IOException;
}
