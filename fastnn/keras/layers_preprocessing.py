"""Keras's preprocessing layers: Rescaling (x * scale + offset) and Normalization
(per-feature standardisation learned by ``adapt``)."""
from __future__ import annotations

import numpy as np

from .base_layer import Layer, _tensor


class Rescaling(Layer):
    """x * scale + offset (e.g. Rescaling(1.0 / 255))."""

    def __init__(self, scale, offset=0.0, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        self.scale, self.offset = float(scale), float(offset)
        self.built = True

    def call(self, x):
        return x * self.scale + self.offset


class Normalization(Layer):
    """(x - mean) / sqrt(var) per feature of ``axis``; ``adapt(data)`` learns mean and var."""

    def __init__(self, axis=-1, mean=None, variance=None, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        self.axis = axis
        self._given = (mean, variance)
        if mean is not None:
            self._set(np.asarray(mean, np.float32), np.asarray(variance, np.float32))
        else:
            self.register_buffer("mean", None)
            self.register_buffer("variance", None)
        self.built = True

    def _set(self, mean, var):
        self.register_buffer("mean", _tensor(np.asarray(mean, np.float32).reshape(-1)))
        self.register_buffer("variance", _tensor(np.asarray(var, np.float32).reshape(-1)))

    def adapt(self, data, batch_size=None, steps=None):
        arr = np.asarray(data._data if hasattr(data, "_data") else data, dtype=np.float64)
        ax = self.axis % arr.ndim
        dims = tuple(d for d in range(arr.ndim) if d != ax)
        self._set(arr.mean(axis=dims), arr.var(axis=dims))

    def call(self, x):
        if self.mean is None:
            raise RuntimeError(f"{self.name}: call adapt(data) first (or pass mean= and variance=)")
        shape = [1] * x.ndim
        shape[self.axis % x.ndim] = -1
        std = np.sqrt(np.maximum(self.variance._data, 1e-7)).astype(np.float32)  # Keras's floor
        return (x - self.mean.reshape(shape)) / _tensor(std).reshape(shape)

    def get_config(self):
        cfg = super().get_config()
        if self.mean is not None:  # adapted statistics travel with the config, as in Keras
            cfg["mean"] = self.mean._data.tolist()
            cfg["variance"] = self.variance._data.tolist()
        return cfg
