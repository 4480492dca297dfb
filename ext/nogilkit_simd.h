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
 * use_simd_level() takes its functions for it. On aarch64 there are no
 * explicit paths yet: every CPU there has NEON, but gcc -O3 vectorises with
 * it only kmeans' distances and total's sums; mandelbrot, spectral_norm,
 * histogram and nbody_direct compile to scalar code, as their x86-64 baseline
 * does (tools/aarch64_vector_report.py counts it).
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

enum { NK_SIMD_BASELINE = 0, NK_SIMD_AVX2 = 1, NK_SIMD_AVX512 = 2, NK_SIMD_LEVELS = 3 };

/* The best level this build and this CPU can run. */
static inline int nk_simd_best(void) {
#if NK_SIMD_X86
    __builtin_cpu_init();
    /* libgcc's (and compiler-rt's) checks include the OS's XSAVE support (XCR0). */
    if (__builtin_cpu_supports("avx512f")) return NK_SIMD_AVX512;
    if (__builtin_cpu_supports("avx2")) return NK_SIMD_AVX2;
#endif
    return NK_SIMD_BASELINE;
}

/* A kernel's long loops ask this whether to stop (ctx: the caller's poll). */
typedef int (*nk_stop_fn)(void *ctx);

#endif
