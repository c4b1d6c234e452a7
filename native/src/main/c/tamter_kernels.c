/*
 * See tamter_kernels.h. One translation unit: the AVX2 and AVX-512 functions carry GCC target
 * attributes, so the library is built without -march flags and runs on any x86-64; the
 * variant is picked at load time from what the CPU reports.
 */
#include "tamter_kernels.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define TK_X86 1
#endif

#define ENTRY_HEADER 10 /* int64 vid + u16 version */

/* ---------- portable ---------- */

static float dot_portable(const float *a, const float *b, int32_t n) {
    float s = 0.f;
    for (int32_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static float l2_portable(const float *a, const float *b, int32_t n) {
    float s = 0.f;
    for (int32_t i = 0; i < n; i++) {
        float d = a[i] - b[i];
        s += d * d;
    }
    return s;
}

/* ---------- AVX2 + FMA ---------- */
#ifdef TK_X86
__attribute__((target("avx2,fma"))) static inline float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v);
    __m128 hi = _mm256_extractf128_ps(v, 1);
    __m128 s = _mm_add_ps(lo, hi);
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 0x55));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) static inline float dot_avx2(const float *a, const float *b, int32_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    float s = hsum256(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

__attribute__((target("avx2,fma"))) static inline float l2_avx2(const float *a, const float *b, int32_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
        acc0 = _mm256_fmadd_ps(d0, d0, acc0);
        acc1 = _mm256_fmadd_ps(d1, d1, acc1);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        acc0 = _mm256_fmadd_ps(d, d, acc0);
    }
    float s = hsum256(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) {
        float d = a[i] - b[i];
        s += d * d;
    }
    return s;
}

/* ---------- AVX-512F ---------- */
__attribute__((target("avx512f"))) static inline float dot_avx512(const float *a, const float *b, int32_t n) {
    __m512 acc = _mm512_setzero_ps();
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc);
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

__attribute__((target("avx512f"))) static inline float l2_avx512(const float *a, const float *b, int32_t n) {
    __m512 acc = _mm512_setzero_ps();
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 d = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        acc = _mm512_fmadd_ps(d, d, acc);
    }
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
        acc = _mm512_fmadd_ps(d, d, acc);
    }
    return _mm512_reduce_add_ps(acc);
}
#endif

/* ---------- top-k: a max-heap of (dist, vid) in the caller's arrays ---------- */

static inline int32_t heap_offer(int64_t *vids, float *dists, int32_t size, int32_t k, int64_t vid, float dist) {
    int32_t i;
    if (size < k) {
        i = size;
        while (i > 0) {
            int32_t p = (i - 1) >> 1;
            if (dists[p] >= dist) break;
            dists[i] = dists[p];
            vids[i] = vids[p];
            i = p;
        }
        dists[i] = dist;
        vids[i] = vid;
        return size + 1;
    }
    if (dist >= dists[0]) return size;
    i = 0;
    for (;;) {
        int32_t l = 2 * i + 1;
        if (l >= size) break;
        int32_t r = l + 1;
        int32_t c = (r < size && dists[r] > dists[l]) ? r : l;
        if (dists[c] <= dist) break;
        dists[i] = dists[c];
        vids[i] = vids[c];
        i = c;
    }
    dists[i] = dist;
    vids[i] = vid;
    return size;
}

static inline int entry_live(const uint8_t *e, const uint16_t *versions, int64_t versions_limit,
                             const uint64_t *filter, int64_t filter_limit_bits, int64_t *vid_out) {
    int64_t vid;
    memcpy(&vid, e, 8);
    if (vid < 0 || vid >= versions_limit) return 0;
    uint16_t ev, cur;
    memcpy(&ev, e + 8, 2);
    memcpy(&cur, versions + vid, 2);
    if (cur != ev) return 0;
    if (filter != NULL) {
        if (vid >= filter_limit_bits) return 0;
        uint64_t w;
        memcpy(&w, filter + (vid >> 6), 8);
        if (((w >> (vid & 63)) & 1u) == 0) return 0;
    }
    *vid_out = vid;
    return 1;
}

