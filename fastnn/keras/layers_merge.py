"""Keras's merge layers: Concatenate, Add, Subtract, Multiply, Average (a list of tensors in,
one out)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base_layer import Layer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._tensor import Tensor


class _Merge(Layer):
    """A layer combining a list of same-shaped tensors."""

    def __init__(self, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(activation=None, name=name, **kwargs)
        self.built = True

    # a list of tensors in, and no call-time options, unlike Layer.forward(x, **kwargs)
    def forward(self, inputs: Sequence[Tensor]) -> Tensor:  # type: ignore[override]
        """Check that ``inputs`` is a list of at least two tensors, then combine them."""
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"{type(self).__name__}: expected a list of at least 2 tensors")
        return self.call(list(inputs))


class Concatenate(_Merge):
    """Join a list of tensors along ``axis`` (all other sizes equal).

    Args:
        axis (int): the axis to join on. Default: -1.
        name (str, optional): the layer's name.

    Shape:
        - Input: a list of tensors, equal but for ``axis``
        - Output: the sizes along ``axis`` summed

    Example::

        >>> from fastnn import keras
        >>> keras.layers.Concatenate()([fastnn.ones(2, 3), fastnn.zeros(2, 2)]).shape
        (2, 5)
    """

    def __init__(self, axis: int = -1, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.axis = axis

    def call(self, inputs: Sequence[Tensor]) -> Tensor:
        from .. import cat
        return cat(inputs, dim=self.axis)


class Add(_Merge):
    """The elementwise sum of a list of tensors of one shape.

    Args:
        name (str, optional): the layer's name.

    Shape:
        - Input: a list of tensors of one shape (broadcasting allowed)
        - Output: that shape

    Example::

        >>> from fastnn import keras
        >>> keras.layers.Add()([fastnn.ones(1, 2), fastnn.ones(1, 2)])
        tensor([[2., 2.]])
    """

    def call(self, inputs: Sequence[Tensor]) -> Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(_Merge):
    """The difference ``inputs[0] - inputs[1]`` of exactly two tensors.

    Args:
        name (str, optional): the layer's name.

    Shape:
        - Input: a list of two tensors of one shape
        - Output: that shape

    Example::

        >>> from fastnn import keras
        >>> keras.layers.Subtract()([fastnn.full((1, 2), 3.0), fastnn.ones(1, 2)])
        tensor([[2., 2.]])
    """

    def call(self, inputs: Sequence[Tensor]) -> Tensor:
        if len(inputs) != 2:
            raise ValueError("Subtract: expected exactly 2 tensors")
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """The elementwise product of a list of tensors of one shape.

    Args:
        name (str, optional): the layer's name.

    Shape:
        - Input: a list of tensors of one shape
        - Output: that shape

    Example::

        >>> from fastnn import keras
        >>> keras.layers.Multiply()([fastnn.full((1, 2), 2.0), fastnn.full((1, 2), 3.0)])
        tensor([[6., 6.]])
    """

    def call(self, inputs: Sequence[Tensor]) -> Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Average(_Merge):
    """The elementwise mean of a list of tensors of one shape.

    Args:
        name (str, optional): the layer's name.

    Shape:
        - Input: a list of tensors of one shape
        - Output: that shape

    Example::

        >>> from fastnn import keras
        >>> keras.layers.Average()([fastnn.ones(1, 2), fastnn.zeros(1, 2)])
        tensor([[0.5000, 0.5000]])
    """

    def call(self, inputs: Sequence[Tensor]) -> Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out * (1.0 / len(inputs))
