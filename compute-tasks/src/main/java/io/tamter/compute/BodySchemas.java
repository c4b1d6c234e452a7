package io.tamter.compute;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tamter.client.wire.Envelope;
import io.tamter.client.wire.Op;
import io.tamter.node.namespace.EncryptionSettings;
import io.tamter.node.namespace.NamespaceSettings;
import io.tamter.node.namespace.RecallProbe;
import io.tamter.node.namespace.SearchRequest;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The JSON Schemas (2020-12, as OpenAPI 3.1 takes them) of every operation's request and response
 * body, with examples: what {@code /openapi.json} serves under {@code components.schemas}.
 *
 * <p>Why written here rather than derived by reflection: the bodies are not bound to classes. Each
 * is walked by hand ({@link SearchRequest#fromJson}, the row parser, {@link EngineOps}' field
 * checks) so that every mistake is a 400 naming its path, and each response is rendered field by
 * field by {@link EngineOps} and {@link GridCoordinator}; there is no class whose fields are the
 * wire format. So the schemas live in this one place, next to {@link EngineOps}, which dispatches
 * every operation to its parser and renders every response, and they are tied to the code that
 * really parses and renders:
 * <ul>
 *   <li>the top-level fields a request schema lists are checked, when this class loads, against the
 *       field table of the parser that reads that body ({@link SearchRequest#KEYS},
 *       {@link NamespaceSettings#OPTIONS}, {@link EncryptionSettings#KEYS}, {@link RecallProbe#KEYS});
 *       for the bodies {@link EngineOps} checks itself its check uses {@link #requestFields} from
 *       here, so the schema is the parser's table;</li>
 *   <li>response schemas forbid fields they do not list, and the HTTP tests validate every
 *       response they receive against the served spec (http-frontend's {@code SpecValidator}), so a
 *       field added to a response without its schema fails the tests.</li>
 * </ul>
 * Free-form parts (attributes, filters) are described, not constrained: the engine checks them
 * against the namespace's schema, which no static spec knows.
 */
public final class BodySchemas {
    private BodySchemas() {}

    private static final String REF = "#/components/schemas/";

    /** One example of a body: a key (unique per operation), a one-line summary, and the value. */
    public record Example(String name, String summary, JsonNode value) {}

    /** An operation's request body: its schema name (null: the route takes no body), its top-level fields and examples. */
    private record Body(String schema, Set<String> fields, List<Example> examples) {}

    private static final ObjectNode COMPONENTS = (ObjectNode) parse("""
            {
              "Error": {
                "type": "object", "additionalProperties": false, "required": ["status", "error"],
                "description": "Every 4xx/5xx answer. `path` names the offending field of the request body (JSON path, e.g. upsert_rows[3].vector) when one field is at fault.",
                "properties": {
                  "status": {"const": "error"},
                  "error": {
                    "type": "object", "additionalProperties": false, "required": ["code", "message", "trace_id"],
                    "properties": {
                      "code": {"type": "string", "description": "machine-readable: invalid_request, invalid_json, invalid_id, invalid_vector_dimensions, namespace_not_found, document_not_found, unauthorized, forbidden, rate_limited, backpressure, payload_too_large, shard_moved, storage_unavailable, internal, ..."},
                      "message": {"type": "string"},
                      "path": {"type": "string", "description": "the offending field of the request body, when one is at fault"},
                      "trace_id": {"type": "string", "description": "also in the X-Trace-Id header and the server's log line of the request"}
                    }
                  }
                },
                "examples": [{"status": "error", "error": {"code": "invalid_vector_dimensions", "message": "row 3: vector has 64 dimensions, namespace has 128", "path": "upsert_rows[3].vector", "trace_id": "8f3a6c1e2b7d4a90"}}]
              },
              "Ok": {
                "type": "object", "additionalProperties": false, "required": ["status"],
                "properties": {"status": {"const": "ok"}}
              },
              "DocumentId": {
                "description": "An unsigned 64-bit integer, a UUID string or a string of at most 64 bytes without control characters; answered in the type it was written with.",
                "anyOf": [
                  {"type": "integer", "minimum": 0, "maximum": 18446744073709551615},
                  {"type": "string", "minLength": 1}
                ]
              },
              "Vector": {"type": "array", "items": {"type": "number"}, "minItems": 1, "description": "finite floats; every vector of a namespace has its dimensions"},
              "Attributes": {
                "type": "object", "propertyNames": {"pattern": "^[^$]"},
                "description": "attribute name -> value (string, number, bool, datetime string or arrays of those); checked against the namespace's schema"
              },
              "Filter": {
                "type": "object",
                "description": "Mongo-style: {\\"category\\":\\"electronics\\",\\"price\\":{\\"$lt\\":50}} (an object is an implicit AND). Operators: $eq $ne $gt $gte $lt $lte $in $nin $exists $contains $contains_any $glob $iglob $and $or $not."
              },
              "Condition": {
                "type": "object",
                "description": "The short form {\\"field\\":\\"price\\",\\"operator\\":\\"gt\\",\\"value\\":100} or any filter; a value {\\"$ref_new\\":\\"attr\\"} stands for the incoming row's value of attr."
              },
              "UpsertRow": {
                "type": "object", "required": ["id"], "propertyNames": {"pattern": "^[^$]"},
                "description": "A whole document. Fields other than id, vector, text and metadata are attributes given at the top level (not both there and in metadata).",
                "properties": {
                  "id": {"$ref": "#/components/schemas/DocumentId"},
                  "vector": {"$ref": "#/components/schemas/Vector"},
                  "text": {"type": "string", "description": "stored, full-text indexed, and embedded when the row has no vector and the namespace embeds"},
                  "metadata": {"$ref": "#/components/schemas/Attributes"}
                }
              },
              "PatchRow": {
                "type": "object", "required": ["id"], "propertyNames": {"pattern": "^[^$]"},
                "description": "The attributes to change of an existing document (null removes one), in metadata or at the top level.",
                "properties": {
                  "id": {"$ref": "#/components/schemas/DocumentId"},
                  "metadata": {"$ref": "#/components/schemas/Attributes"}
                }
              },
              "Columns": {
                "type": "object", "required": ["id"],
                "description": "Documents as columns of equal length: id, optional vector and text, and one column per attribute; null = absent.",
                "properties": {"id": {"type": "array", "items": {"$ref": "#/components/schemas/DocumentId"}}},
                "additionalProperties": {"type": "array"}
              },
              "UpsertRequest": {
                "type": "object", "additionalProperties": false, "required": ["upsert_rows"],
                "properties": {"upsert_rows": {"type": "array", "items": {"$ref": "#/components/schemas/UpsertRow"}}}
              },
              "UpsertColumnsRequest": {
                "type": "object", "additionalProperties": false, "required": ["upsert_columns"],
                "properties": {"upsert_columns": {"$ref": "#/components/schemas/Columns"}}
              },
              "PatchRequest": {
                "type": "object", "additionalProperties": false, "required": ["patch_rows"],
                "properties": {"patch_rows": {"type": "array", "items": {"$ref": "#/components/schemas/PatchRow"}}}
              },
              "PatchColumnsRequest": {
                "type": "object", "additionalProperties": false, "required": ["patch_columns"],
                "properties": {"patch_columns": {"$ref": "#/components/schemas/Columns"}}
              },
              "DeleteRequest": {
                "type": "object", "additionalProperties": false, "required": ["deletes"],
                "properties": {"deletes": {"type": "array", "items": {"$ref": "#/components/schemas/DocumentId"}}}
              },
              "ConditionalUpsertRequest": {
                "type": "object", "additionalProperties": false, "required": ["upsert_rows", "condition"],
                "description": "Per id: the document exists and the condition holds -> apply; exists and fails -> skip; missing -> insert.",
                "properties": {
                  "upsert_rows": {"type": "array", "items": {"$ref": "#/components/schemas/UpsertRow"}},
                  "condition": {"$ref": "#/components/schemas/Condition"}
                }
              },
              "ConditionalPatchRequest": {
                "type": "object", "additionalProperties": false, "required": ["patch_rows", "condition"],
                "properties": {
                  "patch_rows": {"type": "array", "items": {"$ref": "#/components/schemas/PatchRow"}},
                  "condition": {"$ref": "#/components/schemas/Condition"}
                }
              },
              "ConditionalDeleteRequest": {
                "type": "object", "additionalProperties": false, "required": ["deletes", "condition"],
                "properties": {
                  "deletes": {"type": "array", "items": {"$ref": "#/components/schemas/DocumentId"}},
                  "condition": {"$ref": "#/components/schemas/Condition"}
                }
              },
              "FilterDeleteRequest": {
                "type": "object", "additionalProperties": false, "required": ["filter"],
                "properties": {"filter": {"$ref": "#/components/schemas/Filter"}}
              },
              "UpdateByFilterRequest": {
                "type": "object", "additionalProperties": false, "required": ["filter", "patch"],
                "properties": {
                  "filter": {"$ref": "#/components/schemas/Filter"},
                  "patch": {"$ref": "#/components/schemas/Attributes"}
                }
              },
              "WriteResponse": {
                "type": "object", "additionalProperties": false, "required": ["status", "operation_id"],
                "properties": {
                  "status": {"const": "ok"},
                  "inserted": {"type": "integer", "minimum": 0},
                  "updated": {"type": "integer", "minimum": 0},
                  "deleted": {"type": "integer", "minimum": 0},
                  "condition_met": {"type": "boolean", "description": "conditional writes: true when every row met the condition"},
                  "skipped": {"type": "integer", "minimum": 0, "description": "conditional writes: rows whose condition failed"},
                  "errors": {
                    "type": "array", "description": "rows not applied for a non-fatal reason (a patch of a missing id: not_found)",
                    "items": {
                      "type": "object", "additionalProperties": false, "required": ["id", "code", "message"],
                      "properties": {"id": {"$ref": "#/components/schemas/DocumentId"}, "code": {"type": "string"}, "message": {"type": "string"}}
                    }
                  },
                  "operation_id": {"type": "string", "description": "unique; also in the log line of the request"}
                }
              },
              "DistanceMetric": {"enum": ["cosine_distance", "euclidean_squared", "dot_product"]},
              "ConfigureMetricRequest": {
                "type": "object", "additionalProperties": false, "required": ["distance_metric"],
                "properties": {"distance_metric": {"$ref": "#/components/schemas/DistanceMetric"}}
              },
              "FullTextOptions": {
                "type": "object", "additionalProperties": false,
                "properties": {
                  "language": {"type": "string"}, "stemming": {"type": "boolean"}, "remove_stopwords": {"type": "boolean"},
                  "case_sensitive": {"type": "boolean"}, "k1": {"type": "number"}, "b": {"type": "number"}
                }
              },
              "AttributeSpec": {
                "type": "object",
                "properties": {
                  "type": {"type": "string", "description": "string, int, float, bool, datetime, or an array of one: []string, []int, []float, []bool, []datetime"},
                  "filterable": {"type": "boolean"},
                  "full_text_search": {"anyOf": [{"type": "boolean"}, {"$ref": "#/components/schemas/FullTextOptions"}]}
                }
              },
              "Schema": {
                "type": "object", "description": "attribute name -> its type and index options",
                "additionalProperties": {"$ref": "#/components/schemas/AttributeSpec"}
              },
              "SchemaResponse": {
                "type": "object", "additionalProperties": false, "required": ["status", "schema"],
                "properties": {"status": {"const": "ok"}, "schema": {"$ref": "#/components/schemas/Schema"}, "operation_id": {"type": "string"}}
              },
              "Encryption": {
                "type": "object", "additionalProperties": false, "required": ["mode"],
                "properties": {
                  "mode": {"enum": ["default", "customer-managed"]},
                  "key_name": {"type": "string", "description": "customer-managed: the key that wraps the namespace's data key"}
                }
              },
              "EncryptionResponse": {
                "type": "object", "additionalProperties": false, "required": ["status", "encryption"],
                "properties": {"status": {"const": "ok"}, "encryption": {"$ref": "#/components/schemas/Encryption"}, "operation_id": {"type": "string"}}
              },
              "CopyRequest": {
                "type": "object", "additionalProperties": false, "required": ["source_namespace"],
                "properties": {"source_namespace": {"type": "string"}}
              },
              "CopyResponse": {
                "type": "object", "additionalProperties": false, "required": ["status", "source_namespace", "namespace", "copied", "operation_id"],
                "properties": {
                  "status": {"const": "ok"}, "source_namespace": {"type": "string"}, "namespace": {"type": "string"},
                  "copied": {"type": "integer", "minimum": 0}, "operation_id": {"type": "string"}
                }
              },
              "SearchRequest": {
                "type": "object", "additionalProperties": false,
                "description": "A vector, a text (or both for hybrid), a rank_by, or only aggregate_by.",
                "properties": {
                  "vector": {"$ref": "#/components/schemas/Vector"},
                  "text": {"type": "string"},
                  "mode": {"enum": ["vector", "bm25", "hybrid"], "description": "vector (default): ANN of the vector or the embedded text; bm25: full-text ranking; hybrid: both fused by reciprocal rank fusion"},
                  "filter": {"$ref": "#/components/schemas/Filter"},
                  "top_k": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 10},
                  "include_metadata": {"anyOf": [{"type": "boolean"}, {"type": "array", "items": {"type": "string"}}], "description": "true (default): all attributes; false: none; a list: those"},
                  "include_vectors": {"type": "boolean", "default": false},
                  "include_text": {"type": "boolean", "default": false},
                  "distance_threshold": {"type": "number", "description": "only matches at most this far"},
                  "rank_by": {"type": "array", "prefixItems": [{"type": "string", "minLength": 1}, {"enum": ["asc", "desc"]}], "minItems": 2, "maxItems": 2, "description": "order the documents matching filter by an attribute (missing values last, ties by id); no vector or text"},
                  "cursor": {"type": "string", "description": "next_cursor of the previous rank_by page"},
                  "aggregate_by": {
                    "type": "object", "minProperties": 1, "description": "result name -> [\\"count\\"] or [\\"sum\\"|\\"avg\\"|\\"min\\"|\\"max\\", attribute]",
                    "additionalProperties": {"type": "array", "prefixItems": [{"enum": ["count", "sum", "avg", "min", "max"]}, {"type": "string"}], "minItems": 1, "maxItems": 2}
                  },
                  "group_by": {"type": "array", "items": {"type": "string"}, "description": "group the aggregations by these attributes"},
                  "consistency": {"enum": ["strong", "eventual"], "default": "strong"},
                  "rrf_k": {"type": "integer", "minimum": 0, "maximum": 1000000, "default": 60, "description": "hybrid: the k of reciprocal rank fusion"},
                  "weights": {
                    "type": "object", "additionalProperties": false, "description": "hybrid: weights of the two rankings",
                    "properties": {"vector": {"type": "number", "minimum": 0, "maximum": 1000000}, "bm25": {"type": "number", "minimum": 0, "maximum": 1000000}}
                  }
                }
              },
              "Match": {
                "type": "object", "additionalProperties": false, "required": ["id"],
                "properties": {
                  "id": {"$ref": "#/components/schemas/DocumentId"},
                  "score": {"type": "number", "description": "higher is better: cosine similarity, negated distance, dot product, BM25 or fused score; absent for rank_by"},
                  "dist": {"type": "number", "description": "the raw vector distance (vector matches)"},
                  "metadata": {"$ref": "#/components/schemas/Attributes"},
                  "vector": {"$ref": "#/components/schemas/Vector"},
                  "text": {"type": "string"}
                }
              },
              "SearchResponse": {
                "type": "object", "additionalProperties": false, "required": ["status", "search_time_ms"],
                "properties": {
                  "status": {"const": "ok"},
                  "matches": {"type": "array", "items": {"$ref": "#/components/schemas/Match"}},
                  "found": {"type": "integer", "minimum": 0, "description": "the number of matches returned"},
                  "next_cursor": {"type": ["string", "null"], "description": "rank_by: the cursor of the next page; null after the last"},
                  "aggregations": {"type": "object", "description": "aggregate_by without group_by: result name -> value (null for an avg/min/max of nothing)"},
                  "aggregation_groups": {"type": "array", "items": {"type": "object"}, "description": "aggregate_by with group_by: the group's attribute values and its results, largest count first"},
                  "search_time_ms": {"type": "integer", "minimum": 0}
                }
              },
              "MultiSearchRequest": {
                "type": "object", "additionalProperties": false, "required": ["queries"],
                "properties": {"queries": {"type": "array", "minItems": 1, "maxItems": 16, "items": {"$ref": "#/components/schemas/SearchRequest"}}}
              },
              "MultiSearchResponse": {
                "type": "object", "additionalProperties": false, "required": ["status", "results"],
                "properties": {"status": {"const": "ok"}, "results": {"type": "array", "items": {"$ref": "#/components/schemas/SearchResponse"}}}
              },
              "NamespaceList": {
                "type": "object", "additionalProperties": false, "required": ["status", "namespaces", "next_cursor"],
                "properties": {
                  "status": {"const": "ok"},
                  "namespaces": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["name"], "properties": {"name": {"type": "string"}}}},
                  "next_cursor": {"type": ["string", "null"]}
                }
              },
              "CreateNamespaceRequest": {
                "type": "object", "additionalProperties": false,
                "properties": {
                  "num_shards": {"type": "integer", "minimum": 1, "maximum": 1024},
                  "distance_metric": {"$ref": "#/components/schemas/DistanceMetric"},
                  "embedding_model": {"anyOf": [{"enum": ["all-minilm-l6-v2", "bge-small-en-v1.5"]}, {"type": "null"}], "description": "null: vectors come from the application only"},
                  "schema": {"$ref": "#/components/schemas/Schema"},
                  "encryption": {"$ref": "#/components/schemas/Encryption"}
                }
              },
              "NamespaceInfo": {
                "type": "object", "additionalProperties": false,
                "required": ["status", "name", "approx_row_count", "dimensions", "distance_metric", "schema", "num_shards", "embedding_model", "encryption", "index", "created_at", "updated_at"],
                "properties": {
                  "status": {"const": "ok"},
                  "name": {"type": "string"},
                  "approx_row_count": {"type": "integer", "minimum": 0},
                  "dimensions": {"type": "integer", "minimum": 0, "description": "0 before the first vector"},
                  "distance_metric": {"$ref": "#/components/schemas/DistanceMetric"},
                  "schema": {"$ref": "#/components/schemas/Schema"},
                  "num_shards": {"type": "integer", "minimum": 1},
                  "embedding_model": {"type": ["string", "null"]},
                  "encryption": {"$ref": "#/components/schemas/Encryption"},
                  "index": {
                    "type": "object", "additionalProperties": false, "required": ["status", "unindexed_bytes", "pending_tasks"],
                    "properties": {"status": {"enum": ["up-to-date", "updating"]}, "unindexed_bytes": {"type": "integer", "minimum": 0}, "pending_tasks": {"type": "integer", "minimum": 0}}
                  },
                  "created_at": {"type": "string", "format": "date-time"},
                  "updated_at": {"type": "string", "format": "date-time"},
                  "operation_id": {"type": "string", "description": "when the request changed the namespace"}
                }
              },
              "DeleteNamespaceResponse": {
                "type": "object", "additionalProperties": false, "required": ["status", "namespace", "deleted", "operation_id"],
                "properties": {"status": {"const": "ok"}, "namespace": {"type": "string"}, "deleted": {"const": true}, "operation_id": {"type": "string"}}
              },
              "Document": {
                "type": "object", "additionalProperties": false, "required": ["id", "metadata"],
                "properties": {
                  "id": {"$ref": "#/components/schemas/DocumentId"},
                  "vector": {"$ref": "#/components/schemas/Vector"},
                  "text": {"type": "string"},
                  "metadata": {"$ref": "#/components/schemas/Attributes"}
                }
              },
              "DocumentResponse": {
                "type": "object", "additionalProperties": false, "required": ["status", "document"],
                "properties": {"status": {"const": "ok"}, "document": {"$ref": "#/components/schemas/Document"}}
              },
              "ExportResponse": {
                "type": "object", "additionalProperties": false, "required": ["status", "documents", "next_cursor"],
                "properties": {
                  "status": {"const": "ok"},
                  "documents": {"type": "array", "items": {"$ref": "#/components/schemas/Document"}},
                  "next_cursor": {"type": ["string", "null"], "description": "null after the last page"}
                }
              },
              "WarmResponse": {
                "type": "object", "additionalProperties": false, "required": ["status", "shards", "shards_loaded", "heads", "live_vectors", "warm_ms"],
                "properties": {
                  "status": {"const": "ok"}, "shards": {"type": "integer"}, "shards_loaded": {"type": "integer"},
                  "heads": {"type": "integer"}, "live_vectors": {"type": "integer"}, "warm_ms": {"type": "integer"}
                }
              },
              "RecallRequest": {
                "type": "object", "additionalProperties": false,
                "properties": {
                  "num": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 25, "description": "stored vectors sampled as queries"},
                  "top_k": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 10},
                  "filter": {"$ref": "#/components/schemas/Filter"}
                }
              },
              "RecallResponse": {
                "type": "object", "additionalProperties": false, "required": ["status", "avg_recall", "avg_ann_count", "avg_exhaustive_count", "sampled"],
                "properties": {
                  "status": {"const": "ok"}, "avg_recall": {"type": "number", "minimum": 0, "maximum": 1},
                  "avg_ann_count": {"type": "number"}, "avg_exhaustive_count": {"type": "number"},
                  "sampled": {"type": "integer", "minimum": 0, "description": "queries run; 0 when no document has a vector"}
                }
              },
              "ClusterResponse": {
                "type": "object", "additionalProperties": false, "required": ["status", "nodes", "shards"],
                "properties": {
                  "status": {"const": "ok"},
                  "nodes": {"type": "array", "items": {
                    "type": "object", "additionalProperties": false, "required": ["id", "address", "http", "shards"],
                    "properties": {
                      "id": {"type": "string", "description": "the node's consistent id"},
                      "address": {"type": ["string", "null"], "description": "the node's Ignite discovery address host:port (what --join takes); null when the node did not answer"},
                      "http": {"type": ["string", "null"], "description": "the node's REST base URL; null for a node without REST (tamter node) or one that did not answer"},
                      "shards": {"type": "integer", "minimum": 0, "description": "shards the node owns"}
                    }
                  }},
                  "shards": {"type": "array", "items": {
                    "type": "object", "additionalProperties": false, "required": ["namespace", "shard", "owner", "state"],
                    "properties": {
                      "namespace": {"type": "string"}, "shard": {"type": "integer", "minimum": 0},
                      "owner": {"type": ["string", "null"], "description": "the consistent id of the primary of the shard in the ownership cache"},
                      "state": {"enum": ["serving", "idle", "opening", "moving", "unowned", "unknown"],
                        "description": "serving: open on its owner; idle: closed by the cold tier on its owner, opened by the next request; opening: its owner has not opened it yet (it just took it over); moving: still open on a node that no longer owns it (draining before it closes); unowned: no server node; unknown: its owner did not answer"}
                    }
                  }}
                }
              }
            }
            """);

    private static final Map<Op, Body> REQUESTS = new EnumMap<>(Op.class);
    private static final Map<Op, String> RESPONSES = new EnumMap<>(Op.class);
    private static final Map<Op, List<Example>> RESPONSE_EXAMPLES = new EnumMap<>(Op.class);

    static {
        // the product's examples (../shared/design/examples 01-06) and API.md's bodies
        body(Op.UPSERT, "UpsertRequest",
                ex("product-catalog", "01-upsert: text embedded by the server, attributes in metadata", """
                        {"upsert_rows":[{"id":"product-123","text":"Wireless Smartphone Charger. Fast charging wireless pad for smartphones. Compatible with all Qi-enabled devices.","metadata":{"title":"Wireless Smartphone Charger","description":"Fast charging wireless pad for smartphones","category":"electronics","price":29.99,"tags":["wireless","charging","smartphone"],"in_stock":true,"created_at":"2025-06-15T10:30:00Z"}},{"id":"product-456","text":"Bluetooth Headphones with noise cancellation. Over-ear design with premium audio quality and 20-hour battery life.","metadata":{"title":"Bluetooth Headphones","description":"Noise-cancelling over-ear headphones","category":"electronics","price":89.99,"tags":["bluetooth","audio","headphones"],"in_stock":true,"created_at":"2025-06-14T09:15:00Z"}}]}"""),
                ex("top-level-attributes", "06-upsert-top-level-attrs: attributes at the top level of the row", """
                        {"upsert_rows":[{"id":1,"text":"Red shoes with leather sole","score":5},{"id":2,"text":"Blue cotton t-shirt","score":4}]}"""),
                ex("vectors", "vectors from the application", """
                        {"upsert_rows":[{"id":7,"vector":[0.1,0.2,0.3],"metadata":{"kind":"a"}}]}"""));
        body(Op.UPSERT_COLUMNS, "UpsertColumnsRequest", ex("columns", "two documents as columns", """
                {"upsert_columns":{"id":[1,2],"vector":[[0.1,0.2],[0.3,0.4]],"kind":["a",null]}}"""));
        body(Op.UPDATE, "PatchRequest", ex("product-catalog", "02-update", """
                {"patch_rows":[{"id":"product-123","metadata":{"price":24.99,"in_stock":false,"updated_at":"2025-07-23T14:25:00Z"}}]}"""));
        body(Op.UPDATE_COLUMNS, "PatchColumnsRequest", ex("columns", "a patch as columns", """
                {"patch_columns":{"id":[1,2],"price":[10,null]}}"""));
        body(Op.BATCH_DELETE, "DeleteRequest", ex("product-catalog", "05-batch-delete", """
                {"deletes":["product-123","product-456"]}"""));
        body(Op.CONDITIONAL_UPSERT, "ConditionalUpsertRequest",
                ex("product-catalog", "03-conditional-upsert", """
                        {"upsert_rows":[{"id":"product-789","text":"Smart Watch with fitness tracking features. Includes heart rate monitor, step counter, and sleep tracking.","metadata":{"title":"Smart Watch","description":"Fitness tracking smartwatch with heart rate monitor","category":"wearables","price":149.99,"tags":["smartwatch","fitness","wearable"],"in_stock":true}}],"condition":{"field":"price","operator":"gt","value":100}}"""),
                ex("optimistic-concurrency", "apply only over an older version", """
                        {"upsert_rows":[{"id":7,"version":3,"text":"v3"}],"condition":{"version":{"$lt":{"$ref_new":"version"}}}}"""));
        body(Op.CONDITIONAL_UPDATE, "ConditionalPatchRequest", ex("in-stock-only", "patch documents that are in stock", """
                {"patch_rows":[{"id":"product-123","price":19.99}],"condition":{"in_stock":true}}"""));
        body(Op.CONDITIONAL_DELETE, "ConditionalDeleteRequest", ex("out-of-stock-only", "delete if out of stock", """
                {"deletes":["product-123"],"condition":{"in_stock":false}}"""));
        body(Op.FILTER_DELETE, "FilterDeleteRequest", ex("by-category", "delete a category", """
                {"filter":{"category":"wearables"}}"""));
        body(Op.UPDATE_BY_FILTER, "UpdateByFilterRequest", ex("by-category", "mark a category out of stock", """
                {"filter":{"category":"electronics","price":{"$lt":50}},"patch":{"in_stock":false}}"""));
        body(Op.CONFIGURE_METRIC, "ConfigureMetricRequest", ex("euclidean", "switch to squared euclidean distance", """
                {"distance_metric":"euclidean_squared"}"""));
        body(Op.SET_SCHEMA, "Schema", ex("full-text", "a full-text attribute and a filterable one", """
                {"title":{"type":"string","full_text_search":{"language":"english","stemming":false}},"price":{"type":"float","filterable":true}}"""));
        body(Op.SET_ENCRYPTION, "Encryption", ex("customer-managed", "encrypt with a named key", """
                {"mode":"customer-managed","key_name":"team-a"}"""), ex("default", "back to the default", """
                {"mode":"default"}"""));
        body(Op.COPY, "CopyRequest", ex("copy", "copy another namespace", """
                {"source_namespace":"product-catalog"}"""));
        Example[] searches = {
                ex("product-catalog", "04-search-text: semantic text search with a filter", """
                        {"text":"wireless charging for smartphones","filter":{"category":"electronics","price":{"$lt":50},"in_stock":true},"top_k":5,"include_metadata":true,"include_vectors":false}"""),
                ex("vector", "nearest neighbours of a vector", """
                        {"vector":[0.1,0.2,0.3],"top_k":10,"include_metadata":["title"],"distance_threshold":0.5}"""),
                ex("bm25", "full-text ranking", """
                        {"text":"wireless charging","mode":"bm25","top_k":10}"""),
                ex("hybrid", "both rankings fused", """
                        {"text":"wireless charging","mode":"hybrid","rrf_k":60,"weights":{"vector":1.0,"bm25":0.5}}"""),
                ex("rank-by", "documents ordered by an attribute, paged", """
                        {"rank_by":["price","asc"],"filter":{"in_stock":true},"top_k":100}"""),
                ex("aggregate-by", "aggregations grouped by an attribute", """
                        {"aggregate_by":{"n":["count"],"avg_price":["avg","price"],"max_price":["max","price"]},"group_by":["category"],"filter":{"in_stock":true}}"""),
                ex("eventual", "may skip writes not yet indexed", """
                        {"text":"headphones","consistency":"eventual"}""")};
        body(Op.SEARCH, "SearchRequest", searches);
        body(Op.MULTI_SEARCH, "MultiSearchRequest", ex("two", "a text search and a count", """
                {"queries":[{"text":"wireless charging","top_k":3},{"aggregate_by":{"n":["count"]}}]}"""));
        body(Op.CREATE_NAMESPACE, "CreateNamespaceRequest", ex("raw-vectors", "six shards, vectors from the application", """
                {"num_shards":6,"distance_metric":"euclidean_squared","embedding_model":null,"schema":{"kind":{"type":"string","filterable":true}}}"""));
        body(Op.DEBUG_RECALL, "RecallRequest", ex("recall", "25 sampled queries", """
                {"num":25,"top_k":10}"""));
        for (Op op : List.of(Op.GET_SCHEMA, Op.GET_ENCRYPTION, Op.LIST_NAMESPACES, Op.GET_NAMESPACE, Op.DELETE_NAMESPACE, Op.GET_DOCUMENT,
                Op.EXPORT, Op.WARM, Op.GET_CLUSTER))
            REQUESTS.put(op, new Body(null, Set.of(), List.of()));

        for (Op op : List.of(Op.UPSERT, Op.UPSERT_COLUMNS, Op.UPDATE, Op.UPDATE_COLUMNS, Op.BATCH_DELETE, Op.CONDITIONAL_UPSERT,
                Op.CONDITIONAL_UPDATE, Op.CONDITIONAL_DELETE, Op.FILTER_DELETE, Op.UPDATE_BY_FILTER))
            RESPONSES.put(op, "WriteResponse");
        RESPONSES.put(Op.CONFIGURE_METRIC, "NamespaceInfo");
        RESPONSES.put(Op.SET_SCHEMA, "SchemaResponse");
        RESPONSES.put(Op.GET_SCHEMA, "SchemaResponse");
        RESPONSES.put(Op.GET_ENCRYPTION, "EncryptionResponse");
        RESPONSES.put(Op.SET_ENCRYPTION, "EncryptionResponse");
        RESPONSES.put(Op.COPY, "CopyResponse");
        RESPONSES.put(Op.SEARCH, "SearchResponse");
        RESPONSES.put(Op.MULTI_SEARCH, "MultiSearchResponse");
        RESPONSES.put(Op.LIST_NAMESPACES, "NamespaceList");
        RESPONSES.put(Op.GET_NAMESPACE, "NamespaceInfo");
        RESPONSES.put(Op.CREATE_NAMESPACE, "NamespaceInfo");
        RESPONSES.put(Op.DELETE_NAMESPACE, "DeleteNamespaceResponse");
        RESPONSES.put(Op.GET_DOCUMENT, "DocumentResponse");
        RESPONSES.put(Op.EXPORT, "ExportResponse");
        RESPONSES.put(Op.WARM, "WarmResponse");
        RESPONSES.put(Op.DEBUG_RECALL, "RecallResponse");
        RESPONSES.put(Op.GET_CLUSTER, "ClusterResponse");

        RESPONSE_EXAMPLES.put(Op.UPSERT, List.of(ex("product-catalog", "01-upsert", """
                {"status":"ok","inserted":2,"updated":0,"deleted":0,"errors":[],"operation_id":"op-5f0c2a1e-8d1b-4c36-9a57-0e4b7f3d2c11"}""")));
        RESPONSE_EXAMPLES.put(Op.CONDITIONAL_UPSERT, List.of(ex("product-catalog", "03-conditional-upsert", """
                {"status":"ok","inserted":1,"updated":0,"deleted":0,"condition_met":true,"skipped":0,"errors":[],"operation_id":"op-5f0c2a1e-8d1b-4c36-9a57-0e4b7f3d2c12"}""")));
        RESPONSE_EXAMPLES.put(Op.SEARCH, List.of(
                ex("product-catalog", "04-search-text", """
                        {"status":"ok","matches":[{"id":"product-123","score":0.92,"dist":0.08,"metadata":{"title":"Wireless Smartphone Charger","category":"electronics","price":29.99,"in_stock":true}}],"found":1,"search_time_ms":15}"""),
                ex("aggregate-by", "grouped aggregations", """
                        {"status":"ok","aggregation_groups":[{"category":"electronics","n":60,"avg_price":41.5,"max_price":89.99}],"search_time_ms":3}""")));

        checkAgainstParsers();
    }

    private static void body(Op op, String schema, Example... examples) {
        JsonNode s = COMPONENTS.get(schema);
        if (s == null) throw new IllegalStateException("no schema " + schema);
        Set<String> fields = new LinkedHashSet<>();
        s.path("properties").fieldNames().forEachRemaining(fields::add);
        REQUESTS.put(op, new Body(schema, Set.copyOf(fields), List.of(examples)));
    }

    private static Example ex(String name, String summary, String json) {
        return new Example(name, summary, parse(json));
    }

    /**
     * The schemas' fields against the field tables of the parsers that read those bodies: a field
     * the parser takes that the schema lacks, or the other way round, stops the class from loading
     * (and so every test of the server and of the spec).
     */
    private static void checkAgainstParsers() {
        same(Op.SEARCH, SearchRequest.KEYS);
        same(Op.CREATE_NAMESPACE, NamespaceSettings.OPTIONS);
        same(Op.SET_ENCRYPTION, EncryptionSettings.KEYS);
        same(Op.DEBUG_RECALL, RecallProbe.KEYS);
        same(Op.MULTI_SEARCH, Set.of("queries"));
        for (Op op : Op.values()) {
            if (!REQUESTS.containsKey(op)) throw new IllegalStateException("no request description for " + op);
            if (!RESPONSES.containsKey(op)) throw new IllegalStateException("no response schema for " + op);
        }
    }

    private static void same(Op op, Set<String> parserFields) {
        Set<String> described = REQUESTS.get(op).fields();
        if (!described.equals(parserFields))
            throw new IllegalStateException("the schema of " + op.wire() + " lists " + new TreeSet<>(described) + " but its parser takes "
                    + new TreeSet<>(parserFields));
    }

    private static JsonNode parse(String json) {
        try {
            return Envelope.JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("bad schema JSON: " + e.getOriginalMessage(), e);
        }
    }

    // ------------------------------------------------------------------ what the spec and the parsers read

    /** A copy of every schema by name, for {@code components.schemas}. */
    public static ObjectNode components() {
        return COMPONENTS.deepCopy();
    }

    /** {@code {"$ref":"#/components/schemas/…"}} of the operation's request body; null when its route takes no body. */
    public static ObjectNode request(Op op) {
        String s = REQUESTS.get(op).schema();
        return s == null ? null : ref(s);
    }

    /** {@code {"$ref":"#/components/schemas/…"}} of the operation's 200 body. */
    public static ObjectNode response(Op op) {
        return ref(RESPONSES.get(op));
    }

    /** The schema of every 4xx/5xx body. */
    public static ObjectNode error() {
        return ref("Error");
    }

    /** {@code {"status":"ok"}} ({@code /health}, {@code /ready}). */
    public static ObjectNode ok() {
        return ref("Ok");
    }

    public static List<Example> requestExamples(Op op) {
        return REQUESTS.get(op).examples();
    }

    public static List<Example> responseExamples(Op op) {
        return RESPONSE_EXAMPLES.getOrDefault(op, List.of());
    }

    /** The top-level fields the operation's body may have: {@link EngineOps} refuses others with a 400 naming the field. */
    public static Set<String> requestFields(Op op) {
        return REQUESTS.get(op).fields();
    }

    private static ObjectNode ref(String name) {
        return JsonNodeFactory.instance.objectNode().put("$ref", REF + name);
    }

    /** Every {@code $ref} in {@code n} points at a schema of {@link #components()}; for the tests. */
    static void checkRefs(JsonNode n) {
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("$ref")) {
                    String r = e.getValue().asText();
                    if (!r.startsWith(REF) || !COMPONENTS.has(r.substring(REF.length()))) throw new IllegalStateException("dangling $ref " + r);
                } else checkRefs(e.getValue());
            }
        } else if (n.isArray()) for (JsonNode c : n) checkRefs(c);
    }
}
