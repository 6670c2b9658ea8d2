"""Keras's merge layers: Concatenate, Add, Subtract, Multiply, Average (a list of tensors in,
one out)."""
from __future__ import annotations

from .base_layer import Layer


class _Merge(Layer):
    """A layer combining a list of same-shaped tensors."""

    def __init__(self, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        self.built = True

    def forward(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"{type(self).__name__}: expected a list of at least 2 tensors")
        return self.call(list(inputs))


class Concatenate(_Merge):
    def __init__(self, axis=-1, name=None, **kwargs):
        super().__init__(name, **kwargs)
        self.axis = axis

    def call(self, inputs):
        from .. import cat
        return cat(inputs, dim=self.axis)


class Add(_Merge):
    def call(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(_Merge):
    def call(self, inputs):
        if len(inputs) != 2:
            raise ValueError("Subtract: expected exactly 2 tensors")
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    def call(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Average(_Merge):
    def call(self, inputs):
        return Add.call(self, inputs) * (1.0 / len(inputs))
