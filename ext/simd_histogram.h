/* Histogram over uniform bins: the AVX2, AVX-512 and NEON versions of histogram_range.
 *
 * _binning.pxd's bin_index is the definition (numpy.histogram's rule): a value
 * x in [first, last] (NaN fails the test) has the estimate
 *     i = trunc((x - first) / width * scale),  i = n - 1 if i == n,
 * then i - 1 if x < edges[i], then i + 1 if x >= edges[i + 1] and i != n - 1.
 * Here W values go through the same steps side by side: the same subtraction,
 * division and multiplication (no FMA), the truncation, the clamp and the two
 * corrections against edges gathered from memory, so every value gets the
 * same bin as on the baseline. Both edges, edges[i] and edges[i + 1] of the
 * clamped estimate, are gathered at once: where the first correction moves i
 * down, x < edges[i] is the edge the second one reads, and it does not move
 * up; elsewhere the second reads edges[i + 1]. The index is carried in doubles (an integer
 * below 2**31, so every step on it is exact) and converted to int32 for the
 * gathers (n <= 2**31 - 1, histogram's MAX_BINS). A value outside the range
 * goes through the steps as `first` (bin 0, its edges in bounds) and is not
 * counted. The counts are then added one value at a time, in index order.
 *
 * NEON has no gather, but the two edges of a bin are neighbours in memory:
 * its version loads edges[i] and edges[i + 1] as one pair per value and
 * transposes a vector's two pairs, 2 loads for its 4 edges. It carries the
 * index in int64 instead of doubles (fcvtzs truncates), and executes 1.13x
 * fewer instructions than the aarch64 baseline (112.7 M against 99.6 M for
 * 2**22 values, 100 bins: tools/aarch64_instruction_counts.py). A first
 * version, one vector a call with the index in doubles, executed 1.19x more.
 */
#ifndef NOGILKIT_SIMD_HISTOGRAM_H
#define NOGILKIT_SIMD_HISTOGRAM_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "nogilkit_simd.h"

#define NK_HISTOGRAM_AUTO_CAP NK_SIMD_AVX512

/* counts[bin of data[k]] += 1 for k in [0, n); the bins as in _binning.pxd's
 * UniformBins (edges[0..bins], first = edges[0], last = edges[bins],
 * width = last - first, scale = bins). */
typedef void (*nk_histogram_fn)(const double *data, ptrdiff_t n, const double *edges,
                                ptrdiff_t bins, double first, double last, double width,
                                double scale, ptrdiff_t *counts);

/* Values whose bins are found before any of them is counted: the increments
 * wait for a long chain (a division, the edges' gathers or loads), which a
 * loop that counts each vector as soon as its bins are known leaves the core
 * waiting on (a quarter slower than counting a block later, AVX-512, on this
 * project's Xeon). Several count arrays, so that near increments of one bin do
 * not wait on each other, measured no faster. */
#define NK_HISTOGRAM_BLOCK 64

/* Blocks of NK_HISTOGRAM_BLOCK values: their bins, W at a time, then their
 * counts in index order; a vector of values all in the range (the usual case)
 * without a branch per value. */
#define NK_HISTOGRAM_FN(NAME, ATTR, W, BINS)                                                \
    ATTR static void NAME(const double *data, ptrdiff_t n, const double *edges,             \
                          ptrdiff_t bins, double first, double last, double width,          \
                          double scale, ptrdiff_t *counts) {                                \
        int32_t bin[NK_HISTOGRAM_BLOCK];                                                    \
        unsigned in[NK_HISTOGRAM_BLOCK / W];                                                \
        for (ptrdiff_t start = 0; start < n; start += NK_HISTOGRAM_BLOCK) {                 \
            const ptrdiff_t size = n - start < NK_HISTOGRAM_BLOCK ? n - start : NK_HISTOGRAM_BLOCK; \
            for (ptrdiff_t j = 0; j < size; j += W)                                         \
                in[j / W] = BINS(data + start + j, size - j, edges, bins, first, last,      \
                                 width, scale, bin + j);                                    \
            for (ptrdiff_t j = 0; j < size; j += W) {                                       \
                const unsigned mask = in[j / W];                                            \
                if (mask == (1u << W) - 1) {                                                \
                    for (int lane = 0; lane < W; lane++) counts[bin[j + lane]] += 1;        \
                } else {                                                                    \
                    for (unsigned m = mask; m; m &= m - 1)                                  \
                        counts[bin[j + __builtin_ctz(m)]] += 1;                             \
                }                                                                           \
            }                                                                               \
        }                                                                                   \
    }

