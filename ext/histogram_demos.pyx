"""One histogram shared by every thread: the compiled part of nogilkit.demos.

Threads count into ONE shared counts array, and the variants differ only in
how they increment a count: with a deliberate data race, atomically, or
under a mutex. nogilkit.histogram's per-thread histograms are the fourth,
correct and fast, way. This module exists to be measured, not used.
"""

cimport cython
from libc.stdint cimport int64_t

from _binning cimport UniformBins, bin_index, uniform_bins
from _parallel cimport nogilkit_fetch_add
from nogilkit._ext._jobs cimport ChunkJob, Poll

cdef extern from *:
    """
    #if defined(_MSC_VER)
    /* MSVC compiles an aligned 64-bit volatile access on x64 to one plain
       load or store, which is atomic. */
    static inline void nogilkit_racy_increment(int64_t *target) {
        volatile int64_t *p = target;
        *p = *p + 1;
    }
    #else
    static inline void nogilkit_racy_increment(int64_t *target) {
        __atomic_store_n(target, __atomic_load_n(target, __ATOMIC_RELAXED) + 1,
                         __ATOMIC_RELAXED);
    }
    #endif
    """
    # *target += 1 as a load then a store, the unsynchronised increment a
    # plain "+=" makes. An increment by another thread between the two is
    # overwritten: a count is lost, never gained. Each access is atomic on
    # its own, so the race loses counts without being undefined behaviour
    # in C (a plain "+=" would be, and an optimiser may exploit it).
    void nogilkit_racy_increment(int64_t* target) noexcept nogil

cdef enum Increment:
    RACY
    ATOMIC
    MUTEX

INCREMENTS = {"racy": RACY, "atomic": ATOMIC, "mutex": MUTEX}


cdef class SharedHistogramJob(ChunkJob):
    """One histogram whose counts every ``work()`` call increments in place.

    ``increment`` is "racy" (loses counts when threads run at once),
    "atomic" or "mutex" (exact). Chunks of values are claimed from a shared
    atomic counter, as in nogilkit.histogram, so the variants differ only
    in the increment.
    """

    cdef const double[::1] data
    cdef const double[::1] edges
    cdef int64_t[::1] counts
    cdef UniformBins bins
    cdef Increment increment
    cdef cython.pymutex lock
    cdef Py_ssize_t chunk

    def __cinit__(self, const double[::1] data not None, const double[::1] edges not None,
                  int64_t[::1] counts not None, str increment not None, Py_ssize_t chunk):
        if increment not in INCREMENTS:
            raise ValueError(f"increment must be one of {sorted(INCREMENTS)}, got {increment!r}")
        self.data = data
        self.edges = edges
        self.bins = uniform_bins(self.edges)
        if counts.shape[0] != self.bins.n:
            raise ValueError(f"counts must have {self.bins.n} items, got {counts.shape[0]}")
        self.counts = counts
        self.increment = INCREMENTS[increment]
        self.chunk = chunk
        self.set_chunks(data.shape[0], chunk)

    cdef void run_chunk(self, Py_ssize_t index, void* scratch, Poll* poll) noexcept nogil:
        """Count one chunk into the shared counts."""
        cdef const double* data = &self.data[0]
        cdef int64_t* counts = &self.counts[0]
        cdef Increment increment = self.increment
        cdef UniformBins bins = self.bins  # a local copy stays in registers
        cdef Py_ssize_t i, b, start = index * self.chunk
        for i in range(start, min(start + self.chunk, self.data.shape[0])):
            b = bin_index(&bins, data[i])
            if b < 0:
                continue
            if increment == RACY:
                nogilkit_racy_increment(&counts[b])
            elif increment == ATOMIC:
                nogilkit_fetch_add(&counts[b], 1)
            else:
                with self.lock:
                    counts[b] += 1
