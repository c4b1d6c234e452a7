/*
 * Tamter vector kernels: squared L2, dot product, batch distances and the posting scan.
 * Three variants in one library (portable C, AVX2+FMA, AVX-512F), chosen once at load by
 * CPU feature; tk_force_variant() lets tests run every variant the CPU supports.
 * Called from Java through JNA direct mapping (io.tamter.kernels.NativeKernels): pointers are
 * passed as 64-bit addresses of off-heap memory.
 */
#ifndef TAMTER_KERNELS_H
#define TAMTER_KERNELS_H

#include <stdint.h>

#define TK_METRIC_L2 0
#define TK_METRIC_DOT 1

#define TK_VARIANT_PORTABLE 0
#define TK_VARIANT_AVX2 1
#define TK_VARIANT_AVX512 2

/* Name of the variant in use: "portable", "avx2" or "avx512". */
const char *tk_variant(void);
/* Whether the CPU can run a variant. */
int tk_supports(int variant);
/* Switch variant (tests); returns 0 when the CPU cannot run it (nothing changes). */
int tk_force_variant(int variant);

float tk_dot(const float *a, const float *b, int32_t n);
float tk_l2sq(const float *a, const float *b, int32_t n);
/* out[j] = distance(query, matrix + j*dim) for j < count; DOT distances are negated dot products. */
void tk_distances(int32_t metric, const float *query, const float *matrix, int32_t count, int32_t dim, float *out);

/*
 * Scans `count` packed entries starting at posting + offset. Entry layout (little-endian):
 * [int64 vid][u16 version][float32 x dim] (posting format 2; entries are unaligned). `versions` is
 * the version map: one little-endian u16 per vid (bits 0..14 version, bit 15 deleted), and
 * versions_limit counts vids (u16 slots), not bytes. The library assumes a little-endian host.
 * An entry is skipped when vid < 0, vid >= versions_limit,
 * versions[vid] != version (stale or deleted: bit 15 marks deleted), or filter != NULL and bit vid
 * of the little-endian 64-bit-word bitset is clear (or vid >= filter_limit_bits).
 * Reports the k closest remaining entries with distance < threshold into out_vids/out_dists,
 * in no particular order; returns how many.
 */
int32_t tk_scan_posting(const uint8_t *posting, int64_t offset, int32_t count, int32_t dim,
                        const float *query, int32_t metric,
                        const uint16_t *versions, int64_t versions_limit,
                        const uint64_t *filter, int64_t filter_limit_bits,
                        float threshold, int32_t k, int64_t *out_vids, float *out_dists);

#endif
