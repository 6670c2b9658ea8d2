"""The Keras functional API: ``keras.Input`` makes a symbolic tensor, calling a layer
on symbolic tensors records a node of a graph, and ``keras.Model(inputs, outputs)``
(model.py) runs that graph as a Module.

A symbolic call also runs the layer once on a small batch of zeros (in eval mode,
without gradients): that builds lazily-sized layers and gives the output shape,
so shapes are never worked out by hand per layer type.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..nn import Module
from .metrics import unique_name

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import DTypeLike

    from .._tensor import Tensor

__all__ = ["KerasTensor", "Input", "InputLayer", "is_symbolic", "symbolic_call", "graph_nodes"]

_PROBE_BATCH = 2  # > 1 so batch statistics stay defined


class KerasTensor:
    """A placeholder for a batch of data in a functional model.

    ``keras.Input`` makes one; calling a layer on KerasTensors returns new ones.
    ``_node`` is the call that produced it (None for an Input) and ``_index`` its
    position among that call's outputs.

    Args:
        shape (tuple): the shape, batch axis included (``None`` where the size is free).
        dtype (str or numpy dtype): the element type. Default: ``"float32"``.
        name (str, optional): the input's name. Default: None.

    Attributes:
        shape (tuple): as given; ``ndim`` is its length.
        dtype (str): the NumPy dtype name.

    Example::

        >>> from fastnn import keras
        >>> x = keras.Input(shape=(28, 28, 1))
        >>> x.shape, x.ndim, x.dtype
        ((None, 28, 28, 1), 4, 'float32')
        >>> keras.layers.Flatten()(x).shape
        (None, 784)
    """

    _input_layer: InputLayer  # set on an Input's tensor only: the layer that made it

    def __init__(self, shape: Sequence[int | None], dtype: DTypeLike = "float32",
                 name: str | None = None, node: Node | None = None, index: int = 0) -> None:
        self.shape = tuple(shape)
        self.dtype = str(np.dtype(dtype))
        self.name = name
        self._node = node
        self._index = index

    @property
    def ndim(self) -> int:
        """The number of axes, batch axis included."""
        return len(self.shape)

    def _probe(self):
        shape = tuple(_PROBE_BATCH if d is None else d for d in self.shape)
        from .._tensor import Tensor
        return Tensor._wrap(np.zeros(shape, dtype=self.dtype))

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class InputLayer(Module):
    """The layer Keras lists for each model input (no weights; forward is the identity).

    ``keras.Input(...)`` is ``InputLayer(...).output``; ``model.layers`` starts with one
    InputLayer per input.

    Args:
        shape (tuple of int): the shape of one sample (no batch axis).
        batch_size (int, optional): a fixed batch size. Default: None (any).
        dtype (str, optional): the element type. Default: ``"float32"``.
        name (str, optional): the layer's name. Default: ``input_layer``, ``input_layer_1`` ...
        input_shape (tuple, optional): the Keras 2 spelling of ``shape``.

    Example::

        >>> from fastnn import keras
        >>> layer = keras.InputLayer(shape=(3,))
        >>> layer.output.shape
        (None, 3)
        >>> layer(fastnn.ones(2, 3)).shape
        (2, 3)
    """

    def __init__(self, shape: Sequence[int | None] | None = None, batch_size: int | None = None,
                 dtype: DTypeLike | None = None, name: str | None = None,
                 input_shape: Sequence[int] | None = None) -> None:
        super().__init__()
        shape = input_shape if shape is None else shape
        if shape is None:
            raise ValueError("InputLayer: give shape=, e.g. shape=(28, 28, 1)")
        self.name = name or unique_name("input_layer")
        self.batch_size = batch_size
        self.output = KerasTensor((batch_size,) + tuple(int(d) if d is not None else None
                                                        for d in shape),
                                  dtype or "float32", self.name)
        self.output._input_layer = self

    def forward(self, x: Tensor) -> Tensor:
        """The input, unchanged."""
        return x

    def get_weights(self) -> list[np.ndarray]:
        """An empty list: an InputLayer has no weights."""
        return []

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Accept only an empty list (an InputLayer has no weights)."""
        if len(weights):
            raise ValueError(f"{self.name}: an InputLayer has no weights")

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (used by ``Model.save``)."""
        return {"shape": list(self.output.shape[1:]), "batch_size": self.batch_size,
                "dtype": self.output.dtype, "name": self.name}


def Input(shape: int | Sequence[int | None] | None = None, batch_size: int | None = None,
          dtype: DTypeLike | None = None, name: str | None = None,
          batch_shape: Sequence[int | None] | None = None, **kwargs: Any) -> KerasTensor:
    """The symbolic input of a functional model (or the first entry of a Sequential).

    Args:
        shape (int or tuple of int): the shape of one sample, without the batch axis.
        batch_size (int, optional): a fixed batch size. Default: None (any).
        dtype (str, optional): the element type, e.g. ``"int64"`` for token ids.
            Default: ``"float32"``.
        name (str, optional): the input's name (the key of a dict of inputs). Default:
            ``input_layer``, ``input_layer_1`` ...
        batch_shape (tuple, optional): ``(batch_size,) + shape`` in one tuple.
        **kwargs: Keras's ``sparse``, ``ragged``, ``tensor`` and ``optional``; sparse and
            ragged inputs are not supported.

    Returns:
        KerasTensor: the placeholder to call layers on.

    Example::

        >>> from fastnn import keras
        >>> inputs = keras.Input(shape=(784,))
        >>> outputs = keras.layers.Dense(10)(inputs)
        >>> model = keras.Model(inputs, outputs)
        >>> outputs.shape, model(fastnn.ones(2, 784)).shape
        ((None, 10), (2, 10))
    """
    unknown = set(kwargs) - {"sparse", "ragged", "tensor", "optional"}
    if unknown:
        raise TypeError(f"Input: unexpected arguments {sorted(unknown)}")
    if kwargs.get("sparse") or kwargs.get("ragged"):
        raise NotImplementedError("Input: sparse and ragged inputs are not supported")
    if batch_shape is not None:
        batch_size, shape = batch_shape[0], tuple(batch_shape[1:])
    if shape is None:
        raise ValueError("Input: give shape=, e.g. keras.Input(shape=(784,))")
    if isinstance(shape, int):
        shape = (shape,)
    if any(d is not None and (not isinstance(d, (int, np.integer)) or d < 0) for d in shape):
        raise ValueError(f"Input: shape must hold non-negative ints or None, got {shape!r}")
    if any(d is None for d in shape):
        raise NotImplementedError(f"Input: unknown sizes other than the batch are not supported "
                                  f"(got shape={shape!r})")
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name).output


class Node:
    """One call of ``layer`` on symbolic ``args`` (any nesting of lists/tuples)."""

    def __init__(self, layer: Module, args: list[Any], kwargs: dict[str, Any]) -> None:
        self.layer, self.args, self.kwargs = layer, args, kwargs
        self.outputs: list[KerasTensor] = []

    def inputs(self) -> list[KerasTensor]:
        """The symbolic tensors among the call's arguments."""
        return [t for t in _flatten(self.args) if isinstance(t, KerasTensor)]


