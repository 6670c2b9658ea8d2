"""keras.initializers: Keras's weight initializers as objects and by name.

Fans are computed from the weight's Keras layout (a kernel's last two axes are
(in, out), leading axes the receptive field), so a layer draws its kernel in that
layout and transposes it to PyTorch's for storage. The *_normal variance-scaling
initializers draw from a normal truncated at two standard deviations, as Keras does.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform",
           "TruncatedNormal", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal",
           "LecunUniform", "LecunNormal", "Orthogonal", "get", "serialize", "deserialize"]


def fans(shape):
    """Keras's (fan_in, fan_out) of a weight in Keras layout."""
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
    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype or np.float32)


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype or np.float32)


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = float(value)

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype or np.float32)

    def get_config(self):
        return {"value": self.value}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=None):
        return (self.mean + self.stddev * _gen().standard_normal(shape)).astype(dtype or np.float32)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomNormal):
    def __call__(self, shape, dtype=None):
        return (self.mean + _truncated(shape, self.stddev)).astype(dtype or np.float32)


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape, dtype=None):
        return _gen().uniform(self.minval, self.maxval, size=shape).astype(dtype or np.float32)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval}


class _VarianceScaling(Initializer):
    """Variance ``scale / fan`` (fan = fan_in, fan_out or their mean), uniform or truncated normal."""
    scale, mode, distribution = 1.0, "fan_in", "uniform"

    def __init__(self, seed=None):
        pass

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = fans(tuple(shape))
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        var = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * var)
            out = _gen().uniform(-limit, limit, size=shape)
        else:  # the 0.8796 corrects the standard deviation lost to the truncation
            out = _truncated(shape, math.sqrt(var) / 0.87962566103423978)
        return out.astype(dtype or np.float32)


class GlorotUniform(_VarianceScaling):
    mode = "fan_avg"


class GlorotNormal(_VarianceScaling):
    mode, distribution = "fan_avg", "normal"


class HeUniform(_VarianceScaling):
    scale = 2.0


class HeNormal(_VarianceScaling):
    scale, distribution = 2.0, "normal"


class LecunUniform(_VarianceScaling):
    pass


class LecunNormal(_VarianceScaling):
    distribution = "normal"


class Orthogonal(Initializer):
    def __init__(self, gain=1.0, seed=None):
        self.gain = float(gain)

    def __call__(self, shape, dtype=None):
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        a = _gen().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        q = q if rows >= cols else q.T
        return (self.gain * q[:rows, :cols]).reshape(shape).astype(dtype or np.float32)

    def get_config(self):
        return {"gain": self.gain}


_BY_NAME = {"zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
            "random_uniform": RandomUniform, "uniform": RandomUniform,
            "truncated_normal": TruncatedNormal, "glorot_uniform": GlorotUniform,
            "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
            "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal, "orthogonal": Orthogonal}
_CLASSES = {cls.__name__: cls for cls in _BY_NAME.values()}


def get(identifier):
    """An initializer for a Keras name ('he_normal', ...), a config dict, or an object/callable."""
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"unknown initializer {identifier!r}; expected one of {sorted(_BY_NAME)}")
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"unknown initializer {identifier!r}")


def serialize(init):
    return {"class_name": type(init).__name__, "config": init.get_config()}


def deserialize(config):
    cls = _CLASSES.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"unknown initializer class {config.get('class_name')!r}")
    return cls.from_config(config["config"])


def initial_value(initializer, shape, dtype):
    """The array ``initializer`` (a name, an object, a callable; None: glorot_uniform for
    floats, zeros otherwise) gives for ``shape``."""
    dtype = np.dtype(dtype)
    if initializer is None:
        initializer = "glorot_uniform" if dtype.kind == "f" else "zeros"
    return np.asarray(get(initializer)(tuple(shape), dtype=dtype), dtype=dtype)
