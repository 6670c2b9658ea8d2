"""Scaled dot-product attention, native version: forward and backward.

Algorithm: the two products of each (batch x head) problem on fastnn's batched
GEMM (gemm/: q @ k^T and p @ v; the trans flags read k and the transposes in
place), and between them one fused pass over each score row
(attention_softmax_kernel.c, OpenMP over rows): scale, additive mask, causal
mask and a stable softmax in one read and one write, in place in the GEMM's
output. The backward is the same three products and one fused pass for the
softmax gradient. The reference is fastnn/backends/numpy_ref/attention.py; the
checks and AttentionSaved are fastnn/backends/_validate/attention.py.
"""
import numpy as np

from ..._validate.attention import AttentionSaved, check_attention, check_attention_backward
from .. import gemm as _gemm
from . import _attention

__all__ = ["attention_forward", "attention_backward"]

_NO_BIAS = {np.dtype(np.float32): np.empty((0, 0, 0), np.float32),
            np.dtype(np.float64): np.empty((0, 0, 0), np.float64)}


def _c(a):
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


def attention_forward(q, k, v, bias=None, scale=None, causal=False, keep=None, empty_rows="zero"):
    """(out (B, L, Ev), weights (B, L, S), saved); scale None: 1/sqrt(E)."""
    scale = check_attention(q, k, v, bias, scale, causal, keep, empty_rows)
    p = _c(_gemm.batched_matmul(q, k, trans_b=True))
    if not p.flags.writeable:
        p = p.copy()
    _attention.softmax_forward(p, _NO_BIAS[p.dtype] if bias is None else _c(bias), scale,
                               bool(causal), empty_rows == "nan")
    pd = p * keep if keep is not None else p
    return _gemm.batched_matmul(pd, v), pd, AttentionSaved(q, k, v, p, keep, scale)


def attention_backward(dout, saved, dweights=None):
    """(dq, dk, dv, dscores), as the reference."""
    check_attention_backward(dout, saved, dweights)
    q, k, v, p, keep, scale = saved.q, saved.k, saved.v, saved.p, saved.keep, saved.scale
    pd = p * keep if keep is not None else p
    dv = _gemm.batched_matmul(pd, dout, trans_a=True)
    ds = _c(_gemm.batched_matmul(dout, v, trans_b=True))
    if dweights is not None:
        ds += dweights
    if keep is not None:
        ds *= keep
    _attention.softmax_backward(ds, _c(p))
    t = q.dtype.type(scale)
    dq = _gemm.batched_matmul(ds, k)
    dq *= t
    dk = _gemm.batched_matmul(ds, q, trans_a=True)
    dk *= t
    return dq, dk, dv, ds
