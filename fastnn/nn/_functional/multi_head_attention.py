"""F.multi_head_attention_forward: PyTorch's functional multi-head attention (the body of
nn.MultiheadAttention), with its argument names, (L, N, E) layout and masks.

Masks: bool True = may NOT attend (key_padding_mask (N, S), attn_mask (L, S) or
(N*H, L, S)), float masks are added to the scores. The heads run through the
backend's attention kernel (attention.attend).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor, cat, zeros
from .attention import attend

__all__ = ["multi_head_attention_forward"]


def float_mask(mask: Any, name: str, dtype: Any) -> Tensor | None:
    """A PyTorch MHA mask as an additive float Tensor (bool True -> -inf)."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        mask = Tensor._wrap(np.asarray(mask))
    data = mask._data
    if data.dtype.kind == "b":
        # built from tensor ops (cast, where) rather than NumPy, so that a traced
        # graph (fastnn.graph, ONNX export) computes it from the mask it is given
        return mask.to(dtype).masked_fill(mask, -np.inf)
    if data.dtype.kind != "f":
        raise TypeError(f"{name}: expected a bool or float mask, got dtype {data.dtype}")
    return mask if data.dtype == dtype else mask.to(dtype)


def _linear(x, w, b):
    from ..functional import linear
    return linear(x, w, b)


