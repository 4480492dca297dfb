"""How this build of nogilkit was compiled, read from the C preprocessor.

The values come from the compiler itself (``_OPENMP``, ``__VERSION__``) and from
macros setup.py defines, so they describe the installed binary, not a guess.
"""

cdef extern from *:
    """
    #ifdef _OPENMP
    #define NOGILKIT_OPENMP_VERSION _OPENMP
    #else
    #define NOGILKIT_OPENMP_VERSION 0
    #endif
    #if defined(__clang__)
    #define NOGILKIT_COMPILER "clang " __clang_version__
    #elif defined(__GNUC__)
    #define NOGILKIT_COMPILER "gcc " __VERSION__
    #elif defined(_MSC_VER)
    #define NOGILKIT_COMPILER "msvc"
    #else
    #define NOGILKIT_COMPILER "unknown"
    #endif
    #ifndef NOGILKIT_COMPILE_ARGS
    #define NOGILKIT_COMPILE_ARGS ""
    #endif
    #ifndef NOGILKIT_OPENMP_REASON
    #define NOGILKIT_OPENMP_REASON "unknown"
    #endif
    #ifndef NOGILKIT_CYTHON_VERSION
    #define NOGILKIT_CYTHON_VERSION "unknown"
    #endif
    """
    const long NOGILKIT_OPENMP_VERSION
    const char* NOGILKIT_COMPILER
    const char* NOGILKIT_COMPILE_ARGS
    const char* NOGILKIT_OPENMP_REASON
    const char* NOGILKIT_CYTHON_VERSION

cdef extern from "nogilkit_simd.h":
    int nk_simd_best()
    const char* NK_SIMD_PATH_NAMES


def simd_best_level():
    """The widest instruction set this build and this CPU can run, an index
    into simd_path_names()."""
    return nk_simd_best()


def simd_path_names():
    """The names of this build's instruction-set levels, baseline first:
    ("baseline", "avx2", "avx512") on x86-64, ("baseline", "neon") on aarch64."""
    return tuple(NK_SIMD_PATH_NAMES.decode("ascii").split())


def build_info():
    """A dict describing the compiler, flags and OpenMP support of this build."""
    openmp = NOGILKIT_OPENMP_VERSION != 0
    return {
        "cython_version": NOGILKIT_CYTHON_VERSION.decode(),
        "compiler": NOGILKIT_COMPILER.decode(),
        "compile_args": NOGILKIT_COMPILE_ARGS.decode(),
        "openmp": openmp,
        # _OPENMP is the yyyymm date of the OpenMP specification implemented.
        "openmp_version": int(NOGILKIT_OPENMP_VERSION) if openmp else None,
        "openmp_reason": "available" if openmp else NOGILKIT_OPENMP_REASON.decode(),
    }
