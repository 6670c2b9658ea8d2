"""Fused elementwise and row-wise kernels on the GPU (kernels/elementwise.cu).

relu and bias+relu are one pass each; softmax and log_softmax run one block
per row along ``dim`` (any dim, no transpose); cross-entropy fuses
log-softmax, class weights, ignore_index and label smoothing into one pass
that keeps only each row's log-sum-exp for backward. Semantics follow
PyTorch (torch.relu, F.softmax, F.log_softmax, F.cross_entropy with class
indices or class probabilities as targets). Reference:
fastnn/backends/numpy_ref/elementwise.py.

Every forward returns (y, saved) and every backward takes (grad, saved).
"""
import math
import numbers

import numpy as np

from .._validate import check_array, check_optional_array
from ._runtime import contiguous, cp, launch, launch_rows, require_gpu_arrays

__all__ = ["relu_forward", "relu_backward", "bias_relu_forward", "bias_relu_backward",
           "softmax_forward", "softmax_backward", "log_softmax_forward", "log_softmax_backward",
           "cross_entropy_forward", "cross_entropy_backward"]

_SRC = "elementwise.cu"
_REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------- checks
def _axis(name, value, ndim):
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name}: expected an int, got {value!r}")
    value = int(value)
    if not -ndim <= value < ndim:
        raise ValueError(f"{name}: expected a value in [{-ndim}, {ndim - 1}], got {value}")
    return value % ndim


def _check_grad(name, g, like):
    check_array(name, g, dtype=like.dtype)
    if tuple(g.shape) != tuple(like.shape):
        raise ValueError(f"{name}: expected shape {tuple(like.shape)} (the forward output), "
                         f"got {tuple(g.shape)}")


def _check_saved(saved, kind):
    if not isinstance(saved, tuple) or len(saved) < 2 or saved[-1] != kind:
        raise TypeError(f"saved: expected the saved tuple returned by {kind}_forward")


def _split(shape, axis):
    """(outer, C, inner) sizes of ``shape`` around ``axis``."""
    return math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:])


# ---------------------------------------------------------------- relu
def relu_forward(x):
    """y = max(x, 0) (NaN propagates); saved holds y."""
    check_array("x", x)
    require_gpu_arrays(x=x)
    x = contiguous(x)
    y = cp().empty_like(x)
    launch(_SRC, "relu_fwd", x.dtype, x.size, (x, y, x.size))
    return y, (y, "relu")


def _relu_grad(dy, y):
    dy = contiguous(dy)
    dx = cp().empty_like(y)
    launch(_SRC, "relu_bwd", y.dtype, y.size, (dy, y, dx, y.size))
    return dx


def relu_backward(dy, saved):
    _check_saved(saved, "relu")
    y = saved[0]
    _check_grad("dy", dy, y)
    require_gpu_arrays(dy=dy, y=y)
    return _relu_grad(dy, y)


def bias_relu_forward(x, b, channel_axis=1):
    """y = relu(x + b) with b broadcast along ``channel_axis``; saved holds y."""
    check_array("x", x)
    if x.ndim < 1:
        raise ValueError("x: expected at least a 1-D array, got a 0-d array")
    check_array("b", b, ndim=1, dtype=x.dtype)
    axis = _axis("channel_axis", channel_axis, x.ndim)
    if b.shape[0] != x.shape[axis]:
        raise ValueError(f"b: expected shape ({x.shape[axis]},) to match x of shape "
                         f"{tuple(x.shape)} along channel_axis={channel_axis}, got {tuple(b.shape)}")
    require_gpu_arrays(x=x, b=b)
    x, b = contiguous(x), contiguous(b)
    _, c, inner = _split(x.shape, axis)
    y = cp().empty_like(x)
    launch(_SRC, "bias_relu_fwd", x.dtype, x.size, (x, b, y, x.size, c, inner))
    return y, (y, axis, "bias_relu")


