"""keras.initializers: Keras's weight initializers as objects and by name.

Fans are computed from the weight's Keras layout (a kernel's last two axes are
(in, out), leading axes the receptive field), so a layer draws its kernel in that
layout and transposes it to PyTorch's for storage. The *_normal variance-scaling
initializers draw from a normal truncated at two standard deviations, as Keras does.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import DTypeLike

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform",
           "TruncatedNormal", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal",
           "LecunUniform", "LecunNormal", "Orthogonal", "get", "serialize", "deserialize"]


def fans(shape: Sequence[int]) -> tuple[int, int]:
    """Keras's ``(fan_in, fan_out)`` of a weight in Keras's layout: the last two axes are
    (in, out), any leading axes the receptive field.

    Example::

        >>> from fastnn.keras.initializers import fans
        >>> fans((3, 3, 16, 32))  # a Conv2D kernel (kh, kw, in, out)
        (144, 288)
    """
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


def _gen():
    from ..random import default_generator
    return default_generator()


def _truncated(shape, std):
    gen = _gen()
    out = gen.standard_normal(shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return out * std


class Initializer:
    """The base class of Keras initializers: ``init(shape, dtype=None)`` returns a NumPy
    array of that shape (float32 by default), in Keras's layout.

    Pass one (or its name, e.g. ``"he_normal"``) as a layer's ``kernel_initializer`` /
    ``bias_initializer`` or to ``add_weight``. A subclass defines ``__call__`` and, if it
    takes arguments, ``get_config``.

    Example::

        >>> from fastnn import keras
        >>> class Range(keras.initializers.Initializer):
        ...     def __call__(self, shape, dtype=None):
        ...         return np.arange(np.prod(shape), dtype=dtype or "float32").reshape(shape)
        >>> keras.layers.Dense(2, kernel_initializer=Range(), input_shape=(3,)).get_weights()[0]
        array([[0., 1.],
               [2., 3.],
               [4., 5.]], dtype=float32)
    """

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """A new initializer from ``get_config()``'s dict."""
        return cls(**config)


class Zeros(Initializer):
    """All zeros.

    Example::

        >>> from fastnn import keras
        >>> keras.initializers.Zeros()((2,))
        array([0., 0.], dtype=float32)
    """

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        return np.zeros(shape, dtype or np.float32)


class Ones(Initializer):
    """All ones.

    Example::

        >>> from fastnn import keras
        >>> keras.initializers.Ones()((2,))
        array([1., 1.], dtype=float32)
    """

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        return np.ones(shape, dtype or np.float32)


class Constant(Initializer):
    """Every entry ``value``.

    Args:
        value (float): Default: 0.

    Example::

        >>> from fastnn import keras
        >>> keras.initializers.Constant(3.0)((2,))
        array([3., 3.], dtype=float32)
    """

    def __init__(self, value: float = 0.0) -> None:
        self.value = float(value)

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        return np.full(shape, self.value, dtype or np.float32)

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


class RandomNormal(Initializer):
    """Draws from a normal distribution.

    Args:
        mean (float): Default: 0.
        stddev (float): Default: 0.05.
        seed (int, optional): accepted; draws come from fastnn's generator.

    Example::

        >>> from fastnn import keras
        >>> w = keras.initializers.RandomNormal(stddev=0.01)((1000,))
        >>> w.shape, bool(abs(w.std() - 0.01) < 0.002)
        ((1000,), True)
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        return (self.mean + self.stddev * _gen().standard_normal(shape)).astype(dtype or np.float32)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomNormal):
    """Draws from a normal distribution, redrawing values more than two standard
    deviations from the mean.

    Args:
        mean (float): Default: 0.
        stddev (float): the standard deviation before truncation. Default: 0.05.
        seed (int, optional): accepted; draws come from fastnn's generator.

    Example::

        >>> from fastnn import keras
        >>> w = keras.initializers.TruncatedNormal(stddev=1.0)((1000,))
        >>> bool(np.abs(w).max() <= 2.0)
        True
    """

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        return (self.mean + _truncated(shape, self.stddev)).astype(dtype or np.float32)


class RandomUniform(Initializer):
    """Draws uniformly from ``[minval, maxval)``.

    Args:
        minval (float): Default: -0.05.
        maxval (float): Default: 0.05.
        seed (int, optional): accepted; draws come from fastnn's generator.

    Example::

        >>> from fastnn import keras
        >>> w = keras.initializers.RandomUniform(0.0, 1.0)((1000,))
        >>> bool(w.min() >= 0.0 and w.max() < 1.0)
        True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None) -> None:
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        return _gen().uniform(self.minval, self.maxval, size=shape).astype(dtype or np.float32)

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval}


