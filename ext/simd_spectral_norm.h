/* Spectral norm's products, rows side by side: the AVX2, AVX-512 and NEON versions.
 *
 * The baseline is product_rows in spectral_norm.pyx: for each output row i,
 *   s = 0.0; for j in 0..n-1: s = s + u[j] / d(i, j)
 * with d(i, j) = (i+j)(i+j+1)/2 + i + 1 (or d(j, i) for A^T) exact, then
 * rounded once to a double. The vector versions do not reassociate anything:
 * each lane is one row's running sum, in index order, so several ROWS advance
 * together through j; every term is the same single division, and every sum
 * the same chain of additions. Results are bit for bit the baseline's (and
 * the pure-Python reference's), without any change to the reference.
 *
 * The denominators are computed in doubles: t = i + j; t*(t+1)*0.5 + i + 1,
 * exact (every intermediate an integer below 2**53) for n <= NK_SPECTRAL_MAX_N;
 * the caller uses the baseline above that (2**25: 4 * 10**15 terms per
 * product, far beyond any run).
 */
#ifndef NOGILKIT_SIMD_SPECTRAL_NORM_H
#define NOGILKIT_SIMD_SPECTRAL_NORM_H

#include <stddef.h>
#include <stdint.h>

#include "nogilkit_simd.h"

/* "auto" stops at AVX2: the products are bound by the divider, whose 512-bit
 * divisions are no faster per element (8% slower on this project's Xeon VM). */
#define NK_SPECTRAL_AUTO_CAP NK_SIMD_AVX2
#define NK_SPECTRAL_MAX_N ((ptrdiff_t)1 << 25)
#ifndef NK_SPECTRAL_NV
#define NK_SPECTRAL_NV 1 /* vectors of rows per group, AVX2 and AVX-512 */
#endif
/* NEON's 2 lanes: two vectors share each term's broadcasts (u[j], j, j + 1):
 * n=1000, 2 iterations took 58.4 M instructions with one vector, 43-45 M with
 * two (counted under qemu, tools/aarch64_instruction_counts.py; the baseline
 * 96-97 M). */
#ifndef NK_SPECTRAL_NV_NEON
#define NK_SPECTRAL_NV_NEON 2
#endif

/* out[i - start] for rows [start, start + count), count <= nk_spectral_group_rows():
 * a whole group is computed (rows past count, even past n, are harmless values
 * that are not stored). */
typedef void (*nk_spectral_group_fn)(const double *u, double *out, ptrdiff_t n,
                                     ptrdiff_t start, ptrdiff_t count, int transpose);

#define NK_SPECTRAL_BODY(VD, W, NV, SET1, SETR, ADD, MUL, DIV, ZERO, STOREU)           \
    const VD one = SET1(1.0), half = SET1(0.5);                                        \
    VD rows[NV], lead[NV], sum[NV];                                                    \
    for (int v = 0; v < NV; v++) {                                                     \
        rows[v] = ADD(SET1((double)(start + v * W)), SETR); /* i, lane by lane */      \
        lead[v] = ADD(rows[v], one);                         /* i + 1 */               \
        sum[v] = ZERO();                                                               \
    }                                                                                  \
    for (ptrdiff_t j = 0; j < n; j++) {                                                \
        const VD uj = SET1(u[j]), vj = SET1((double)j), j1 = SET1((double)(j + 1));    \
        for (int v = 0; v < NV; v++) {                                                 \
            VD t = ADD(rows[v], vj);                                                   \
            VD d = ADD(MUL(MUL(t, ADD(t, one)), half), transpose ? j1 : lead[v]);      \
            sum[v] = ADD(sum[v], DIV(uj, d));                                          \
        }                                                                              \
    }                                                                                  \
    if (count == NV * W) {                                                             \
        for (int v = 0; v < NV; v++) STOREU(out + v * W, sum[v]);                      \
    } else {                                                                           \
        double part[NV * W];                                                           \
        for (int v = 0; v < NV; v++) STOREU(part + v * W, sum[v]);                     \
        for (ptrdiff_t k = 0; k < count; k++) out[k] = part[k];                        \
    }

#if NK_SIMD_X86

NK_TARGET_AVX2
static void nk_spectral_group_avx2(const double *u, double *out, ptrdiff_t n, ptrdiff_t start,
                                   ptrdiff_t count, int transpose) {
    const __m256d lanes = _mm256_set_pd(3.0, 2.0, 1.0, 0.0);
    NK_SPECTRAL_BODY(__m256d, 4, NK_SPECTRAL_NV, _mm256_set1_pd, lanes, _mm256_add_pd,
                     _mm256_mul_pd, _mm256_div_pd, _mm256_setzero_pd, _mm256_storeu_pd)
}

NK_TARGET_AVX512
static void nk_spectral_group_avx512(const double *u, double *out, ptrdiff_t n,
                                     ptrdiff_t start, ptrdiff_t count, int transpose) {
    const __m512d lanes = _mm512_set_pd(7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0);
    NK_SPECTRAL_BODY(__m512d, 8, NK_SPECTRAL_NV, _mm512_set1_pd, lanes, _mm512_add_pd, _mm512_mul_pd,
                     _mm512_div_pd, _mm512_setzero_pd, _mm512_storeu_pd)
}

#elif NK_SIMD_ARM64

NK_TARGET_NEON
static void nk_spectral_group_neon(const double *u, double *out, ptrdiff_t n, ptrdiff_t start,
                                   ptrdiff_t count, int transpose) {
    const float64x2_t lanes = nk_neon_lane_index();
    NK_SPECTRAL_BODY(float64x2_t, 2, NK_SPECTRAL_NV_NEON, vdupq_n_f64, lanes, vaddq_f64, vmulq_f64, vdivq_f64,
                     nk_neon_zero, vst1q_f64)
}

#endif

/* The group function of a level (NULL: baseline) and its rows per group. */
static nk_spectral_group_fn nk_spectral_group_for(int level) {
#if NK_SIMD_X86
    if (level == NK_SIMD_AVX512) return nk_spectral_group_avx512;
    if (level == NK_SIMD_AVX2) return nk_spectral_group_avx2;
#elif NK_SIMD_ARM64
    if (level == NK_SIMD_NEON) return nk_spectral_group_neon;
#endif
    (void)level;
    return NULL;
}

static ptrdiff_t nk_spectral_group_rows(int level) {
#if NK_SIMD_X86
    return NK_SPECTRAL_NV * (level == NK_SIMD_AVX512 ? 8 : level == NK_SIMD_AVX2 ? 4 : 1);
#elif NK_SIMD_ARM64
    return level == NK_SIMD_NEON ? NK_SPECTRAL_NV_NEON * 2 : 1;
#else
    (void)level;
    return 1;
#endif
}

#endif
