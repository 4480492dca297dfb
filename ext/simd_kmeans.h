/* k-means' nearest centres of one block of points, in vector registers.
 *
 * kmeans.pyx's nearest_centres is the definition and the fallback (compilers
 * without GCC's vector extensions, such as MSVC). For lane i of the block
 * (point i, stored transposed: xt[e * BLOCK + i] is its feature e) and centre
 * j, the distance up to the point's own norm is
 *     d = norms[j];  for e in 0..width-1:  d = d + xt[e][i] * scaled[j][e]
 * added from the left, and the label is the first j of least d (a NaN never
 * wins). Here NV vectors of points and J centres are kept in registers for
 * the whole sweep over the features: each x vector is loaded once per J
 * centres, each centre coefficient once per NV vectors, and no distance goes
 * through memory until its sum is done, where nearest_centres stores and
 * reloads it every FEATURE_GROUP features. Every lane still computes the same
 * chain of multiplies and adds as the definition (no fused multiply-add:
 * -ffp-contract=off), so the labels are the same bit for bit on every path.
 */
#ifndef NOGILKIT_SIMD_KMEANS_H
#define NOGILKIT_SIMD_KMEANS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nogilkit_simd.h"

#define NK_KMEANS_BLOCK 32 /* kmeans.pyx's BLOCK */
#define NK_KMEANS_AUTO_CAP NK_SIMD_AVX512

typedef void (*nk_kmeans_nearest_f64)(const double *xt, ptrdiff_t width, ptrdiff_t n_clusters,
                                      const double *scaled, const double *norms,
                                      int32_t *nearest);
typedef void (*nk_kmeans_nearest_f32)(const float *xt, ptrdiff_t width, ptrdiff_t n_clusters,
                                      const float *scaled, const float *norms, int32_t *nearest);

#if NK_SIMD_X86 || NK_SIMD_ARM64

/* Distances of centres j..j+JJ-1 to lanes [s, s + NV*VW) into dist[c][lane]. */
#define NK_KMEANS_SWEEP(T, VT, VW, NV, JJ)                                                  \
    do {                                                                                    \
        VT acc[JJ][NV];                                                                     \
        for (int c = 0; c < JJ; c++)                                                        \
            for (int v = 0; v < NV; v++) acc[c][v] = (VT){0} + norms[j + c];               \
        const T *centre = scaled + j * width;                                               \
        for (ptrdiff_t e = 0; e < width; e++) {                                             \
            VT x[NV];                                                                       \
            for (int v = 0; v < NV; v++)                                                    \
                memcpy(&x[v], xt + e * NK_KMEANS_BLOCK + s + v * VW, sizeof(VT));          \
            for (int c = 0; c < JJ; c++) {                                                  \
                const T w = centre[c * width + e];                                          \
                for (int v = 0; v < NV; v++) acc[c][v] = acc[c][v] + x[v] * w;              \
            }                                                                               \
        }                                                                                   \
        for (int c = 0; c < JJ; c++)                                                        \
            for (int v = 0; v < NV; v++) memcpy(&dist[c][s + v * VW], &acc[c][v], sizeof(VT)); \
    } while (0)

/* NAME: nearest centres with vectors VT of VW elements T, NV of them by J centres. */
#define NK_KMEANS_NEAREST(NAME, ATTR, T, VT, VW, NV, J)                                     \
    _Static_assert(NK_KMEANS_BLOCK % ((NV) * (VW)) == 0, "NV vectors must tile a block");   \
    ATTR static void NAME(const T *xt, ptrdiff_t width, ptrdiff_t n_clusters,               \
                          const T *scaled, const T *norms, int32_t *nearest) {              \
        T dist[J][NK_KMEANS_BLOCK];                                                         \
        T best[NK_KMEANS_BLOCK];                                                            \
        for (int i = 0; i < NK_KMEANS_BLOCK; i++) {                                         \
            best[i] = (T)INFINITY;                                                          \
            nearest[i] = 0;                                                                 \
        }                                                                                   \
        for (ptrdiff_t j = 0; j < n_clusters;) {                                            \
            const int group = n_clusters - j >= J ? J : 1;                                  \
            for (int s = 0; s < NK_KMEANS_BLOCK; s += NV * VW) {                            \
                if (group == J)                                                             \
                    NK_KMEANS_SWEEP(T, VT, VW, NV, J);                                      \
                else                                                                        \
                    NK_KMEANS_SWEEP(T, VT, VW, NV, 1);                                      \
            }                                                                               \
            /* Centres in order, so the first of equal distances wins. */                  \
            for (int c = 0; c < group; c++)                                                 \
                for (int i = 0; i < NK_KMEANS_BLOCK; i++) {                                 \
                    const int closer = isless(dist[c][i], best[i]);                         \
                    best[i] = closer ? dist[c][i] : best[i];                                \
                    nearest[i] = closer ? (int32_t)(j + c) : nearest[i];                    \
                }                                                                           \
            j += group;                                                                     \
        }                                                                                   \
    }

