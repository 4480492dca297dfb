/* The instruction sets of the vectorised kernels, shared by their modules.
 *
 * One wheel holds, for a kernel, a portable baseline (compiled with the flags
 * of every module: -O3 -ffp-contract=off -fno-math-errno, no -march) and, on
 * x86-64 with GCC or clang, AVX2 and AVX-512 versions in functions of their
 * own, compiled for those instruction sets by __attribute__((target(...))),
 * as numpy's dispatch and GCC's target_clones do, and never called on a CPU
 * without them: nogilkit._simd picks the level at import (the best the CPU,
 * and the operating system, which must save the wider registers, supports,
 * or a lower one asked for with NOGILKIT_SIMD) and each module's
 * use_simd_level() takes its functions for it. On aarch64 (GCC or clang),
 * where every CPU has NEON (Advanced SIMD is part of the architecture), the
 * second level is NEON: explicit 2-lane float64 versions, in the same
 * functions' pattern, with no target attribute needed. Level numbers are per
 * architecture; NK_SIMD_PATH_NAMES names them, in order, for nogilkit._simd.
 * A kernel without a version at some level runs its baseline there, and its
 * module says so. (gcc -O3 vectorises with NEON only kmeans' distances and
 * total's sums of the aarch64 baseline: tools/aarch64_vector_report.py.)
 *
 * Every version does the arithmetic of the pure-Python reference, operation by
 * operation, without fused multiply-add: results are the same bit for bit.
 * The intrinsics of GCC's headers are plain vector arithmetic (a * b + c on
 * __v4df), which -ffp-contract=fast would fuse; setup.py compiles with
 * -ffp-contract=off, and no "fma" target is ever enabled.
 */
#ifndef NOGILKIT_SIMD_H
#define NOGILKIT_SIMD_H

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__)) \
    && !defined(NOGILKIT_NO_SIMD)
#define NK_SIMD_X86 1
#include <immintrin.h>
#define NK_TARGET_AVX2 __attribute__((target("avx2")))
#define NK_TARGET_AVX512 __attribute__((target("avx512f")))
#else
#define NK_SIMD_X86 0
#endif

#if defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(NOGILKIT_NO_SIMD)
#define NK_SIMD_ARM64 1
#include <arm_neon.h>
/* Every CPU has NEON, so no target is needed; a function of its own, as the
 * x86 paths are, keeps the baseline's code the baseline (gcc would otherwise
 * inline a path into its caller's loop, guarded by a pointer compare). */
#define NK_TARGET_NEON __attribute__((noinline))
/* For the x86 versions' macros, which take SETZERO() and the lanes' indices. */
static inline float64x2_t nk_neon_zero(void) { return vdupq_n_f64(0.0); }
static inline float64x2_t nk_neon_lane_index(void) {
    return vcombine_f64(vdup_n_f64(0.0), vdup_n_f64(1.0));
}
#else
#define NK_SIMD_ARM64 0
#endif

/* The levels: x86-64 has AVX2 and AVX-512 above the baseline, aarch64 NEON. */
enum { NK_SIMD_BASELINE = 0, NK_SIMD_AVX2 = 1, NK_SIMD_AVX512 = 2, NK_SIMD_NEON = 1 };
#if NK_SIMD_X86
#define NK_SIMD_PATH_NAMES "baseline avx2 avx512"
#elif NK_SIMD_ARM64
#define NK_SIMD_PATH_NAMES "baseline neon"
#else
#define NK_SIMD_PATH_NAMES "baseline"
#endif

/* The best level this build and this CPU can run. */
static inline int nk_simd_best(void) {
#if NK_SIMD_X86
    __builtin_cpu_init();
    /* libgcc's (and compiler-rt's) checks include the OS's XSAVE support (XCR0). */
    if (__builtin_cpu_supports("avx512f")) return NK_SIMD_AVX512;
    if (__builtin_cpu_supports("avx2")) return NK_SIMD_AVX2;
#elif NK_SIMD_ARM64
    return NK_SIMD_NEON;
#endif
    return NK_SIMD_BASELINE;
}

/* A kernel's long loops ask this whether to stop (ctx: the caller's poll). */
typedef int (*nk_stop_fn)(void *ctx);

#endif
