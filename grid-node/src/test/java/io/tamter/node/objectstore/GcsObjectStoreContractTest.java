package io.tamter.node.objectstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * The contract suite on {@link GcsObjectStore}: the real GCS client over HTTP to
 * {@link GcsTestServer}. Listing pages are 3 objects, so the listings here page; uploads above
 * 1 MiB are resumable, in 256 KiB chunks, so the large-file test uploads in many chunks.
 */
class GcsObjectStoreContractTest extends ObjectStoreContractTest {
    static final String BUCKET = "tamter-contract";
    private static GcsTestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = new GcsTestServer().createBucket(BUCKET);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) server.close();
    }

    @Override
    protected ObjectStore newStore() {
        // the bucket root: a root prefix would shorten the longest key (GcsObjectStoreTest covers roots)
        return new GcsObjectStore(GcsObjectStoreOptions.of(BUCKET, "").withHost(server.endpoint())
                .withRetries(3, Duration.ofMillis(1), Duration.ofMillis(10))
                .withUploads(1 << 20, 256 * 1024)
                .withListPageSize(3));
    }

    @AfterEach
    void clientUsedOnlyImplementedRoutes() {
        assertThat(server.unhandled()).as("requests the test server does not implement").isEmpty();
    }
}
