# numpy.histogram's rule for uniform bins, shared by the histogram kernels.

from libc.math cimport isfinite


cdef struct UniformBins:
    const double* edges  # n + 1 strictly increasing, finite edges
    Py_ssize_t n
    double first, last  # edges[0], edges[n]
    double width  # last - first, finite and > 0
    double scale  # n as a double


cdef inline UniformBins uniform_bins(const double[::1] edges) except *:
    """The bins of ``edges``, once checked to be safe for bin_index.

    ``edges`` must stay alive, unchanged, while the result is in use.
    """
    cdef Py_ssize_t i, n = edges.shape[0] - 1
    cdef UniformBins bins
    if n < 1:
        raise ValueError(f"edges must have at least 2 items, got {n + 1}")
    for i in range(n + 1):
        if not isfinite(edges[i]):
            raise ValueError(f"edges must be finite, got edges[{i}]={edges[i]}")
        if i > 0 and not edges[i - 1] < edges[i]:
            raise ValueError(f"edges must increase strictly, got edges[{i - 1}:{i + 1}]="
                             f"[{edges[i - 1]}, {edges[i]}]")
    bins.edges = &edges[0]
    bins.n = n
    bins.first = edges[0]
    bins.last = edges[n]
    bins.width = bins.last - bins.first
    if not isfinite(bins.width):
        raise ValueError(f"edges must span a finite width, got {bins.first} to {bins.last}")
    bins.scale = <double>n
    return bins


cdef inline Py_ssize_t bin_index(const UniformBins* bins, double x) noexcept nogil:
    """The bin of x as numpy.histogram finds it, or -1 if x is not counted.

    NaN and values outside [first, last] are dropped. The index is first
    estimated from x's offset, as numpy does it in float64, then corrected
    by one bin against the edges, as numpy does it, because the estimate
    can be off by one within an ulp or so of an edge; only the last bin
    includes its right edge. With strictly increasing edges the result is
    always a valid bin: x >= edges[0] stops a decrement below 0, and the
    last bin never increments.
    """
    cdef Py_ssize_t i
    if not (x >= bins.first and x <= bins.last):
        return -1
    # 0 <= x - first <= width, so the estimate lies in [0, n].
    i = <Py_ssize_t>((x - bins.first) / bins.width * bins.scale)
    if i == bins.n:
        i -= 1
    if x < bins.edges[i]:
        i -= 1
    if x >= bins.edges[i + 1] and i != bins.n - 1:
        i += 1
    return i