def _flatten(obj):
    if isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _flatten(o)
    else:
        yield obj


def _map(obj, fn):
    if isinstance(obj, list):
        return [_map(o, fn) for o in obj]
    if isinstance(obj, tuple):
        return tuple(_map(o, fn) for o in obj)
    return fn(obj)


def is_symbolic(args: Sequence[Any]) -> bool:
    """Whether any of ``args`` (nested lists / tuples included) is a KerasTensor."""
    return any(isinstance(a, KerasTensor) for a in _flatten(list(args)))


def symbolic_call(layer: Module, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """Record ``layer(*args)`` on symbolic tensors; returns the symbolic output(s)."""
    from ..autograd.grad_mode import no_grad
    from .._tensor import Tensor
    probe = _map(list(args), lambda a: a._probe() if isinstance(a, KerasTensor) else a)
    was_training = layer.training
    layer.eval()
    try:
        with no_grad():
            out = Module.__call__(layer, *probe, **kwargs)
    finally:
        layer.train(was_training)
    node = Node(layer, list(args), dict(kwargs))
    flat = list(_flatten(out))
    if not all(isinstance(o, Tensor) for o in flat):
        raise TypeError(f"{type(layer).__name__}: a layer in a functional model must return "
                        "tensors")
    counter = iter(range(len(flat)))

    def make(o):
        i = next(counter)
        t = KerasTensor((None,) + tuple(o.shape[1:]), o._data.dtype,
                        f"{getattr(layer, 'name', type(layer).__name__)}"
                        + (f"_{i}" if len(flat) > 1 else ""), node, i)
        node.outputs.append(t)
        return t
    return _map(out, make)


def graph_nodes(inputs: Sequence[KerasTensor], outputs: Sequence[KerasTensor]) -> list[Node]:
    """The nodes between ``inputs`` and ``outputs`` in an order that runs them
    (each after the nodes it reads from). Raises ValueError for a disconnected graph."""
    input_ids = {id(t) for t in inputs}
    order, seen, active = [], set(), set()

    def visit(t):
        if id(t) in input_ids:
            return
        node = t._node
        if node is None:
            raise ValueError(f"Graph disconnected: cannot obtain value for tensor {t.name!r}; it is "
                             "a keras.Input that is not among the model's inputs")
        if id(node) in seen:
            return
        if id(node) in active:
            raise ValueError("the layer graph has a cycle")
        active.add(id(node))
        for i in node.inputs():
            visit(i)
        active.discard(id(node))
        seen.add(id(node))
        order.append(node)

    for t in outputs:
        if not isinstance(t, KerasTensor):
            raise TypeError(f"Model: outputs must be symbolic tensors (results of layers called "
                            f"on keras.Input), got {type(t).__name__}")
        visit(t)
    return order


def run_graph(inputs: Sequence[KerasTensor], outputs: Sequence[KerasTensor], nodes: Sequence[Node],
              values: Sequence[Any], logits_last: bool = False) -> list[Any]:
    """Evaluate ``nodes`` given ``values`` for ``inputs``; returns the output tensors.

    With ``logits_last`` the node producing the (single) output runs its
    ``forward_logits`` (the value before its activation)."""
    env = {id(t): v for t, v in zip(inputs, values)}
    last = outputs[0]._node if logits_last else None
    for node in nodes:
        args = _map(node.args, lambda a: env[id(a)] if isinstance(a, KerasTensor) else a)
        if node is last:
            out = node.layer.forward_logits(*args, **node.kwargs)
        else:
            out = node.layer(*args, **node.kwargs)
        for t, o in zip(node.outputs, _flatten(out)):
            env[id(t)] = o
    return [env[id(t)] for t in outputs]
