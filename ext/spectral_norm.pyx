"""Spectral norm (the Computer Language Benchmarks Game): products with A and A^T.

A[i, j] = 1 / ((i+j)(i+j+1)/2 + i + 1), 0-based. Each product is split into
bands of output rows that threads claim; the public entry point is
nogilkit.spectral_norm.
"""

from cpython.pyport cimport PY_SSIZE_T_MAX
from libc.stdint cimport int64_t

from _parallel cimport nogilkit_add_release, nogilkit_load_acquire, nogilkit_yield
from nogilkit._ext._jobs cimport ChunkJob, Poll, end_poll, new_poll, stopped

cdef extern from "simd_spectral_norm.h" nogil:
    ctypedef void (*nk_spectral_group_fn)(const double* u, double* out, Py_ssize_t n,
                                          Py_ssize_t start, Py_ssize_t count,
                                          int transpose) noexcept nogil
    Py_ssize_t NK_SPECTRAL_MAX_N
    int NK_SPECTRAL_AUTO_CAP
    nk_spectral_group_fn nk_spectral_group_for(int level)
    Py_ssize_t nk_spectral_group_rows(int level)

# The instruction set of the products (nogilkit_simd.h), set by nogilkit._simd.
SIMD_AUTO_CAP = NK_SPECTRAL_AUTO_CAP  # the level "auto" stops at
cdef int simd_level = 0
cdef nk_spectral_group_fn simd_group = NULL  # NULL: the baseline, product_rows' own loop
cdef Py_ssize_t simd_group_rows = 1


def use_simd_level(int level):
    """Compute products with the functions of instruction-set ``level`` (the
    caller checked that the CPU has it)."""
    global simd_level, simd_group, simd_group_rows
    simd_level, simd_group = level, nk_spectral_group_for(level)
    simd_group_rows = nk_spectral_group_rows(level)


def simd_level_in_use():
    return simd_level


cdef inline double denominator(int64_t i, int64_t j) noexcept nogil:
    """1 / A[i, j] as a double (exact integer arithmetic first)."""
    return <double>((i + j) * (i + j + 1) // 2 + i + 1)


cdef void product_rows(const double* u, double* out, Py_ssize_t n,
                       Py_ssize_t start, Py_ssize_t stop, bint transpose, Poll* poll) noexcept nogil:
    """out[i - start] = sum_j M[i, j] * u[j] for i in [start, stop), M = A or A^T.

    Each term is u[j] / (1 / M[i, j]): one rounding instead of two. The sum
    runs over j in order, so a row's value never depends on which thread
    computed it. Polls after each row (n terms).
    """
    cdef Py_ssize_t i, j
    cdef double s
    cdef nk_spectral_group_fn group = simd_group
    cdef Py_ssize_t rows = simd_group_rows
    if group != NULL and n <= NK_SPECTRAL_MAX_N:
        # Groups of rows side by side, each row's sum still in index order
        # (the last group computes rows past ``stop`` without storing them).
        i = start
        while i < stop:
            if i > start and stopped(poll):
                return
            group(u, out + (i - start), n, i, min(rows, stop - i), transpose)
            i += rows
        return
    for i in range(start, stop):
        if i > start and stopped(poll):
            return
        s = 0.0
        if transpose:
            for j in range(n):
                s = s + u[j] / denominator(j, i)
        else:
            for j in range(n):
                s = s + u[j] / denominator(i, j)
        out[i - start] = s


cdef class PowerJob(ChunkJob):
    """The power iterations, ``iterations`` x (v = A^T A u; u = A^T A v), as
    one job: 4 * iterations products, each in bands of rows claimed by any
    number of threads.

    Chunk k is band k % bands of product k // bands. Chunks are claimed in
    order, so a thread that claims a band of the next product waits (in C,
    without the GIL) until every band of this one is done: the threads meet
    at a barrier between products without returning to Python, which would
    cost each product a dispatch to the pool and a wake-up of its threads.
    """

    cdef double[::1] u, v, scratch
    cdef Py_ssize_t band_rows, bands
    cdef int64_t done  # chunks finished

    def __cinit__(self, double[::1] u not None, double[::1] v not None,
                  double[::1] scratch not None, Py_ssize_t iterations, Py_ssize_t band_rows):
        cdef Py_ssize_t n = u.shape[0]
        if not (v.shape[0] == scratch.shape[0] == n):
            raise ValueError(f"u, v and scratch must have the same length, got "
                             f"{n}, {v.shape[0]} and {scratch.shape[0]}")
        if iterations < 1:
            raise ValueError(f"iterations must be >= 1, got {iterations}")
        self.u, self.v, self.scratch = u, v, scratch
        self.set_chunks(n, band_rows, "band_rows")  # checks band_rows
        self.band_rows, self.bands = band_rows, self.n_chunks
        if iterations > PY_SSIZE_T_MAX // (4 * self.bands):
            raise ValueError(f"iterations must be at most {PY_SSIZE_T_MAX // (4 * self.bands)} "
                             f"for n={n} in bands of {band_rows} rows, got {iterations}")
        self.n_chunks = 4 * iterations * self.bands
        self.done = 0

    cdef void run_chunk(self, Py_ssize_t index, void* scratch, Poll* poll) noexcept nogil:
        cdef Py_ssize_t n = self.u.shape[0]
        cdef Py_ssize_t product = index // self.bands
        cdef Py_ssize_t start = (index % self.bands) * self.band_rows
        cdef int64_t spins = 0
        # The products of one iteration: u -> scratch -> v -> scratch -> u.
        cdef double* src
        cdef double* dst
        cdef int step = product % 4
        if step == 0:
            src, dst = &self.u[0], &self.scratch[0]
        elif step == 1:
            src, dst = &self.scratch[0], &self.v[0]
        elif step == 2:
            src, dst = &self.v[0], &self.scratch[0]
        else:
            src, dst = &self.scratch[0], &self.u[0]
        while nogilkit_load_acquire(&self.done) < product * self.bands:
            spins += 1
            if spins % 1024 == 0:  # a band takes far longer: give way, look for a stop
                if stopped(poll):
                    return
                nogilkit_yield()
        product_rows(src, dst + start, n, start, min(start + self.band_rows, n), step % 2 == 1,
                     poll)
        nogilkit_add_release(&self.done, 1)


def dot(const double[::1] a not None, const double[::1] b not None):
    """sum(a[i] * b[i]) in index order, without the GIL (matches the reference)."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must have the same length, got {a.shape[0]} and {b.shape[0]}")
    cdef Py_ssize_t i
    cdef double s = 0.0
    with nogil:
        for i in range(a.shape[0]):
            s = s + a[i] * b[i]
    return s


def product_band(const double[::1] u not None, double[::1] out not None,
                 Py_ssize_t start, bint transpose):
    """Rows [start, start + len(out)) of A @ u (or A.T @ u) into out, GIL released.

    One chunk of work for the comparison engine's strategies.
    """
    cdef Py_ssize_t n = u.shape[0]
    cdef Py_ssize_t rows = out.shape[0]
    if start < 0 or start + rows > n:
        raise ValueError(f"rows [{start}, {start + rows}) are not inside a product of length {n}")
    if rows == 0:
        return
    cdef int64_t stop = 0
    cdef Poll poll = new_poll(&stop)
    with nogil:
        product_rows(&u[0], &out[0], n, start, start + rows, transpose, &poll)
    end_poll(&poll)
