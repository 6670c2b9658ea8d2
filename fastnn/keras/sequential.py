"""keras.Sequential: a stack of layers with compile / fit / evaluate / predict."""
from ..nn import Module
from .training import TrainingMixin


class Sequential(Module, TrainingMixin):
    """``Sequential([Conv2D(...), MaxPooling2D(...), Flatten(), Dense(10, activation="softmax")])``.

    Layers are registered as children "0", "1", ... as in ``nn.Sequential``,
    so ``state_dict()`` keys read ``"0.weight"``. Any fastnn Module may be a layer.
    """

    def __init__(self, layers=None, name=None):
        super().__init__()
        self.name = name
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential.add: expected a layer (a fastnn Module), got {type(layer).__name__}")
        self.add_module(str(len(self._modules)), layer)

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
        for layer in self._modules.values():
            x = layer(x)
        return x

    def forward_logits(self, x):
        layers = self.layers
        for layer in layers[:-1]:
            x = layer(x)
        return layers[-1].forward_logits(x)

    def summary(self, input_shape=None):
        """Per-layer output shapes, parameters and FLOPs (see fastnn.summary)."""
        from ..nn import summary as nn_summary
        if input_shape is None:
            first = self.layers[0] if self.layers else None
            if first is None or getattr(first, "input_shape", None) is None:
                raise ValueError("summary: give input_shape= or an input_shape to the first layer")
            input_shape = first.input_shape
        return nn_summary(self, tuple(input_shape), batch_size=1)
