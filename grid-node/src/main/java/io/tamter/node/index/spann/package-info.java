/**
 * The vector index of one shard, in the SPANN layout (Chen et al., "SPANN: Highly-efficient
 * Billion-scale Approximate Nearest Neighbor Search", NeurIPS 2021), kept fresh by LIRE (Xu et al.,
 * "SPFresh: Incremental In-Place Update for Billion-Scale Vector Search", SOSP 2023; see
 * {@code io.tamter.node.index.lire}).
 *
 * <h2>Layout</h2>
 * <ul>
 *   <li><b>Heads</b> — posting centroids, in memory in a JVector graph ({@link io.tamter.node.index.spann.HeadIndex}),
 *       searched by an exact scan of their packed centroids while they hold at most
 *       {@code index.head_scan_floats} floats (the graph is slower below ~4M floats),
 *       persisted in the {@code centroids} column family ({@link io.tamter.node.index.spann.HeadCodec}).</li>
 *   <li><b>Postings</b> — one RocksDB value per head ({@link io.tamter.node.index.spann.PostingCodec}), appended by a
 *       concatenating merge operator so an insert never reads a posting.</li>
 *   <li><b>Versions</b> — vid → 15-bit version + deleted bit (16 bits) ({@link io.tamter.node.index.spann.VersionMap}); an entry
 *       whose version is not the current one is stale: skipped by search, dropped by the next rewrite.</li>
 * </ul>
 *
 * <h2>Build, write, search</h2>
 * Below {@code build_threshold} a shard keeps one flat posting searched exactly; at the threshold
 * {@link io.tamter.node.index.spann.SpannBuilder} builds heads by hierarchical balanced k-means and
 * assigns each vector to up to {@code replica_count} postings by the closure and RNG rules
 * ({@link io.tamter.node.index.spann.ReplicaSelector}). Inserts use the same rules
 * ({@link io.tamter.node.index.spann.SpannCore}); searches probe the nearest heads with query-aware
 * pruning, the radius rule, the optional patience rule and more heads for postings a delete
 * emptied ({@link io.tamter.node.index.spann.SpannSearcher}) and scan postings
 * with the kernels, from the {@link io.tamter.node.index.spann.PostingCache} where it holds them
 * (bounded in bytes; every posting write goes through {@code SpannStorage.commit}, which keeps it
 * coherent).
 *
 * <h2>Crash safety</h2>
 * Every mutation is one RocksDB write batch, and the in-memory version of a vid changes while the
 * postings it was written to are still locked, so no rewrite can judge a just-written entry stale.
 * {@link io.tamter.node.index.spann.IntegrityCheck} verifies from storage alone that every live vid
 * is in a posting whose head exists and that heads and postings pair up; {@code IndexCrashTest}
 * kills a writer with SIGKILL and checks exactly that plus the content of every acknowledged write.
 *
 * <h2>Known limits</h2>
 * Versions are 15 bits ({@link io.tamter.node.index.spann.PostingCodec} format 2): a stale entry
 * that survives 32,768 updates of its vid without any rewrite of its posting would read as live
 * again. Rewrites (split, merge, garbage collection) drop stale entries long before that. SPFresh's
 * 7 bits (format 1) were not enough: {@code IndexCrashTest} with {@code -Dtamter.long=true} failed
 * after about 15 kills, when a never-rewritten posting's stale entry matched its vid's version
 * again after 128 updates and was read as the vector's content. Stores with 8-bit entry versions
 * are refused with a message to rebuild the index; {@code VersionWrapTest} covers 300 updates of
 * one vid.
 */
package io.tamter.node.index.spann;
