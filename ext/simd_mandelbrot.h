/* Mandelbrot escape counts of one row: the AVX2, AVX-512 and NEON versions.
 *
 * The baseline is mandelbrot_rows in mandelbrot.pyx. Every version computes,
 * per pixel, exactly the reference's operations (nogilkit.reference.mandelbrot):
 *   cr = xmin + x * dx / width
 *   repeat: zr2 = zr*zr; zi2 = zi*zi; stop if zr2 + zi2 > 4.0;
 *           zi = 2.0*zr*zi + ci; zr = zr2 - zi2 + cr; n += 1
 * so the counts are the same on every path. Pixels are iterated in blocks of
 * NV vectors side by side (one pixel's iterations are a chain of dependent
 * multiplies and adds; independent vectors keep the units busy). A lane that
 * escaped keeps computing but is never counted again (its mask is sticky), and
 * a block is iterated in steps of NK_UNROLL iterations between two looks at
 * whether any lane is still active: the extra iterations of escaped lanes
 * change nothing, and the count of a block never passes max_iter.
 */
#ifndef NOGILKIT_SIMD_MANDELBROT_H
#define NOGILKIT_SIMD_MANDELBROT_H

#include <stddef.h>
#include <stdint.h>

#include "nogilkit_simd.h"

#define NK_MANDEL_AUTO_CAP NK_SIMD_AVX512
/* Iterations between two polls (as in mandelbrot.pyx). */
#define NK_MANDEL_SEGMENT 65536
/* Iterations between two looks at the lanes' masks. */
#define NK_MANDEL_UNROLL 8
#ifndef NK_MANDEL_NV_AVX2
#define NK_MANDEL_NV_AVX2 3
#endif
#ifndef NK_MANDEL_NV_AVX512
#define NK_MANDEL_NV_AVX512 4
#endif
/* 4 vectors of 2 pixels: 20 of NEON's 32 registers, with room for the constants. */
#ifndef NK_MANDEL_NV_NEON
#define NK_MANDEL_NV_NEON 4
#endif

/* Counts of row pixels [0, width) into row; returns 1 if stop() said to stop. */
typedef int (*nk_mandel_row_fn)(int32_t *row, ptrdiff_t width, double xmin, double dx,
                                double ci, int32_t max_iter, nk_stop_fn stop, void *ctx);

/* The loop every version shares, over blocks of NV vectors of W pixels:
 * INIT() declares and sets the block's vectors (cr, zr, zi, count, active),
 * STEP() does one iteration of them all, ANY() sets any to whether a lane is
 * still active, and STORE() puts the block's counts into counts[]. */
#define NK_MANDEL_ROW_LOOP(NV, W, INIT, STEP, ANY, STORE)                                   \
    for (ptrdiff_t x0 = 0; x0 < width; x0 += (NV) * (W)) {                                 \
        const ptrdiff_t lanes = width - x0 < (NV) * (W) ? width - x0 : (NV) * (W);          \
        int32_t done = 0;                                                                   \
        int any = 1;                                                                        \
        INIT();                                                                             \
        while (any && done < max_iter) {                                                    \
            int32_t segment_end = max_iter - done > NK_MANDEL_SEGMENT                       \
                                      ? done + NK_MANDEL_SEGMENT : max_iter;                \
            while (done < segment_end) {                                                    \
                if (segment_end - done >= NK_MANDEL_UNROLL) {                               \
                    _Pragma("GCC unroll 8")                                                 \
                    for (int i = 0; i < NK_MANDEL_UNROLL; i++) STEP();                      \
                    done += NK_MANDEL_UNROLL;                                               \
                } else {                                                                    \
                    STEP();                                                                 \
                    done += 1;                                                              \
                }                                                                           \
                ANY();                                                                      \
                if (!any) break;                                                            \
            }                                                                               \
            if (any && done < max_iter && stop(ctx)) return 1;                              \
        }                                                                                   \
        {                                                                                   \
            int64_t counts[(NV) * (W)];                                                     \
            STORE();                                                                        \
            for (ptrdiff_t k = 0; k < lanes; k++) row[x0 + k] = (int32_t)counts[k];        \
        }                                                                                   \
    }                                                                                       \
    return 0

#if NK_SIMD_X86

/* ---- AVX2: NV vectors of 4 pixels ------------------------------------------------ */

#define NK_NV NK_MANDEL_NV_AVX2
#define NK_W 4

#define NK_AVX2_INIT()                                                                      \
    __m256d cr[NK_NV], zr[NK_NV], zi[NK_NV], active[NK_NV];                                 \
    __m256i count[NK_NV];                                                                   \
    const __m256d vlanes = _mm256_set1_pd((double)lanes);                                   \
    for (int v = 0; v < NK_NV; v++) {                                                       \
        __m256d k = _mm256_add_pd(_mm256_set1_pd((double)(v * NK_W)), lane);               \
        __m256d x = _mm256_add_pd(_mm256_set1_pd((double)x0), k); /* exact integers */     \
        cr[v] = _mm256_add_pd(vxmin, _mm256_div_pd(_mm256_mul_pd(x, vdx), vwidth));        \
        zr[v] = zi[v] = _mm256_setzero_pd();                                                \
        count[v] = _mm256_setzero_si256();                                                  \
        active[v] = _mm256_cmp_pd(k, vlanes, _CMP_LT_OQ); /* lanes past the row: off */    \
    }

