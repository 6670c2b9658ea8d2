"""Transposed convolution on the GPU: the conv family's im2col/col2im kernels in other roles.

A transposed convolution is the input gradient of the convolution with the
same weight and geometry (see fastnn/backends/numpy_ref/conv_transpose.py, the
reference; checks and ConvTransposeSaved in fastnn/backends/_validate/conv_transpose.py). Forward: columns
w_g^T @ x_g in one batched cuBLAS GEMM, folded onto y by col2im (a gather, no
atomics). Backward: dx is the conv forward of dy; dW = sum_n x_n @ im2col(dy_n)^T.
"""
from .._validate.conv_transpose import (ConvTransposeSaved, check_conv_transpose1d,
                                        check_conv_transpose2d, check_conv_transpose_backward)
from ..numpy_ref.conv_transpose import padded_input
from . import conv as _conv
from ._runtime import contiguous, cp, launch, require_gpu_arrays

__all__ = ["conv_transpose2d_forward", "conv_transpose2d_backward",
           "conv_transpose1d_forward", "conv_transpose1d_backward"]


def _forward_t(x, w, b, tp):
    cupy = cp()
    x = contiguous(padded_input(x, tp, cupy))
    w = contiguous(w)
    n, c = x.shape[:2]
    ci, og, kh, kw = w.shape
    g = tp.conv.groups
    y = cupy.empty((n, og * g) + tp.out_hw, dtype=x.dtype)
    cols = cupy.matmul(w.reshape(g, c // g, og * kh * kw).swapaxes(-1, -2),
                       x.reshape(n, g, c // g, -1))                   # (N, G, Og*kH*kW, H'*W')
    cols = cupy.ascontiguousarray(cols)
    launch(_conv._SRC, "col2im", x.dtype, y.size, (cols, y) + _conv._geometry(y, (kh, kw), tp.conv))
    if b is not None:
        y += b[:, None, None]
    return y


def conv_transpose2d_forward(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                             dilation=1):
    tp = check_conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation)
    require_gpu_arrays(x=x, w=w, b=b)
    return _forward_t(x, w, b, tp), ConvTransposeSaved(x, w, tp)


def conv_transpose2d_backward(dy, saved):
    x, w, tp = check_conv_transpose_backward(dy, saved, cp().ndarray)
    require_gpu_arrays(dy=dy, x=x, w=w)
    return _backward_t(dy, x, w, tp)


def _backward_t(dy, x, w, tp):
    cupy = cp()
    dy, w = contiguous(dy), contiguous(w)
    n, c, h, wd = x.shape
    g = tp.conv.groups
    dx = _conv._forward(dy, w, None, tp.conv)[:, :, :h, :wd]
    cols = _conv._columns(dy, w.shape[2:], tp.conv)                     # (N, G, Og*kH*kW, H'*W')
    xg = contiguous(padded_input(x, tp, cupy)).reshape(n, g, c // g, -1)
    dw = cupy.matmul(xg, cols.swapaxes(-1, -2)).sum(axis=0).reshape(w.shape)
    db = dy.sum(axis=(0, 2, 3)) if tp.has_bias else None
    return cupy.ascontiguousarray(dx), dw, db


def conv_transpose1d_forward(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                             dilation=1):
    x2, w2, tp = check_conv_transpose1d(x, w, b, stride, padding, output_padding, groups, dilation)
    require_gpu_arrays(x=x, w=w, b=b)
    return _forward_t(x2, w2, b, tp)[:, :, 0, :], ConvTransposeSaved(x2, w2, tp)


def conv_transpose1d_backward(dy, saved):
    x, w, tp = check_conv_transpose_backward(dy, saved, cp().ndarray, ndim=3)
    require_gpu_arrays(dy=dy, x=x, w=w)
    dx, dw, db = _backward_t(dy[:, :, None, :], x, w, tp)
    return dx[:, :, 0, :], dw[:, :, 0, :], db
