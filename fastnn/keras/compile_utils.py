"""What compile() turns its arguments into: stateful metric objects for metric names,
Metric classes and plain functions (accuracy's meaning depends on the loss, as in Keras)."""
from __future__ import annotations

import numpy as np

from . import metrics as metrics_mod
from .losses import get_metric


def _single(value, names, what):
    """A one-element list or {output name: value} given for a single-output model."""
    if isinstance(value, dict):
        if set(value) != set(names):
            raise ValueError(f"compile: {what} keys {sorted(value)} do not name the output {names}")
        return value[names[0]]
    if len(value) != 1:
        raise ValueError(f"compile: {len(value)} {what} entries for a model with one output")
    return value[0]


class _BatchMean(metrics_mod.Mean):
    """A metric given as fn(y_true, y_pred, logits) -> batch value, averaged over samples."""

    def __init__(self, name, fn):
        self._fn = fn
        super().__init__(name=name)

    def update_state(self, y_true, y_pred, sample_weight=None, logits=False):
        n = len(y_pred)
        super().update_state(np.array([self._fn(y_true, y_pred, logits)]), np.array([n]))


def _metric_object(metric, loss):
    """A stateful metric for what compile() was given (a name, a Metric, a callable)."""
    if isinstance(metric, metrics_mod.Metric):
        return metric
    if isinstance(metric, type) and issubclass(metric, metrics_mod.Metric):
        return metric()
    if isinstance(metric, str) and metric in ("accuracy", "acc", "mae", "mean_absolute_error",
                                              "mse", "mean_squared_error"):
        return _BatchMean(*get_metric(metric, loss))  # accuracy's meaning depends on the loss
    if isinstance(metric, str):
        return metrics_mod.get(metric)
    if callable(metric):
        return _BatchMean(*get_metric(metric, loss))
    raise ValueError(f"compile: unknown metric {metric!r}")


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
