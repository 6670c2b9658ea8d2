"""PyTorch's dtype rules: the default float dtype, dtype inference for new tensors,
and type promotion between operands (``int64 + float32`` is float32, not NumPy's float64).

Every binary Tensor op passes through ``_promote``; in the common case (two tensors
of one dtype) it only compares dtype kinds and hands its operands back.
"""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ._tensor import Tensor
    from ._types import DTypeLike

# At run time ``Tensor`` is set here by fastnn/_tensor.py once the class exists: the
# class's method modules import this one, so it cannot import the class itself.

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)

_default_dtype: np.dtype = float32


def set_default_dtype(dtype: DTypeLike) -> None:
    """Sets the dtype that float data and float factories get (float32 or float64).

    Args:
        dtype (fastnn.dtype): ``fastnn.float32`` (the default) or ``fastnn.float64``.

    Example::

        >>> fastnn.set_default_dtype(fastnn.float64)
        >>> fastnn.tensor([1.2, 3]).dtype
        dtype('float64')
        >>> fastnn.set_default_dtype(fastnn.float32)
        >>> fastnn.tensor([1.2, 3]).dtype
        dtype('float32')
    """
    global _default_dtype
    dt = np.dtype(dtype)
    if dt not in (float32, float64):
        raise TypeError(f"set_default_dtype: dtype must be float32 or float64, got {dt}")
    _default_dtype = dt


def get_default_dtype() -> np.dtype:
    """Returns the default float dtype (``fastnn.float32`` unless changed).

    Example::

        >>> fastnn.get_default_dtype()
        dtype('float32')
    """
    return _default_dtype


def _as_array(data: Any, dtype: DTypeLike = None) -> Any:
    """Convert Python data / arrays / Tensors to an array with PyTorch's dtype rules."""
    if isinstance(data, Tensor):
        arr = data._data
        return arr if dtype is None else arr.astype(np.dtype(dtype), copy=False)
    if hasattr(data, "__cuda_array_interface__"):
        return data if dtype is None else data.astype(np.dtype(dtype), copy=False)
    if dtype is not None:
        return np.array(data, dtype=np.dtype(dtype))
    if isinstance(data, np.ndarray):
        return data.copy()
    if isinstance(data, np.generic):
        return np.array(data)
    arr = np.array(data)
    if arr.dtype.kind == "f":
        arr = arr.astype(_default_dtype)
    elif arr.dtype.kind in "iu":
        arr = arr.astype(np.int64)
    elif arr.dtype.kind == "O":
        raise TypeError(f"tensor: could not convert data of type {type(data).__name__} to a tensor")
    return arr


def _raw(x: Any) -> Any:
    """The array behind a Tensor; anything else as it is."""
    return x._data if isinstance(x, Tensor) else x


def _t(x: Any) -> Tensor:
    """``x`` as a Tensor (converted with PyTorch's dtype rules unless it is one)."""
    return x if isinstance(x, Tensor) else Tensor._wrap(_as_array(x))


def _floatify(t: Tensor) -> Tensor:
    """``t``, or ``t`` in the default float dtype when it holds ints or bools."""
    return t if t._data.dtype.kind in "fc" else t.to(_default_dtype)


def _promote(t: Tensor, other: Any, true_div: bool = False) -> tuple[Tensor, Any]:
    """PyTorch's type promotion for ``t (op) other``, as the two operands to pass on.

    NumPy would promote int64 with float32 to float64 and int / int to float64;
    PyTorch keeps the float operand's dtype and gives the default dtype.
    """
    tk = t._data.dtype.kind
    if isinstance(other, Tensor) or isinstance(other, np.ndarray):
        o = other._data if isinstance(other, Tensor) else other
        ok = o.dtype.kind
        if ok != tk:
            if tk == "f" and ok in "iub":
                other = other.astype(t._data.dtype) if isinstance(other, np.ndarray) else other.to(t._data.dtype)
            elif ok == "f" and tk in "iub":
                t = t.to(o.dtype)
        elif o.ndim == 0 and t._data.ndim and o.dtype != t._data.dtype:
            other = other.astype(t._data.dtype) if isinstance(other, np.ndarray) else other.to(t._data.dtype)
        elif t._data.ndim == 0 and o.ndim and o.dtype != t._data.dtype:
            t = t.to(o.dtype)
        if true_div and t._data.dtype.kind != "f" and _raw(other).dtype.kind != "f":
            t = t.to(_default_dtype)
            other = other.astype(_default_dtype) if isinstance(other, np.ndarray) \
                else other.to(_default_dtype)
        return t, other
    if isinstance(other, np.generic):
        other = other.item()
    elif isinstance(other, (list, tuple)):
        return _promote(t, np.asarray(other), true_div)
    if isinstance(other, float):
        if tk in "iub":
            t = t.to(_default_dtype)
    elif true_div and tk in "iub":
        t = t.to(_default_dtype)
    elif not isinstance(other, (numbers.Number)) and other is not None:
        raise TypeError(f"unsupported operand type for a Tensor op: {type(other).__name__}")
    return t, other


def _promote_dtypes(dtypes: list[np.dtype]) -> np.dtype:
    """torch.promote_types over several dtypes: the highest category (bool < int <
    float) wins and only dtypes of that category widen it, so int64 with float32 is
    float32 (NumPy would give float64)."""
    for kinds in ("fc", "iu", "b"):
        top = [d for d in dtypes if d.kind in kinds]
        if top:
            return np.result_type(*top)
    return np.result_type(*dtypes)


def _result_dtype(a: Tensor, b: Any) -> np.dtype:
    """The dtype of ``a (op) b`` under PyTorch's promotion."""
    return _promote(a, b)[0]._data.dtype
