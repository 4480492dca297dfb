/* nbody's five Jovian bodies, a whole step in AVX-512 registers.
 *
 * The baseline is advance() in nbody.pyx, the Benchmarks Game's step, pair by
 * pair (i < j in index order):
 *   d = r[i] - r[j];  d2 = dx*dx + dy*dy + dz*dz;  mag = dt / (d2 * sqrt(d2))
 *   v[i] -= d * m[j] * mag;  v[j] += d * m[i] * mag
 * then r += dt * v. Here the bodies are lanes 0-4 of one vector per
 * coordinate, and the ten pairs are lanes of two vectors (pairs 0-7, 8-9),
 * gathered from the bodies by permutes. Each body takes its four velocity
 * updates in the baseline's order (from the pairs (i, b), i < b, then (b, j),
 * j > b), one "slot" of four for all bodies at once. A subtraction is the
 * addition of the negated term, and -(d*m)*mag == (d*(-m))*mag exactly, so
 * the signs ride on the masses: every lane does the baseline's operations on
 * the same values, in the same order, without FMA, and the result is the
 * baseline's bit for bit.
 *
 * The step is a latency chain (positions -> square roots and divisions ->
 * velocities -> positions); the divisions run as two 256-bit and one 128-bit
 * vector, whose latency is shorter than a 512-bit one's, and the first slot
 * starts when the first four pairs are done. One thread, on this project's
 * Xeon VM, thread CPU time: 46 ns a step on the baseline, 33 ns here.
 *
 * No AVX2 version: five bodies do not fit four lanes, and moving them between
 * two vectors costs what it saves.
 */
#ifndef NOGILKIT_SIMD_NBODY_H
#define NOGILKIT_SIMD_NBODY_H

#include <stddef.h>

#include "nogilkit_simd.h"

/* ``steps`` steps of the five bodies, r and v (5, 3) C-ordered, in place. */
typedef void (*nk_nbody5_fn)(double *r, double *v, const double *m, ptrdiff_t steps, double dt);

#if NK_SIMD_X86

/* The pairs in the baseline's order, and each body's four updates (slot t):
 * the pair it comes from and the other body's mass, negated for the first
 * body of the pair. */
static const int nk_nbody5_pair_i[10] = {0, 0, 0, 0, 1, 1, 1, 2, 2, 3};
static const int nk_nbody5_pair_j[10] = {1, 2, 3, 4, 2, 3, 4, 3, 4, 4};

