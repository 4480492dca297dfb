"""NumPy versions of the kernels: whole-array operations, one thread.

Each lives beside its kernel, in its family's module
(``nogilkit/kernels/_<family>.py``); this module gathers them:
``vectorized.mandelbrot``, ``vectorized.kmeans``, ... (histogram's is
numpy.histogram itself).
"""

from .kernels import FAMILIES as _FAMILIES

__all__ = sorted(name for family in _FAMILIES for name in family.numpy)
globals().update((name, function) for family in _FAMILIES
                 for name, function in family.numpy.items())
