/**
 * One shard's lifecycle and local state: {@link io.tamter.node.shard.ShardDb} is its RocksDB instance
 * (column families {@code docs}, {@code postings}, {@code centroids}, {@code versions}, {@code meta})
 * with a {@code version.info} in its directory.
 */
package io.tamter.node.shard;
