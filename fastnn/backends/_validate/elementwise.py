"""Checks of the elementwise family (relu, bias+relu, softmax, log_softmax,
cross_entropy) and its saved context, ElementwiseSaved."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import check_array, check_optional_array, is_int

__all__ = ["REDUCTIONS", "ElementwiseSaved", "check_axis", "check_bias_relu",
           "check_cross_entropy", "check_cross_entropy_backward", "check_elementwise_backward",
           "check_grad_like", "check_softmax"]

REDUCTIONS = ("mean", "sum", "none")
_OPS = ("relu", "bias_relu", "softmax", "log_softmax", "cross_entropy")


@dataclass(eq=False)
class ElementwiseSaved:
    """What an elementwise forward keeps for its backward, whichever backend ran.

    ``op`` names the forward. ``y`` is its output (relu, bias_relu, softmax,
    log_softmax) or, for cross_entropy on the CPU, d loss / d logits already
    divided by the 'mean' denominator. ``axis`` is bias_relu's channel axis or
    the softmax dim; ``reduction`` cross_entropy's. ``extra``: what the CuPy
    cross_entropy keeps instead of the gradient (None elsewhere).
    """

    __slots__ = ("op", "y", "axis", "reduction", "extra")
    op: str
    y: Any
    axis: int | None
    reduction: str | None
    extra: Any


def check_grad_like(name: str, g: Any, ref: Any) -> None:
    """g is a float array with the shape and dtype of ``ref``."""
    check_array(name, g, dtype=ref.dtype)
    if g.shape != ref.shape:
        raise ValueError(f"{name}: expected shape {tuple(ref.shape)}, got {tuple(g.shape)}")


def check_axis(name: str, axis: Any, ndim: int) -> int:
    """An int in [-ndim, ndim); returns it non-negative."""
    if not is_int(axis):
        raise TypeError(f"{name}: expected an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: {axis} is out of range for a {ndim}-D array")
    return int(axis) % ndim


def check_bias_relu(x: Any, b: Any, channel_axis: Any) -> int:
    """x (at least 1-D), b (x.shape[channel_axis],); returns the axis, non-negative."""
    dtype = check_array("x", x)
    if x.ndim < 1:
        raise ValueError("x: expected at least a 1-D array, got a 0-D array")
    axis = check_axis("channel_axis", channel_axis, x.ndim)
    check_array("b", b, ndim=1, dtype=dtype)
    if b.shape[0] != x.shape[axis]:
        raise ValueError(f"b: expected shape ({x.shape[axis]},) to match x.shape[{axis}], "
                         f"got {tuple(b.shape)}")
    return axis


def check_softmax(x: Any, dim: Any) -> int:
    """x at least 1-D; returns dim, non-negative."""
    check_array("x", x)
    if x.ndim < 1:
        raise ValueError("x: expected at least a 1-D array, got a 0-D array")
    return check_axis("dim", dim, x.ndim)


def check_cross_entropy(logits: Any, target: Any, weight: Any, ignore_index: Any,
                        reduction: Any, label_smoothing: Any) -> tuple[str, Any, Any, int, float]:
    """Returns (kind, target, weight, ignore_index, eps): kind is 'index' (target int64
    class indices) or 'prob' (target class probabilities)."""
    dtype = check_array("logits", logits, ndim=2)
    N, C = logits.shape
    if C < 1:
        raise ValueError(f"logits: expected at least one class, got shape {tuple(logits.shape)}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction: expected one of {REDUCTIONS}, got {reduction!r}")
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float,
                                                                            np.floating)):
        raise TypeError(f"label_smoothing: expected a float, got {label_smoothing!r}")
    eps = float(label_smoothing)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing: must be in [0, 1], got {label_smoothing!r}")
    check_optional_array("weight", weight, ndim=1, dtype=dtype)
    if weight is not None and weight.shape != (C,):
        raise ValueError(f"weight: expected shape ({C},), got {tuple(weight.shape)}")
    if not is_int(ignore_index):
        raise TypeError(f"ignore_index: expected an int, got {ignore_index!r}")
    if not hasattr(target, "dtype") or not hasattr(target, "shape"):
        raise TypeError(f"target: expected an array, got {type(target).__name__}")
    if target.dtype.kind in "iu":
        if target.shape != (N,):
            raise ValueError(f"target: class indices must have shape ({N},), "
                             f"got {tuple(target.shape)}")
        t = target.astype(np.int64)
        bad = (t != ignore_index) & ((t < 0) | (t >= C))
        if bad.any():
            raise ValueError(f"target: class index {int(t[bad][0])} is out of range "
                             f"[0, {C}) (ignore_index={ignore_index})")
        return "index", t, weight, int(ignore_index), eps
    if target.dtype.kind == "f":
        check_array("target", target, ndim=2, dtype=dtype)
        if target.shape != (N, C):
            raise ValueError(f"target: class probabilities must have shape ({N}, {C}), "
                             f"got {tuple(target.shape)}")
        return "prob", target, weight, int(ignore_index), eps
    raise TypeError(f"target: expected int64 class indices or float probabilities, "
                    f"got dtype {target.dtype}")


def _bad_saved(op: str) -> TypeError:
    return TypeError(f"saved: expected the ElementwiseSaved returned by {op}_forward")


def check_elementwise_backward(op: str, dy: Any, saved: Any,
                               array_type: Any = np.ndarray) -> ElementwiseSaved:
    """Check the backward of relu, bias_relu, softmax or log_softmax (``op``): saved is
    that forward's ElementwiseSaved, dy has its output's shape and dtype. Returns saved."""
    if not isinstance(saved, ElementwiseSaved) or saved.op != op or op not in _OPS[:4]:
        raise _bad_saved(op)
    y = saved.y
    if not isinstance(y, array_type) or y.dtype not in (np.float32, np.float64) or y.ndim < 1:
        raise _bad_saved(op)
    if op == "relu":
        if saved.axis is not None:
            raise _bad_saved(op)
    elif type(saved.axis) is not int or not 0 <= saved.axis < y.ndim:
        raise _bad_saved(op)
    check_grad_like("dy", dy, y)
    return saved


def check_cross_entropy_backward(dloss: Any, saved: Any, rows: int | None = None) -> Any:
    """Check cross_entropy_backward's inputs; returns dloss as an array (a Python or NumPy
    scalar becomes 0-d). ``rows``: the batch size where saved.y is not the (N, C) gradient."""
    if (not isinstance(saved, ElementwiseSaved) or saved.op != "cross_entropy"
            or saved.reduction not in REDUCTIONS):
        raise _bad_saved("cross_entropy")
    if rows is None:
        g = saved.y
        if (not isinstance(g, np.ndarray) or g.dtype not in (np.float32, np.float64)
                or g.ndim != 2):
            raise _bad_saved("cross_entropy")
        rows = g.shape[0]
    dloss = np.asarray(dloss) if np.isscalar(dloss) else dloss
    check_array("dloss", dloss)
    want = (rows,) if saved.reduction == "none" else ()
    if tuple(dloss.shape) != want:
        raise ValueError(f"dloss: expected shape {want}, got {tuple(dloss.shape)}")
    return dloss
