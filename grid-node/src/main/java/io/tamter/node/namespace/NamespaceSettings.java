package io.tamter.node.namespace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.node.doc.InvalidRequestException;
import io.tamter.node.embed.EmbeddingModel;
import io.tamter.node.schema.Schema;
import io.tamter.node.vector.VectorMetric;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The settings of a namespace, stored as {@code <ns>/meta.json} in the object store and updated
 * by compare-and-set:
 * <pre>
 * {"format_version":2, "name":"…", "distance_metric":"cosine_distance", "dimensions":0,
 *  "schema":{…}, "embedding_model":"all-minilm-l6-v2" | null, "num_shards":1,
 *  "encryption":{"mode":"default"} | {"mode":"customer-managed","key_name":"…"},
 *  "created_at":epoch ms, "updated_at":epoch ms}
 * </pre>
 * {@code dimensions} is 0 until the first vector is written, then fixed. {@code embedding_model}
 * null means embedding is off (text-only rows are stored and BM25-indexed without a vector).
 * meta.json stays plaintext even for an encrypted namespace (it says how to find the key); it
 * holds names and types of attributes, never their values.
 *
 * <p>Format history: 1 — first version; 2 — adds {@code encryption} (a version-1 file reads as
 * {@code {"mode":"default"}}). Version 2 is always written, so a build that reads only 1 refuses
 * an encrypted namespace instead of reading its ciphertext as data.
 */
