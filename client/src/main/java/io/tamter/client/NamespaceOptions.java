package io.tamter.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Settings for creating a namespace explicitly ({@code PUT /v1/namespaces/{ns}}); a write to a
 * namespace that does not exist creates it with the defaults instead.
 * {@code NamespaceOptions.create().distanceMetric("euclidean_squared").numShards(6).noEmbeddingModel()}.
 */
public final class NamespaceOptions {
    private final ObjectNode body = Json.F.objectNode();

    private NamespaceOptions() {}

    public static NamespaceOptions create() {
        return new NamespaceOptions();
    }

    public NamespaceOptions numShards(int n) {
        body.put("num_shards", n);
        return this;
    }

    /** {@code cosine_distance}, {@code euclidean_squared} or {@code dot_product}. */
    public NamespaceOptions distanceMetric(String metric) {
        body.put("distance_metric", metric);
        return this;
    }

    /** {@code all-minilm-l6-v2} or {@code bge-small-en-v1.5}. */
    public NamespaceOptions embeddingModel(String model) {
        body.put("embedding_model", model);
        return this;
    }

    /** Vectors come from the application only; text is not embedded. */
    public NamespaceOptions noEmbeddingModel() {
        body.putNull("embedding_model");
        return this;
    }

    /** The schema (API.md's schema body). */
    public NamespaceOptions schema(JsonNode schema) {
        body.set("schema", schema);
        return this;
    }

    ObjectNode toJson() {
        return body.deepCopy();
    }
}