def bias_relu_backward(dy, saved):
    """(dx, db): dx = dy where y > 0, db = dx summed over every axis but the channel."""
    _check_saved(saved, "bias_relu")
    y, axis = saved[0], saved[1]
    _check_grad("dy", dy, y)
    require_gpu_arrays(dy=dy, y=y)
    dx = _relu_grad(dy, y)
    db = dx.sum(axis=tuple(i for i in range(y.ndim) if i != axis))
    return dx, db


# ---------------------------------------------------------------- softmax
def _softmax(x, dim, log_out, kind):
    check_array("x", x)
    if x.ndim < 1:
        raise ValueError("x: expected at least a 1-D array, got a 0-d array")
    axis = _axis("dim", dim, x.ndim)
    require_gpu_arrays(x=x)
    x = contiguous(x)
    outer, c, inner = _split(x.shape, axis)
    y = cp().empty_like(x)
    launch_rows(_SRC, "softmax_fwd", x.dtype, outer * inner if c else 0,
                (x, y, outer * inner, c, inner, log_out))
    return y, (y, axis, kind)


def _softmax_grad(dy, saved, log_out, kind):
    _check_saved(saved, kind)
    y, axis = saved[0], saved[1]
    _check_grad("dy", dy, y)
    require_gpu_arrays(dy=dy, y=y)
    dy = contiguous(dy)
    outer, c, inner = _split(y.shape, axis)
    dx = cp().empty_like(y)
    launch_rows(_SRC, "softmax_bwd", y.dtype, outer * inner if c else 0,
                (dy, y, dx, outer * inner, c, inner, log_out))
    return dx


def softmax_forward(x, dim):
    return _softmax(x, dim, 0, "softmax")


def softmax_backward(dy, saved):
    return _softmax_grad(dy, saved, 0, "softmax")


def log_softmax_forward(x, dim):
    return _softmax(x, dim, 1, "log_softmax")


def log_softmax_backward(dy, saved):
    return _softmax_grad(dy, saved, 1, "log_softmax")


# ---------------------------------------------------------------- cross-entropy
def _check_cross_entropy(logits, target, weight, ignore_index, reduction, label_smoothing):
    """Validate; returns (probabilities?, C, batch shape)."""
    dtype = check_array("logits", logits)
    if logits.ndim < 1:
        raise ValueError("logits: expected shape (C,), (N, C) or (N, C, d1, ...), got a 0-d array")
    C = logits.shape[0] if logits.ndim == 1 else logits.shape[1]
    if C < 1:
        raise ValueError(f"logits: expected at least one class, got shape {tuple(logits.shape)}")
    batch = () if logits.ndim == 1 else (logits.shape[0],) + tuple(logits.shape[2:])
    if not hasattr(target, "dtype") or not hasattr(target, "shape"):
        raise TypeError(f"target: expected an array, got {type(target).__name__}")
    probs = target.dtype.kind == "f"
    if probs:
        check_array("target", target, dtype=dtype)
        if tuple(target.shape) != tuple(logits.shape):
            raise ValueError(f"target: class probabilities must have the shape of logits "
                             f"{tuple(logits.shape)}, got {tuple(target.shape)}")
    elif target.dtype.kind in "iu":
        if tuple(target.shape) != batch:
            raise ValueError(f"target: expected class indices of shape {batch} for logits of "
                             f"shape {tuple(logits.shape)}, got {tuple(target.shape)}")
    else:
        raise TypeError(f"target: expected integer class indices or float probabilities, "
                        f"got dtype {target.dtype}")
    check_optional_array("weight", weight, ndim=1, dtype=dtype)
    if weight is not None and weight.shape != (C,):
        raise ValueError(f"weight: expected shape ({C},) (one weight per class), "
                         f"got {tuple(weight.shape)}")
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, (numbers.Integral, np.integer)):
        raise TypeError(f"ignore_index: expected an int, got {ignore_index!r}")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction: expected one of {_REDUCTIONS}, got {reduction!r}")
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real):
        raise TypeError(f"label_smoothing: expected a float, got {label_smoothing!r}")
    if not 0.0 <= float(label_smoothing) <= 1.0:
        raise ValueError(f"label_smoothing: expected a value in [0, 1], got {label_smoothing}")
    return probs, C, batch


