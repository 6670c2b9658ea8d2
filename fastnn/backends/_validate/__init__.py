"""Argument checks shared by every backend's kernels, and what the families' checks share.

The native kernels run without the GIL and without bounds checks, so they may
only ever see arrays these checks have passed. The reference and CuPy kernels
run the same checks, so every backend rejects the same input with the same
message. One module per family (conv, pool, rnn, gemm, elementwise,
attention, optim) holds that family's checks and its ``saved`` type, the
context a forward returns for its backward: one small dataclass per family,
the same whichever backend made it. A backward trusts nothing in it: its
check re-derives the geometry from the saved arrays' shapes before any
kernel runs. (So the classes need not be frozen, and are not: a frozen
dataclass costs ~3x more to build, which shows at batch 1.)

Naming: every check is ``check_<what>``. A check raises TypeError/ValueError
naming the argument, or returns the argument normalised (an int pair, a
params tuple) for the kernel; "check" says it may refuse, and one verb keeps
the names greppable.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable, Hashable, TypeVar

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["FLOAT_DTYPES", "INT_MAX", "Memo", "check_array", "check_optional_array", "exact_int_pair",
           "finite_checks_enabled", "int_pair", "int_tuple", "is_int", "plain_int_or_pair",
           "set_finite_checks"]

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

# NaN/Inf propagate through kernels as in PyTorch. With finite checks on
# (fastnn.set_finite_checks(True) or FASTNN_CHECK_FINITE=1) every checked
# input is scanned and a non-finite value raises ValueError naming it.
_check_finite = os.environ.get("FASTNN_CHECK_FINITE", "") == "1"


def set_finite_checks(enabled: bool) -> None:
    """Scan every kernel input for NaN/Inf (ValueError naming it) from now on, or stop."""
    global _check_finite
    _check_finite = bool(enabled)


def finite_checks_enabled() -> bool:
    return _check_finite


def check_array(name: str, a: Any, ndim: int | Iterable[int] | None = None,
                dtype: Any = None) -> np.dtype:
    """``a`` is a float32/float64 array of rank ``ndim`` (an int or a tuple of ints).

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


def check_optional_array(name: str, a: Any, ndim: int | Iterable[int] | None = None,
                         dtype: Any = None) -> np.dtype | None:
    if a is None:
        return None
    return check_array(name, a, ndim, dtype)


# Sizes reach the kernels as C ints: anything larger is rejected here rather
# than overflowing (or raising OverflowError) at the Cython boundary.
INT_MAX = 2**31 - 1


def is_int(v: Any) -> bool:
    """An integer that is not a bool (Python or NumPy)."""
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def int_tuple(name: str, value: Any, n: int, minimum: int) -> tuple[int, ...]:
    """Normalise an int or a length-``n`` sequence of ints, each in [``minimum``, INT_MAX]."""
    if is_int(value):
        value = (int(value),) * n
    try:
        vals = tuple(value)
    except TypeError:
        raise TypeError(f"{name}: expected an int or a tuple of {n} ints, got {value!r}") from None
    if len(vals) != n or any(isinstance(v, (bool, np.bool_)) for v in vals):
        raise ValueError(f"{name}: expected an int or a tuple of {n} ints, got {value!r}")
    if not all(is_int(v) for v in vals):
        # floats and strings are not silently truncated or parsed
        raise TypeError(f"{name}: expected an int or a tuple of {n} ints, got {value!r}")
    out = tuple(int(v) for v in vals)
    if any(v < minimum for v in out):
        raise ValueError(f"{name}: every value must be >= {minimum}, got {out}")
    if any(v > INT_MAX for v in out):
        raise ValueError(f"{name}: every value must be <= {INT_MAX}, got {out}")
    return out


def int_pair(name: str, value: Any, minimum: int) -> tuple[int, int]:
    """int_tuple for pairs: an int or two ints, each in [``minimum``, INT_MAX]."""
    a, b = int_tuple(name, value, 2, minimum)
    return a, b


def exact_int_pair(v: Any) -> bool:
    """A tuple of two Python ints, exactly (what the checks store; no bool, float or NumPy
    scalar), so that equality with a derived pair means the same values."""
    return type(v) is tuple and len(v) == 2 and type(v[0]) is int and type(v[1]) is int


def plain_int_or_pair(v: Any) -> bool:
    """An int or a pair of ints, exactly (no bool, float or NumPy scalar).

    Only such arguments may key a Memo: True == 1 and 1.0 == 1 hash alike,
    yet both must still be rejected by the full check.
    """
    return type(v) is int or exact_int_pair(v)


R = TypeVar("R")


class Memo:
    """Results of checks already done, by a hashable key of what they depend on.

    A batch-1 kernel call is cheap enough that re-deriving its normalised
    arguments is a visible share of its time. The key must hold everything
    the result depends on (shapes, dtypes, plain arguments) and the result
    must be immutable. Never used while finite checks scan the data, since
    those look at values, not shapes. Bounded: cleared when full.
    """

    __slots__ = ("_results", "_max")

    def __init__(self, max_entries: int = 512) -> None:
        self._results: dict[Hashable, Any] = {}
        self._max = max_entries

    def get(self, key: Hashable, compute: Callable[[], R]) -> R:
        """``compute()``, or the result it gave for an equal key before."""
        if _check_finite:
            return compute()
        result = self._results.get(key)
        if result is None:
            result = compute()
            if len(self._results) >= self._max:
                self._results.clear()
            self._results[key] = result
        return result

    def clear(self) -> None:
        self._results.clear()
