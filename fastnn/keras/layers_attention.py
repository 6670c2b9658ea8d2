"""keras.layers.MultiHeadAttention: Keras 3's layer (query/key/value projections to
``num_heads`` heads of ``key_dim``, scaled dot-product scores, softmax with the attention
and causal masks, dropout on the probabilities, output projection), with Keras's weight
shapes ((d, heads, key_dim) kernels, (heads, value_dim, d) output kernel) so get_weights /
set_weights exchange them with real Keras. Attention over the time axis of (B, T, d)
inputs (attention_axes=None)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

import fastnn.nn.functional as F
from ..nn.parameter import Parameter
from .base_layer import Layer, _initial_value

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from .._tensor import Tensor
    from ._typing import InitializerArg


class MultiHeadAttention(Layer):
    """Keras 3's multi-head attention: ``query`` attends over ``key`` / ``value``.

    Each input is projected to ``num_heads`` heads; the scores
    ``softmax(q k^T / sqrt(key_dim))`` (masked where a mask is False, dropout in
    training) weigh the values, and the heads are projected back to the output size.
    Weights have Keras's shapes (see the module docstring), so ``get_weights`` /
    ``set_weights`` exchange them with Keras.

    Args:
        num_heads (int): the number of heads.
        key_dim (int): the size of each head's query and key.
        value_dim (int, optional): the size of each head's value. Default: ``key_dim``.
        dropout (float): dropout on the attention probabilities. Default: 0.
        use_bias (bool): biases on the projections. Default: True.
        output_shape (int, optional): the output size. Default: the query's feature size.
        attention_axes: only None (attention over the time axis) is supported.
        kernel_initializer, bias_initializer (str or Initializer): Default:
            ``"glorot_uniform"`` and ``"zeros"``.
        name (str, optional): the layer's name.

    Call arguments:
        query (Tensor): ``(N, T, D_q)``.
        value (Tensor): ``(N, S, D_v)``.
        key (Tensor, optional): ``(N, S, D_k)``. Default: ``value``.
        attention_mask (Tensor or array, optional): ``(N, T, S)`` or ``(T, S)``, True where
            a query may attend to a key.
        return_attention_scores (bool): also return the probabilities ``(N, heads, T, S)``.
        training (bool, optional): dropout on or off. Default: the layer's mode.
        use_causal_mask (bool): forbid attending to later positions (the lower triangle
            from the top-left corner, as Keras). Default: False.

    Shape:
        - Input: query ``(N, T, D_q)``, value ``(N, S, D_v)``
        - Output: ``(N, T, output_shape or D_q)``

    Example::

        >>> from fastnn import keras
        >>> layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
        >>> x = fastnn.ones(2, 5, 8)
        >>> out, scores = layer(x, x, return_attention_scores=True, use_causal_mask=True)
        >>> out.shape, scores.shape
        ((2, 5, 8), (2, 2, 5, 5))
        >>> scores[0, 0, 0]  # the first query sees only the first key
        tensor([1., 0., 0., 0., 0.], grad_fn=<...>)
    """

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None, dropout: float = 0.0,
                 use_bias: bool = True, output_shape: int | tuple[int, ...] | None = None,
                 attention_axes: Any = None, kernel_initializer: InitializerArg = "glorot_uniform",
                 bias_initializer: InitializerArg = "zeros", name: str | None = None, **kwargs: Any) -> None:
        super().__init__(None, None, name, **kwargs)
        if int(num_heads) < 1 or int(key_dim) < 1:
            raise ValueError(f"MultiHeadAttention: num_heads and key_dim must be >= 1, got "
                             f"{num_heads}, {key_dim}")
        if attention_axes not in (None, 1, (1,), [1]):
            raise NotImplementedError("MultiHeadAttention: only attention over axis 1 "
                                      "(attention_axes=None) is supported")
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim is not None else self.key_dim
        self.dropout, self.use_bias = float(dropout), use_bias
        self.output_shape_arg = output_shape
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def _dense(self, name, in_dim, heads, dim):
        f32 = np.dtype(np.float32)
        k = Parameter(_initial_value(self.kernel_initializer, (in_dim, heads, dim), f32))
        self.register_parameter(f"{name}_kernel", k)
        if self.use_bias:
            self.register_parameter(f"{name}_bias",
                                    Parameter(_initial_value(self.bias_initializer, (heads, dim), f32)))
        else:
            self.register_parameter(f"{name}_bias", None)

    def build_from(self, q_shape: tuple[int, ...], v_shape: tuple[int, ...], k_shape: tuple[int, ...]) -> None:
        """Make the weights for inputs of these shapes (runs on the first call)."""
        h = self.num_heads
        self._dense("query", int(q_shape[-1]), h, self.key_dim)
        self._dense("key", int(k_shape[-1]), h, self.key_dim)
        self._dense("value", int(v_shape[-1]), h, self.value_dim)
        out: Any = self.output_shape_arg  # None, an int, or a shape whose last entry is the size
        size: Any = out if out is None or np.isscalar(out) else out[-1]
        out_dim = int(q_shape[-1]) if size is None else int(size)
        f32 = np.dtype(np.float32)
        self.output_kernel = Parameter(_initial_value(self.kernel_initializer,
                                                      (h, self.value_dim, out_dim), f32))
        self.output_bias = Parameter(_initial_value(self.bias_initializer, (out_dim,), f32)) \
            if self.use_bias else None
        self.built = True

    @staticmethod
    def _project(x, kernel, bias):
        d, h, k = kernel.shape
        y = x.matmul(kernel.reshape(d, h * k))
        if bias is not None:
            y = y + bias.reshape(h * k)
        return y.reshape(x.shape[0], x.shape[1], h, k).permute(0, 2, 1, 3)  # (B, H, T, k)

    def forward(self, query: Tensor, value: Tensor, key: Tensor | None = None,  # type: ignore[override]
                query_mask: Any = None, value_mask: Any = None, key_mask: Any = None,
                attention_mask: Tensor | ArrayLike | None = None, return_attention_scores: bool = False,
                training: bool | None = None, use_causal_mask: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """The attention output (and the scores with ``return_attention_scores``); see the
        class docstring for the arguments."""
        if key is None:
            key = value
        for nm, t in (("query", query), ("value", value), ("key", key)):
            if t.dim() != 3:
                raise ValueError(f"MultiHeadAttention: {nm} must be (batch, time, features), "
                                 f"got shape {tuple(t.shape)}")
        if not self.built:
            self.build_from(query.shape, value.shape, key.shape)
        q = self._project(query, self.query_kernel, self.query_bias) * (1.0 / math.sqrt(self.key_dim))
        k = self._project(key, self.key_kernel, self.key_bias)
        v = self._project(value, self.value_kernel, self.value_bias)
        scores = q.matmul(k.transpose(-1, -2))  # (B, H, Tq, Tk)
        mask = self._mask(query, value, attention_mask, use_causal_mask)
        if mask is not None:
            # Keras's masked softmax: a large negative added where the mask is False
            scores = scores + (1.0 - mask.float()).unsqueeze(1) * -1e9
        probs = F.softmax(scores, dim=-1)
        train = self.training if training is None else bool(training)
        attn = F.dropout(probs, self.dropout, train) if self.dropout > 0 else probs
        ctx = attn.matmul(v).permute(0, 2, 1, 3)  # (B, Tq, H, dv)
        batch, steps = ctx.shape[0], ctx.shape[1]
        h, dv, out_dim = self.output_kernel.shape
        out = ctx.reshape(batch, steps, h * dv).matmul(self.output_kernel.reshape(h * dv, out_dim))
        if self.output_bias is not None:
            out = out + self.output_bias
        return (out, probs) if return_attention_scores else out

    def _mask(self, query, value, attention_mask, use_causal_mask):
        import fastnn
        mask = None
        if attention_mask is not None:
            mask = attention_mask.bool() if hasattr(attention_mask, "bool") else \
                fastnn.tensor(np.asarray(attention_mask, bool))
            if mask.dim() == 2:
                mask = mask.unsqueeze(0)
        if use_causal_mask:
            tq, tk = query.shape[1], value.shape[1]
            # from the top-left corner (row >= column), as Keras, also when tq != tk
            causal = fastnn.tensor(np.tril(np.ones((tq, tk), bool))).unsqueeze(0)
            mask = causal if mask is None else (mask & causal)
        return mask

    def compute_output_shape(self, query_shape: tuple[int | None, ...], value_shape: tuple[int | None, ...],
                             key_shape: tuple[int | None, ...] | None = None) -> tuple[int | None, ...]:
        """The output's shape for inputs of these shapes (after the layer is built)."""
        return tuple(query_shape[:-1]) + (self.output_kernel.shape[-1],)


__all__ = ["MultiHeadAttention"]
