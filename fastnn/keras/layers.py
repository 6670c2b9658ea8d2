"""Keras layers as fastnn Modules: Dense, Conv2D, MaxPooling2D, Flatten, ...

They keep Keras's conventions -- channels-last images ``(N, H, W, C)``,
``glorot_uniform`` kernels and zero biases, sizes inferred on the first call
(or from ``input_shape``) -- and compute with fastnn's NCHW kernels, storing
weights in PyTorch's layout (``weight`` ``(out, in)`` / ``(out, in, kh, kw)``)
so ``state_dict()`` reads like a PyTorch model's.
"""
import functools
import inspect
import math
import re

import numpy as np

from ..nn import Module, Parameter
from ..nn import functional as F
from .functional import Input, InputLayer, is_symbolic, symbolic_call  # noqa: F401
from .metrics import unique_name


def _pair(v, name):
    if isinstance(v, int):
        return (v, v)
    v = tuple(v)
    if len(v) != 2 or not all(isinstance(i, int) for i in v):
        raise ValueError(f"{name}: expected an int or a pair of ints, got {v!r}")
    return v


def get_activation(name):
    """A function Tensor -> Tensor for a Keras activation name (None/'linear' = identity)."""
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
    """A Keras layer: may be built lazily from its first input.

    Every layer gets a Keras name (``dense``, ``dense_1`` ...) and remembers the
    arguments it was made with (``get_config()``, used by ``Model.save``). Called on
    symbolic tensors (``keras.Input``) it records a node of a functional model.
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

    def __init__(self, input_shape=None, activation=None, name=None, **kwargs):
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

    def __call__(self, *args, **kwargs):
        if is_symbolic(args):
            return symbolic_call(self, args, kwargs)
        return super().__call__(*args, **kwargs)

    # --- weights, the Keras way ------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none", name=None):
        """Create a weight of ``shape`` (Keras layout, as the layer uses it) and register it."""
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
    def weights(self):
        return list(self.parameters())

    @property
    def trainable_weights(self):
        return [p for p in self.parameters() if p.requires_grad]

    @property
    def non_trainable_weights(self):
        return [p for p in self.parameters() if not p.requires_grad]

    def _keras_layout(self):
        """[(parameter, array in Keras's layout -> array in fastnn's)]: identity by default."""
        return [(p, lambda a: a, lambda a: a) for p in self.parameters()]

    def get_weights(self):
        """The weights as NumPy arrays in Keras's layout (Dense kernel (in, out), ...)."""
        return [np.array(to_keras(p.detach()._data)) for p, to_keras, _ in self._keras_layout()]

    def set_weights(self, weights):
        layout = self._keras_layout()
        if len(weights) != len(layout):
            raise ValueError(f"{self.name}: set_weights expected {len(layout)} arrays, got {len(weights)}")
        for (p, _, from_keras), w in zip(layout, weights):
            arr = np.asarray(from_keras(np.asarray(w)), dtype=p._data.dtype)
            if arr.shape != p._data.shape:
                raise ValueError(f"{self.name}: weight of shape {np.asarray(w).shape} does not fit "
                                 f"(expected the Keras shape of {tuple(p.shape)})")
            p._data[...] = arr

    def get_config(self):
        """The constructor arguments, as ``keras.models.load_model`` rebuilds the layer from."""
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
    def from_config(cls, config):
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
    def losses(self):
        """The penalties of this layer's weights (Tensors), added to the loss by fit."""
        out = []
        for attr, reg in (("weight", getattr(self, "kernel_regularizer", None)),
                          ("bias", getattr(self, "bias_regularizer", None))):
            p = getattr(self, attr, None) if reg is not None else None
            if p is not None:
                out.append(reg(p))
        return out

    def build(self, input_shape):
        self.built = True

    def call(self, x):
        raise NotImplementedError

    def forward(self, x, **kwargs):
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

    def forward_logits(self, x):
        """The output before this layer's activation."""
        if not self.built:
            self.build(tuple(x.shape))
        return self.call(x)