#if NK_SIMD_X86

/* The bins of the W values at x (left of them to read, the rest not counted)
 * into bin[0..W); returns the mask of those to count. */
NK_TARGET_AVX2
static inline unsigned nk_histogram_bins_avx2(const double *x, ptrdiff_t left, const double *edges,
                                              ptrdiff_t bins, double first, double last,
                                              double width, double scale, int32_t *bin) {
    const __m256d vfirst = _mm256_set1_pd(first), one = _mm256_set1_pd(1.0);
    __m256d v;
    if (left >= 4) {
        v = _mm256_loadu_pd(x);
    } else { /* the last values, NaN after them */
        double rest[4] = {NAN, NAN, NAN, NAN};
        for (ptrdiff_t k = 0; k < left; k++) rest[k] = x[k];
        v = _mm256_loadu_pd(rest);
    }
    __m256d in = _mm256_and_pd(_mm256_cmp_pd(v, vfirst, _CMP_GE_OQ),
                               _mm256_cmp_pd(v, _mm256_set1_pd(last), _CMP_LE_OQ));
    v = _mm256_blendv_pd(vfirst, v, in);
    __m256d t = _mm256_mul_pd(_mm256_div_pd(_mm256_sub_pd(v, vfirst), _mm256_set1_pd(width)),
                              _mm256_set1_pd(scale));
    __m256d k = _mm256_round_pd(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    k = _mm256_sub_pd(k, _mm256_and_pd(_mm256_cmp_pd(k, _mm256_set1_pd((double)bins), _CMP_EQ_OQ), one));
    const __m128i at = _mm256_cvttpd_epi32(k);
    __m256d down = _mm256_cmp_pd(v, _mm256_i32gather_pd(edges, at, 8), _CMP_LT_OQ);
    __m256d up = _mm256_and_pd(
        _mm256_cmp_pd(v, _mm256_i32gather_pd(edges + 1, at, 8), _CMP_GE_OQ),
        _mm256_cmp_pd(k, _mm256_set1_pd((double)(bins - 1)), _CMP_NEQ_OQ));
    k = _mm256_sub_pd(k, _mm256_and_pd(down, one));
    k = _mm256_add_pd(k, _mm256_and_pd(_mm256_andnot_pd(down, up), one));
    _mm_storeu_si128((__m128i *)bin, _mm256_cvttpd_epi32(k));
    return (unsigned)_mm256_movemask_pd(in);
}

NK_TARGET_AVX512
static inline unsigned nk_histogram_bins_avx512(const double *x, ptrdiff_t left,
                                                const double *edges, ptrdiff_t bins,
                                                double first, double last, double width,
                                                double scale, int32_t *bin) {
    const __m512d vfirst = _mm512_set1_pd(first), one = _mm512_set1_pd(1.0);
    /* the last values: lanes past them are not read, and not counted */
    const __mmask8 live = left >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << left) - 1);
    __m512d v = _mm512_maskz_loadu_pd(live, x);
    const __mmask8 in = _mm512_mask_cmp_pd_mask(live, v, vfirst, _CMP_GE_OQ)
                        & _mm512_cmp_pd_mask(v, _mm512_set1_pd(last), _CMP_LE_OQ);
    v = _mm512_mask_blend_pd(in, vfirst, v);
    __m512d t = _mm512_mul_pd(_mm512_div_pd(_mm512_sub_pd(v, vfirst), _mm512_set1_pd(width)),
                              _mm512_set1_pd(scale));
    __m512d k = _mm512_roundscale_pd(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    k = _mm512_mask_sub_pd(k, _mm512_cmp_pd_mask(k, _mm512_set1_pd((double)bins), _CMP_EQ_OQ), k, one);
    const __m256i at = _mm512_cvttpd_epi32(k);
    const __mmask8 down = _mm512_cmp_pd_mask(v, _mm512_i32gather_pd(at, edges, 8), _CMP_LT_OQ);
    const __mmask8 up = _mm512_cmp_pd_mask(v, _mm512_i32gather_pd(at, edges + 1, 8), _CMP_GE_OQ)
                        & _mm512_cmp_pd_mask(k, _mm512_set1_pd((double)(bins - 1)), _CMP_NEQ_OQ);
    k = _mm512_mask_sub_pd(k, down, k, one);
    k = _mm512_mask_add_pd(k, up & ~down, k, one);
    _mm256_storeu_si256((__m256i *)bin, _mm512_cvttpd_epi32(k));
    return in;
}

