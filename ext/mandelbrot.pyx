"""Mandelbrot escape counts: a nogil core over a band of rows, shared by threads.

The public, validating entry point is nogilkit.mandelbrot; this module holds
the compiled part only.
"""

from libc.stdint cimport int32_t, int64_t

from cython.parallel cimport prange, threadid

from nogilkit._ext._jobs cimport ChunkJob, Poll, end_poll, new_poll, stopped

cdef extern from "simd_mandelbrot.h" nogil:
    ctypedef int (*nk_stop_fn)(void* ctx) noexcept nogil
    ctypedef int (*nk_mandel_row_fn)(int32_t* row, Py_ssize_t width, double xmin, double dx,
                                     double ci, int32_t max_iter, nk_stop_fn stop,
                                     void* ctx) noexcept nogil
    int NK_MANDEL_AUTO_CAP
    nk_mandel_row_fn nk_mandel_row_for(int level)

# The instruction set of the rows (nogilkit_simd.h), set by nogilkit._simd.
SIMD_AUTO_CAP = NK_MANDEL_AUTO_CAP  # the level "auto" stops at
cdef int simd_level = 0
cdef nk_mandel_row_fn simd_row = NULL  # NULL: the baseline, mandelbrot_rows' own loop


def use_simd_level(int level):
    """Compute rows with the functions of instruction-set ``level`` (the caller
    checked that the CPU has it)."""
    global simd_level, simd_row
    simd_level, simd_row = level, nk_mandel_row_for(level)


def simd_level_in_use():
    return simd_level


cdef int poll_stopped(void* poll) noexcept nogil:
    return stopped(<Poll*>poll)


# Pixels iterated side by side. One pixel's iterations form a dependency
# chain bound by floating-point latency; independent lanes keep the core busy
# (gcc 12, -O3, 2000x2000: 1 lane 0.74 s, 2: 0.38 s, 4: 0.26 s, 8: 0.29 s).
# Each lane's arithmetic is exactly the scalar definition's, so counts match.
cdef enum:
    LANES = 4
    # Iterations between two polls: a pixel may take up to 2**31 - 1 of them
    # (seconds), so a long one is interruptible; 256 never reach a poll.
    SEGMENT = 65536


