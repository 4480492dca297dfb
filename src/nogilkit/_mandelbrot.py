"""nogilkit.mandelbrot: escape counts of the Mandelbrot set on a pixel grid."""

import numpy as np

from . import _validation
from ._ext.mandelbrot import MandelbrotJob
from ._parallel import resolve_threads, run_job

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


def mandelbrot(width, height, max_iter=256, *, region=DEFAULT_REGION, threads=None, out=None):
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
        Threads to use: None for every CPU available to the process, 1 to run
        in the calling thread. Rows are split into small bands handed out
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
    """
    width, height, max_iter, region = check_mandelbrot_args(width, height, max_iter, region)
    threads = resolve_threads(threads)
    out = _validation.output_array("out", out, (height, width), np.int32)
    band_rows = max(1, height // (BANDS_PER_THREAD * threads))
    job = MandelbrotJob(out, *region, max_iter, band_rows)
    run_job(job.work, threads)
    return out