_Static_assert(NK_HISTOGRAM_BLOCK % 8 == 0, "a block holds whole vectors");
NK_HISTOGRAM_FN(nk_histogram_avx2, NK_TARGET_AVX2, 4, nk_histogram_bins_avx2)
NK_HISTOGRAM_FN(nk_histogram_avx512, NK_TARGET_AVX512, 8, nk_histogram_bins_avx512)
#endif /* NK_SIMD_X86 */

#if NK_SIMD_ARM64
/* The bins of the 2 values at v, and in *in the lanes in the range. The index
 * is carried in int64: fcvtzs truncates toward zero as the x86 versions'
 * rounding does, and t is in [0, bins], far inside int64. A mask is -1 where
 * set, so adding one moves an index down and subtracting one moves it up. */
static inline int64x2_t nk_histogram_pair_neon(float64x2_t v, const double *edges,
                                               float64x2_t first, float64x2_t last,
                                               float64x2_t width, float64x2_t scale,
                                               int64x2_t bins, int64x2_t last_bin,
                                               uint64x2_t *in) {
    const uint64x2_t inside = vandq_u64(vcgeq_f64(v, first), vcleq_f64(v, last));
    v = vbslq_f64(inside, v, first);
    int64x2_t k = vcvtq_s64_f64(vmulq_f64(vdivq_f64(vsubq_f64(v, first), width), scale));
    k = vaddq_s64(k, vreinterpretq_s64_u64(vceqq_s64(k, bins)));
    const float64x2_t pair0 = vld1q_f64(edges + vgetq_lane_s64(k, 0));
    const float64x2_t pair1 = vld1q_f64(edges + vgetq_lane_s64(k, 1));
    const uint64x2_t down = vcltq_f64(v, vzip1q_f64(pair0, pair1));
    const uint64x2_t up = vbicq_u64(
        vbicq_u64(vcgeq_f64(v, vzip2q_f64(pair0, pair1)), vceqq_s64(k, last_bin)), down);
    *in = inside;
    return vsubq_s64(vaddq_s64(k, vreinterpretq_s64_u64(down)), vreinterpretq_s64_u64(up));
}

/* Two vectors a call: 4 values share the calls' loop and one mask. */
static inline unsigned nk_histogram_bins_neon(const double *x, ptrdiff_t left, const double *edges,
                                              ptrdiff_t bins, double first, double last,
                                              double width, double scale, int32_t *bin) {
    double rest[4] = {NAN, NAN, NAN, NAN};
    if (left < 4) { /* the last values, NaN after them */
        for (ptrdiff_t k = 0; k < left; k++) rest[k] = x[k];
        x = rest;
    }
    const float64x2_t vfirst = vdupq_n_f64(first), vlast = vdupq_n_f64(last);
    const float64x2_t vwidth = vdupq_n_f64(width), vscale = vdupq_n_f64(scale);
    const int64x2_t vbins = vdupq_n_s64(bins), last_bin = vdupq_n_s64(bins - 1);
    uint64x2_t in0, in1;
    const int64x2_t k0 = nk_histogram_pair_neon(vld1q_f64(x), edges, vfirst, vlast, vwidth,
                                                vscale, vbins, last_bin, &in0);
    const int64x2_t k1 = nk_histogram_pair_neon(vld1q_f64(x + 2), edges, vfirst, vlast, vwidth,
                                                vscale, vbins, last_bin, &in1);
    vst1q_s32(bin, vcombine_s32(vmovn_s64(k0), vmovn_s64(k1)));
    const uint64x2_t bits = vorrq_u64(vandq_u64(in0, vcombine_u64(vcreate_u64(1), vcreate_u64(2))),
                                      vandq_u64(in1, vcombine_u64(vcreate_u64(4), vcreate_u64(8))));
    return (unsigned)vaddvq_u64(bits);
}

NK_HISTOGRAM_FN(nk_histogram_neon, NK_TARGET_NEON, 4, nk_histogram_bins_neon)
#endif /* NK_SIMD_ARM64 */

/* The function of a level, or NULL for the baseline (histogram.pyx's loop). */
static nk_histogram_fn nk_histogram_for(int level) {
#if NK_SIMD_X86
    if (level == NK_SIMD_AVX512) return nk_histogram_avx512;
    if (level == NK_SIMD_AVX2) return nk_histogram_avx2;
#elif NK_SIMD_ARM64
    if (level == NK_SIMD_NEON) return nk_histogram_neon;
#endif
    (void)level;
    return NULL;
}

#endif
