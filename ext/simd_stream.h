/* The stream kernels, triad and total's block sums: the AVX2, AVX-512 and NEON versions.
 *
 * triad: a[i] = b[i] + scalar * c[i], a multiply then an add per element
 * (no FMA), as TriadJob's loop in stream.pyx; a may be b or c itself (each
 * vector is loaded before its own elements are stored), never a part of them.
 * No NEON version: gcc vectorises the baseline's loop with NEON already, in
 * fewer instructions than a 2-lane intrinsics loop (counted under qemu).
 *
 * total: stream.pyx's block_sum is the definition. A block of at most
 * NK_SUM_BLOCK values has NK_SUM_LANES = 8 running sums, value i going to
 * sum i % 8 (the last n % 8 too), then ((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7)).
 * That is one AVX-512 vector of 8 sums, two AVX2 vectors of 4, or four NEON
 * vectors of 2, added to in index order (with the lanes rotated, below, so
 * that loads are aligned).
 * Each sum is a chain of dependent adds, 8 of them per block
 * whatever the width, so a single block is bound by the adder's latency on
 * every path; the vector versions sum NK_SUM_GROUP blocks side by side (their
 * sums are independent), which gives the adders independent work without
 * changing any block's order. Results are the same bit for bit on every path.
 */
#ifndef NOGILKIT_SIMD_STREAM_H
#define NOGILKIT_SIMD_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "nogilkit_simd.h"

#define NK_SUM_BLOCK 4096 /* stream.pyx's SUM_BLOCK */
#define NK_SUM_LANES 8    /* and SUM_LANES */
/* Blocks summed side by side. 4 AVX-512 accumulators (8 AVX2 ones) cover an
 * add latency of 4 cycles at 1 vector add a cycle. */
#ifndef NK_SUM_GROUP
#define NK_SUM_GROUP 4
#endif
/* "auto" stops at AVX2 for triad: AVX-512 measured no faster (2**16 values:
 * both 2.0x the baseline; 2**25: all three paths within noise, memory-bound). */
#define NK_TRIAD_AUTO_CAP NK_SIMD_AVX2
#define NK_TOTAL_AUTO_CAP NK_SIMD_AVX512

typedef void (*nk_triad_fn)(double *a, const double *b, const double *c, double scalar,
                            ptrdiff_t n);
/* sums[k] = the sum of block k of x[0:n) (the last block may be short). */
typedef void (*nk_block_sums_fn)(const double *x, ptrdiff_t n, double *sums);

