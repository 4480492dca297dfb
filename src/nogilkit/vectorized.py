"""NumPy-vectorised versions of the kernels: whole-array operations, one thread."""

import numpy as np

from ._mandelbrot import DEFAULT_REGION, check_mandelbrot_args


def mandelbrot(width, height, max_iter=256, *, region=DEFAULT_REGION):
    """NumPy nogilkit.mandelbrot: the same int32 (height, width) array.

    Each iteration works on the points that have not escaped yet, compacted
    into dense arrays, so finished points cost nothing.
    """
    width, height, max_iter, region = check_mandelbrot_args(width, height, max_iter, region)
    xmin, xmax, ymin, ymax = region
    cr = np.tile(xmin + np.arange(width) * (xmax - xmin) / width, height)
    ci = np.repeat(ymin + np.arange(height) * (ymax - ymin) / height, width)
    counts = np.zeros(width * height, dtype=np.int32)
    index = np.arange(width * height)
    zr = np.zeros_like(cr)
    zi = np.zeros_like(ci)
    # A far-out c overflows |z|**2 to inf, which escapes as it should.
    with np.errstate(over="ignore"):
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
    return counts.reshape(height, width)
