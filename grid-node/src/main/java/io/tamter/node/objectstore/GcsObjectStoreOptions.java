package io.tamter.node.objectstore;

import java.time.Duration;
import java.util.Map;

/**
 * How a {@link GcsObjectStore} reaches its bucket and how hard it tries.
 *
 * @param bucket              the bucket
 * @param root                prefix of every object name: empty, or ending with '/'
 * @param host                endpoint for a test server (plain HTTP, no credentials), or null
 *                            for Google with Application Default Credentials
 * @param maxAttempts         attempts per call, first included
 * @param initialBackoff      wait before the first retry (then doubled, with full jitter)
 * @param maxBackoff          longest wait between attempts
 * @param connectTimeout      HTTP connect timeout
 * @param readTimeout         HTTP read timeout (a request silent this long fails, transiently)
 * @param resumableThreshold  larger objects are uploaded resumably
 * @param uploadChunkSize     chunk of a resumable upload; a multiple of 256 KiB
 * @param listPageSize        objects per listing page (at most 1000)
 */
public record GcsObjectStoreOptions(String bucket, String root, String host, int maxAttempts, Duration initialBackoff,
                                    Duration maxBackoff, Duration connectTimeout, Duration readTimeout, long resumableThreshold,
                                    int uploadChunkSize, int listPageSize) {
    public GcsObjectStoreOptions {
        if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")) {
            throw new IllegalArgumentException("invalid GCS bucket name '" + bucket + "'");
        }
        root = root == null ? "" : root;
        if (!root.isEmpty()) {
            if (!root.endsWith("/")) root = root + "/";
            ObjectKeys.validatePrefix(root);
        }
        if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be >= 1; maxAttempts=" + maxAttempts);
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("need 0 <= initialBackoff <= maxBackoff; initialBackoff=" + initialBackoff
                    + ", maxBackoff=" + maxBackoff);
        }
        if (uploadChunkSize <= 0 || uploadChunkSize % (256 * 1024) != 0) {
            throw new IllegalArgumentException("uploadChunkSize must be a positive multiple of 262144; uploadChunkSize=" + uploadChunkSize);
        }
        if (resumableThreshold < 0) throw new IllegalArgumentException("resumableThreshold must be >= 0; resumableThreshold=" + resumableThreshold);
        if (listPageSize < 1 || listPageSize > 1000) {
            throw new IllegalArgumentException("listPageSize must be in 1..1000; listPageSize=" + listPageSize);
        }
    }

    /** Production defaults for {@code gs://bucket/root}, against Google with ADC. */
    public static GcsObjectStoreOptions of(String bucket, String root) {
        return new GcsObjectStoreOptions(bucket, root, null, 6, Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ofSeconds(20),
                Duration.ofSeconds(60), 8L << 20, 8 << 20, 1000);
    }

    /**
     * {@link #of} with the endpoint the environment asks for: {@code STORAGE_EMULATOR_HOST}
     * ({@code host:port} or a URL) selects a test server without credentials.
     */
    public static GcsObjectStoreOptions fromEnvironment(String bucket, String root, Map<String, String> env) {
        GcsObjectStoreOptions o = of(bucket, root);
        String emulator = env.get("STORAGE_EMULATOR_HOST");
        if (emulator == null || emulator.isBlank()) return o;
        String host = emulator.contains("://") ? emulator.strip() : "http://" + emulator.strip();
        return o.withHost(host);
    }

    public GcsObjectStoreOptions withHost(String h) {
        return new GcsObjectStoreOptions(bucket, root, h, maxAttempts, initialBackoff, maxBackoff, connectTimeout, readTimeout,
                resumableThreshold, uploadChunkSize, listPageSize);
    }

    public GcsObjectStoreOptions withRetries(int attempts, Duration initial, Duration max) {
        return new GcsObjectStoreOptions(bucket, root, host, attempts, initial, max, connectTimeout, readTimeout, resumableThreshold,
                uploadChunkSize, listPageSize);
    }

    public GcsObjectStoreOptions withTimeouts(Duration connect, Duration read) {
        return new GcsObjectStoreOptions(bucket, root, host, maxAttempts, initialBackoff, maxBackoff, connect, read, resumableThreshold,
                uploadChunkSize, listPageSize);
    }

    public GcsObjectStoreOptions withUploads(long threshold, int chunkSize) {
        return new GcsObjectStoreOptions(bucket, root, host, maxAttempts, initialBackoff, maxBackoff, connectTimeout, readTimeout,
                threshold, chunkSize, listPageSize);
    }

    public GcsObjectStoreOptions withListPageSize(int pageSize) {
        return new GcsObjectStoreOptions(bucket, root, host, maxAttempts, initialBackoff, maxBackoff, connectTimeout, readTimeout,
                resumableThreshold, uploadChunkSize, pageSize);
    }
}
