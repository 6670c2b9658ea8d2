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
from typing import Any, NamedTuple

import numpy as np

from .._validate import check_array
from .._validate.elementwise import (ElementwiseSaved, check_bias_relu, check_cross_entropy,
                                     check_cross_entropy_backward, check_elementwise_backward,
                                     check_softmax)
from ._runtime import contiguous, cp, launch, launch_rows, require_gpu_arrays

__all__ = ["relu_forward", "relu_backward", "bias_relu_forward", "bias_relu_backward",
           "softmax_forward", "softmax_backward", "log_softmax_forward", "log_softmax_backward",
           "cross_entropy_forward", "cross_entropy_backward"]

_SRC = "elementwise.cu"


# ---------------------------------------------------------------- checks
# The shared checks only read .shape/.dtype (and, for targets, do array
# arithmetic that CuPy supports), so they run unchanged on CuPy arrays.
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
    return y, ElementwiseSaved("relu", y, None, None, None)


def _relu_grad(dy, y):
    dy = contiguous(dy)
    dx = cp().empty_like(y)
    launch(_SRC, "relu_bwd", y.dtype, y.size, (dy, y, dx, y.size))
    return dx


def relu_backward(dy, saved):
    y = check_elementwise_backward("relu", dy, saved, cp().ndarray).y
    require_gpu_arrays(dy=dy, y=y)
    return _relu_grad(dy, y)


def bias_relu_forward(x, b, channel_axis=1):
    """y = relu(x + b) with b broadcast along ``channel_axis``; saved holds y."""
    axis = check_bias_relu(x, b, channel_axis)
    require_gpu_arrays(x=x, b=b)
    x, b = contiguous(x), contiguous(b)
    _, c, inner = _split(x.shape, axis)
    y = cp().empty_like(x)
    launch(_SRC, "bias_relu_fwd", x.dtype, x.size, (x, b, y, x.size, c, inner))
    return y, ElementwiseSaved("bias_relu", y, axis, None, None)


def bias_relu_backward(dy, saved):
    """(dx, db): dx = dy where y > 0, db = dx summed over every axis but the channel."""
    check_elementwise_backward("bias_relu", dy, saved, cp().ndarray)
    y, axis = saved.y, saved.axis
    require_gpu_arrays(dy=dy, y=y)
    dx = _relu_grad(dy, y)
    db = dx.sum(axis=tuple(i for i in range(y.ndim) if i != axis))
    return dx, db


# ---------------------------------------------------------------- softmax
def _softmax(x, dim, log_out, kind):
    axis = check_softmax(x, dim)
    require_gpu_arrays(x=x)
    x = contiguous(x)
    outer, c, inner = _split(x.shape, axis)
    y = cp().empty_like(x)
    launch_rows(_SRC, "softmax_fwd", x.dtype, outer * inner if c else 0,
                (x, y, outer * inner, c, inner, log_out))
    return y, ElementwiseSaved(kind, y, axis, None, None)


def _softmax_grad(dy, saved, log_out, kind):
    check_elementwise_backward(kind, dy, saved, cp().ndarray)
    y, axis = saved.y, saved.axis
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
class _LogSumExp(NamedTuple):
    """What the GPU cross_entropy keeps instead of the (N, C) gradient (ElementwiseSaved.extra)."""

    logits: Any
    target: Any
    weight: Any
    lse: Any
    scale: Any
    kind: str
    ignore_index: int
    eps: float
    wsum: float


