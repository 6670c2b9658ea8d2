"""Keras's sequence layers: Embedding, and LSTM, GRU, SimpleRNN over (batch, steps, features).

The recurrent layers run fastnn's nn.LSTM / nn.GRU / nn.RNN (batch_first, the native
kernels) with Keras's initializers (kernel glorot_uniform, recurrent kernel orthogonal,
LSTM forget-gate bias 1). Keras's single LSTM bias is bias_ih (bias_hh stays zero and
frozen); Keras's GRU (reset_after=True) is PyTorch's GRU, with gates z, r, h instead of
r, z, n in get_weights / set_weights.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..nn import Parameter
from ..nn import functional as F
from .base_layer import Layer, _glorot_uniform, _initial_value

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._tensor import Tensor
    from ._typing import InitializerArg


class Embedding(Layer):
    """Look up integer ids in a table of ``input_dim`` rows of ``output_dim`` values.

    Args:
        input_dim (int): the vocabulary size (ids are in ``[0, input_dim)``).
        output_dim (int): the size of each row.
        mask_zero: not supported (must be False).
        input_length (int, optional): accepted (Keras 2), no effect.
        name (str, optional): the layer's name.
        embeddings_initializer (str or Initializer): Default: ``"uniform"``, Keras's
            uniform on [-0.05, 0.05].

    Shape:
        - Input: ``(N, *)`` integer ids (floats are truncated to integers)
        - Output: ``(N, *, output_dim)``

    Attributes:
        embeddings (Parameter): the table, ``(input_dim, output_dim)``.

    Example::

        >>> from fastnn import keras
        >>> layer = keras.layers.Embedding(10, 4)
        >>> layer(fastnn.tensor([[1, 2, 3]])).shape
        (1, 3, 4)
        >>> tuple(layer.embeddings.shape)
        (10, 4)
    """

    def __init__(self, input_dim: int, output_dim: int, mask_zero: bool = False,
                 input_length: int | None = None, name: str | None = None,
                 embeddings_initializer: InitializerArg = "uniform", **kwargs: Any) -> None:
        super().__init__(activation=None, name=name, **kwargs)
        if mask_zero:
            raise NotImplementedError("Embedding: mask_zero (masking) is not supported")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        init = "random_uniform" if embeddings_initializer == "uniform" else embeddings_initializer
        self.embeddings = Parameter(_initial_value(init, (self.input_dim, self.output_dim),
                                                   np.dtype(np.float32)))
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        return F.embedding(x.long() if x._data.dtype.kind != "i" else x, self.embeddings)


def _orthogonal(rows: int, cols: int) -> np.ndarray:
    """Keras's orthogonal initializer (gain 1) for a recurrent kernel block."""
    from ..random import default_generator
    a = default_generator().standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    q = q if rows >= cols else q.T
    return q[:rows, :cols].astype(np.float32)


