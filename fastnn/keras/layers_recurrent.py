"""Keras's sequence layers: Embedding, and LSTM, GRU, SimpleRNN over (batch, steps, features).

The recurrent layers run fastnn's nn.LSTM / nn.GRU / nn.RNN (batch_first, the native
kernels) with Keras's initializers (kernel glorot_uniform, recurrent kernel orthogonal,
LSTM forget-gate bias 1). Keras's single LSTM bias is bias_ih (bias_hh stays zero and
frozen); Keras's GRU (reset_after=True) is PyTorch's GRU, with gates z, r, h instead of
r, z, n in get_weights / set_weights.
"""
from __future__ import annotations

import numpy as np

from ..nn import Parameter
from ..nn import functional as F
from .base_layer import Layer, _glorot_uniform, _initial_value


class Embedding(Layer):
    """Integer ids -> rows of a (input_dim, output_dim) table, initialised uniform(-0.05, 0.05)."""

    def __init__(self, input_dim, output_dim, mask_zero=False, input_length=None, name=None,
                 embeddings_initializer="uniform", **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        if mask_zero:
            raise NotImplementedError("Embedding: mask_zero (masking) is not supported")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        init = "random_uniform" if embeddings_initializer == "uniform" else embeddings_initializer
        self.embeddings = Parameter(_initial_value(init, (self.input_dim, self.output_dim),
                                                   np.dtype(np.float32)))
        self.built = True

    def call(self, x):
        return F.embedding(x.long() if x._data.dtype.kind != "i" else x, self.embeddings)


def _orthogonal(rows, cols):
    from ..random import default_generator
    a = default_generator().standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    q = q if rows >= cols else q.T
    return q[:rows, :cols].astype(np.float32)


class _Recurrent(Layer):
    _torch_cls: str | None = None  # the fastnn.nn class run: "LSTM", "GRU" or "RNN"
    _gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 return_sequences=False, return_state=False, go_backwards=False, dropout=0.0,
                 recurrent_dropout=0.0, name=None, **kwargs):
        reset_after = kwargs.pop("reset_after", True)
        unit_forget_bias = kwargs.pop("unit_forget_bias", True)
        super().__init__(activation=None, name=name, **kwargs)
        if activation != "tanh" or recurrent_activation != "sigmoid":
            raise NotImplementedError(f"{type(self).__name__}: only activation='tanh' with "
                                      "recurrent_activation='sigmoid' is supported")
        if recurrent_dropout or go_backwards or not reset_after:
            raise NotImplementedError(f"{type(self).__name__}: recurrent_dropout, go_backwards and "
                                      "reset_after=False are not supported")
        self.units, self.use_bias = int(units), use_bias
        self.return_sequences, self.return_state = return_sequences, return_state
        self.dropout = dropout
        self.unit_forget_bias = unit_forget_bias

    def build(self, input_shape):
        from .. import nn
        n_in, h, g = int(input_shape[-1]), self.units, self._gates
        self.rnn = getattr(nn, self._torch_cls)(n_in, h, batch_first=True, bias=self.use_bias)
        self.rnn.weight_ih_l0._data[...] = _glorot_uniform((n_in, g * h), n_in, g * h).T
        self.rnn.weight_hh_l0._data[...] = np.concatenate(
            [_orthogonal(h, h) for _ in range(g)], axis=1).T
        if self.use_bias:
            self.rnn.bias_ih_l0._data[...] = 0
            self.rnn.bias_hh_l0._data[...] = 0
            self._init_bias(h)
        self.built = True

    def _init_bias(self, h):
        pass

    def call(self, x, training=None):
        if self.dropout and (self.training if training is None else training):
            x = F.dropout(x, self.dropout, True)
        out, state = self.rnn(x)
        last = out[:, -1]
        seq = out if self.return_sequences else last
        if not self.return_state:
            return seq
        states = [s[0] for s in state] if isinstance(state, tuple) else [state[0]]
        return [seq] + states


class LSTM(_Recurrent):
    """Keras's LSTM (gates i, f, c, o = PyTorch's i, f, g, o; one bias, forget bias 1)."""
    _torch_cls = "LSTM"
    _gates = 4

    def _init_bias(self, h):
        if self.unit_forget_bias:
            self.rnn.bias_ih_l0._data[h:2 * h] = 1.0
        self.rnn.bias_hh_l0.requires_grad = False  # Keras has a single bias

    def _keras_layout(self):
        r = self.rnn
        out = [(r.weight_ih_l0, lambda a: a.T, lambda a: a.T),
               (r.weight_hh_l0, lambda a: a.T, lambda a: a.T)]
        return out + ([(r.bias_ih_l0, lambda a: a, lambda a: a)] if self.use_bias else [])


class SimpleRNN(_Recurrent):
    """Keras's SimpleRNN (h = tanh(x W + h U + b); one bias)."""
    _torch_cls = "RNN"
    _gates = 1

    def __init__(self, units, activation="tanh", use_bias=True, return_sequences=False,
                 return_state=False, go_backwards=False, dropout=0.0, recurrent_dropout=0.0,
                 name=None, **kwargs):
        super().__init__(units, activation, "sigmoid", use_bias, return_sequences, return_state,
                         go_backwards, dropout, recurrent_dropout, name, **kwargs)

    def _init_bias(self, h):
        self.rnn.bias_hh_l0.requires_grad = False  # Keras has a single bias

    _keras_layout = LSTM._keras_layout


def _zrh(a, axis):
    """PyTorch's GRU gate blocks (r, z, n) <-> Keras's (z, r, h), along ``axis``."""
    r, z, n = np.split(a, 3, axis=axis)
    return np.concatenate([z, r, n], axis=axis)


class GRU(_Recurrent):
    """Keras's GRU with reset_after=True, which is PyTorch's GRU (two biases)."""
    _torch_cls = "GRU"
    _gates = 3

    def _keras_layout(self):
        # the two kernels; Keras keeps both biases in one (2, 3H) array (get/set_weights below)
        r = self.rnn
        return [(r.weight_ih_l0, lambda a: _zrh(a, 0).T, lambda a: _zrh(a.T, 0)),
                (r.weight_hh_l0, lambda a: _zrh(a, 0).T, lambda a: _zrh(a.T, 0))]

    def get_weights(self):
        w = super().get_weights()
        if self.use_bias:
            w.append(np.stack([_zrh(self.rnn.bias_ih_l0.detach()._data, 0),
                               _zrh(self.rnn.bias_hh_l0.detach()._data, 0)]))
        return w

    def set_weights(self, weights):
        weights = list(weights)
        if len(weights) != 2 + bool(self.use_bias):
            raise ValueError(f"{self.name}: set_weights expected {2 + bool(self.use_bias)} arrays, "
                             f"got {len(weights)}")
        if self.use_bias:
            b = np.asarray(weights.pop(), dtype=np.float32)
            self.rnn.bias_ih_l0._data[...] = _zrh(b[0], 0)
            self.rnn.bias_hh_l0._data[...] = _zrh(b[1], 0)
        super().set_weights(weights)
