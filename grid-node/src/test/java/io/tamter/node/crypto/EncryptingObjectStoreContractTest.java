package io.tamter.node.crypto;

import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import io.tamter.node.objectstore.ObjectStore;
import io.tamter.node.objectstore.ObjectStoreContractTest;
import java.nio.file.Files;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;

/**
 * The object store contract, run against the encrypting decorator over a local directory with
 * every key encrypted (prefix ""): encryption changes nothing a caller can observe except that
 * the bytes at rest are ciphertext.
 */
class EncryptingObjectStoreContractTest extends ObjectStoreContractTest {
    private static final AtomicInteger STORES = new AtomicInteger();
    private ObjectStore inner;

    @Override
    protected ObjectStore newStore() throws Exception {
        int n = STORES.incrementAndGet();
        inner = new LocalDirectoryObjectStore(tmp.resolve("store-" + n));
        return new EncryptingObjectStore(inner, "", DataKey.generate(), Files.createDirectories(tmp.resolve("spool-" + n)));
    }

    @AfterEach
    void closeInner() throws Exception {
        if (inner != null) inner.close();
    }
}
