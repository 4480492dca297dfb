/* nbody_direct's accelerations, bodies side by side: the AVX2, AVX-512 and NEON versions.
 *
 * The baseline is accelerations() in nbody_direct.pyx: for each body i,
 *   a = 0; for j in 0..n-1, j != i:
 *       d = r[j] - r[i];  d2 = dx*dx + dy*dy + dz*dz + eps2
 *       inv = m[j] / (d2 * sqrt(d2));  a = a + d * inv
 * Here each vector lane is one body i, and all lanes go through j in index
 * order together, so nothing is reassociated: every lane does the same
 * operations in the same order (sqrt and division are correctly rounded in
 * both; no FMA), and the accelerations are the baseline's bit for bit. The
 * term j == i is skipped lane by lane with a mask (adding a zero term would
 * turn an acceleration of -0.0 into +0.0, and 0 * inf into NaN without
 * softening). Bound by the divider (a square root and a division per pair).
 */
#ifndef NOGILKIT_SIMD_NBODY_DIRECT_H
#define NOGILKIT_SIMD_NBODY_DIRECT_H

#include <stddef.h>

#include "nogilkit_simd.h"

/* "auto" stops at AVX2: a square root and a division per pair keep the divider
 * busy, and it does no more per element at 512 bits (4096 bodies, one thread:
 * AVX2 2.10x the baseline, AVX-512 1.96x, on this project's Xeon VM). */
#define NK_NBODY_AUTO_CAP NK_SIMD_AVX2

/* Accelerations of bodies [start, start + count) into a (rows of 3, body
 * start's first), count <= nk_nbody_group_bodies(level); lanes past count
 * repeat body start and are not stored. */
typedef void (*nk_nbody_group_fn)(const double *r, const double *m, double *a, ptrdiff_t n,
                                  ptrdiff_t start, ptrdiff_t count, double eps2);

/* The lanes' bodies: coordinates and index (as a double, exact below 2**53). */
#define NK_NBODY_LANES(W)                                                               \
    double xs[W], ys[W], zs[W], is[W];                                                  \
    for (int k = 0; k < W; k++) {                                                       \
        const ptrdiff_t i = start + (k < count ? k : 0);                                \
        xs[k] = r[3 * i], ys[k] = r[3 * i + 1], zs[k] = r[3 * i + 2], is[k] = (double)i; \
    }

#define NK_NBODY_STORE(W, STOREU)                                                       \
    double out[3][W];                                                                   \
    STOREU(out[0], ax), STOREU(out[1], ay), STOREU(out[2], az);                         \
    for (ptrdiff_t k = 0; k < count; k++)                                               \
        a[3 * k] = out[0][k], a[3 * k + 1] = out[1][k], a[3 * k + 2] = out[2][k];

#if NK_SIMD_X86

NK_TARGET_AVX2
static void nk_nbody_group_avx2(const double *r, const double *m, double *a, ptrdiff_t n,
                                ptrdiff_t start, ptrdiff_t count, double eps2) {
    NK_NBODY_LANES(4)
    const __m256d xi = _mm256_loadu_pd(xs), yi = _mm256_loadu_pd(ys), zi = _mm256_loadu_pd(zs);
    const __m256d index = _mm256_loadu_pd(is), e = _mm256_set1_pd(eps2);
    __m256d ax = _mm256_setzero_pd(), ay = _mm256_setzero_pd(), az = _mm256_setzero_pd();
    for (ptrdiff_t j = 0; j < n; j++) {
        const __m256d dx = _mm256_sub_pd(_mm256_set1_pd(r[3 * j]), xi);
        const __m256d dy = _mm256_sub_pd(_mm256_set1_pd(r[3 * j + 1]), yi);
        const __m256d dz = _mm256_sub_pd(_mm256_set1_pd(r[3 * j + 2]), zi);
        const __m256d d2 = _mm256_add_pd(
            _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(dx, dx), _mm256_mul_pd(dy, dy)),
                          _mm256_mul_pd(dz, dz)), e);
        const __m256d inv = _mm256_div_pd(_mm256_set1_pd(m[j]),
                                          _mm256_mul_pd(d2, _mm256_sqrt_pd(d2)));
        const __m256d other = _mm256_cmp_pd(index, _mm256_set1_pd((double)j), _CMP_NEQ_OQ);
        ax = _mm256_blendv_pd(ax, _mm256_add_pd(ax, _mm256_mul_pd(dx, inv)), other);
        ay = _mm256_blendv_pd(ay, _mm256_add_pd(ay, _mm256_mul_pd(dy, inv)), other);
        az = _mm256_blendv_pd(az, _mm256_add_pd(az, _mm256_mul_pd(dz, inv)), other);
    }
    NK_NBODY_STORE(4, _mm256_storeu_pd)
}

