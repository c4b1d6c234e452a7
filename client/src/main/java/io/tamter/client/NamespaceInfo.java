package io.tamter.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A namespace's metadata ({@code GET /v1/namespaces/{ns}}): approximate row count, vector
 * dimensions (0 before the first vector), distance metric, shard count, embedding model (null for
 * none) and index status ({@code up-to-date}/{@code updating}). {@link #json()} has the rest (schema,
 * encryption, timestamps).
 */
public record NamespaceInfo(String name, long approxRowCount, int dimensions, String distanceMetric, int numShards, String embeddingModel,
        String indexStatus, JsonNode json) {
    static NamespaceInfo fromJson(JsonNode b) {
        return new NamespaceInfo(b.path("name").asText(), b.path("approx_row_count").asLong(), b.path("dimensions").asInt(),
                b.path("distance_metric").asText(null), b.path("num_shards").asInt(),
                b.hasNonNull("embedding_model") ? b.get("embedding_model").asText() : null, b.path("index").path("status").asText(null), b);
    }
}