#define NK_AVX2_STEP()                                                                      \
    do {                                                                                    \
        for (int v = 0; v < NK_NV; v++) {                                                   \
            __m256d zr2 = _mm256_mul_pd(zr[v], zr[v]);                                      \
            __m256d zi2 = _mm256_mul_pd(zi[v], zi[v]);                                      \
            /* "not (zr2 + zi2 > 4.0)": a NaN stays active, as in the reference */         \
            active[v] = _mm256_and_pd(                                                      \
                active[v], _mm256_cmp_pd(_mm256_add_pd(zr2, zi2), four, _CMP_NGT_UQ));     \
            count[v] = _mm256_sub_epi64(count[v], _mm256_castpd_si256(active[v]));          \
            zi[v] = _mm256_add_pd(_mm256_mul_pd(_mm256_mul_pd(two, zr[v]), zi[v]), vci);    \
            zr[v] = _mm256_add_pd(_mm256_sub_pd(zr2, zi2), cr[v]);                          \
        }                                                                                   \
    } while (0)

#define NK_AVX2_ANY()                                                                       \
    do {                                                                                    \
        any = 0;                                                                            \
        for (int v = 0; v < NK_NV; v++) any |= _mm256_movemask_pd(active[v]);               \
    } while (0)

#define NK_AVX2_STORE()                                                                     \
    for (int v = 0; v < NK_NV; v++)                                                         \
        _mm256_storeu_si256((__m256i *)(counts + v * NK_W), count[v])

NK_TARGET_AVX2
static int nk_mandel_row_avx2(int32_t *row, ptrdiff_t width, double xmin, double dx,
                              double ci, int32_t max_iter, nk_stop_fn stop, void *ctx) {
    const __m256d four = _mm256_set1_pd(4.0), two = _mm256_set1_pd(2.0);
    const __m256d vci = _mm256_set1_pd(ci), vxmin = _mm256_set1_pd(xmin);
    const __m256d vdx = _mm256_set1_pd(dx), vwidth = _mm256_set1_pd((double)width);
    const __m256d lane = _mm256_set_pd(3.0, 2.0, 1.0, 0.0);
    NK_MANDEL_ROW_LOOP(NK_NV, NK_W, NK_AVX2_INIT, NK_AVX2_STEP, NK_AVX2_ANY, NK_AVX2_STORE);
}

#undef NK_NV
#undef NK_W

/* ---- AVX-512: NV vectors of 8 pixels, masks in k registers ----------------------- */

#define NK_NV NK_MANDEL_NV_AVX512
#define NK_W 8

#define NK_AVX512_INIT()                                                                    \
    __m512d cr[NK_NV], zr[NK_NV], zi[NK_NV];                                                \
    __m512i count[NK_NV];                                                                   \
    __mmask8 active[NK_NV];                                                                 \
    for (int v = 0; v < NK_NV; v++) {                                                       \
        ptrdiff_t on = lanes - v * NK_W; /* lanes of this vector inside the row */          \
        __m512d x = _mm512_add_pd(_mm512_set1_pd((double)(x0 + v * NK_W)), lane);          \
        cr[v] = _mm512_add_pd(vxmin, _mm512_div_pd(_mm512_mul_pd(x, vdx), vwidth));        \
        zr[v] = zi[v] = _mm512_setzero_pd();                                                \
        count[v] = _mm512_setzero_si512();                                                  \
        active[v] = on >= NK_W ? (__mmask8)0xFF                                             \
                  : on <= 0    ? (__mmask8)0 : (__mmask8)((1u << on) - 1);                 \
    }

#define NK_AVX512_STEP()                                                                    \
    do {                                                                                    \
        for (int v = 0; v < NK_NV; v++) {                                                   \
            __m512d zr2 = _mm512_mul_pd(zr[v], zr[v]);                                      \
            __m512d zi2 = _mm512_mul_pd(zi[v], zi[v]);                                      \
            active[v] = _mm512_mask_cmp_pd_mask(active[v], _mm512_add_pd(zr2, zi2),         \
                                                four, _CMP_NGT_UQ);                         \
            count[v] = _mm512_mask_add_epi64(count[v], active[v], count[v], one);           \
            zi[v] = _mm512_add_pd(_mm512_mul_pd(_mm512_mul_pd(two, zr[v]), zi[v]), vci);    \
            zr[v] = _mm512_add_pd(_mm512_sub_pd(zr2, zi2), cr[v]);                          \
        }                                                                                   \
    } while (0)

#define NK_AVX512_ANY()                                                                     \
    do {                                                                                    \
        any = 0;                                                                            \
        for (int v = 0; v < NK_NV; v++) any |= active[v];                                   \
    } while (0)

