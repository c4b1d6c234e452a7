package io.tamter.node.crypto;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.tamter.node.objectstore.CorruptObjectException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.CRC32C;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The format of one encrypted object: a header, then the plaintext in chunks of
 * {@value #CHUNK_BYTES} bytes, each sealed by AES-256-GCM, so a ranged read decrypts only the
 * chunks it needs and a whole object never has to sit in memory.
 *
 * <pre>
 * header ({@value #HEADER_BYTES} bytes, big-endian)
 *   [int32]  magic             0x54454E43 ("TENC")
 *   [u8]     version           {@link #VERSION_CURRENT}
 *   [u8]     log2 chunk size   16 in version 1 (64 KiB of plaintext per chunk)
 *   [u16]    reserved          0
 *   [8]      data key id       {@link DataKey#id()} of the namespace data key that encrypted it
 *   [16]     object salt       random per write
 *   [int32]  CRC32C of the 32 bytes above
 * chunks i = 0 … n-1, n = max(1, ceil(plaintext length / 64 KiB))
 *   [len]    AES-GCM ciphertext of plaintext bytes [i * 64 KiB, min(size, (i+1) * 64 KiB))
 *   [16]     GCM tag
 * </pre>
 * Every chunk but the last holds exactly 64 KiB; the last holds 1 … 64 KiB, or 0 bytes when the
 * object is empty (an empty object still has one chunk, so cutting it down to its header fails).
 *
 * <ul>
 *   <li><b>Key</b>: HMAC-SHA256(data key, "tamter object key v1" || object salt), one AES-256 key
 *       per object write ({@link DataKey#objectKey}).</li>
 *   <li><b>Nonce</b> of chunk i: salt[0..8) || i as u32 big-endian. Unique per key by
 *       construction; the per-object key means even two writes with equal salt prefixes never
 *       share a (key, nonce) pair.</li>
 *   <li><b>AAD</b> of chunk i: the 36 header bytes || i (u32) || last-chunk flag (u8: 1 for chunk
 *       n-1, else 0) || the object key in UTF-8. So a chunk cannot be reordered (index), the object
 *       cannot be truncated or extended at a chunk boundary (flag), chunks cannot be mixed between
 *       writes (salt in the header and key) and an object cannot be moved to another key.</li>
 * </ul>
 * Sizes follow from the plaintext size alone ({@link #ciphertextSize}), and back
 * ({@link #plaintextSize}): {@code stat} and {@code list} report plaintext sizes without reading
 * objects. The checksum of this format is the GCM tag of each chunk (the header also has a CRC,
 * so a damaged header is told apart from a wrong key). Objects are limited to 2^32 chunks (256 TiB).
 *
 * <p>Version history: 1 (first version).
 */
public final class EncryptedObjectCodec {
    public static final int MAGIC = 0x54454E43;
    public static final int VERSION_START = 1;
    public static final int VERSION_CURRENT = 1;
    static final int CHUNK_SHIFT = 16;
    /** Plaintext bytes per chunk. */
    public static final int CHUNK_BYTES = 1 << CHUNK_SHIFT;
    static final int TAG_BYTES = 16;
    /** Ciphertext bytes of a full chunk. */
    static final int SEALED_CHUNK_BYTES = CHUNK_BYTES + TAG_BYTES;
    static final int SALT_BYTES = 16;
    public static final int HEADER_BYTES = 36;
    static final long MAX_CHUNKS = 1L << 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private EncryptedObjectCodec() {
    }

    /** Chunks of an object of {@code plaintextSize} bytes (at least one). */
    static long chunkCount(long plaintextSize) {
        return Math.max(1, (plaintextSize + CHUNK_BYTES - 1) >>> CHUNK_SHIFT);
    }

    /** Stored size of an object of {@code plaintextSize} bytes. */
    public static long ciphertextSize(long plaintextSize) {
        return HEADER_BYTES + plaintextSize + chunkCount(plaintextSize) * TAG_BYTES;
    }

    /** Plaintext size of a stored object of {@code ciphertextSize} bytes; fails for a size no object can have. */
    public static long plaintextSize(String key, long ciphertextSize) throws CorruptObjectException {
        long body = ciphertextSize - HEADER_BYTES;
        if (body < TAG_BYTES) {
            throw new CorruptObjectException(key, "encrypted object of " + ciphertextSize + " bytes is shorter than its header and one chunk");
        }
        long full = body / SEALED_CHUNK_BYTES;
        long rest = body % SEALED_CHUNK_BYTES;
        if (rest == 0) return full * CHUNK_BYTES;
        if (rest < TAG_BYTES || (rest == TAG_BYTES && full > 0)) {
            throw new CorruptObjectException(key, "encrypted object of " + ciphertextSize + " bytes ends in a partial chunk (truncated?)");
        }
        return full * CHUNK_BYTES + rest - TAG_BYTES;
    }

    /** {@code plaintext} encrypted as object {@code key}. */
    public static byte[] encrypt(DataKey dataKey, String key, byte[] plaintext) {
        return encrypt(ObjectCipher.forWrite(dataKey, key), plaintext);
    }

    /** With a given salt: golden files only (a salt must never be reused). */
    static byte[] encrypt(DataKey dataKey, String key, byte[] plaintext, byte[] salt) {
        return encrypt(ObjectCipher.forWrite(dataKey, key, salt), plaintext);
    }

    private static byte[] encrypt(ObjectCipher c, byte[] plaintext) {
        long size = ciphertextSize(plaintext.length);
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("object '" + c.key + "' of " + plaintext.length + " bytes is too large to encrypt in memory; use putFile");
        }
        byte[] out = new byte[(int) size];
        System.arraycopy(c.header, 0, out, 0, HEADER_BYTES);
        long chunks = chunkCount(plaintext.length);
        int pos = HEADER_BYTES;
        for (long i = 0; i < chunks; i++) {
            int from = (int) (i << CHUNK_SHIFT);
            int len = Math.min(CHUNK_BYTES, plaintext.length - from);
            pos += c.seal(i, i == chunks - 1, plaintext, from, len, out, pos);
        }
        return out;
    }

    /** The plaintext of a whole stored object; nothing is returned unless every chunk authenticates. */
    public static byte[] decrypt(DataKey dataKey, String key, byte[] ciphertext) throws CorruptObjectException {
        long size = plaintextSize(key, ciphertext.length);
        ObjectCipher c = ObjectCipher.forRead(dataKey, key, ciphertext);
        byte[] out = new byte[(int) size];
        long chunks = chunkCount(size);
        int pos = HEADER_BYTES;
        for (long i = 0; i < chunks; i++) {
            int len = (int) Math.min(SEALED_CHUNK_BYTES, ciphertext.length - pos);
            c.open(i, i == chunks - 1, ciphertext, pos, len, out, (int) (i << CHUNK_SHIFT));
            pos += len;
        }
        return out;
    }

    /**
     * Encrypts everything {@code in} yields into {@code out} as object {@code key}.
     *
     * @return the number of plaintext bytes read
     */
    static long encrypt(DataKey dataKey, String key, InputStream in, OutputStream out) throws IOException {
        ObjectCipher c = ObjectCipher.forWrite(dataKey, key);
        out.write(c.header);
        byte[] current = new byte[CHUNK_BYTES];
        byte[] next = new byte[CHUNK_BYTES];
        byte[] sealed = new byte[SEALED_CHUNK_BYTES];
        int currentLength = in.readNBytes(current, 0, CHUNK_BYTES);
        long total = 0;
        for (long i = 0; ; i++) {
            if (i >= MAX_CHUNKS) throw new IOException("object '" + key + "' is larger than " + MAX_CHUNKS + " chunks");
            int nextLength = currentLength == CHUNK_BYTES ? in.readNBytes(next, 0, CHUNK_BYTES) : 0;
            boolean last = nextLength == 0;
            out.write(sealed, 0, c.seal(i, last, current, 0, currentLength, sealed, 0));
            total += currentLength;
            if (last) return total;
            byte[] t = current;
            current = next;
            next = t;
            currentLength = nextLength;
        }
    }

    /**
     * Decrypts a stored object of {@code ciphertextSize} bytes read from {@code in} into
     * {@code out}. A chunk is written only after it authenticates; on failure the caller must
     * discard what was written (it is a prefix of the plaintext).
     *
     * @return the plaintext size
     */
    static long decrypt(DataKey dataKey, String key, InputStream in, long ciphertextSize, OutputStream out) throws IOException {
        long size = plaintextSize(key, ciphertextSize);
        ObjectCipher c = ObjectCipher.forRead(dataKey, key, readExactly(key, in, new byte[HEADER_BYTES], HEADER_BYTES));
        byte[] sealed = new byte[SEALED_CHUNK_BYTES];
        byte[] plain = new byte[CHUNK_BYTES];
        long chunks = chunkCount(size);
        long remaining = ciphertextSize - HEADER_BYTES;
        for (long i = 0; i < chunks; i++) {
            int len = (int) Math.min(SEALED_CHUNK_BYTES, remaining);
            readExactly(key, in, sealed, len);
            int n = c.open(i, i == chunks - 1, sealed, 0, len, plain, 0);
            out.write(plain, 0, n);
            remaining -= len;
        }
        return size;
    }

    private static byte[] readExactly(String key, InputStream in, byte[] buf, int len) throws IOException {
        if (in.readNBytes(buf, 0, len) != len) throw new EOFException("encrypted object '" + key + "' ended early");
        return buf;
    }

    /** The cipher state of one object: its header and its key. Not thread-safe. */
    static final class ObjectCipher {
        final String key;
        final byte[] header;
        private final byte[] nonce = new byte[12];
        private final byte[] aad;
        private final SecretKey objectKey;
        private final Cipher gcm;

        private ObjectCipher(String key, byte[] header, SecretKey objectKey) {
            this.key = key;
            this.header = header;
            this.objectKey = objectKey;
            System.arraycopy(header, 16, nonce, 0, 8);
            byte[] keyBytes = key.getBytes(UTF_8);
            this.aad = new byte[HEADER_BYTES + 5 + keyBytes.length];
            System.arraycopy(header, 0, aad, 0, HEADER_BYTES);
            System.arraycopy(keyBytes, 0, aad, HEADER_BYTES + 5, keyBytes.length);
            try {
                this.gcm = Cipher.getInstance("AES/GCM/NoPadding");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES/GCM/NoPadding is not available", e);
            }
        }

        static ObjectCipher forWrite(DataKey dataKey, String key) {
            byte[] salt = new byte[SALT_BYTES];
            RANDOM.nextBytes(salt);
            return forWrite(dataKey, key, salt);
        }

        static ObjectCipher forWrite(DataKey dataKey, String key, byte[] salt) {
            ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES);
            h.putInt(MAGIC).put((byte) VERSION_CURRENT).put((byte) CHUNK_SHIFT).putShort((short) 0).put(dataKey.id()).put(salt);
            CRC32C crc = new CRC32C();
            crc.update(h.array(), 0, HEADER_BYTES - 4);
            h.putInt((int) crc.getValue());
            return new ObjectCipher(key, h.array(), dataKey.objectKey(salt));
        }

        /** Checks the header at the start of {@code stored} and derives the object's key. */
        static ObjectCipher forRead(DataKey dataKey, String key, byte[] stored) throws CorruptObjectException {
            if (stored.length < HEADER_BYTES) throw new CorruptObjectException(key, "encrypted object is shorter than its header");
            ByteBuffer h = ByteBuffer.wrap(stored, 0, HEADER_BYTES);
            int magic = h.getInt();
            if (magic != MAGIC) {
                throw new CorruptObjectException(key, String.format("not an encrypted object (magic 0x%08X, expected 0x%08X)", magic, MAGIC));
            }
            CRC32C crc = new CRC32C();
            crc.update(stored, 0, HEADER_BYTES - 4);
            if ((int) crc.getValue() != h.getInt(HEADER_BYTES - 4)) throw new CorruptObjectException(key, "encrypted object header fails its checksum");
            int version = h.get() & 0xFF;
            if (version < VERSION_START || version > VERSION_CURRENT) {
                throw new CorruptObjectException(key, "encrypted object format version " + version + " is not supported (this node reads "
                        + VERSION_START + " to " + VERSION_CURRENT + ")");
            }
            int shift = h.get() & 0xFF;
            int reserved = h.getShort();
            if (shift != CHUNK_SHIFT || reserved != 0) {
                throw new CorruptObjectException(key, "encrypted object header has chunk shift " + shift + " and reserved " + reserved
                        + "; version 1 has " + CHUNK_SHIFT + " and 0");
            }
            byte[] id = new byte[DataKey.ID_BYTES];
            h.get(id);
            if (!dataKey.hasId(id)) {
                throw new ObjectIntegrityException(key, "the object was encrypted with data key " + HexFormat.of().formatHex(id)
                        + ", not with this namespace's data key " + dataKey.idHex());
            }
            byte[] salt = new byte[SALT_BYTES];
            h.get(salt);
            return new ObjectCipher(key, Arrays.copyOf(stored, HEADER_BYTES), dataKey.objectKey(salt));
        }

        private void prepare(int mode, long index, boolean last) {
            if (index < 0 || index >= MAX_CHUNKS) throw new IllegalArgumentException("chunk index out of range: " + index);
            int i = (int) index;
            nonce[8] = (byte) (i >>> 24);
            nonce[9] = (byte) (i >>> 16);
            nonce[10] = (byte) (i >>> 8);
            nonce[11] = (byte) i;
            System.arraycopy(nonce, 8, aad, HEADER_BYTES, 4);
            aad[HEADER_BYTES + 4] = (byte) (last ? 1 : 0);
            try {
                gcm.init(mode, objectKey, new GCMParameterSpec(TAG_BYTES * 8, nonce));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM init failed for object '" + key + "'", e);
            }
            gcm.updateAAD(aad);
        }

        /** Encrypts {@code len} plaintext bytes as chunk {@code index}; returns the bytes written ({@code len + 16}). */
        int seal(long index, boolean last, byte[] in, int off, int len, byte[] out, int outOff) {
            prepare(Cipher.ENCRYPT_MODE, index, last);
            try {
                return gcm.doFinal(in, off, len, out, outOff);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM failed for chunk " + index + " of object '" + key + "'", e);
            }
        }

        /**
         * Decrypts sealed chunk {@code index} ({@code len} bytes with its tag) into {@code out};
         * returns the plaintext length. Writes nothing unless the chunk authenticates.
         */
        int open(long index, boolean last, byte[] in, int off, int len, byte[] out, int outOff) throws ObjectIntegrityException {
            if (len < TAG_BYTES) throw new ObjectIntegrityException(key, "chunk " + index + " is shorter than its tag");
            prepare(Cipher.DECRYPT_MODE, index, last);
            byte[] plain;
            try {
                plain = gcm.doFinal(in, off, len);
            } catch (AEADBadTagException e) {
                throw new ObjectIntegrityException(key, "chunk " + index + (last ? " (the last)" : "")
                        + " fails authentication: the stored object was modified, truncated, extended or moved from another key");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM failed for chunk " + index + " of object '" + key + "'", e);
            }
            System.arraycopy(plain, 0, out, outOff, plain.length);
            return plain.length;
        }
    }
}
