"""numba versions of the workloads' chunks (the optional peer; needs nogilkit[numba]).

``nogil=True`` functions run under the threads strategies; the
``parallel=True`` ones are the numba-parallel strategy. They are only ever
called from one thread at a time: numba's default workqueue threading layer
must not be entered from several threads at once.
"""

import contextlib

import numba


@numba.njit(nogil=True, cache=False)
def _rows(out, width, height, row_start, row_stop, xmin, xmax, ymin, ymax, max_iter):
    dx = xmax - xmin
    dy = ymax - ymin
    for y in range(row_start, row_stop):
        ci = ymin + y * dy / height
        for x in range(width):
            cr = xmin + x * dx / width
            zr = 0.0
            zi = 0.0
            n = 0
            while n < max_iter:
                zr2 = zr * zr
                zi2 = zi * zi
                if zr2 + zi2 > 4.0:
                    break
                zi = 2.0 * zr * zi + ci
                zr = zr2 - zi2 + cr
                n += 1
            out[y - row_start, x] = n


@numba.njit(nogil=True, cache=False)
def mandelbrot_strided(out, height, first_row, stride, xmin, xmax, ymin, ymax, max_iter):
    for k in range(out.shape[0]):
        y = first_row + k * stride
        _rows(out[k:k + 1], out.shape[1], height, y, y + 1, xmin, xmax, ymin, ymax, max_iter)


@numba.njit(parallel=True, cache=False)
def mandelbrot_parallel(out, xmin, xmax, ymin, ymax, max_iter):
    height, width = out.shape
    for y in numba.prange(height):
        _rows(out[y:y + 1], width, height, y, y + 1, xmin, xmax, ymin, ymax, max_iter)


@contextlib.contextmanager
def numba_threads(n):
    """Run numba's parallel functions on n threads (at most its configured maximum)."""
    if n > numba.config.NUMBA_NUM_THREADS:
        raise ValueError(f"numba was configured for at most {numba.config.NUMBA_NUM_THREADS} "
                         f"threads (NUMBA_NUM_THREADS), {n} asked")
    old = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(old)