class _VarianceScaling(Initializer):
    """Variance ``scale / fan`` (fan = fan_in, fan_out or their mean), uniform or truncated normal."""
    scale, mode, distribution = 1.0, "fan_in", "uniform"

    def __init__(self, seed: int | None = None) -> None:
        pass

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        fan_in, fan_out = fans(tuple(shape))
        fan: float = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        var = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * var)
            out = _gen().uniform(-limit, limit, size=shape)
        else:  # the 0.8796 corrects the standard deviation lost to the truncation
            out = _truncated(shape, math.sqrt(var) / 0.87962566103423978)
        return out.astype(dtype or np.float32)


class GlorotUniform(_VarianceScaling):
    """Glorot (Xavier) uniform: on ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))``;
    Keras's default kernel initializer.

    Args:
        seed (int, optional): accepted; draws come from fastnn's generator
            (``fastnn.manual_seed``).

    Example::

        >>> from fastnn import keras
        >>> w = keras.initializers.GlorotUniform()((100, 50))
        >>> w.shape, w.dtype, bool(np.abs(w).max() <= np.sqrt(6 / 150))
        ((100, 50), dtype('float32'), True)
    """
    mode = "fan_avg"


class GlorotNormal(_VarianceScaling):
    """Glorot (Xavier) normal: truncated normal with ``stddev = sqrt(2 / (fan_in + fan_out))``.

    Args:
        seed (int, optional): accepted; draws come from fastnn's generator
            (``fastnn.manual_seed``).

    Example::

        >>> from fastnn import keras
        >>> w = keras.initializers.GlorotNormal()((100, 50))
        >>> w.shape, w.dtype, bool(abs(w.std() - np.sqrt(2 / 150)) < 0.01)
        ((100, 50), dtype('float32'), True)
    """
    mode, distribution = "fan_avg", "normal"


class HeUniform(_VarianceScaling):
    """He uniform: on ``[-limit, limit]``, ``limit = sqrt(6 / fan_in)``.

    Args:
        seed (int, optional): accepted; draws come from fastnn's generator
            (``fastnn.manual_seed``).

    Example::

        >>> from fastnn import keras
        >>> w = keras.initializers.HeUniform()((100, 50))
        >>> w.shape, w.dtype, bool(np.abs(w).max() <= np.sqrt(6 / 100))
        ((100, 50), dtype('float32'), True)
    """
    scale = 2.0


class HeNormal(_VarianceScaling):
    """He normal: truncated normal with ``stddev = sqrt(2 / fan_in)``.

    Args:
        seed (int, optional): accepted; draws come from fastnn's generator
            (``fastnn.manual_seed``).

    Example::

        >>> from fastnn import keras
        >>> w = keras.initializers.HeNormal()((100, 50))
        >>> w.shape, w.dtype, bool(abs(w.std() - np.sqrt(2 / 100)) < 0.01)
        ((100, 50), dtype('float32'), True)
    """
    scale, distribution = 2.0, "normal"


class LecunUniform(_VarianceScaling):
    """LeCun uniform: on ``[-limit, limit]``, ``limit = sqrt(3 / fan_in)``.

    Args:
        seed (int, optional): accepted; draws come from fastnn's generator
            (``fastnn.manual_seed``).

    Example::

        >>> from fastnn import keras
        >>> w = keras.initializers.LecunUniform()((100, 50))
        >>> w.shape, w.dtype, bool(np.abs(w).max() <= np.sqrt(3 / 100))
        ((100, 50), dtype('float32'), True)
    """
    pass


