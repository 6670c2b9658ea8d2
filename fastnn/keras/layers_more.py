"""More Keras layers (re-exported by keras.layers): BatchNormalization,
LayerNormalization, Embedding, LSTM, GRU, SimpleRNN, Conv1D, MaxPooling1D, global poolings,
Rescaling, Normalization (with adapt), UpSampling2D, ZeroPadding2D.

Keras's conventions: channels last, Keras's initializers (kernel glorot_uniform,
recurrent kernel orthogonal, LSTM forget-gate bias 1), BatchNormalization momentum
0.99 / epsilon 1e-3 with the biased batch variance in its moving average.
Recurrent layers run fastnn's nn.LSTM / nn.GRU (batch_first, the native kernels):
Keras's single LSTM bias is bias_ih (bias_hh stays zero and frozen); Keras's GRU
(reset_after=True) is PyTorch's GRU, with gates z, r, h instead of r, z, n in
get_weights / set_weights.
"""
from __future__ import annotations

import numpy as np

from ..nn import Parameter
from ..nn import functional as F
from .base_layer import Layer, _glorot_uniform, _initial_value, _pair


def _orthogonal(rows, cols):
    from ..random import default_generator
    a = default_generator().standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    q = q if rows >= cols else q.T
    return q[:rows, :cols].astype(np.float32)


def _channel_axis(x, axis):
    return axis % x.ndim


