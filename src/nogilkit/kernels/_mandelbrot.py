"""The Mandelbrot family: escape counts of the Mandelbrot set on a pixel grid.

``mandelbrot`` (the nogil kernel, ``nogilkit.mandelbrot``), its pure-Python
definition (``reference_mandelbrot``), its NumPy twin (``numpy_mandelbrot``),
numba versions (when numba is installed) and the workload ``mandelbrot`` of
the comparison engine: independent rows of very uneven cost.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import _validation
from .._ext.mandelbrot import MandelbrotJob, mandelbrot_openmp, mandelbrot_strided
from .._workload import CheckFailed, Problem, SourceChunk, Workload
from ._family import Benchmark, Family
from ._pool import resolve_threads, run_job

__all__ = ["mandelbrot"]

DEFAULT_REGION = (-2.0, 0.5, -1.25, 1.25)

# Enough bands per thread that uneven rows even out; claiming a band costs
# one atomic add, so small bands are cheap.
BANDS_PER_THREAD = 64


def check_mandelbrot_args(width, height, max_iter, region):
    """The validated (width, height, max_iter, region) shared by every implementation."""
    return (
        _validation.positive_int("width", width),
        _validation.positive_int("height", height),
        _validation.positive_int("max_iter", max_iter, maximum=_validation.INT32_MAX),
        _validation.region(region),
    )


def mandelbrot(width: int, height: int, max_iter: int = 256, *,
               region: tuple[float, float, float, float] = DEFAULT_REGION,
               threads: int | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """Escape-time counts of the Mandelbrot set, computed with the GIL released.

    Pixel (row ``y``, column ``x``) is the point
    ``c = (xmin + x*(xmax-xmin)/width) + 1j*(ymin + y*(ymax-ymin)/height)``.
    Its value is the number of iterations ``z <- z*z + c``, from ``z = 0``,
    done before ``|z|**2 > 4``, at most ``max_iter`` (the escape test comes
    before each iteration). Points of the set therefore read ``max_iter``.

    Parameters
    ----------
    width, height : int
        Image size in pixels, each >= 1.
    max_iter : int
        Iteration cap, 1 <= max_iter <= 2**31 - 1.
    region : (xmin, xmax, ymin, ymax)
        The rectangle of the complex plane; finite, xmin < xmax, ymin < ymax.
    threads : int or None
        Threads to use: None for ``nogilkit.default_threads()`` (the CPUs
        available to the process, capped by a cgroup quota, OMP_NUM_THREADS and
        threadpoolctl), 1 to run in the calling thread; a number is used as
        given, over those limits. Rows are split into small bands handed out
        dynamically to a shared, reused thread pool; the result does not
        depend on ``threads``.
    out : numpy.ndarray, optional
        A writeable, C-contiguous int32 array of shape (height, width) to fill
        instead of allocating one. It is rejected, not copied, otherwise.

    Returns
    -------
    numpy.ndarray
        int32 array of shape (height, width) (``out`` when given).

    Notes
    -----
    The arithmetic is that of the definition, without fused multiply-add, so
    the result equals ``nogilkit.reference.mandelbrot`` bit for bit.

    Examples
    --------
    >>> import nogilkit
    >>> image = nogilkit.mandelbrot(8, 4, max_iter=50, threads=1)
    >>> image.shape, image.dtype.name
    ((4, 8), 'int32')
    >>> int(image.max())
    50
    """
    width, height, max_iter, region = check_mandelbrot_args(width, height, max_iter, region)
    threads = resolve_threads(threads)
    out = _validation.output_array("out", out, {"height": height, "width": width}, np.int32)
    band_rows = max(1, height // (BANDS_PER_THREAD * threads))
    job = MandelbrotJob(out, *region, max_iter, band_rows)
    run_job(job, threads)
    return out


# -- the definition, in pure Python ------------------------------------------------------


def mandelbrot_row(y, width, height, max_iter, region):
    """Escape counts of row ``y`` as a list of ints (arguments already validated).

    Written for clarity and exact agreement with the kernel (same operations
    in the same order, no complex type, whose abs() would round differently),
    not for speed; uses builtins only, so that it also runs from its source
    in a subinterpreter.
    """
    xmin, xmax, ymin, ymax = region
    dx = xmax - xmin
    ci = ymin + y * (ymax - ymin) / height
    row = []
    for x in range(width):
        cr = xmin + x * dx / width
        zr = zi = 0.0
        n = 0
        while n < max_iter:
            zr2 = zr * zr
            zi2 = zi * zi
            if zr2 + zi2 > 4.0:
                break
            zi = 2.0 * zr * zi + ci
            zr = zr2 - zi2 + cr
            n += 1
        row.append(n)
    return row


def reference_mandelbrot(width, height, max_iter=256, *, region=DEFAULT_REGION):
    """Pure-Python nogilkit.mandelbrot: the same int32 (height, width) array."""
    width, height, max_iter, region = check_mandelbrot_args(width, height, max_iter, region)
    rows = [mandelbrot_row(y, width, height, max_iter, region) for y in range(height)]
    return np.array(rows, dtype=np.int32)


def mandelbrot_chunk(first, stride, width, height, max_iter, region):
    """Escape counts of rows ``first, first + stride, ...`` as lists of ints
    (with mandelbrot_row, shipped as source to subinterpreters)."""
    return [mandelbrot_row(y, width, height, max_iter, region)
            for y in range(first, height, stride)]


# -- the NumPy twin ----------------------------------------------------------------------


def numpy_mandelbrot(width, height, max_iter=256, *, region=DEFAULT_REGION):
    """NumPy nogilkit.mandelbrot: the same int32 (height, width) array."""
    width, height, max_iter, region = check_mandelbrot_args(width, height, max_iter, region)
    return numpy_rows(width, height, max_iter, region, np.arange(height))


def numpy_rows(width, height, max_iter, region, row_indices):
    """The image's rows ``row_indices`` (an int array), arguments already validated.

    Each iteration works on the points that have not escaped yet, compacted
    into dense arrays, so finished points cost nothing.
    """
    xmin, xmax, ymin, ymax = region
    rows = len(row_indices)
    cr = np.tile(xmin + np.arange(width) * (xmax - xmin) / width, rows)
    ci = np.repeat(ymin + np.asarray(row_indices) * (ymax - ymin) / height, width)
    counts = np.zeros(width * rows, dtype=np.int32)
    index = np.arange(width * rows)
    zr = np.zeros_like(cr)
    zi = np.zeros_like(ci)
    # A far-out c overflows |z|**2 to inf, which escapes as it should.
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(max_iter):
            zr2 = zr * zr
            zi2 = zi * zi
            keep = ~(zr2 + zi2 > 4.0)  # the definition's test, NaN included
            if not keep.all():
                index, zr, zi, zr2, zi2, cr, ci = (
                    a[keep] for a in (index, zr, zi, zr2, zi2, cr, ci)
                )
                if index.size == 0:
                    break
            counts[index] += 1
            zi = 2.0 * zr * zi + ci
            zr = zr2 - zi2 + cr
    return counts.reshape(rows, width)


# -- numba, the optional peer (nogilkit[numba]) --------------------------------------------


@functools.cache
def numba_functions():
    """(rows strided, whole image with parallel=True), compiled on first use.

    ``nogil=True`` for the threads strategies; the ``parallel=True`` one is the
    numba-parallel strategy, only ever called from one thread at a time (numba's
    default workqueue threading layer must not be entered from several at once).
    """
    import numba

    @numba.njit(nogil=True, cache=False)
    def rows(out, width, height, row_start, row_stop, xmin, xmax, ymin, ymax, max_iter):
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
    def strided(out, height, first_row, stride, xmin, xmax, ymin, ymax, max_iter):
        for k in range(out.shape[0]):
            y = first_row + k * stride
            rows(out[k:k + 1], out.shape[1], height, y, y + 1, xmin, xmax, ymin, ymax, max_iter)

    @numba.njit(parallel=True, cache=False)
    def parallel(out, xmin, xmax, ymin, ymax, max_iter):
        height, width = out.shape
        for y in numba.prange(height):
            rows(out[y:y + 1], width, height, y, y + 1, xmin, xmax, ymin, ymax, max_iter)

    return strided, parallel


def numba_threads(n):
    """A context in which numba's parallel functions run on n threads."""
    import contextlib

    import numba

    @contextlib.contextmanager
    def limited():
        if n > numba.config.NUMBA_NUM_THREADS:
            raise ValueError(f"numba was configured for at most {numba.config.NUMBA_NUM_THREADS} "
                             f"threads (NUMBA_NUM_THREADS), {n} asked")
        old = numba.get_num_threads()
        numba.set_num_threads(n)
        try:
            yield
        finally:
            numba.set_num_threads(old)

    return limited()


