"""Scaled dot-product attention on the GPU: the reference's formulas on CuPy arrays.

The products are cuBLAS batched GEMMs (cupy.matmul); the mask and softmax are
CuPy elementwise passes (not fused as in the native backend's
attention_softmax_kernel.c). Same names, signatures, checks
(fastnn/backends/_validate/attention.py) and AttentionSaved as
fastnn/backends/numpy_ref/attention.py, the reference.
"""
from .._validate.attention import AttentionSaved, check_attention, check_attention_backward
from ._runtime import cp, require_gpu_arrays

__all__ = ["attention_forward", "attention_backward"]


def _softmax(s, empty_rows):
    cupy = cp()
    m = s.max(axis=-1, keepdims=True)
    empty = m == -float("inf")
    e = cupy.exp(s - cupy.where(empty, 0, m))
    p = e / cupy.where(empty, 1, e.sum(axis=-1, keepdims=True))
    if empty_rows == "nan":
        p = cupy.where(empty, float("nan"), p)
    return p.astype(s.dtype)


def attention_forward(q, k, v, bias=None, scale=None, causal=False, keep=None, empty_rows="zero"):
    scale = check_attention(q, k, v, bias, scale, causal, keep, empty_rows)
    require_gpu_arrays(q=q, k=k, v=v, bias=bias, keep=keep)
    cupy = cp()
    s = cupy.matmul(q, k.swapaxes(-1, -2)) * q.dtype.type(scale)
    if bias is not None:
        s = s + bias
    if causal:
        L, S = s.shape[1:]
        above = cupy.triu(cupy.ones((L, S), dtype=s.dtype), 1) > 0
        s = cupy.where(above, s.dtype.type(-float("inf")), s)
    p = _softmax(s, empty_rows)
    pd = p * keep if keep is not None else p
    return cupy.matmul(pd, v), pd, AttentionSaved(q, k, v, p, keep, scale)


def attention_backward(dout, saved, dweights=None):
    check_attention_backward(dout, saved, dweights, cp().ndarray)
    q, k, v, p, keep, scale = saved.q, saved.k, saved.v, saved.p, saved.keep, saved.scale
    require_gpu_arrays(dout=dout, dweights=dweights)
    cupy = cp()
    pd = p * keep if keep is not None else p
    dv = cupy.matmul(pd.swapaxes(-1, -2), dout)
    dp = cupy.matmul(dout, v.swapaxes(-1, -2))
    if dweights is not None:
        dp = dp + dweights
    if keep is not None:
        dp = dp * keep
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
    t = q.dtype.type(scale)
    return cupy.matmul(ds, k) * t, cupy.matmul(ds.swapaxes(-1, -2), q) * t, dv, ds
