"""2-D pooling on the GPU: one thread per output (forward) in kernels/pool.cu.

max_pool2d records flat argmax indices (int64, into each H*W plane) and its
backward scatters with atomicAdd; avg_pool2d's backward gathers; adaptive
average pooling uses PyTorch's bins. Same names, signatures, checks and
``saved`` tuples as fastnn/backends/numpy_ref/pool.py, whose validators are
shared.
"""
import numpy as np

from ..numpy_ref.pool import (validate_divisor, validate_grad, validate_output_size,
                              validate_pool_args, validate_saved)
from ._runtime import contiguous, cp, launch, require_gpu_arrays

__all__ = [
    "max_pool2d_forward", "max_pool2d_backward",
    "avg_pool2d_forward", "avg_pool2d_backward",
    "adaptive_avg_pool2d_forward", "adaptive_avg_pool2d_backward",
]

_SRC = "pool.cu"


def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    k, s, p, d, (oh, ow) = validate_pool_args("max_pool2d", x, kernel_size, stride, padding,
                                              dilation, ceil_mode)
    require_gpu_arrays(x=x)
    cupy = cp()
    x = contiguous(x)
    n, c, h, w = x.shape
    y = cupy.empty((n, c, oh, ow), dtype=x.dtype)
    idx = cupy.empty((n, c, oh, ow), dtype=np.int64)
    launch(_SRC, "max_pool2d_fwd", x.dtype, y.size,
           (x, y, idx, n * c, h, w, oh, ow, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1]))
    return y, (idx, tuple(x.shape), (k, s, p, d, bool(ceil_mode)), "max_pool2d")


def max_pool2d_backward(dy, saved):
    validate_saved(saved, "max_pool2d")
    idx, xshape = saved[0], saved[1]
    validate_grad("dy", dy, idx.shape, None)
    require_gpu_arrays(dy=dy, indices=idx)
    n, c, h, w = xshape
    dy, idx = contiguous(dy), contiguous(idx)
    dx = cp().zeros(xshape, dtype=dy.dtype)
    launch(_SRC, "max_pool2d_bwd", dy.dtype, dy.size,
           (dy, idx, dx, n * c, h * w, idx.shape[2] * idx.shape[3]))
    return dx


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                       count_include_pad=True, divisor_override=None):
    k, s, p, _, (oh, ow) = validate_pool_args("avg_pool2d", x, kernel_size, stride, padding, 1,
                                              ceil_mode)
    if not isinstance(count_include_pad, (bool, np.bool_)):
        raise TypeError(f"count_include_pad: expected a bool, got {count_include_pad!r}")
    divisor = validate_divisor(divisor_override)
    require_gpu_arrays(x=x)
    x = contiguous(x)
    n, c, h, w = x.shape
    y = cp().empty((n, c, oh, ow), dtype=x.dtype)
    launch(_SRC, "avg_pool2d_fwd", x.dtype, y.size,
           (x, y, n * c, h, w, oh, ow, k[0], k[1], s[0], s[1], p[0], p[1],
            int(bool(count_include_pad)), divisor or 0))
    return y, ((n, c, h, w), k, s, p, (oh, ow), bool(count_include_pad), divisor, "avg_pool2d")


def avg_pool2d_backward(dy, saved):
    validate_saved(saved, "avg_pool2d")
    (n, c, h, w), k, s, p, (oh, ow), cip, divisor = saved[:7]
    validate_grad("dy", dy, (n, c, oh, ow), None)
    require_gpu_arrays(dy=dy)
    dy = contiguous(dy)
    dx = cp().empty((n, c, h, w), dtype=dy.dtype)
    launch(_SRC, "avg_pool2d_bwd", dy.dtype, dx.size,
           (dy, dx, n * c, h, w, oh, ow, k[0], k[1], s[0], s[1], p[0], p[1],
            int(cip), divisor or 0))
    return dx


def adaptive_avg_pool2d_forward(x, output_size):
    oh, ow = validate_output_size(x, output_size)
    require_gpu_arrays(x=x)
    x = contiguous(x)
    n, c, h, w = x.shape
    y = cp().empty((n, c, oh, ow), dtype=x.dtype)
    launch(_SRC, "adaptive_avg_pool2d_fwd", x.dtype, y.size, (x, y, n * c, h, w, oh, ow))
    return y, ((n, c, h, w), (oh, ow), "adaptive_avg_pool2d")


def adaptive_avg_pool2d_backward(dy, saved):
    validate_saved(saved, "adaptive_avg_pool2d")
    (n, c, h, w), (oh, ow) = saved[:2]
    validate_grad("dy", dy, (n, c, oh, ow), None)
    require_gpu_arrays(dy=dy)
    dy = contiguous(dy)
    dx = cp().zeros((n, c, h, w), dtype=dy.dtype)
    launch(_SRC, "adaptive_avg_pool2d_bwd", dy.dtype, dy.size, (dy, dx, n * c, h, w, oh, ow))
    return dx