NK_TARGET_AVX512
static void nk_nbody5_avx512(double *r, double *v, const double *m, ptrdiff_t steps, double dt) {
    double lanes[6][8] = {{0}};  /* x, y, z, vx, vy, vz of bodies 0-4 */
    long long pi[2][8], pj[2][8], slot_pair[4][8] = {{0}};
    double slot_mass[4][8] = {{0}};
    for (int b = 0; b < 5; b++)
        for (int c = 0; c < 3; c++)
            lanes[c][b] = r[3 * b + c], lanes[3 + c][b] = v[3 * b + c];
    for (int k = 0; k < 8; k++) {
        const int hi = k < 2 ? 8 + k : 9;  /* lanes 2-7 of the second vector repeat pair 9 */
        pi[0][k] = nk_nbody5_pair_i[k], pj[0][k] = nk_nbody5_pair_j[k];
        pi[1][k] = nk_nbody5_pair_i[hi], pj[1][k] = nk_nbody5_pair_j[hi];
    }
    for (int k = 0, slots[5] = {0}; k < 10; k++) {
        const int i = nk_nbody5_pair_i[k], j = nk_nbody5_pair_j[k];
        /* k runs in the baseline's order, so each body's slots fill in it too. */
        slot_pair[slots[i]][i] = k, slot_mass[slots[i]++][i] = -m[j];
        slot_pair[slots[j]][j] = k, slot_mass[slots[j]++][j] = m[i];
    }
    __m512d x = _mm512_loadu_pd(lanes[0]), y = _mm512_loadu_pd(lanes[1]), z = _mm512_loadu_pd(lanes[2]);
    __m512d vx = _mm512_loadu_pd(lanes[3]), vy = _mm512_loadu_pd(lanes[4]), vz = _mm512_loadu_pd(lanes[5]);
    const __m512i i0 = _mm512_loadu_si512(pi[0]), j0 = _mm512_loadu_si512(pj[0]);
    const __m512i i1 = _mm512_loadu_si512(pi[1]), j1 = _mm512_loadu_si512(pj[1]);
    __m512i pair[4];
    __m512d mass[4];
    for (int t = 0; t < 4; t++)
        pair[t] = _mm512_loadu_si512(slot_pair[t]), mass[t] = _mm512_loadu_pd(slot_mass[t]);
    const __m512d dt8 = _mm512_set1_pd(dt);
    const __m256d dt4 = _mm256_set1_pd(dt);
    const __m128d dt2 = _mm_set1_pd(dt);

#define NK_NBODY5_SEPARATION(C, I, J) _mm512_sub_pd(_mm512_permutexvar_pd(I, C), _mm512_permutexvar_pd(J, C))
#define NK_NBODY5_SQUARE(X, Y, Z) \
    _mm512_add_pd(_mm512_add_pd(_mm512_mul_pd(X, X), _mm512_mul_pd(Y, Y)), _mm512_mul_pd(Z, Z))
/* v += (d * signed mass) * mag, d and mag gathered for slot T's pairs */
#define NK_NBODY5_UPDATE(V, D0, D1, T, MAG)                                                      \
    V = _mm512_add_pd(V, _mm512_mul_pd(_mm512_mul_pd(_mm512_permutex2var_pd(D0, pair[T], D1), \
                                                     mass[T]), MAG))

    for (ptrdiff_t step = 0; step < steps; step++) {
        const __m512d dx0 = NK_NBODY5_SEPARATION(x, i0, j0), dx1 = NK_NBODY5_SEPARATION(x, i1, j1);
        const __m512d dy0 = NK_NBODY5_SEPARATION(y, i0, j0), dy1 = NK_NBODY5_SEPARATION(y, i1, j1);
        const __m512d dz0 = NK_NBODY5_SEPARATION(z, i0, j0), dz1 = NK_NBODY5_SEPARATION(z, i1, j1);
        const __m512d d2_0 = NK_NBODY5_SQUARE(dx0, dy0, dz0), d2_1 = NK_NBODY5_SQUARE(dx1, dy1, dz1);
        __m256d a = _mm512_castpd512_pd256(d2_0), b = _mm512_extractf64x4_pd(d2_0, 1);
        __m128d c = _mm512_castpd512_pd128(d2_1);
        a = _mm256_div_pd(dt4, _mm256_mul_pd(a, _mm256_sqrt_pd(a)));
        b = _mm256_div_pd(dt4, _mm256_mul_pd(b, _mm256_sqrt_pd(b)));
        c = _mm_div_pd(dt2, _mm_mul_pd(c, _mm_sqrt_pd(c)));
        /* Slot 0 reads pairs 0-3 only (each body's first pair): it need not
         * wait for the other divisions. */
        const __m512d first = _mm512_permutexvar_pd(pair[0], _mm512_castpd256_pd512(a));
        NK_NBODY5_UPDATE(vx, dx0, dx1, 0, first);
        NK_NBODY5_UPDATE(vy, dy0, dy1, 0, first);
        NK_NBODY5_UPDATE(vz, dz0, dz1, 0, first);
        const __m512d mag0 = _mm512_insertf64x4(_mm512_castpd256_pd512(a), b, 1);
        const __m512d mag1 = _mm512_castpd128_pd512(c);
        for (int t = 1; t < 4; t++) {
            const __m512d mag = _mm512_permutex2var_pd(mag0, pair[t], mag1);
            NK_NBODY5_UPDATE(vx, dx0, dx1, t, mag);
            NK_NBODY5_UPDATE(vy, dy0, dy1, t, mag);
            NK_NBODY5_UPDATE(vz, dz0, dz1, t, mag);
        }
        x = _mm512_add_pd(x, _mm512_mul_pd(dt8, vx));
        y = _mm512_add_pd(y, _mm512_mul_pd(dt8, vy));
        z = _mm512_add_pd(z, _mm512_mul_pd(dt8, vz));
    }
#undef NK_NBODY5_SEPARATION
#undef NK_NBODY5_SQUARE
#undef NK_NBODY5_UPDATE

    _mm512_storeu_pd(lanes[0], x), _mm512_storeu_pd(lanes[1], y), _mm512_storeu_pd(lanes[2], z);
    _mm512_storeu_pd(lanes[3], vx), _mm512_storeu_pd(lanes[4], vy), _mm512_storeu_pd(lanes[5], vz);
    for (int b = 0; b < 5; b++)
        for (int c = 0; c < 3; c++)
            r[3 * b + c] = lanes[c][b], v[3 * b + c] = lanes[3 + c][b];
}

#endif /* NK_SIMD_X86 */

/* The five-body step of a level, or NULL where it has none (the baseline). */
static nk_nbody5_fn nk_nbody5_for(int level) {
#if NK_SIMD_X86
    if (level == NK_SIMD_AVX512) return nk_nbody5_avx512;
#endif
    (void)level;
    return NULL;
}

#endif