class Dense(Layer):
    """``activation(x @ W.T + b)`` over the last axis."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, input_shape=None, input_dim=None, name=None, **kwargs):
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        super().__init__(input_shape, activation, name, **kwargs)
        if units < 1:
            raise ValueError(f"Dense: units must be >= 1, got {units}")
        self.units = int(units)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self._set_regularizers(kernel_regularizer, bias_regularizer, activity_regularizer)
        if self.input_shape is not None:
            self.build((None,) + self.input_shape)

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        f32 = np.dtype(np.float32)
        # initialised in Keras's layout (in, out), stored as PyTorch's (out, in)
        self.weight = Parameter(np.ascontiguousarray(
            _initial_value(self.kernel_initializer, (fan_in, self.units), f32).T))
        self.bias = Parameter(_initial_value(self.bias_initializer, (self.units,), f32)) \
            if self.use_bias else None
        self.in_features = fan_in
        self.built = True

    def call(self, x):
        return F.linear(x, self.weight, self.bias)

    def _keras_layout(self):
        out = [(self.weight, lambda a: a.T, lambda a: a.T)]  # kernel (in, out) <-> weight (out, in)
        return out + ([(self.bias, lambda a: a, lambda a: a)] if self.bias is not None else [])

    def extra_repr(self):
        return f"units={self.units}, activation={self.activation_name}"


def _same_padding(size, k, s, d):
    """TensorFlow's 'same' padding (before, after) along one axis."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


