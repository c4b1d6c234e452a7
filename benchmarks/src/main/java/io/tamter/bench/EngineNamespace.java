package io.tamter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.tamter.bench.engine.Dirs;
import io.tamter.config.Settings;
import io.tamter.node.index.spann.SpfreshIndex;
import io.tamter.node.namespace.Namespace;
import io.tamter.node.namespace.NamespaceManager;
import io.tamter.node.objectstore.LocalDirectoryObjectStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One namespace of the real namespace engine (the write and search path the HTTP API uses), in a
 * scratch directory with a local-directory object store; closing it deletes the directory.
 */
final class EngineNamespace implements AutoCloseable {
    private final Path dir;
    private final LocalDirectoryObjectStore store;
    private final NamespaceManager manager;
    final Namespace ns;

    EngineNamespace(Path work, String prefix, Settings settings, JsonNode options) throws IOException {
        dir = Files.createDirectories(work.resolve(prefix + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime()));
        store = new LocalDirectoryObjectStore(dir.resolve("store"));
        manager = new NamespaceManager(dir.resolve("data"), store, settings, null);
        ns = manager.create("bench", options);
    }

    /** Waits until the vector index of every shard holds every acked write and has no background work left. */
    void awaitQuiescent() {
        for (int i = 0; i < ns.settings().numShards(); i++) {
            awaitIndexed(ns.shard(i));
            SpfreshIndex idx = ns.shard(i).vectorIndex();
            if (idx != null) idx.awaitQuiescent();
        }
    }

    /** Waits until the shard's index worker has caught up (the unindexed tail is empty). */
    static void awaitIndexed(io.tamter.node.shard.Shard sh) {
        try {
            if (!sh.awaitIndexed(java.util.concurrent.TimeUnit.HOURS.toMillis(24))) throw new IllegalStateException("shard " + sh.id() + " did not finish indexing");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for shard " + sh.id() + " to finish indexing", e);
        }
    }

    /** Live vectors over all shards. */
    long liveVectors() {
        long n = 0;
        for (int i = 0; i < ns.settings().numShards(); i++) {
            SpfreshIndex idx = ns.shard(i).vectorIndex();
            if (idx != null) n += idx.liveCount();
        }
        return n;
    }

    @Override
    public void close() throws IOException {
        try {
            manager.close();
        } finally {
            store.close();
            Dirs.deleteTree(dir);
        }
    }
}
