package io.tamter.node.crypto;

import io.tamter.config.Params;
import io.tamter.config.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.util.Arrays;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The node's key-encryption keys (KEKs): AES-256 secret-key entries of a local PKCS#12 keystore,
 * looked up by the {@code key_name} of a namespace's customer-managed encryption settings. A KEK
 * only wraps and unwraps namespace data keys ({@link EnvelopeCodec}); it never leaves this process
 * and is never written to the object store or to a message.
 *
 * <p>The keystore is {@link Params#CRYPTO_KEYSTORE_PATH}; its password (which is also the password
 * of every entry) is {@link Params#CRYPTO_KEYSTORE_PASSWORD}, best given in the environment as
 * {@code TAMTER_CRYPTO_KEYSTORE_PASSWORD} (Settings' {@code TAMTER_} override) so it is not in a
 * config file. The keystore is read on first use and cached; {@link #verify()} reads it at once
 * (a node calls it at start so a wrong password fails early).
 *
 * <p>Create a keystore with {@code keytool -genseckey -storetype PKCS12 -keyalg AES -keysize 256
 * -alias <key_name> -keystore keks.p12}, or in Java with {@code KeyStore.getInstance("PKCS12")}
 * and a {@link KeyStore.SecretKeyEntry}. Thread-safe.
 */
public final class KeyEncryptionKeys {
    private static final int KEK_BYTES = 32;

    private final Path keystore;
    private final char[] password;
    private KeyStore loaded;

    private KeyEncryptionKeys(Path keystore, char[] password) {
        this.keystore = keystore;
        this.password = password == null ? null : password.clone();
    }

    /** The keystore at {@code keystore} with {@code password} (read on first use). */
    public static KeyEncryptionKeys open(Path keystore, char[] password) {
        if (keystore == null) throw new IllegalArgumentException("keystore path must not be null");
        return new KeyEncryptionKeys(keystore, password == null ? new char[0] : password);
    }

    /** No keystore: every lookup fails, naming the setting to set. */
    public static KeyEncryptionKeys none() {
        return new KeyEncryptionKeys(null, null);
    }

    /** From {@code crypto.keystore_path} and {@code crypto.keystore_password}; {@link #none()} when the path is empty. */
    public static KeyEncryptionKeys fromSettings(Settings settings) {
        String path = settings.get(Params.CRYPTO_KEYSTORE_PATH);
        if (path.isBlank()) return none();
        return open(Path.of(path), settings.get(Params.CRYPTO_KEYSTORE_PASSWORD).toCharArray());
    }

    /** Whether a keystore is configured (customer-managed encryption is possible at all). */
    public boolean configured() {
        return keystore != null;
    }

    /** Reads the keystore now; fails as a lookup would, without naming a key. */
    public void verify() throws KeyUnavailableException {
        load("(any)");
    }

    /**
     * The AES-256 key named {@code keyName}.
     *
     * @throws KeyUnavailableException naming the key and the keystore when there is no keystore, it
     *         cannot be read, the password is wrong, or it has no 256-bit AES secret key of that name
     */
    public SecretKey key(String keyName) throws KeyUnavailableException {
        if (keyName == null || keyName.isBlank()) throw new IllegalArgumentException("key_name must not be empty");
        KeyStore ks = load(keyName);
        Key key;
        try {
            if (!ks.containsAlias(keyName)) {
                throw new KeyUnavailableException(keyName, "keystore " + keystore + " has no entry of that name");
            }
            if (!ks.entryInstanceOf(keyName, KeyStore.SecretKeyEntry.class)) {
                throw new KeyUnavailableException(keyName, "entry in keystore " + keystore + " is not a secret key");
            }
            key = ks.getKey(keyName, password);
        } catch (UnrecoverableKeyException e) {
            throw new KeyUnavailableException(keyName, "keystore " + keystore + " cannot recover the entry (wrong entry password)", e);
        } catch (GeneralSecurityException e) {
            throw new KeyUnavailableException(keyName, "keystore " + keystore + " cannot read the entry: " + e.getMessage(), e);
        }
        byte[] material = key == null ? null : key.getEncoded();
        try {
            if (material == null || material.length != KEK_BYTES || !"AES".equalsIgnoreCase(key.getAlgorithm())) {
                throw new KeyUnavailableException(keyName, "entry in keystore " + keystore + " is not an AES-256 key (algorithm "
                        + (key == null ? "none" : key.getAlgorithm()) + ", " + (material == null ? 0 : material.length * 8) + " bits)");
            }
            return new SecretKeySpec(material, "AES");
        } finally {
            if (material != null) Arrays.fill(material, (byte) 0);
        }
    }

    private synchronized KeyStore load(String keyName) throws KeyUnavailableException {
        if (loaded != null) return loaded;
        if (keystore == null) {
            throw new KeyUnavailableException(keyName, "no keystore is configured (set " + Params.CRYPTO_KEYSTORE_PATH.key()
                    + " and " + Params.CRYPTO_KEYSTORE_PASSWORD.envName() + ")");
        }
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
            loaded = ks;
            return ks;
        } catch (NoSuchFileException e) {
            throw new KeyUnavailableException(keyName, "keystore " + keystore + " does not exist", e);
        } catch (IOException e) {
            // PKCS12 reports a wrong password as an IOException caused by UnrecoverableKeyException
            boolean password = e.getCause() instanceof UnrecoverableKeyException;
            throw new KeyUnavailableException(keyName, "cannot open keystore " + keystore + ": "
                    + (password ? "wrong keystore password" : e.getMessage()), e);
        } catch (GeneralSecurityException e) {
            throw new KeyUnavailableException(keyName, "cannot open keystore " + keystore + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "KeyEncryptionKeys[" + (keystore == null ? "none" : keystore.toString()) + "]";
    }
}
