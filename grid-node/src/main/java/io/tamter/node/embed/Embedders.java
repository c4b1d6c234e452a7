package io.tamter.node.embed;

import io.tamter.config.Settings;
import java.util.EnumMap;
import java.util.Map;

/**
 * The node's embedders: at most one {@link Embedder} per {@link EmbeddingModel}, opened on first
 * use and shared by every namespace that names the model (a model costs ~25–35 MB and its own
 * pool, so namespaces must not each open theirs). Thread-safe.
 */
public final class Embedders implements AutoCloseable {
    private final Settings settings;
    private final Map<EmbeddingModel, Embedder> open = new EnumMap<>(EmbeddingModel.class);
    private boolean closed;

    public Embedders(Settings settings) {
        this.settings = settings;
    }

    /** The embedder of {@code model}, loading it on first use (about a second). */
    public synchronized Embedder get(EmbeddingModel model) {
        if (closed) throw new IllegalStateException("embedders are closed");
        return open.computeIfAbsent(model, m -> Embedder.open(m, settings));
    }

    /**
     * The embedder of the model a namespace setting names.
     *
     * @throws IllegalArgumentException the name is not a known model (the message lists them)
     */
    public Embedder get(String modelName) {
        return get(EmbeddingModel.fromName(modelName));
    }

    /** Closes every embedder opened so far; later {@link #get} calls fail. */
    @Override
    public synchronized void close() {
        closed = true;
        for (Embedder e : open.values()) e.close();
        open.clear();
    }
}
