"""Convolution on the GPU: im2col (kernels/im2col.cu) + one cuBLAS batched GEMM.

Forward: cols = im2col(x) as (N, G, K = Cg*kH*kW, Ho*Wo); y = W_g @ cols for
every sample and group in one cupy.matmul. Backward: dW = sum_n dY @ cols^T,
dcols = W_g^T @ dY, and col2im (a gather, so no atomics) folds dcols back onto
dx. Same names, signatures, checks (fastnn/backends/_validate/conv.py) and
ConvSaved as fastnn/backends/numpy_ref/conv.py; conv1d is conv2d on a height-1 image.
"""
from .._validate.conv import ConvSaved, check_conv1d, check_conv2d, check_conv_backward
from ._runtime import contiguous, cp, launch, require_gpu_arrays

__all__ = ["conv2d_forward", "conv2d_backward", "conv1d_forward", "conv1d_backward"]

_SRC = "im2col.cu"


def _geometry(x, kshape, p):
    n, c, h, w = x.shape
    kh, kw = kshape
    (sh, sw), (ph, pw), (dh, dw) = p.stride, p.padding, p.dilation
    ho, wo = p.out_hw
    return (n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo)


def _columns(x, kshape, p):
    """im2col of contiguous x: (N, G, K, Ho*Wo)."""
    geo = _geometry(x, kshape, p)
    n, c, _, _, kh, kw = geo[:6]
    ho, wo = p.out_hw
    cols = cp().empty((n, c * kh * kw, ho * wo), dtype=x.dtype)
    launch(_SRC, "im2col", x.dtype, cols.size, (x, cols) + geo)
    return cols.reshape(n, p.groups, (c // p.groups) * kh * kw, ho * wo)


def _forward(x, w, b, p):
    n, o = x.shape[0], w.shape[0]
    g = p.groups
    cols = _columns(x, w.shape[2:], p)
    y = cp().matmul(w.reshape(g, o // g, -1), cols).reshape(n, o, *p.out_hw)
    if b is not None:
        y += b[:, None, None]
    return y


def conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    params = check_conv2d(x, w, b, stride, padding, dilation, groups)
    require_gpu_arrays(x=x, w=w, b=b)
    x, w = contiguous(x), contiguous(w)
    return _forward(x, w, b, params), ConvSaved(x, w, params)


def conv2d_backward(dy, saved):
    x, w, p = check_conv_backward(dy, saved, cp().ndarray)
    require_gpu_arrays(dy=dy, x=x, w=w)
    return _backward(dy, x, w, p)


def _backward(dy, x, w, p):
    cupy = cp()
    x, w, dy = contiguous(x), contiguous(w), contiguous(dy)
    n, c = x.shape[:2]
    o, cg, kh, kw = w.shape
    g = p.groups
    ho, wo = p.out_hw
    dyg = dy.reshape(n, g, o // g, ho * wo)
    cols = _columns(x, (kh, kw), p)
    db = dy.sum(axis=(0, 2, 3)) if p.has_bias else None
    dw = cupy.matmul(dyg, cols.swapaxes(-1, -2)).sum(axis=0).reshape(w.shape)
    del cols
    dcols = cupy.matmul(w.reshape(g, o // g, -1).swapaxes(-1, -2), dyg)   # (N, G, K, Ho*Wo)
    dcols = cupy.ascontiguousarray(dcols)
    dx = cupy.empty(x.shape, dtype=x.dtype)
    launch(_SRC, "col2im", x.dtype, dx.size, (dcols, dx) + _geometry(x, (kh, kw), p))
    return dx, dw, db


def conv1d_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    x2, w2, params = check_conv1d(x, w, b, stride, padding, dilation, groups)
    require_gpu_arrays(x=x, w=w, b=b)
    x2, w2 = contiguous(x2), contiguous(w2)
    return _forward(x2, w2, b, params)[:, :, 0, :], ConvSaved(x2, w2, params)


def conv1d_backward(dy, saved):
    x, w, p = check_conv_backward(dy, saved, cp().ndarray, ndim=3)
    require_gpu_arrays(dy=dy, x=x, w=w)
    dx, dw, db = _backward(dy[:, :, None, :], x, w, p)
    return dx[:, :, 0, :], dw[:, :, 0, :], db
