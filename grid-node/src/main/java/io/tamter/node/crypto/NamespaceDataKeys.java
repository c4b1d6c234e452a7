package io.tamter.node.crypto;

import io.tamter.node.objectstore.ObjectKeys;
import io.tamter.node.objectstore.ObjectNotFoundException;
import io.tamter.node.objectstore.ObjectStore;
import java.io.IOException;
import java.util.Optional;
import javax.crypto.SecretKey;

/**
 * Where a namespace's wrapped data key lives and how it is created: one {@link EnvelopeCodec}
 * record at {@code <ns>/keys/data-key.bin}, written with create-if-absent so that of several
 * nodes enabling encryption at once exactly one data key wins and every node uses it.
 */
public final class NamespaceDataKeys {
    /** Key of the record relative to the namespace folder. */
    public static final String RECORD_NAME = "keys/data-key.bin";

    private NamespaceDataKeys() {
    }

    /** The object key of {@code namespace}'s data key record. */
    public static String recordKey(String namespace) {
        if (namespace == null || namespace.isEmpty() || namespace.contains("/")) {
            throw new IllegalArgumentException("invalid namespace name '" + namespace + "'");
        }
        return ObjectKeys.validateKey(namespace + "/" + RECORD_NAME);
    }

    /**
     * The data key of {@code namespace}: the existing one, or a new random key wrapped with the KEK
     * {@code keyName} and stored if there is none yet.
     *
     * @throws KeyUnavailableException if the KEK is unavailable or is not the one that wrapped the
     *         existing key, or the namespace's key is wrapped by another key name
     */
    public static DataKey createOrLoad(ObjectStore store, String namespace, String keyName, KeyEncryptionKeys keks) throws IOException {
        String record = recordKey(namespace);
        SecretKey kek = keks.key(keyName);
        Optional<byte[]> existing = store.get(record);
        if (existing.isEmpty()) {
            DataKey fresh = DataKey.generate();
            if (store.putIfAbsent(record, EnvelopeCodec.wrap(fresh, keyName, kek, namespace))) return fresh;
            existing = store.get(record); // another node created it first: use theirs
            if (existing.isEmpty()) throw new ObjectNotFoundException(record);
        }
        String wrappedBy = EnvelopeCodec.header(record, existing.get()).keyName();
        if (!wrappedBy.equals(keyName)) {
            throw new KeyUnavailableException(keyName, "namespace '" + namespace + "' has a data key wrapped by key '" + wrappedBy
                    + "' (changing the key of a namespace is not supported yet)");
        }
        return EnvelopeCodec.unwrap(record, existing.get(), kek, namespace);
    }

    /**
     * The existing data key of {@code namespace}, unwrapped with the KEK its record names.
     *
     * @throws ObjectNotFoundException if the namespace has no data key record
     */
    public static DataKey load(ObjectStore store, String namespace, KeyEncryptionKeys keks) throws IOException {
        String record = recordKey(namespace);
        byte[] bytes = store.get(record).orElseThrow(() -> new ObjectNotFoundException(record));
        String keyName = EnvelopeCodec.header(record, bytes).keyName();
        return EnvelopeCodec.unwrap(record, bytes, keks.key(keyName), namespace);
    }
}
