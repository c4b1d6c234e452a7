/** Datasets (TEXMEX files, the synthetic clustered mixture) and exact ground truth. */
package io.tamter.bench.data;
