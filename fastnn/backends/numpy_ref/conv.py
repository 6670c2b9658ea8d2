"""Convolution, reference version: conv2d and conv1d, forward and backward.

    y[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] *
                    xpad[n, g*Cg + c, i*sh + p*dh, j*sw + q*dw]      (g = o // Og)

Algorithm: im2col + GEMM. The windows of the padded input are a strided view
(sliding_window_view); copied into a (K = Cg*kH*kW, Ho*Wo) matrix per sample
and group, the convolution is one matrix product with the (Og, K) weights.
Backward is the same product transposed, and col2im scatter-adds the column
gradient back onto the input. conv1d is conv2d on a height-1 image.

The fast version is fastnn/backends/native/conv/__init__.py; the argument checks
and ConvSaved, shared by every backend, are in fastnn/backends/_validate/conv.py.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._validate.conv import ConvParams, ConvSaved, check_conv1d, check_conv2d, check_conv_backward

__all__ = ["conv2d_forward", "conv2d_backward", "conv1d_forward", "conv1d_backward"]


def _columns(x: np.ndarray, kshape: tuple[int, int], p: ConvParams) -> np.ndarray:
    """im2col: (N, G, K, Ho*Wo) matrix of input windows, K = Cg*kH*kW (a copy)."""
    n, c = x.shape[:2]
    kh, kw = kshape
    (sh, sw), (ph, pw), (dh, dw) = p.stride, p.padding, p.dilation
    ho, wo = p.out_hw
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    win = win[:, :, : sh * (ho - 1) + 1 : sh, : sw * (wo - 1) + 1 : sw, ::dh, ::dw]  # N C Ho Wo kH kW
    cols = win.transpose(0, 1, 4, 5, 2, 3)                                            # N C kH kW Ho Wo
    return cols.reshape(n, p.groups, (c // p.groups) * kh * kw, ho * wo)


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: Any = 1,
                   padding: Any = 0, dilation: Any = 1,
                   groups: int = 1) -> tuple[np.ndarray, ConvSaved]:
    """y = conv2d(x, w) + b as above; returns (y, saved) for conv2d_backward."""
    p = check_conv2d(x, w, b, stride, padding, dilation, groups)
    return _forward(x, w, b, p), ConvSaved(x, w, p)


def _forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, p: ConvParams) -> np.ndarray:
    n, o = x.shape[0], w.shape[0]
    g = p.groups
    cols = _columns(x, w.shape[2:], p)
    y = w.reshape(g, o // g, -1) @ cols                   # (N, G, Og, Ho*Wo)
    y = y.reshape(n, o, *p.out_hw)
    if b is not None:
        y = y + b[:, None, None]
    return y


def conv2d_backward(dy: np.ndarray,
                    saved: ConvSaved) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(dx, dw, db) for dy = the gradient of conv2d_forward's y; db is None without bias."""
    x, w, p = check_conv_backward(dy, saved)
    return _backward(dy, x, w, p)


def _backward(dy: np.ndarray, x: np.ndarray, w: np.ndarray,
              p: ConvParams) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    g = p.groups
    ho, wo = p.out_hw
    (sh, sw), (ph, pw), (dh, dw) = p.stride, p.padding, p.dilation
    dyg = dy.reshape(n, g, o // g, ho * wo)
    cols = _columns(x, (kh, kw), p)
    db = dy.sum(axis=(0, 2, 3)) if p.has_bias else None
    dw_ = (dyg @ cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(w.shape)
    dcols = w.reshape(g, o // g, -1).transpose(0, 2, 1) @ dyg          # (N, G, K, Ho*Wo)
    dcols = dcols.reshape(n, c, kh, kw, ho, wo)
    # col2im: every kernel tap (i, j) scatters its column back onto the strided
    # input positions it read.
    dxp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i * dh : i * dh + sh * (ho - 1) + 1 : sh,
                      j * dw : j * dw + sw * (wo - 1) + 1 : sw] += dcols[:, :, i, j]
    dx = dxp[:, :, ph : ph + h, pw : pw + wd]
    return np.ascontiguousarray(dx), dw_, db


def conv1d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: Any = 1,
                   padding: Any = 0, dilation: Any = 1,
                   groups: int = 1) -> tuple[np.ndarray, ConvSaved]:
    """conv2d on x (N, C, L) as a height-1 image; returns (y (N, O, Lout), saved)."""
    x2, w2, p = check_conv1d(x, w, b, stride, padding, dilation, groups)
    return _forward(x2, w2, b, p)[:, :, 0, :], ConvSaved(x2, w2, p)


def conv1d_backward(dy: np.ndarray,
                    saved: ConvSaved) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    x, w, p = check_conv_backward(dy, saved, ndim=3)
    dx, dw, db = _backward(dy[:, :, None, :], x, w, p)
    return dx[:, :, 0, :], dw[:, :, 0, :], db
