package io.tamter.node.crypto;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * A namespace's data key: 256 random bits that encrypt the namespace's objects
 * ({@link EncryptedObjectCodec}). It is stored only wrapped by a key-encryption key
 * ({@link EnvelopeCodec}) and lives unwrapped in memory only. Objects are not encrypted with it
 * directly: each object gets its own AES-256 key, HMAC-SHA256(data key, label || object salt),
 * so GCM nonces never repeat under one key however many objects a namespace writes.
 *
 * <p>The {@linkplain #id() id} is HMAC-SHA256(data key, "tamter data key id")[0..8): public, it
 * tells which data key encrypted an object without revealing the key. {@link #toString()} shows
 * only the id.
 */
public final class DataKey {
    /** Size of a data key in bytes (AES-256). */
    public static final int BYTES = 32;
    /** Size of the id in bytes. */
    public static final int ID_BYTES = 8;

    private static final byte[] ID_LABEL = "tamter data key id".getBytes(US_ASCII);
    private static final byte[] OBJECT_KEY_LABEL = "tamter object key v1".getBytes(US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec macKey;
    private final byte[] id;

    private DataKey(byte[] material) {
        if (material.length != BYTES) {
            throw new IllegalArgumentException("a data key has " + BYTES + " bytes, not " + material.length);
        }
        this.macKey = new SecretKeySpec(material, "HmacSHA256");
        this.id = Arrays.copyOf(hmac(ID_LABEL, new byte[0]), ID_BYTES);
    }

    /** A fresh random data key. */
    public static DataKey generate() {
        byte[] material = new byte[BYTES];
        RANDOM.nextBytes(material);
        try {
            return new DataKey(material);
        } finally {
            Arrays.fill(material, (byte) 0);
        }
    }

    /** The data key with these bytes (copied). */
    public static DataKey of(byte[] material) {
        return new DataKey(material);
    }

    /** The public id of this key (8 bytes). */
    public byte[] id() {
        return id.clone();
    }

    /** The id as 16 hex digits, for messages. */
    public String idHex() {
        return HexFormat.of().formatHex(id);
    }

    boolean hasId(byte[] other) {
        return MessageDigest.isEqual(id, other);
    }

    /** The key material, for wrapping only; the caller clears it. */
    byte[] material() {
        return macKey.getEncoded();
    }

    /** The AES-256 key of the object with this salt. */
    SecretKey objectKey(byte[] salt) {
        return new SecretKeySpec(hmac(OBJECT_KEY_LABEL, salt), "AES");
    }

    private byte[] hmac(byte[] label, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(macKey);
            mac.update(label);
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** Keys are equal when their ids are (a 64-bit id collision between two keys of one namespace is not a concern). */
    @Override
    public boolean equals(Object o) {
        return o instanceof DataKey other && MessageDigest.isEqual(id, other.id);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(id);
    }

    @Override
    public String toString() {
        return "DataKey[id=" + idHex() + "]";
    }
}
