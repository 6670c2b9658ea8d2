"""Keras's convolution layers over channels-last data: Conv2D (images) and Conv1D
(sequences), with TensorFlow's 'same' padding; weights stored in PyTorch's layout."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..nn import Parameter
from ..nn import functional as F
from .base_layer import Layer, _glorot_uniform, _initial_value, _pair

if TYPE_CHECKING:
    from .._tensor import Tensor
    from ._typing import ActivationArg, InitializerArg, IntPair, RegularizerArg, ShapeArg


def _same_padding(size: int, k: int, s: int, d: int) -> tuple[int, int]:
    """TensorFlow's 'same' padding (before, after) along one axis."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


class Conv2D(Layer):
    """2-D convolution over images, channels last by default, as Keras lays them out.

    It computes with fastnn's NCHW convolution (the input is permuted in and out) and
    stores the kernel as PyTorch's ``weight`` ``(filters, C_in / groups, kh, kw)``;
    ``get_weights`` gives Keras's ``(kh, kw, C_in / groups, filters)``.

    Args:
        filters (int): the number of output channels.
        kernel_size (int or tuple): the window's height and width.
        strides (int or tuple): the step of the window. Default: 1.
        padding (str): ``"valid"`` (none) or ``"same"`` (TensorFlow's: the output has
            ``ceil(size / stride)`` positions, any odd pixel padded after). Default: ``"valid"``.
        data_format (str, optional): ``"channels_last"`` (N, H, W, C) or ``"channels_first"``
            (N, C, H, W). Default: channels last.
        dilation_rate (int or tuple): spacing of the window's taps. Default: 1.
        groups (int): split the channels into this many independent groups. Default: 1.
        activation (str or callable, optional): applied to the output. Default: None.
        use_bias (bool): add a bias per filter. Default: True.
        kernel_initializer, bias_initializer (str or Initializer): Default:
            ``"glorot_uniform"`` (fans from Keras's kernel layout) and ``"zeros"``.
        kernel_regularizer, bias_regularizer (str or Regularizer, optional): weight
            penalties added to the loss. Default: None.
        activity_regularizer: not supported.
        input_shape (tuple, optional): one sample's shape; builds the layer at once.
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, H, W, C_in)`` (channels last) or ``(N, C_in, H, W)``
        - Output: ``(N, H_out, W_out, filters)`` or ``(N, filters, H_out, W_out)``, where
          ``H_out = ceil(H / stride)`` for ``"same"`` and
          ``(H - dilation * (kh - 1) - 1) // stride + 1`` for ``"valid"``

    Attributes:
        weight (Parameter): ``(filters, C_in / groups, kh, kw)``.
        bias (Parameter): ``(filters,)``, or None.

    Example::

        >>> from fastnn import keras
        >>> layer = keras.layers.Conv2D(4, 3, padding="same", activation="relu")
        >>> layer(fastnn.ones(2, 8, 8, 3)).shape
        (2, 8, 8, 4)
        >>> tuple(layer.weight.shape), layer.get_weights()[0].shape
        ((4, 3, 3, 3), (3, 3, 3, 4))
    """

    def __init__(self, filters: int, kernel_size: IntPair, strides: IntPair = (1, 1),
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: IntPair = (1, 1), groups: int = 1, activation: ActivationArg = None,
                 use_bias: bool = True, kernel_initializer: InitializerArg = "glorot_uniform",
                 bias_initializer: InitializerArg = "zeros", kernel_regularizer: RegularizerArg = None,
                 bias_regularizer: RegularizerArg = None, activity_regularizer: Any = None,
                 input_shape: ShapeArg = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(input_shape, activation, name, **kwargs)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self._set_regularizers(kernel_regularizer, bias_regularizer, activity_regularizer)
        if padding not in ("valid", "same"):
            raise ValueError(f"Conv2D: padding must be 'valid' or 'same', got {padding!r}")
        self.data_format = data_format or "channels_last"
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"Conv2D: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.strides = _pair(strides, "strides")
        self.dilation_rate = _pair(dilation_rate, "dilation_rate")
        self.padding = padding
        self.groups = groups
        self.use_bias = use_bias
        if self.input_shape is not None:
            self.build((None,) + self.input_shape)

    def build(self, input_shape: tuple[Any, ...]) -> None:
        c = int(input_shape[-1] if self.data_format == "channels_last" else input_shape[1])
        if c % self.groups:
            raise ValueError(f"Conv2D: input channels {c} are not divisible by groups={self.groups}")
        kh, kw = self.kernel_size
        f32 = np.dtype(np.float32)
        # Keras's kernel layout (kh, kw, in, out) for the fans, PyTorch's (out, in, kh, kw) stored
        kernel = _initial_value(self.kernel_initializer, (kh, kw, c // self.groups, self.filters), f32)
        self.weight = Parameter(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
        self.bias = Parameter(_initial_value(self.bias_initializer, (self.filters,), f32)) \
            if self.use_bias else None
        self.in_channels = c
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        if self.data_format == "channels_last":
            x = x.permute(0, 3, 1, 2)
        pad = (0, 0)
        if self.padding == "same":
            (t, b), (l, r) = (_same_padding(x.shape[2 + i], self.kernel_size[i], self.strides[i],
                                            self.dilation_rate[i]) for i in range(2))
            if t == b and l == r:
                pad = (t, l)
            else:
                x = F.pad(x, (l, r, t, b))
        y = F.conv2d(x, self.weight, self.bias, stride=self.strides, padding=pad,
                     dilation=self.dilation_rate, groups=self.groups)
        return y.permute(0, 2, 3, 1) if self.data_format == "channels_last" else y

    def _keras_layout(self):
        # kernel (kh, kw, in, out) <-> weight (out, in, kh, kw)
        out = [(self.weight, lambda a: a.transpose(2, 3, 1, 0), lambda a: a.transpose(3, 2, 0, 1))]
        return out + ([(self.bias, lambda a: a, lambda a: a)] if self.bias is not None else [])

    def extra_repr(self) -> str:
        return (f"filters={self.filters}, kernel_size={self.kernel_size}, strides={self.strides}, "
                f"padding={self.padding!r}, activation={self.activation_name}")


class Conv1D(Layer):
    """1-D convolution over sequences ``(batch, steps, channels)``.

    The kernel is stored as PyTorch's ``weight`` ``(filters, C_in, k)``; ``get_weights``
    gives Keras's ``(k, C_in, filters)``. It is initialised glorot-uniform, the bias zero.

    Args:
        filters (int): the number of output channels.
        kernel_size (int or tuple of one int): the window length.
        strides (int): the step of the window. Default: 1.
        padding (str): ``"valid"``, ``"same"`` (TensorFlow's) or ``"causal"`` (all the
            padding before the sequence, so step t sees steps <= t only). Default: ``"valid"``.
        dilation_rate (int): spacing of the window's taps. Default: 1.
        activation (str or callable, optional): applied to the output. Default: None.
        use_bias (bool): add a bias per filter. Default: True.
        input_shape (tuple, optional): one sample's shape; builds the layer at once.
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, L, C_in)``
        - Output: ``(N, L_out, filters)``: ``L_out = L`` for ``"causal"`` and ``"same"``
          (stride 1), ``L - dilation * (k - 1)`` for ``"valid"`` (stride 1)

    Attributes:
        weight (Parameter): ``(filters, C_in, k)``.
        bias (Parameter): ``(filters,)``, or None.

    Example::

        >>> from fastnn import keras
        >>> layer = keras.layers.Conv1D(4, 3, padding="causal")
        >>> layer(fastnn.ones(2, 10, 3)).shape
        (2, 10, 4)
        >>> layer.get_weights()[0].shape
        (3, 3, 4)
    """

    def __init__(self, filters: int, kernel_size: int | tuple[int], strides: int = 1,
                 padding: str = "valid", dilation_rate: int = 1, activation: ActivationArg = None,
                 use_bias: bool = True, input_shape: ShapeArg = None, name: str | None = None,
                 **kwargs: Any) -> None:
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

    def build(self, input_shape: tuple[Any, ...]) -> None:
        c, k = int(input_shape[-1]), self.kernel_size
        self.weight = Parameter(_glorot_uniform((self.filters, c, k), k * c, k * self.filters))
        self.bias = Parameter(np.zeros(self.filters, np.float32)) if self.use_bias else None
        self.built = True

    def call(self, x: Tensor) -> Tensor:
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
