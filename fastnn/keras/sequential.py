"""keras.Sequential: a stack of layers with compile / fit / evaluate / predict."""
from __future__ import annotations

import numpy as np

from ..nn import Module
from .functional import KerasTensor
from .model import Model


class Sequential(Model):
    """``Sequential([Conv2D(...), MaxPooling2D(...), Flatten(), Dense(10, activation="softmax")])``.

    Layers are registered as children "0", "1", ... as in ``nn.Sequential``,
    so ``state_dict()`` keys read ``"0.weight"``. Any fastnn Module may be a layer.
    A ``keras.Input(shape=...)`` as the first entry fixes the input shape and builds
    every layer at once, as in Keras.
    """

    def __init__(self, layers=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.__dict__["_input_spec"] = None
        self.__dict__["_seen_input_shape"] = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
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

    def pop(self):
        if not self._modules:
            raise TypeError("There are no layers in the model.")
        del self._modules[str(len(self._modules) - 1)]

    def build(self, input_shape=None):
        """``model.build((None, 784))``: fix the input shape and create every weight."""
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
    def layers(self):
        return list(self._modules.values())

    @property
    def built(self):
        return all(getattr(layer, "built", True) for layer in self.layers)

    @property
    def output_activation(self):
        """The last layer's activation name (lets losses use the fused logits form)."""
        layers = self.layers
        return getattr(layers[-1], "activation_name", None) if layers else None

    def _keras_module(self):
        return self

    def forward(self, x):
        if self._seen_input_shape is None and hasattr(x, "shape"):
            self.__dict__["_seen_input_shape"] = tuple(x.shape[1:])
            self.__dict__.setdefault("_input_dtype", str(np.asarray(x._data).dtype)
                                     if hasattr(x, "_data") else "float32")
        for layer in self._modules.values():
            x = layer(x)
        return x

    def forward_logits(self, x):
        layers = self.layers
        for layer in layers[:-1]:
            x = layer(x)
        return layers[-1].forward_logits(x)

    def summary(self, input_shape=None, print_fn=print):
        """Per-layer output shapes, parameters and FLOPs (see fastnn.summary)."""
        from ..nn import summary as nn_summary
        if input_shape is None:
            input_shape = self._known_input_shape()
            if input_shape is None:
                raise ValueError("summary: give input_shape=, an Input first, or an input_shape "
                                 "to the first layer (or call the model once)")
        dtype = getattr(self, "_input_dtype", "float32")
        return nn_summary(self, tuple(input_shape), batch_size=1, print_fn=print_fn,
                          dtype=None if np.dtype(dtype).kind == "f" else dtype)
