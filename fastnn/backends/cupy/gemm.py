"""Matrix multiply on the GPU: every product is one cuBLAS call via cupy.matmul.

Same names, signatures, checks (fastnn/backends/_validate/gemm.py, which only
look at .shape and .dtype) and LinearSaved as fastnn/backends/numpy_ref/gemm.py.
Transposes are views, so cuBLAS reads op(A) without a copy.
"""
from .._validate.gemm import (LinearSaved, check_linear, check_linear_backward, check_matmul,
                             check_matmul_backward)
from ._runtime import cp, require_gpu_arrays

__all__ = ["matmul", "batched_matmul", "matmul_backward", "linear_forward", "linear_backward"]


def _op(x, t):
    return x.swapaxes(-1, -2) if t else x


def _unbroadcast(g, like):
    if g.ndim == 3 and like.shape[0] == 1 and g.shape[0] != 1:
        return g.sum(axis=0, keepdims=True)
    return g


def matmul(a, b, trans_a=False, trans_b=False):
    """C = op(a) @ op(b) for 2-D a, b."""
    trans_a, trans_b, *_ = check_matmul(a, b, trans_a, trans_b, 2)
    require_gpu_arrays(a=a, b=b)
    return cp().matmul(_op(a, trans_a), _op(b, trans_b))


def batched_matmul(a, b, trans_a=False, trans_b=False):
    """C[i] = op(a[i]) @ op(b[i]) for 3-D a, b (a batch of 1 broadcasts)."""
    trans_a, trans_b, *_ = check_matmul(a, b, trans_a, trans_b, 3)
    require_gpu_arrays(a=a, b=b)
    return cp().matmul(_op(a, trans_a), _op(b, trans_b))


def matmul_backward(dc, a, b, trans_a=False, trans_b=False):
    """(dA, dB) for C = op(a) @ op(b) (2-D, or 3-D as in batched_matmul)."""
    trans_a, trans_b = check_matmul_backward(dc, a, b, trans_a, trans_b)
    require_gpu_arrays(dc=dc, a=a, b=b)
    cupy = cp()
    dop_a = cupy.matmul(dc, _op(b, trans_b).swapaxes(-1, -2))
    dop_b = cupy.matmul(_op(a, trans_a).swapaxes(-1, -2), dc)
    da = _unbroadcast(_op(dop_a, trans_a), a)
    db = _unbroadcast(_op(dop_b, trans_b), b)
    return cupy.ascontiguousarray(da), cupy.ascontiguousarray(db)


def linear_forward(x, w, b):
    """y = x @ w.T + b; returns (y, saved)."""
    check_linear(x, w, b)
    require_gpu_arrays(x=x, w=w, b=b)
    y = cp().matmul(x, w.T)
    if b is not None:
        y += b
    return y, LinearSaved(x, w, b is not None)


def linear_backward(dy, saved):
    """(dx, dw, db); db is None when there was no bias."""
    x, w, has_bias = check_linear_backward(dy, saved, cp().ndarray)
    require_gpu_arrays(dy=dy, x=x, w=w)
    cupy = cp()
    dx = cupy.matmul(dy, w)
    dw = cupy.matmul(dy.T, x)
    db = dy.sum(axis=0) if has_bias else None
    return dx, dw, db