def cross_entropy_forward(logits, target, weight=None, ignore_index=-100, reduction="mean",
                          label_smoothing=0.0):
    """F.cross_entropy(logits, target, ...): returns (loss, saved); loss is 0-d unless 'none'."""
    probs, C, batch = _check_cross_entropy(logits, target, weight, ignore_index, reduction,
                                           label_smoothing)
    require_gpu_arrays(logits=logits, target=target, weight=weight)
    cupy = cp()
    dtype = logits.dtype
    eps = float(label_smoothing)
    ignore_index = int(ignore_index)
    x = contiguous(logits)
    inner = math.prod(x.shape[2:]) if x.ndim > 2 else 1
    rows = math.prod(batch)
    w = contiguous(weight) if weight is not None else cupy.empty((1,), dtype=dtype)
    has_w = int(weight is not None)
    loss = cupy.empty(rows, dtype=dtype)
    lse = cupy.empty(rows, dtype=dtype)
    if probs:
        t = contiguous(target)
        launch_rows(_SRC, "ce_prob_fwd", dtype, rows,
                    (x, t, w, has_w, loss, lse, rows, C, inner, eps))
        denom = cupy.asarray(float(rows), dtype=dtype)
    else:
        t = cupy.ascontiguousarray(target, dtype=np.int64)
        bad = (t != ignore_index) & ((t < 0) | (t >= C))
        if rows and bool(bad.any()):
            raise ValueError(f"target: class indices must be in [0, {C}) or equal to "
                             f"ignore_index={ignore_index}")
        wt = cupy.empty(rows, dtype=dtype)
        launch_rows(_SRC, "ce_index_fwd", dtype, rows,
                    (x, t, w, has_w, loss, wt, lse, rows, C, inner, ignore_index, eps))
        denom = wt.sum()
    if reduction == "none":
        out, scale = loss.reshape(batch), cupy.ones((), dtype=dtype)
    elif reduction == "sum":
        out, scale = loss.sum(), cupy.ones((), dtype=dtype)
    else:
        out, scale = loss.sum() / denom, 1 / denom
    # sum_c w[c], needed by the smoothing term's gradient (C when unweighted)
    wsum = float(weight.sum()) if (weight is not None and eps and not probs) else float(C)
    saved = (x, t, weight, lse, scale, probs, reduction, ignore_index, eps, wsum, batch,
             "cross_entropy")
    return out.astype(dtype, copy=False), saved


def cross_entropy_backward(dloss, saved):
    """d loss / d logits for the saved call, scaled by ``dloss`` (0-d, or per row for 'none')."""
    _check_saved(saved, "cross_entropy")
    x, t, weight, lse, scale, probs, reduction, ignore_index, eps, wsum, batch = saved[:11]
    want = batch if reduction == "none" else ()
    check_array("dloss", dloss, dtype=x.dtype)
    if tuple(dloss.shape) != tuple(want):
        raise ValueError(f"dloss: expected shape {tuple(want)} (the loss), got {tuple(dloss.shape)}")
    require_gpu_arrays(dloss=dloss, logits=x)
    cupy = cp()
    g = contiguous(dloss)
    g_stride = 1 if reduction == "none" else 0
    rows = math.prod(batch)
    C = x.shape[0] if x.ndim == 1 else x.shape[1]
    inner = math.prod(x.shape[2:]) if x.ndim > 2 else 1
    w = weight if weight is not None else cupy.empty((1,), dtype=x.dtype)
    has_w = int(weight is not None)
    dx = cupy.empty_like(x)
    if probs:
        launch_rows(_SRC, "ce_prob_bwd", x.dtype, rows,
                    (x, t, w, has_w, lse, g, g_stride, scale, dx, rows, C, inner, eps))
    else:
        launch_rows(_SRC, "ce_index_bwd", x.dtype, rows,
                    (x, t, w, has_w, lse, g, g_stride, scale, wsum, dx, rows, C, inner,
                     ignore_index, eps))
    return dx
