"""MultiheadAttention: PyTorch's arguments, parameter names and shapes, masks and outputs.

Parameters as torch.nn.MultiheadAttention, so a state_dict loads both ways:
in_proj_weight (3E, E) when kdim == vdim == E (else q_proj_weight (E, E),
k_proj_weight (E, kdim), v_proj_weight (E, vdim)), in_proj_bias (3E),
out_proj.weight / out_proj.bias, bias_k / bias_v (1, 1, E) with add_bias_kv.
The heads run through F's attention kernel (the backend's attention family:
native = fastnn's batched GEMM around a fused mask/softmax pass). Masks follow
PyTorch: bool True = may NOT attend (the opposite of scaled_dot_product_attention's
attn_mask), float = added to the scores. Importable as
fastnn.nn.modules.activation.MultiheadAttention too, PyTorch's path.
"""
import numpy as np

from .. import init
from ..parameter import Parameter
from .linear import Linear
from .module import Module
from ._utils import F, _empty_parameter, _place


class NonDynamicallyQuantizableLinear(Linear):
    """PyTorch's name for the out_proj Linear (a plain Linear here)."""


def _float_mask(mask, name, dtype):
    """A PyTorch MHA mask as an additive float Tensor (bool True -> -inf)."""
    from ...tensor import Tensor
    from .._functional.attention import _to_like
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        mask = Tensor._wrap(np.asarray(mask))
    data = mask._data
    if data.dtype.kind == "b":
        host = data if isinstance(data, np.ndarray) else data.get()
        bias = np.where(host, dtype.type(-np.inf), dtype.type(0)).astype(dtype)
        return Tensor._wrap(_to_like(bias, data))
    if data.dtype.kind != "f":
        raise TypeError(f"{name}: expected a bool or float mask, got dtype {data.dtype}")
    return mask if data.dtype == dtype else mask.to(dtype)


class MultiheadAttention(Module):
    """Attention over num_heads heads of width embed_dim // num_heads."""

    __constants__ = ["batch_first"]

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads "
                             f"({num_heads})")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        what = f"MultiheadAttention: embed_dim={embed_dim}"
        e = embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = _empty_parameter((3 * e, e), dtype, what=what)
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = _empty_parameter((e, e), dtype, what=what)
            self.k_proj_weight = _empty_parameter((e, self.kdim), dtype, what=what)
            self.v_proj_weight = _empty_parameter((e, self.vdim), dtype, what=what)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = _empty_parameter((3 * e,), dtype, what=what)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(e, e, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = _empty_parameter((1, 1, e), dtype, what=what)
            self.bias_v = _empty_parameter((1, 1, e), dtype, what=what)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()
        _place(self, device)

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def _projections(self, query, key, value):
        e = self.embed_dim
        b = self.in_proj_bias
        if self._qkv_same_embed_dim and query is key and key is value:
            # self-attention: one (3E, E) product instead of three, as PyTorch does
            return F.linear(query, self.in_proj_weight, b).chunk(3, dim=-1)
        bq, bk, bv = (None, None, None) if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            wq, wk, wv = w[:e], w[e:2 * e], w[2 * e:]
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return F.linear(query, wq, bq), F.linear(key, wk, bk), F.linear(value, wv, bv)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        from ...tensor import cat, zeros
        if is_causal and attn_mask is None:
            raise ValueError("attn_mask: need attn_mask if specifying the is_causal hint")
        unbatched = query.ndim == 2
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"query, key, value: expected 2-D (unbatched) or 3-D tensors of "
                             f"one rank, got shapes {tuple(query.shape)}, {tuple(key.shape)}, "
                             f"{tuple(value.shape)}")
        same = query is key and key is value  # self-attention: one packed projection
        if unbatched:
            query = query.unsqueeze(1)
            key, value = (query, query) if same else (key.unsqueeze(1), value.unsqueeze(1))
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        if not self.batch_first or unbatched:  # work in (N, L, E) below
            query = query.transpose(0, 1)
            key, value = (query, query) if same else (key.transpose(0, 1), value.transpose(0, 1))
        n, L, e = query.shape
        if e != self.embed_dim:
            raise ValueError(f"query: expected embed_dim {self.embed_dim}, got {e}")
        if key.shape[:2] != value.shape[:2] or key.shape[0] != n:
            raise ValueError(f"key, value: expected matching batch and sequence sizes, got "
                             f"{tuple(key.shape)} and {tuple(value.shape)}")
        dtype = query._data.dtype
        h, hd = self.num_heads, self.head_dim
        q, k, v = self._projections(query, key, value)
        amask = _float_mask(attn_mask, "attn_mask", dtype)
        kpm = _float_mask(key_padding_mask, "key_padding_mask", dtype)
        if amask is not None:
            s0 = k.shape[1]
            if amask.ndim == 2 and tuple(amask.shape) != (L, s0) or amask.ndim == 3 and \
                    tuple(amask.shape) != (n * h, L, s0) or amask.ndim not in (2, 3):
                raise ValueError(f"attn_mask: expected shape {(L, s0)} or {(n * h, L, s0)}, got "
                                 f"{tuple(amask.shape)}")
            if amask.ndim == 2:
                amask = amask.unsqueeze(0)
        if kpm is not None and tuple(kpm.shape) != (n, k.shape[1]):
            raise ValueError(f"key_padding_mask: expected shape {(n, k.shape[1])}, got "
                             f"{tuple(kpm.shape)}")

        def pad_mask(m):  # one more key, never masked
            return None if m is None else cat([m, zeros(*m.shape[:-1], 1, dtype=m._data.dtype)],
                                               dim=-1)
        if self.bias_k is not None and self.bias_v is not None:
            k = cat([k, self.bias_k.expand(n, 1, e)], dim=1)
            v = cat([v, self.bias_v.expand(n, 1, e)], dim=1)
            amask, kpm = pad_mask(amask), pad_mask(kpm)
        s = k.shape[1]
        q = q.reshape(n, L, h, hd).transpose(1, 2).reshape(n * h, L, hd)
        k = k.reshape(n, s, h, hd).transpose(1, 2).reshape(n * h, s, hd)
        v = v.reshape(n, s, h, hd).transpose(1, 2).reshape(n * h, s, hd)
        if self.add_zero_attn:
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
        from .._functional.attention import attend
        p = self.dropout if self.training else 0.0
        # PyTorch's weights path gives NaN for a query that may attend nowhere, its
        # scaled_dot_product_attention path (need_weights=False) gives 0.
        out, weights = attend(q, k, v, bias, p, False, None,
                              empty_rows="nan" if need_weights else "zero")
        out = out.reshape(n, h, L, hd).transpose(1, 2).reshape(n, L, e)
        out = self.out_proj(out)
        if not self.batch_first or unbatched:
            out = out.transpose(0, 1)
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


__all__ = ["MultiheadAttention"]