static inline double nk_combine_lanes(const double *lane) {
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

#if NK_SIMD_X86

/* The first elements one by one until a + i is W-aligned (at most W - 1 of
 * them), so that no vector store splits a cache line. */
#define NK_TRIAD_BODY(VD, W, SET1, LOADU, STOREU, ADD, MUL)                                 \
    const VD s = SET1(scalar);                                                              \
    ptrdiff_t i = 0;                                                                        \
    for (; i < n && i < W - 1 && (uintptr_t)(a + i) % (W * sizeof(double)); i++)            \
        a[i] = b[i] + scalar * c[i];                                                        \
    for (; i + W <= n; i += W) STOREU(a + i, ADD(LOADU(b + i), MUL(s, LOADU(c + i))));      \
    for (; i < n; i++) a[i] = b[i] + scalar * c[i];

NK_TARGET_AVX2
static void nk_triad_avx2(double *a, const double *b, const double *c, double scalar,
                          ptrdiff_t n) {
    NK_TRIAD_BODY(__m256d, 4, _mm256_set1_pd, _mm256_loadu_pd, _mm256_storeu_pd,
                  _mm256_add_pd, _mm256_mul_pd)
}

NK_TARGET_AVX512
static void nk_triad_avx512(double *a, const double *b, const double *c, double scalar,
                            ptrdiff_t n) {
    NK_TRIAD_BODY(__m512d, 8, _mm512_set1_pd, _mm512_loadu_pd, _mm512_storeu_pd,
                  _mm512_add_pd, _mm512_mul_pd)
}

/* total's loads. A float64 array is 16 bytes past a 64-byte boundary where
 * malloc gives it, so loads from x itself would split a cache line at every
 * AVX-512 vector (every other AVX2 one), which halved the speed of blocks in
 * L1 and L2. So the rows of 8 sums are loaded from the 64-byte boundary at or
 * below x, r = (x / 8) % 8 elements before it: element i of the block is in
 * lane (i + r) % 8 of row (i + r) / 8 of the loads, and each lane still gets
 * its elements in index order; the lanes are put back in order at the end. A
 * row's lanes outside the block (before x in the first row, past the block in
 * the last) are masked: never read, and loaded as +0.0, which leaves a sum
 * unchanged (a sum that starts at +0.0 is never -0.0). */

/* Lanes [lo, hi) of the W = 4 (or 8) doubles at p, the others 0.0. */
NK_TARGET_AVX2
static inline __m256d nk_sum_part_avx2(const double *p, ptrdiff_t lo, ptrdiff_t hi) {
    const __m256i lane = _mm256_set_epi64x(3, 2, 1, 0);
    const __m256i in = _mm256_and_si256(_mm256_cmpgt_epi64(lane, _mm256_set1_epi64x(lo - 1)),
                                        _mm256_cmpgt_epi64(_mm256_set1_epi64x(hi), lane));
    return _mm256_maskload_pd(p, in);
}

NK_TARGET_AVX512
static inline __m512d nk_sum_part_avx512(const double *p, ptrdiff_t lo, ptrdiff_t hi) {
    const unsigned from = lo < 0 ? 0 : (unsigned)lo, to = hi > 8 ? 8 : (unsigned)hi;
    return _mm512_maskz_load_pd((__mmask8)(to > from ? ((1u << to) - 1) & ~((1u << from) - 1) : 0), p);
}

#endif /* NK_SIMD_X86 */

/* G blocks of x, NK_SUM_BLOCK apart, each full or (G == 1 only) n values
 * long, into sums[0..G): V vectors of W lanes per block. */
#define NK_BLOCK_SUMS(VD, W, SETZERO, LOAD, PART, STORE, ADD, G, n)                         \
    do {                                                                                    \
        enum { V = NK_SUM_LANES / W };                                                      \
        const ptrdiff_t r = (ptrdiff_t)((uintptr_t)x / sizeof(double) % NK_SUM_LANES);      \
        const double *row = x - r;                                                          \
        const ptrdiff_t end = r + (n), first_full = r ? 1 : 0, last_full = end / NK_SUM_LANES; \
        VD acc[G][V];                                                                       \
        for (int g = 0; g < G; g++)                                                         \
            for (int v = 0; v < V; v++) acc[g][v] = SETZERO();                              \
        if (r)                                                                              \
            for (int g = 0; g < G; g++)                                                     \
                for (int v = 0; v < V; v++)                                                 \
                    acc[g][v] = ADD(acc[g][v], PART(row + g * NK_SUM_BLOCK + v * W,        \
                                                    r - v * W, end - v * W));               \
        for (ptrdiff_t m = first_full; m < last_full; m++)                                  \
            for (int g = 0; g < G; g++)                                                     \
                for (int v = 0; v < V; v++)                                                 \
                    acc[g][v] = ADD(acc[g][v],                                              \
                                    LOAD(row + g * NK_SUM_BLOCK + m * NK_SUM_LANES + v * W)); \
        if (end % NK_SUM_LANES && last_full >= first_full) {                                \
            const ptrdiff_t m = last_full, left = end % NK_SUM_LANES;                       \
            for (int g = 0; g < G; g++)                                                     \
                for (int v = 0; v < V; v++)                                                 \
                    acc[g][v] = ADD(acc[g][v], PART(row + g * NK_SUM_BLOCK + m * NK_SUM_LANES \
                                                    + v * W, -v * W, left - v * W));        \
        }                                                                                   \
        for (int g = 0; g < G; g++) {                                                       \
            double loaded[NK_SUM_LANES], lane[NK_SUM_LANES];                                \
            for (int v = 0; v < V; v++) STORE(loaded + v * W, acc[g][v]);                   \
            for (int k = 0; k < NK_SUM_LANES; k++) lane[k] = loaded[(k + r) % NK_SUM_LANES]; \
            sums[g] = nk_combine_lanes(lane);                                               \
        }                                                                                   \
    } while (0)

/* x must be 8-byte aligned (as numpy allocates float64 arrays; the caller checks). */
#define NK_BLOCK_SUMS_FN(NAME, ATTR, VD, W, SETZERO, LOAD, PART, STORE, ADD)                \
    ATTR static void NAME(const double *x, ptrdiff_t n, double *sums) {                     \
        const ptrdiff_t blocks = n / NK_SUM_BLOCK;                                          \
        ptrdiff_t k = 0;                                                                    \
        for (; k + NK_SUM_GROUP <= blocks; k += NK_SUM_GROUP, x += NK_SUM_GROUP * NK_SUM_BLOCK, \
                                           sums += NK_SUM_GROUP)                            \
            NK_BLOCK_SUMS(VD, W, SETZERO, LOAD, PART, STORE, ADD, NK_SUM_GROUP, NK_SUM_BLOCK); \
        for (; k < blocks; k++, x += NK_SUM_BLOCK, sums++)                                  \
            NK_BLOCK_SUMS(VD, W, SETZERO, LOAD, PART, STORE, ADD, 1, NK_SUM_BLOCK);         \
        if (n % NK_SUM_BLOCK) {                                                             \
            const ptrdiff_t rest = n % NK_SUM_BLOCK;                                        \
            NK_BLOCK_SUMS(VD, W, SETZERO, LOAD, PART, STORE, ADD, 1, rest);                 \
        }                                                                                   \
    }

#if NK_SIMD_X86
NK_BLOCK_SUMS_FN(nk_block_sums_avx2, NK_TARGET_AVX2, __m256d, 4, _mm256_setzero_pd,
                 _mm256_load_pd, nk_sum_part_avx2, _mm256_storeu_pd, _mm256_add_pd)
NK_BLOCK_SUMS_FN(nk_block_sums_avx512, NK_TARGET_AVX512, __m512d, 8, _mm512_setzero_pd,
                 _mm512_load_pd, nk_sum_part_avx512, _mm512_storeu_pd, _mm512_add_pd)

#elif NK_SIMD_ARM64

/* Lanes [lo, hi) of the 2 doubles at p, the other +0.0 (and not read). */
static inline float64x2_t nk_sum_part_neon(const double *p, ptrdiff_t lo, ptrdiff_t hi) {
    const double first = lo <= 0 && 0 < hi ? p[0] : 0.0, second = lo <= 1 && 1 < hi ? p[1] : 0.0;
    return vcombine_f64(vdup_n_f64(first), vdup_n_f64(second));
}

NK_BLOCK_SUMS_FN(nk_block_sums_neon, NK_TARGET_NEON, float64x2_t, 2, nk_neon_zero, vld1q_f64,
                 nk_sum_part_neon, vst1q_f64, vaddq_f64)

#endif

/* The functions of a level, or NULL for the baseline (stream.pyx's loops). */
static nk_triad_fn nk_triad_for(int level) {
#if NK_SIMD_X86
    if (level == NK_SIMD_AVX512) return nk_triad_avx512;
    if (level == NK_SIMD_AVX2) return nk_triad_avx2;
#endif
    (void)level;
    return NULL;
}

static nk_block_sums_fn nk_block_sums_for(int level) {
#if NK_SIMD_X86
    if (level == NK_SIMD_AVX512) return nk_block_sums_avx512;
    if (level == NK_SIMD_AVX2) return nk_block_sums_avx2;
#elif NK_SIMD_ARM64
    if (level == NK_SIMD_NEON) return nk_block_sums_neon;
#endif
    (void)level;
    return NULL;
}

#endif