class BatchNormalization(Layer):
    """Normalise over every axis but ``axis`` with batch statistics in training and the
    moving averages (``moving = momentum * moving + (1 - momentum) * batch``) in inference."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, name=None,
                 **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        self.axis, self.momentum, self.epsilon = axis, momentum, epsilon
        self.center, self.scale = center, scale

    def build(self, input_shape):
        c = int(input_shape[self.axis])
        self.gamma = Parameter(np.ones(c, np.float32)) if self.scale else None
        self.beta = Parameter(np.zeros(c, np.float32)) if self.center else None
        self.register_buffer("moving_mean", _tensor(np.zeros(c, np.float32)))
        self.register_buffer("moving_variance", _tensor(np.ones(c, np.float32)))
        self.built = True

    def call(self, x, training=None):
        ax = _channel_axis(x, self.axis)
        dims = tuple(d for d in range(x.ndim) if d != ax)
        shape = [1] * x.ndim
        shape[ax] = -1
        if self.training if training is None else training:
            mean = x.mean(dim=dims, keepdim=True)
            var = ((x - mean) * (x - mean)).mean(dim=dims, keepdim=True)
            m = self.momentum
            self.moving_mean._data[...] = m * self.moving_mean._data + \
                (1 - m) * mean.detach()._data.reshape(-1)
            self.moving_variance._data[...] = m * self.moving_variance._data + \
                (1 - m) * var.detach()._data.reshape(-1)
        else:
            mean = self.moving_mean.reshape(shape)
            var = self.moving_variance.reshape(shape)
        y = (x - mean) / (var + self.epsilon).sqrt()
        if self.gamma is not None:
            y = y * self.gamma.reshape(shape)
        if self.beta is not None:
            y = y + self.beta.reshape(shape)
        return y

    def _keras_layout(self):
        same = (lambda a: a, lambda a: a)
        params = [p for p in (self.gamma, self.beta) if p is not None]
        return [(t,) + same for t in params + [self.moving_mean, self.moving_variance]]


def _tensor(arr):
    from .._tensor import Tensor
    return Tensor._wrap(arr)


class LayerNormalization(Layer):
    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        if axis != -1:
            raise NotImplementedError("LayerNormalization: only axis=-1 is supported")
        self.axis, self.epsilon, self.center, self.scale = axis, epsilon, center, scale

    def build(self, input_shape):
        c = int(input_shape[-1])
        self.gamma = Parameter(np.ones(c, np.float32)) if self.scale else None
        self.beta = Parameter(np.zeros(c, np.float32)) if self.center else None
        self.built = True

    def call(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.gamma, self.beta, eps=self.epsilon)


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


class Conv1D(Layer):
    """1-D convolution over (batch, steps, channels)."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
                 activation=None, use_bias=True, input_shape=None, name=None, **kwargs):
        super().__init__(input_shape, activation, name, **kwargs)
        if padding not in ("valid", "same", "causal"):
            raise ValueError(f"Conv1D: padding must be 'valid', 'same' or 'causal', got {padding!r}")
        self.filters = int(filters)
        self.kernel_size = int(kernel_size[0] if isinstance(kernel_size, (tuple, list)) else kernel_size)
        self.strides = int(strides[0] if isinstance(strides, (tuple, list)) else strides)
        self.dilation_rate = int(dilation_rate)
        self.padding, self.use_bias = padding, use_bias
        if self.input_shape is not None:
            self.build((None,) + self.input_shape)

    def build(self, input_shape):
        c, k = int(input_shape[-1]), self.kernel_size
        self.weight = Parameter(_glorot_uniform((self.filters, c, k), k * c, k * self.filters))
        self.bias = Parameter(np.zeros(self.filters, np.float32)) if self.use_bias else None
        self.built = True

    def call(self, x):
        x = x.permute(0, 2, 1)
        span = (self.kernel_size - 1) * self.dilation_rate
        if self.padding == "causal":
            x = F.pad(x, (span, 0))
        elif self.padding == "same":
            n = x.shape[-1]
            total = max((-(-n // self.strides) - 1) * self.strides + span + 1 - n, 0)
            x = F.pad(x, (total // 2, total - total // 2))
        y = F.conv1d(x, self.weight, self.bias, stride=self.strides, dilation=self.dilation_rate)
        return y.permute(0, 2, 1)

    def _keras_layout(self):
        out = [(self.weight, lambda a: a.transpose(2, 1, 0), lambda a: a.transpose(2, 1, 0))]
        return out + ([(self.bias, lambda a: a, lambda a: a)] if self.bias is not None else [])


class MaxPooling1D(Layer):
    def __init__(self, pool_size=2, strides=None, padding="valid", name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        if padding != "valid":
            raise NotImplementedError("MaxPooling1D: only padding='valid' is supported")
        self.pool_size = int(pool_size)
        self.strides = int(strides) if strides is not None else self.pool_size
        self.built = True

    def call(self, x):
        return F.max_pool1d(x.permute(0, 2, 1), self.pool_size, self.strides).permute(0, 2, 1)


class _Global(Layer):
    _dims = None
    _op = "mean"

    def __init__(self, data_format=None, keepdims=False, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        self.data_format = data_format or "channels_last"
        self.keepdims = keepdims
        self.built = True

    def call(self, x):
        dims = tuple(range(1, x.ndim - 1)) if self.data_format == "channels_last" \
            else tuple(range(2, x.ndim))
        if self._op == "mean":
            return x.mean(dim=dims, keepdim=self.keepdims)
        for d in sorted(dims, reverse=True):
            x = x.max(dim=d, keepdim=self.keepdims)[0]
        return x


class GlobalAveragePooling1D(_Global):
    pass


class GlobalMaxPooling1D(_Global):
    _op = "max"


class GlobalMaxPooling2D(_Global):
    _op = "max"


class Rescaling(Layer):
    """x * scale + offset (e.g. Rescaling(1.0 / 255))."""

    def __init__(self, scale, offset=0.0, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        self.scale, self.offset = float(scale), float(offset)
        self.built = True

    def call(self, x):
        return x * self.scale + self.offset


class Normalization(Layer):
    """(x - mean) / sqrt(var) per feature of ``axis``; ``adapt(data)`` learns mean and var."""

    def __init__(self, axis=-1, mean=None, variance=None, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        self.axis = axis
        self._given = (mean, variance)
        if mean is not None:
            self._set(np.asarray(mean, np.float32), np.asarray(variance, np.float32))
        else:
            self.register_buffer("mean", None)
            self.register_buffer("variance", None)
        self.built = True

    def _set(self, mean, var):
        self.register_buffer("mean", _tensor(np.asarray(mean, np.float32).reshape(-1)))
        self.register_buffer("variance", _tensor(np.asarray(var, np.float32).reshape(-1)))

    def adapt(self, data, batch_size=None, steps=None):
        arr = np.asarray(data._data if hasattr(data, "_data") else data, dtype=np.float64)
        ax = self.axis % arr.ndim
        dims = tuple(d for d in range(arr.ndim) if d != ax)
        self._set(arr.mean(axis=dims), arr.var(axis=dims))

    def call(self, x):
        if self.mean is None:
            raise RuntimeError(f"{self.name}: call adapt(data) first (or pass mean= and variance=)")
        shape = [1] * x.ndim
        shape[self.axis % x.ndim] = -1
        std = np.sqrt(np.maximum(self.variance._data, 1e-7)).astype(np.float32)  # Keras's floor
        return (x - self.mean.reshape(shape)) / _tensor(std).reshape(shape)

    def get_config(self):
        cfg = super().get_config()
        if self.mean is not None:  # adapted statistics travel with the config, as in Keras
            cfg["mean"] = self.mean._data.tolist()
            cfg["variance"] = self.variance._data.tolist()
        return cfg


class UpSampling2D(Layer):
    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        if interpolation != "nearest":
            raise NotImplementedError("UpSampling2D: only interpolation='nearest' is supported")
        self.size = _pair(size, "size")
        self.built = True

    def call(self, x):
        n, h, w, c = x.shape
        sh, sw = self.size
        x = x.reshape(n, h, 1, w, 1, c)
        from .. import ones
        x = x * ones(1, 1, sh, 1, sw, 1, dtype=x.dtype)
        return x.reshape(n, h * sh, w * sw, c)


class ZeroPadding2D(Layer):
    def __init__(self, padding=(1, 1), data_format=None, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        if isinstance(padding, int):
            padding = ((padding, padding), (padding, padding))
        elif all(isinstance(p, int) for p in padding):
            padding = ((padding[0], padding[0]), (padding[1], padding[1]))
        self.padding = tuple(tuple(int(v) for v in p) for p in padding)
        self.built = True

    def call(self, x):
        (t, b), (l, r) = self.padding
        return F.pad(x.permute(0, 3, 1, 2), (l, r, t, b)).permute(0, 2, 3, 1)


__all__ = ["BatchNormalization", "LayerNormalization", "Embedding", "LSTM", "GRU", "SimpleRNN", "Conv1D",
           "MaxPooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
           "Rescaling", "Normalization", "UpSampling2D", "ZeroPadding2D"]
