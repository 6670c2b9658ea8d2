"""Convolution, native version: conv2d and conv1d, forward and backward.

Algorithm: im2col (compiled, OpenMP over sample-channel planes) + GEMM
(NumPy's BLAS via np.matmul, one (Og, K) @ (K, Ho*Wo) product per sample and
group so the output lands directly in NCHW order) + col2im for the input
gradient. The compiled steps and the BLAS calls run one after the other, never
at the same time. Specialised paths:
  * 1x1 kernels with stride 1 and no padding: the input already is the column
    matrix, so im2col and col2im vanish.
  * depthwise (one input channel per group): direct loops, no GEMM.
The reference is fastnn/backends/numpy_ref/conv.py; the argument checks are
shared with it.
"""
import numpy as np

from .._validate import check_array
from ..numpy_ref.conv import check_conv1d, check_conv2d, check_grad_output
from ._conv import col2im, depthwise_backward_input, depthwise_backward_weight, depthwise_forward, im2col

__all__ = ["conv2d_forward", "conv2d_backward", "conv1d_forward", "conv1d_backward"]


def _is_pointwise(kshape, p):
    return kshape == (1, 1) and p.stride == (1, 1) and p.padding == (0, 0)


def _im2col(x, kshape, p):
    n, c = x.shape[:2]
    kh, kw = kshape
    ho, wo = p.out_hw
    if _is_pointwise(kshape, p):
        return x.reshape(n, c, ho * wo)
    cols = np.empty((n, c * kh * kw, ho * wo), dtype=x.dtype)
    if cols.size:
        im2col(x, cols, kh, kw, *p.stride, *p.padding, *p.dilation, ho, wo)
    return cols


def _forward(x, w, b, p):
    x = np.ascontiguousarray(x)
    w = np.ascontiguousarray(w)
    n, c = x.shape[:2]
    o, cg, kh, kw = w.shape
    g = p.groups
    ho, wo = p.out_hw
    y = np.empty((n, o, ho, wo), dtype=x.dtype)
    if cg == 1 and g == c:
        if y.size:
            depthwise_forward(x, w, y, *p.stride, *p.padding, *p.dilation)
    else:
        cols = _im2col(x, (kh, kw), p)
        np.matmul(w.reshape(g, o // g, cg * kh * kw), cols.reshape(n, g, cg * kh * kw, ho * wo),
                  out=y.reshape(n, g, o // g, ho * wo))
    if b is not None:
        y += b.reshape(o, 1, 1)
    return y, (x, w, p)


def _backward(dy, saved):
    x, w, p = saved
    check_grad_output(dy, x.shape, w.shape, p, x.dtype)
    dy = np.ascontiguousarray(dy)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    g = p.groups
    ho, wo = p.out_hw
    db = dy.sum(axis=(0, 2, 3)) if p.has_bias else None
    if cg == 1 and g == c:
        dx = np.empty_like(x)
        dw = np.empty_like(w)
        if dx.size:
            depthwise_backward_input(dy, w, dx, *p.stride, *p.padding, *p.dilation)
        if dw.size:
            depthwise_backward_weight(dy, x, dw, *p.stride, *p.padding, *p.dilation)
        return dx, dw, db
    k = cg * kh * kw
    dyg = dy.reshape(n, g, o // g, ho * wo)
    wg = w.reshape(g, o // g, k)
    cols = _im2col(x, (kh, kw), p).reshape(n, g, k, ho * wo)
    if n:
        dw = np.matmul(dyg, cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(w.shape)
    else:
        dw = np.zeros_like(w)
    dcols = np.matmul(wg.transpose(0, 2, 1), dyg)                   # (N, G, K, Ho*Wo)
    if _is_pointwise((kh, kw), p):
        return dcols.reshape(x.shape), dw, db
    dx = np.empty_like(x)
    if dx.size:
        col2im(dcols.reshape(n, c * kh * kw, ho * wo), dx, kh, kw, *p.stride, *p.padding, *p.dilation, ho, wo)
    return dx, dw, db


def conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return _forward(x, w, b, check_conv2d(x, w, b, stride, padding, dilation, groups))


def conv2d_backward(dy, saved):
    return _backward(dy, saved)


def conv1d_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    x2, w2, s, pd, d = check_conv1d(x, w, b, stride, padding, dilation, groups)
    y, saved = _forward(x2, w2, b, check_conv2d(x2, w2, b, s, pd, d, groups, name="conv1d"))
    return y[:, :, 0, :], saved


def conv1d_backward(dy, saved):
    check_array("dy", dy, ndim=3, dtype=saved[0].dtype)
    dx, dw, db = _backward(dy[:, :, None, :], saved)
    return dx[:, :, 0, :], dw[:, :, 0, :], db
