"""Matrix-multiply kernels, reference version: the textbook formulas in NumPy.

    matmul:          C = op(A) @ op(B),  op(X) = X or X.T
    batched_matmul:  C[i] = op(A[i]) @ op(B[i]), a batch of 1 broadcasts
    matmul_backward: dA, dB of sum(C * dC)
    linear_forward:  y = x @ w.T + b   (w is (out, in), PyTorch layout)
    linear_backward: dx = dy @ w, dw = dy.T @ x, db = dy.sum(0)

The fast twin is fastnn/backends/native/gemm/__init__.py (fastnn's own packed GEMM in
gemm_kernel.c). The argument checks and LinearSaved, shared by every backend,
are in fastnn/backends/_validate/gemm.py.
"""
from __future__ import annotations

import numpy as np

from .._validate.gemm import (LinearSaved, check_linear, check_linear_backward, check_matmul,
                              check_matmul_backward)

__all__ = ["matmul", "batched_matmul", "matmul_backward", "linear_forward", "linear_backward"]


def matmul(a: np.ndarray, b: np.ndarray, trans_a: bool = False,
           trans_b: bool = False) -> np.ndarray:
    """C = op(a) @ op(b) for 2-D a, b."""
    trans_a, trans_b, *_ = check_matmul(a, b, trans_a, trans_b, 2)
    return np.matmul(_op(a, trans_a), _op(b, trans_b))


def batched_matmul(a: np.ndarray, b: np.ndarray, trans_a: bool = False,
                   trans_b: bool = False) -> np.ndarray:
    """C[i] = op(a[i]) @ op(b[i]) for 3-D a (batch, m, k), b (batch, k, n)."""
    trans_a, trans_b, *_ = check_matmul(a, b, trans_a, trans_b, 3)
    return np.matmul(_op(a, trans_a), _op(b, trans_b))


def matmul_backward(dc: np.ndarray, a: np.ndarray, b: np.ndarray, trans_a: bool = False,
                    trans_b: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(dA, dB) for C = op(a) @ op(b) (2-D, or 3-D as in batched_matmul)."""
    trans_a, trans_b = check_matmul_backward(dc, a, b, trans_a, trans_b)
    dop_a = np.matmul(dc, np.swapaxes(_op(b, trans_b), -1, -2))
    dop_b = np.matmul(np.swapaxes(_op(a, trans_a), -1, -2), dc)
    da = _unbroadcast(_op(dop_a, trans_a), a)
    db = _unbroadcast(_op(dop_b, trans_b), b)
    return np.ascontiguousarray(da), np.ascontiguousarray(db)


def linear_forward(x: np.ndarray, w: np.ndarray,
                   b: np.ndarray | None) -> tuple[np.ndarray, LinearSaved]:
    """y = x @ w.T + b; returns (y, saved) for linear_backward."""
    check_linear(x, w, b)
    y = x @ w.T
    if b is not None:
        y += b
    return y, LinearSaved(x, w, b is not None)


def linear_backward(dy: np.ndarray,
                    saved: LinearSaved) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(dx, dw, db) for y = x @ w.T + b; db is None when there was no bias."""
    x, w, has_bias = check_linear_backward(dy, saved)
    dx = dy @ w
    dw = dy.T @ x
    db = dy.sum(axis=0) if has_bias else None
    return dx, dw, db


# ---- helpers (used above; grad_plan also by the native module) ----------------

def grad_plan(trans_a, trans_b):
    """How to get dA and dB of C = op(A) @ op(B) as two more matmuls.

    Returns ((first, second, ta, tb) for dA, (...) for dB), naming the operands
    'dc', 'a', 'b'. From dop(A) = dC @ op(B).T and dop(B) = op(A).T @ dC:
    dA = dC @ op(B).T, or its transpose op(B) @ dC.T when A was transposed.
    """
    da = ("b", "dc", trans_b, True) if trans_a else ("dc", "b", False, not trans_b)
    db = ("dc", "a", True, trans_a) if trans_b else ("a", "dc", not trans_a, False)
    return da, db


def _op(x, t):
    return np.swapaxes(x, -1, -2) if t else x


def _unbroadcast(g, like):
    """Sum the gradient of a broadcast batch-of-1 operand back to its shape."""
    if g.ndim == 3 and like.shape[0] == 1 and g.shape[0] != 1:
        return g.sum(axis=0, keepdims=True)
    return g
