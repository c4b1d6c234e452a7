package io.tamter.node.shard;

import io.tamter.node.storage.ShardDb;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The {@code <ns>/shards/<s>/manifest.json} of a shard: its latest checkpoint. A JSON object
 * (UTF-8, fields in this order, pretty-printed):
 * <pre>
 * format               "tamter-shard-checkpoint"
 * format_version       int   version of this layout (history: 1 — first)
 * namespace, shard     the shard
 * checkpoint           int64 checkpoint number, 1 for the first, +1 for each later one
 * wal_seq              int64 last WAL segment whose writes the files hold; replay starts after it
 * created_at           ISO-8601 instant the checkpoint was taken
 * db_version           the ShardDb version.info line of the RocksDB files
 * text_format_version  int   the TextIndex format version of the Lucene files
 * rocksdb, lucene      arrays of files: {name, key, size, crc32c}: the local file name inside
 *                      the RocksDB / Lucene directory, its object key, its size in bytes and the
 *                      CRC32C of its contents (8 lower-case hex digits)
 * </pre>
 * Object keys are under {@code <shard prefix>/vectors/spfresh-index/} and
 * {@code <shard prefix>/fulltext/bm25-index/}: {@code <name>.<size>.<crc32c>} for files written
 * once (SSTs, blob files, Lucene segment files), shared by every checkpoint that holds them, and
 * {@code <name>.ckpt-<checkpoint>-<16 hex digits, random per attempt>} for files that change under
 * one name (RocksDB's MANIFEST, CURRENT, OPTIONS, logs; Lucene's {@code segments_N}, whose names
 * restart when a shard is rebuilt from the WAL), so neither a later checkpoint nor a concurrent
 * (fenced) owner's attempt ever overwrites an object a manifest references. Unknown fields are ignored (a later minor addition); an unknown
 * {@code format_version} fails.
 */
public record CheckpointManifest(int formatVersion, String namespace, int shard, long checkpoint, long walSeq,
        Instant createdAt, String dbVersion, int textFormatVersion, List<FileEntry> rocksdb, List<FileEntry> lucene) {
    public static final String FORMAT = "tamter-shard-checkpoint";
    public static final int VERSION_START = 1;
    public static final int VERSION_CURRENT = 1;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One file of a checkpoint. */
    public record FileEntry(String name, String key, long size, String crc32c) {
        public FileEntry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(crc32c, "crc32c");
            if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals(".") || name.equals(".."))
                throw new IllegalArgumentException("invalid checkpoint file name '" + name + "'");
            if (size < 0) throw new IllegalArgumentException("size must be >= 0; name=" + name + ", size=" + size);
            if (!crc32c.matches("[0-9a-f]{8}"))
                throw new IllegalArgumentException("crc32c must be 8 lower-case hex digits; name=" + name + ", crc32c=" + crc32c);
        }
    }

    public CheckpointManifest {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(dbVersion, "dbVersion");
        rocksdb = List.copyOf(rocksdb);
        lucene = List.copyOf(lucene);
        if (checkpoint < 1) throw new IllegalArgumentException("checkpoint must be >= 1; checkpoint=" + checkpoint);
        if (walSeq < 0) throw new IllegalArgumentException("wal_seq must be >= 0; wal_seq=" + walSeq);
    }

    /** Every object key the manifest references. */
    public Set<String> keys() {
        Set<String> out = new LinkedHashSet<>();
        for (FileEntry f : rocksdb) out.add(f.key());
        for (FileEntry f : lucene) out.add(f.key());
        return out;
    }

    public byte[] encode() {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", FORMAT);
        o.put("format_version", formatVersion);
        o.put("namespace", namespace);
        o.put("shard", shard);
        o.put("checkpoint", checkpoint);
        o.put("wal_seq", walSeq);
        o.put("created_at", createdAt.toString());
        o.put("db_version", dbVersion);
        o.put("text_format_version", textFormatVersion);
        files(o.putArray("rocksdb"), rocksdb);
        files(o.putArray("lucene"), lucene);
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void files(ArrayNode a, List<FileEntry> files) {
        for (FileEntry f : files) {
            a.addObject().put("name", f.name()).put("key", f.key()).put("size", f.size()).put("crc32c", f.crc32c());
        }
    }

    /**
     * Decodes a manifest read from {@code key}.
     *
     * @throws CorruptCheckpointException naming the key when it is not a valid manifest of a known version
     */
    public static CheckpointManifest decode(String key, byte[] bytes) throws CorruptCheckpointException {
        JsonNode o;
        try {
            o = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new CorruptCheckpointException(key, "not JSON: " + e.getMessage());
        }
        if (o == null || !o.isObject()) throw new CorruptCheckpointException(key, "not a JSON object");
        if (!FORMAT.equals(o.path("format").asText())) {
            throw new CorruptCheckpointException(key, "format is '" + o.path("format").asText() + "', expected '" + FORMAT + "'");
        }
        int version = o.path("format_version").asInt(-1);
        if (version < VERSION_START || version > VERSION_CURRENT) {
            throw new CorruptCheckpointException(key, "format_version " + o.path("format_version")
                    + " is not one this build reads (" + VERSION_START + " … " + VERSION_CURRENT + ")");
        }
        try {
            return new CheckpointManifest(version, text(o, "namespace"), (int) number(o, "shard"), number(o, "checkpoint"),
                    number(o, "wal_seq"), Instant.parse(text(o, "created_at")), text(o, "db_version"),
                    (int) number(o, "text_format_version"), fileList(o, "rocksdb"), fileList(o, "lucene"));
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new CorruptCheckpointException(key, e.getMessage());
        }
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || !v.isTextual()) throw new IllegalArgumentException("field '" + field + "' is missing or not a string");
        return v.asText();
    }

    private static long number(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || !v.isIntegralNumber()) throw new IllegalArgumentException("field '" + field + "' is missing or not an integer");
        return v.asLong();
    }

    private static List<FileEntry> fileList(JsonNode o, String field) {
        JsonNode a = o.get(field);
        if (a == null || !a.isArray()) throw new IllegalArgumentException("field '" + field + "' is missing or not an array");
        List<FileEntry> out = new ArrayList<>();
        for (JsonNode f : a) out.add(new FileEntry(text(f, "name"), text(f, "key"), number(f, "size"), text(f, "crc32c")));
        return out;
    }
}
