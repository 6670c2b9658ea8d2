"""Keras's pooling layers over channels-last data: MaxPooling2D, AveragePooling2D,
MaxPooling1D and the global poolings (average or max over every spatial axis)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..nn import functional as F
from .base_layer import Layer, _pair
from .layers_conv import _same_padding

if TYPE_CHECKING:
    from .._tensor import Tensor
    from ._typing import IntPair


class _Pooling2D(Layer):
    """The window and padding handling of MaxPooling2D and AveragePooling2D."""

    def __init__(self, pool_size: IntPair = (2, 2), strides: IntPair | None = None,
                 padding: str = "valid", data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(activation=None, name=name, **kwargs)
        if padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__}: padding must be 'valid' or 'same', got {padding!r}")
        self.pool_size = _pair(pool_size, "pool_size")
        self.strides = _pair(strides, "strides") if strides is not None else self.pool_size
        self.padding = padding
        self.data_format = data_format or "channels_last"
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        if self.data_format == "channels_last":
            x = x.permute(0, 3, 1, 2)
        if self.padding == "same":
            (t, b), (l, r) = (_same_padding(x.shape[2 + i], self.pool_size[i], self.strides[i], 1)
                              for i in range(2))
            if t or b or l or r:
                x = self._pad_same(x, (l, r, t, b))
        y = self._pool(x)
        return y.permute(0, 2, 3, 1) if self.data_format == "channels_last" else y

    def extra_repr(self) -> str:
        return f"pool_size={self.pool_size}, strides={self.strides}, padding={self.padding!r}"


class MaxPooling2D(_Pooling2D):
    """The maximum over each ``pool_size`` window of images, channels last by default.

    Args:
        pool_size (int or tuple): the window's height and width. Default: ``(2, 2)``.
        strides (int or tuple, optional): the step of the window. Default: ``pool_size``.
        padding (str): ``"valid"`` or ``"same"`` (TensorFlow's; padding never wins the
            maximum). Default: ``"valid"``.
        data_format (str, optional): ``"channels_last"`` or ``"channels_first"``.
            Default: channels last.
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, H, W, C)`` (channels last) or ``(N, C, H, W)``
        - Output: ``(N, H_out, W_out, C)`` or ``(N, C, H_out, W_out)``, with
          ``H_out = (H - pool) // stride + 1`` ("valid") or ``ceil(H / stride)`` ("same")

    Example::

        >>> from fastnn import keras
        >>> keras.layers.MaxPooling2D()(fastnn.ones(2, 8, 8, 3)).shape
        (2, 4, 4, 3)
        >>> keras.layers.MaxPooling2D(3, strides=2, padding="same")(fastnn.ones(2, 7, 7, 3)).shape
        (2, 4, 4, 3)
    """

    def _pad_same(self, x, pad):
        return F.pad(x, pad, value=-math.inf)  # padding never wins the max

    def _pool(self, x):
        return F.max_pool2d(x, self.pool_size, self.strides)


class AveragePooling2D(_Pooling2D):
    """The mean over each ``pool_size`` window of images, channels last by default.

    Args:
        pool_size (int or tuple): the window's height and width. Default: ``(2, 2)``.
        strides (int or tuple, optional): the step of the window. Default: ``pool_size``.
        padding (str): ``"valid"``, or ``"same"`` where it adds no padding (padded windows
            are not supported). Default: ``"valid"``.
        data_format (str, optional): ``"channels_last"`` or ``"channels_first"``.
            Default: channels last.
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, H, W, C)`` (channels last) or ``(N, C, H, W)``
        - Output: ``(N, (H - pool) // stride + 1, (W - pool) // stride + 1, C)`` or channels first

    Example::

        >>> from fastnn import keras
        >>> x = fastnn.arange(16.0).reshape(1, 4, 4, 1)
        >>> keras.layers.AveragePooling2D()(x).reshape(-1)
        tensor([ 2.5000,  4.5000, 10.5000, 12.5000])
    """

    def _pad_same(self, x, pad):
        raise NotImplementedError("AveragePooling2D: padding='same' with uneven padding is not supported")

    def _pool(self, x):
        return F.avg_pool2d(x, self.pool_size, self.strides)


class GlobalAveragePooling2D(Layer):
    """The mean over the height and width of images: one value per channel.

    Args:
        data_format (str, optional): ``"channels_last"`` or ``"channels_first"``.
            Default: channels last.
        keepdims (bool): keep the pooled axes with size 1. Default: False.
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, H, W, C)`` (channels last) or ``(N, C, H, W)``
        - Output: ``(N, C)`` (``(N, 1, 1, C)`` / ``(N, C, 1, 1)`` with ``keepdims``)

    Example::

        >>> from fastnn import keras
        >>> keras.layers.GlobalAveragePooling2D()(fastnn.ones(2, 8, 8, 3)).shape
        (2, 3)
    """

    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(activation=None, name=name, **kwargs)
        self.data_format = data_format or "channels_last"
        self.keepdims = keepdims
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        dims = (1, 2) if self.data_format == "channels_last" else (2, 3)
        return x.mean(dim=dims, keepdim=self.keepdims)


class MaxPooling1D(Layer):
    """The maximum over each ``pool_size`` window of sequences ``(batch, steps, channels)``.

    Args:
        pool_size (int): the window length. Default: 2.
        strides (int, optional): the step of the window. Default: ``pool_size``.
        padding (str): only ``"valid"`` is supported. Default: ``"valid"``.
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, L, C)``
        - Output: ``(N, (L - pool_size) // strides + 1, C)``

    Example::

        >>> from fastnn import keras
        >>> keras.layers.MaxPooling1D()(fastnn.ones(2, 10, 3)).shape
        (2, 5, 3)
    """

    def __init__(self, pool_size: int = 2, strides: int | None = None, padding: str = "valid",
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(activation=None, name=name, **kwargs)
        if padding != "valid":
            raise NotImplementedError("MaxPooling1D: only padding='valid' is supported")
        self.pool_size = int(pool_size)
        self.strides = int(strides) if strides is not None else self.pool_size
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        return F.max_pool1d(x.permute(0, 2, 1), self.pool_size, self.strides).permute(0, 2, 1)


class _Global(Layer):
    """A mean or max over every axis between the batch and the channels."""

    _op = "mean"

    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(activation=None, name=name, **kwargs)
        self.data_format = data_format or "channels_last"
        self.keepdims = keepdims
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        dims = tuple(range(1, x.ndim - 1)) if self.data_format == "channels_last" \
            else tuple(range(2, x.ndim))
        if self._op == "mean":
            return x.mean(dim=dims, keepdim=self.keepdims)
        for d in sorted(dims, reverse=True):
            x = x.max(dim=d, keepdim=self.keepdims)[0]
        return x


class GlobalAveragePooling1D(_Global):
    """The mean over the steps of sequences: one value per channel.

    Args:
        data_format (str, optional): ``"channels_last"`` (N, L, C) or ``"channels_first"``
            (N, C, L). Default: channels last.
        keepdims (bool): keep the steps axis with size 1. Default: False.
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, L, C)`` (channels last) or ``(N, C, L)``
        - Output: ``(N, C)``

    Example::

        >>> from fastnn import keras
        >>> keras.layers.GlobalAveragePooling1D()(fastnn.arange(6.0).reshape(1, 3, 2))
        tensor([[2., 3.]])
    """


class GlobalMaxPooling1D(_Global):
    """The maximum over the steps of sequences: one value per channel.

    Args:
        data_format (str, optional): ``"channels_last"`` (N, L, C) or ``"channels_first"``
            (N, C, L). Default: channels last.
        keepdims (bool): keep the steps axis with size 1. Default: False.
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, L, C)`` (channels last) or ``(N, C, L)``
        - Output: ``(N, C)``

    Example::

        >>> from fastnn import keras
        >>> keras.layers.GlobalMaxPooling1D()(fastnn.arange(6.0).reshape(1, 3, 2))
        tensor([[4., 5.]])
    """

    _op = "max"


class GlobalMaxPooling2D(_Global):
    """The maximum over the height and width of images: one value per channel.

    Args:
        data_format (str, optional): ``"channels_last"`` or ``"channels_first"``.
            Default: channels last.
        keepdims (bool): keep the pooled axes with size 1. Default: False.
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, H, W, C)`` (channels last) or ``(N, C, H, W)``
        - Output: ``(N, C)``

    Example::

        >>> from fastnn import keras
        >>> keras.layers.GlobalMaxPooling2D()(fastnn.arange(8.0).reshape(1, 2, 2, 2))
        tensor([[6., 7.]])
    """

    _op = "max"
