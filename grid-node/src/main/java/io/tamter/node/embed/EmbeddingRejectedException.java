package io.tamter.node.embed;

/**
 * The embedding queue of the model is full: the request was not queued and nothing of it was
 * embedded. Callers map it to backpressure (HTTP 429 with {@code Retry-After}).
 */
public final class EmbeddingRejectedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EmbeddingRejectedException(String message) {
        super(message);
    }
}
