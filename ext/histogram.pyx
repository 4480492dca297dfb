"""Histogram over uniform bins: a nogil core over a range of values, shared by threads.

The public, validating entry point is nogilkit.histogram; this module holds
the compiled part only.
"""

import numpy as np

from _binning cimport UniformBins, bin_index, uniform_bins
from nogilkit._ext._jobs cimport ChunkJob, Poll

cdef extern from "simd_histogram.h" nogil:
    ctypedef void (*nk_histogram_fn)(const double* data, Py_ssize_t n, const double* edges,
                                     Py_ssize_t bins, double first, double last, double width,
                                     double scale, Py_ssize_t* counts) noexcept nogil
    int NK_HISTOGRAM_AUTO_CAP
    nk_histogram_fn nk_histogram_for(int level)

# The instruction set of the bin indices (nogilkit_simd.h), set by nogilkit._simd.
SIMD_AUTO_CAP = NK_HISTOGRAM_AUTO_CAP  # the level "auto" stops at
cdef int simd_level = 0
cdef nk_histogram_fn simd_histogram = NULL  # NULL: the baseline, histogram_range's own loop


def use_simd_level(int level):
    """Count with the functions of instruction-set ``level``, or the baseline
    where this build has none (and say so); the caller checked that the CPU
    has the level."""
    global simd_level, simd_histogram
    simd_histogram = nk_histogram_for(level)
    simd_level = level if simd_histogram != NULL else 0


def simd_level_in_use():
    return simd_level


cdef void histogram_range(
    const double* data, Py_ssize_t start, Py_ssize_t stop,
    UniformBins bins, Py_ssize_t* counts,
) noexcept nogil:
    """Add data[start:stop] to counts, one count per bin."""
    # bins comes by value: a local copy, which the stores into counts cannot
    # alias, so the compiler keeps it in registers instead of reloading it.
    cdef Py_ssize_t i, b
    cdef nk_histogram_fn vector = simd_histogram
    if vector != NULL:
        vector(data + start, stop - start, bins.edges, bins.n, bins.first, bins.last,
               bins.width, bins.scale, counts)
        return
    for i in range(start, stop):
        b = bin_index(&bins, data[i])
        if b >= 0:
            counts[b] += 1


cdef class HistogramJob(ChunkJob):
    """One histogram to compute, its values split into chunks that threads claim.

    Each ``work()`` call counts the chunks it claims, with the GIL released,
    into a histogram of its own (its scratch), and returns it. Nothing is
    shared but the read-only data and the counter, so no count is lost and no
    lock is needed; the caller adds up the returned histograms.
    """

    cdef const double[::1] data
    cdef const double[::1] edges
    cdef UniformBins bins
    cdef Py_ssize_t chunk

    def __cinit__(self, const double[::1] data not None, const double[::1] edges not None,
                  Py_ssize_t chunk):
        self.data = data
        self.edges = edges
        self.bins = uniform_bins(self.edges)
        self.chunk = chunk
        self.set_chunks(data.shape[0], chunk)

    cdef object new_scratch(self):
        return np.zeros(self.bins.n, dtype=np.intp)

    cdef void run_chunk(self, Py_ssize_t index, void* scratch, Poll* poll) noexcept nogil:
        cdef Py_ssize_t start = index * self.chunk
        histogram_range(&self.data[0], start, min(start + self.chunk, self.data.shape[0]),
                        self.bins, <Py_ssize_t*>scratch)
