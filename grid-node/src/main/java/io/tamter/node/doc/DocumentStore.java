package io.tamter.node.doc;

import io.tamter.node.storage.ShardDb;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * A shard's stored documents in the {@code docs} column family of its {@link ShardDb}: two keys
 * per document, written and deleted together in the shard's apply batch.
 * <ul>
 *   <li>{@code 'i' + DocId.key()} → the vid (8 bytes, big-endian): lookups by id, and pages in
 *       id order ({@link #documentsAfter});</li>
 *   <li>{@code 'v' + vid} (big-endian) → {@link DocumentCodec}'s encoding: lookups by vid (search
 *       results, exact scans) and walks in vid order ({@link #visitFrom}).</li>
 * </ul>
 * It holds no state beyond the instance it reads: the shard decides when writes land (in its
 * apply, with its own records in the same batch) and what a read may see.
 */
public final class DocumentStore {
    private final ShardDb db;
    private final String owner;

    /** @param owner what read errors name (the shard) */
    public DocumentStore(ShardDb db, String owner) {
        this.db = db;
        this.owner = owner;
    }

    /** The stored document of {@code id} with its vid, or null. */
    public DocumentCodec.Stored get(DocId id) {
        byte[] v = read(idKey(id));
        if (v == null) return null;
        byte[] d = read(vidKey(ByteBuffer.wrap(v).getLong()));
        return d == null ? null : DocumentCodec.decode(d);
    }

    /** The stored document of {@code vid}, or null. */
    public Document byVid(long vid) {
        byte[] d = read(vidKey(vid));
        return d == null ? null : DocumentCodec.decode(d).doc();
    }

    /**
     * Up to {@code limit} stored documents in id order ({@link DocId#compareTo}: the byte order of
     * {@link DocId#key()}) whose id is greater than {@code after} (null: from the first). A
     * document deleted while the page is read is left out.
     */
    public List<Document> documentsAfter(DocId after, int limit) {
        List<Document> out = new ArrayList<>(Math.min(limit, 1024));
        byte[] from = after == null ? new byte[] {'i'} : idKey(after);
        try (RocksIterator it = db.db().newIterator(db.docs(), db.readOptions())) {
            for (it.seek(from); it.isValid() && out.size() < limit; it.next()) {
                byte[] k = it.key();
                if (k[0] != 'i') break;
                if (after != null && Arrays.equals(k, from)) continue;
                Document d = byVid(ByteBuffer.wrap(it.value()).getLong());
                if (d != null) out.add(d);
            }
        }
        return out;
    }

    /**
     * Hands up to {@code batch} stored documents to {@code visitor}, in vid order from
     * {@code fromVid}; returns the vid to continue from, or -1 when none is left.
     */
    public long visitFrom(long fromVid, int batch, Consumer<DocumentCodec.Stored> visitor) {
        try (RocksIterator it = db.db().newIterator(db.docs(), db.readOptions())) {
            int n = 0;
            for (it.seek(vidKey(fromVid)); it.isValid() && it.key()[0] == 'v'; it.next()) {
                if (n == batch) return ByteBuffer.wrap(it.key(), 1, 8).getLong();
                n++;
                visitor.accept(DocumentCodec.decode(it.value()));
            }
        }
        return -1;
    }

    /** Adds the writing of {@code doc} at {@code vid} to {@code b}. */
    public void put(WriteBatch b, long vid, Document doc) throws RocksDBException {
        b.put(db.docs(), idKey(doc.id()), ByteBuffer.allocate(8).putLong(vid).array());
        b.put(db.docs(), vidKey(vid), DocumentCodec.encode(vid, doc));
    }

    /** Adds the deletion of document {@code id} at {@code vid} to {@code b}. */
    public void delete(WriteBatch b, DocId id, long vid) throws RocksDBException {
        b.delete(db.docs(), idKey(id));
        b.delete(db.docs(), vidKey(vid));
    }

    static byte[] idKey(DocId id) {
        byte[] k = id.key();
        byte[] out = new byte[k.length + 1];
        out[0] = 'i';
        System.arraycopy(k, 0, out, 1, k.length);
        return out;
    }

    static byte[] vidKey(long vid) {
        return ByteBuffer.allocate(9).put((byte) 'v').putLong(vid).array();
    }

    private byte[] read(byte[] key) {
        try {
            return db.db().get(db.docs(), db.readOptions(), key);
        } catch (RocksDBException e) {
            throw new UncheckedIOException(new IOException("cannot read documents of " + owner + ": " + e.getMessage(), e));
        }
    }
}
