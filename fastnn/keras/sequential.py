"""keras.Sequential: a stack of layers with compile / fit / evaluate / predict."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ..nn import Module
from .functional import KerasTensor
from .model import Model

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from .._tensor import Tensor
    from .functional import InputLayer


class Sequential(Model):
    """A plain stack of layers, each taking the previous one's output, with Keras's
    ``compile`` / ``fit`` / ``evaluate`` / ``predict``.

    Layers are registered as children "0", "1", ... as in ``nn.Sequential``,
    so ``state_dict()`` keys read ``"0.weight"``. Any fastnn Module may be a layer.
    A ``keras.Input(shape=...)`` as the first entry fixes the input shape and builds
    every layer at once, as in Keras; otherwise the weights are made on the first call
    (or by ``build``).

    Args:
        layers (list, optional): the layers in order (Keras layers or fastnn Modules),
            optionally led by a ``keras.Input``. Default: None (add them with ``add``).
        name (str, optional): the model's name. Default: ``sequential``, ``sequential_1`` ...
        **kwargs: Keras's ``trainable`` and ``dtype`` (accepted, no effect).

    Example::

        >>> from fastnn import keras
        >>> model = keras.Sequential([
        ...     keras.Input(shape=(28, 28, 1)),
        ...     keras.layers.Conv2D(8, 3, activation="relu"),
        ...     keras.layers.MaxPooling2D(),
        ...     keras.layers.Flatten(),
        ...     keras.layers.Dense(10, activation="softmax"),
        ... ])
        >>> model.predict(np.zeros((2, 28, 28, 1), dtype="float32")).shape
        (2, 10)
        >>> [k for k in model.state_dict()]
        ['0.weight', '0.bias', '3.weight', '3.bias']
    """

    def __init__(self, layers: Iterable[Module | KerasTensor | InputLayer] | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.__dict__["_input_spec"] = None
        self.__dict__["_seen_input_shape"] = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer: Module | KerasTensor | InputLayer) -> None:
        """Append a layer (or, first of all, a ``keras.Input`` that fixes the input shape).

        Args:
            layer (Module, KerasTensor or InputLayer): the layer to append.

        Example::

            >>> from fastnn import keras
            >>> model = keras.Sequential()
            >>> model.add(keras.Input(shape=(4,)))
            >>> model.add(keras.layers.Dense(2))
            >>> len(model.layers), model.built
            (1, True)
        """
        from .functional import InputLayer
        if isinstance(layer, InputLayer):
            layer = layer.output
        if isinstance(layer, KerasTensor):
            if self._modules or self._input_spec is not None:
                raise ValueError("Sequential: a keras.Input can only come first")
            self.__dict__["_input_spec"] = layer
            self.__dict__["_input_dtype"] = layer.dtype
            return
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential.add: expected a layer (a fastnn Module), got {type(layer).__name__}")
        self.add_module(str(len(self._modules)), layer)
        if self._input_spec is not None and not getattr(layer, "built", True):
            self._build_from_spec()

    def pop(self) -> None:
        """Remove the last layer.

        Example::

            >>> from fastnn import keras
            >>> model = keras.Sequential([keras.layers.Dense(4), keras.layers.Dense(2)])
            >>> model.pop()
            >>> len(model.layers)
            1
        """
        if not self._modules:
            raise TypeError("There are no layers in the model.")
        del self._modules[str(len(self._modules) - 1)]

    def build(self, input_shape: Sequence[Any] | None = None) -> None:
        """Fix the input shape and create every weight, as ``model.build((None, 784))``.

        Args:
            input_shape (tuple): the input shape with its batch axis (``None`` allowed).

        Example::

            >>> from fastnn import keras
            >>> model = keras.Sequential([keras.layers.Dense(3)])
            >>> model.build((None, 5))
            >>> [w.shape for w in model.get_weights()]
            [(5, 3), (3,)]
        """
        if input_shape is None:
            raise ValueError("Sequential.build: give input_shape, e.g. (None, 784)")
        self.__dict__["_input_spec"] = KerasTensor(tuple(input_shape))
        self._build_from_spec()

    def _build_from_spec(self):
        from ..autograd.grad_mode import no_grad
        was = self.training
        self.eval()
        try:
            with no_grad():
                self.forward(self._input_spec._probe())
        finally:
            self.train(was)

    def _known_input_shape(self):
        if self._input_spec is not None:
            return tuple(self._input_spec.shape[1:])
        first = self.layers[0] if self.layers else None
        if first is not None and getattr(first, "input_shape", None) is not None:
            return tuple(first.input_shape)
        return self._seen_input_shape

    @property
    def layers(self) -> list[Module]:
        """The layers in order (no InputLayer, as Keras lists them)."""
        return [m for m in self._modules.values() if m is not None]

    @property
    def built(self) -> bool:
        """Whether every layer has its weights."""
        return all(getattr(layer, "built", True) for layer in self.layers)

    @property
    def output_activation(self) -> str | None:
        """The last layer's activation name (lets losses use the fused logits form)."""
        layers = self.layers
        return getattr(layers[-1], "activation_name", None) if layers else None

    def _keras_module(self):
        return self

    def forward(self, x: Tensor) -> Tensor:
        """Run the layers in turn on ``x``."""
        if self._seen_input_shape is None and hasattr(x, "shape"):
            self.__dict__["_seen_input_shape"] = tuple(x.shape[1:])
            self.__dict__.setdefault("_input_dtype", str(np.asarray(x._data).dtype)
                                     if hasattr(x, "_data") else "float32")
        for layer in self._modules.values():
            x = layer(x)  # type: ignore[misc]  # a Sequential never registers None
        return x

    def forward_logits(self, x: Tensor) -> Tensor:
        """The output before the last layer's activation (losses fuse softmax with it)."""
        layers = self.layers
        for layer in layers[:-1]:
            x = layer(x)
        return layers[-1].forward_logits(x)

    # Keras's summary(print_fn=...), not fastnn.nn.Module.summary(input_shape, **kwargs)
    def summary(self, input_shape: Sequence[int] | None = None,  # type: ignore[override]
                print_fn: Callable[[str], Any] = print) -> Any:
        """Print a table of the layers' output shapes, parameters and FLOPs (see fastnn.nn.summary).

        Args:
            input_shape (tuple, optional): one sample's shape; not needed when the model
                starts with a ``keras.Input``, its first layer has ``input_shape`` or it
                has run once.
            print_fn (callable): where each line goes. Default: ``print``.

        Returns:
            What ``fastnn.nn.summary`` returns (the table's totals).
        """
        from ..nn import summary as nn_summary
        if input_shape is None:
            input_shape = self._known_input_shape()
            if input_shape is None:
                raise ValueError("summary: give input_shape=, an Input first, or an input_shape "
                                 "to the first layer (or call the model once)")
        dtype = getattr(self, "_input_dtype", "float32")
        return nn_summary(self, tuple(input_shape), batch_size=1, print_fn=print_fn,
                          dtype=None if np.dtype(dtype).kind == "f" else dtype)
