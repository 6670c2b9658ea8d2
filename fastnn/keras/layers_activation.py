"""Keras activation layers (ReLU with max_value/negative_slope/threshold, LeakyReLU,
ELU, Softmax), with Keras 3's arguments and defaults, built from fastnn tensor ops."""
from __future__ import annotations

import fastnn.nn.functional as F

from .base_layer import Layer


class ReLU(Layer):
    """max_value if x >= max_value; x if threshold <= x < max_value;
    negative_slope * (x - threshold) otherwise (Keras's definition)."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, name=None, **kwargs):
        super().__init__(None, None, name, **kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"ReLU: max_value must be >= 0 or None, got {max_value}")
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"ReLU: negative_slope must be >= 0, got {negative_slope}")
        if threshold is None:
            raise ValueError("ReLU: threshold must be a number, got None")
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold
        self.built = True

    def call(self, x):
        if self.negative_slope == 0 and self.threshold == 0:
            y = F.relu(x)
        else:
            shifted = x - self.threshold
            y = (x >= self.threshold) * x + (x < self.threshold) * (self.negative_slope * shifted)
        if self.max_value is not None:
            y = y.clamp(max=float(self.max_value))
        return y


class LeakyReLU(Layer):
    def __init__(self, negative_slope=0.3, name=None, **kwargs):
        super().__init__(None, None, name, **kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"LeakyReLU: negative_slope must be >= 0, got {negative_slope}")
        self.negative_slope = negative_slope
        self.built = True

    def call(self, x):
        return F.leaky_relu(x, self.negative_slope)


class ELU(Layer):
    def __init__(self, alpha=1.0, name=None, **kwargs):
        super().__init__(None, None, name, **kwargs)
        self.alpha = alpha
        self.built = True

    def call(self, x):
        return F.elu(x, self.alpha)


class Softmax(Layer):
    def __init__(self, axis=-1, name=None, **kwargs):
        super().__init__(None, None, name, **kwargs)
        self.axis = axis
        self.built = True

    def call(self, x, mask=None):
        if mask is not None:  # masked positions get no probability, as Keras
            x = x + (1.0 - mask.to(x.dtype)) * -1e9
        return F.softmax(x, dim=self.axis)


__all__ = ["ReLU", "LeakyReLU", "ELU", "Softmax"]
