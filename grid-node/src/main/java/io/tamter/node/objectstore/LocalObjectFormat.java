package io.tamter.node.objectstore;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * The file format of one object in a {@link LocalDirectoryObjectStore}: the payload framed by a
 * header that carries the object's generation and a checksum footer. The generation lives in the
 * file itself so that replacing the file (one atomic rename) replaces bytes and generation
 * together: a sidecar file could not be renamed in the same step, and a crash between the two
 * renames would pair old bytes with a new generation.
 *
 * <pre>
 * header (28 bytes, big-endian)
 *   [int32] magic            0x544F424A ("TOBJ")
 *   [int32] version          {@link #VERSION_CURRENT}
 *   [int64] generation       &gt; 0
 *   [int64] payload length   file size - {@link #OVERHEAD}
 *   [int32] CRC32C of the 24 bytes above
 * payload (payload length bytes)
 * footer (4 bytes)
 *   [int32] CRC32C of the payload
 * </pre>
 * The header has its own checksum so that {@code stat} and {@code list} can trust a generation
 * without reading the payload, and the header can be rewritten alone when a writer must raise
 * its generation under the key lock. Whole reads ({@code get}, {@code downloadTo}) verify the
 * footer; ranged reads do not (they would have to read the whole object).
 *
 * <p>Version history: 1 (first version).
 */
final class LocalObjectFormat {
    static final int MAGIC = 0x544F424A;
    static final int VERSION_START = 1;
    static final int VERSION_CURRENT = 1;
    static final int HEADER_BYTES = 28;
    static final int FOOTER_BYTES = 4;
    static final int OVERHEAD = HEADER_BYTES + FOOTER_BYTES;

    /** A decoded, verified header. */
    record Header(int version, long generation, long length) {
    }

    private LocalObjectFormat() {
    }

    static ByteBuffer encodeHeader(long generation, long length) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES);
        b.putInt(MAGIC).putInt(VERSION_CURRENT).putLong(generation).putLong(length);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, HEADER_BYTES - 4);
        b.putInt((int) crc.getValue());
        return b.flip();
    }

    static ByteBuffer encodeFooter(int payloadCrc) {
        return ByteBuffer.allocate(FOOTER_BYTES).putInt(0, payloadCrc);
    }

    /** Reads and verifies the header of an open object file. */
    static Header readHeader(String key, FileChannel ch) throws IOException {
        long fileSize = ch.size();
        if (fileSize < OVERHEAD) {
            throw new CorruptObjectException(key, "file is " + fileSize + " bytes, shorter than the " + OVERHEAD + "-byte framing");
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES);
        readFully(ch, b, 0);
        b.flip();
        int magic = b.getInt();
        if (magic != MAGIC) throw new CorruptObjectException(key, String.format("bad magic 0x%08X", magic));
        int version = b.getInt();
        if (version < VERSION_START || version > VERSION_CURRENT) {
            throw new CorruptObjectException(key, "unknown format version " + version + " (this build reads "
                    + VERSION_START + ".." + VERSION_CURRENT + ")");
        }
        long generation = b.getLong();
        long length = b.getLong();
        int stored = b.getInt();
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, HEADER_BYTES - 4);
        if ((int) crc.getValue() != stored) throw new CorruptObjectException(key, "header checksum mismatch");
        if (generation <= 0) throw new CorruptObjectException(key, "generation " + generation + " is not positive");
        if (length != fileSize - OVERHEAD) {
            throw new CorruptObjectException(key, "header says " + length + " payload bytes, the file holds " + (fileSize - OVERHEAD));
        }
        return new Header(version, generation, length);
    }

    /** Reads the footer's payload checksum of an object file whose header said {@code length}. */
    static int readFooter(FileChannel ch, long length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(FOOTER_BYTES);
        readFully(ch, b, HEADER_BYTES + length);
        return b.getInt(0);
    }

    static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long pos = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) throw new EOFException("unexpected end of file at " + pos);
            pos += n;
        }
    }

    static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long pos = position;
        while (b.hasRemaining()) pos += ch.write(b, pos);
    }
}
