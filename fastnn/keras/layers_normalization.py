"""Keras's normalisation layers: BatchNormalization (momentum 0.99, epsilon 1e-3, the
biased batch variance in its moving average, as Keras) and LayerNormalization."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..nn import Parameter
from ..nn import functional as F
from .base_layer import Layer, _tensor

if TYPE_CHECKING:
    from .._tensor import Tensor


def _channel_axis(x: Tensor, axis: int) -> int:
    return axis % x.ndim


class BatchNormalization(Layer):
    """Normalise each feature of ``axis`` over all the other axes:
    ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    In training (fit) the batch's mean and biased variance are used and folded into
    the moving averages, ``moving = momentum * moving + (1 - momentum) * batch``; in
    inference (evaluate, predict) the moving averages are used. Keras's conventions,
    which differ from ``nn.BatchNorm2d``'s (momentum 0.1 the other way round, eps 1e-5,
    unbiased running variance).

    Args:
        axis (int): the feature axis. Default: -1 (channels last).
        momentum (float): the weight of the old moving average. Default: 0.99.
        epsilon (float): added to the variance. Default: 1e-3.
        center (bool): learn the offset ``beta``. Default: True.
        scale (bool): learn the scale ``gamma``. Default: True.
        name (str, optional): the layer's name.

    Shape:
        - Input: any shape, ``C`` features along ``axis``
        - Output: the same shape

    Attributes:
        gamma (Parameter): ``(C,)``, ones at first (None without ``scale``).
        beta (Parameter): ``(C,)``, zeros at first (None without ``center``).
        moving_mean, moving_variance (Tensor): ``(C,)`` buffers, zeros and ones at first.

    Example::

        >>> from fastnn import keras
        >>> layer = keras.layers.BatchNormalization()
        >>> y = layer.train()(fastnn.tensor([[0.0, 10.0], [2.0, 30.0]]))
        >>> y.detach().numpy().round(4)
        array([[-0.9995, -1.    ],
               [ 0.9995,  1.    ]], dtype=float32)
        >>> layer.moving_mean, layer.moving_variance
        (tensor([0.0100, 0.2000]), tensor([1.0000, 1.9900]))
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(activation=None, name=name, **kwargs)
        self.axis, self.momentum, self.epsilon = axis, momentum, epsilon
        self.center, self.scale = center, scale

    def build(self, input_shape: tuple[Any, ...]) -> None:
        c = int(input_shape[self.axis])
        self.gamma = Parameter(np.ones(c, np.float32)) if self.scale else None
        self.beta = Parameter(np.zeros(c, np.float32)) if self.center else None
        self.register_buffer("moving_mean", _tensor(np.zeros(c, np.float32)))
        self.register_buffer("moving_variance", _tensor(np.ones(c, np.float32)))
        self.built = True

    def call(self, x: Tensor, training: bool | None = None) -> Tensor:
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


class LayerNormalization(Layer):
    """Normalise each sample over its last axis: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    Args:
        axis (int): the axis normalised; only -1 is supported. Default: -1.
        epsilon (float): added to the variance. Default: 1e-3 (Keras's).
        center (bool): learn the offset ``beta``. Default: True.
        scale (bool): learn the scale ``gamma``. Default: True.
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, *, C)``
        - Output: the same shape

    Attributes:
        gamma (Parameter): ``(C,)``, ones at first (None without ``scale``).
        beta (Parameter): ``(C,)``, zeros at first (None without ``center``).

    Example::

        >>> from fastnn import keras
        >>> keras.layers.LayerNormalization()(fastnn.tensor([[1.0, 2.0, 3.0]]))
        tensor([[-1.2238,  0.0000,  1.2238]], grad_fn=<LayerNormBackward0>)
    """

    def __init__(self, axis: int = -1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(activation=None, name=name, **kwargs)
        if axis != -1:
            raise NotImplementedError("LayerNormalization: only axis=-1 is supported")
        self.axis, self.epsilon, self.center, self.scale = axis, epsilon, center, scale

    def build(self, input_shape: tuple[Any, ...]) -> None:
        c = int(input_shape[-1])
        self.gamma = Parameter(np.ones(c, np.float32)) if self.scale else None
        self.beta = Parameter(np.zeros(c, np.float32)) if self.center else None
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, (x.shape[-1],), self.gamma, self.beta, eps=self.epsilon)