class _Recurrent(Layer):
    """What LSTM, GRU and SimpleRNN share: the arguments, Keras's initial weights, and the
    call through fastnn's recurrent Module (``self.rnn``, batch first)."""

    _torch_cls: str | None = None  # the fastnn.nn class run: "LSTM", "GRU" or "RNN"
    _gates = 4

    def __init__(self, units: int, activation: str = "tanh", recurrent_activation: str = "sigmoid",
                 use_bias: bool = True, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 name: str | None = None, **kwargs: Any) -> None:
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

    def call(self, x: Tensor, training: bool | None = None) -> Tensor | list[Tensor]:
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
    """Long short-term memory over sequences ``(batch, steps, features)``.

    Keras's LSTM: gates i, f, c, o (PyTorch's i, f, g, o), one bias with the forget
    gate's part set to 1 (``unit_forget_bias``), kernel glorot-uniform and recurrent
    kernel orthogonal. It runs fastnn's ``nn.LSTM`` (``self.rnn``); ``get_weights`` gives
    Keras's ``[kernel (F, 4H), recurrent_kernel (H, 4H), bias (4H,)]``.

    Args:
        units (int): the size of the hidden state (and of each output step).
        activation (str): only ``"tanh"`` is supported. Default: ``"tanh"``.
        use_bias (bool): add a bias. Default: True.
        return_sequences (bool): output every step ``(N, T, units)`` instead of the last
            ``(N, units)``. Default: False.
        return_state (bool): also return the final state(s), as a list
            ``[output, h, c]``. Default: False.
        dropout (float): dropout on the inputs in training. Default: 0.
        go_backwards, recurrent_dropout: not supported (False / 0 only).
        name (str, optional): the layer's name.
        recurrent_activation (str): only ``"sigmoid"`` is supported.
        unit_forget_bias (bool): start the forget gate's bias at 1. Default: True.

    Shape:
        - Input: ``(N, T, F)``
        - Output: ``(N, units)``, or ``(N, T, units)`` with ``return_sequences``; with
          ``return_state`` a list ``[output, h (N, units), c (N, units)]``

    Example::

        >>> from fastnn import keras
        >>> layer = keras.layers.LSTM(8)
        >>> layer(fastnn.ones(2, 5, 3)).shape
        (2, 8)
        >>> [w.shape for w in layer.get_weights()]
        [(3, 32), (8, 32), (32,)]
        >>> out, h, c = keras.layers.LSTM(8, return_sequences=True, return_state=True)(fastnn.ones(2, 5, 3))
        >>> out.shape, h.shape, c.shape
        ((2, 5, 8), (2, 8), (2, 8))
    """
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
    """The plain recurrent layer: ``h_t = tanh(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``.

    It runs fastnn's ``nn.RNN`` (``self.rnn``) with Keras's single bias;
    ``get_weights`` gives ``[kernel (F, H), recurrent_kernel (H, H), bias (H,)]``.

    Args:
        units (int): the size of the hidden state (and of each output step).
        activation (str): only ``"tanh"`` is supported. Default: ``"tanh"``.
        use_bias (bool): add a bias. Default: True.
        return_sequences (bool): output every step ``(N, T, units)`` instead of the last
            ``(N, units)``. Default: False.
        return_state (bool): also return the final state(s), as a list
            ``[output, h]``. Default: False.
        dropout (float): dropout on the inputs in training. Default: 0.
        go_backwards, recurrent_dropout: not supported (False / 0 only).
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, T, F)``
        - Output: ``(N, units)``, or ``(N, T, units)`` with ``return_sequences``

    Example::

        >>> from fastnn import keras
        >>> layer = keras.layers.SimpleRNN(8)
        >>> layer(fastnn.ones(2, 5, 3)).shape
        (2, 8)
        >>> [w.shape for w in layer.get_weights()]
        [(3, 8), (8, 8), (8,)]
    """
    _torch_cls = "RNN"
    _gates = 1

    def __init__(self, units: int, activation: str = "tanh", use_bias: bool = True,
                 return_sequences: bool = False, return_state: bool = False, go_backwards: bool = False,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, name: str | None = None,
                 **kwargs: Any) -> None:
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
    """Gated recurrent unit over sequences ``(batch, steps, features)``.

    Keras's GRU with ``reset_after=True`` (its default) is PyTorch's GRU, which this
    runs (``self.rnn``, two biases). ``get_weights`` gives Keras's layout and gate order
    z, r, h: ``[kernel (F, 3H), recurrent_kernel (H, 3H), bias (2, 3H)]``.

    Args:
        units (int): the size of the hidden state (and of each output step).
        activation (str): only ``"tanh"`` is supported. Default: ``"tanh"``.
        use_bias (bool): add a bias. Default: True.
        return_sequences (bool): output every step ``(N, T, units)`` instead of the last
            ``(N, units)``. Default: False.
        return_state (bool): also return the final state(s), as a list
            ``[output, h]``. Default: False.
        dropout (float): dropout on the inputs in training. Default: 0.
        go_backwards, recurrent_dropout: not supported (False / 0 only).
        name (str, optional): the layer's name.
        recurrent_activation (str): only ``"sigmoid"`` is supported.
        reset_after (bool): only True is supported.

    Shape:
        - Input: ``(N, T, F)``
        - Output: ``(N, units)``, or ``(N, T, units)`` with ``return_sequences``

    Example::

        >>> from fastnn import keras
        >>> layer = keras.layers.GRU(8, return_sequences=True)
        >>> layer(fastnn.ones(2, 5, 3)).shape
        (2, 5, 8)
        >>> [w.shape for w in layer.get_weights()]
        [(3, 24), (8, 24), (2, 24)]
    """
    _torch_cls = "GRU"
    _gates = 3

    def _keras_layout(self):
        # the two kernels; Keras keeps both biases in one (2, 3H) array (get/set_weights below)
        r = self.rnn
        return [(r.weight_ih_l0, lambda a: _zrh(a, 0).T, lambda a: _zrh(a.T, 0)),
                (r.weight_hh_l0, lambda a: _zrh(a, 0).T, lambda a: _zrh(a.T, 0))]

    def get_weights(self) -> list[np.ndarray]:
        w = super().get_weights()
        if self.use_bias:
            w.append(np.stack([_zrh(self.rnn.bias_ih_l0.detach()._data, 0),
                               _zrh(self.rnn.bias_hh_l0.detach()._data, 0)]))
        return w

    def set_weights(self, weights: Sequence[Any]) -> None:
        weights = list(weights)
        if len(weights) != 2 + bool(self.use_bias):
            raise ValueError(f"{self.name}: set_weights expected {2 + bool(self.use_bias)} arrays, "
                             f"got {len(weights)}")
        if self.use_bias:
            b = np.asarray(weights.pop(), dtype=np.float32)
            self.rnn.bias_ih_l0._data[...] = _zrh(b[0], 0)
            self.rnn.bias_hh_l0._data[...] = _zrh(b[1], 0)
        super().set_weights(weights)
