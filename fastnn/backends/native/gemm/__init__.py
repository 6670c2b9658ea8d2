"""Matrix-multiply kernels, native version.

Same functions and signatures as the reference, fastnn/backends/numpy_ref/gemm.py.
Two engines compute op(A) @ op(B):

* ``fastnn_matmul``: fastnn's own packed, blocked GEMM (gemm_kernel.c: packing
  into cache-sized panels, a register-tiled micro-kernel picked per CPU at run
  time, OpenMP over the panels of each block).
* ``blas_matmul``: ``np.matmul``, i.e. the BLAS NumPy was built with.

``matmul`` (and everything built on it) picks one per call from the shape and
the thread count, by the rule in ``_use_fastnn``: products fastnn's OpenMP team
splits go to fastnn's GEMM, the rest to BLAS on one thread.
Transposed (Fortran-ordered) and row-strided views are passed to the C code as
trans flags and leading dimensions instead of being copied.
"""
import numpy as np

from .... import _threads
from ..._validate import finite_checks_enabled
from ..._validate.gemm import (LinearSaved, check_linear, check_linear_backward, check_matmul,
                               check_matmul_backward)
from ...numpy_ref.gemm import grad_plan
from . import _gemm

__all__ = ["matmul", "batched_matmul", "matmul_backward", "linear_forward", "linear_backward"]

# Products of at most this many multiply-adds per matrix go to fastnn's GEMM in
# a batch, one matrix per thread (prange), rather than one threaded GEMM each.
_SMALL_BATCH_ITEM = 64 * 64 * 64


def _use_fastnn(m, n, k, dtype):
    """Which engine the default path uses for an m x k x n product.

    One pool computes (fastnn/_threads.py): NumPy's BLAS runs on one thread
    while the native kernels are in use, so a product fastnn's OpenMP team
    would split between threads goes to fastnn's GEMM, and one it would run on
    one thread goes to BLAS, whose one-thread kernel is level with fastnn's
    (0.98-1.12x of fastnn's time on 128^3-1024^3 and the im2col shapes, on both
    an AVX-512 Xeon and an AMD EPYC Zen 4, benchmarks/bench_gemm.py) and which
    has cheaper paths for small and matrix-vector products. Below ~128^3
    multiply-adds, or with fewer than 8 rows or columns, fastnn's fixed cost
    (operand checks, packing both operands) is not paid back (1.4-2.9x BLAS's
    time at 32^3-96^3 on the Zen 4), so those stay on BLAS in every case.

    When NumPy's BLAS could not be pinned to one thread (an unknown BLAS, or
    FASTNN_BLAS_THREADS set), every larger product goes to fastnn's GEMM so
    that BLAS's own pool never wakes inside a step. The portable-C variant of
    fastnn's GEMM has no SIMD micro-kernel: there a one-thread BLAS call wins.
    """
    if min(m, n) < 8 or m * n * k < _FASTNN_MIN_WORK:
        return False
    if not _threads.blas_single_threaded():
        return True
    if _variant_rank > 1:
        return False
    return _gemm.threads_for(m * n * k) > 1


_FASTNN_MIN_WORK = 128 * 128 * 128
_variant_rank = 0  # 0: AVX-512, 1: AVX2, 2: SSE2/portable (set by _refresh_variant)


def _refresh_variant():
    global _variant_rank
    _variant_rank = {"avx512": 0, "avx2": 1}.get(_gemm.current_variant(), 2)


_refresh_variant()


# ---- operand layout -------------------------------------------------------------

def _rows_unit(r, c, s0, s1, itemsize):
    """Rows of an r x c operand are contiguous and evenly spaced (row stride in bytes s0)."""
    return (c <= 1 or s1 == itemsize) and (r <= 1 or (s0 > 0 and s0 % itemsize == 0 and s0 >= c * itemsize))


