"""2-D pooling on the GPU: one thread per output (forward) in kernels/pool.cu.

max_pool2d records flat argmax indices (int64, into each H*W plane) and its
backward scatters with atomicAdd; avg_pool2d's backward gathers; adaptive
average pooling uses PyTorch's bins. Same names, signatures, checks
(fastnn/backends/_validate/pool.py) and PoolSaved as fastnn/backends/numpy_ref/pool.py.
"""
import numpy as np

from .._validate.pool import (adaptive_pool_saved, avg_pool_saved, check_avg_pool2d,
                              check_output_size, check_pool2d, check_pool_backward, max_pool_saved,
                              window_of)
from ._runtime import contiguous, cp, launch, require_gpu_arrays

__all__ = [
    "max_pool2d_forward", "max_pool2d_backward",
    "avg_pool2d_forward", "avg_pool2d_backward",
    "adaptive_avg_pool2d_forward", "adaptive_avg_pool2d_backward",
]

_SRC = "pool.cu"


def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    win = check_pool2d("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    k, s, p, d, _, (oh, ow) = win
    require_gpu_arrays(x=x)
    cupy = cp()
    x = contiguous(x)
    n, c, h, w = x.shape
    y = cupy.empty((n, c, oh, ow), dtype=x.dtype)
    idx = cupy.empty((n, c, oh, ow), dtype=np.int64)
    launch(_SRC, "max_pool2d_fwd", x.dtype, y.size,
           (x, y, idx, n * c, h, w, oh, ow, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1]))
    return y, max_pool_saved(tuple(x.shape), win, idx)


def max_pool2d_backward(dy, saved):
    check_pool_backward("max_pool2d", dy, saved, cp().ndarray)
    idx, xshape = saved.indices, saved.x_shape
    require_gpu_arrays(dy=dy, indices=idx)
    n, c, h, w = xshape
    dy, idx = contiguous(dy), contiguous(idx)
    dx = cp().zeros(xshape, dtype=dy.dtype)
    launch(_SRC, "max_pool2d_bwd", dy.dtype, dy.size,
           (dy, idx, dx, n * c, h * w, idx.shape[2] * idx.shape[3]))
    return dx


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                       count_include_pad=True, divisor_override=None):
    win, cip, divisor = check_avg_pool2d(x, kernel_size, stride, padding, ceil_mode,
                                         count_include_pad, divisor_override)
    k, s, p, _, _, (oh, ow) = win
    require_gpu_arrays(x=x)
    x = contiguous(x)
    n, c, h, w = x.shape
    y = cp().empty((n, c, oh, ow), dtype=x.dtype)
    launch(_SRC, "avg_pool2d_fwd", x.dtype, y.size,
           (x, y, n * c, h, w, oh, ow, k[0], k[1], s[0], s[1], p[0], p[1],
            int(cip), divisor or 0))
    return y, avg_pool_saved((n, c, h, w), win, cip, divisor)


def avg_pool2d_backward(dy, saved):
    check_pool_backward("avg_pool2d", dy, saved, cp().ndarray)
    (n, c, h, w), (oh, ow), (k, s, p) = saved.x_shape, saved.out_hw, window_of(saved)[:3]
    cip, divisor = saved.count_include_pad, saved.divisor
    require_gpu_arrays(dy=dy)
    dy = contiguous(dy)
    dx = cp().empty((n, c, h, w), dtype=dy.dtype)
    launch(_SRC, "avg_pool2d_bwd", dy.dtype, dx.size,
           (dy, dx, n * c, h, w, oh, ow, k[0], k[1], s[0], s[1], p[0], p[1],
            int(cip), divisor or 0))
    return dx


def adaptive_avg_pool2d_forward(x, output_size):
    oh, ow = check_output_size(x, output_size)
    require_gpu_arrays(x=x)
    x = contiguous(x)
    n, c, h, w = x.shape
    y = cp().empty((n, c, oh, ow), dtype=x.dtype)
    launch(_SRC, "adaptive_avg_pool2d_fwd", x.dtype, y.size, (x, y, n * c, h, w, oh, ow))
    return y, adaptive_pool_saved((n, c, h, w), (oh, ow))


def adaptive_avg_pool2d_backward(dy, saved):
    check_pool_backward("adaptive_avg_pool2d", dy, saved, cp().ndarray)
    (n, c, h, w), (oh, ow) = saved.x_shape, saved.out_hw
    require_gpu_arrays(dy=dy)
    dy = contiguous(dy)
    dx = cp().zeros((n, c, h, w), dtype=dy.dtype)
    launch(_SRC, "adaptive_avg_pool2d_bwd", dy.dtype, dy.size, (dy, dx, n * c, h, w, oh, ow))
    return dx
