"""Keras layers as fastnn Modules: Dense, Conv2D, MaxPooling2D, Flatten, ...

They keep Keras's conventions -- channels-last images ``(N, H, W, C)``,
``glorot_uniform`` kernels and zero biases, sizes inferred on the first call
(or from ``input_shape``) -- and compute with fastnn's NCHW kernels, storing
weights in PyTorch's layout (``weight`` ``(out, in)`` / ``(out, in, kh, kw)``)
so ``state_dict()`` reads like a PyTorch model's.
"""
from __future__ import annotations

import numpy as np

from ..nn import Parameter
from ..nn import functional as F
from .base_layer import (Layer, _glorot_uniform, _initial_value, _pair, _snake_case,  # noqa: F401
                         _takes_training, get_activation)
from .functional import Input, InputLayer, is_symbolic, symbolic_call  # noqa: F401
from .layers_activation import ELU, LeakyReLU, ReLU, Softmax  # noqa: F401
from .layers_attention import MultiHeadAttention  # noqa: F401
from .layers_conv import Conv1D, Conv2D, _same_padding  # noqa: F401
from .layers_merge import Add, Average, Concatenate, Multiply, Subtract, _Merge  # noqa: F401
from .layers_normalization import BatchNormalization, LayerNormalization  # noqa: F401
from .layers_pooling import (AveragePooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D,  # noqa: F401
                             GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D, MaxPooling2D, _Pooling2D)
from .layers_preprocessing import Normalization, Rescaling  # noqa: F401
from .layers_recurrent import GRU, LSTM, Embedding, SimpleRNN  # noqa: F401
from .layers_reshaping import Flatten, Reshape, UpSampling2D, ZeroPadding2D  # noqa: F401
from .layers_wrappers import Bidirectional, Lambda, TimeDistributed  # noqa: F401


class Dense(Layer):
    """``activation(x @ W.T + b)`` over the last axis."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, input_shape=None, input_dim=None, name=None, **kwargs):
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        super().__init__(input_shape, activation, name, **kwargs)
        if units < 1:
            raise ValueError(f"Dense: units must be >= 1, got {units}")
        self.units = int(units)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self._set_regularizers(kernel_regularizer, bias_regularizer, activity_regularizer)
        if self.input_shape is not None:
            self.build((None,) + self.input_shape)

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        f32 = np.dtype(np.float32)
        # initialised in Keras's layout (in, out), stored as PyTorch's (out, in)
        self.weight = Parameter(np.ascontiguousarray(
            _initial_value(self.kernel_initializer, (fan_in, self.units), f32).T))
        self.bias = Parameter(_initial_value(self.bias_initializer, (self.units,), f32)) \
            if self.use_bias else None
        self.in_features = fan_in
        self.built = True

    def call(self, x):
        return F.linear(x, self.weight, self.bias)

    def _keras_layout(self):
        out = [(self.weight, lambda a: a.T, lambda a: a.T)]  # kernel (in, out) <-> weight (out, in)
        return out + ([(self.bias, lambda a: a, lambda a: a)] if self.bias is not None else [])

    def extra_repr(self):
        return f"units={self.units}, activation={self.activation_name}"


class Dropout(Layer):
    def __init__(self, rate, noise_shape=None, seed=None, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        if noise_shape is not None:
            raise NotImplementedError("Dropout: noise_shape is not supported")
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate = rate
        self.built = True

    def call(self, x):
        return F.dropout(x, self.rate, self.training)

    def extra_repr(self):
        return f"rate={self.rate}"


class Activation(Layer):
    def __init__(self, activation, name=None, **kwargs):
        super().__init__(None, activation, name, **kwargs)
        self.built = True

    def call(self, x):
        return x


def _register_flop_counters():
    """Teach fastnn.summary the cost of the Keras layers (a multiply-add = 2 FLOPs).

    Dense and Conv2D carry the attributes nn.Linear and nn.Conv2d do
    (in_features / in_channels, groups, kernel_size, bias), so they share
    summary's own counters; only the pooling layers name their window differently.
    """
    from ..nn.summary import _conv_flops, _linear_flops, _numel, register_flop_counter

    def pool(m, inputs, out):
        return _numel(out) * m.pool_size[0] * m.pool_size[1]

    for name, fn in (("Dense", _linear_flops), ("Conv2D", _conv_flops),
                     ("MaxPooling2D", pool), ("AveragePooling2D", pool),
                     ("Flatten", lambda m, i, o: 0), ("Dropout", lambda m, i, o: 0),
                     ("Reshape", lambda m, i, o: 0)):
        register_flop_counter(name, fn)


_register_flop_counters()
