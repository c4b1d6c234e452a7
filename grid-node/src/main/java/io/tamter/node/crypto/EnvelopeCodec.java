package io.tamter.node.crypto;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.tamter.node.objectstore.CorruptObjectException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.zip.CRC32C;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The envelope of a namespace's data key: the {@link DataKey} wrapped (encrypted) with a
 * key-encryption key by AES-256-GCM, in one small record stored in the object store at
 * {@code <ns>/keys/data-key.bin} ({@link NamespaceDataKeys}). The record names the KEK but holds
 * no key material in the clear.
 *
 * <pre>
 * record (big-endian)
 *   [int32]  magic             0x5444454B ("TDEK")
 *   [u8]     version           {@link #VERSION_CURRENT}
 *   [u8]     wrap algorithm    1 = AES-256-GCM, 96-bit nonce, 128-bit tag
 *   [u16]    key name length   n, 1 … {@value #MAX_KEY_NAME_BYTES}
 *   [n]      key name          UTF-8: the alias of the KEK in the node's keystore
 *   [8]      data key id       {@link DataKey#id()}: checked after unwrapping, matched by object headers
 *   [12]     nonce             random, fresh for every wrap
 *   [32]     wrapped data key  AES-GCM ciphertext of the 32 key bytes under the KEK
 *   [16]     tag               the GCM tag
 *   [int32]  CRC32C of all bytes above
 * </pre>
 * The GCM additional authenticated data is every byte before the nonce followed by the UTF-8
 * namespace name, so neither the key name, the id nor the namespace can be changed (or the
 * record copied to another namespace) without unwrapping failing. The CRC tells a damaged record
 * (corrupt) from a wrong key (the tag fails on an intact record).
 *
 * <p>Version history: 1 (first version).
 */
public final class EnvelopeCodec {
    public static final int MAGIC = 0x5444454B;
    public static final int VERSION_START = 1;
    public static final int VERSION_CURRENT = 1;
    /** The only wrap algorithm of version 1. */
    public static final int WRAP_AES_256_GCM = 1;
    public static final int MAX_KEY_NAME_BYTES = 255;

    static final int NONCE_BYTES = 12;
    static final int TAG_BYTES = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private EnvelopeCodec() {
    }

    /** What a record says before it is unwrapped. */
    public record Header(int version, String keyName, byte[] dataKeyId) {
    }

    /** A record of {@code dataKey} wrapped with {@code kek}, named {@code keyName}, for {@code namespace}. */
    public static byte[] wrap(DataKey dataKey, String keyName, SecretKey kek, String namespace) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return wrap(dataKey, keyName, kek, namespace, nonce);
    }

    /** As {@link #wrap(DataKey, String, SecretKey, String)} with a given nonce (golden files only: never reuse one). */
    static byte[] wrap(DataKey dataKey, String keyName, SecretKey kek, String namespace, byte[] nonce) {
        byte[] name = keyName.getBytes(UTF_8);
        if (name.length == 0 || name.length > MAX_KEY_NAME_BYTES) {
            throw new IllegalArgumentException("key name must be 1 to " + MAX_KEY_NAME_BYTES + " bytes in UTF-8; key_name='"
                    + keyName + "' has " + name.length);
        }
        int prefix = 4 + 1 + 1 + 2 + name.length + DataKey.ID_BYTES;
        ByteBuffer b = ByteBuffer.allocate(prefix + NONCE_BYTES + DataKey.BYTES + TAG_BYTES + 4);
        b.putInt(MAGIC).put((byte) VERSION_CURRENT).put((byte) WRAP_AES_256_GCM).putShort((short) name.length).put(name)
                .put(dataKey.id()).put(nonce);
        byte[] material = dataKey.material();
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, kek, new GCMParameterSpec(TAG_BYTES * 8, nonce));
            gcm.updateAAD(b.array(), 0, prefix);
            gcm.updateAAD(namespace.getBytes(UTF_8));
            b.put(gcm.doFinal(material));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed while wrapping a data key with key '" + keyName + "'", e);
        } finally {
            Arrays.fill(material, (byte) 0);
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /** The header of a record (magic, version, algorithm, checksum checked), without unwrapping. */
    public static Header header(String objectKey, byte[] record) throws CorruptObjectException {
        return parse(objectKey, record).header;
    }

    /**
     * The data key of {@code record}, unwrapped with {@code kek}.
     *
     * @throws CorruptObjectException  if the record is damaged or not a data key record
     * @throws KeyUnavailableException if {@code kek} is not the key that wrapped it (a different key
     *                                 under the same name), or the record was moved from another namespace
     */
    public static DataKey unwrap(String objectKey, byte[] record, SecretKey kek, String namespace)
            throws CorruptObjectException, KeyUnavailableException {
        Parsed p = parse(objectKey, record);
        byte[] material = null;
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.DECRYPT_MODE, kek, new GCMParameterSpec(TAG_BYTES * 8, record, p.nonceOffset, NONCE_BYTES));
            gcm.updateAAD(record, 0, p.nonceOffset);
            gcm.updateAAD(namespace.getBytes(UTF_8));
            material = gcm.doFinal(record, p.nonceOffset + NONCE_BYTES, DataKey.BYTES + TAG_BYTES);
            DataKey key = DataKey.of(material);
            if (!key.hasId(p.header.dataKeyId)) throw new CorruptObjectException(objectKey, "data key id does not match the key");
            return key;
        } catch (AEADBadTagException e) {
            throw new KeyUnavailableException(p.header.keyName, "it cannot unwrap the data key of namespace '" + namespace
                    + "' (record '" + objectKey + "'): the keystore holds a different key under that name, or the record"
                    + " belongs to another namespace");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed while unwrapping '" + objectKey + "'", e);
        } finally {
            if (material != null) Arrays.fill(material, (byte) 0);
        }
    }

    private record Parsed(Header header, int nonceOffset) {
    }

    private static Parsed parse(String objectKey, byte[] record) throws CorruptObjectException {
        try {
            ByteBuffer b = ByteBuffer.wrap(record);
            int magic = b.getInt();
            if (magic != MAGIC) throw new CorruptObjectException(objectKey, String.format("not a data key record: magic 0x%08X", magic));
            int version = b.get() & 0xFF;
            if (version < VERSION_START || version > VERSION_CURRENT) {
                throw new CorruptObjectException(objectKey, "data key record format version " + version + " is not supported (this node reads "
                        + VERSION_START + " to " + VERSION_CURRENT + ")");
            }
            int alg = b.get() & 0xFF;
            int nameLength = b.getShort() & 0xFFFF;
            int total = 4 + 1 + 1 + 2 + nameLength + DataKey.ID_BYTES + NONCE_BYTES + DataKey.BYTES + TAG_BYTES + 4;
            if (record.length != total) {
                throw new CorruptObjectException(objectKey, "data key record is " + record.length + " bytes, expected " + total);
            }
            CRC32C crc = new CRC32C();
            crc.update(record, 0, record.length - 4);
            if ((int) crc.getValue() != b.getInt(record.length - 4)) throw new CorruptObjectException(objectKey, "data key record fails its checksum");
            if (alg != WRAP_AES_256_GCM) throw new CorruptObjectException(objectKey, "unknown wrap algorithm " + alg);
            if (nameLength == 0) throw new CorruptObjectException(objectKey, "empty key name");
            byte[] name = new byte[nameLength];
            b.get(name);
            byte[] id = new byte[DataKey.ID_BYTES];
            b.get(id);
            return new Parsed(new Header(version, new String(name, UTF_8), id), b.position());
        } catch (BufferUnderflowException e) {
            throw new CorruptObjectException(objectKey, "data key record is truncated (" + record.length + " bytes)");
        }
    }
}
