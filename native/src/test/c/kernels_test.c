/*
 * C test of the kernels: every variant the CPU supports against the portable one at awkward
 * sizes, and the posting scan's skipping of stale, deleted, out-of-range and filtered entries.
 * Run by the Maven build (native/pom.xml, test phase); a failure fails the build.
 */
#include "tamter_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond, ...)                 \
    do {                                 \
        if (!(cond)) {                   \
            fprintf(stderr, __VA_ARGS__); \
            fprintf(stderr, "\n");       \
            failures++;                  \
        }                                \
    } while (0)

static float frand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return ((float)((*s >> 8) & 0xFFFF) / 32768.f) - 1.f;
}

static int close_enough(float a, float b) {
    float tol = 1e-4f * (fabsf(a) + fabsf(b)) + 1e-4f;
    return fabsf(a - b) <= tol;
}

static void test_distances(int variant) {
    static const int sizes[] = {1, 7, 16, 70, 128, 207, 384, 1021};
    unsigned seed = 42;
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        int n = sizes[s];
        float *a = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n);
        for (int i = 0; i < n; i++) { a[i] = frand(&seed); b[i] = frand(&seed); }
        tk_force_variant(0);
        float d0 = tk_dot(a, b, n), l0 = tk_l2sq(a, b, n);
        tk_force_variant(variant);
        float d1 = tk_dot(a, b, n), l1 = tk_l2sq(a, b, n);
        CHECK(close_enough(d0, d1), "variant %s dim %d: dot %f vs portable %f", tk_variant(), n, d1, d0);
        CHECK(close_enough(l0, l1), "variant %s dim %d: l2 %f vs portable %f", tk_variant(), n, l1, l0);
        free(a); free(b);
    }
}

/* Builds a posting of `count` entries ([int64 vid][u16 version][f32 x dim], little-endian);
 * entry j has vid j, version 1, and a random vector. */
static uint8_t *make_posting(int count, int dim, unsigned *seed) {
    int entry = 10 + 4 * dim;
    uint8_t *p = calloc((size_t)count, (size_t)entry);
    for (int j = 0; j < count; j++) {
        int64_t vid = j;
        uint16_t ver = 1;
        memcpy(p + (size_t)j * entry, &vid, 8);
        memcpy(p + (size_t)j * entry + 8, &ver, 2);
        for (int i = 0; i < dim; i++) {
            float x = frand(seed);
            memcpy(p + (size_t)j * entry + 10 + 4 * i, &x, 4);
        }
    }
    return p;
}

static void test_scan(int variant) {
    const int dim = 70, count = 200, k = 10;
    unsigned seed = 7;
    uint8_t *p = make_posting(count, dim, &seed);
    float q[70];
    for (int i = 0; i < dim; i++) q[i] = frand(&seed);
    uint16_t versions[200];
    for (int i = 0; i < 200; i++) versions[i] = 1;
    versions[3] = 2;            /* stale: entry still has version 1 */
    versions[5] = 0x8001;       /* deleted */
    versions[7] = 0x0101;       /* stale, same low byte as the entry's version (the old 8-bit ABA) */
    uint64_t filter[4] = {~0ull, ~0ull, ~0ull, ~0ull};
    filter[0] &= ~(1ull << 9);  /* filtered out */
    int64_t vids0[10], vids1[10];
    float d0[10], d1[10];
    for (int metric = 0; metric < 2; metric++) {
        tk_force_variant(0);
        int n0 = tk_scan_posting(p, 0, count, dim, q, metric, versions, 150, filter, 256, INFINITY, k, vids0, d0);
        tk_force_variant(variant);
        int n1 = tk_scan_posting(p, 0, count, dim, q, metric, versions, 150, filter, 256, INFINITY, k, vids1, d1);
        CHECK(n0 == k && n1 == k, "scan returned %d / %d entries", n0, n1);
        for (int i = 0; i < n1; i++) {
            CHECK(vids1[i] != 3 && vids1[i] != 5 && vids1[i] != 7 && vids1[i] != 9 && vids1[i] < 150,
                  "variant %s metric %d reported skipped vid %lld", tk_variant(), metric, (long long)vids1[i]);
            int found = 0;
            for (int j = 0; j < n0; j++) if (vids0[j] == vids1[i] && close_enough(d0[j], d1[i])) found = 1;
            CHECK(found, "variant %s metric %d: vid %lld not in the portable result", tk_variant(), metric, (long long)vids1[i]);
        }
        /* a threshold below every distance reports nothing */
        int none = tk_scan_posting(p, 0, count, dim, q, metric, versions, 150, NULL, 0, -1e30f, k, vids1, d1);
        CHECK(none == 0, "threshold: %d entries reported", none);
    }
    free(p);
}

int main(void) {
    int ran = 0;
    for (int v = 0; v <= 2; v++) {
        if (!tk_supports(v)) {
            printf("kernels_test: variant %d not supported by this CPU, skipped\n", v);
            continue;
        }
        test_distances(v);
        test_scan(v);
        ran++;
    }
    printf("kernels_test: %d variants tested, %d failures\n", ran, failures);
    return failures == 0 ? 0 : 1;
}
