"""Keras's confusion-matrix metrics: TruePositives, FalsePositives, TrueNegatives,
FalseNegatives, Precision, Recall and AUC. They count (weighted) true/false
positives/negatives at one or more thresholds, with ``y_true != 0`` as positive and
``y_pred > threshold`` as a positive prediction, as Keras does."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._tensor import Tensor

from .metrics_base import EPSILON, Metric, _np, _result, _weight_shape


class _Confusion(Metric):
    """Weighted counts of true/false positives/negatives at one or more thresholds."""

    def __init__(self, thresholds: float | Sequence[float] | None = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None, dtype: str | None = None,
                 default: float = 0.5) -> None:
        given: Any = thresholds  # one number or a list: told apart by np.ndim below
        single = given is None or np.ndim(given) == 0
        self._single = single
        self.thresholds = [default if given is None else float(given)] if single \
            else [float(t) for t in given]
        for t in self.thresholds:
            if not (0.0 <= t <= 1.0) and not self._allow_outer:
                raise ValueError(f"{type(self).__name__}: thresholds must be in [0, 1], got {t}")
        self.top_k = top_k
        self.class_id = class_id
        super().__init__(name=name, dtype=dtype)

    _allow_outer = False

    def reset_state(self):
        n = len(self.thresholds)
        self.tp, self.fp, self.tn, self.fn = (np.zeros(n) for _ in range(4))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, y_pred = _np(y_true), _np(y_pred).astype(np.float64)
        if y_true.shape != y_pred.shape:
            y_true = y_true.reshape(y_pred.shape) if y_true.size == y_pred.size else \
                np.broadcast_to(y_true, y_pred.shape)
        w = None
        if sample_weight is not None:
            w = _np(sample_weight).astype(np.float64)
            w = w.reshape(y_pred.shape) if w.size == y_pred.size else \
                np.broadcast_to(w.reshape(_weight_shape(w, y_pred)), y_pred.shape)
        if self.top_k is not None:  # predictions outside the top k never count as positive
            kth = -np.sort(-y_pred, axis=-1)[..., self.top_k - 1:self.top_k]
            y_pred = np.where(y_pred >= kth, y_pred, -np.inf)
        if self.class_id is not None:
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
            w = None if w is None else w[..., self.class_id]
        truth = (y_true != 0).reshape(-1)
        pred = y_pred.reshape(-1)
        w = np.ones_like(pred) if w is None else w.reshape(-1).astype(np.float64)
        w_pos, w_neg = np.where(truth, w, 0.0), np.where(truth, 0.0, w)
        # one (thresholds x samples) comparison instead of a Python loop over thresholds
        predicted = (pred[None, :] > np.asarray(self.thresholds)[:, None]).astype(np.float64)
        tp, fp = predicted @ w_pos, predicted @ w_neg
        self.tp += tp
        self.fp += fp
        self.fn += w_pos.sum() - tp
        self.tn += w_neg.sum() - fp

    def _out(self, values):
        return _result(values[0] if self._single else values)

    def get_config(self) -> dict[str, Any]:
        return dict(super().get_config(), thresholds=None if self._single and self.thresholds == [0.5]
                    else (self.thresholds[0] if self._single else self.thresholds),
                    top_k=self.top_k, class_id=self.class_id)


def _div(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)


class _Count(_Confusion):
    """One of the four weighted counts, at each threshold."""

    def __init__(self, thresholds: float | Sequence[float] | None = None, name: str | None = None,
                 dtype: str | None = None) -> None:
        super().__init__(thresholds, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.pop("top_k"), cfg.pop("class_id")
        return cfg


class TruePositives(_Count):
    """The (weighted) number of positives (``y_true != 0``) predicted positive.

    Args:
        thresholds (float or list of float, optional): the probability above which a
            prediction counts as positive; a list gives one result per threshold.
            Default: 0.5.
        name (str, optional): the name fit logs it under. Default: ``"true_positives"``, numbered.
        dtype (str, optional): accepted; results are float32.

    Example::

        >>> from fastnn import keras
        >>> keras.metrics.TruePositives()([0, 1, 1, 1], [1, 0, 1, 1])
        tensor(2.)
    """
    _default_name = "true_positives"

    def result(self) -> Tensor:
        return self._out(self.tp)


class FalsePositives(_Count):
    """The (weighted) number of negatives (``y_true == 0``) predicted positive.

    Args:
        thresholds (float or list of float, optional): the probability above which a
            prediction counts as positive; a list gives one result per threshold.
            Default: 0.5.
        name (str, optional): the name fit logs it under. Default: ``"false_positives"``, numbered.
        dtype (str, optional): accepted; results are float32.

    Example::

        >>> from fastnn import keras
        >>> keras.metrics.FalsePositives()([0, 1, 1, 1], [1, 0, 1, 1])
        tensor(1.)
    """
    _default_name = "false_positives"

    def result(self) -> Tensor:
        return self._out(self.fp)


class TrueNegatives(_Count):
    """The (weighted) number of negatives (``y_true == 0``) predicted negative.

    Args:
        thresholds (float or list of float, optional): the probability above which a
            prediction counts as positive; a list gives one result per threshold.
            Default: 0.5.
        name (str, optional): the name fit logs it under. Default: ``"true_negatives"``, numbered.
        dtype (str, optional): accepted; results are float32.

    Example::

        >>> from fastnn import keras
        >>> keras.metrics.TrueNegatives()([0, 1, 1, 0], [1, 0, 1, 0])
        tensor(1.)
    """
    _default_name = "true_negatives"

    def result(self) -> Tensor:
        return self._out(self.tn)


class FalseNegatives(_Count):
    """The (weighted) number of positives (``y_true != 0``) predicted negative.

    Args:
        thresholds (float or list of float, optional): the probability above which a
            prediction counts as positive; a list gives one result per threshold.
            Default: 0.5.
        name (str, optional): the name fit logs it under. Default: ``"false_negatives"``, numbered.
        dtype (str, optional): accepted; results are float32.

    Example::

        >>> from fastnn import keras
        >>> keras.metrics.FalseNegatives()([0, 1, 1, 1], [1, 0, 1, 1])
        tensor(1.)
    """
    _default_name = "false_negatives"

    def result(self) -> Tensor:
        return self._out(self.fn)


class Precision(_Confusion):
    """The fraction of positive predictions that are right: ``tp / (tp + fp)`` (0 when
    nothing was predicted positive).

    Args:
        thresholds (float or list of float, optional): the probability above which a
            prediction counts as positive; a list gives one result per threshold.
            Default: 0.5.
        name (str, optional): the name fit logs it under. Default: ``"precision"``, numbered.
        dtype (str, optional): accepted; results are float32.
        top_k (int, optional): only the ``top_k`` highest predictions of a sample can
            count as positive. Default: None.
        class_id (int, optional): score only this class (column). Default: None.

    Example::

        >>> from fastnn import keras
        >>> keras.metrics.Precision()([0, 1, 1, 1], [1, 0, 1, 1])
        tensor(0.6667)
        >>> keras.metrics.Precision(thresholds=[0.3, 0.7])([0, 1], [0.5, 0.9])
        tensor([0.5000, 1.0000])
    """
    _default_name = "precision"

    def result(self) -> Tensor:
        return self._out(_div(self.tp, self.tp + self.fp))


class Recall(_Confusion):
    """The fraction of positives found: ``tp / (tp + fn)`` (0 when there were no positives).

    Args:
        thresholds (float or list of float, optional): the probability above which a
            prediction counts as positive; a list gives one result per threshold.
            Default: 0.5.
        name (str, optional): the name fit logs it under. Default: ``"recall"``, numbered.
        dtype (str, optional): accepted; results are float32.
        top_k (int, optional): only the ``top_k`` highest predictions of a sample can
            count as positive. Default: None.
        class_id (int, optional): score only this class (column). Default: None.

    Example::

        >>> from fastnn import keras
        >>> keras.metrics.Recall()([0, 1, 1, 1], [1, 0, 1, 1])
        tensor(0.6667)
    """
    _default_name = "recall"

    def result(self) -> Tensor:
        return self._out(_div(self.tp, self.tp + self.fn))


class AUC(_Confusion):
    """Area under the ROC or precision-recall curve, by a Riemann sum over
    ``num_thresholds`` thresholds spread evenly over [0, 1] (plus -eps and 1 + eps,
    so every prediction falls inside): Keras's approximation, not the exact rank AUC.

    Args:
        num_thresholds (int): the number of thresholds, > 1. Default: 200.
        curve (str): ``"ROC"`` (true against false positive rate) or ``"PR"``
            (precision against recall). Default: ``"ROC"``.
        summation_method (str): ``"interpolation"`` (trapezoids for ROC; Davis &
            Goadrich's interpolation for PR), ``"minoring"`` or ``"majoring"`` (the lower /
            upper step). Default: ``"interpolation"``.
        name (str, optional): the name fit logs it under. Default: ``"auc"``, numbered.
        dtype (str, optional): accepted; results are float32.
        thresholds (list of float, optional): the inner thresholds, instead of an even
            spread.
        multi_label, label_weights: not supported (False / None only).
        num_labels: accepted, no effect.
        from_logits (bool): apply a sigmoid to ``y_pred`` first. Default: False.

    Example::

        >>> from fastnn import keras
        >>> keras.metrics.AUC()([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        tensor(0.7500)
    """
    _default_name = "auc"
    _allow_outer = True

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC", summation_method: str = "interpolation",
                 name: str | None = None, dtype: str | None = None, thresholds: Sequence[float] | None = None,
                 multi_label: bool = False, num_labels: int | None = None, label_weights: Any = None,
                 from_logits: bool = False) -> None:
        curve = curve.upper()
        if curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError("AUC: summation_method must be 'interpolation', 'minoring' or "
                             f"'majoring', got {summation_method!r}")
        if multi_label or label_weights is not None:
            raise NotImplementedError("AUC: multi_label / label_weights are not supported")
        if thresholds is None:
            if num_thresholds <= 1:
                raise ValueError(f"AUC: num_thresholds must be > 1, got {num_thresholds}")
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        else:
            inner = sorted(float(t) for t in thresholds)
        self.num_thresholds = len(inner) + 2
        self.curve = curve
        self.summation_method = summation_method
        self.from_logits = from_logits
        super().__init__([0.0 - EPSILON] + inner + [1.0 + EPSILON], name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if self.from_logits:
            y_pred = 1.0 / (1.0 + np.exp(-_np(y_pred).astype(np.float64)))
        super().update_state(y_true, y_pred, sample_weight)

    def result(self) -> Tensor:
        tp, fp, tn, fn = self.tp, self.fp, self.tn, self.fn
        if self.curve == "PR" and self.summation_method == "interpolation":
            return _result(_pr_auc_interpolated(tp, fp, fn))
        if self.curve == "ROC":
            x, y = _div(fp, fp + tn), _div(tp, tp + fn)
        else:
            x, y = _div(tp, tp + fn), _div(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return _result(np.sum((x[:-1] - x[1:]) * heights))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "num_thresholds": self.num_thresholds,
                "curve": self.curve, "summation_method": self.summation_method,
                "from_logits": self.from_logits}


def _pr_auc_interpolated(tp, fp, fn):
    """PR-AUC with precision interpolated between thresholds as tp varies linearly with
    the number of predicted positives p = tp + fp (Davis & Goadrich, 2006)."""
    p = tp + fp
    dtp = tp[:-1] - tp[1:]
    dp = np.maximum(p[:-1] - p[1:], 0)
    slope = _div(dtp, dp)
    intercept = tp[1:] - slope * p[1:]
    both = (p[:-1] > 0) & (p[1:] > 0)
    ratio = np.where(both, _div(p[:-1], np.maximum(p[1:], 0)), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(np.where(ratio > 0, ratio, 1.0))
    return float(np.sum(_div(slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0))))