cdef void mandelbrot_rows(
    int32_t* out, Py_ssize_t width, Py_ssize_t height,
    Py_ssize_t row_start, Py_ssize_t row_stop,
    double xmin, double xmax, double ymin, double ymax, int32_t max_iter, Poll* poll,
) noexcept nogil:
    """Rows [row_start, row_stop) of the (height, width) image into out.

    ``out`` points at the first of those rows; rows are ``width`` apart. Polls
    after each row and every SEGMENT iterations, and returns early (leaving
    rows unfinished) once ``poll`` says the work is stopped.
    """
    cdef double dx = xmax - xmin
    cdef double dy = ymax - ymin
    cdef double ci, zr2, zi2
    cdef double cr[LANES]
    cdef double zr[LANES]
    cdef double zi[LANES]
    cdef int64_t active[LANES]
    cdef int64_t count[LANES]
    cdef int64_t any_active
    cdef Py_ssize_t y, block, x0, k, lanes
    cdef int32_t it, done, segment_end
    cdef int32_t* row
    cdef nk_mandel_row_fn vector_row = simd_row

    if vector_row != NULL:
        for y in range(row_start, row_stop):
            if y > row_start and stopped(poll):
                return
            ci = ymin + y * dy / height
            if vector_row(out + (y - row_start) * width, width, xmin, dx, ci, max_iter,
                          poll_stopped, poll):
                return
        return

    for y in range(row_start, row_stop):
        if y > row_start and stopped(poll):
            return
        ci = ymin + y * dy / height
        row = out + (y - row_start) * width
        for block in range((width + LANES - 1) // LANES):
            x0 = block * LANES
            lanes = min(<Py_ssize_t>LANES, width - x0)
            for k in range(LANES):
                cr[k] = xmin + (x0 + k) * dx / width
                zr[k] = 0.0
                zi[k] = 0.0
                count[k] = 0
                active[k] = k < lanes
            done = 0
            any_active = 1
            while any_active and done < max_iter:
                segment_end = done + SEGMENT if max_iter - done > SEGMENT else max_iter
                for it in range(done, segment_end):
                    any_active = 0
                    for k in range(LANES):
                        zr2 = zr[k] * zr[k]
                        zi2 = zi[k] * zi[k]
                        # The escape test of the definition, before each iteration
                        # (written as "not >" so a NaN behaves as in the reference).
                        # A lane that escaped keeps computing but is never counted
                        # again: its mask is sticky.
                        active[k] = active[k] & (not (zr2 + zi2 > 4.0))
                        count[k] += active[k]
                        any_active |= active[k]
                        zi[k] = 2.0 * zr[k] * zi[k] + ci
                        zr[k] = zr2 - zi2 + cr[k]
                    if not any_active:
                        break
                done = segment_end
                if any_active and done < max_iter and stopped(poll):
                    return
            for k in range(lanes):
                row[x0 + k] = <int32_t>count[k]


cdef class MandelbrotJob(ChunkJob):
    """One image to compute, in bands of ``band_rows`` rows that threads claim."""

    cdef int32_t[:, ::1] out
    cdef double xmin, xmax, ymin, ymax
    cdef int32_t max_iter
    cdef Py_ssize_t band_rows

    def __cinit__(self, int32_t[:, ::1] out not None, double xmin, double xmax,
                  double ymin, double ymax, int32_t max_iter, Py_ssize_t band_rows):
        if max_iter < 0:
            raise ValueError(f"max_iter must be >= 0, got {max_iter}")
        self.out = out
        self.xmin, self.xmax, self.ymin, self.ymax = xmin, xmax, ymin, ymax
        self.max_iter = max_iter
        self.band_rows = band_rows
        # An image without pixels has nothing to claim.
        self.set_chunks(out.shape[0] if out.shape[1] > 0 else 0, band_rows, "band_rows")

    cdef void run_chunk(self, Py_ssize_t band, void* scratch, Poll* poll) noexcept nogil:
        cdef Py_ssize_t height = self.out.shape[0]
        cdef Py_ssize_t width = self.out.shape[1]
        cdef Py_ssize_t start = band * self.band_rows
        mandelbrot_rows(&self.out[start, 0], width, height, start,
                        min(start + self.band_rows, height),
                        self.xmin, self.xmax, self.ymin, self.ymax, self.max_iter, poll)


def mandelbrot_strided(int32_t[:, ::1] out not None, Py_ssize_t height, Py_ssize_t first_row,
                       Py_ssize_t stride, double xmin, double xmax, double ymin, double ymax,
                       int32_t max_iter):
    """Rows first_row, first_row + stride, ... of a (height, out.shape[1]) image into
    the rows of out, with the GIL released.

    One chunk of work for the comparison engine: interleaved rows give every
    chunk a fair share of the cheap and the expensive rows.
    """
    cdef Py_ssize_t rows = out.shape[0]
    cdef Py_ssize_t width = out.shape[1]
    cdef Py_ssize_t k, y
    cdef int64_t stop = 0
    cdef Poll poll = new_poll(&stop)
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    if first_row < 0 or (rows > 0 and first_row + (rows - 1) * stride >= height):
        raise ValueError(f"{rows} rows from {first_row} every {stride} are not inside an "
                         f"image of height {height}")
    if rows == 0 or width == 0:
        return
    with nogil:
        for k in range(rows):
            y = first_row + k * stride
            mandelbrot_rows(&out[k, 0], width, height, y, y + 1,
                            xmin, xmax, ymin, ymax, max_iter, &poll)
            if stopped(&poll):
                break
    end_poll(&poll)


def mandelbrot_openmp(int32_t[:, ::1] out not None, double xmin, double xmax,
                      double ymin, double ymax, int32_t max_iter, int num_threads):
    """The whole image with an OpenMP ``prange`` over rows (dynamic schedule).

    The comparison engine's ``openmp`` strategy; without an OpenMP build the
    loop runs on one thread.
    """
    cdef Py_ssize_t height = out.shape[0]
    cdef Py_ssize_t width = out.shape[1]
    cdef Py_ssize_t y
    cdef int64_t stop = 0
    cdef Poll poll = new_poll(&stop)
    cdef Poll mine  # each OpenMP thread's copy; only the caller's runs signal handlers
    if num_threads < 1:
        raise ValueError(f"num_threads must be >= 1, got {num_threads}")
    if height == 0 or width == 0:
        return
    with nogil:
        for y in prange(height, schedule="dynamic", num_threads=num_threads):
            mine = poll
            mine.main = poll.main and threadid() == 0
            if not stopped(&mine):
                mandelbrot_rows(&out[y, 0], width, height, y, y + 1,
                                xmin, xmax, ymin, ymax, max_iter, &mine)
    end_poll(&poll)
