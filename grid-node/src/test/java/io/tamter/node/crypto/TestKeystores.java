package io.tamter.node.crypto;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;

/** Builds PKCS#12 keystores of AES key-encryption keys for tests, in plain Java (no keytool). */
public final class TestKeystores {
    private static final SecureRandom RANDOM = new SecureRandom();

    private TestKeystores() {
    }

    /** 32 random bytes. */
    public static byte[] randomKey() {
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        return k;
    }

    /** Writes a keystore at {@code file} holding one AES secret-key entry per map entry (alias → key bytes). */
    public static Path create(Path file, char[] password, Map<String, byte[]> keys) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        for (Map.Entry<String, byte[]> e : keys.entrySet()) {
            ks.setEntry(e.getKey(), new KeyStore.SecretKeyEntry(new SecretKeySpec(e.getValue(), "AES")),
                    new KeyStore.PasswordProtection(password));
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, password);
        }
        return file;
    }
}