#endif

#if NK_SIMD_X86

/* Vectors of points by centres in registers (16 vector registers with AVX2,
 * 32 with AVX-512); chosen by timing 200k x 64, k=32 and 1M x 8, k=16 on a
 * Xeon with AVX-512, where 2x4, 2x6, 4x4 and 1x8 were within 10% of each other. */
#ifndef NK_KMEANS_AVX2_NV
#define NK_KMEANS_AVX2_NV 2
#endif
#ifndef NK_KMEANS_AVX2_J
#define NK_KMEANS_AVX2_J 6
#endif
#ifndef NK_KMEANS_AVX512_NV
#define NK_KMEANS_AVX512_NV 4
#endif
#ifndef NK_KMEANS_AVX512_J
#define NK_KMEANS_AVX512_J 4
#endif
typedef double nk_v4d __attribute__((vector_size(32)));
typedef float nk_v8f __attribute__((vector_size(32)));
typedef double nk_v8d __attribute__((vector_size(64)));
typedef float nk_v16f __attribute__((vector_size(64)));
NK_KMEANS_NEAREST(nk_kmeans_nearest_f64_avx2, NK_TARGET_AVX2, double, nk_v4d, 4,
                  NK_KMEANS_AVX2_NV, NK_KMEANS_AVX2_J)
NK_KMEANS_NEAREST(nk_kmeans_nearest_f32_avx2, NK_TARGET_AVX2, float, nk_v8f, 8,
                  NK_KMEANS_AVX2_NV, NK_KMEANS_AVX2_J)
NK_KMEANS_NEAREST(nk_kmeans_nearest_f64_avx512, NK_TARGET_AVX512, double, nk_v8d, 8,
                  NK_KMEANS_AVX512_NV, NK_KMEANS_AVX512_J)
/* float32: two vectors already fill a block's 32 points. */
NK_KMEANS_NEAREST(nk_kmeans_nearest_f32_avx512, NK_TARGET_AVX512, float, nk_v16f, 16, 2,
                  NK_KMEANS_AVX512_J)

/* NULL for the baseline: nearest_centres' own loop. */
static nk_kmeans_nearest_f64 nk_kmeans_nearest_f64_for(int level) {
    if (level == NK_SIMD_AVX512) return nk_kmeans_nearest_f64_avx512;
    if (level == NK_SIMD_AVX2) return nk_kmeans_nearest_f64_avx2;
    return NULL;
}

/* NULL for the baseline: nearest_centres' own loop. */
static nk_kmeans_nearest_f32 nk_kmeans_nearest_f32_for(int level) {
    if (level == NK_SIMD_AVX512) return nk_kmeans_nearest_f32_avx512;
    if (level == NK_SIMD_AVX2) return nk_kmeans_nearest_f32_avx2;
    return NULL;
}

#elif NK_SIMD_ARM64

/* NEON: 4 vectors of points by 4 centres, 16 of its 32 registers holding
 * distances (the register budget of AVX-512's 4x4); not timed on hardware. */
typedef double nk_v2d __attribute__((vector_size(16)));
typedef float nk_v4f __attribute__((vector_size(16)));
NK_KMEANS_NEAREST(nk_kmeans_nearest_f64_neon, NK_TARGET_NEON, double, nk_v2d, 2, 4, 4)
NK_KMEANS_NEAREST(nk_kmeans_nearest_f32_neon, NK_TARGET_NEON, float, nk_v4f, 4, 4, 4)

static nk_kmeans_nearest_f64 nk_kmeans_nearest_f64_for(int level) {
    return level == NK_SIMD_NEON ? nk_kmeans_nearest_f64_neon : NULL;
}

static nk_kmeans_nearest_f32 nk_kmeans_nearest_f32_for(int level) {
    return level == NK_SIMD_NEON ? nk_kmeans_nearest_f32_neon : NULL;
}

#else /* no vector paths: nearest_centres' own loop on every level */
static nk_kmeans_nearest_f64 nk_kmeans_nearest_f64_for(int level) { (void)level; return NULL; }
static nk_kmeans_nearest_f32 nk_kmeans_nearest_f32_for(int level) { (void)level; return NULL; }
#endif

#endif
