/**
 * Tamter for JVM applications: {@link io.tamter.client.TamterClient} runs the REST API's operations
 * over the Ignite thin client, with typed requests ({@link io.tamter.client.Row},
 * {@link io.tamter.client.Patch}, {@link io.tamter.client.SearchRequest}) and results
 * ({@link io.tamter.client.SearchResult}, {@link io.tamter.client.WriteResult},
 * {@link io.tamter.client.NamespaceInfo}); errors are {@link io.tamter.client.TamterException}s
 * carrying API.md's error body.
 *
 * <p>This artifact ({@code io.tamter:tamter-client}) depends on {@code ignite-core} and
 * {@code jackson-databind} only. Jackson is a JSON library (the bodies are API.md's JSON), not an
 * engine jar: an app that uses the client carries no RocksDB, Lucene, JVector or ONNX. The engine
 * side (compute-tasks) depends on this module for the wire format ({@link io.tamter.client.wire}),
 * so there is one copy of it.
 */
package io.tamter.client;
