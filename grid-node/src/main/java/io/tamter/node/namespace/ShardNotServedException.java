package io.tamter.node.namespace;

/**
 * A request reached a node that does not serve the shard it needs (on a grid: the shard is owned by
 * another node, or is moving). Nothing was written; the caller routes again and retries (HTTP 503
 * {@code shard_moved} with Retry-After when it gives up).
 */
public final class ShardNotServedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String namespace;
    private final int shard;

    public ShardNotServedException(String namespace, int shard) {
        super("shard " + namespace + "/" + shard + " is not served by this node (it is owned by another node or moving); retry");
        this.namespace = namespace;
        this.shard = shard;
    }

    public String namespace() {
        return namespace;
    }

    public int shard() {
        return shard;
    }
}
