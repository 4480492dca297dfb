"""Memory-bandwidth-bound kernels: the STREAM triad and a reproducible sum.

The public, validating entry points are nogilkit.triad and nogilkit.total.
"""

from nogilkit._ext._jobs cimport ChunkJob, Poll

# total() sums fixed blocks of SUM_BLOCK values, each with SUM_LANES interleaved
# accumulators (independent adds keep the core busy), then combines the block
# sums pairwise. Blocks never depend on the thread count, so neither does the
# result. nogilkit.reference.total follows the same order.
cdef extern from "simd_stream.h" nogil:
    enum:
        SUM_BLOCK "NK_SUM_BLOCK"
        SUM_LANES "NK_SUM_LANES"
    ctypedef void (*nk_triad_fn)(double* a, const double* b, const double* c, double scalar,
                                 Py_ssize_t n) noexcept nogil
    ctypedef void (*nk_block_sums_fn)(const double* x, Py_ssize_t n,
                                      double* sums) noexcept nogil
    int NK_TRIAD_AUTO_CAP
    int NK_TOTAL_AUTO_CAP
    nk_triad_fn nk_triad_for(int level)
    nk_block_sums_fn nk_block_sums_for(int level)

# The instruction set of each kernel (nogilkit_simd.h), set by nogilkit._simd
# through triad_simd and total_simd; 0, the baseline, is this module's loops.
cdef int triad_level = 0
cdef int total_level = 0


cdef class VectorPath:
    """One kernel's instruction set: what the module of a single vectorised
    kernel offers nogilkit._simd (SIMD_AUTO_CAP, use_simd_level,
    simd_level_in_use), for each of this module's two."""

    cdef int* level
    cdef int (*has_level)(int level) noexcept
    cdef readonly int SIMD_AUTO_CAP  # the level "auto" stops at

    def use_simd_level(self, int level):
        """Run the kernel with the functions of instruction-set ``level`` if it
        has them, else the baseline (the caller checked that the CPU has it)."""
        self.level[0] = level if self.has_level(level) else 0

    def simd_level_in_use(self):
        return self.level[0]


cdef int triad_has_level(int level) noexcept:
    return nk_triad_for(level) != NULL


cdef int total_has_level(int level) noexcept:
    return nk_block_sums_for(level) != NULL


cdef VectorPath vector_path(int* level, int cap, int (*has_level)(int level) noexcept):
    cdef VectorPath path = VectorPath.__new__(VectorPath)
    path.level, path.SIMD_AUTO_CAP, path.has_level = level, cap, has_level
    return path


triad_simd = vector_path(&triad_level, NK_TRIAD_AUTO_CAP, triad_has_level)
total_simd = vector_path(&total_level, NK_TOTAL_AUTO_CAP, total_has_level)


cdef class TriadJob(ChunkJob):
    """a[i] = b[i] + scalar * c[i], in chunks claimed by any number of threads."""

    cdef double[::1] a
    cdef const double[::1] b
    cdef const double[::1] c
    cdef double scalar
    cdef Py_ssize_t chunk

    def __cinit__(self, double[::1] a not None, const double[::1] b not None,
                  const double[::1] c not None, double scalar, Py_ssize_t chunk):
        if not (a.shape[0] == b.shape[0] == c.shape[0]):
            raise ValueError("a, b and c must have the same length")
        self.a, self.b, self.c = a, b, c
        self.scalar = scalar
        self.chunk = chunk
        self.set_chunks(a.shape[0], chunk)

    cdef void run_chunk(self, Py_ssize_t index, void* scratch, Poll* poll) noexcept nogil:
        cdef Py_ssize_t i, start = index * self.chunk
        cdef Py_ssize_t stop = min(start + self.chunk, self.a.shape[0])
        cdef double* a = &self.a[0]
        cdef const double* b = &self.b[0]
        cdef const double* c = &self.c[0]
        cdef double scalar = self.scalar
        cdef nk_triad_fn vector = nk_triad_for(triad_level)
        if vector != NULL:
            vector(a + start, b + start, c + start, scalar, stop - start)
            return
        for i in range(start, stop):
            a[i] = b[i] + scalar * c[i]


cdef double block_sum(const double* x, Py_ssize_t n) noexcept nogil:
    """Sum of n <= SUM_BLOCK values: SUM_LANES interleaved sums, combined pairwise."""
    cdef double lane[SUM_LANES]
    cdef Py_ssize_t i, k, row, full = n - n % SUM_LANES
    for k in range(SUM_LANES):
        lane[k] = 0.0
    for row in range(full // SUM_LANES):
        i = row * SUM_LANES
        for k in range(SUM_LANES):
            lane[k] = lane[k] + x[i + k]
    for i in range(full, n):
        lane[i - full] = lane[i - full] + x[i]
    return (((lane[0] + lane[1]) + (lane[2] + lane[3]))
            + ((lane[4] + lane[5]) + (lane[6] + lane[7])))


cdef double pairwise(const double* x, Py_ssize_t n) noexcept nogil:
    """Pairwise sum: the halves [0, n//2) and [n//2, n), recursively."""
    if n == 1:
        return x[0]
    cdef Py_ssize_t half = n // 2
    return pairwise(x, half) + pairwise(x + half, n - half)


cdef class TotalJob(ChunkJob):
    """Block sums of x, in chunks of blocks claimed by any number of threads."""

    cdef const double[::1] x
    cdef double[::1] sums
    cdef Py_ssize_t blocks_per_chunk

    def __cinit__(self, const double[::1] x not None, double[::1] sums not None,
                  Py_ssize_t blocks_per_chunk):
        cdef Py_ssize_t n_blocks = (x.shape[0] + SUM_BLOCK - 1) // SUM_BLOCK
        if sums.shape[0] != n_blocks:
            raise ValueError(f"sums must have length {n_blocks} (one per block), got {sums.shape[0]}")
        self.x = x
        self.sums = sums
        self.blocks_per_chunk = blocks_per_chunk
        self.set_chunks(n_blocks, blocks_per_chunk, "blocks_per_chunk")

    cdef void run_chunk(self, Py_ssize_t index, void* scratch, Poll* poll) noexcept nogil:
        cdef Py_ssize_t n = self.x.shape[0]
        cdef Py_ssize_t block, start
        cdef Py_ssize_t first = index * self.blocks_per_chunk
        cdef Py_ssize_t last = min(first + self.blocks_per_chunk, self.sums.shape[0])
        cdef nk_block_sums_fn vector = nk_block_sums_for(total_level)
        # The vector sums load from 64-byte boundaries: x's doubles must be aligned.
        if vector != NULL and <size_t>&self.x[0] % sizeof(double) == 0:
            start = first * SUM_BLOCK
            vector(&self.x[start], min(last * SUM_BLOCK, n) - start, &self.sums[first])
            return
        for block in range(first, last):
            start = block * SUM_BLOCK
            self.sums[block] = block_sum(&self.x[start], min(<Py_ssize_t>SUM_BLOCK, n - start))

    def result(self):
        """The total, once every work() call has returned (0.0 for no values)."""
        if self.x.shape[0] == 0:
            return 0.0
        cdef double s
        cdef Py_ssize_t n_blocks = self.sums.shape[0]
        cdef const double* sums = &self.sums[0]
        with nogil:
            s = pairwise(sums, n_blocks)
        return s


SUM_BLOCK_SIZE = SUM_BLOCK
SUM_LANE_COUNT = SUM_LANES
