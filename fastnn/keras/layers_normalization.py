"""Keras's normalisation layers: BatchNormalization (momentum 0.99, epsilon 1e-3, the
biased batch variance in its moving average, as Keras) and LayerNormalization."""
from __future__ import annotations

import numpy as np

from ..nn import Parameter
from ..nn import functional as F
from .base_layer import Layer, _tensor


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
