/**
 * What travels over the grid. {@link io.tamter.compute.TamterTask} is the one compute task: a
 * search scatters one job per node that owns shards of the namespace (each returns its shards'
 * candidates, the task merges them with {@link io.tamter.node.namespace.ShardSearch#merge}); every
 * other operation runs as one job on the node that received it (a server picked at random when
 * that is a client node), where {@link io.tamter.compute.GridCoordinator} splits it over the
 * shards' owners and {@link io.tamter.compute.EngineOps}
 * maps API.md's request bodies onto the engine and every failure onto API.md's status and error
 * body. Requests and responses are {@link io.tamter.compute.OpRequest} and
 * {@link io.tamter.compute.OpResponse}: objects within one JVM (the HTTP frontend and the jobs
 * Ignite runs on the local node, unmarshalled), JSON text between nodes and for thin clients
 * ({@code io.tamter.client.TamterClient}), which so share one format with the REST API. That text
 * format, the task name and the operation names ({@link io.tamter.client.wire.Op}) live in the
 * tamter-client module ({@link io.tamter.client.wire.Envelope}), which apps depend on without the
 * engine; the two records here encode through it. {@link io.tamter.compute.BodySchemas} holds the
 * JSON Schemas of every body, which {@code /openapi.json} serves and whose field lists the request
 * checks here use.
 */
package io.tamter.compute;
