"""Keras's preprocessing layers: Rescaling (x * scale + offset) and Normalization
(per-feature standardisation learned by ``adapt``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .base_layer import Layer, _tensor

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from .._tensor import Tensor


class Rescaling(Layer):
    """``x * scale + offset``, e.g. ``Rescaling(1.0 / 255)`` to bring pixels into [0, 1].

    Args:
        scale (float): the factor.
        offset (float): added after scaling. Default: 0.
        name (str, optional): the layer's name.

    Shape:
        - Input: any shape
        - Output: the same shape

    Example::

        >>> from fastnn import keras
        >>> keras.layers.Rescaling(1.0 / 255)(fastnn.tensor([[0.0, 255.0]]))
        tensor([[0., 1.]])
    """

    def __init__(self, scale: float, offset: float = 0.0, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(activation=None, name=name, **kwargs)
        self.scale, self.offset = float(scale), float(offset)
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        return x * self.scale + self.offset


class Normalization(Layer):
    """Standardise each feature of ``axis``: ``(x - mean) / sqrt(variance)``.

    The statistics are given, or learned from data by ``adapt(data)`` (the mean and
    population variance over every other axis); they travel with ``get_config``, so a
    saved model keeps them.

    Args:
        axis (int): the feature axis. Default: -1.
        mean, variance (array-like, optional): the statistics, one per feature. Default:
            None (call ``adapt`` before use).
        name (str, optional): the layer's name.

    Shape:
        - Input: any shape, the features along ``axis``
        - Output: the same shape

    Example::

        >>> from fastnn import keras
        >>> layer = keras.layers.Normalization()
        >>> layer.adapt(np.array([[1.0], [3.0]]))
        >>> layer(fastnn.tensor([[1.0], [3.0]]))
        tensor([[-1.],
                [ 1.]])
    """

    def __init__(self, axis: int = -1, mean: ArrayLike | None = None, variance: ArrayLike | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
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

    def adapt(self, data: ArrayLike | Tensor, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the mean and variance of each feature from ``data`` (all of it at once).

        Args:
            data (array or Tensor): samples with the features along ``axis``.
            batch_size, steps: accepted for Keras compatibility (no effect).
        """
        arr = np.asarray(data._data if hasattr(data, "_data") else data, dtype=np.float64)
        ax = self.axis % arr.ndim
        dims = tuple(d for d in range(arr.ndim) if d != ax)
        self._set(arr.mean(axis=dims), arr.var(axis=dims))

    def call(self, x: Tensor) -> Tensor:
        if self.mean is None:
            raise RuntimeError(f"{self.name}: call adapt(data) first (or pass mean= and variance=)")
        shape = [1] * x.ndim
        shape[self.axis % x.ndim] = -1
        std = np.sqrt(np.maximum(self.variance._data, 1e-7)).astype(np.float32)  # Keras's floor
        return (x - self.mean.reshape(shape)) / _tensor(std).reshape(shape)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        if self.mean is not None:  # adapted statistics travel with the config, as in Keras
            cfg["mean"] = self.mean._data.tolist()
            cfg["variance"] = self.variance._data.tolist()
        return cfg
