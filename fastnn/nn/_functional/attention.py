"""F.scaled_dot_product_attention: PyTorch's arguments, defaults and mask conventions.

query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev). The
batch dims (batch, heads, ...) are flattened into the B problems of the
backend's attention kernel (fastnn/backends/*/attention.py).
attn_mask: bool (True = may attend) or float (added to the scores),
broadcastable to (..., L, S). dropout_p applies whenever it is > 0 (this
function has no training flag, as in PyTorch).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...backends import is_cupy_array
from ...ops.attention import Attention
from ...random import default_generator
from ..._tensor import Tensor

__all__ = ["scaled_dot_product_attention"]

_Attention = Attention.apply


def _to_like(a: np.ndarray, like: Any) -> Any:
    """NumPy array ``a`` on the device of array ``like``."""
    if is_cupy_array(like):
        from ...backends.cupy._runtime import cp
        return cp().asarray(a)
    return a


def mask_bias(attn_mask: Any, batch: tuple[int, ...], L: int, S: int, dtype: np.dtype,
              like: Any) -> Tensor | None:
    """attn_mask as the kernel's additive bias, a Tensor of shape (B or 1, L, S), or None.

    A bool mask becomes 0 / -inf; a float mask stays a Tensor (so a mask that
    requires grad gets one). Masks that vary only over (L, S) are passed once,
    shared by every problem, instead of copied per batch and head.
    """
    if attn_mask is None:
        return None
    if not isinstance(attn_mask, Tensor):
        attn_mask = Tensor._wrap(_to_like(np.asarray(attn_mask), like))
    kind = attn_mask._data.dtype.kind
    if kind == "b":
        data = attn_mask._data
        bias = np.where(np.asarray(data) if isinstance(data, np.ndarray) else data.get(),
                        dtype.type(0), dtype.type(-np.inf)).astype(dtype)
        attn_mask = Tensor._wrap(_to_like(bias, like))
    elif kind != "f":
        raise TypeError(f"attn_mask: expected a bool or float tensor, got dtype "
                        f"{attn_mask._data.dtype}")
    elif attn_mask._data.dtype != dtype:
        raise TypeError(f"attn_mask: expected dtype bool or {dtype} (the query's), got "
                        f"{attn_mask._data.dtype}")
    shape = tuple(attn_mask.shape)
    try:
        np.broadcast_shapes(shape, tuple(batch) + (L, S))
    except ValueError:
        raise ValueError(f"attn_mask: shape {shape} does not broadcast to the attention "
                         f"scores' {tuple(batch) + (L, S)}") from None
    if len(shape) <= 2 or all(d == 1 for d in shape[:-2]):
        m = attn_mask.reshape(shape[-2:] if len(shape) >= 2 else (1,) * (2 - len(shape)) + shape)
        return m.expand(L, S).reshape(1, L, S)
    m = attn_mask.reshape((1,) * (len(batch) + 2 - len(shape)) + shape)
    return m.expand(*batch, L, S).reshape(-1, L, S)


def dropout_keep(p: float, shape: tuple[int, ...], dtype: np.dtype, like: Any) -> Any:
    """The dropout multiplier: 0 with probability p, else 1/(1-p)."""
    if p >= 1.0:
        keep = np.zeros(shape, dtype=dtype)
    else:
        keep = (default_generator().random(shape) >= p).astype(dtype) * dtype.type(1.0 / (1.0 - p))
    return _to_like(keep, like)


def _check(name: str, t: Any) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(t).__name__}")
    if t.ndim < 2:
        raise ValueError(f"{name}: expected at least 2 dims (..., length, features), got shape "
                         f"{tuple(t.shape)}")


def _repeat_heads(t: Tensor, r: int) -> Tensor:
    """t.repeat_interleave(r, dim=-3): each key/value head shared by r query heads."""
    shape = tuple(t.shape)
    t = t.unsqueeze(-3).expand(*shape[:-2], r, *shape[-2:])
    return t.reshape(*shape[:-3], shape[-3] * r, *shape[-2:])


def attend(q: Tensor, k: Tensor, v: Tensor, bias: Tensor | None = None, dropout_p: float = 0.0,
           is_causal: bool = False, scale: float | None = None,
           empty_rows: str = "zero") -> tuple[Tensor, Tensor]:
    """Attention over 3-D q, k, v with a ready bias (B or 1, L, S): (out, weights)."""
    keep = None
    if dropout_p > 0.0:
        keep = dropout_keep(dropout_p, (q.shape[0], q.shape[1], k.shape[1]), q._data.dtype,
                            q._data)
    return _Attention(q, k, v, bias, scale=scale, causal=bool(is_causal), keep=keep,
                      empty_rows=empty_rows)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | Any | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    r"""Computes :math:`\mathrm{softmax}(Q K^T \cdot \text{scale} + \text{bias}) V` over the last
    two dims, batched over the leading ones (which broadcast).

    Args:
        query (Tensor): :math:`(*, L, E)`.
        key (Tensor): :math:`(*, S, E)`.
        value (Tensor): :math:`(*, S, E_v)`.
        attn_mask (Tensor, optional): broadcastable to :math:`(*, L, S)`; bool (``True`` = may
            attend) or float (added to the scores, same dtype as ``query``). Default: ``None``
        dropout_p (float): dropout probability on the attention weights, applied whenever
            it is > 0 (there is no training flag). Default: ``0.0``
        is_causal (bool): mask out keys after each query position (lower-triangular);
            excludes ``attn_mask``. Default: ``False``
        scale (float, optional): score scale. Default: :math:`1 / \sqrt{E}`
        enable_gqa (bool): grouped-query attention: key/value heads (dim -3) are shared by
            ``query_heads / kv_heads`` query heads each. Default: ``False``

    Shape:
        - Output: :math:`(*, L, E_v)`

    Example::

        >>> q = fastnn.ones(2, 4, 3, 8)
        >>> tuple(F.scaled_dot_product_attention(q, fastnn.ones(2, 4, 5, 8),
        ...                                      fastnn.ones(2, 4, 5, 6)).shape)
        (2, 4, 3, 6)
        >>> q = fastnn.tensor([[[1.0, 0.0], [0.0, 1.0]]])
        >>> F.scaled_dot_product_attention(q, q, fastnn.tensor([[[1.0, 2.0], [3.0, 4.0]]]),
        ...                                is_causal=True)
        tensor([[[1.0000, 2.0000],
                 [2.3395, 3.3395]]])
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        _check(name, t)
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout_p: expected a probability in [0, 1], got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise ValueError("attn_mask: an explicit attn_mask should not be set when is_causal=True")
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3 and query.shape[-3] != key.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hq % hk or value.shape[-3] != hk:
            raise ValueError(f"enable_gqa: query heads ({hq}) must be a multiple of the key and "
                             f"value heads ({hk}, {value.shape[-3]})")
        key, value = _repeat_heads(key, hq // hk), _repeat_heads(value, hq // hk)
    L, E = query.shape[-2:]
    S, Ev = key.shape[-2], value.shape[-1]
    if key.shape[-1] != E or value.shape[-2] != S:
        raise ValueError(f"key, value: expected shapes (..., S, {E}) and (..., S, Ev), got "
                         f"{tuple(key.shape)} and {tuple(value.shape)}")
    try:
        batch = np.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except ValueError:
        raise ValueError(f"query, key, value: batch dims {tuple(query.shape[:-2])}, "
                         f"{tuple(key.shape[:-2])}, {tuple(value.shape[:-2])} do not "
                         f"broadcast") from None

    def flat(t, n, e):
        if tuple(t.shape[:-2]) != tuple(batch):
            t = t.expand(*batch, n, e)
        return t.reshape(-1, n, e)

    dtype = query._data.dtype
    bias = mask_bias(attn_mask, batch, L, S, dtype, query._data)
    out, _ = attend(flat(query, L, E), flat(key, S, E), flat(value, S, Ev), bias, dropout_p,
                    is_causal, scale)
    return out.reshape(*batch, L, Ev)
