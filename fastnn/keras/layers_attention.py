"""keras.layers.MultiHeadAttention: Keras 3's layer (query/key/value projections to
``num_heads`` heads of ``key_dim``, scaled dot-product scores, softmax with the attention
and causal masks, dropout on the probabilities, output projection), with Keras's weight
shapes ((d, heads, key_dim) kernels, (heads, value_dim, d) output kernel) so get_weights /
set_weights exchange them with real Keras. Attention over the time axis of (B, T, d)
inputs (attention_axes=None)."""
from __future__ import annotations

import math

import numpy as np

import fastnn.nn.functional as F
from ..nn.parameter import Parameter
from .base_layer import Layer, _initial_value


class MultiHeadAttention(Layer):
    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", name=None, **kwargs):
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

    def build_from(self, q_shape, v_shape, k_shape):
        h = self.num_heads
        self._dense("query", int(q_shape[-1]), h, self.key_dim)
        self._dense("key", int(k_shape[-1]), h, self.key_dim)
        self._dense("value", int(v_shape[-1]), h, self.value_dim)
        out = self.output_shape_arg
        out_dim = int(q_shape[-1]) if out is None else int(out if np.isscalar(out) else out[-1])
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

    def forward(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
                attention_mask=None, return_attention_scores=False, training=None,
                use_causal_mask=False):
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
        b, t = ctx.shape[0], ctx.shape[1]
        h, dv, out_dim = self.output_kernel.shape
        out = ctx.reshape(b, t, h * dv).matmul(self.output_kernel.reshape(h * dv, out_dim))
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

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        return tuple(query_shape[:-1]) + (self.output_kernel.shape[-1],)


__all__ = ["MultiHeadAttention"]