def _in_projection(query, key, value, e, in_proj_weight, in_proj_bias, separate, qw, kw, vw):
    b = in_proj_bias
    bq, bk, bv = (None, None, None) if b is None else (b[:e], b[e:2 * e], b[2 * e:])
    if not separate:
        if query is key and key is value:
            # self-attention: one (3E, E) product instead of three, as PyTorch does
            return _linear(query, in_proj_weight, b).chunk(3, dim=-1)
        qw, kw, vw = in_proj_weight[:e], in_proj_weight[e:2 * e], in_proj_weight[2 * e:]
    return _linear(query, qw, bq), _linear(key, kw, bk), _linear(value, vw, bv)


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float,
        out_proj_weight: Tensor, out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    r"""Multi-head attention, the forward of ``nn.MultiheadAttention`` (sequence-first).

    Projects query, key and value with ``in_proj_weight`` (or the three separate weights),
    splits E into ``num_heads`` heads, runs scaled dot-product attention per head, and
    projects the concatenated heads with ``out_proj_weight``.

    Args:
        query (Tensor): :math:`(L, N, E)` or unbatched :math:`(L, E)`.
        key (Tensor): :math:`(S, N, E_k)` or :math:`(S, E_k)`.
        value (Tensor): :math:`(S, N, E_v)` or :math:`(S, E_v)`.
        embed_dim_to_check (int): E; the query's last dim must equal it.
        num_heads (int): number of heads; must divide E.
        in_proj_weight (Tensor): :math:`(3E, E)` packed q, k, v projections, or ``None``
            with ``use_separate_proj_weight``.
        in_proj_bias (Tensor, optional): :math:`(3E)`.
        bias_k, bias_v (Tensor, optional): :math:`(1, 1, E)` appended to key / value.
        add_zero_attn (bool): append a zero key/value position.
        dropout_p (float): dropout on the attention weights (only when ``training``).
        out_proj_weight (Tensor): :math:`(E, E)`.
        out_proj_bias (Tensor, optional): :math:`(E)`.
        training (bool): apply dropout. Default: ``True``
        key_padding_mask (Tensor, optional): :math:`(N, S)`; bool ``True`` = ignore that key,
            float = added to the scores. Default: ``None``
        need_weights (bool): also return the attention weights. Default: ``True``
        attn_mask (Tensor, optional): :math:`(L, S)` or :math:`(N H, L, S)`, same
            conventions. Default: ``None``
        use_separate_proj_weight (bool): use ``q/k/v_proj_weight``. Default: ``False``
        q_proj_weight, k_proj_weight, v_proj_weight (Tensor, optional): separate projections.
        static_k, static_v (Tensor, optional): :math:`(N H, S, E / H)` used as the projected
            key / value directly. Default: ``None``
        average_attn_weights (bool): average the returned weights over heads. Default: ``True``
        is_causal (bool): a hint that ``attn_mask`` is causal; needs ``attn_mask``.
            Default: ``False``

    Shape:
        - Output: :math:`(L, N, E)`; weights :math:`(N, L, S)`, or :math:`(N, H, L, S)`
          when not averaged, or ``None`` without ``need_weights``.

    Example::

        >>> mha = nn.MultiheadAttention(4, 2)
        >>> x = fastnn.ones(3, 2, 4)
        >>> out, w = F.multi_head_attention_forward(
        ...     x, x, x, 4, 2, mha.in_proj_weight, mha.in_proj_bias, None, None, False, 0.0,
        ...     mha.out_proj.weight, mha.out_proj.bias)
        >>> tuple(out.shape), tuple(w.shape)
        ((3, 2, 4), (2, 3, 3))
    """
    if is_causal and attn_mask is None:
        raise ValueError("attn_mask: need attn_mask if specifying the is_causal hint")
    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        raise ValueError(f"query, key, value: expected 2-D (unbatched) or 3-D tensors of one "
                         f"rank, got shapes {tuple(query.shape)}, {tuple(key.shape)}, "
                         f"{tuple(value.shape)}")
    same = query is key and key is value
    unbatched = query.ndim == 2
    if unbatched:
        query = query.unsqueeze(1)
        key, value = (query, query) if same else (key.unsqueeze(1), value.unsqueeze(1))
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    # work batch-first, (N, L, E), below
    query = query.transpose(0, 1)
    key, value = (query, query) if same else (key.transpose(0, 1), value.transpose(0, 1))
    n, L, e = query.shape
    if e != embed_dim_to_check:
        raise ValueError(f"query: was expecting embedding dimension of {embed_dim_to_check}, "
                         f"but got {e}")
    if e % num_heads:
        raise ValueError(f"num_heads: embed_dim {e} not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2] or key.shape[0] != n:
        raise ValueError(f"key, value: expected matching batch and sequence sizes, got "
                         f"{tuple(key.shape)} and {tuple(value.shape)}")
    h, hd = num_heads, e // num_heads
    dtype = query._data.dtype
    q, k, v = _in_projection(query, key, value, e, in_proj_weight, in_proj_bias,
                             use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight)
    amask = float_mask(attn_mask, "attn_mask", dtype)
    kpm = float_mask(key_padding_mask, "key_padding_mask", dtype)
    s = k.shape[1]
    if amask is not None:
        if amask.ndim not in (2, 3) or amask.ndim == 2 and tuple(amask.shape) != (L, s) or \
                amask.ndim == 3 and tuple(amask.shape) != (n * h, L, s):
            raise ValueError(f"attn_mask: expected shape {(L, s)} or {(n * h, L, s)}, got "
                             f"{tuple(amask.shape)}")
        if amask.ndim == 2:
            amask = amask.unsqueeze(0)
    if kpm is not None and tuple(kpm.shape) != (n, s):
        raise ValueError(f"key_padding_mask: expected shape {(n, s)}, got {tuple(kpm.shape)}")

    def pad_mask(m):  # one more key, never masked
        return None if m is None else cat([m, zeros(*m.shape[:-1], 1, dtype=m._data.dtype)],
                                           dim=-1)
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise ValueError("bias_k: cannot add bias_k and bias_v to static keys and values")
        k = cat([k, bias_k.expand(n, 1, e)], dim=1)
        v = cat([v, bias_v.expand(n, 1, e)], dim=1)
        amask, kpm = pad_mask(amask), pad_mask(kpm)
    elif (bias_k is None) != (bias_v is None):
        raise ValueError("bias_k, bias_v: give both or neither")
    s = k.shape[1]
    q = q.reshape(n, L, h, hd).transpose(1, 2).reshape(n * h, L, hd)
    k = k.reshape(n, s, h, hd).transpose(1, 2).reshape(n * h, s, hd)
    v = v.reshape(n, s, h, hd).transpose(1, 2).reshape(n * h, s, hd)
    for name, st, cur in (("static_k", static_k, k), ("static_v", static_v, v)):
        if st is not None and (st.shape[0] != n * h or st.shape[2] != hd):
            raise ValueError(f"{name}: expected shape ({n * h}, S, {hd}), got {tuple(st.shape)}")
    k = static_k if static_k is not None else k
    v = static_v if static_v is not None else v
    s = k.shape[1]
    if add_zero_attn:
        k = cat([k, zeros(n * h, 1, hd, dtype=dtype)], dim=1)
        v = cat([v, zeros(n * h, 1, hd, dtype=dtype)], dim=1)
        amask, kpm = pad_mask(amask), pad_mask(kpm)
        s += 1
    bias = amask
    if kpm is not None:
        kb = kpm.reshape(n, 1, 1, s).expand(n, h, 1, s).reshape(n * h, 1, s)
        bias = kb if bias is None else bias + kb
    if bias is not None and tuple(bias.shape[1:]) != (L, s):
        bias = bias.expand(bias.shape[0], L, s)
    # PyTorch's weights path gives NaN for a query that may attend nowhere, its
    # scaled_dot_product_attention path (need_weights=False) gives 0.
    out, weights = attend(q, k, v, bias, dropout_p if training else 0.0, False, None,
                          empty_rows="nan" if need_weights else "zero")
    out = out.reshape(n, h, L, hd).transpose(1, 2).reshape(n, L, e)
    out = _linear(out, out_proj_weight, out_proj_bias).transpose(0, 1)
    if unbatched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    weights = weights.reshape(n, h, L, s)
    if average_attn_weights:
        weights = weights.mean(dim=1)
    if unbatched:
        weights = weights.squeeze(0)
    return out, weights
