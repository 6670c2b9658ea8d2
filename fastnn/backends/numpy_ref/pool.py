"""2-D pooling, reference implementation (NumPy).

max_pool2d, avg_pool2d and adaptive_avg_pool2d with exactly the semantics of
PyTorch's F.max_pool2d(return_indices=True) / F.avg_pool2d /
F.adaptive_avg_pool2d on NCHW arrays. The forward passes loop over the kh*kw
kernel offsets, each one a strided slice of the padded input; the backward
passes scatter with np.add.at. The native twin is fastnn/backends/native/pool/__init__.py;
the argument checks and PoolSaved, shared by every backend, are in
fastnn/backends/_validate/pool.py.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._validate.pool import (PoolSaved, adaptive_pool_saved, avg_pool_saved, check_avg_pool2d,
                              check_output_size, check_pool2d, check_pool_backward, max_pool_saved,
                              window_of)

__all__ = [
    "max_pool2d_forward", "max_pool2d_backward",
    "avg_pool2d_forward", "avg_pool2d_backward",
    "adaptive_avg_pool2d_forward", "adaptive_avg_pool2d_backward",
]


# ----------------------------------------------------------------------------
# max pool

def _window_starts(out, s, p):
    return np.arange(out) * s - p


def max_pool2d_forward(x: np.ndarray, kernel_size: Any, stride: Any = None, padding: Any = 0,
                       dilation: Any = 1, ceil_mode: bool = False) -> tuple[np.ndarray, PoolSaved]:
    """y = max over each window; saved.indices = flat argmax indices into each H*W plane."""
    win = check_pool2d("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    k, s, p, d, _, (OH, OW) = win
    N, C, H, W = x.shape
    # pad generously with -inf so every kernel offset is one strided slice
    hi_h = max(0, (OH - 1) * s[0] - p[0] + d[0] * (k[0] - 1) + 1 - H)
    hi_w = max(0, (OW - 1) * s[1] - p[1] + d[1] * (k[1] - 1) + 1 - W)
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], hi_h), (p[1], hi_w)), constant_values=-np.inf)
    hs = _window_starts(OH, s[0], p[0])
    ws = _window_starts(OW, s[1], p[1])
    # PyTorch's initial index: the first in-bounds row/column of the window
    h0 = np.where(hs < 0, hs + (-hs + d[0] - 1) // d[0] * d[0], hs)
    w0 = np.where(ws < 0, ws + (-ws + d[1] - 1) // d[1] * d[1], ws)
    best = np.full((N, C, OH, OW), -np.inf, dtype=x.dtype)
    idx = np.broadcast_to((h0[:, None] * W + w0[None, :]).astype(np.int64), best.shape).copy()
    for i in range(k[0]):
        for j in range(k[1]):
            r0, c0 = p[0] + hs[0] + i * d[0], p[1] + ws[0] + j * d[1]
            v = xp[:, :, r0:r0 + (OH - 1) * s[0] + 1:s[0], c0:c0 + (OW - 1) * s[1] + 1:s[1]]
            take = (v > best) | np.isnan(v)  # NaN wins, as in PyTorch
            best = np.where(take, v, best)
            pos = (hs[:, None] + i * d[0]) * W + (ws[None, :] + j * d[1])
            idx = np.where(take, pos, idx)
    return best.astype(x.dtype, copy=False), max_pool_saved(tuple(x.shape), win, idx)


def max_pool2d_backward(dy: np.ndarray, saved: PoolSaved) -> np.ndarray:
    """Scatter-add dy to the argmax of each window (overlapping windows accumulate)."""
    check_pool_backward("max_pool2d", dy, saved)
    idx, xshape = saved.indices, saved.x_shape
    N, C, H, W = xshape
    dx = np.zeros((N * C, H * W), dtype=dy.dtype)
    flat_idx = idx.reshape(N * C, idx.shape[2] * idx.shape[3])
    rows = np.broadcast_to(np.arange(N * C)[:, None], flat_idx.shape)
    ok = (flat_idx >= 0) & (flat_idx < H * W)  # windows wholly in padding own no input
    np.add.at(dx, (rows[ok], flat_idx[ok]), dy.reshape(flat_idx.shape)[ok])
    return dx.reshape(xshape)


# ----------------------------------------------------------------------------
# average pool

def _avg_geometry(H, W, k, s, p, OH, OW, count_include_pad, divisor):
    """Per-output clipped window bounds and divisors, as PyTorch computes them."""
    def axis(size, k, s, p, out):
        a0 = np.arange(out) * s - p
        a1 = np.minimum(a0 + k, size + p)
        span = a1 - a0  # window size counting padding (but not past it)
        return np.maximum(a0, 0), np.minimum(a1, size), span
    h0, h1, hspan = axis(H, k[0], s[0], p[0], OH)
    w0, w1, wspan = axis(W, k[1], s[1], p[1], OW)
    if divisor is not None:
        div = np.full((OH, OW), float(divisor))
    elif count_include_pad:
        div = (hspan[:, None] * wspan[None, :]).astype(float)
    else:
        div = ((h1 - h0)[:, None] * (w1 - w0)[None, :]).astype(float)
    return h0, h1, w0, w1, div


def avg_pool2d_forward(x: np.ndarray, kernel_size: Any, stride: Any = None, padding: Any = 0,
                       ceil_mode: bool = False, count_include_pad: bool = True,
                       divisor_override: int | None = None) -> tuple[np.ndarray, PoolSaved]:
    """y = sum over each window / divisor (window size, with or without padding, or override)."""
    win, cip, divisor = check_avg_pool2d(x, kernel_size, stride, padding, ceil_mode,
                                         count_include_pad, divisor_override)
    k, s, p, _, _, (OH, OW) = win
    N, C, H, W = x.shape
    h0, h1, w0, w1, div = _avg_geometry(H, W, k, s, p, OH, OW, cip, divisor)
    # a summed-area table turns every window sum into four lookups
    sat = np.zeros((N, C, H + 1, W + 1), dtype=np.float64)
    sat[:, :, 1:, 1:] = x.cumsum(axis=2, dtype=np.float64).cumsum(axis=3)
    tot = (sat[:, :, h1][:, :, :, w1] - sat[:, :, h0][:, :, :, w1]
           - sat[:, :, h1][:, :, :, w0] + sat[:, :, h0][:, :, :, w0])
    empty = (h0 >= h1)[:, None] | (w0 >= w1)[None, :]
    y = np.where(empty, 0.0, tot / div).astype(x.dtype)
    return y, avg_pool_saved((N, C, H, W), win, cip, divisor)


def avg_pool2d_backward(dy: np.ndarray, saved: PoolSaved) -> np.ndarray:
    """Spread dy / divisor uniformly over each (clipped) window."""
    check_pool_backward("avg_pool2d", dy, saved)
    (N, C, H, W), (OH, OW), (k, s, p) = saved.x_shape, saved.out_hw, window_of(saved)[:3]
    h0, h1, w0, w1, div = _avg_geometry(H, W, k, s, p, OH, OW, saved.count_include_pad,
                                        saved.divisor)
    g = dy / div
    dx = np.zeros((N, C, H, W), dtype=np.float64)
    for oh in range(OH):
        for ow in range(OW):
            dx[:, :, h0[oh]:h1[oh], w0[ow]:w1[ow]] += g[:, :, oh, ow, None, None]
    return dx.astype(dy.dtype)


# ----------------------------------------------------------------------------
# adaptive average pool

def adaptive_bins(size, out):
    """PyTorch's bins: start = floor(i*size/out), end = ceil((i+1)*size/out)."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def adaptive_avg_pool2d_forward(x: np.ndarray, output_size: Any) -> tuple[np.ndarray, PoolSaved]:
    """y[.., i, j] = mean of x over bin (i, j); bins as in adaptive_bins."""
    OH, OW = check_output_size(x, output_size)
    N, C, H, W = x.shape
    hs, he = adaptive_bins(H, OH)
    ws, we = adaptive_bins(W, OW)
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    for oh in range(OH):
        for ow in range(OW):
            y[:, :, oh, ow] = x[:, :, hs[oh]:he[oh], ws[ow]:we[ow]].mean(axis=(2, 3))
    return y, adaptive_pool_saved((N, C, H, W), (OH, OW))


def adaptive_avg_pool2d_backward(dy: np.ndarray, saved: PoolSaved) -> np.ndarray:
    """Spread dy / bin area uniformly over each bin."""
    check_pool_backward("adaptive_avg_pool2d", dy, saved)
    (N, C, H, W), (OH, OW) = saved.x_shape, saved.out_hw
    hs, he = adaptive_bins(H, OH)
    ws, we = adaptive_bins(W, OW)
    dx = np.zeros((N, C, H, W), dtype=dy.dtype)
    for oh in range(OH):
        for ow in range(OW):
            area = (he[oh] - hs[oh]) * (we[ow] - ws[ow])
            dx[:, :, hs[oh]:he[oh], ws[ow]:we[ow]] += dy[:, :, oh, ow, None, None] / area
    return dx