def cross_entropy_forward(logits, target, weight=None, ignore_index=-100, reduction="mean",
                          label_smoothing=0.0):
    """F.cross_entropy on (N, C) logits: returns (loss, saved); loss is 0-d unless 'none'.

    The kernel keeps each row's log-sum-exp; backward recomputes the softmax.
    """
    kind, t, weight, ignore_index, eps = check_cross_entropy(
        logits, target, weight, ignore_index, reduction, label_smoothing)
    require_gpu_arrays(logits=logits, target=t, weight=weight)
    cupy = cp()
    dtype = logits.dtype
    x = contiguous(logits)
    rows, C = x.shape
    w = contiguous(weight) if weight is not None else cupy.empty((1,), dtype=dtype)
    has_w = int(weight is not None)
    loss = cupy.empty(rows, dtype=dtype)
    lse = cupy.empty(rows, dtype=dtype)
    if kind == "prob":
        t = contiguous(t)
        launch_rows(_SRC, "ce_prob_fwd", dtype, rows, (x, t, w, has_w, loss, lse, rows, C, 1, eps))
        denom = cupy.asarray(float(rows), dtype=dtype)
    else:
        t = cupy.ascontiguousarray(t, dtype=np.int64)
        wt = cupy.empty(rows, dtype=dtype)
        launch_rows(_SRC, "ce_index_fwd", dtype, rows,
                    (x, t, w, has_w, loss, wt, lse, rows, C, 1, ignore_index, eps))
        denom = wt.sum()
    one = cupy.ones((), dtype=dtype)
    if reduction == "none":
        out, scale = loss, one
    elif reduction == "sum":
        out, scale = loss.sum(), one
    else:
        out, scale = loss.sum() / denom, one / denom
    # sum_c w[c] enters the smoothing term's gradient (C when unweighted)
    wsum = float(weight.sum()) if (weight is not None and eps and kind == "index") else float(C)
    extra = _LogSumExp(x, t, weight, lse, scale, kind, ignore_index, eps, wsum)
    return out.astype(dtype, copy=False), ElementwiseSaved("cross_entropy", None, None, reduction,
                                                           extra)


def _parts_agree(e, array_type):
    """The arrays of a _LogSumExp have the shapes and dtypes one forward call gives them."""
    x = e.logits
    if not isinstance(x, array_type) or x.ndim != 2 or x.dtype not in (np.float32, np.float64):
        return False
    n, c = x.shape
    target_ok = (e.target.dtype == np.int64 and e.target.shape == (n,) if e.kind == "index" else
                 e.kind == "prob" and e.target.dtype == x.dtype and e.target.shape == (n, c))
    return (isinstance(e.target, array_type) and target_ok
            and isinstance(e.lse, array_type) and e.lse.shape == (n,) and e.lse.dtype == x.dtype
            and isinstance(e.scale, array_type) and e.scale.shape == ()
            and (e.weight is None or (isinstance(e.weight, array_type) and e.weight.shape == (c,)
                                      and e.weight.dtype == x.dtype))
            and type(e.ignore_index) is int and type(e.eps) is float and type(e.wsum) is float)


def cross_entropy_backward(dloss, saved):
    """d loss / d logits for the saved call, scaled by ``dloss`` (0-d, or (N,) for 'none')."""
    cupy = cp()
    extra = getattr(saved, "extra", None)
    if type(extra) is not _LogSumExp or not _parts_agree(extra, cupy.ndarray):
        raise TypeError("saved: expected the ElementwiseSaved returned by cross_entropy_forward "
                        "on the GPU")
    x, t, weight, lse, scale, kind, ignore_index, eps, wsum = extra
    reduction = saved.reduction
    if np.isscalar(dloss):
        dloss = cupy.asarray(dloss)
    rows, C = x.shape
    dloss = check_cross_entropy_backward(dloss, saved, rows)
    require_gpu_arrays(dloss=dloss, logits=x)
    g = cupy.ascontiguousarray(dloss, dtype=x.dtype)
    g_stride = 1 if reduction == "none" else 0
    w = weight if weight is not None else cupy.empty((1,), dtype=x.dtype)
    has_w = int(weight is not None)
    dx = cupy.empty_like(x)
    if kind == "prob":
        launch_rows(_SRC, "ce_prob_bwd", x.dtype, rows,
                    (x, t, w, has_w, lse, g, g_stride, scale, dx, rows, C, 1, eps))
    else:
        launch_rows(_SRC, "ce_index_bwd", x.dtype, rows,
                    (x, t, w, has_w, lse, g, g_stride, scale, wsum, dx, rows, C, 1,
                     ignore_index, eps))
    return dx