class Conv2D(Layer):
    """2-D convolution over channels-last images (``data_format='channels_last'``)."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 input_shape=None, name=None, **kwargs):
        super().__init__(input_shape, activation, name, **kwargs)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self._set_regularizers(kernel_regularizer, bias_regularizer, activity_regularizer)
        if padding not in ("valid", "same"):
            raise ValueError(f"Conv2D: padding must be 'valid' or 'same', got {padding!r}")
        self.data_format = data_format or "channels_last"
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"Conv2D: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.strides = _pair(strides, "strides")
        self.dilation_rate = _pair(dilation_rate, "dilation_rate")
        self.padding = padding
        self.groups = groups
        self.use_bias = use_bias
        if self.input_shape is not None:
            self.build((None,) + self.input_shape)

    def build(self, input_shape):
        c = int(input_shape[-1] if self.data_format == "channels_last" else input_shape[1])
        if c % self.groups:
            raise ValueError(f"Conv2D: input channels {c} are not divisible by groups={self.groups}")
        kh, kw = self.kernel_size
        f32 = np.dtype(np.float32)
        # Keras's kernel layout (kh, kw, in, out) for the fans, PyTorch's (out, in, kh, kw) stored
        kernel = _initial_value(self.kernel_initializer, (kh, kw, c // self.groups, self.filters), f32)
        self.weight = Parameter(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
        self.bias = Parameter(_initial_value(self.bias_initializer, (self.filters,), f32)) \
            if self.use_bias else None
        self.in_channels = c
        self.built = True

    def call(self, x):
        if self.data_format == "channels_last":
            x = x.permute(0, 3, 1, 2)
        pad = (0, 0)
        if self.padding == "same":
            (t, b), (l, r) = (_same_padding(x.shape[2 + i], self.kernel_size[i], self.strides[i],
                                            self.dilation_rate[i]) for i in range(2))
            if t == b and l == r:
                pad = (t, l)
            else:
                x = F.pad(x, (l, r, t, b))
        y = F.conv2d(x, self.weight, self.bias, stride=self.strides, padding=pad,
                     dilation=self.dilation_rate, groups=self.groups)
        return y.permute(0, 2, 3, 1) if self.data_format == "channels_last" else y

    def _keras_layout(self):
        # kernel (kh, kw, in, out) <-> weight (out, in, kh, kw)
        out = [(self.weight, lambda a: a.transpose(2, 3, 1, 0), lambda a: a.transpose(3, 2, 0, 1))]
        return out + ([(self.bias, lambda a: a, lambda a: a)] if self.bias is not None else [])

    def extra_repr(self):
        return (f"filters={self.filters}, kernel_size={self.kernel_size}, strides={self.strides}, "
                f"padding={self.padding!r}, activation={self.activation_name}")


class _Pooling2D(Layer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        if padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__}: padding must be 'valid' or 'same', got {padding!r}")
        self.pool_size = _pair(pool_size, "pool_size")
        self.strides = _pair(strides, "strides") if strides is not None else self.pool_size
        self.padding = padding
        self.data_format = data_format or "channels_last"
        self.built = True

    def call(self, x):
        if self.data_format == "channels_last":
            x = x.permute(0, 3, 1, 2)
        if self.padding == "same":
            (t, b), (l, r) = (_same_padding(x.shape[2 + i], self.pool_size[i], self.strides[i], 1)
                              for i in range(2))
            if t or b or l or r:
                x = self._pad_same(x, (l, r, t, b))
        y = self._pool(x)
        return y.permute(0, 2, 3, 1) if self.data_format == "channels_last" else y

    def extra_repr(self):
        return f"pool_size={self.pool_size}, strides={self.strides}, padding={self.padding!r}"


class MaxPooling2D(_Pooling2D):
    def _pad_same(self, x, pad):
        return F.pad(x, pad, value=-math.inf)  # padding never wins the max

    def _pool(self, x):
        return F.max_pool2d(x, self.pool_size, self.strides)


class AveragePooling2D(_Pooling2D):
    def _pad_same(self, x, pad):
        raise NotImplementedError("AveragePooling2D: padding='same' with uneven padding is not supported")

    def _pool(self, x):
        return F.avg_pool2d(x, self.pool_size, self.strides)


class GlobalAveragePooling2D(Layer):
    def __init__(self, data_format=None, keepdims=False, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        self.data_format = data_format or "channels_last"
        self.keepdims = keepdims
        self.built = True

    def call(self, x):
        dims = (1, 2) if self.data_format == "channels_last" else (2, 3)
        return x.mean(dim=dims, keepdim=self.keepdims)


class Flatten(Layer):
    """Flatten all but the batch axis (in the channels-last order Keras uses)."""

    def __init__(self, data_format=None, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        self.data_format = data_format or "channels_last"
        self.built = True

    def call(self, x):
        if self.data_format == "channels_first" and x.ndim > 2:  # Keras flattens channels last
            x = x.permute(0, *range(2, x.ndim), 1)
        return x.reshape(x.shape[0], -1)


class Dropout(Layer):
    def __init__(self, rate, noise_shape=None, seed=None, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        if noise_shape is not None:
            raise NotImplementedError("Dropout: noise_shape is not supported")
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate = rate
        self.built = True

    def call(self, x):
        return F.dropout(x, self.rate, self.training)

    def extra_repr(self):
        return f"rate={self.rate}"


class Activation(Layer):
    def __init__(self, activation, name=None, **kwargs):
        super().__init__(None, activation, name, **kwargs)
        self.built = True

    def call(self, x):
        return x


class Reshape(Layer):
    def __init__(self, target_shape, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        self.target_shape = tuple(target_shape)
        self.built = True

    def call(self, x):
        return x.reshape((x.shape[0],) + self.target_shape)


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


def _register_flop_counters():
    """Teach fastnn.summary the cost of the Keras layers (a multiply-add = 2 FLOPs).

    Dense and Conv2D carry the attributes nn.Linear and nn.Conv2d do
    (in_features / in_channels, groups, kernel_size, bias), so they share
    summary's own counters; only the pooling layers name their window differently.
    """
    from ..nn.summary import _conv_flops, _linear_flops, _numel, register_flop_counter

    def pool(m, inputs, out):
        return _numel(out) * m.pool_size[0] * m.pool_size[1]

    for name, fn in (("Dense", _linear_flops), ("Conv2D", _conv_flops),
                     ("MaxPooling2D", pool), ("AveragePooling2D", pool),
                     ("Flatten", lambda m, i, o: 0), ("Dropout", lambda m, i, o: 0),
                     ("Reshape", lambda m, i, o: 0)):
        register_flop_counter(name, fn)


_register_flop_counters()


# More layers (normalisation, embeddings, recurrent, 1-D, preprocessing) live in a second file.
from .layers_more import (GRU, LSTM, BatchNormalization, Conv1D, Embedding, SimpleRNN,  # noqa: E402,F401
                          GlobalAveragePooling1D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                          LayerNormalization, MaxPooling1D, Normalization, Rescaling, UpSampling2D,
                          ZeroPadding2D)
from .layers_wrappers import Bidirectional, Lambda, TimeDistributed  # noqa: E402,F401
from .layers_activation import ELU, LeakyReLU, ReLU, Softmax  # noqa: E402,F401
from .layers_attention import MultiHeadAttention  # noqa: E402,F401
