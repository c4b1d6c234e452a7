package io.tamter.node.crypto;

import java.io.IOException;

/**
 * A key-encryption key cannot be used: no keystore is configured, the keystore is missing or
 * unreadable, its password is wrong, it has no AES-256 secret key under the name, or the key
 * under that name is not the one that wrapped the namespace's data key. The message names the
 * key and the keystore, never key material; no data of the namespace is returned.
 */
public class KeyUnavailableException extends IOException {
    private final String keyName;

    public KeyUnavailableException(String keyName, String reason) {
        super("key-encryption key '" + keyName + "' is unavailable: " + reason);
        this.keyName = keyName;
    }

    public KeyUnavailableException(String keyName, String reason, Throwable cause) {
        super("key-encryption key '" + keyName + "' is unavailable: " + reason, cause);
        this.keyName = keyName;
    }

    /** The key name that was asked for. */
    public String keyName() {
        return keyName;
    }
}
