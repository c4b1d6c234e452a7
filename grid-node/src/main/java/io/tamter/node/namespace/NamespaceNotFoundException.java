package io.tamter.node.namespace;

/** A read of a namespace that does not exist (HTTP 404). */
public class NamespaceNotFoundException extends RuntimeException {
    private final String namespace;

    public NamespaceNotFoundException(String namespace) {
        super("namespace '" + namespace + "' does not exist");
        this.namespace = namespace;
    }

    public String namespace() {
        return namespace;
    }
}
