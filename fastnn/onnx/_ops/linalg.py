"""Gemm and MatMul. Gemm in its usual exported form (A @ B^T + C with a 1-D C)
goes to F.linear, the native GEMM kernel with its fused bias; other forms are
composed from matmul, transpose and broadcasting adds."""
import numpy as np

from ...nn import functional as F
from ._common import register, arr, const, is_float


@register("Gemm")
def _gemm(node, inputs, attrs):
    a, b = inputs[0], inputs[1]
    c = inputs[2] if len(inputs) > 2 else None
    alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))
    ta, tb = int(attrs.get("transA", 0)), int(attrs.get("transB", 0))
    if not is_float(a):
        y = (arr(a).T if ta else arr(a)) @ (arr(b).T if tb else arr(b))
        y = alpha * y + (beta * arr(c) if c is not None else 0)
        return const(y.astype(arr(a).dtype))
    if ta:
        a = a.transpose(0, 1)
    n_out = b.shape[0] if tb else b.shape[1]
    if alpha == 1.0 and (c is None or (beta == 1.0 and c.ndim == 1 and c.shape[0] == n_out)):
        return F.linear(a, b if tb else b.transpose(0, 1), c)
    y = a @ (b.transpose(0, 1) if tb else b)
    if alpha != 1.0:
        y = y * alpha
    if c is not None:
        y = y + (c * beta if beta != 1.0 else c)
    return y


@register("MatMul")
def _matmul(node, inputs, attrs):
    a, b = inputs
    if is_float(a) and is_float(b):
        return a @ b
    return const(np.matmul(arr(a), arr(b)))
