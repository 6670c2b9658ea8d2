"""Elementwise and fused kernels, native backend: Python-side validation
around the kernels of _elementwise.pyx / elementwise_kernel.c (relu, fused
bias+relu, softmax and log_softmax, fused cross-entropy over class indices),
OpenMP over rows or chunks. Same names, signatures and ElementwiseSaved as
fastnn/backends/numpy_ref/elementwise.py; the checks are
fastnn/backends/_validate/elementwise.py.

At batch 1 the arrays are tiny and the Python around a kernel is most of its
cost, so the common case (C-contiguous float32/float64 ndarrays, finite checks
off) is recognised with a few identity tests and goes straight to the kernel;
anything else takes the full shared validation first, which raises exactly
what the reference raises. (The kernels themselves cost ~0.1 us per call,
less than np.maximum on a 64-element array, so no size threshold is needed.)
"""
import math

import numpy as np

import fastnn

from ... import _validate
from ..._validate.elementwise import (ElementwiseSaved, check_bias_relu, check_cross_entropy,
                                      check_elementwise_backward, check_softmax)
from ...numpy_ref import elementwise as _ref
from . import _elementwise as _k

__all__ = [
    "relu_forward", "relu_backward",
    "bias_relu_forward", "bias_relu_backward",
    "softmax_forward", "softmax_backward",
    "log_softmax_forward", "log_softmax_backward",
    "cross_entropy_forward", "cross_entropy_backward",
]

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_ndarray = np.ndarray


def _plain(a):
    """a is a C-contiguous float32/float64 ndarray and finite checks are off:
    the full check_array would pass it without looking further."""
    if type(a) is not _ndarray:
        return False
    dt = a.dtype
    f = a.flags
    return (dt is _F32 or dt is _F64) and f.c_contiguous and f.aligned and not _validate._check_finite


def _c(a):
    """C-contiguous and aligned, as the kernels require (np.ascontiguousarray alone
    keeps a misaligned buffer, e.g. np.frombuffer at an odd offset)."""
    f = a.flags
    return a if f.c_contiguous and f.aligned else np.require(a, requirements=("C", "A"))


def _checked_saved(op, dy, saved):
    """saved.y and dy (C-contiguous) for the backward of ``op``; the plain case
    (what the forward made, a plain dy of its shape) is recognised cheaply."""
    if type(saved) is ElementwiseSaved and saved.op == op:
        y = saved.y
        if (_plain(y) and _plain(dy) and dy.dtype is y.dtype and dy.shape == y.shape
                and (saved.axis is None if op == "relu" else
                     type(saved.axis) is int and 0 <= saved.axis < y.ndim)):
            return y, dy
    check_elementwise_backward(op, dy, saved)
    return _c(saved.y), _c(dy)


# ---------------------------------------------------------------------------- relu

def relu_forward(x):
    if not _plain(x):
        _validate.check_array("x", x)
        x = _c(x)
    y = np.empty(x.shape, dtype=x.dtype)
    _k.relu_fwd(x, y)
    return y, ElementwiseSaved("relu", y, None, None, None)


def relu_backward(dy, saved):
    y, dy = _checked_saved("relu", dy, saved)
    dx = np.empty(y.shape, dtype=y.dtype)
    _k.relu_bwd(dy, y, dx)
    return dx


# ---------------------------------------------------------------------------- bias + relu

def _split(shape, axis):
    return math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:])


def bias_relu_forward(x, b, channel_axis=1):
    if (_plain(x) and _plain(b) and b.dtype is x.dtype and b.ndim == 1 and x.ndim > 1
            and type(channel_axis) is int and 0 <= channel_axis < x.ndim
            and x.shape[channel_axis] == b.shape[0]):
        axis = channel_axis
    else:
        axis = check_bias_relu(x, b, channel_axis)
        x, b = _c(x), _c(b)
    outer, C, inner = _split(x.shape, axis)
    y = np.empty(x.shape, dtype=x.dtype)
    _k.bias_relu_fwd(x, b, y, outer, C, inner)
    return y, ElementwiseSaved("bias_relu", y, axis, None, None)


