"""Pure-Python reference implementations: the definition each kernel must match.

They are written for clarity and for exact agreement with the kernels (same
operations in the same order, no complex type, whose abs() would round
differently), not for speed.
"""

import numpy as np

from ._histogram import check_histogram_args
from ._mandelbrot import DEFAULT_REGION, check_mandelbrot_args


def mandelbrot_row(y, width, height, max_iter, region):
    """Escape counts of row ``y`` as a list of ints (arguments already validated)."""
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


def mandelbrot(width, height, max_iter=256, *, region=DEFAULT_REGION):
    """Pure-Python nogilkit.mandelbrot: the same int32 (height, width) array."""
    width, height, max_iter, region = check_mandelbrot_args(width, height, max_iter, region)
    rows = [mandelbrot_row(y, width, height, max_iter, region) for y in range(height)]
    return np.array(rows, dtype=np.int32)


def histogram(data, bins, range):
    """Pure-Python nogilkit.histogram: numpy.histogram's counts, one value at a time.

    Each value's bin is estimated from its offset, then moved by one bin
    against the edges, in the steps and float64 arithmetic of numpy's
    uniform-bin path; Python floats are IEEE doubles, so the results agree.
    """
    data, edges = check_histogram_args(data, bins, range)
    edges = edges.tolist()
    n = len(edges) - 1
    first, last = edges[0], edges[-1]
    width = last - first
    counts = [0] * n
    for x in data.tolist():
        if not first <= x <= last:  # NaN fails too
            continue
        i = int((x - first) / width * n)
        if i == n:  # x == last belongs to the last bin
            i -= 1
        if x < edges[i]:
            i -= 1
        if x >= edges[i + 1] and i != n - 1:
            i += 1
        counts[i] += 1
    return np.array(counts, dtype=np.intp)
