"""Transposed convolution, reference version: conv_transpose2d and conv_transpose1d.

    y[n, g*Og + o, i*sh - ph + p*dh, j*sw - pw + q*dw] += x[n, g*Cg + c, i, j] * w[g*Cg + c, o, p, q]

every input pixel scatters a weighted copy of the kernel onto the output
(w has PyTorch's layout (C_in, C_out // groups, kH, kW)). Output size per dim:
(H - 1)*s - 2p + d*(k - 1) + output_padding + 1.

This is exactly the input gradient of conv2d with the same w, stride, padding,
dilation and groups, taken at a conv input of the transposed output's shape;
so its input gradient is that conv's forward, and its weight gradient is the
conv's weight gradient with the roles of input and output gradient swapped.
Algorithm here: per group, the column matrix w_g^T @ x_g (K = Og*kH*kW rows,
one column per input pixel), then col2im: every kernel tap scatter-adds its
row of columns onto the strided output positions it reaches.

The fast version is fastnn/backends/native/conv_transpose/__init__.py; the argument
checks and ConvTransposeSaved are in fastnn/backends/_validate/conv_transpose.py.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._validate.conv_transpose import (ConvTransposeSaved, TransposeParams,
                                        check_conv_transpose1d, check_conv_transpose2d,
                                        check_conv_transpose_backward)
from .conv import _columns, _forward

__all__ = ["conv_transpose2d_forward", "conv_transpose2d_backward",
           "conv_transpose1d_forward", "conv_transpose1d_backward"]


def padded_input(x: Any, tp: TransposeParams, module: Any = np) -> Any:
    """x zero-padded at the bottom/right to the size of the equivalent conv's output."""
    h, wd = tp.conv.out_hw
    if x.shape[2:] == (h, wd):
        return x
    xp = module.zeros(x.shape[:2] + (h, wd), dtype=x.dtype)
    xp[:, :, :x.shape[2], :x.shape[3]] = x
    return xp


def conv_transpose2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None,
                             stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                             groups: int = 1,
                             dilation: Any = 1) -> tuple[np.ndarray, ConvTransposeSaved]:
    """y as above; returns (y, saved) for conv_transpose2d_backward."""
    tp = check_conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation)
    return _forward_t(x, w, b, tp), ConvTransposeSaved(x, w, tp)


def _forward_t(x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
               tp: TransposeParams) -> np.ndarray:
    n, c, h, wd = x.shape
    ci, og, kh, kw = w.shape
    g = tp.conv.groups
    (sh, sw), (ph, pw), (dh, dw) = tp.conv.stride, tp.conv.padding, tp.conv.dilation
    oh, ow = tp.out_hw
    xg = x.reshape(n, g, c // g, h * wd)
    cols = w.reshape(g, c // g, og * kh * kw).transpose(0, 2, 1) @ xg  # (N, G, Og*kH*kW, H*W)
    cols = cols.reshape(n, g * og, kh, kw, h, wd)
    # Scatter each tap's plane onto the padded output (big enough for every
    # tap, then cropped): output row i*sh - ph + p*dh is padded row i*sh + p*dh.
    yp = np.zeros((n, g * og, max(oh + ph, (h - 1) * sh + (kh - 1) * dh + 1),
                   max(ow + pw, (wd - 1) * sw + (kw - 1) * dw + 1)), dtype=x.dtype)
    for p in range(kh):
        for q in range(kw):
            yp[:, :, p * dh : p * dh + sh * (h - 1) + 1 : sh,
                     q * dw : q * dw + sw * (wd - 1) + 1 : sw] += cols[:, :, p, q]
    y = np.ascontiguousarray(yp[:, :, ph : ph + oh, pw : pw + ow])
    if b is not None:
        y += b[:, None, None]
    return y


def conv_transpose2d_backward(
        dy: np.ndarray,
        saved: ConvTransposeSaved) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(dx, dw, db) for dy = the gradient of y; db is None without bias."""
    x, w, tp = check_conv_transpose_backward(dy, saved)
    return _backward_t(dy, x, w, tp)


def _backward_t(dy: np.ndarray, x: np.ndarray, w: np.ndarray,
                tp: TransposeParams) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    n, c, h, wd = x.shape
    g = tp.conv.groups
    # input gradient: the convolution of dy with w (the conv this is the gradient of)
    dx = _forward(dy, w, None, tp.conv)[:, :, :h, :wd]
    # weight gradient: that convolution's, with x in the role of its output gradient
    cols = _columns(dy, w.shape[2:], tp.conv)                           # (N, G, Og*kH*kW, H'*W')
    xg = padded_input(x, tp).reshape(n, g, c // g, -1)
    dw = (xg @ cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(w.shape)
    db = dy.sum(axis=(0, 2, 3)) if tp.has_bias else None
    return np.ascontiguousarray(dx), dw, db


def conv_transpose1d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None,
                             stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                             groups: int = 1,
                             dilation: Any = 1) -> tuple[np.ndarray, ConvTransposeSaved]:
    """conv_transpose2d on x (N, C_in, L) as a height-1 image; returns (y, saved)."""
    x2, w2, tp = check_conv_transpose1d(x, w, b, stride, padding, output_padding, groups, dilation)
    return _forward_t(x2, w2, b, tp)[:, :, 0, :], ConvTransposeSaved(x2, w2, tp)


def conv_transpose1d_backward(
        dy: np.ndarray,
        saved: ConvTransposeSaved) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    x, w, tp = check_conv_transpose_backward(dy, saved, ndim=3)
    dx, dw, db = _backward_t(dy[:, :, None, :], x, w, tp)
    return dx[:, :, 0, :], dw[:, :, 0, :], db