NK_TARGET_AVX512
static void nk_nbody_group_avx512(const double *r, const double *m, double *a, ptrdiff_t n,
                                  ptrdiff_t start, ptrdiff_t count, double eps2) {
    NK_NBODY_LANES(8)
    const __m512d xi = _mm512_loadu_pd(xs), yi = _mm512_loadu_pd(ys), zi = _mm512_loadu_pd(zs);
    const __m512d index = _mm512_loadu_pd(is), e = _mm512_set1_pd(eps2);
    __m512d ax = _mm512_setzero_pd(), ay = _mm512_setzero_pd(), az = _mm512_setzero_pd();
    for (ptrdiff_t j = 0; j < n; j++) {
        const __m512d dx = _mm512_sub_pd(_mm512_set1_pd(r[3 * j]), xi);
        const __m512d dy = _mm512_sub_pd(_mm512_set1_pd(r[3 * j + 1]), yi);
        const __m512d dz = _mm512_sub_pd(_mm512_set1_pd(r[3 * j + 2]), zi);
        const __m512d d2 = _mm512_add_pd(
            _mm512_add_pd(_mm512_add_pd(_mm512_mul_pd(dx, dx), _mm512_mul_pd(dy, dy)),
                          _mm512_mul_pd(dz, dz)), e);
        const __m512d inv = _mm512_div_pd(_mm512_set1_pd(m[j]),
                                          _mm512_mul_pd(d2, _mm512_sqrt_pd(d2)));
        const __mmask8 other = _mm512_cmp_pd_mask(index, _mm512_set1_pd((double)j), _CMP_NEQ_OQ);
        ax = _mm512_mask_add_pd(ax, other, ax, _mm512_mul_pd(dx, inv));
        ay = _mm512_mask_add_pd(ay, other, ay, _mm512_mul_pd(dy, inv));
        az = _mm512_mask_add_pd(az, other, az, _mm512_mul_pd(dz, inv));
    }
    NK_NBODY_STORE(8, _mm512_storeu_pd)
}

#elif NK_SIMD_ARM64

/* Two vectors of 2 bodies share each j's broadcasts: 1024 bodies, 2 steps
 * took 54.7 M instructions with one vector, 44-45 M with two (counted under
 * qemu, tools/aarch64_instruction_counts.py; the baseline 78-81 M). */
#define NK_NBODY_NV_NEON 2

NK_TARGET_NEON
static void nk_nbody_group_neon(const double *r, const double *m, double *a, ptrdiff_t n,
                                ptrdiff_t start, ptrdiff_t count, double eps2) {
    enum { NV = NK_NBODY_NV_NEON };
    NK_NBODY_LANES(2 * NV)
    float64x2_t xi[NV], yi[NV], zi[NV], index[NV], ax[NV], ay[NV], az[NV];
    for (int v = 0; v < NV; v++) {
        xi[v] = vld1q_f64(xs + 2 * v), yi[v] = vld1q_f64(ys + 2 * v), zi[v] = vld1q_f64(zs + 2 * v);
        index[v] = vld1q_f64(is + 2 * v);
        ax[v] = ay[v] = az[v] = vdupq_n_f64(0.0);
    }
    const float64x2_t e = vdupq_n_f64(eps2);
    for (ptrdiff_t j = 0; j < n; j++) {
        const float64x2_t xj = vdupq_n_f64(r[3 * j]), yj = vdupq_n_f64(r[3 * j + 1]);
        const float64x2_t zj = vdupq_n_f64(r[3 * j + 2]), mj = vdupq_n_f64(m[j]);
        const float64x2_t vj = vdupq_n_f64((double)j);
        for (int v = 0; v < NV; v++) {
            const float64x2_t dx = vsubq_f64(xj, xi[v]), dy = vsubq_f64(yj, yi[v]);
            const float64x2_t dz = vsubq_f64(zj, zi[v]);
            const float64x2_t d2 = vaddq_f64(
                vaddq_f64(vaddq_f64(vmulq_f64(dx, dx), vmulq_f64(dy, dy)), vmulq_f64(dz, dz)), e);
            const float64x2_t inv = vdivq_f64(mj, vmulq_f64(d2, vsqrtq_f64(d2)));
            const uint64x2_t self = vceqq_f64(index[v], vj); /* the lane of body j */
            ax[v] = vbslq_f64(self, ax[v], vaddq_f64(ax[v], vmulq_f64(dx, inv)));
            ay[v] = vbslq_f64(self, ay[v], vaddq_f64(ay[v], vmulq_f64(dy, inv)));
            az[v] = vbslq_f64(self, az[v], vaddq_f64(az[v], vmulq_f64(dz, inv)));
        }
    }
    double out[3][2 * NV];
    for (int v = 0; v < NV; v++)
        vst1q_f64(out[0] + 2 * v, ax[v]), vst1q_f64(out[1] + 2 * v, ay[v]),
            vst1q_f64(out[2] + 2 * v, az[v]);
    for (ptrdiff_t k = 0; k < count; k++)
        a[3 * k] = out[0][k], a[3 * k + 1] = out[1][k], a[3 * k + 2] = out[2][k];
}

#endif

/* The group function of a level (NULL: baseline) and its bodies per group. */
static nk_nbody_group_fn nk_nbody_group_for(int level) {
#if NK_SIMD_X86
    if (level == NK_SIMD_AVX512) return nk_nbody_group_avx512;
    if (level == NK_SIMD_AVX2) return nk_nbody_group_avx2;
#elif NK_SIMD_ARM64
    if (level == NK_SIMD_NEON) return nk_nbody_group_neon;
#endif
    (void)level;
    return NULL;
}

static ptrdiff_t nk_nbody_group_bodies(int level) {
#if NK_SIMD_X86
    return level == NK_SIMD_AVX512 ? 8 : level == NK_SIMD_AVX2 ? 4 : 1;
#elif NK_SIMD_ARM64
    return level == NK_SIMD_NEON ? 2 * NK_NBODY_NV_NEON : 1;
#else
    (void)level;
    return 1;
#endif
}

#endif