public record NamespaceSettings(String name, VectorMetric metric, int dimensions, Schema schema, EmbeddingModel embeddingModel,
        int numShards, EncryptionSettings encryption, long createdAt, long updatedAt) {
    public static final int FORMAT_VERSION = 2;
    public static final int FORMAT_VERSION_START = 1;
    public static final int MAX_SHARDS = 1024;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,128}");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The fields of {@code PUT /v1/namespaces/{ns}} (the OpenAPI schema of that body is checked against them). */
    public static final Set<String> OPTIONS = Set.of("distance_metric", "num_shards", "embedding_model", "schema", "encryption");

    /** @throws InvalidRequestException unless the name matches {@code [A-Za-z0-9_.-]{1,128}} and is not {@code .} or {@code ..} */
    public static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches() || name.equals(".") || name.equals(".."))
            throw new InvalidRequestException("invalid_namespace", "namespace",
                    "namespace: a name matches [A-Za-z0-9_.-]{1,128} and is not '.' or '..'; got '" + name + "'");
    }

    /** The key of the settings object of namespace {@code name}. */
    public static String key(String name) {
        return name + "/meta.json";
    }

    /**
     * Settings of a new namespace from creation options ({@code distance_metric}, {@code num_shards},
     * {@code embedding_model} (a model name or null for none), {@code schema}, {@code encryption}
     * ({@link EncryptionSettings#fromJson})); null options = defaults.
     */
    public static NamespaceSettings create(String name, JsonNode options, long now) {
        checkName(name);
        VectorMetric metric = VectorMetric.COSINE_DISTANCE;
        int shards = 1;
        EmbeddingModel model = EmbeddingModel.DEFAULT;
        Schema schema = Schema.empty();
        EncryptionSettings encryption = EncryptionSettings.DEFAULT;
        if (options != null && !options.isNull()) {
            if (!options.isObject()) throw new InvalidRequestException("invalid_request", "", "namespace options must be an object");
            for (Iterator<String> it = options.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!OPTIONS.contains(k))
                    throw new InvalidRequestException("invalid_request", k, k + ": unknown namespace option; known: " + OPTIONS);
            }
            JsonNode m = options.get("distance_metric");
            if (m != null && !m.isNull()) {
                try {
                    metric = VectorMetric.fromApiName(m.asText());
                } catch (IllegalArgumentException e) {
                    throw new InvalidRequestException("invalid_request", "distance_metric", "distance_metric: " + e.getMessage());
                }
            }
            JsonNode s = options.get("num_shards");
            if (s != null && !s.isNull()) {
                if (!s.isIntegralNumber() || s.asLong() < 1 || s.asLong() > MAX_SHARDS)
                    throw new InvalidRequestException("invalid_request", "num_shards", "num_shards: must be an integer in 1.." + MAX_SHARDS + "; got " + s);
                shards = s.asInt();
            }
            if (options.has("embedding_model")) {
                JsonNode e = options.get("embedding_model");
                if (e.isNull()) model = null;
                else {
                    try {
                        model = EmbeddingModel.fromName(e.asText());
                    } catch (IllegalArgumentException x) {
                        throw new InvalidRequestException("invalid_request", "embedding_model", "embedding_model: " + x.getMessage());
                    }
                }
            }
            JsonNode sc = options.get("schema");
            if (sc != null && !sc.isNull()) schema = Schema.fromJson(sc);
            JsonNode en = options.get("encryption");
            if (en != null && !en.isNull()) encryption = EncryptionSettings.fromJson(en, "encryption");
        }
        return new NamespaceSettings(name, metric, 0, schema, model, shards, encryption, now, now);
    }

    /** Parses a {@code distance_metric} value; errors name {@code path}. */
    public static VectorMetric parseMetric(JsonNode m, String path) {
        if (m == null || m.isNull() || !m.isTextual())
            throw new InvalidRequestException("invalid_request", path, path + ": must be one of cosine_distance, euclidean_squared, dot_product; got " + m);
        try {
            return VectorMetric.fromApiName(m.textValue());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("invalid_request", path, path + ": " + e.getMessage());
        }
    }

    public NamespaceSettings withDimensions(int d, long now) {
        return new NamespaceSettings(name, metric, d, schema, embeddingModel, numShards, encryption, createdAt, now);
    }

    public NamespaceSettings withSchema(Schema s, long now) {
        return new NamespaceSettings(name, metric, dimensions, s, embeddingModel, numShards, encryption, createdAt, now);
    }

    public NamespaceSettings withMetric(VectorMetric m, long now) {
        return new NamespaceSettings(name, m, dimensions, schema, embeddingModel, numShards, encryption, createdAt, now);
    }

    public NamespaceSettings withEncryption(EncryptionSettings e, long now) {
        return new NamespaceSettings(name, metric, dimensions, schema, embeddingModel, numShards, e, createdAt, now);
    }

    /** These settings under another name (copy), with its own times. */
    public NamespaceSettings renamed(String newName, int shards, EncryptionSettings e, long now) {
        return new NamespaceSettings(newName, metric, dimensions, schema, embeddingModel, shards, e, now, now);
    }

    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("format_version", FORMAT_VERSION);
        o.put("name", name);
        o.put("distance_metric", metric.apiName());
        o.put("dimensions", dimensions);
        o.set("schema", schema.toJson());
        if (embeddingModel == null) o.putNull("embedding_model");
        else o.put("embedding_model", embeddingModel.settingName());
        o.put("num_shards", numShards);
        o.set("encryption", encryption.toJson());
        o.put("created_at", createdAt);
        o.put("updated_at", updatedAt);
        return o;
    }

    public byte[] encode() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @throws IllegalStateException for bytes that are not settings of a known format version */
    public static NamespaceSettings decode(byte[] bytes) {
        try {
            JsonNode o = JSON.readTree(bytes);
            int v = o.path("format_version").asInt(-1);
            if (v < FORMAT_VERSION_START || v > FORMAT_VERSION)
                throw new IllegalStateException("namespace settings have format_version " + v + "; this build reads "
                        + FORMAT_VERSION_START + ".." + FORMAT_VERSION);
            JsonNode em = o.get("embedding_model");
            JsonNode en = o.get("encryption");
            EncryptionSettings enc = v < 2 || en == null || en.isNull() ? EncryptionSettings.DEFAULT : EncryptionSettings.fromJson(en, "encryption");
            return new NamespaceSettings(o.get("name").asText(), VectorMetric.fromApiName(o.get("distance_metric").asText()),
                    o.get("dimensions").asInt(), Schema.fromJson(o.get("schema")),
                    em == null || em.isNull() ? null : EmbeddingModel.fromName(em.asText()), o.get("num_shards").asInt(), enc,
                    o.get("created_at").asLong(), o.get("updated_at").asLong());
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalStateException ise) throw ise;
            throw new IllegalStateException("corrupt namespace settings: " + e + ": "
                    + new String(bytes, 0, Math.min(bytes.length, 200), StandardCharsets.UTF_8), e);
        }
    }
}
