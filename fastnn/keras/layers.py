"""Keras layers as fastnn Modules: Dense, Conv2D, MaxPooling2D, Flatten, ...

They keep Keras's conventions -- channels-last images ``(N, H, W, C)``,
``glorot_uniform`` kernels and zero biases, sizes inferred on the first call
(or from ``input_shape``) -- and compute with fastnn's NCHW kernels, storing
weights in PyTorch's layout (``weight`` ``(out, in)`` / ``(out, in, kh, kw)``)
so ``state_dict()`` reads like a PyTorch model's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from .._tensor import Tensor
    from ._typing import ActivationArg, InitializerArg, RegularizerArg, ShapeArg


class Dense(Layer):
    """A densely connected layer: ``activation(x @ kernel + bias)`` over the last axis.

    The input size is taken from the first input (or ``input_shape`` / ``input_dim``).
    The kernel is initialised in Keras's ``(in, out)`` layout and stored as PyTorch's
    ``weight`` ``(out, in)``, so ``state_dict()`` matches an ``nn.Linear``.

    Args:
        units (int): the output size.
        activation (str or callable, optional): applied to the output. Default: None.
        use_bias (bool): add a bias. Default: True.
        kernel_initializer (str or Initializer): Default: ``"glorot_uniform"``.
        bias_initializer (str or Initializer): Default: ``"zeros"``.
        kernel_regularizer, bias_regularizer (str or Regularizer, optional): penalties on
            the weights, added to the loss by fit. Default: None.
        activity_regularizer: not supported.
        input_shape (tuple, optional): one sample's shape; builds the layer at once.
        input_dim (int, optional): ``input_shape=(input_dim,)``.
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, *, H_in)``
        - Output: ``(N, *, units)``

    Attributes:
        weight (Parameter): ``(units, H_in)``, Keras's kernel transposed.
        bias (Parameter): ``(units,)``, or None without ``use_bias``.

    Example::

        >>> from fastnn import keras
        >>> layer = keras.layers.Dense(3, activation="relu")
        >>> layer(fastnn.ones(2, 5)).shape
        (2, 3)
        >>> tuple(layer.weight.shape), layer.get_weights()[0].shape
        ((3, 5), (5, 3))
    """

    def __init__(self, units: int, activation: ActivationArg = None, use_bias: bool = True,
                 kernel_initializer: InitializerArg = "glorot_uniform",
                 bias_initializer: InitializerArg = "zeros",
                 kernel_regularizer: RegularizerArg = None, bias_regularizer: RegularizerArg = None,
                 activity_regularizer: Any = None, input_shape: ShapeArg = None,
                 input_dim: int | None = None, name: str | None = None, **kwargs: Any) -> None:
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

    def build(self, input_shape: tuple[Any, ...]) -> None:
        fan_in = int(input_shape[-1])
        f32 = np.dtype(np.float32)
        # initialised in Keras's layout (in, out), stored as PyTorch's (out, in)
        self.weight = Parameter(np.ascontiguousarray(
            _initial_value(self.kernel_initializer, (fan_in, self.units), f32).T))
        self.bias = Parameter(_initial_value(self.bias_initializer, (self.units,), f32)) \
            if self.use_bias else None
        self.in_features = fan_in
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def _keras_layout(self):
        out = [(self.weight, lambda a: a.T, lambda a: a.T)]  # kernel (in, out) <-> weight (out, in)
        return out + ([(self.bias, lambda a: a, lambda a: a)] if self.bias is not None else [])

    def extra_repr(self) -> str:
        return f"units={self.units}, activation={self.activation_name}"


class Dropout(Layer):
    """Randomly zero a fraction ``rate`` of the inputs in training, scaling the rest by
    ``1 / (1 - rate)``; the identity in inference (``evaluate`` / ``predict``).

    Args:
        rate (float): the fraction to drop, in [0, 1).
        noise_shape: not supported (must be None).
        seed (int, optional): accepted; the draws come from fastnn's generator.
        name (str, optional): the layer's name.

    Shape:
        - Input: any shape
        - Output: the same shape

    Example::

        >>> from fastnn import keras
        >>> layer = keras.layers.Dropout(0.5)
        >>> layer.eval()(fastnn.ones(2, 3))
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
        >>> sorted(set(layer.train()(fastnn.ones(100)).tolist()))
        [0.0, 2.0]
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(activation=None, name=name, **kwargs)
        if noise_shape is not None:
            raise NotImplementedError("Dropout: noise_shape is not supported")
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate = rate
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.rate, self.training)

    def extra_repr(self) -> str:
        return f"rate={self.rate}"


class Activation(Layer):
    """Apply an activation function to the input.

    Args:
        activation (str or callable): a Keras activation name (``"relu"``, ``"softmax"``
            ...) or a function of a Tensor.
        name (str, optional): the layer's name.

    Shape:
        - Input: any shape
        - Output: the same shape

    Example::

        >>> from fastnn import keras
        >>> keras.layers.Activation("relu")(fastnn.tensor([[-1.0, 2.0]]))
        tensor([[0., 2.]])
    """

    def __init__(self, activation: ActivationArg, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(None, activation, name, **kwargs)
        self.built = True

    def call(self, x: Tensor) -> Tensor:
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
