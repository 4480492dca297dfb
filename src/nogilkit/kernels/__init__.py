"""The kernels: nogil Cython code behind a validating Python function each.

One private module per kernel family (``_mandelbrot.py``, ...) holds the
family's public function(s), their pure-Python reference, their NumPy twin
and its workload for the comparison engine, and declares them in its
``FAMILY`` (see ``_family.py``). A new family is its Cython module under
ext/, its module here, its line below and its tests: the references, the
workloads and the asv benchmarks follow from its FAMILY.
"""

# Importing _simd sets each vectorised kernel's instruction set (NOGILKIT_SIMD).
from .. import _simd  # noqa: F401
from . import _histogram, _kmeans, _mandelbrot, _nbody, _spectral_norm, _stream
from ._histogram import histogram
from ._kmeans import KMeansResult, kmeans
from ._mandelbrot import mandelbrot
from ._nbody import nbody, nbody_direct
from ._spectral_norm import spectral_norm
from ._stream import total, triad

FAMILIES = tuple(module.FAMILY for module in (
    _mandelbrot, _spectral_norm, _nbody, _kmeans, _histogram, _stream))

__all__ = ["KMeansResult", "histogram", "kmeans", "mandelbrot", "nbody",
           "nbody_direct", "spectral_norm", "total", "triad"]