class LecunNormal(_VarianceScaling):
    """LeCun normal: truncated normal with ``stddev = sqrt(1 / fan_in)``.

    Args:
        seed (int, optional): accepted; draws come from fastnn's generator
            (``fastnn.manual_seed``).

    Example::

        >>> from fastnn import keras
        >>> w = keras.initializers.LecunNormal()((100, 50))
        >>> w.shape, w.dtype, bool(abs(w.std() - np.sqrt(1 / 100)) < 0.01)
        ((100, 50), dtype('float32'), True)
    """
    distribution = "normal"


class Orthogonal(Initializer):
    """An orthogonal matrix (of the weight flattened to ``(prod(shape[:-1]), shape[-1])``)
    times ``gain``, from the QR decomposition of a normal draw.

    Args:
        gain (float): the multiplier. Default: 1.
        seed (int, optional): accepted; draws come from fastnn's generator.

    Example::

        >>> from fastnn import keras
        >>> w = keras.initializers.Orthogonal()((4, 4))
        >>> np.allclose(w @ w.T, np.eye(4), atol=1e-5)
        True
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        self.gain = float(gain)

    def __call__(self, shape: Sequence[int], dtype: DTypeLike | None = None) -> np.ndarray:
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        a = _gen().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        q = q if rows >= cols else q.T
        return (self.gain * q[:rows, :cols]).reshape(shape).astype(dtype or np.float32)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


_BY_NAME = {"zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
            "random_uniform": RandomUniform, "uniform": RandomUniform,
            "truncated_normal": TruncatedNormal, "glorot_uniform": GlorotUniform,
            "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
            "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal, "orthogonal": Orthogonal}
_CLASSES = {cls.__name__: cls for cls in _BY_NAME.values()}


def get(identifier: str | dict[str, Any] | Initializer | Callable[..., Any]) -> Initializer | Callable[..., Any]:
    """An initializer for a Keras name, a serialized dict, or an object / callable (returned
    as is).

    Args:
        identifier: ``"zeros"``, ``"ones"``, ``"constant"``, ``"random_normal"``,
            ``"random_uniform"`` (``"uniform"``), ``"truncated_normal"``,
            ``"glorot_uniform"``, ``"glorot_normal"``, ``"he_uniform"``, ``"he_normal"``,
            ``"lecun_uniform"``, ``"lecun_normal"``, ``"orthogonal"``; a dict from
            ``serialize``; or an initializer.

    Example::

        >>> from fastnn import keras
        >>> type(keras.initializers.get("he_normal")).__name__
        'HeNormal'
    """
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"unknown initializer {identifier!r}; expected one of {sorted(_BY_NAME)}")
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"unknown initializer {identifier!r}")


def serialize(init: Initializer) -> dict[str, Any]:
    """``{"class_name": ..., "config": init.get_config()}``, as ``Model.save`` stores it.

    Example::

        >>> from fastnn import keras
        >>> keras.initializers.serialize(keras.initializers.Constant(2.0))
        {'class_name': 'Constant', 'config': {'value': 2.0}}
    """
    return {"class_name": type(init).__name__, "config": init.get_config()}


def deserialize(config: dict[str, Any]) -> Initializer:
    """The initializer that ``serialize`` described (the built-in classes only)."""
    cls = _CLASSES.get(config.get("class_name", ""))
    if cls is None:
        raise ValueError(f"unknown initializer class {config.get('class_name')!r}")
    return cls.from_config(config["config"])


def initial_value(initializer: Any, shape: Sequence[int], dtype: DTypeLike) -> np.ndarray:
    """The array ``initializer`` (a name, an object, a callable; None: glorot_uniform for
    floats, zeros otherwise) gives for ``shape``."""
    dtype = np.dtype(dtype)
    if initializer is None:
        initializer = "glorot_uniform" if dtype.kind == "f" else "zeros"
    return np.asarray(get(initializer)(tuple(shape), dtype=dtype), dtype=dtype)
