"""Elementwise and fused kernels, native backend: Python-side validation
around the Cython kernels in _elementwise.pyx (relu, fused bias+relu,
fused cross-entropy over class indices), OpenMP over rows. Same names,
signatures and saved tuples as fastnn/backends/numpy_ref/elementwise.py,
whose validation functions this module reuses.
"""
import numpy as np

import fastnn

from ..numpy_ref import elementwise as _ref
from ..numpy_ref.elementwise import (validate_bias_relu, validate_cross_entropy, validate_grad,
                                     validate_saved)
from . import _elementwise as _k

# softmax / log_softmax stay NumPy: NumPy's SIMD exp beats a portable compiled
# loop here, so the native module serves the reference functions directly.
from ..numpy_ref.elementwise import (log_softmax_backward, log_softmax_forward,  # noqa: F401
                                     softmax_backward, softmax_forward)

__all__ = [
    "relu_forward", "relu_backward",
    "bias_relu_forward", "bias_relu_backward",
    "softmax_forward", "softmax_backward",
    "log_softmax_forward", "log_softmax_backward",
    "cross_entropy_forward", "cross_entropy_backward",
]


def _flat(a):
    return np.ascontiguousarray(a).reshape(-1)


def relu_forward(x):
    _ref.check_array("x", x)
    y = np.empty(x.shape, dtype=x.dtype)
    _k.relu_fwd(_flat(x), y.reshape(-1))
    return y, (y, "relu")


def relu_backward(dy, saved):
    validate_saved(saved, "relu")
    y = np.ascontiguousarray(saved[0])
    validate_grad("dy", dy, y)
    dx = np.empty(y.shape, dtype=y.dtype)
    _k.relu_bwd(_flat(dy), y.reshape(-1), dx.reshape(-1))
    return dx


def _split(shape, axis):
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1:], dtype=np.int64))
    return outer, shape[axis], inner


def bias_relu_forward(x, b, channel_axis=1):
    axis = validate_bias_relu(x, b, channel_axis)
    outer, C, inner = _split(x.shape, axis)
    y = np.empty(x.shape, dtype=x.dtype)
    if y.size:
        _k.bias_relu_fwd(np.ascontiguousarray(x).reshape(outer, C * inner),
                         np.ascontiguousarray(b), y.reshape(outer, C * inner), inner)
    return y, (y, axis, "bias_relu")


def bias_relu_backward(dy, saved):
    validate_saved(saved, "bias_relu")
    y, axis = np.ascontiguousarray(saved[0]), saved[1]
    validate_grad("dy", dy, y)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) \
            or not 0 <= axis < y.ndim:
        raise TypeError("saved: expected the saved tuple returned by bias_relu_forward")
    outer, C, inner = _split(y.shape, axis)
    dx = np.empty(y.shape, dtype=y.dtype)
    # one partial bias-gradient row per thread block (only split big inputs)
    T = max(1, min(fastnn.get_num_threads(), outer)) if y.size >= 32768 else 1
    part = np.zeros((T, C), dtype=np.float64)
    if y.size:
        _k.bias_relu_bwd(np.ascontiguousarray(dy).reshape(outer, C * inner),
                         y.reshape(outer, C * inner), dx.reshape(outer, C * inner), part, inner)
    return dx, part.sum(axis=0).astype(y.dtype)


def cross_entropy_forward(logits, target, weight=None, ignore_index=-100, reduction="mean",
                          label_smoothing=0.0):
    kind, t, w, ignore_index, eps = validate_cross_entropy(
        logits, target, weight, ignore_index, reduction, label_smoothing)
    if kind == "prob":
        # probability targets are rare and a dense NumPy pass is already one sweep
        return _ref.cross_entropy_forward(logits, target, weight, ignore_index, reduction,
                                          label_smoothing)
    N, C = logits.shape
    dt = logits.dtype
    valid = t != ignore_index
    tk = np.where(valid, t, -1).astype(np.int64)
    wt = np.where(valid, 1.0 if w is None else w.astype(np.float64)[np.where(valid, t, 0)], 0.0)
    wt = wt.astype(np.float64)
    s = np.zeros(C, dtype=dt) if w is None else w.astype(dt)
    s = np.ascontiguousarray((eps / C) * (np.ones(C, dtype=dt) if w is None else s), dtype=dt)
    ssum = float(s.astype(np.float64).sum()) if eps > 0 else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = wt.astype(dt).sum(dtype=np.float64)
        scale = float(np.float64(1.0) / denom) if reduction == "mean" else 1.0
        grad = np.empty((N, C), dtype=dt)
        loss = np.empty(N, dtype=np.float64)
        _k.cross_entropy_index_fwd(np.ascontiguousarray(logits), tk,
                                   np.ascontiguousarray((1 - eps) * wt), s, eps > 0, ssum,
                                   scale, grad, loss)
        if reduction == "mean":
            out = np.asarray(loss.sum() / denom, dtype=dt)
        elif reduction == "sum":
            out = np.asarray(loss.sum(), dtype=dt)
        else:
            out = loss.astype(dt)
    return out, (grad, reduction, "cross_entropy")


# backward is one broadcast multiply of the saved gradient: NumPy is already optimal
cross_entropy_backward = _ref.cross_entropy_backward
