"""MultiheadAttention: PyTorch's arguments, parameter names and shapes, masks and outputs.

Parameters as torch.nn.MultiheadAttention, so a state_dict loads both ways:
in_proj_weight (3E, E) when kdim == vdim == E (else q_proj_weight (E, E),
k_proj_weight (E, kdim), v_proj_weight (E, vdim)), in_proj_bias (3E),
out_proj.weight / out_proj.bias, bias_k / bias_v (1, 1, E) with add_bias_kv.
forward is F.multi_head_attention_forward (nn/_functional/multi_head_attention.py),
whose heads run through the backend's attention kernel (native = fastnn's batched
GEMM around a fused mask/softmax pass). Masks follow
PyTorch: bool True = may NOT attend (the opposite of scaled_dot_product_attention's
attn_mask), float = added to the scores. Importable as
fastnn.nn.modules.activation.MultiheadAttention too, PyTorch's path.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import init
from .linear import Linear
from .module import Module
from ._utils import _empty_parameter, _place

if TYPE_CHECKING:
    from ..._tensor import Tensor


class NonDynamicallyQuantizableLinear(Linear):
    """PyTorch's name for MultiheadAttention's out_proj: a plain Linear here (same Args).

    Example::

        >>> nn.MultiheadAttention(8, 2).out_proj
        NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)
    """


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al., 2017): attends to several projections at once.

    ``MultiHead(Q, K, V) = concat(head_1, ..., head_h) @ W_O^T + b_O``, with
    ``head_i = softmax(Q W_Qi^T (K W_Ki^T)^T / sqrt(head_dim) + mask) V W_Vi^T``,
    ``h = num_heads`` heads of width ``head_dim = embed_dim // num_heads``.

    Args:
        embed_dim (int): E, the model width (of the query and the output).
        num_heads (int): the number of heads; divides ``embed_dim``.
        dropout (float): dropout on the attention weights, in training. Default: 0.0
        bias (bool): learn input and output projection biases. Default: ``True``
        add_bias_kv (bool): append a learnt bias_k / bias_v position to key and
            value. Default: ``False``
        add_zero_attn (bool): append a position of zeros to key and value.
            Default: ``False``
        kdim (int, optional): the width of the key. Default: ``embed_dim``
        vdim (int, optional): the width of the value. Default: ``embed_dim``
        batch_first (bool): inputs and output are (N, L, E) instead of (L, N, E).
            Default: ``False``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    ``forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)`` returns
    ``(attn_output, attn_weights)``. Masks follow PyTorch: a bool mask is True
    where attention is NOT allowed, a float mask is added to the scores;
    ``key_padding_mask`` is (N, S), ``attn_mask`` (L, S) or (N * num_heads, L, S).
    ``attn_weights`` is None unless ``need_weights``.

    Shape:
        - query: :math:`(L, N, E)` (:math:`(N, L, E)` with ``batch_first``) or :math:`(L, E)`
        - key: :math:`(S, N, E_k)` (:math:`(N, S, E_k)`) or :math:`(S, E_k)`
        - value: :math:`(S, N, E_v)` (:math:`(N, S, E_v)`) or :math:`(S, E_v)`
        - attn_output: :math:`(L, N, E)` (:math:`(N, L, E)`) or :math:`(L, E)`
        - attn_weights: :math:`(N, L, S)` (:math:`(L, S)` unbatched), or
          ``(N, num_heads, L, S)`` with ``average_attn_weights=False``

    Attributes:
        in_proj_weight (Parameter): (3E, E), the stacked query/key/value
            projections, xavier-uniform (None when kdim or vdim differ from E;
            then q_proj_weight (E, E), k_proj_weight (E, kdim), v_proj_weight
            (E, vdim)).
        in_proj_bias (Parameter): (3E,), zeros (None without ``bias``).
        out_proj (Linear): the output projection, its bias zeros.

    Example::

        >>> mha = nn.MultiheadAttention(embed_dim=8, num_heads=2)
        >>> q = fastnn.randn(5, 3, 8)  # (L, N, E)
        >>> out, weights = mha(q, q, q)
        >>> out.shape, weights.shape
        ((5, 3, 8), (3, 5, 5))
        >>> bool(abs(weights.sum(dim=-1) - 1).max() < 1e-5)
        True
    """

    __constants__ = ["batch_first"]

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
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

    def _reset_parameters(self) -> None:
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

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        from .._functional.multi_head_attention import multi_head_attention_forward
        if self.batch_first and query.ndim == 3:  # the functional form takes (L, N, E)
            same = query is key and key is value
            query = query.transpose(0, 1)
            key, value = (query, query) if same else (key.transpose(0, 1), value.transpose(0, 1))
        out, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight, average_attn_weights=average_attn_weights,
            is_causal=is_causal)
        if self.batch_first and query.ndim == 3:
            out = out.transpose(0, 1)
        return out, weights


__all__ = ["MultiheadAttention"]
