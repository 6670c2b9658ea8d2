"""keras.metrics: stateful metric objects with Keras 3's names, formulas and API.

A metric accumulates over batches: ``update_state(y_true, y_pred, sample_weight=None)``,
``result()``, ``reset_state()``; calling it updates and returns the result. ``fit``
resets every metric at the start of each epoch and logs ``result()`` under the
metric's ``name`` (``precision``, ``auc``, ... and, as Keras, ``precision_1`` for a
second Precision made in the same process unless given a name).

Inputs are NumPy arrays, lists or fastnn Tensors; the state is NumPy (float64 counts).
Confusion metrics (TruePositives ... Precision, Recall, AUC) treat ``y_true != 0``
as positive and ``y_pred > threshold`` as a positive prediction, as Keras does.
"""
from __future__ import annotations

import numpy as np

from .metrics_base import (_NAME_COUNTS, EPSILON, Mean, MeanMetricWrapper, Metric, _np, _result,  # noqa: F401
                           _snake, _weight_shape, unique_name)
from .metrics_confusion import (AUC, FalseNegatives, FalsePositives, Precision, Recall,  # noqa: F401
                                TrueNegatives, TruePositives, _Confusion, _Count, _div,
                                _pr_auc_interpolated)


def _squeeze_like(y_true, y_pred):
    """Keras drops a trailing axis of 1 from labels given as (N, 1) against (N,) predictions."""
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_pred = y_pred[..., 0]
    return y_true, y_pred


def accuracy(y_true, y_pred):
    y_true, y_pred = _squeeze_like(y_true, y_pred)
    return (y_true == y_pred).astype(np.float64)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_true, y_pred = _squeeze_like(y_true, y_pred)
    hit = (y_true.astype(np.float64) == (y_pred > threshold)).astype(np.float64)
    return hit.mean(axis=-1) if hit.ndim > 1 else hit


def categorical_accuracy(y_true, y_pred):
    return (np.argmax(y_true, -1) == np.argmax(y_pred, -1)).astype(np.float64)


def sparse_categorical_accuracy(y_true, y_pred):
    y_true = y_true.reshape(y_pred.shape[:-1]) if y_true.size == np.prod(y_pred.shape[:-1]) else y_true
    return (np.argmax(y_pred, -1) == y_true.astype(np.int64)).astype(np.float64)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly."""
    _default_name = "accuracy"

    def __init__(self, name=None, dtype=None):
        super().__init__(accuracy, name, dtype)


class BinaryAccuracy(MeanMetricWrapper):
    _default_name = "binary_accuracy"

    def __init__(self, name=None, dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name, dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    _default_name = "categorical_accuracy"

    def __init__(self, name=None, dtype=None):
        super().__init__(categorical_accuracy, name, dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    _default_name = "sparse_categorical_accuracy"

    def __init__(self, name=None, dtype=None):
        super().__init__(sparse_categorical_accuracy, name, dtype)


class MeanSquaredError(MeanMetricWrapper):
    _default_name = "mean_squared_error"

    def __init__(self, name=None, dtype=None):
        super().__init__(lambda t, p: np.mean((p - t.reshape(p.shape)) ** 2, axis=-1), name, dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    _default_name = "mean_absolute_error"

    def __init__(self, name=None, dtype=None):
        super().__init__(lambda t, p: np.mean(np.abs(p - t.reshape(p.shape)), axis=-1), name, dtype)


# --- lookup -------------------------------------------------------------------------
_BY_NAME = {
    "accuracy": Accuracy, "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "precision": Precision, "recall": Recall, "auc": AUC,
    "true_positives": TruePositives, "false_positives": FalsePositives,
    "true_negatives": TrueNegatives, "false_negatives": FalseNegatives,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
}


def get(identifier):
    """A metric object for a Keras metric name or class; objects pass through."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str) and identifier in _BY_NAME:
        return _BY_NAME[identifier](name=identifier if identifier in ("mse", "mae") else None)
    raise ValueError(f"unknown metric {identifier!r}; expected one of {sorted(_BY_NAME)}, "
                     "a keras.metrics.Metric or a callable")


__all__ = ["Metric", "Mean", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
           "CategoricalAccuracy", "SparseCategoricalAccuracy", "MeanSquaredError",
           "MeanAbsoluteError", "TruePositives", "FalsePositives", "TrueNegatives",
           "FalseNegatives", "Precision", "Recall", "AUC", "get"]
