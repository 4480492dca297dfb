"""Pure-Python references: the definition each kernel must match, bit for bit.

Written for clarity and for exact agreement with the kernels (same operations
in the same order), not for speed. Each lives beside its kernel, in its
family's module (``nogilkit/kernels/_<family>.py``); this module gathers them:
``reference.mandelbrot``, ``reference.kmeans``, ...
"""

from .kernels import FAMILIES as _FAMILIES

__all__ = sorted(name for family in _FAMILIES for name in family.references)
globals().update((name, function) for family in _FAMILIES
                 for name, function in family.references.items())
