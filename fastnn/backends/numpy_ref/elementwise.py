"""Elementwise and fused kernels, reference implementation (NumPy).

relu, bias+relu (one fused op for Linear/Conv outputs), softmax, log_softmax
and cross_entropy with exactly torch.nn.functional's semantics. Softmax-type
ops subtract the row maximum before exponentiating (stable). cross_entropy is
fused: one log-softmax pass yields the loss and the gradient it will need,
``(sum_c q_c) * softmax - q`` (q = the per-class target weights after class
weights and label smoothing), already divided by the 'mean' denominator, so
the backward pass is one multiply by dloss.
The native twin is fastnn/backends/native/elementwise/__init__.py; the argument
checks and ElementwiseSaved are in fastnn/backends/_validate/elementwise.py.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import check_array
from .._validate.elementwise import (ElementwiseSaved, check_bias_relu, check_cross_entropy,
                                     check_cross_entropy_backward, check_elementwise_backward,
                                     check_softmax)

__all__ = [
    "relu_forward", "relu_backward",
    "bias_relu_forward", "bias_relu_backward",
    "softmax_forward", "softmax_backward",
    "log_softmax_forward", "log_softmax_backward",
    "cross_entropy_forward", "cross_entropy_backward",
]


# ----------------------------------------------------------------------------
# relu

def relu_forward(x: np.ndarray) -> tuple[np.ndarray, ElementwiseSaved]:
    """y = max(x, 0)."""
    check_array("x", x)
    y = np.maximum(x, 0)  # NaN propagates, as in torch.relu
    return y, ElementwiseSaved("relu", y, None, None, None)


def relu_backward(dy: np.ndarray, saved: ElementwiseSaved) -> np.ndarray:
    """dx = dy where y > 0."""
    y = check_elementwise_backward("relu", dy, saved).y
    # y <= 0 rather than y > 0: at a NaN (y is NaN) dy passes, as PyTorch's
    # threshold_backward does
    return np.where(y <= 0, 0, dy).astype(dy.dtype, copy=False)


def bias_relu_forward(x: np.ndarray, b: np.ndarray,
                      channel_axis: int = 1) -> tuple[np.ndarray, ElementwiseSaved]:
    """y = relu(x + b), b broadcast along ``channel_axis``."""
    axis = check_bias_relu(x, b, channel_axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    y = np.maximum(x + b.reshape(shape), 0)
    return y, ElementwiseSaved("bias_relu", y, axis, None, None)


def bias_relu_backward(dy: np.ndarray,
                       saved: ElementwiseSaved) -> tuple[np.ndarray, np.ndarray]:
    """dx = dy where y > 0; db = dx summed over every axis but the channel axis."""
    check_elementwise_backward("bias_relu", dy, saved)
    y, axis = saved.y, saved.axis
    dx = np.where(y <= 0, 0, dy).astype(dy.dtype, copy=False)  # NaN passes dy
    db = dx.sum(axis=tuple(a for a in range(dx.ndim) if a != axis))
    return dx, db


# ----------------------------------------------------------------------------
# softmax / log_softmax

def softmax_forward(x: np.ndarray, dim: int) -> tuple[np.ndarray, ElementwiseSaved]:
    """y = exp(x - max) / sum(exp(x - max)) along dim."""
    axis = check_softmax(x, dim)
    if x.size == 0:  # nothing to normalise (and max() of an empty axis raises)
        y = np.empty(x.shape, dtype=x.dtype)
        return y, ElementwiseSaved("softmax", y, axis, None, None)
    z = np.exp(x - x.max(axis=axis, keepdims=True))
    y = z / z.sum(axis=axis, keepdims=True)
    return y, ElementwiseSaved("softmax", y, axis, None, None)


def softmax_backward(dy: np.ndarray, saved: ElementwiseSaved) -> np.ndarray:
    """dx = y * (dy - sum(dy * y)) along dim."""
    check_elementwise_backward("softmax", dy, saved)
    y, axis = saved.y, saved.axis
    return y * (dy - (dy * y).sum(axis=axis, keepdims=True))


def log_softmax_forward(x: np.ndarray, dim: int) -> tuple[np.ndarray, ElementwiseSaved]:
    """y = (x - max) - log(sum(exp(x - max))) along dim."""
    axis = check_softmax(x, dim)
    if x.size == 0:  # nothing to normalise (and max() of an empty axis raises)
        y = np.empty(x.shape, dtype=x.dtype)
        return y, ElementwiseSaved("log_softmax", y, axis, None, None)
    z = x - x.max(axis=axis, keepdims=True)
    y = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
    return y, ElementwiseSaved("log_softmax", y, axis, None, None)


def log_softmax_backward(dy: np.ndarray, saved: ElementwiseSaved) -> np.ndarray:
    """dx = dy - exp(y) * sum(dy) along dim."""
    check_elementwise_backward("log_softmax", dy, saved)
    y, axis = saved.y, saved.axis
    return dy - np.exp(y) * dy.sum(axis=axis, keepdims=True)


# ----------------------------------------------------------------------------
# cross entropy

def cross_entropy_forward(logits: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None,
                          ignore_index: int = -100, reduction: str = "mean",
                          label_smoothing: float = 0.0) -> tuple[np.ndarray, ElementwiseSaved]:
    """F.cross_entropy on (N, C) logits; returns (loss, saved), loss 0-d unless 'none'."""
    kind, target, weight, ignore_index, eps = check_cross_entropy(
        logits, target, weight, ignore_index, reduction, label_smoothing)
    N, C = logits.shape
    dt = logits.dtype
    logp, _ = log_softmax_forward(logits, 1)
    p = np.exp(logp)
    w = np.ones(C, dtype=dt) if weight is None else weight
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "index":
            valid = target != ignore_index
            t = np.where(valid, target, 0)
            rows = np.arange(N)
            wt = np.where(valid, w[t], 0).astype(dt)       # weight of each sample's class
            # loss_i = (1-eps) w_t (-logp_t) + eps/C sum_c w_c (-logp_c), 0 if ignored
            loss = -(1 - eps) * wt * logp[rows, t]
            q = np.zeros((N, C), dtype=dt)
            q[rows, t] = (1 - eps) * wt
            if eps > 0:
                smooth = (eps / C) * w[None, :] * valid[:, None]
                loss = loss - (smooth * logp).sum(axis=1)
                q += smooth
            denom = wt.sum()  # PyTorch: 'mean' divides by the target weights of kept samples
        else:
            q = target * (1 - eps) + eps / C
            if weight is not None:
                q = q * w[None, :]
            loss = -(q * logp).sum(axis=1)
            denom = N  # probabilities: 'mean' averages over samples
        grad = q.sum(axis=1, keepdims=True) * p - q
        if reduction == "mean":
            out = np.asarray(loss.sum() / denom, dtype=dt)
            grad = grad / denom
            if kind == "index":  # ignored rows stay exactly 0 even when denom is 0
                grad[~valid] = 0
        elif reduction == "sum":
            out = np.asarray(loss.sum(), dtype=dt)
        else:
            out = loss.astype(dt, copy=False)
    return out, ElementwiseSaved("cross_entropy", grad.astype(dt, copy=False), None, reduction,
                                 None)


def cross_entropy_backward(dloss: Any, saved: ElementwiseSaved) -> np.ndarray:
    """The saved gradient times dloss (0-d, or (N,) for reduction='none')."""
    dloss = check_cross_entropy_backward(dloss, saved)
    grad, reduction = saved.y, saved.reduction
    g = dloss.astype(grad.dtype, copy=False)
    return grad * (g[:, None] if reduction == "none" else g)
