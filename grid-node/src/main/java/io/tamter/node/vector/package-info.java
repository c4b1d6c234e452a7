/**
 * The vector-math facade of the node: the namespace's {@link io.tamter.node.vector.VectorMetric}
 * on top of the kernels seam ({@link io.tamter.kernels.VectorKernels}, chosen once per JVM by
 * {@link io.tamter.kernels.Kernels#get()}). Nothing in the node computes a distance any other way.
 */
package io.tamter.node.vector;
