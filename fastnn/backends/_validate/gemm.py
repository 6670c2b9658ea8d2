"""Checks of the matrix-multiply family (matmul, batched_matmul, linear) and LinearSaved.

The products read their operands' shapes, dtypes and trans flags only, so the
CuPy backend runs these checks unchanged on its arrays.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import check_array, check_optional_array

__all__ = ["LinearSaved", "check_flag", "check_linear", "check_linear_backward", "check_matmul",
           "check_matmul_backward"]


@dataclass(eq=False)
class LinearSaved:
    """What linear_forward keeps for linear_backward: x (N, in), w (out, in) and
    whether there was a bias."""

    __slots__ = ("x", "w", "has_bias")
    x: Any
    w: Any
    has_bias: bool


def check_flag(name: str, value: Any) -> bool:
    """A bool (or 0 / 1)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    raise TypeError(f"{name}: expected a bool, got {value!r}")


def check_matmul(a: Any, b: Any, trans_a: Any, trans_b: Any, ndim: int,
                 names: tuple[str, str] = ("a", "b")) -> tuple[bool, bool, int, int, int, Any]:
    """Check op(a) @ op(b) on ``ndim``-D operands; returns (trans_a, trans_b, m, k, n, batch)."""
    na, nb = names
    check_array(na, a, ndim)
    check_array(nb, b, ndim, dtype=a.dtype)
    trans_a = check_flag("trans_a", trans_a)
    trans_b = check_flag("trans_b", trans_b)
    m, ka = (a.shape[-1], a.shape[-2]) if trans_a else a.shape[-2:]
    kb, n = (b.shape[-1], b.shape[-2]) if trans_b else b.shape[-2:]
    if ka != kb:
        raise ValueError(f"{nb}: inner dimensions differ: op({na}) is {m}x{ka} but op({nb}) is "
                         f"{kb}x{n} (shapes {tuple(a.shape)}, {tuple(b.shape)}, "
                         f"trans_a={trans_a}, trans_b={trans_b})")
    batch = None
    if ndim == 3:
        ba, bb = a.shape[0], b.shape[0]
        if ba != bb and ba != 1 and bb != 1:
            raise ValueError(f"{nb}: batch size {bb} does not match {na}'s batch size {ba} "
                             "(a batch of 1 broadcasts)")
        batch = ba if bb == 1 else bb
    return trans_a, trans_b, m, ka, n, batch


def check_matmul_backward(dc: Any, a: Any, b: Any, trans_a: Any,
                          trans_b: Any) -> tuple[bool, bool]:
    """Check matmul_backward's inputs (2-D or 3-D); returns (trans_a, trans_b)."""
    check_array("a", a, (2, 3))
    ta, tb, m, _, n, batch = check_matmul(a, b, trans_a, trans_b, a.ndim)
    check_array("dc", dc, a.ndim, dtype=a.dtype)
    want = (m, n) if a.ndim == 2 else (batch, m, n)
    if tuple(dc.shape) != want:
        raise ValueError(f"dc: expected shape {want} (the shape of op(a) @ op(b)), "
                         f"got {tuple(dc.shape)}")
    return ta, tb


def check_linear(x: Any, w: Any, b: Any) -> None:
    """x (N, in), w (out, in), b (out,) or None, one dtype."""
    check_array("x", x, 2)
    check_array("w", w, 2, dtype=x.dtype)
    check_optional_array("b", b, 1, dtype=x.dtype)
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"w: expected shape (out_features, {x.shape[1]}) to match x of shape "
                         f"{tuple(x.shape)}, got {tuple(w.shape)}")
    if b is not None and b.shape[0] != w.shape[0]:
        raise ValueError(f"b: expected shape ({w.shape[0]},) to match w of shape "
                         f"{tuple(w.shape)}, got {tuple(b.shape)}")


def check_linear_backward(dy: Any, saved: Any,
                          array_type: Any = np.ndarray) -> tuple[Any, Any, bool]:
    """Check linear_backward's inputs; returns saved's (x, w, has_bias)."""
    bad = TypeError("saved: expected the LinearSaved returned by linear_forward")
    if not isinstance(saved, LinearSaved):
        raise bad
    x, w, has_bias = saved.x, saved.w, saved.has_bias
    if not isinstance(x, array_type) or not isinstance(w, array_type) or type(has_bias) is not bool:
        raise bad
    try:
        check_linear(x, w, None)
    except (TypeError, ValueError):  # edited, or mixed from two calls
        raise bad from None
    check_array("dy", dy, 2, dtype=x.dtype)
    want = (x.shape[0], w.shape[0])
    if tuple(dy.shape) != want:
        raise ValueError(f"dy: expected shape {want} (the shape of y), got {tuple(dy.shape)}")
    return x, w, has_bias
