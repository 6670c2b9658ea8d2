"""keras.layers.Layer, the base class of every Keras layer, and the helpers the layer
files share (activation names, Keras's automatic names, initial weights)."""
from __future__ import annotations

import functools
import inspect
import math
import re
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ..nn import Module, Parameter
from ..nn import functional as F
from .functional import is_symbolic, symbolic_call
from .metrics import unique_name

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import DTypeLike

    from .._tensor import Tensor
    from .initializers import Initializer
    from .regularizers import Regularizer


def _pair(v, name):
    if isinstance(v, int):
        return (v, v)
    v = tuple(v)
    if len(v) != 2 or not all(isinstance(i, int) for i in v):
        raise ValueError(f"{name}: expected an int or a pair of ints, got {v!r}")
    return v


def get_activation(name: str | Callable[[Tensor], Tensor] | None) -> Callable[[Tensor], Tensor] | None:
    """The function ``Tensor -> Tensor`` for a Keras activation name.

    Args:
        name (str, callable or None): ``"relu"``, ``"sigmoid"``, ``"tanh"``, ``"gelu"``,
            ``"softmax"`` (over the last axis), ``"log_softmax"``, ``"elu"``, ``"selu"``,
            ``"leaky_relu"`` (slope 0.2, Keras's), ``"swish"`` / ``"silu"``; a callable is
            returned as is.

    Returns:
        The function, or None for ``None`` and ``"linear"`` (the identity).

    Example::

        >>> from fastnn.keras.layers import get_activation
        >>> get_activation("relu")(fastnn.tensor([-1.0, 2.0]))
        tensor([0., 2.])
        >>> get_activation("linear") is None
        True
    """
    if name is None or name == "linear":
        return None
    if callable(name):
        return name
    table = {
        "relu": F.relu, "sigmoid": F.sigmoid, "tanh": F.tanh, "gelu": F.gelu,
        "softmax": lambda x: F.softmax(x, dim=-1),
        "log_softmax": lambda x: F.log_softmax(x, dim=-1),
        "elu": lambda x: F.elu(x), "selu": lambda x: F.selu(x),
        "leaky_relu": lambda x: F.leaky_relu(x, 0.2),  # Keras's default slope
        "swish": lambda x: F.silu(x), "silu": lambda x: F.silu(x),
    }
    if name not in table:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(table)} or None")
    return table[name]


@functools.lru_cache(maxsize=None)
def _takes_training(call):
    """Whether a layer's ``call`` has a ``training`` argument (Keras passes the mode then)."""
    try:
        return "training" in inspect.signature(call).parameters
    except (TypeError, ValueError):
        return False


def _initial_value(initializer, shape, dtype):
    from .initializers import initial_value
    try:
        return initial_value(initializer, shape, dtype)
    except ValueError as exc:
        raise ValueError(f"add_weight: {exc}") from None


def _glorot_uniform(shape, fan_in, fan_out, dtype=np.float32):
    from ..random import default_generator
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return default_generator().uniform(-limit, limit, size=shape).astype(dtype)


