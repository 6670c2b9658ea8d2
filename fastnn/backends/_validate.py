"""Input checks shared by every backend's kernels.

The native kernels run without the GIL and without bounds checks, so they may
only ever see arrays these checks have passed. The reference kernels run the
same checks, so both backends reject the same input with the same message.
"""
import os

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

# NaN/Inf propagate through kernels as in PyTorch. With finite checks on
# (fastnn.set_finite_checks(True) or FASTNN_CHECK_FINITE=1) every validated
# input is scanned and a non-finite value raises ValueError naming it.
_check_finite = os.environ.get("FASTNN_CHECK_FINITE", "") == "1"


def set_finite_checks(enabled):
    global _check_finite
    _check_finite = bool(enabled)


def finite_checks_enabled():
    return _check_finite


def check_array(name, a, ndim=None, dtype=None):
    """``a`` is a float32/float64 ndarray of rank ``ndim`` (an int or a tuple of ints).

    Returns the dtype. Raises TypeError/ValueError naming ``name``.
    """
    if not hasattr(a, "dtype") or not hasattr(a, "shape"):
        raise TypeError(f"{name}: expected an array, got {type(a).__name__}")
    if a.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name}: expected dtype float32 or float64, got {a.dtype}")
    if dtype is not None and a.dtype != dtype:
        raise TypeError(f"{name}: expected dtype {dtype} to match the other inputs, got {a.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if a.ndim not in allowed:
            want = " or ".join(str(d) for d in allowed)
            raise ValueError(f"{name}: expected a {want}-D array, got shape {tuple(a.shape)}")
    if _check_finite and a.size and not bool(np.isfinite(a).all()):
        raise ValueError(f"{name}: contains NaN or Inf")
    return a.dtype


def check_optional_array(name, a, ndim=None, dtype=None):
    if a is None:
        return None
    return check_array(name, a, ndim, dtype)


# Sizes reach the kernels as C ints: anything larger is rejected here rather
# than overflowing (or raising OverflowError) at the Cython boundary.
INT_MAX = 2**31 - 1


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def int_tuple(name, value, n, minimum):
    """Normalise an int or a length-``n`` sequence of ints, each in [``minimum``, INT_MAX]."""
    if _is_int(value):
        value = (int(value),) * n
    try:
        vals = tuple(value)
    except TypeError:
        raise TypeError(f"{name}: expected an int or a tuple of {n} ints, got {value!r}") from None
    if len(vals) != n or any(isinstance(v, (bool, np.bool_)) for v in vals):
        raise ValueError(f"{name}: expected an int or a tuple of {n} ints, got {value!r}")
    if not all(_is_int(v) for v in vals):
        # floats and strings are not silently truncated or parsed
        raise TypeError(f"{name}: expected an int or a tuple of {n} ints, got {value!r}")
    out = tuple(int(v) for v in vals)
    if any(v < minimum for v in out):
        raise ValueError(f"{name}: every value must be >= {minimum}, got {out}")
    if any(v > INT_MAX for v in out):
        raise ValueError(f"{name}: every value must be <= {INT_MAX}, got {out}")
    return out
