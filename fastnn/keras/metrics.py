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


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """1.0 where ``y_pred`` equals ``y_true`` exactly, else 0.0, per element."""
    y_true, y_pred = _squeeze_like(y_true, y_pred)
    return (y_true == y_pred).astype(np.float64)


def binary_accuracy(y_true: np.ndarray, y_pred: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Per sample, the fraction of entries where ``y_pred > threshold`` matches ``y_true``."""
    y_true, y_pred = _squeeze_like(y_true, y_pred)
    hit = (y_true.astype(np.float64) == (y_pred > threshold)).astype(np.float64)
    return hit.mean(axis=-1) if hit.ndim > 1 else hit


def categorical_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """1.0 per sample where the argmax of ``y_pred`` is that of the one-hot ``y_true``."""
    return (np.argmax(y_true, -1) == np.argmax(y_pred, -1)).astype(np.float64)


def sparse_categorical_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """1.0 per sample where the argmax of ``y_pred`` is the integer label ``y_true``."""
    y_true = y_true.reshape(y_pred.shape[:-1]) if y_true.size == np.prod(y_pred.shape[:-1]) else y_true
    return (np.argmax(y_pred, -1) == y_true.astype(np.int64)).astype(np.float64)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal the labels exactly (for already-decided classes; see
    BinaryAccuracy, CategoricalAccuracy and SparseCategoricalAccuracy for probabilities).

    Args:
        name (str, optional): the name fit logs it under. Default: ``"accuracy"`` (numbered
            ``accuracy_1`` ... for later ones in the same process).
        dtype (str, optional): accepted; results are float32. Default: ``"float32"``.

    Example::

        >>> from fastnn import keras
        >>> keras.metrics.Accuracy()([1, 2, 3], [1, 2, 4])
        tensor(0.6667)
    """
    _default_name = "accuracy"

    def __init__(self, name: str | None = None, dtype: str | None = None) -> None:
        super().__init__(accuracy, name, dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches the 0/1 labels.

    Args:
        name (str, optional): the name fit logs it under. Default: ``"binary_accuracy"`` (numbered
            ``binary_accuracy_1`` ... for later ones in the same process).
        dtype (str, optional): accepted; results are float32. Default: ``"float32"``.
        threshold (float): the probability above which a prediction is 1. Default: 0.5.

    Example::

        >>> from fastnn import keras
        >>> keras.metrics.BinaryAccuracy()([[1], [0]], [[0.7], [0.6]])
        tensor(0.5000)
    """
    _default_name = "binary_accuracy"

    def __init__(self, name: str | None = None, dtype: str | None = None, threshold: float = 0.5) -> None:
        super().__init__(binary_accuracy, name, dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the most probable class is the one-hot label's class.

    Args:
        name (str, optional): the name fit logs it under. Default: ``"categorical_accuracy"`` (numbered
            ``categorical_accuracy_1`` ... for later ones in the same process).
        dtype (str, optional): accepted; results are float32. Default: ``"float32"``.

    Example::

        >>> from fastnn import keras
        >>> keras.metrics.CategoricalAccuracy()([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
        tensor(0.5000)
    """
    _default_name = "categorical_accuracy"

    def __init__(self, name: str | None = None, dtype: str | None = None) -> None:
        super().__init__(categorical_accuracy, name, dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the most probable class is the integer label.

    Args:
        name (str, optional): the name fit logs it under. Default: ``"sparse_categorical_accuracy"`` (numbered
            ``sparse_categorical_accuracy_1`` ... for later ones in the same process).
        dtype (str, optional): accepted; results are float32. Default: ``"float32"``.

    Example::

        >>> from fastnn import keras
        >>> keras.metrics.SparseCategoricalAccuracy()([1, 0], [[0.2, 0.8], [0.3, 0.7]])
        tensor(0.5000)
    """
    _default_name = "sparse_categorical_accuracy"

    def __init__(self, name: str | None = None, dtype: str | None = None) -> None:
        super().__init__(sparse_categorical_accuracy, name, dtype)


class MeanSquaredError(MeanMetricWrapper):
    """The mean over samples of ``mean((y_true - y_pred) ** 2)`` over the last axis.

    Args:
        name (str, optional): the name fit logs it under. Default: ``"mean_squared_error"`` (numbered
            ``mean_squared_error_1`` ... for later ones in the same process).
        dtype (str, optional): accepted; results are float32. Default: ``"float32"``.

    Example::

        >>> from fastnn import keras
        >>> keras.metrics.MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]])
        tensor(0.5000)
    """
    _default_name = "mean_squared_error"

    def __init__(self, name: str | None = None, dtype: str | None = None) -> None:
        super().__init__(lambda t, p: np.mean((p - t.reshape(p.shape)) ** 2, axis=-1), name, dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean over samples of ``mean(|y_true - y_pred|)`` over the last axis.

    Args:
        name (str, optional): the name fit logs it under. Default: ``"mean_absolute_error"`` (numbered
            ``mean_absolute_error_1`` ... for later ones in the same process).
        dtype (str, optional): accepted; results are float32. Default: ``"float32"``.

    Example::

        >>> from fastnn import keras
        >>> keras.metrics.MeanAbsoluteError()([[0.0, 1.0]], [[1.0, 3.0]])
        tensor(1.5000)
    """
    _default_name = "mean_absolute_error"

    def __init__(self, name: str | None = None, dtype: str | None = None) -> None:
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


def get(identifier: str | Metric | type[Metric]) -> Metric:
    """A metric object for a Keras metric name or class; objects pass through.

    Args:
        identifier (str, Metric or Metric class): a name (``"precision"``, ``"auc"``,
            ``"mae"`` ...), a class (instantiated with its defaults) or an object.

    Example::

        >>> from fastnn import keras
        >>> type(keras.metrics.get("auc")).__name__
        'AUC'
    """
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
