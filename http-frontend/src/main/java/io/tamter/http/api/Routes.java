package io.tamter.http.api;

import static io.javalin.http.HandlerType.DELETE;
import static io.javalin.http.HandlerType.GET;
import static io.javalin.http.HandlerType.PATCH;
import static io.javalin.http.HandlerType.POST;
import static io.javalin.http.HandlerType.PUT;

import io.javalin.http.HandlerType;
import io.tamter.client.wire.Op;
import java.util.List;

/**
 * The route table of API.md: the server registers exactly these, and {@code /openapi.json} is
 * generated from them (a test compares the spec with the routes Javalin actually serves).
 * {@code DELETE} routes with a body also accept {@code POST}, for clients that cannot send a body
 * with DELETE (API.md).
 */
public final class Routes {
    private Routes() {}

    static final String NS = "/v1/namespaces/{ns}";

    public static final List<Route> API = List.of(
            r(List.of(POST), NS + "/upsert", Op.UPSERT, true, "Insert or replace whole documents (upsert_rows)"),
            r(List.of(POST), NS + "/upsert-columns", Op.UPSERT_COLUMNS, true, "Insert or replace documents given as columns (upsert_columns)"),
            r(List.of(PATCH), NS + "/update", Op.UPDATE, true, "Change only the given attributes of existing documents (patch_rows)"),
            r(List.of(PATCH), NS + "/update-columns", Op.UPDATE_COLUMNS, true, "Patch given as columns (patch_columns)"),
            r(List.of(DELETE, POST), NS + "/batch-delete", Op.BATCH_DELETE, true, "Delete documents by id (deletes)"),
            r(List.of(POST), NS + "/conditional-upsert", Op.CONDITIONAL_UPSERT, true, "Upsert rows whose existing document meets the condition"),
            r(List.of(PATCH), NS + "/conditional-update", Op.CONDITIONAL_UPDATE, true, "Patch rows whose document exists and meets the condition"),
            r(List.of(DELETE, POST), NS + "/conditional-delete", Op.CONDITIONAL_DELETE, true, "Delete documents that exist and meet the condition"),
            r(List.of(DELETE, POST), NS + "/filter-delete", Op.FILTER_DELETE, true, "Delete every document matching a filter"),
            r(List.of(PATCH), NS + "/update-by-filter", Op.UPDATE_BY_FILTER, true, "Patch every document matching a filter (filter, patch)"),
            r(List.of(POST), NS + "/configure-metric", Op.CONFIGURE_METRIC, true, "Set the distance metric (rebuilds the vector index in the background)"),
            r(List.of(POST, PUT), NS + "/schema", Op.SET_SCHEMA, true, "Add attributes or change their index options"),
            r(List.of(GET), NS + "/schema", Op.GET_SCHEMA, false, "The namespace's schema"),
            r(List.of(POST, PUT), NS + "/encryption", Op.SET_ENCRYPTION, true, "Set the namespace's encryption mode"),
            r(List.of(GET), NS + "/encryption", Op.GET_ENCRYPTION, false, "The namespace's encryption mode (never key material)"),
            r(List.of(POST), NS + "/copy", Op.COPY, true, "Copy another namespace into this empty or new one"),
            r(List.of(POST), NS + "/search", Op.SEARCH, true, "Vector, semantic text, BM25 or hybrid search with filters"),
            r(List.of(POST), NS + "/query", Op.SEARCH, true, "Alias of search"),
            r(List.of(POST), NS + "/multi-search", Op.MULTI_SEARCH, true, "Up to 16 searches in one request (queries), each answered as by search"),
            r(List.of(GET), "/v1/namespaces", Op.LIST_NAMESPACES, false, "List namespace names (prefix, cursor, page_size)"),
            r(List.of(GET), NS, Op.GET_NAMESPACE, false, "Namespace metadata"),
            r(List.of(PUT), NS, Op.CREATE_NAMESPACE, true, "Create the namespace (num_shards, distance_metric, embedding_model, schema, encryption)"),
            r(List.of(DELETE), NS, Op.DELETE_NAMESPACE, false, "Delete the namespace and all its data"),
            r(List.of(GET), NS + "/documents/{id}", Op.GET_DOCUMENT, false, "Fetch one document"),
            r(List.of(GET), NS + "/documents", Op.EXPORT, false, "Export documents in id order (cursor, limit)"),
            r(List.of(POST), NS + "/warm", Op.WARM, false, "Load the namespace into memory and disk caches ahead of queries"),
            r(List.of(POST), NS + "/_debug/recall", Op.DEBUG_RECALL, true, "ANN recall against exact search on sampled stored vectors"),
            r(List.of(GET), "/v1/cluster", Op.GET_CLUSTER, false, "The grid's server nodes and the owner of every shard"));

    /** Service routes (no namespace, no engine operation). */
    public static final List<String> SERVICE = List.of("/health", "/ready", "/metrics", "/openapi.json");

    private static Route r(List<HandlerType> methods, String path, Op op, boolean body, String summary) {
        return new Route(methods, path, op, body, summary);
    }
}
