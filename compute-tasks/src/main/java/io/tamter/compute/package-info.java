/**
 * What travels over the grid: {@link io.tamter.compute.TamterTask} runs an
 * {@link io.tamter.compute.OpRequest} on the node that owns the namespace and returns an
 * {@link io.tamter.compute.OpResponse}; {@link io.tamter.compute.EngineOps} maps API.md's request
 * bodies onto the engine there. Requests and responses travel as JSON text, so the HTTP frontend
 * and thin clients ({@link io.tamter.compute.TamterClient}) share one format with the REST API.
 */
package io.tamter.compute;
