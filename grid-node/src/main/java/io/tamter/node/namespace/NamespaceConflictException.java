package io.tamter.node.namespace;

import io.tamter.node.doc.InvalidRequestException;

/**
 * A request that is well-formed but conflicts with the namespace's state (HTTP 409; a layer that
 * maps only {@link InvalidRequestException} answers 400): changing the encryption of a namespace
 * that already has data ({@code namespace_not_empty}), copying into a namespace that has
 * documents ({@code target_not_empty}). Nothing was changed.
 */
public class NamespaceConflictException extends InvalidRequestException {
    public NamespaceConflictException(String code, String path, String message) {
        super(code, path, message);
    }
}
