# Helpers shared by the kernels' nogil cores.

from libc.stdint cimport int64_t

cdef extern from *:
    """
    #if defined(_MSC_VER)
    #include <intrin.h>
    static inline int64_t nogilkit_fetch_add(int64_t *target, int64_t value) {
        return _InterlockedExchangeAdd64((volatile __int64 *)target, value);
    }
    #else
    static inline int64_t nogilkit_fetch_add(int64_t *target, int64_t value) {
        return __atomic_fetch_add(target, value, __ATOMIC_RELAXED);
    }
    #endif
    """
    # Atomically add value to *target and return the previous value: threads
    # share a work counter this way without a lock and without the GIL.
    int64_t nogilkit_fetch_add(int64_t* target, int64_t value) noexcept nogil