def _operand(x, trans):
    """(x', trans', ld): x or its transpose whose rows are unit-stride, without copying when possible.

    For 3-D x the last two axes are handled and the batch stride must be a
    non-negative multiple of the item size (a batch of 1 never matters).
    """
    it = x.itemsize
    r, c = x.shape[-2:]
    s0, s1 = x.strides[-2:]
    ok_batch = x.ndim == 2 or x.shape[0] <= 1 or (x.strides[0] >= 0 and x.strides[0] % it == 0)
    if x.flags.aligned and ok_batch:
        if _rows_unit(r, c, s0, s1, it):
            return x, trans, (s0 // it if r > 1 else max(c, 1))
        if _rows_unit(c, r, s1, s0, it):
            return np.swapaxes(x, -1, -2), not trans, (s1 // it if c > 1 else max(r, 1))
    x = np.ascontiguousarray(x)
    return x, trans, max(c, 1)


def _fastnn_2d(a, b, ta, tb, m, k, n):
    if m == 0 or n == 0 or k == 0:
        return np.zeros((m, n), dtype=a.dtype)
    a, ta, lda = _operand(a, ta)
    b, tb, ldb = _operand(b, tb)
    c = np.empty((m, n), dtype=a.dtype)
    _gemm.gemm(a, b, c, ta, tb, lda, ldb, m, n, k)
    return c


def _fastnn_3d(a, b, ta, tb, m, k, n, batch, parallel_batch=None):
    if batch == 0 or m == 0 or n == 0 or k == 0:
        return np.zeros((batch, m, n), dtype=a.dtype)
    sa, sb = int(a.shape[0] != 1), int(b.shape[0] != 1)
    a, ta, lda = _operand(a, ta)
    b, tb, ldb = _operand(b, tb)
    c = np.empty((batch, m, n), dtype=a.dtype)
    if parallel_batch is None:
        parallel_batch = batch > 1 and m * n * k <= _SMALL_BATCH_ITEM
    _gemm.batched_gemm(a, b, c, ta, tb, lda, ldb, sa, sb, m, n, k, parallel_batch)
    return c


def _op(x, t):
    return np.swapaxes(x, -1, -2) if t else x


def _blas(a, b, ta, tb):
    return np.matmul(_op(a, ta), _op(b, tb))


# ---- the two engines, reachable by name -------------------------------------------

def fastnn_matmul(a, b, trans_a=False, trans_b=False):
    """op(a) @ op(b) with fastnn's own GEMM, whatever the shape: 2-D operands, or
    3-D ones (batch, m, k) @ (batch, k, n) as batched_matmul takes them."""
    if getattr(a, "ndim", 2) == 3:
        ta, tb, m, k, n, batch = check_matmul(a, b, trans_a, trans_b, 3)
        return _fastnn_3d(a, b, ta, tb, m, k, n, batch)
    ta, tb, m, k, n, _ = check_matmul(a, b, trans_a, trans_b, 2)
    return _fastnn_2d(a, b, ta, tb, m, k, n)


def blas_matmul(a, b, trans_a=False, trans_b=False):
    """op(a) @ op(b) with NumPy's BLAS (np.matmul), whatever the shape."""
    ta, tb, *_ = check_matmul(a, b, trans_a, trans_b, 2)
    return _blas(a, b, ta, tb)


# ---- kernels --------------------------------------------------------------------

def _matmul_checked(a, b, ta, tb, m, k, n):
    if _use_fastnn(m, n, k, a.dtype):
        return _fastnn_2d(a, b, ta, tb, m, k, n)
    return _blas(a, b, ta, tb)


def _batched_checked(a, b, ta, tb, m, k, n, batch):
    if _use_fastnn(m, n, k, a.dtype) or batch > 1 and m * n * k <= _SMALL_BATCH_ITEM:
        return _fastnn_3d(a, b, ta, tb, m, k, n, batch)
    if batch > 1 and _split_over_batch(m, n, k, batch):
        return _fastnn_3d(a, b, ta, tb, m, k, n, batch, parallel_batch=True)
    return _blas(a, b, ta, tb)


def _split_over_batch(m, n, k, batch):
    """Many products each too small to split (attention's per-head scores at 256 x 256
    x 64) but together worth the team: one whole product per thread. Without this
    they went to one-thread BLAS one after another and a second core did nothing."""
    if min(m, n) < 8 or m * n * k < _FASTNN_MIN_WORK or _variant_rank > 1:
        return False
    return _gemm.threads_for(float(batch) * m * n * k) > 1 and batch >= _gemm.max_threads()


def matmul(a, b, trans_a=False, trans_b=False):
    """C = op(a) @ op(b) for 2-D a, b."""
    ta, tb, m, k, n, _ = check_matmul(a, b, trans_a, trans_b, 2)
    return _matmul_checked(a, b, ta, tb, m, k, n)


def batched_matmul(a, b, trans_a=False, trans_b=False):
    """C[i] = op(a[i]) @ op(b[i]) for 3-D a (batch, m, k), b (batch, k, n)."""
    ta, tb, m, k, n, batch = check_matmul(a, b, trans_a, trans_b, 3)
    return _batched_checked(a, b, ta, tb, m, k, n, batch)


# A k = 1 product is an outer product. BLAS sends it through its full GEMM
# path (100-300 us for a batch-1 Linear weight gradient of 128 x 784 on the
# 2-core Xeon); fastnn's GEMM packs the two vectors and runs the micro-kernel
# over C, 5-10x faster from ~64 x 64 up, and a NumPy broadcast multiply is
# cheapest below that (no packing, no Python-side GEMM setup).
_OUTER_FASTNN_MIN = 64 * 64


def _outer_checked(x, y, tx, ty, m, n):
    """op(x) @ op(y) for 2-D op(x) of shape (m, 1) and op(y) of shape (1, n)."""
    if m * n >= _OUTER_FASTNN_MIN and _variant_rank <= 1:
        return _fastnn_2d(x, y, tx, ty, m, 1, n)
    col = (x[0] if tx else x[:, 0])[:, None]
    row = y[:, 0] if ty else y[0]
    return col * row


def _grad_checked(x, y, tx, ty, m, k, n):
    """A 2-D gradient product: outer products (k = 1) skip BLAS, see above."""
    if k == 1 and m and n:
        return _outer_checked(x, y, tx, ty, m, n)
    return _matmul_checked(x, y, tx, ty, m, k, n)


def _product(x, y, tx, ty):
    """op(x) @ op(y) for already validated 2-D or 3-D operands."""
    mx, kx = (x.shape[-1], x.shape[-2]) if tx else x.shape[-2:]
    ny = y.shape[-2] if ty else y.shape[-1]
    if x.ndim == 2:
        return _grad_checked(x, y, tx, ty, mx, kx, ny)
    batch = max(x.shape[0], y.shape[0])
    return _batched_checked(x, y, tx, ty, mx, kx, ny, batch)


def matmul_backward(dc, a, b, trans_a=False, trans_b=False):
    """(dA, dB) for C = op(a) @ op(b) (2-D, or 3-D as in batched_matmul)."""
    ta, tb = check_matmul_backward(dc, a, b, trans_a, trans_b)
    named = {"dc": dc, "a": a, "b": b}
    grads = []
    for (x, y, tx, ty), like in zip(grad_plan(ta, tb), (a, b)):
        g = _product(named[x], named[y], tx, ty)
        if g.ndim == 3 and like.shape[0] == 1 and g.shape[0] != 1:
            g = g.sum(axis=0, keepdims=True)
        grads.append(g)
    return grads[0], grads[1]


_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_FEW_ROWS = 4  # batch-1 inference sizes: a BLAS matrix-vector product, nothing to choose


def _plain_few_rows(x, w, b):
    """Already-valid small inputs (what nn.Linear passes at batch 1), checked cheaply;
    anything else goes through check_linear and its error messages."""
    return (type(x) is np.ndarray and type(w) is np.ndarray and x.ndim == 2 and w.ndim == 2
            and x.shape[0] <= _FEW_ROWS and x.dtype in _FLOAT_DTYPES and w.dtype == x.dtype
            and x.shape[1] == w.shape[1]
            and (b is None or (type(b) is np.ndarray and b.ndim == 1 and b.dtype == x.dtype
                               and b.shape[0] == w.shape[0]))
            and not finite_checks_enabled())


def linear_forward(x, w, b):
    """y = x @ w.T + b; returns (y, saved) for linear_backward."""
    if _plain_few_rows(x, w, b):
        y = x @ w.T
        if b is not None:
            y += b
        return y, LinearSaved(x, w, b is not None)
    check_linear(x, w, b)
    y = _matmul_checked(x, w, False, True, x.shape[0], x.shape[1], w.shape[0])
    if b is not None:
        y += b
    return y, LinearSaved(x, w, b is not None)


def linear_backward(dy, saved):
    """(dx, dw, db) for y = x @ w.T + b; db is None when there was no bias."""
    x, w, has_bias = check_linear_backward(dy, saved)
    dx = _matmul_checked(dy, w, False, False, dy.shape[0], dy.shape[1], w.shape[1])
    dw = _grad_checked(dy, x, True, False, dy.shape[1], dy.shape[0], x.shape[1])
    db = dy.sum(axis=0) if has_bias else None
    return dx, dw, db
