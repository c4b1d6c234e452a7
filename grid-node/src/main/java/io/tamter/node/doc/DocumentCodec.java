package io.tamter.node.doc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Binary form of a stored document: the value of a document in the {@code docs} column family
 * and the body of a put in a WAL payload. Little-endian.
 *
 * <pre>
 *   [int32]  magic 0x54444F43 ("TDOC" read as big-endian ASCII)
 *   [u8]     version
 *   [int64]  vid (the shard-internal id the indexes use)
 *   [u16]    id key length n, then [n bytes] {@link DocId#key()}
 *   [int32]  dims d, or -1 for no vector; then [f32 × d]
 *   [int32]  text length t in UTF-8 bytes, or -1 for no text; then [t bytes]
 *   [int32]  attributes length a; then [a bytes] a UTF-8 JSON object (name → value)
 *   [int32]  CRC32C of every byte above
 * </pre>
 * Version history: 1 — first.
 */
public final class DocumentCodec {
    public static final int MAGIC = 0x54444F43;
    public static final byte VERSION_START = 1;
    public static final byte VERSION_CURRENT = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private DocumentCodec() {}

    /** A document with its vid, as decoded. */
    public record Stored(long vid, Document doc) {}

    public static byte[] encode(long vid, Document d) {
        byte[] key = d.id().key();
        float[] v = d.vector();
        byte[] text = d.text() == null ? null : d.text().getBytes(StandardCharsets.UTF_8);
        ObjectNode attrs = JSON.createObjectNode();
        for (Map.Entry<String, JsonNode> e : d.attributes().entrySet()) attrs.set(e.getKey(), e.getValue());
        byte[] a;
        try {
            a = JSON.writeValueAsBytes(attrs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int size = 4 + 1 + 8 + 2 + key.length + 4 + (v == null ? 0 : 4 * v.length) + 4 + (text == null ? 0 : text.length) + 4 + a.length + 4;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).put(VERSION_CURRENT).putLong(vid).putShort((short) key.length).put(key);
        if (v == null) b.putInt(-1);
        else {
            b.putInt(v.length);
            for (float f : v) b.putFloat(f);
        }
        if (text == null) b.putInt(-1);
        else b.putInt(text.length).put(text);
        b.putInt(a.length).put(a);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /**
     * Decodes a document.
     *
     * @throws IllegalStateException when the bytes are not a document of a known version or the checksum fails
     */
    public static Stored decode(byte[] bytes) {
        if (bytes.length < 4 + 1 + 8 + 2 + 4 + 4 + 4 + 4) throw corrupt("too short (" + bytes.length + " bytes)");
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt() != MAGIC) throw corrupt("bad magic");
        byte version = b.get();
        if (version < VERSION_START || version > VERSION_CURRENT)
            throw corrupt("unknown version " + version + "; this build reads " + VERSION_START + ".." + VERSION_CURRENT);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        int stored = ByteBuffer.wrap(bytes, bytes.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (stored != (int) crc.getValue()) throw corrupt("checksum mismatch");
        try {
            long vid = b.getLong();
            int kl = b.getShort() & 0xFFFF;
            DocId id = DocId.fromKey(bytes, b.position(), kl);
            b.position(b.position() + kl);
            int d = b.getInt();
            float[] v = null;
            if (d >= 0) {
                v = new float[d];
                b.asFloatBuffer().get(v); // little-endian like b; one bulk copy
                b.position(b.position() + 4 * d);
            }
            int tl = b.getInt();
            String text = null;
            if (tl >= 0) {
                text = new String(bytes, b.position(), tl, StandardCharsets.UTF_8);
                b.position(b.position() + tl);
            }
            int al = b.getInt();
            Map<String, JsonNode> m = new LinkedHashMap<>();
            // "{}", what every document without attributes stores: a search decodes each of its hits,
            // and a JSON parser per hit was most of the decode's cost (REST profile, benchmarks/README)
            if (!(al == 2 && bytes[b.position()] == '{' && bytes[b.position() + 1] == '}')) {
                JsonNode attrs = JSON.readTree(bytes, b.position(), al);
                if (attrs == null || !attrs.isObject()) throw corrupt("attributes are not a JSON object");
                for (Iterator<Map.Entry<String, JsonNode>> it = attrs.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    m.put(e.getKey(), e.getValue());
                }
            }
            return new Stored(vid, new Document(id, v, text, m));
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalStateException ise && ise.getMessage().startsWith("corrupt document")) throw ise;
            throw corrupt(e.toString());
        }
    }

    private static IllegalStateException corrupt(String why) {
        return new IllegalStateException("corrupt document: " + why);
    }
}
