"""The base of keras.metrics: Metric (update_state / result / reset_state), Mean,
MeanMetricWrapper, and Keras's automatic names (``unique_name``) that layers and models
use too."""
from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

EPSILON = 1e-7  # Keras's backend epsilon (AUC's outermost thresholds)
_NAME_COUNTS: defaultdict[str, int] = defaultdict(int)


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def unique_name(base):
    """Keras's automatic names: ``base`` the first time in this process, then ``base_1`` ..."""
    n = _NAME_COUNTS[base]
    _NAME_COUNTS[base] += 1
    return base if n == 0 else f"{base}_{n}"


def _np(x):
    from .._tensor import Tensor
    if isinstance(x, Tensor):
        x = x._data
    x = np.asarray(x.get() if hasattr(x, "get") and not isinstance(x, np.ndarray) else x)
    return x


def _result(value):
    """A result as Keras hands it back: a float32 scalar tensor (float(), .numpy(), format)."""
    from .._tensor import Tensor
    return Tensor._wrap(np.asarray(value, dtype=np.float32))


class Metric:
    """Base class: subclasses implement update_state / result / reset_state."""

    _default_name = "metric"

    def __init__(self, name=None, dtype=None):
        self.name = name if name is not None else unique_name(self._default_name)
        self.dtype = dtype or "float32"
        self.reset_state()

    def reset_state(self):
        raise NotImplementedError

    def reset_states(self):  # the Keras 2 spelling
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        self.update_state(y_true, y_pred, sample_weight=sample_weight)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class Mean(Metric):
    """The (weighted) mean of the values seen."""

    _default_name = "mean"

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        values = _np(values).astype(np.float64)
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += values.size
            return
        w = _np(sample_weight).astype(np.float64)
        w = w.reshape(values.shape) if w.size == values.size else \
            np.broadcast_to(w.reshape(_weight_shape(w, values)), values.shape)
        self.total += float((values * w).sum())
        self.count += float(w.sum())

    def result(self):
        return _result(self.total / self.count if self.count else 0.0)


def _weight_shape(w, values):
    """``w``'s shape padded with trailing 1s so it broadcasts against ``values``."""
    return w.shape + (1,) * (values.ndim - w.ndim) if w.ndim < values.ndim else w.shape


class MeanMetricWrapper(Mean):
    """The weighted mean over samples of ``fn(y_true, y_pred)`` (one value per sample)."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        self._fn = fn
        self._fn_kwargs = kwargs
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self._fn(_np(y_true), _np(y_pred), **self._fn_kwargs), sample_weight)
