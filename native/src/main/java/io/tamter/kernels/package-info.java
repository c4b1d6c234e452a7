/**
 * The one seam for vector math (CONVENTIONS.md §3): {@link io.tamter.kernels.VectorKernels} with a
 * scalar reference, a Java Vector API implementation and a native (C via JNA) one, chosen once
 * per JVM by {@link io.tamter.kernels.Kernels}. Besides distances, the seam owns the hot loop of
 * search: scanning a packed posting list ({@link io.tamter.kernels.PostingLayout}) against a
 * query into a top-k while skipping stale, deleted and filtered-out entries. See native/README.md.
 */
package io.tamter.kernels;
