"""Transposed convolution, native version: conv_transpose2d and conv_transpose1d.

A transposed convolution is the input gradient of the convolution with the
same weight and geometry, so this family has no kernels of its own: it runs
the conv family's compiled kernels (conv/_conv.pyx) in other roles.

- forward: the conv's input gradient alone (backward_gemm with parts=1: w^T @ x
  per block, col2im onto y, OpenMP over blocks of samples), or the depthwise
  input-gradient loops when every group has one output channel;
- backward, input gradient: the conv forward with every fast path it has
  (Winograd, packed im2col, 1x1, depthwise);
- backward, weight gradient: the conv's weight gradient alone (parts=2), dy
  in the role of the conv input and x in that of its output gradient.

The conv family's packed path (conv_gemm_kernel.c, one sample per GEMM) was
tried for both halves and measured 0.3-1.0x the blocked path's speed on DCGAN
generator shapes (4x4 to 16x16 images, batch 16-64, one thread, AMD EPYC
Zen 4): small images give it short panels, where the blocked path puts
several samples side by side in one GEMM.

The reference is fastnn/backends/numpy_ref/conv_transpose.py; the argument
checks and ConvTransposeSaved are fastnn/backends/_validate/conv_transpose.py.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..._validate.conv_transpose import (ConvTransposeSaved, TransposeParams,
                                         check_conv_transpose1d, check_conv_transpose2d,
                                         check_conv_transpose_backward)
from ...numpy_ref.conv_transpose import padded_input
from .. import conv as _conv_family
from ..conv import _conv

__all__ = ["conv_transpose2d_forward", "conv_transpose2d_backward",
           "conv_transpose1d_forward", "conv_transpose1d_backward"]

_DX, _DW = 1, 2


def _depthwise(y_channels, w, p):
    return _conv_family._depthwise(np.empty((0, y_channels, 0, 0)), w, p)


def _input_grad(d, w, y_shape, p):
    """The conv's input gradient for output gradient d: (N,) + y_shape[1:], conv params p."""
    y = np.empty(y_shape, dtype=d.dtype)
    if y.size == 0:
        return y
    if d.size == 0 or w.size == 0:
        y.fill(0)
        return y
    if _depthwise(y_shape[1], w, p):
        _conv.depthwise_backward_input(d, w, y, *p.stride, *p.padding, *p.dilation)
        return y
    block, chunk, teams, cols, rows = _conv_family._plan(y, w, p)
    nowhere = np.empty((teams, 1, 1, 1, 1), dtype=d.dtype)  # no weight gradient written
    _conv.backward_gemm(d, y, w, y, nowhere, cols, rows, p.groups, block, chunk,
                        _conv_family._geometry(p), _DX)
    return y


def _weight_grad(d, x, w_shape, p):
    """The conv's weight gradient for input x and output gradient d (conv params p)."""
    dtype = x.dtype
    if d.size == 0 or x.size == 0:
        return np.zeros(w_shape, dtype=dtype)
    wdummy = np.empty(w_shape, dtype=dtype)  # only its shape is read
    if _depthwise(x.shape[1], wdummy, p):
        dw = np.empty(w_shape, dtype=dtype)
        kh, kw = w_shape[2:]
        macs = float(x.shape[0]) * w_shape[0] * p.out_hw[0] * p.out_hw[1] * kh * kw
        acc = np.empty((_conv.team(macs), kh * kw * p.out_hw[1]), dtype=dtype)
        _conv.depthwise_backward_weight(d, x, dw, acc, *p.stride, *p.padding, *p.dilation)
        return dw
    block, chunk, teams, cols, rows = _conv_family._plan(x, wdummy, p)
    dw_part = np.zeros((teams,) + tuple(w_shape), dtype=dtype)
    nowhere = np.empty((1, 1, 1, 1), dtype=dtype)  # no input gradient written
    _conv.backward_gemm(d, x, wdummy, nowhere, dw_part, cols, rows, p.groups, block, chunk,
                        _conv_family._geometry(p), _DW)
    dw = dw_part.sum(axis=0) if teams > 1 else dw_part[0]
    return _conv_family._untranspose_wgrad(dw, tuple(w_shape), p.groups)


def _forward_t(x, w, b, tp):
    x = np.ascontiguousarray(padded_input(x, tp))
    w = np.ascontiguousarray(w)
    y = _input_grad(x, w, (x.shape[0], w.shape[1] * tp.conv.groups) + tp.out_hw, tp.conv)
    if b is not None:
        y += b.reshape(-1, 1, 1)
    return y


def conv_transpose2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None,
                             stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                             groups: int = 1,
                             dilation: Any = 1) -> tuple[np.ndarray, ConvTransposeSaved]:
    tp = check_conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation)
    return _forward_t(x, w, b, tp), ConvTransposeSaved(x, w, tp)


def conv_transpose2d_backward(
        dy: np.ndarray,
        saved: ConvTransposeSaved) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    return _backward_t(dy, *check_conv_transpose_backward(dy, saved))


def _backward_t(dy: np.ndarray, x: np.ndarray, w: np.ndarray,
                tp: TransposeParams) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    dy = np.ascontiguousarray(dy)
    w = np.ascontiguousarray(w)
    h, wd = x.shape[2:]
    dx = _conv_family._forward(dy, w, None, tp.conv)
    if dx.shape[2:] != (h, wd):
        dx = np.ascontiguousarray(dx[:, :, :h, :wd])
    dw = _weight_grad(np.ascontiguousarray(padded_input(x, tp)), dy, w.shape, tp.conv)
    db = _conv_family._bias_grad(dy) if tp.has_bias else None
    return dx, dw, db


def conv_transpose1d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None,
                             stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                             groups: int = 1,
                             dilation: Any = 1) -> tuple[np.ndarray, ConvTransposeSaved]:
    x2, w2, tp = check_conv_transpose1d(x, w, b, stride, padding, output_padding, groups, dilation)
    return _forward_t(x2, w2, b, tp)[:, :, 0, :], ConvTransposeSaved(x2, w2, tp)


def conv_transpose1d_backward(
        dy: np.ndarray,
        saved: ConvTransposeSaved) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    x, w, tp = check_conv_transpose_backward(dy, saved, ndim=3)
    dx, dw, db = _backward_t(dy[:, :, None, :], x, w, tp)
    return dx[:, :, 0, :], dw[:, :, 0, :], db
