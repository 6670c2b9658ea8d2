"""2-D pooling, native backend: the Cython kernels in _pool.pyx (direct window
loops, OpenMP over the N*C planes, a dedicated 2x2 stride-2 max-pool path)
behind the shared checks of fastnn/backends/_validate/pool.py. Same names,
signatures and PoolSaved as the reference fastnn/backends/numpy_ref/pool.py.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..._validate.pool import (PoolSaved, adaptive_pool_saved, avg_pool_saved, check_avg_pool2d,
                               check_output_size, check_pool2d, check_pool_backward,
                               max_pool_saved, window_of)
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


def max_pool2d_forward(x: np.ndarray, kernel_size: Any, stride: Any = None, padding: Any = 0,
                       dilation: Any = 1, ceil_mode: bool = False) -> tuple[np.ndarray, PoolSaved]:
    win = check_pool2d("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    k, s, p, d, _, (OH, OW) = win
    N, C, H, W = x.shape
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    idx = np.empty((N, C, OH, OW), dtype=np.int64)
    fast = _is_fast_2x2(H, W, k, s, p, d, OH, OW)
    _pool.max_pool2d_fwd(_planes(x), _planes(y), _planes(idx), k[0], k[1], s[0], s[1],
                         p[0], p[1], d[0], d[1], fast)
    return y, max_pool_saved(tuple(x.shape), win, idx)


def max_pool2d_backward(dy: np.ndarray, saved: PoolSaved) -> np.ndarray:
    check_pool_backward("max_pool2d", dy, saved)
    (N, C, H, W), (OH, OW) = saved.x_shape, saved.out_hw
    k, s, p, d = window_of(saved)[:4]
    dx = np.empty((N, C, H, W), dtype=dy.dtype)
    _pool.max_pool2d_bwd(_planes(dy), _planes(saved.indices), _planes(dx),
                         _is_fast_2x2(H, W, k, s, p, d, OH, OW))
    return dx


def avg_pool2d_forward(x: np.ndarray, kernel_size: Any, stride: Any = None, padding: Any = 0,
                       ceil_mode: bool = False, count_include_pad: bool = True,
                       divisor_override: int | None = None) -> tuple[np.ndarray, PoolSaved]:
    win, cip, divisor = check_avg_pool2d(x, kernel_size, stride, padding, ceil_mode,
                                         count_include_pad, divisor_override)
    k, s, p, _, _, (OH, OW) = win
    N, C, H, W = x.shape
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    _pool.avg_pool2d_fwd(_planes(x), _planes(y), k[0], k[1], s[0], s[1], p[0], p[1],
                         cip, divisor or 0)
    return y, avg_pool_saved((N, C, H, W), win, cip, divisor)


def avg_pool2d_backward(dy: np.ndarray, saved: PoolSaved) -> np.ndarray:
    check_pool_backward("avg_pool2d", dy, saved)
    k, s, p = window_of(saved)[:3]
    dx = np.empty(saved.x_shape, dtype=dy.dtype)
    _pool.avg_pool2d_bwd(_planes(dy), _planes(dx), k[0], k[1], s[0], s[1], p[0], p[1],
                         saved.count_include_pad, saved.divisor or 0)
    return dx


def adaptive_avg_pool2d_forward(x: np.ndarray, output_size: Any) -> tuple[np.ndarray, PoolSaved]:
    OH, OW = check_output_size(x, output_size)
    N, C, H, W = x.shape
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    _pool.adaptive_avg_pool2d_fwd(_planes(x), _planes(y))
    return y, adaptive_pool_saved((N, C, H, W), (OH, OW))


def adaptive_avg_pool2d_backward(dy: np.ndarray, saved: PoolSaved) -> np.ndarray:
    check_pool_backward("adaptive_avg_pool2d", dy, saved)
    dx = np.empty(saved.x_shape, dtype=dy.dtype)
    _pool.adaptive_avg_pool2d_bwd(_planes(dy), _planes(dx))
    return dx