/* One scan loop per variant so the distance function inlines into it. */
#define DEFINE_SCAN(NAME, ATTR, DOT, L2)                                                                   \
    ATTR static int32_t NAME(const uint8_t *posting, int64_t offset, int32_t count, int32_t dim,            \
                             const float *query, int32_t metric, const uint16_t *versions,                 \
                             int64_t versions_limit, const uint64_t *filter, int64_t filter_limit_bits,    \
                             float threshold, int32_t k, int64_t *out_vids, float *out_dists) {            \
        const int64_t entry = ENTRY_HEADER + 4 * (int64_t)dim;                                             \
        const uint8_t *e = posting + offset;                                                               \
        int32_t size = 0;                                                                                  \
        for (int32_t j = 0; j < count; j++, e += entry) {                                                  \
            int64_t vid;                                                                                   \
            if (!entry_live(e, versions, versions_limit, filter, filter_limit_bits, &vid)) continue;       \
            const float *x = (const float *)(e + ENTRY_HEADER);                                            \
            float d = metric == TK_METRIC_L2 ? L2(query, x, dim) : -DOT(query, x, dim);                    \
            float bound = (size < k) ? threshold : (out_dists[0] < threshold ? out_dists[0] : threshold);  \
            if (d < bound) size = heap_offer(out_vids, out_dists, size, k, vid, d);                        \
        }                                                                                                  \
        return size;                                                                                       \
    }

DEFINE_SCAN(scan_portable, , dot_portable, l2_portable)
#ifdef TK_X86
DEFINE_SCAN(scan_avx2, __attribute__((target("avx2,fma"))), dot_avx2, l2_avx2)
DEFINE_SCAN(scan_avx512, __attribute__((target("avx512f"))), dot_avx512, l2_avx512)

__attribute__((target("avx2,fma"))) static float dot_avx2_fn(const float *a, const float *b, int32_t n) { return dot_avx2(a, b, n); }
__attribute__((target("avx2,fma"))) static float l2_avx2_fn(const float *a, const float *b, int32_t n) { return l2_avx2(a, b, n); }
__attribute__((target("avx512f"))) static float dot_avx512_fn(const float *a, const float *b, int32_t n) { return dot_avx512(a, b, n); }
__attribute__((target("avx512f"))) static float l2_avx512_fn(const float *a, const float *b, int32_t n) { return l2_avx512(a, b, n); }
#endif

/* ---------- dispatch ---------- */

typedef float (*dist_fn)(const float *, const float *, int32_t);
typedef int32_t (*scan_fn)(const uint8_t *, int64_t, int32_t, int32_t, const float *, int32_t, const uint16_t *, int64_t,
                           const uint64_t *, int64_t, float, int32_t, int64_t *, float *);

static int g_variant = TK_VARIANT_PORTABLE;
static dist_fn g_dot = dot_portable;
static dist_fn g_l2 = l2_portable;
static scan_fn g_scan = scan_portable;

int tk_supports(int variant) {
    switch (variant) {
        case TK_VARIANT_PORTABLE: return 1;
#ifdef TK_X86
        case TK_VARIANT_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case TK_VARIANT_AVX512: return __builtin_cpu_supports("avx512f");
#endif
        default: return 0;
    }
}

int tk_force_variant(int variant) {
    if (!tk_supports(variant)) return 0;
    g_variant = variant;
    switch (variant) {
#ifdef TK_X86
        case TK_VARIANT_AVX512: g_dot = dot_avx512_fn; g_l2 = l2_avx512_fn; g_scan = scan_avx512; break;
        case TK_VARIANT_AVX2: g_dot = dot_avx2_fn; g_l2 = l2_avx2_fn; g_scan = scan_avx2; break;
#endif
        default: g_dot = dot_portable; g_l2 = l2_portable; g_scan = scan_portable; break;
    }
    return 1;
}

__attribute__((constructor)) static void tk_init(void) {
#ifdef TK_X86
    __builtin_cpu_init();
#endif
    if (!tk_force_variant(TK_VARIANT_AVX512) && !tk_force_variant(TK_VARIANT_AVX2)) tk_force_variant(TK_VARIANT_PORTABLE);
}

const char *tk_variant(void) {
    switch (g_variant) {
        case TK_VARIANT_AVX512: return "avx512";
        case TK_VARIANT_AVX2: return "avx2";
        default: return "portable";
    }
}

float tk_dot(const float *a, const float *b, int32_t n) { return g_dot(a, b, n); }

float tk_l2sq(const float *a, const float *b, int32_t n) { return g_l2(a, b, n); }

void tk_distances(int32_t metric, const float *query, const float *matrix, int32_t count, int32_t dim, float *out) {
    for (int32_t j = 0; j < count; j++) {
        const float *x = matrix + (int64_t)j * dim;
        out[j] = metric == TK_METRIC_L2 ? g_l2(query, x, dim) : -g_dot(query, x, dim);
    }
}

int32_t tk_scan_posting(const uint8_t *posting, int64_t offset, int32_t count, int32_t dim, const float *query,
                        int32_t metric, const uint16_t *versions, int64_t versions_limit, const uint64_t *filter,
                        int64_t filter_limit_bits, float threshold, int32_t k, int64_t *out_vids, float *out_dists) {
    return g_scan(posting, offset, count, dim, query, metric, versions, versions_limit, filter, filter_limit_bits,
                  threshold, k, out_vids, out_dists);
}
