"""Keras activation layers (ReLU with max_value/negative_slope/threshold, LeakyReLU,
ELU, Softmax), with Keras 3's arguments and defaults, built from fastnn tensor ops."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import fastnn.nn.functional as F

from .base_layer import Layer

if TYPE_CHECKING:
    from .._tensor import Tensor


class ReLU(Layer):
    """Keras's rectified linear unit: ``max_value`` if ``x >= max_value``; ``x`` if
    ``threshold <= x < max_value``; ``negative_slope * (x - threshold)`` otherwise.

    Args:
        max_value (float, optional): the ceiling, >= 0. Default: None (none).
        negative_slope (float): the slope below the threshold, >= 0. Default: 0.
        threshold (float): where the unit starts to pass ``x``. Default: 0.
        name (str, optional): the layer's name.

    Shape:
        - Input: any shape
        - Output: the same shape

    Example::

        >>> from fastnn import keras
        >>> keras.layers.ReLU(max_value=1.0)(fastnn.tensor([[-2.0, 0.5, 3.0]]))
        tensor([[0.0000, 0.5000, 1.0000]])
    """

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0,
                 threshold: float = 0.0, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(None, None, name, **kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"ReLU: max_value must be >= 0 or None, got {max_value}")
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"ReLU: negative_slope must be >= 0, got {negative_slope}")
        if threshold is None:
            raise ValueError("ReLU: threshold must be a number, got None")
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        if self.negative_slope == 0 and self.threshold == 0:
            y = F.relu(x)
        else:
            shifted = x - self.threshold
            y = (x >= self.threshold) * x + (x < self.threshold) * (self.negative_slope * shifted)
        if self.max_value is not None:
            y = y.clamp(max=float(self.max_value))
        return y


class LeakyReLU(Layer):
    """``x`` where ``x >= 0``, ``negative_slope * x`` elsewhere.

    Args:
        negative_slope (float): the slope for negative inputs, >= 0. Default: 0.3 (Keras's).
        name (str, optional): the layer's name.

    Shape:
        - Input: any shape
        - Output: the same shape

    Example::

        >>> from fastnn import keras
        >>> keras.layers.LeakyReLU(0.1)(fastnn.tensor([[-2.0, 0.5]]))
        tensor([[-0.2000,  0.5000]])
    """

    def __init__(self, negative_slope: float = 0.3, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(None, None, name, **kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"LeakyReLU: negative_slope must be >= 0, got {negative_slope}")
        self.negative_slope = negative_slope
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)


class ELU(Layer):
    """The exponential linear unit: ``x`` where ``x > 0``, ``alpha * (exp(x) - 1)`` elsewhere.

    Args:
        alpha (float): the scale of the negative part. Default: 1.
        name (str, optional): the layer's name.

    Shape:
        - Input: any shape
        - Output: the same shape

    Example::

        >>> from fastnn import keras
        >>> keras.layers.ELU()(fastnn.tensor([[-2.0, 0.5]]))
        tensor([[-0.8647,  0.5000]])
    """

    def __init__(self, alpha: float = 1.0, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(None, None, name, **kwargs)
        self.alpha = alpha
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        return F.elu(x, self.alpha)


class Softmax(Layer):
    """The softmax along ``axis``: ``exp(x) / sum(exp(x))``, optionally masked.

    Args:
        axis (int): the axis normalised. Default: -1.
        name (str, optional): the layer's name.

    Call arguments:
        mask (Tensor, optional): 1 where a position takes part, 0 where it gets no
            probability (as Keras: -1e9 added before the softmax).

    Shape:
        - Input: any shape
        - Output: the same shape

    Example::

        >>> from fastnn import keras
        >>> keras.layers.Softmax()(fastnn.tensor([[0.0, 0.0]]))
        tensor([[0.5000, 0.5000]])
        >>> keras.layers.Softmax()(fastnn.tensor([[0.0, 0.0]]), mask=fastnn.tensor([[1.0, 0.0]]))
        tensor([[1., 0.]])
    """

    def __init__(self, axis: int = -1, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(None, None, name, **kwargs)
        self.axis = axis
        self.built = True

    def call(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        if mask is not None:  # masked positions get no probability, as Keras
            x = x + (1.0 - mask.to(x.dtype)) * -1e9
        return F.softmax(x, dim=self.axis)


__all__ = ["ReLU", "LeakyReLU", "ELU", "Softmax"]