def bias_relu_backward(dy, saved):
    y, dy = _checked_saved("bias_relu", dy, saved)
    axis = saved.axis
    outer, C, inner = _split(y.shape, axis)
    dx = np.empty(y.shape, dtype=y.dtype)
    # one partial bias-gradient row per thread block (only split big inputs)
    T = max(1, min(fastnn.get_num_threads(), outer)) if y.size >= 32768 else 1
    part = np.zeros((T, C), dtype=np.float64)
    _k.bias_relu_bwd(dy, y, dx, part, outer, C, inner)
    db = part[0] if T == 1 else part.sum(axis=0)
    return dx, db.astype(y.dtype)


# ---------------------------------------------------------------------------- softmax

def _softmax(x, dim, logarithm):
    if _plain(x) and type(dim) is int and x.ndim >= 1 and (dim == -1 or dim == x.ndim - 1):
        axis = x.ndim - 1
    else:
        axis = check_softmax(x, dim)
        if axis != x.ndim - 1:
            # over an inner axis the rows are strided: NumPy's whole-array passes win
            fn = _ref.log_softmax_forward if logarithm else _ref.softmax_forward
            y, _ = fn(x, axis)
            return y, axis
        x = _c(x)
    C = x.shape[-1]
    y = np.empty(x.shape, dtype=x.dtype)
    if C:
        _k.softmax_rows(x, y, x.size // C, C, logarithm)
    return y, axis


def softmax_forward(x, dim):
    y, axis = _softmax(x, dim, False)
    return y, ElementwiseSaved("softmax", y, axis, None, None)


def log_softmax_forward(x, dim):
    y, axis = _softmax(x, dim, True)
    return y, ElementwiseSaved("log_softmax", y, axis, None, None)


# the backward passes are two NumPy sweeps with one small reduction: already optimal
softmax_backward = _ref.softmax_backward
log_softmax_backward = _ref.log_softmax_backward


# ---------------------------------------------------------------------------- cross entropy

def cross_entropy_forward(logits, target, weight=None, ignore_index=-100, reduction="mean",
                          label_smoothing=0.0):
    kind, t, w, ignore_index, eps = check_cross_entropy(
        logits, target, weight, ignore_index, reduction, label_smoothing)
    if kind == "prob":
        # probability targets are rare and a dense NumPy pass is already one sweep
        return _ref.cross_entropy_forward(logits, target, weight, ignore_index, reduction,
                                          label_smoothing)
    N, C = logits.shape
    dt = logits.dtype
    if w is None and eps == 0.0:
        # the common case: every weight 1, no smoothing
        valid = t != ignore_index
        if valid.all():
            tk, a = t, np.ones(N)
            denom = float(N)
        else:
            tk = np.where(valid, t, -1)
            a = valid.astype(np.float64)
            denom = float(np.count_nonzero(valid))
        s = np.zeros(C, dtype=dt)
        ssum = 0.0
    else:
        valid = t != ignore_index
        tk = np.where(valid, t, -1).astype(np.int64)
        wt = np.where(valid, 1.0 if w is None else w.astype(np.float64)[np.where(valid, t, 0)],
                      0.0).astype(np.float64)
        # PyTorch: 'mean' divides by the summed weights, taken in the logits' precision
        denom = float(wt.astype(dt).sum(dtype=np.float64))
        a = (1 - eps) * wt
        s = (eps / C) * (np.ones(C, dtype=dt) if w is None else w.astype(dt))
        s = np.ascontiguousarray(s, dtype=dt)
        ssum = float(s.astype(np.float64).sum()) if eps > 0 else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = float(np.float64(1.0) / np.float64(denom)) if reduction == "mean" else 1.0
        grad = np.empty((N, C), dtype=dt)
        loss = np.empty(N, dtype=np.float64)
        _k.cross_entropy_index_fwd(_c(logits), np.ascontiguousarray(tk, dtype=np.int64),
                                   np.ascontiguousarray(a, dtype=np.float64), s, eps > 0, ssum,
                                   scale, grad, loss)
        if reduction == "mean":
            out = np.asarray(loss.sum() / np.float64(denom), dtype=dt)
        elif reduction == "sum":
            out = np.asarray(loss.sum(), dtype=dt)
        else:
            out = loss.astype(dt)
    return out, ElementwiseSaved("cross_entropy", grad, None, reduction, None)


# backward is one broadcast multiply of the saved gradient: NumPy is already optimal
cross_entropy_backward = _ref.cross_entropy_backward
