"""Matrix-multiply kernels, reference version: the textbook formulas in NumPy.

    matmul:          C = op(A) @ op(B),  op(X) = X or X.T
    batched_matmul:  C[i] = op(A[i]) @ op(B[i]), a batch of 1 broadcasts
    matmul_backward: dA, dB of sum(C * dC)
    linear_forward:  y = x @ w.T + b   (w is (out, in), PyTorch layout)
    linear_backward: dx = dy @ w, dw = dy.T @ x, db = dy.sum(0)

The fast twin is fastnn/backends/native/gemm/__init__.py (fastnn's own packed GEMM in
gemm_kernel.c). The validation helpers below are shared by both, so both
reject the same input with the same message.
"""
import numpy as np

from .._validate import check_array, check_optional_array

__all__ = ["matmul", "batched_matmul", "matmul_backward", "linear_forward", "linear_backward"]


# ---- validation shared with the native module --------------------------------

def check_flag(name, value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    raise TypeError(f"{name}: expected a bool, got {value!r}")


def check_matmul(a, b, trans_a, trans_b, ndim, names=("a", "b")):
    """Validate op(a) @ op(b) on ``ndim``-D operands; returns (trans_a, trans_b, m, k, n, batch)."""
    na, nb = names
    check_array(na, a, ndim)
    check_array(nb, b, ndim, dtype=a.dtype)
    trans_a = check_flag("trans_a", trans_a)
    trans_b = check_flag("trans_b", trans_b)
    m, ka = (a.shape[-1], a.shape[-2]) if trans_a else a.shape[-2:]
    kb, n = (b.shape[-1], b.shape[-2]) if trans_b else b.shape[-2:]
    if ka != kb:
        raise ValueError(f"{nb}: inner dimensions differ: op({na}) is {m}x{ka} but op({nb}) is "
                         f"{kb}x{n} (shapes {tuple(a.shape)}, {tuple(b.shape)}, "
                         f"trans_a={trans_a}, trans_b={trans_b})")
    batch = None
    if ndim == 3:
        ba, bb = a.shape[0], b.shape[0]
        if ba != bb and ba != 1 and bb != 1:
            raise ValueError(f"{nb}: batch size {bb} does not match {na}'s batch size {ba} "
                             "(a batch of 1 broadcasts)")
        batch = ba if bb == 1 else bb
    return trans_a, trans_b, m, ka, n, batch


def check_matmul_grad(dc, a, b, trans_a, trans_b):
    """Validate matmul_backward's inputs (2-D or 3-D); returns (trans_a, trans_b)."""
    check_array("a", a, (2, 3))
    ta, tb, m, _, n, batch = check_matmul(a, b, trans_a, trans_b, a.ndim)
    check_array("dc", dc, a.ndim, dtype=a.dtype)
    want = (m, n) if a.ndim == 2 else (batch, m, n)
    if tuple(dc.shape) != want:
        raise ValueError(f"dc: expected shape {want} (the shape of op(a) @ op(b)), got {tuple(dc.shape)}")
    return ta, tb


def check_linear(x, w, b):
    check_array("x", x, 2)
    check_array("w", w, 2, dtype=x.dtype)
    check_optional_array("b", b, 1, dtype=x.dtype)
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"w: expected shape (out_features, {x.shape[1]}) to match x of shape "
                         f"{tuple(x.shape)}, got {tuple(w.shape)}")
    if b is not None and b.shape[0] != w.shape[0]:
        raise ValueError(f"b: expected shape ({w.shape[0]},) to match w of shape {tuple(w.shape)}, "
                         f"got {tuple(b.shape)}")


def check_linear_grad(dy, saved):
    if not isinstance(saved, tuple) or len(saved) != 3:
        raise TypeError("saved: expected the tuple returned by linear_forward")
    x, w, has_bias = saved
    try:
        check_linear(x, w, None)
    except (TypeError, ValueError):  # edited, or mixed from two calls
        raise TypeError("saved: expected the tuple returned by linear_forward") from None
    if not isinstance(has_bias, (bool, np.bool_)):
        raise TypeError("saved: expected the tuple returned by linear_forward")
    check_array("dy", dy, 2, dtype=x.dtype)
    want = (x.shape[0], w.shape[0])
    if tuple(dy.shape) != want:
        raise ValueError(f"dy: expected shape {want} (the shape of y), got {tuple(dy.shape)}")
    return x, w, has_bias


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


# ---- kernels ------------------------------------------------------------------

def matmul(a, b, trans_a=False, trans_b=False):
    """C = op(a) @ op(b) for 2-D a, b."""
    trans_a, trans_b, *_ = check_matmul(a, b, trans_a, trans_b, 2)
    return np.matmul(_op(a, trans_a), _op(b, trans_b))


def batched_matmul(a, b, trans_a=False, trans_b=False):
    """C[i] = op(a[i]) @ op(b[i]) for 3-D a (batch, m, k), b (batch, k, n)."""
    trans_a, trans_b, *_ = check_matmul(a, b, trans_a, trans_b, 3)
    return np.matmul(_op(a, trans_a), _op(b, trans_b))


def matmul_backward(dc, a, b, trans_a=False, trans_b=False):
    """(dA, dB) for C = op(a) @ op(b) (2-D, or 3-D as in batched_matmul)."""
    trans_a, trans_b = check_matmul_grad(dc, a, b, trans_a, trans_b)
    dop_a = np.matmul(dc, np.swapaxes(_op(b, trans_b), -1, -2))
    dop_b = np.matmul(np.swapaxes(_op(a, trans_a), -1, -2), dc)
    da = _unbroadcast(_op(dop_a, trans_a), a)
    db = _unbroadcast(_op(dop_b, trans_b), b)
    return np.ascontiguousarray(da), np.ascontiguousarray(db)


def linear_forward(x, w, b):
    """y = x @ w.T + b; returns (y, saved) for linear_backward."""
    check_linear(x, w, b)
    y = x @ w.T
    if b is not None:
        y += b
    return y, (x, w, b is not None)


def linear_backward(dy, saved):
    """(dx, dw, db) for y = x @ w.T + b; db is None when there was no bias."""
    x, w, has_bias = check_linear_grad(dy, saved)
    dx = dy @ w
    dw = dy.T @ x
    db = dy.sum(axis=0) if has_bias else None
    return dx, dw, db
