"""keras.Model in its three forms:

- functional: ``Model(inputs, outputs)`` over layers called on ``keras.Input``s;
- subclassed: ``class Net(keras.Model)`` defining ``call(self, inputs, training=None)``;
- a wrapper around any fastnn Module: ``Model(net)`` (training.ModuleWrapper).

All three get compile / fit / evaluate / predict from training.TrainingMixin.
"""
from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Callable

from ..nn import Module
from .functional import KerasTensor, graph_nodes, run_graph
from .metrics import unique_name
from .training import ModuleWrapper, TrainingMixin

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from .._tensor import Tensor

__all__ = ["Model"]


class Model(Module, TrainingMixin):
    """A Keras model: layers with ``compile`` / ``fit`` / ``evaluate`` / ``predict`` / ``save``.

    Three forms, as in Keras:

    - functional: ``Model(inputs, outputs)`` over layers called on ``keras.Input`` tensors
      (several inputs or outputs as lists, inputs also as a dict by name);
    - subclassed: ``class Net(keras.Model)`` making its layers in ``__init__`` and
      defining ``call(self, inputs, training=None)``;
    - ``Model(net)`` around any fastnn Module (a PyTorch-style network) gives that
      module the training methods (a ``training.ModuleWrapper``).

    A Model is a fastnn Module: ``parameters()``, ``state_dict()``, ``train()`` /
    ``eval()`` work as in PyTorch.

    Args:
        inputs (KerasTensor, list or dict): the model's ``keras.Input`` tensor(s).
        outputs (KerasTensor or list): the tensor(s) computed from them.
        name (str, optional): the model's name. Default: ``functional``,
            ``functional_1`` ... (a subclass: its name in snake case).
        **kwargs: Keras's ``trainable`` and ``dtype`` (accepted, no effect).

    Example::

        >>> from fastnn import keras
        >>> inputs = keras.Input(shape=(8,))
        >>> hidden = keras.layers.Dense(16, activation="relu")(inputs)
        >>> outputs = keras.layers.Dense(3, activation="softmax")(hidden)
        >>> model = keras.Model(inputs, outputs)
        >>> [type(layer).__name__ for layer in model.layers]
        ['InputLayer', 'Dense', 'Dense']
        >>> model.predict(np.zeros((4, 8), dtype="float32")).shape
        (4, 3)

        A subclassed model:

        >>> class TwoLayer(keras.Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = keras.layers.Dense(16, activation="relu")
        ...         self.out = keras.layers.Dense(1)
        ...     def call(self, x):
        ...         return self.out(self.hidden(x))
        >>> TwoLayer()(fastnn.ones(2, 8)).shape
        (2, 1)

        Any fastnn Module:

        >>> net = keras.Model(nn.Linear(8, 2))
        >>> _ = net.compile(optimizer="sgd", loss="mse")
        >>> net.predict(np.ones((5, 8), dtype="float32")).shape
        (5, 2)
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is Model and len(args) == 1 and not kwargs and isinstance(args[0], Module):
            return ModuleWrapper(args[0])  # Model(net): the wrapper, not a graph
        return super().__new__(cls)

    def __init__(self, inputs: KerasTensor | Sequence[KerasTensor] | dict[str, KerasTensor] | None = None,
                 outputs: KerasTensor | Sequence[KerasTensor] | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        unknown = set(kwargs) - {"trainable", "dtype"}
        if unknown:
            raise TypeError(f"Model: unexpected arguments {sorted(unknown)}")
        super().__init__()
        self.name = name or unique_name("functional" if inputs is not None else
                                        self._default_name())
        # (inputs, outputs, nodes) of a functional model, None for a subclassed one
        self._graph: Any = None
        if inputs is None and outputs is None:
            return
        if outputs is None and not isinstance(inputs, (KerasTensor, list, tuple, dict)):
            raise TypeError(f"Model: expected a fastnn Module to wrap, or inputs and outputs "
                            f"(functional API); got {type(inputs).__name__}")
        if inputs is None or outputs is None:
            raise ValueError("Model: give both inputs and outputs (functional API), or neither "
                             "(a subclass defining call())")
        self._single_input = isinstance(inputs, KerasTensor)
        self._single_output = isinstance(outputs, KerasTensor)
        ins = [inputs] if isinstance(inputs, KerasTensor) else list(
            inputs.values() if isinstance(inputs, dict) else inputs)
        outs = [outputs] if isinstance(outputs, KerasTensor) else list(outputs)
        for t in ins:
            if not isinstance(t, KerasTensor) or t._node is not None:
                raise TypeError("Model: inputs must be keras.Input(...) tensors, got "
                                f"{t!r}")
        nodes = graph_nodes(ins, outs)
        layers: list[Module] = []
        names: set[str] = set()
        for node in nodes:
            if any(node.layer is l for l in layers):
                continue  # a shared layer is registered once
            lname = getattr(node.layer, "name", None) or unique_name(type(node.layer).__name__.lower())
            if lname in names:
                raise ValueError(f"All layer names should be unique; {lname!r} appears twice")
            names.add(lname)
            layers.append(node.layer)
            self.add_module(lname, node.layer)
        self.__dict__["_graph"] = (ins, outs, nodes)

    def _default_name(self):
        return _snake(type(self).__name__)

    # --- running ---------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Tensor | list[Tensor]:
        """Run the graph (functional) or ``call`` (subclassed) on the inputs."""
        if self._graph is None:
            call = type(self).__dict__.get("call") or getattr(type(self), "call", None)
            if call is None or call is Model.call:
                raise NotImplementedError(f"{type(self).__name__}: a subclass of keras.Model must "
                                          "define call(self, inputs)")
            if "training" in inspect.signature(call).parameters and "training" not in kwargs:
                kwargs["training"] = self.training
            return self.call(*args, **kwargs)
        ins, outs, nodes = self._graph
        values = self._input_values(args, ins)
        result = run_graph(ins, outs, nodes, values)
        return result[0] if self._single_output else result

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """The forward computation; a subclass defines it (``training`` is passed when it
        takes that argument)."""
        return self.forward(*args, **kwargs)

    def _input_values(self, args, ins):
        if len(args) == 1 and len(ins) > 1:
            args = args[0]
            if isinstance(args, dict):
                args = [args[t.name] for t in ins]
        if len(args) != len(ins):
            raise ValueError(f"{self.name}: expected {len(ins)} inputs, got {len(args)}")
        return list(args)

    @property
    def output_activation(self) -> str | None:
        """The output layer's activation name (lets losses take the logits before it)."""
        if self._graph is None or not self._single_output:
            return None
        return getattr(self._graph[1][0]._node.layer, "activation_name", None)

    def forward_logits(self, *args: Any) -> Tensor:
        """The single output before its layer's activation (losses fuse softmax with it)."""
        ins, outs, nodes = self._graph
        return run_graph(ins, outs, nodes, self._input_values(args, ins), logits_last=True)[0]

    def _keras_module(self):
        return self

    def build(self, input_shape: Sequence[int | None] | Sequence[Sequence[int | None]]) -> None:
        """Create the weights by running the model once on zeros of ``input_shape``.

        Args:
            input_shape (tuple or list of tuples): the input shape with its batch axis
                (``None`` allowed), as Keras's ``model.build((None, 784))``; a list of
                shapes for several inputs.
        """
        from ..autograd.grad_mode import no_grad
        from .functional import KerasTensor
        shapes: Any = input_shape if input_shape and isinstance(input_shape[0], (list, tuple)) \
            else [input_shape]
        probes = [KerasTensor(tuple(s))._probe() for s in shapes]
        was = self.training
        self.eval()
        try:
            with no_grad():
                self(*probes)
        finally:
            self.train(was)

    @property
    def built(self) -> bool:
        """Whether every layer has its weights."""
        return all(getattr(m, "built", True) for m in self.children())

    # --- introspection -----------------------------------------------------------------
    @property
    def inputs(self) -> list[KerasTensor] | None:
        """The functional model's input tensors (None for a subclassed model)."""
        return list(self._graph[0]) if self._graph else None

    @property
    def outputs(self) -> list[KerasTensor] | None:
        """The functional model's output tensors (None for a subclassed model)."""
        return list(self._graph[1]) if self._graph else None

    @property
    def layers(self) -> list[Module]:
        """Keras's list: the InputLayers first, then every layer in call order."""
        first: list[Module] = [t._input_layer for t in self._graph[0]] if self._graph else []
        return first + list(self.children())

    def get_weights(self) -> list[np.ndarray]:
        """Every layer's ``get_weights()``, in layer order (Keras's layouts, e.g. a Dense
        kernel as ``(in, out)``)."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set every weight from arrays in the order and layouts ``get_weights`` gives.

        Args:
            weights (list of arrays): one array per weight.

        Example::

            >>> from fastnn import keras
            >>> inputs = keras.Input(shape=(2,))
            >>> model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
            >>> model.set_weights([np.array([[1.0], [2.0]]), np.array([0.5])])
            >>> model.predict(np.array([[1.0, 1.0]], dtype="float32"))
            array([[3.5]], dtype=float32)
        """
        weights = list(weights)
        for layer in self.layers:
            n = len(layer.get_weights())
            layer.set_weights(weights[:n])
            weights = weights[n:]
        if weights:
            raise ValueError(f"{self.name}: set_weights got {len(weights)} arrays too many")

    def get_layer(self, name: str | None = None, index: int | None = None) -> Module:
        """The layer called ``name``, or the one at ``index`` in ``layers``.

        Args:
            name (str, optional): the layer's name.
            index (int, optional): its position in ``model.layers`` (InputLayers first).
        """
        layers = self.layers
        if index is not None:
            return layers[index]
        for layer in layers:
            if getattr(layer, "name", None) == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[getattr(l, 'name', None) for l in layers]}")

    # Keras's summary(print_fn=...), not fastnn.nn.Module.summary(input_shape, **kwargs)
    def summary(self, input_shape: Sequence[int] | list[Sequence[int]] | None = None,  # type: ignore[override]
                print_fn: Callable[[str], Any] = print) -> Any:
        """Print a table of the layers' output shapes and parameter counts (see fastnn.nn.summary).

        Args:
            input_shape (tuple, optional): one sample's shape; needed only for a
                subclassed model.
            print_fn (callable): where each line goes. Default: ``print``.
        """
        from ..nn import summary as nn_summary
        if input_shape is None:
            if self._graph is None:
                raise ValueError("summary: give input_shape= for a subclassed model")
            shapes = [t.shape[1:] for t in self._graph[0]]
            input_shape = shapes[0] if len(shapes) == 1 else shapes
            dtype = self._graph[0][0].dtype
        else:
            dtype = None
        import numpy as np
        return nn_summary(self, tuple(input_shape) if not isinstance(input_shape, list) else input_shape,
                          batch_size=1, print_fn=print_fn,
                          dtype=None if dtype is None or np.dtype(dtype).kind == "f" else dtype)


def _snake(name):
    from .base_layer import _snake_case
    return _snake_case(name)
