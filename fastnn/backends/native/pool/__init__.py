"""2-D pooling, native backend: Python-side validation around the Cython
kernels in _pool.pyx (direct window loops, OpenMP over the N*C planes, a
dedicated 2x2 stride-2 max-pool path). Same names, signatures and saved
tuples as the reference fastnn/backends/numpy_ref/pool.py, whose validation
functions this module reuses so both reject the same input.
"""
import numpy as np

from ...numpy_ref.pool import (validate_adaptive_saved, validate_avg_saved, validate_divisor,
                              validate_max_saved, validate_output_size, validate_pool_args)
from . import _pool

__all__ = [
    "max_pool2d_forward", "max_pool2d_backward",
    "avg_pool2d_forward", "avg_pool2d_backward",
    "adaptive_avg_pool2d_forward", "adaptive_avg_pool2d_backward",
]


def _planes(a):
    """C-contiguous (N*C, H, W) view of an NCHW array."""
    a = np.ascontiguousarray(a)
    return a.reshape(a.shape[0] * a.shape[1], a.shape[2], a.shape[3])


def _is_fast_2x2(H, W, k, s, p, d, OH, OW):
    # every window fully inside the plane (ceil_mode may add a clipped one)
    return (k == (2, 2) and s == (2, 2) and p == (0, 0) and d == (1, 1)
            and 2 * OH <= H and 2 * OW <= W)


def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    k, s, p, d, (OH, OW) = validate_pool_args("max_pool2d", x, kernel_size, stride, padding,
                                              dilation, ceil_mode)
    N, C, H, W = x.shape
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    idx = np.empty((N, C, OH, OW), dtype=np.int64)
    fast = _is_fast_2x2(H, W, k, s, p, d, OH, OW)
    _pool.max_pool2d_fwd(_planes(x), _planes(y), _planes(idx), k[0], k[1], s[0], s[1],
                         p[0], p[1], d[0], d[1], fast)
    return y, (idx, tuple(x.shape), (k, s, p, d, bool(ceil_mode)), "max_pool2d")


def max_pool2d_backward(dy, saved):
    idx, (N, C, H, W), (k, s, p, d) = validate_max_saved(dy, saved)
    fast = _is_fast_2x2(H, W, k, s, p, d, *idx.shape[2:])
    dx = np.empty((N, C, H, W), dtype=dy.dtype)
    _pool.max_pool2d_bwd(_planes(dy), _planes(idx), _planes(dx), fast)
    return dx


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                       count_include_pad=True, divisor_override=None):
    k, s, p, _, (OH, OW) = validate_pool_args("avg_pool2d", x, kernel_size, stride, padding, 1,
                                              ceil_mode)
    if not isinstance(count_include_pad, (bool, np.bool_)):
        raise TypeError(f"count_include_pad: expected a bool, got {count_include_pad!r}")
    divisor = validate_divisor(divisor_override)
    N, C, H, W = x.shape
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    _pool.avg_pool2d_fwd(_planes(x), _planes(y), k[0], k[1], s[0], s[1], p[0], p[1],
                         bool(count_include_pad), divisor or 0)
    return y, ((N, C, H, W), k, s, p, (OH, OW), bool(count_include_pad), divisor, "avg_pool2d")


def avg_pool2d_backward(dy, saved):
    shape, k, s, p, _, cip, divisor = validate_avg_saved(dy, saved)
    dx = np.empty(shape, dtype=dy.dtype)
    _pool.avg_pool2d_bwd(_planes(dy), _planes(dx), k[0], k[1], s[0], s[1], p[0], p[1],
                         cip, divisor or 0)
    return dx


def adaptive_avg_pool2d_forward(x, output_size):
    OH, OW = validate_output_size(x, output_size)
    N, C, H, W = x.shape
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    _pool.adaptive_avg_pool2d_fwd(_planes(x), _planes(y))
    return y, ((N, C, H, W), (OH, OW), "adaptive_avg_pool2d")


def adaptive_avg_pool2d_backward(dy, saved):
    shape, _ = validate_adaptive_saved(dy, saved)
    dx = np.empty(shape, dtype=dy.dtype)
    _pool.adaptive_avg_pool2d_bwd(_planes(dy), _planes(dx))
    return dx
