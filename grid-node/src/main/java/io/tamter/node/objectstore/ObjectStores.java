package io.tamter.node.objectstore;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/**
 * Opens the {@link ObjectStore} an object-store URI names, so that configuration is one string:
 * <ul>
 *   <li>{@code file:///dir} (or a bare path, {@code /dir}): {@link LocalDirectoryObjectStore} at
 *       {@code dir};</li>
 *   <li>{@code gs://bucket} or {@code gs://bucket/prefix}: {@link GcsObjectStore} on that bucket,
 *       every key under {@code prefix/}, with {@link GcsObjectStoreOptions#fromEnvironment}'s
 *       endpoint and credentials (Application Default Credentials, or the server
 *       {@code STORAGE_EMULATOR_HOST} names).</li>
 * </ul>
 */
public final class ObjectStores {
    private ObjectStores() {
    }

    /** {@link #open(URI, Map)} with the process environment. */
    public static ObjectStore open(URI uri) throws IOException {
        return open(uri, System.getenv());
    }

    /** Opens the store {@code uri} names; {@code env} supplies {@code STORAGE_EMULATOR_HOST}. */
    public static ObjectStore open(URI uri, Map<String, String> env) throws IOException {
        String scheme = uri.getScheme();
        if (scheme == null) {
            if (uri.getPath() == null || uri.getPath().isEmpty()) throw new IllegalArgumentException("object store URI without a path: '" + uri + "'");
            return new LocalDirectoryObjectStore(Path.of(uri.getPath()));
        }
        return switch (scheme) {
            case "file" -> {
                if (uri.getAuthority() != null && !uri.getAuthority().isEmpty()) {
                    throw new IllegalArgumentException("file object store URI with a host: '" + uri + "' (use file:///dir)");
                }
                yield new LocalDirectoryObjectStore(Path.of(uri));
            }
            case "gs" -> {
                String bucket = uri.getHost();
                if (bucket == null) bucket = uri.getAuthority();
                if (bucket == null || bucket.isEmpty()) throw new IllegalArgumentException("gs:// object store URI without a bucket: '" + uri + "'");
                if (uri.getQuery() != null || uri.getFragment() != null) {
                    throw new IllegalArgumentException("gs:// object store URI with a query or fragment: '" + uri + "'");
                }
                String path = uri.getPath() == null ? "" : uri.getPath();
                String root = path.startsWith("/") ? path.substring(1) : path;
                yield new GcsObjectStore(GcsObjectStoreOptions.fromEnvironment(bucket, root, env));
            }
            default -> throw new IllegalArgumentException("unknown object store scheme '" + scheme + "' in '" + uri
                    + "'; use file:///dir or gs://bucket/prefix");
        };
    }
}
