/**
 * A shard's local RocksDB instance ({@link io.tamter.node.storage.ShardDb}): its column families,
 * options and block cache. It sits below both the shard ({@code io.tamter.node.shard}, which keeps
 * documents and its own records in it) and the vector index ({@code io.tamter.node.index.spann},
 * which keeps postings, heads and versions in it), so that neither has to import the other to
 * share the instance; it imports neither.
 */
package io.tamter.node.storage;
