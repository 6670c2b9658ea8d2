"""Keras layers that wrap a function or another layer (re-exported by keras.layers):
Lambda, Bidirectional, TimeDistributed; and the arithmetic on symbolic tensors
(``x + y``, ``2 * x``, ``x[:, 0]`` in a functional model), recorded as Lambda nodes.

A Lambda holds Python code, so a model containing one cannot be saved with its
architecture (Keras needs safe_mode=False for that; fastnn never loads code).
"""
from __future__ import annotations

from .functional import KerasTensor
from .base_layer import Layer


class Lambda(Layer):
    """``Lambda(fn)``: a layer computing ``fn(inputs)`` (no weights)."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: function must be callable, got {type(function).__name__}")
        self.function = function
        self.arguments = dict(arguments or {})
        self.built = True

    def forward(self, inputs, **kwargs):
        return self.function(inputs, **self.arguments)


class Bidirectional(Layer):
    """Run a recurrent layer forwards and a copy of it over the reversed sequence, and
    merge the two ('concat', 'sum', 'mul', 'ave'); with return_sequences the backward
    outputs are reversed back so that step t of both halves lines up, as in Keras."""

    def __init__(self, layer, merge_mode="concat", backward_layer=None, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        if merge_mode not in ("concat", "sum", "mul", "ave"):
            raise ValueError(f"Bidirectional: merge_mode must be 'concat', 'sum', 'mul' or 'ave', "
                             f"got {merge_mode!r}")
        if getattr(layer, "return_state", False):
            raise NotImplementedError("Bidirectional: return_state is not supported")
        self.forward_layer = layer
        if backward_layer is None:
            config = dict(layer.get_config(), name=f"backward_{layer.name}")
            backward_layer = type(layer).from_config(config)
        self.backward_layer = backward_layer
        self.merge_mode = merge_mode
        self.built = True

    def call(self, x):
        fwd = self.forward_layer(x)
        bwd = self.backward_layer(x.flip(1))
        if getattr(self.forward_layer, "return_sequences", False):
            bwd = bwd.flip(1)
        if self.merge_mode == "concat":
            from .. import cat
            return cat([fwd, bwd], dim=-1)
        if self.merge_mode == "sum":
            return fwd + bwd
        if self.merge_mode == "mul":
            return fwd * bwd
        return (fwd + bwd) * 0.5

    def get_weights(self):
        return self.forward_layer.get_weights() + self.backward_layer.get_weights()

    def set_weights(self, weights):
        n = len(self.forward_layer.get_weights())
        self.forward_layer.set_weights(weights[:n])
        self.backward_layer.set_weights(weights[n:])

    def get_config(self):
        from .saving import _layer_spec
        return {"layer": _layer_spec(self.forward_layer), "merge_mode": self.merge_mode,
                "name": self.name}

    @classmethod
    def from_config(cls, config):
        from . import layers
        spec = config["layer"]
        inner = getattr(layers, spec["class_name"]).from_config(spec["config"])
        return cls(inner, merge_mode=config["merge_mode"], name=config["name"])


class TimeDistributed(Layer):
    """Apply ``layer`` to every time step: (batch, time, ...) -> (batch * time, ...) and back."""

    def __init__(self, layer, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        self.layer = layer
        self.built = True

    def call(self, x):
        n, t = x.shape[0], x.shape[1]
        y = self.layer(x.reshape((n * t,) + tuple(x.shape[2:])))
        return y.reshape((n, t) + tuple(y.shape[1:]))

    def get_weights(self):
        return self.layer.get_weights()

    def set_weights(self, weights):
        self.layer.set_weights(weights)

    def get_config(self):
        from .saving import _layer_spec
        return {"layer": _layer_spec(self.layer), "name": self.name}

    @classmethod
    def from_config(cls, config):
        from . import layers
        spec = config["layer"]
        return cls(getattr(layers, spec["class_name"]).from_config(spec["config"]), name=config["name"])


def _install_operators():
    """``x + y`` and friends on KerasTensors become Lambda nodes of the graph."""
    import operator
    for name, fn in (("__add__", operator.add), ("__sub__", operator.sub),
                     ("__mul__", operator.mul), ("__truediv__", operator.truediv),
                     ("__matmul__", operator.matmul), ("__pow__", operator.pow)):
        setattr(KerasTensor, name, _binary(fn))
        rname = "__r" + name[2:]
        setattr(KerasTensor, rname, _binary(lambda a, b, fn=fn: fn(b, a)))
    KerasTensor.__neg__ = lambda self: Lambda(operator.neg)(self)
    KerasTensor.__getitem__ = lambda self, key: Lambda(lambda t: t[key])(self)


def _binary(fn):
    def method(self, other):
        if isinstance(other, KerasTensor):
            return Lambda(lambda pair: fn(pair[0], pair[1]))([self, other])
        return Lambda(lambda t: fn(t, other))(self)
    return method


_install_operators()

__all__ = ["Lambda", "Bidirectional", "TimeDistributed"]