#define NK_AVX512_STORE()                                                                   \
    for (int v = 0; v < NK_NV; v++) _mm512_storeu_si512((void *)(counts + v * NK_W), count[v])

NK_TARGET_AVX512
static int nk_mandel_row_avx512(int32_t *row, ptrdiff_t width, double xmin, double dx,
                                double ci, int32_t max_iter, nk_stop_fn stop, void *ctx) {
    const __m512d four = _mm512_set1_pd(4.0), two = _mm512_set1_pd(2.0);
    const __m512d vci = _mm512_set1_pd(ci), vxmin = _mm512_set1_pd(xmin);
    const __m512d vdx = _mm512_set1_pd(dx), vwidth = _mm512_set1_pd((double)width);
    const __m512d lane = _mm512_set_pd(7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0);
    const __m512i one = _mm512_set1_epi64(1);
    NK_MANDEL_ROW_LOOP(NK_NV, NK_W, NK_AVX512_INIT, NK_AVX512_STEP, NK_AVX512_ANY,
                       NK_AVX512_STORE);
}

#undef NK_NV
#undef NK_W

#elif NK_SIMD_ARM64

/* ---- NEON: NV vectors of 2 pixels --------------------------------------------- */

#define NK_NV NK_MANDEL_NV_NEON
#define NK_W 2

#define NK_NEON_INIT()                                                                      \
    float64x2_t cr[NK_NV], zr[NK_NV], zi[NK_NV];                                            \
    uint64x2_t active[NK_NV];                                                               \
    int64x2_t count[NK_NV];                                                                 \
    const float64x2_t vlanes = vdupq_n_f64((double)lanes);                                  \
    for (int v = 0; v < NK_NV; v++) {                                                       \
        float64x2_t k = vaddq_f64(vdupq_n_f64((double)(v * NK_W)), lane);                  \
        float64x2_t x = vaddq_f64(vdupq_n_f64((double)x0), k); /* exact integers */        \
        cr[v] = vaddq_f64(vxmin, vdivq_f64(vmulq_f64(x, vdx), vwidth));                    \
        zr[v] = zi[v] = vdupq_n_f64(0.0);                                                   \
        count[v] = vdupq_n_s64(0);                                                          \
        active[v] = vcltq_f64(k, vlanes); /* lanes past the row: off */                     \
    }

#define NK_NEON_STEP()                                                                      \
    do {                                                                                    \
        for (int v = 0; v < NK_NV; v++) {                                                   \
            float64x2_t zr2 = vmulq_f64(zr[v], zr[v]);                                      \
            float64x2_t zi2 = vmulq_f64(zi[v], zi[v]);                                      \
            /* active and not (zr2 + zi2 > 4.0): a NaN stays active */                      \
            active[v] = vbicq_u64(active[v], vcgtq_f64(vaddq_f64(zr2, zi2), four));         \
            count[v] = vsubq_s64(count[v], vreinterpretq_s64_u64(active[v]));               \
            zi[v] = vaddq_f64(vmulq_f64(vmulq_f64(two, zr[v]), zi[v]), vci);                \
            zr[v] = vaddq_f64(vsubq_f64(zr2, zi2), cr[v]);                                  \
        }                                                                                   \
    } while (0)

#define NK_NEON_ANY()                                                                       \
    do {                                                                                    \
        uint64x2_t on = active[0];                                                          \
        for (int v = 1; v < NK_NV; v++) on = vorrq_u64(on, active[v]);                      \
        any = (vgetq_lane_u64(on, 0) | vgetq_lane_u64(on, 1)) != 0;                         \
    } while (0)

#define NK_NEON_STORE()                                                                     \
    for (int v = 0; v < NK_NV; v++) vst1q_s64(counts + v * NK_W, count[v])

NK_TARGET_NEON
static int nk_mandel_row_neon(int32_t *row, ptrdiff_t width, double xmin, double dx,
                              double ci, int32_t max_iter, nk_stop_fn stop, void *ctx) {
    const float64x2_t four = vdupq_n_f64(4.0), two = vdupq_n_f64(2.0);
    const float64x2_t vci = vdupq_n_f64(ci), vxmin = vdupq_n_f64(xmin);
    const float64x2_t vdx = vdupq_n_f64(dx), vwidth = vdupq_n_f64((double)width);
    const float64x2_t lane = nk_neon_lane_index();
    NK_MANDEL_ROW_LOOP(NK_NV, NK_W, NK_NEON_INIT, NK_NEON_STEP, NK_NEON_ANY, NK_NEON_STORE);
}

#undef NK_NV
#undef NK_W

#endif

/* The row function of a level, or NULL for the baseline (mandelbrot.pyx's loop). */
static nk_mandel_row_fn nk_mandel_row_for(int level) {
#if NK_SIMD_X86
    if (level == NK_SIMD_AVX512) return nk_mandel_row_avx512;
    if (level == NK_SIMD_AVX2) return nk_mandel_row_avx2;
#elif NK_SIMD_ARM64
    if (level == NK_SIMD_NEON) return nk_mandel_row_neon;
#endif
    (void)level;
    return NULL;
}

#endif
