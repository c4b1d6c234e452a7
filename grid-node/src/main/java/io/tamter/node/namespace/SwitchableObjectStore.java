package io.tamter.node.namespace;

import io.tamter.node.objectstore.ForwardingObjectStore;
import io.tamter.node.objectstore.ObjectStore;


/**
 * The object store a namespace's shards write through: the node's store, or an
 * {@link io.tamter.node.crypto.EncryptingObjectStore} over it for customer-managed encryption.
 * The target changes only when the namespace's encryption changes, which is allowed only while
 * the namespace has no data objects and no write runs ({@link NamespaceManager#setEncryption}),
 * so no object is ever read with another key than it was written with. Closing it does nothing
 * ({@link ForwardingObjectStore}): the node's store is shared.
 */
final class SwitchableObjectStore extends ForwardingObjectStore {
    private volatile ObjectStore target;

    SwitchableObjectStore(ObjectStore target) {
        this.target = target;
    }

    void switchTo(ObjectStore next) {
        this.target = next;
    }

    ObjectStore target() {
        return target;
    }

    @Override
    protected ObjectStore delegate() {
        return target;
    }

    @Override
    public String toString() {
        return "SwitchableObjectStore[" + target + "]";
    }
}
