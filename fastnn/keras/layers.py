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
from .layers_conv import (AveragePooling2D, Conv2D, GlobalAveragePooling2D, MaxPooling2D,  # noqa: F401
                          _Pooling2D, _same_padding)
from .layers_merge import Add, Average, Concatenate, Multiply, Subtract, _Merge  # noqa: F401


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


class Flatten(Layer):
    """Flatten all but the batch axis (in the channels-last order Keras uses)."""

    def __init__(self, data_format=None, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        self.data_format = data_format or "channels_last"
        self.built = True

    def call(self, x):
        if self.data_format == "channels_first" and x.ndim > 2:  # Keras flattens channels last
            x = x.permute(0, *range(2, x.ndim), 1)
        return x.reshape(x.shape[0], -1)


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


class Reshape(Layer):
    def __init__(self, target_shape, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        self.target_shape = tuple(target_shape)
        self.built = True

    def call(self, x):
        return x.reshape((x.shape[0],) + self.target_shape)


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


# More layers (normalisation, embeddings, recurrent, 1-D, preprocessing) live in a second file.
from .layers_more import (GRU, LSTM, BatchNormalization, Conv1D, Embedding, SimpleRNN,  # noqa: E402,F401
                          GlobalAveragePooling1D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                          LayerNormalization, MaxPooling1D, Normalization, Rescaling, UpSampling2D,
                          ZeroPadding2D)
from .layers_wrappers import Bidirectional, Lambda, TimeDistributed  # noqa: E402,F401
from .layers_activation import ELU, LeakyReLU, ReLU, Softmax  # noqa: E402,F401
from .layers_attention import MultiHeadAttention  # noqa: E402,F401
