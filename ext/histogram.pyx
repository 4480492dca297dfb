"""Histogram over uniform bins: a nogil core over a range of values, shared by threads.

The public, validating entry point is nogilkit.histogram; this module holds
the compiled part only.
"""

from libc.stdint cimport int64_t

import numpy as np

from _binning cimport UniformBins, bin_index, uniform_bins
from _parallel cimport claim_range, count_chunks


cdef void histogram_range(
    const double* data, Py_ssize_t start, Py_ssize_t stop,
    UniformBins bins, Py_ssize_t* counts,
) noexcept nogil:
    """Add data[start:stop] to counts, one count per bin."""
    # bins comes by value: a local copy, which the stores into counts cannot
    # alias, so the compiler keeps it in registers instead of reloading it.
    cdef Py_ssize_t i, b
    for i in range(start, stop):
        b = bin_index(&bins, data[i])
        if b >= 0:
            counts[b] += 1


cdef class HistogramJob:
    """One histogram to compute, its values split into chunks that threads claim.

    ``work()`` may be called from any number of threads at once: each call
    counts, with the GIL released, the chunks it takes from a shared atomic
    counter into a histogram of its own, and returns it. Nothing is shared
    but the read-only data and the counter, so no count is lost and no lock
    is needed; the caller adds up the returned histograms.
    """

    cdef const double[::1] data
    cdef const double[::1] edges
    cdef UniformBins bins
    cdef Py_ssize_t chunk, n_chunks
    cdef int64_t next_chunk

    def __cinit__(self, const double[::1] data not None, const double[::1] edges not None,
                  Py_ssize_t chunk):
        if chunk < 1:
            raise ValueError(f"chunk must be >= 1, got {chunk}")
        self.data = data
        self.edges = edges
        self.bins = uniform_bins(self.edges)
        self.chunk = chunk
        self.n_chunks = count_chunks(data.shape[0], chunk)
        self.next_chunk = 0

    def work(self):
        """Count chunks until every chunk is claimed; returns this call's counts (intp)."""
        counts = np.zeros(self.bins.n, dtype=np.intp)
        cdef Py_ssize_t[::1] out = counts
        cdef Py_ssize_t size = self.data.shape[0]
        cdef const double* data = &self.data[0] if size > 0 else NULL
        cdef Py_ssize_t start, stop
        with nogil:
            while claim_range(&self.next_chunk, self.n_chunks, self.chunk, size, &start, &stop):
                histogram_range(data, start, stop, self.bins, &out[0])
        return counts
