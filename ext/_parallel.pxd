# Helpers shared by the kernels' nogil cores.

from libc.stdint cimport int64_t

cdef extern from *:
    """
    #if defined(_MSC_VER)
    #include <intrin.h>
    #include <windows.h>
    static inline int64_t nogilkit_fetch_add(int64_t *target, int64_t value) {
        return _InterlockedExchangeAdd64((volatile __int64 *)target, value);
    }
    static inline void nogilkit_add_release(int64_t *target, int64_t value) {
        _InterlockedExchangeAdd64((volatile __int64 *)target, value);  /* a full barrier */
    }
    static inline int64_t nogilkit_load_acquire(int64_t *target) {
        return _InterlockedCompareExchange64((volatile __int64 *)target, 0, 0);
    }
    static inline void nogilkit_yield(void) { SwitchToThread(); }
    #else
    #include <sched.h>
    static inline int64_t nogilkit_fetch_add(int64_t *target, int64_t value) {
        return __atomic_fetch_add(target, value, __ATOMIC_RELAXED);
    }
    static inline void nogilkit_add_release(int64_t *target, int64_t value) {
        __atomic_fetch_add(target, value, __ATOMIC_RELEASE);
    }
    static inline int64_t nogilkit_load_acquire(int64_t *target) {
        return __atomic_load_n(target, __ATOMIC_ACQUIRE);
    }
    static inline void nogilkit_yield(void) { sched_yield(); }
    #endif
    """
    # Atomically add value to *target and return the previous value: threads
    # share a work counter this way without a lock and without the GIL.
    int64_t nogilkit_fetch_add(int64_t* target, int64_t value) noexcept nogil
    # A count of finished work that other threads then read, with what the work
    # wrote made visible to them (release, then acquire).
    void nogilkit_add_release(int64_t* target, int64_t value) noexcept nogil
    int64_t nogilkit_load_acquire(int64_t* target) noexcept nogil
    # Give the CPU to another runnable thread (a waiting thread's courtesy).
    void nogilkit_yield() noexcept nogil


cdef inline bint claim_chunk(int64_t* next_chunk, Py_ssize_t n_chunks,
                             Py_ssize_t* chunk) noexcept nogil:
    """Claim the next unclaimed chunk into chunk[0]; False once none is left.

    ChunkJob.work() loops on this, so threads take chunks dynamically and
    each chunk is computed exactly once, whichever thread gets it.
    """
    chunk[0] = nogilkit_fetch_add(next_chunk, 1)
    return chunk[0] < n_chunks


cdef inline Py_ssize_t count_chunks(Py_ssize_t size, Py_ssize_t chunk) noexcept nogil:
    """How many chunks of ``chunk`` >= 1 items cover [0, size) (no overflow)."""
    return size // chunk + (size % chunk != 0)
