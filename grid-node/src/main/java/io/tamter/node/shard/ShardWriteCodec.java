package io.tamter.node.shard;

import io.tamter.node.doc.DocId;
import io.tamter.node.doc.DocumentCodec;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The WAL payload of one shard write batch (the segment around it is
 * {@link io.tamter.node.wal.WalSegmentCodec}'s business). Little-endian.
 *
 * <pre>
 *   [int32]  magic 0x54424154 ("TBAT")
 *   [u8]     version
 *   [int32]  number of effects n
 *   n ×      [u8] kind: 1 = put, then [int32 length][{@link DocumentCodec} bytes, holding the vid]
 *                       2 = delete, then [int64 vid][u16 id key length][{@link DocId#key()}]
 *   [int32]  CRC32C of every byte above
 * </pre>
 * Version history: 1 — first.
 */
public final class ShardWriteCodec {
    public static final int MAGIC = 0x54424154;
    public static final byte VERSION_START = 1;
    public static final byte VERSION_CURRENT = 1;
    private static final byte PUT = 1, DELETE = 2;

    private ShardWriteCodec() {}

    public static byte[] encode(List<ShardWrite> writes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(MAGIC).put(VERSION_CURRENT).putInt(writes.size());
        out.writeBytes(h.array());
        for (ShardWrite w : writes) {
            switch (w) {
                case ShardWrite.Put p -> {
                    byte[] d = DocumentCodec.encode(p.vid(), p.doc());
                    out.write(PUT);
                    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(d.length).array());
                    out.writeBytes(d);
                }
                case ShardWrite.Delete del -> {
                    byte[] k = del.id().key();
                    out.write(DELETE);
                    out.writeBytes(ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).putLong(del.vid()).putShort((short) k.length).array());
                    out.writeBytes(k);
                }
            }
        }
        byte[] body = out.toByteArray();
        CRC32C crc = new CRC32C();
        crc.update(body);
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue()).array());
        return out.toByteArray();
    }

    /** @throws IllegalStateException when the payload is not a write batch of a known version or fails its checksum */
    public static List<ShardWrite> decode(byte[] bytes) {
        if (bytes.length < 13) throw corrupt("too short (" + bytes.length + " bytes)");
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt() != MAGIC) throw corrupt("bad magic");
        byte v = b.get();
        if (v < VERSION_START || v > VERSION_CURRENT) throw corrupt("unknown version " + v);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        if (ByteBuffer.wrap(bytes, bytes.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() != (int) crc.getValue())
            throw corrupt("checksum mismatch");
        int n = b.getInt();
        List<ShardWrite> out = new ArrayList<>(Math.min(n, 1 << 16));
        for (int i = 0; i < n; i++) {
            byte kind = b.get();
            if (kind == PUT) {
                int len = b.getInt();
                byte[] d = new byte[len];
                b.get(d);
                DocumentCodec.Stored s = DocumentCodec.decode(d);
                out.add(new ShardWrite.Put(s.vid(), s.doc()));
            } else if (kind == DELETE) {
                long vid = b.getLong();
                int kl = b.getShort() & 0xFFFF;
                DocId id = DocId.fromKey(bytes, b.position(), kl);
                b.position(b.position() + kl);
                out.add(new ShardWrite.Delete(vid, id));
            } else {
                throw corrupt("unknown effect kind " + kind);
            }
        }
        if (b.remaining() != 4) throw corrupt(b.remaining() - 4 + " trailing bytes");
        return out;
    }

    private static IllegalStateException corrupt(String why) {
        return new IllegalStateException("corrupt shard write batch: " + why);
    }
}
