/**
 * LIRE, the Lightweight Incremental RE-balancing protocol of SPFresh (Xu et al., SOSP 2023, §4),
 * keeping a SPANN index's postings balanced under inserts and deletes without rebuilds.
 *
 * <ul>
 *   <li><b>Split</b>: a posting longer than {@code max_posting} first drops stale entries; if still
 *       too long it is 2-means clustered (balanced training, nearest-centroid final assignment) into
 *       two new heads that replace it in one write batch.</li>
 *   <li><b>Reassign</b>: only vectors that may have lost their best posting are re-placed, by the
 *       paper's two necessary conditions as its implementation checks them (a member of the split
 *       posting whose old head was closer than its new head; a member of one of the
 *       {@code reassign_k} nearest postings to whom a new head is closer than both its current and
 *       the old head). Re-placement recomputes the replica set and is skipped when it still contains
 *       the posting the vector was found in; otherwise it is an insert with a version bump, dropped
 *       if the vector changed meanwhile.</li>
 *   <li><b>Merge</b>: a posting whose live length fell under {@code min_posting} is folded into the
 *       nearest head whose posting stays within {@code max_posting}; its vectors are reassigned when
 *       their new head is farther than their old one.</li>
 * </ul>
 * {@link io.tamter.node.index.lire.Rebalancer} runs these on a bounded background pool; requests
 * never block a foreground write and are de-duplicated; {@code awaitQuiescent} drains them and
 * sweeps every posting.
 */
package io.tamter.node.index.lire;