# -- the workload ------------------------------------------------------------------------


class MandelbrotWorkload(Workload):
    """Workload ``mandelbrot``: escape counts, rows of very uneven cost.

    Chunks are interleaved sets of rows. Sizes (width x height, max_iter): tiny
    48x32/64, small 480x360/256, medium 1000x800/256, large 2000x2000/256. The
    expected image is the pure-Python reference for tiny and small, and the
    NumPy version (equal to it bit for bit, tests/test_mandelbrot.py) above that.
    """

    name = "mandelbrot"
    summary = "Mandelbrot escape counts: independent rows of very uneven cost"
    sizes = {
        "tiny": {"width": 48, "height": 32, "max_iter": 64},
        "small": {"width": 480, "height": 360, "max_iter": 256},
        "medium": {"width": 1000, "height": 800, "max_iter": 256},
        "large": {"width": 2000, "height": 2000, "max_iter": 256},
    }
    implementations = ("python", "numpy", "cython", "cython-baseline", "numba")
    vector_kernel = "mandelbrot"
    source_chunks = {"python": SourceChunk(
        (mandelbrot_row, mandelbrot_chunk),
        lambda p, spec: (*spec, p["width"], p["height"], p["max_iter"], tuple(p["region"])),
        lambda p, rows: np.array(rows, dtype=np.int32).reshape(-1, p["width"]),
    )}

    def prepare(self, size):
        params = dict(self.sizes[size], region=DEFAULT_REGION)
        exact = reference_mandelbrot if size in ("tiny", "small") else numpy_mandelbrot
        expected = exact(params["width"], params["height"], params["max_iter"],
                         region=DEFAULT_REGION)
        return Problem(self.name, size, params, expected=expected,
                       description=f"{params['width']}x{params['height']}, max_iter {params['max_iter']}")

    def split(self, problem, n_chunks):
        # Interleaved rows (chunk k takes rows k, k + n, k + 2n, ...): rows near
        # the set cost far more than rows far from it, and interleaving gives
        # every chunk the same mix, so no worker is left with the slow ones.
        n = max(1, min(n_chunks, problem.params["height"]))
        return [(k, n) for k in range(n)]

    def run_chunk(self, params, arrays, spec, implementation):
        first, stride = spec
        width, height, max_iter, region = (params[k] for k in ("width", "height", "max_iter", "region"))
        rows = range(first, height, stride)
        if implementation == "python":
            return np.array(mandelbrot_chunk(first, stride, width, height, max_iter, region),
                            dtype=np.int32).reshape(-1, width)
        if implementation == "numpy":
            return numpy_rows(width, height, max_iter, region, np.arange(first, height, stride))
        out = np.empty((len(rows), width), dtype=np.int32)
        if implementation == "cython":
            strided = mandelbrot_strided
        elif implementation == "numba":
            strided = numba_functions()[0]
        else:
            raise ValueError(f"unknown implementation {implementation!r}")
        strided(out, height, first, stride, *region, max_iter)
        return out

    def combine(self, problem, specs, partials):
        p = problem.params
        image = np.empty((p["height"], p["width"]), dtype=np.int32)
        for (first, stride), rows in zip(specs, partials):
            image[first::stride] = rows
        return image

    def check(self, problem, result):
        if result.shape != problem.expected.shape:
            raise CheckFailed(f"image has shape {result.shape}, expected {problem.expected.shape}")
        wrong = int(np.count_nonzero(result != problem.expected))
        if wrong:
            raise CheckFailed(f"{wrong} of {result.size} pixels differ from the reference")

    def parallel_loops(self):
        return {"openmp": self._openmp, "numba": self._numba_parallel}

    @staticmethod
    def _openmp(problem, workers):
        p = problem.params
        out = np.empty((p["height"], p["width"]), dtype=np.int32)
        mandelbrot_openmp(out, *p["region"], p["max_iter"], workers)
        return out

    @staticmethod
    def _numba_parallel(problem, workers):
        p = problem.params
        out = np.empty((p["height"], p["width"]), dtype=np.int32)
        with numba_threads(workers):
            numba_functions()[1](out, *p["region"], p["max_iter"])
        return out


def _image(threads):
    out = np.empty((400, 600), dtype=np.int32)
    return functools.partial(mandelbrot, 600, 400, 256, threads=threads, out=out)


FAMILY = Family(
    name="mandelbrot",
    kernels=(mandelbrot,),
    workload=MandelbrotWorkload(),
    references={"mandelbrot": reference_mandelbrot, "mandelbrot_row": mandelbrot_row},
    numpy={"mandelbrot": numpy_mandelbrot, "mandelbrot_rows": numpy_rows},
    benchmarks=(Benchmark("mandelbrot", "Mandelbrot", _image),),
)
