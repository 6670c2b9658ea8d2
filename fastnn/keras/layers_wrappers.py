"""Keras layers that wrap a function or another layer (re-exported by keras.layers):
Lambda, Bidirectional, TimeDistributed; and the arithmetic on symbolic tensors
(``x + y``, ``2 * x``, ``x[:, 0]`` in a functional model), recorded as Lambda nodes.

A Lambda holds Python code, so a model containing one cannot be saved with its
architecture (Keras needs safe_mode=False for that; fastnn never loads code).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from .base_layer import Layer
from .functional import KerasTensor

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from .._tensor import Tensor


class Lambda(Layer):
    """A layer computing ``function(inputs, **arguments)``, without weights.

    A model holding a Lambda cannot be saved with its architecture (fastnn never
    loads code); save its weights instead.

    Args:
        function (callable): the computation, on a Tensor (or the list of Tensors the
            layer is called on).
        output_shape, mask: accepted for Keras compatibility (the output shape is found
            by running the function).
        arguments (dict, optional): extra keyword arguments for ``function``.
        name (str, optional): the layer's name.

    Shape:
        - Input: whatever ``function`` takes
        - Output: whatever it returns

    Example::

        >>> from fastnn import keras
        >>> keras.layers.Lambda(lambda t: t * 2)(fastnn.ones(1, 2))
        tensor([[2., 2.]])
        >>> x = keras.Input(shape=(3,))
        >>> (x * 2 + 1).shape  # arithmetic on symbolic tensors makes Lambda layers
        (None, 3)
    """

    def __init__(self, function: Callable[..., Any], output_shape: Any = None, mask: Any = None,
                 arguments: dict[str, Any] | None = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(activation=None, name=name, **kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: function must be callable, got {type(function).__name__}")
        self.function = function
        self.arguments = dict(arguments or {})
        self.built = True

    # named ``inputs`` as in Keras's Lambda (Layer.forward calls it x)
    def forward(self, inputs: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """``function(inputs, **arguments)`` (call-time options such as ``training`` are dropped)."""
        return self.function(inputs, **self.arguments)


class Bidirectional(Layer):
    """Run a recurrent layer forwards and a copy of it over the reversed sequence, and merge
    the two outputs.

    With ``return_sequences`` the backward outputs are reversed back so that step t of
    both halves lines up, as in Keras. ``get_weights`` lists the forward layer's weights,
    then the backward one's.

    Args:
        layer (LSTM, GRU or SimpleRNN): the forward layer; a fresh copy of its
            configuration reads the sequence backwards.
        merge_mode (str): ``"concat"`` (on the last axis), ``"sum"``, ``"mul"`` or
            ``"ave"``. Default: ``"concat"``.
        backward_layer (Layer, optional): the backward layer to use instead of the copy.
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, T, F)``
        - Output: the wrapped layer's output, with ``2 * units`` features for ``"concat"``

    Example::

        >>> from fastnn import keras
        >>> layer = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))
        >>> layer(fastnn.ones(2, 5, 3)).shape
        (2, 5, 8)
    """

    def __init__(self, layer: Layer, merge_mode: str = "concat", backward_layer: Layer | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
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

    def call(self, x: Tensor) -> Tensor:
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

    def get_weights(self) -> list[np.ndarray]:
        return self.forward_layer.get_weights() + self.backward_layer.get_weights()

    def set_weights(self, weights: Sequence[Any]) -> None:
        n = len(self.forward_layer.get_weights())
        self.forward_layer.set_weights(weights[:n])
        self.backward_layer.set_weights(weights[n:])

    def get_config(self) -> dict[str, Any]:
        from .saving import _layer_spec
        return {"layer": _layer_spec(self.forward_layer), "merge_mode": self.merge_mode,
                "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Bidirectional:
        from . import layers
        spec = config["layer"]
        inner = getattr(layers, spec["class_name"]).from_config(spec["config"])
        return cls(inner, merge_mode=config["merge_mode"], name=config["name"])


class TimeDistributed(Layer):
    """Apply ``layer`` to every time step of a sequence, with the same weights.

    The steps are folded into the batch, ``(N, T, ...) -> (N * T, ...)``, run through the
    layer, and unfolded.

    Args:
        layer (Layer or Module): the layer applied at each step.
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, T, *)``
        - Output: ``(N, T, *out)``, where the layer maps ``(M, *)`` to ``(M, *out)``

    Example::

        >>> from fastnn import keras
        >>> keras.layers.TimeDistributed(keras.layers.Dense(2))(fastnn.ones(2, 5, 3)).shape
        (2, 5, 2)
    """

    def __init__(self, layer: Layer, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(activation=None, name=name, **kwargs)
        self.layer = layer
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        n, t = x.shape[0], x.shape[1]
        y = self.layer(x.reshape((n * t,) + tuple(x.shape[2:])))
        return y.reshape((n, t) + tuple(y.shape[1:]))

    def get_weights(self) -> list[np.ndarray]:
        return self.layer.get_weights()

    def set_weights(self, weights: Sequence[Any]) -> None:
        self.layer.set_weights(weights)

    def get_config(self) -> dict[str, Any]:
        from .saving import _layer_spec
        return {"layer": _layer_spec(self.layer), "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TimeDistributed:
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