def _snake_case(name):
    """Keras's automatic layer names: Dense -> dense, MaxPooling2D -> max_pooling2d."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class Layer(Module):
    """The base class of Keras layers: a fastnn Module built lazily from its first input.

    Every layer gets a Keras name (``dense``, ``dense_1`` ...) and remembers the
    arguments it was made with (``get_config()``, used by ``Model.save``). Called on
    symbolic tensors (``keras.Input``) it records a node of a functional model.

    A custom layer overrides ``build(input_shape)`` to make its weights with
    ``add_weight`` and ``call(x)`` to compute; the first call runs ``build`` with the
    input's shape, then ``call``, then the layer's activation.

    Args:
        input_shape (tuple, optional): one sample's shape; given, the layer builds at once.
        activation (str, callable or None): applied to ``call``'s output (see
            :func:`get_activation`). Default: None.
        name (str, optional): the layer's name. Default: the class name in snake case,
            numbered (``dense``, ``dense_1`` ...).
        **kwargs: Keras's ``trainable``, ``dtype``, ``autocast``, ``input_dim`` and
            ``batch_input_shape``.

    Example::

        >>> from fastnn import keras
        >>> class Scale(keras.layers.Layer):
        ...     def build(self, input_shape):
        ...         self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        ...     def call(self, x):
        ...         return x * self.scale
        >>> layer = Scale()
        >>> layer(fastnn.full((2, 3), 2.0))
        tensor([[2., 2., 2.],
                [2., 2., 2.]], grad_fn=<MulBackward0>)
        >>> list(layer.state_dict()), layer.built
        (['scale'], True)
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return
        signature = inspect.signature(init)

        @functools.wraps(init)
        def recording_init(self, *args, **kw):
            init(self, *args, **kw)
            # the outermost __init__ finishes last, so its arguments are the ones kept
            bound = signature.bind(self, *args, **kw)
            bound.apply_defaults()
            config = dict(bound.arguments)
            config.pop("self", None)
            config.update(config.pop("kwargs", {}) if isinstance(config.get("kwargs"), dict) else {})
            config["name"] = self.name
            self.__dict__["_config"] = config
        cls.__init__ = recording_init

    def __init__(self, input_shape: Sequence[int] | None = None,
                 activation: str | Callable[[Tensor], Tensor] | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        unknown = set(kwargs) - {"trainable", "dtype", "autocast", "input_dim", "batch_input_shape"}
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(unknown)}")
        super().__init__()
        self.trainable = kwargs.get("trainable", True)
        self.input_shape = tuple(input_shape) if input_shape is not None else None
        self.activation_name = activation if isinstance(activation, str) or activation is None \
            else getattr(activation, "__name__", "custom")
        self._activation = get_activation(activation)
        self.name = name if name is not None else unique_name(_snake_case(type(self).__name__))
        self.layer_name = self.name
        self.built = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if is_symbolic(args):
            return symbolic_call(self, args, kwargs)
        return super().__call__(*args, **kwargs)

    # --- weights, the Keras way ------------------------------------------------------
    def add_weight(self, shape: Sequence[int] | None = None,
                   initializer: str | Initializer | Callable[..., Any] | None = None,
                   dtype: DTypeLike | None = None, trainable: bool = True, autocast: bool = True,
                   regularizer: Regularizer | None = None, constraint: Any = None,
                   aggregation: str = "none", name: str | None = None) -> Parameter:
        """Create a weight of ``shape`` (the layout the layer computes with) and register it.

        Assigned to an attribute (``self.kernel = self.add_weight(...)``), the weight takes
        that attribute's name in ``state_dict()``.

        Args:
            shape (tuple of int): the weight's shape. Default: ``()``.
            initializer (str, Initializer or callable, optional): a keras.initializers name
                or object. Default: None (Keras's: ``glorot_uniform`` for floats).
            dtype (str, optional): the element type. Default: ``"float32"``.
            trainable (bool): whether fit updates it (``requires_grad``). Default: True.
            autocast, aggregation: accepted for Keras compatibility (no effect).
            regularizer, constraint: not supported (NotImplementedError when given).
            name (str, optional): its name until assigned to an attribute. Default:
                ``"variable"``.

        Returns:
            Parameter: the new weight, already registered.
        """
        if regularizer is not None or constraint is not None:
            raise NotImplementedError("add_weight: regularizer and constraint are not supported")
        shape = tuple(int(d) for d in (shape or ()))
        value = _initial_value(initializer, shape, np.dtype(dtype or "float32"))
        base = name or "variable"
        key, i = base, 1
        while key in self._parameters or key in self.__dict__:
            key, i = f"{base}_{i}", i + 1
        param = Parameter(value, requires_grad=bool(trainable))
        self.register_parameter(key, param)
        self.__dict__.setdefault("_added_weights", {})[id(param)] = key
        return param

    def __setattr__(self, name, value):
        # ``self.w = self.add_weight(...)``: the weight takes the attribute's name
        added = self.__dict__.get("_added_weights")
        if added and isinstance(value, Parameter) and id(value) in added:
            old = added.pop(id(value))
            if old != name:
                del self._parameters[old]
        super().__setattr__(name, value)

    @property
    def weights(self) -> list[Parameter]:
        """Every weight (a Parameter, in fastnn's layout), as ``parameters()`` lists them."""
        return list(self.parameters())

    @property
    def trainable_weights(self) -> list[Parameter]:
        """The weights that fit updates (``requires_grad``)."""
        return [p for p in self.parameters() if p.requires_grad]

    @property
    def non_trainable_weights(self) -> list[Parameter]:
        """The frozen weights (BatchNormalization's moving statistics are buffers instead)."""
        return [p for p in self.parameters() if not p.requires_grad]

    def _keras_layout(self):
        """[(parameter, array in Keras's layout -> array in fastnn's)]: identity by default."""
        return [(p, lambda a: a, lambda a: a) for p in self.parameters()]

    def get_weights(self) -> list[np.ndarray]:
        """The weights as NumPy arrays in Keras's layout (a Dense kernel ``(in, out)``, a
        Conv2D kernel ``(kh, kw, in, out)``), though stored in PyTorch's.

        Example::

            >>> from fastnn import keras
            >>> layer = keras.layers.Dense(3, input_shape=(4,))
            >>> [w.shape for w in layer.get_weights()], tuple(layer.weight.shape)
            ([(4, 3), (3,)], (3, 4))
        """
        return [np.array(to_keras(p.detach()._data)) for p, to_keras, _ in self._keras_layout()]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set the weights from arrays in Keras's layout (what ``get_weights`` returns).

        Args:
            weights (list of arrays): one per weight, in ``get_weights`` order.
        """
        layout = self._keras_layout()
        if len(weights) != len(layout):
            raise ValueError(f"{self.name}: set_weights expected {len(layout)} arrays, got {len(weights)}")
        for (p, _, from_keras), w in zip(layout, weights):
            arr = np.asarray(from_keras(np.asarray(w)), dtype=p._data.dtype)
            if arr.shape != p._data.shape:
                raise ValueError(f"{self.name}: weight of shape {np.asarray(w).shape} does not fit "
                                 f"(expected the Keras shape of {tuple(p.shape)})")
            p._data[...] = arr

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, from which ``keras.models.load_model`` rebuilds the layer.

        Example::

            >>> from fastnn import keras
            >>> config = keras.layers.Dropout(0.25, name="drop").get_config()
            >>> config["rate"], config["name"]
            (0.25, 'drop')
        """
        from . import regularizers
        from . import initializers
        config = dict(self.__dict__.get("_config", {"name": self.name}))
        for key, value in config.items():
            if isinstance(value, regularizers.Regularizer):
                config[key] = regularizers.serialize(value)
            elif isinstance(value, initializers.Initializer):
                config[key] = initializers.serialize(value)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """A new layer made from ``get_config()``'s dict (regularizers and initializers
        given as their serialized dicts are rebuilt)."""
        from . import regularizers
        from . import initializers
        config = dict(config)
        for key, value in config.items():
            if isinstance(value, dict) and key.endswith("_regularizer"):
                config[key] = regularizers.deserialize(value)
            elif isinstance(value, dict) and key.endswith("_initializer"):
                config[key] = initializers.deserialize(value)
        return cls(**config)

    # --- weight penalties -------------------------------------------------------------
    def _set_regularizers(self, kernel_regularizer=None, bias_regularizer=None,
                          activity_regularizer=None):
        from . import regularizers
        if activity_regularizer is not None:
            raise NotImplementedError(f"{type(self).__name__}: activity_regularizer is not supported")
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    @property
    def losses(self) -> list[Tensor]:
        """The penalties of this layer's weights (``kernel_regularizer``, ``bias_regularizer``),
        as Tensors; fit adds them to the loss."""
        out = []
        regs: list[tuple[str, Any]] = [("weight", getattr(self, "kernel_regularizer", None)),
                                       ("bias", getattr(self, "bias_regularizer", None))]
        for attr, reg in regs:
            p = getattr(self, attr, None) if reg is not None else None
            if p is not None:
                out.append(reg(p))
        return out

    def build(self, input_shape: tuple[Any, ...]) -> None:  # ints, the batch size may be None
        """Make the weights for inputs of ``input_shape`` (batch axis included); runs once,
        before the first call. Override it in a layer whose weights depend on the input."""
        self.built = True

    def call(self, x: Any) -> Any:
        """The layer's computation, before its activation. Override it in a custom layer."""
        raise NotImplementedError

    def forward(self, x: Any, **kwargs: Any) -> Any:
        """Build on the first call, then ``call`` (given ``training`` when it takes it) and
        the activation."""
        if not self.built:
            self.build(tuple(x.shape))
            self.built = True
        if _takes_training(type(self).call):
            kwargs.setdefault("training", self.training)
            y = self.call(x, **kwargs)
        elif kwargs.get("training") is not None and bool(kwargs["training"]) != self.training:
            # layer(x, training=flag) on a layer whose mode is the Module's: switch it for the call
            flag = bool(kwargs.pop("training"))
            was = self.training
            self.train(flag)
            try:
                y = self.call(x, **kwargs)
            finally:
                self.train(was)
        else:
            kwargs.pop("training", None)
            y = self.call(x, **kwargs)
        return y if self._activation is None else self._activation(y)

    def forward_logits(self, x: Any) -> Any:
        """The output before this layer's activation."""
        if not self.built:
            self.build(tuple(x.shape))
        return self.call(x)


def _tensor(arr: np.ndarray) -> Tensor:
    """A Tensor around ``arr`` (no copy), for buffers the layers compute in NumPy."""
    from .._tensor import Tensor
    return Tensor._wrap(arr)
