"""Argument checks shared by the public functions.

Every check runs before any nogil code and raises TypeError or ValueError
with a message that names the argument and says what was expected.
"""

import math
import numbers
import operator

import numpy as np

INT32_MAX = 2**31 - 1


def integer(name, value, *, minimum, maximum=None):
    """``value`` as an int in [minimum, maximum], else TypeError/ValueError."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got a bool")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def positive_int(name, value, *, maximum=None):
    """``value`` as an int >= 1 (and <= maximum), else TypeError/ValueError."""
    return integer(name, value, minimum=1, maximum=maximum)


def sequence(name, value, *, convert=tuple, what="a sequence"):
    """``value`` converted by ``convert`` (tuple, list); a string is refused,
    though iterable, since it is almost always a mistake for a sequence of things."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be {what}, got a string")
    try:
        return convert(value)
    except TypeError:
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}") from None


def finite_float(name, value, *, minimum=None, maximum=None):
    """``value`` as a finite float in [minimum, maximum], else TypeError/ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    try:
        value = float(value)
    except OverflowError:  # an int beyond the float range
        raise ValueError(f"{name} must be finite, got {value.bit_length()}-bit int") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum:g}, got {value:g}")
    return value


def real_array(name, value, *, ndim, keep=(), dtype=None, convert=True, finite=True,
               copy=False):
    """``value`` as a C-contiguous array of ``ndim`` dimensions: the kernels'
    one input policy (docs/kernels.md: "Arrays in").

    Any array-like of real numbers (signed or unsigned integers, float32,
    float64) is accepted and converted to float64, unless its dtype is in
    ``keep`` (kmeans keeps float32) or ``dtype`` names another (kmeans' init
    takes its points' dtype); the data are copied only where the dtype or the
    memory layout must change, or always with ``copy=True``. With
    ``convert=False`` only float64 (and ``keep``) is accepted: TypeError
    names the dtype and the explicit conversion (histogram: numpy.histogram
    bins float32 data in float32, so converting would change counts). Booleans,
    complex numbers, objects and strings raise TypeError; another number of
    dimensions ValueError, and so do NaN or inf when ``finite``.
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested sequences, for one
        raise ValueError(f"{name} must be a {ndim}-D array of real numbers ({exc})") from None
    if array.dtype.kind not in "iuf":  # signed, unsigned, float: not bool, complex, object
        raise TypeError(f"{name} must be an array of real numbers, got dtype {array.dtype}")
    if array.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got {array.ndim} dimension(s)")
    kept = array.dtype in [np.dtype(k) for k in (np.float64, *keep)]
    if not convert and not kept:
        raise TypeError(f"{name} must have dtype float64, got {array.dtype} (convert it "
                        f"explicitly, {name}.astype(numpy.float64), if that is what you mean)")
    if dtype is None:
        dtype = array.dtype if kept else np.float64
    # A float64 too large for float32 becomes inf here, caught below when finite.
    with np.errstate(over="ignore"):
        array = np.array(array, dtype=dtype, order="C", copy=True if copy else None)
    if finite:
        require_finite(name, array)
    return array


def require_finite(name, array):
    """ValueError unless every value of ``array`` is finite."""
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")


def contiguous_float64(name, value, *, writeable=False):
    """``value`` itself if it is a 1-D C-contiguous float64 ndarray, else TypeError/ValueError."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(value).__name__}")
    if value.dtype != np.float64:
        raise TypeError(f"{name} must have dtype float64, got {value.dtype}")
    if value.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got {value.ndim} dimension(s)")
    if not value.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    if writeable and not value.flags.writeable:
        raise ValueError(f"{name} must be writeable")
    return value


def items(name, value, labels):
    """The items of sequence ``value``, which must have one per label."""
    try:
        values = tuple(value)
    except TypeError:
        raise TypeError(
            f"{name} must be a sequence ({', '.join(labels)}), got {type(value).__name__}"
        ) from None
    if len(values) != len(labels):
        raise ValueError(
            f"{name} must have {len(labels)} items ({', '.join(labels)}), got {len(values)}"
        )
    return values


def region(value):
    """A (xmin, xmax, ymin, ymax) tuple of finite floats with xmin < xmax, ymin < ymax."""
    labels = ("xmin", "xmax", "ymin", "ymax")
    values = items("region", value, labels)
    xmin, xmax, ymin, ymax = (
        finite_float(f"region[{i}] ({label})", v)
        for i, (label, v) in enumerate(zip(labels, values))
    )
    if not (math.isfinite(xmax - xmin) and math.isfinite(ymax - ymin)):
        raise ValueError(f"region must have a finite width and height, got {values}")
    if not xmin < xmax:
        raise ValueError(f"region must have xmin < xmax, got xmin={xmin}, xmax={xmax}")
    if not ymin < ymax:
        raise ValueError(f"region must have ymin < ymax, got ymin={ymin}, ymax={ymax}")
    return xmin, xmax, ymin, ymax


def output_array(name, out, dims, dtype):
    """A new array, or ``out`` if it is a writeable C-contiguous array.

    ``dims`` maps each dimension's argument name to its size, so that an array
    too large to allocate is reported against the arguments that asked for it.
    """
    dtype = np.dtype(dtype)
    shape = tuple(dims.values())
    if out is None:
        try:
            return np.empty(shape, dtype=dtype)
        except (ValueError, MemoryError):
            nbytes = math.prod(shape) * dtype.itemsize
            raise MemoryError(
                f"{' x '.join(f'{k}={v}' for k, v in dims.items())} needs {nbytes / 2**30:.3g} GiB "
                f"of {dtype} output, more than this machine can allocate"
            ) from None
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype}, got {out.dtype}")
    if out.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {out.shape}")
    if not out.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    if not out.flags.writeable:
        raise ValueError(f"{name} must be writeable")
    return out


def interval(name, value):
    """A (first, last) pair of finite floats with first <= last and a finite width."""
    labels = ("first", "last")
    first, last = (
        finite_float(f"{name}[{i}] ({label})", v)
        for i, (label, v) in enumerate(zip(labels, items(name, value, labels)))
    )
    if not first <= last:
        raise ValueError(f"{name} must have first <= last, got first={first}, last={last}")
    if not math.isfinite(last - first):
        raise ValueError(f"{name} must have a finite width, got ({first}, {last})")
    return first, last
