/**
 * The object store: Tamter's durable tier and source of truth (ARCHITECTURE.md, "One shard").
 * It holds each shard's WAL segments ({@code <ns>/shards/<s>/wal/<seq, 20 digits>.log}),
 * checkpoint files (RocksDB SSTs and blobs, Lucene segments) and manifests, and each
 * namespace's {@code meta.json}; everything a node keeps locally can be rebuilt from it.
 *
 * <p>{@link io.tamter.node.objectstore.ObjectStore} is deliberately small: the operations a
 * local directory and Google Cloud Storage can both give with the same guarantees, which one
 * abstract test suite ({@code ObjectStoreContractTest}) checks against every implementation.
 * Two of them carry the correctness of the grid:
 * <ul>
 *   <li><b>create-if-absent</b> ({@code putIfAbsent}) is the fencing of the WAL: a node appends
 *       batch n by creating segment n, so two nodes that both believe they own a shard cannot
 *       both write n; the loser learns it lost the shard and stops serving it;</li>
 *   <li><b>compare-and-set on generations</b> serializes checkpoint manifests and namespace
 *       settings without a lock service: read the object with its generation
 *       ({@code getObject}), write only if the generation is unchanged.</li>
 * </ul>
 * Every write is durable when it returns and atomic (readers and crashes see the old object or
 * the new one). Keys follow one set of rules for every implementation
 * ({@link io.tamter.node.objectstore.ObjectKeys}).
 *
 * <p>{@link io.tamter.node.objectstore.LocalDirectoryObjectStore} is the default (embedded
 * mode, tests, a grid on one machine): files under a root directory, written to a temporary
 * file, fsynced, published by {@code rename(2)} or, for create-if-absent, {@code link(2)}, with
 * per-key file locks so compare-and-set holds across processes. Its file format is
 * {@code LocalObjectFormat}.
 *
 * <p>{@link io.tamter.node.objectstore.GcsObjectStore} is the cloud one: objects in a Google
 * Cloud Storage bucket under a root prefix, create-if-absent and compare-and-set as generation
 * preconditions ({@code ifGenerationMatch}), its own retries with backoff, and a write token in
 * each object's metadata so that a retried conditional write whose first answer was lost is not
 * mistaken for a conflict. {@link io.tamter.node.objectstore.ObjectStores#open} picks a store from
 * a URI ({@code file:///dir}, {@code gs://bucket/prefix}).
 */
package io.tamter.node.objectstore;
