"""Argument checks shared by the public functions.

Every check runs before any nogil code and raises TypeError or ValueError
with a message that names the argument and says what was expected.
"""

import math
import numbers
import operator

import numpy as np

INT32_MAX = 2**31 - 1


def positive_int(name, value, *, maximum=None):
    """``value`` as an int >= 1 (and <= maximum), else TypeError/ValueError."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got a bool")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def finite_float(name, value, *, minimum=None):
    """``value`` as a finite float (>= minimum), else TypeError/ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def region(value):
    """A (xmin, xmax, ymin, ymax) tuple of finite floats with xmin < xmax, ymin < ymax."""
    try:
        items = tuple(value)
    except TypeError:
        raise TypeError(
            f"region must be a sequence (xmin, xmax, ymin, ymax), got {type(value).__name__}"
        ) from None
    if len(items) != 4:
        raise ValueError(f"region must have 4 items (xmin, xmax, ymin, ymax), got {len(items)}")
    xmin, xmax, ymin, ymax = (
        finite_float(f"region[{i}] ({label})", v)
        for i, (label, v) in enumerate(zip(("xmin", "xmax", "ymin", "ymax"), items))
    )
    if not (math.isfinite(xmax - xmin) and math.isfinite(ymax - ymin)):
        raise ValueError(f"region must have a finite width and height, got {items}")
    if not xmin < xmax:
        raise ValueError(f"region must have xmin < xmax, got xmin={xmin}, xmax={xmax}")
    if not ymin < ymax:
        raise ValueError(f"region must have ymin < ymax, got ymin={ymin}, ymax={ymax}")
    return xmin, xmax, ymin, ymax


def output_array(name, out, shape, dtype):
    """A new array, or ``out`` if it is a writeable C-contiguous array of shape and dtype."""
    dtype = np.dtype(dtype)
    if out is None:
        return np.empty(shape, dtype=dtype)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype}, got {out.dtype}")
    if out.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {out.shape}")
    if not out.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    if not out.flags.writeable:
        raise ValueError(f"{name} must be writeable")
    return out


def float_matrix(name, value, *, dtype=None):
    """``value`` as a finite, C-contiguous 2-D float32 or float64 array.

    Lists and other array-likes are converted. float32 and float64 arrays
    keep their dtype, other integer or floating ones become float64, unless
    ``dtype`` is given. The array is copied only when it must be (another
    dtype, or not C-contiguous). Booleans, complex numbers and anything else
    raise TypeError; another number of dimensions, NaN or inf, ValueError.
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # e.g. ragged nested lists
        raise ValueError(f"{name} must be a 2-D array of real numbers ({exc})") from None
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be an array of real numbers, got dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got {array.ndim} dimension(s)")
    if dtype is None:
        dtype = array.dtype if array.dtype in (np.float32, np.float64) else np.float64
    # A float64 too large for float32 becomes inf here, caught just below.
    with np.errstate(over="ignore"):
        array = np.ascontiguousarray(array, dtype=dtype)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return array
