"""The cap that threadpoolctl sets on the threads of nogilkit's kernels.

threadpoolctl finds the thread pools of a process by the file names of the
shared libraries loaded in it, and calls their C functions through ctypes.
nogilkit's pool is Python's ThreadPoolExecutor, not a library of its own, so
this module is its stand-in: a file named ``nogilkit_threads.*`` (the prefix
``nogilkit._runtime.ThreadpoolctlController`` registers) that exports two C
functions, ``nogilkit_get_num_threads`` (the cap, 0 for none) and
``nogilkit_set_num_threads(n)`` (n < 1 removes it). ``threadpool_limits(n)``
sets the cap through them; ``nogilkit._runtime.default_threads`` reads it
(``thread_limit()``), so a kernel called with ``threads=None`` runs on at most
``n`` threads. The cap is process-wide, as ``omp_set_num_threads`` is in
practice, and an explicit ``threads=`` is never capped.
"""

cdef extern from *:
    """
    #if defined(_WIN32)
    #include <windows.h>
    #define NOGILKIT_EXPORT __declspec(dllexport)
    static volatile LONG nogilkit_thread_cap = 0;
    static int nogilkit_cap_load(void) { return (int)InterlockedCompareExchange(&nogilkit_thread_cap, 0, 0); }
    static void nogilkit_cap_store(int n) { InterlockedExchange(&nogilkit_thread_cap, (LONG)n); }
    #else
    #define NOGILKIT_EXPORT __attribute__((visibility("default")))
    static int nogilkit_thread_cap = 0;
    static int nogilkit_cap_load(void) { return __atomic_load_n(&nogilkit_thread_cap, __ATOMIC_RELAXED); }
    static void nogilkit_cap_store(int n) { __atomic_store_n(&nogilkit_thread_cap, n, __ATOMIC_RELAXED); }
    #endif
    /* Called by threadpoolctl through ctypes: exported, not static. */
    NOGILKIT_EXPORT int nogilkit_get_num_threads(void) { return nogilkit_cap_load(); }
    NOGILKIT_EXPORT void nogilkit_set_num_threads(int n) { nogilkit_cap_store(n < 1 ? 0 : n); }
    """
    int nogilkit_get_num_threads() noexcept nogil
    void nogilkit_set_num_threads(int n) noexcept nogil


def thread_limit():
    """The cap threadpoolctl set on kernels' default thread count (0: none)."""
    return nogilkit_get_num_threads()


def set_thread_limit(int n):
    """Set the cap (what threadpoolctl does through ctypes); n < 1 removes it."""
    nogilkit_set_num_threads(n)
