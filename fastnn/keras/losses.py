"""Keras loss and metric names mapped onto fastnn's functional ops.

A Keras model usually ends in ``softmax`` (or ``sigmoid``) and its loss takes
probabilities (``from_logits=False``). When the model can hand over the logits
before that last activation, the loss uses the fused, numerically stable
logits form (``F.cross_entropy`` / ``F.binary_cross_entropy_with_logits``):
the same value up to Keras's clipping of probabilities to [1e-7, 1 - 1e-7].
"""
from __future__ import annotations

import numpy as np

EPSILON = 1e-7  # Keras's backend epsilon, used to clip probabilities


def _F():
    from ..nn import functional
    return functional


class Loss:
    """A loss taking ``(y_true, y_pred)`` as Keras does; ``logits`` is set when
    ``y_pred`` holds pre-activation values."""

    name = "loss"
    activation: str | None = None  # the final activation whose logits this loss can take directly
    from_logits = False

    def __call__(self, y_true, y_pred, logits=False, sample_weight=None):
        raise NotImplementedError

    def per_sample(self, y_true, y_pred, logits=False):
        """The loss of each sample (Keras: the mean over the last axis of the elementwise loss)."""
        raise NotImplementedError(f"{type(self).__name__} does not support sample weights")

    def weighted(self, y_true, y_pred, logits, sample_weight):
        """Keras's weighted loss: sum(weight * per-sample loss) / number of per-sample values
        (the batch size, not the sum of the weights)."""
        from .._tensor import Tensor
        values = self.per_sample(y_true, y_pred, logits)
        w = np.asarray(sample_weight._data if isinstance(sample_weight, Tensor) else sample_weight,
                       dtype=values._data.dtype)
        if w.size == values._data.size:
            w = w.reshape(values.shape)
        elif values.ndim == 0:
            return (values * Tensor._wrap(w)).sum() / float(w.size)
        return (values * Tensor._wrap(w)).sum() / float(max(values._data.size, 1))


def _weighting(cls):
    """Let ``loss(y_true, y_pred, sample_weight=w)`` work as in Keras on a loss class."""
    call = cls.__call__

    def __call__(self, y_true, y_pred, logits=False, sample_weight=None):
        from .._tensor import Tensor
        y_true = y_true if isinstance(y_true, Tensor) else Tensor._wrap(np.asarray(y_true))
        y_pred = y_pred if isinstance(y_pred, Tensor) else Tensor._wrap(np.asarray(y_pred))
        if sample_weight is not None:
            return self.weighted(y_true, y_pred, logits, sample_weight)
        return call(self, y_true, y_pred, logits)
    cls.__call__ = __call__

    init = cls.__init__

    def __init__(self, *args, reduction="sum_over_batch_size", name=None, dtype=None, axis=-1,
                 **kwargs):
        # Keras's common loss arguments; the per-loss ones go to the class's own __init__
        if reduction not in ("sum_over_batch_size", "auto", None):
            raise NotImplementedError(f"{cls.__name__}: reduction={reduction!r} is not supported "
                                      "(only Keras's default 'sum_over_batch_size')")
        if axis != -1:
            raise NotImplementedError(f"{cls.__name__}: only axis=-1 is supported")
        init(self, *args, **kwargs)
        if name is not None:
            self.name = name
    cls.__init__ = __init__
    return cls


@_weighting
class SparseCategoricalCrossentropy(Loss):
    name = "sparse_categorical_crossentropy"
    activation = "softmax"

    def __init__(self, from_logits=False):
        self.from_logits = from_logits

    def __call__(self, y_true, y_pred, logits=False):
        F = _F()
        target = y_true.long() if y_true.dtype.kind != "i" or y_true.dtype != np.int64 else y_true
        if target.ndim == y_pred.ndim:  # Keras accepts (N, 1) labels
            target = target.reshape(-1)
        if logits or self.from_logits:
            return F.cross_entropy(y_pred, target)
        return F.nll_loss(y_pred.clamp(EPSILON, 1 - EPSILON).log(), target)

    def per_sample(self, y_true, y_pred, logits=False):
        F = _F()
        target = y_true.long()
        if target.ndim == y_pred.ndim:
            target = target.reshape(-1)
        if logits or self.from_logits:
            return F.cross_entropy(y_pred, target, reduction="none")
        return F.nll_loss(y_pred.clamp(EPSILON, 1 - EPSILON).log(), target, reduction="none")


@_weighting
class CategoricalCrossentropy(Loss):
    name = "categorical_crossentropy"
    activation = "softmax"

    def __init__(self, from_logits=False, label_smoothing=0.0):
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing

    def __call__(self, y_true, y_pred, logits=False):
        F = _F()
        target = y_true.to(y_pred.dtype)
        if self.label_smoothing:
            c = y_pred.shape[-1]
            target = target * (1 - self.label_smoothing) + self.label_smoothing / c
        if logits or self.from_logits:
            return F.cross_entropy(y_pred, target)
        p = y_pred / y_pred.sum(dim=-1, keepdim=True)
        return -(target * p.clamp(EPSILON, 1 - EPSILON).log()).sum(dim=-1).mean()

    def per_sample(self, y_true, y_pred, logits=False):
        target = y_true.to(y_pred.dtype)
        if self.label_smoothing:
            target = target * (1 - self.label_smoothing) + self.label_smoothing / y_pred.shape[-1]
        if logits or self.from_logits:
            return -(target * _F().log_softmax(y_pred, dim=-1)).sum(dim=-1)
        p = y_pred / y_pred.sum(dim=-1, keepdim=True)
        return -(target * p.clamp(EPSILON, 1 - EPSILON).log()).sum(dim=-1)


@_weighting
class BinaryCrossentropy(Loss):
    name = "binary_crossentropy"
    activation = "sigmoid"

    def __init__(self, from_logits=False, label_smoothing=0.0):
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing

    def _target(self, y_true, y_pred):
        target = y_true.to(y_pred.dtype).reshape(y_pred.shape)
        if self.label_smoothing:  # Keras: y * (1 - s) + 0.5 * s
            target = target * (1 - self.label_smoothing) + 0.5 * self.label_smoothing
        return target

    def __call__(self, y_true, y_pred, logits=False):
        F = _F()
        target = self._target(y_true, y_pred)
        if logits or self.from_logits:
            return F.binary_cross_entropy_with_logits(y_pred, target)
        return F.binary_cross_entropy(y_pred.clamp(EPSILON, 1 - EPSILON), target)

    def per_sample(self, y_true, y_pred, logits=False):
        F = _F()
        target = self._target(y_true, y_pred)
        if logits or self.from_logits:
            v = F.binary_cross_entropy_with_logits(y_pred, target, reduction="none")
        else:
            v = F.binary_cross_entropy(y_pred.clamp(EPSILON, 1 - EPSILON), target, reduction="none")
        return v.mean(dim=-1)


@_weighting
class MeanSquaredError(Loss):
    name = "mean_squared_error"

    def __call__(self, y_true, y_pred, logits=False):
        return _F().mse_loss(y_pred, y_true.to(y_pred.dtype).reshape(y_pred.shape))

    def per_sample(self, y_true, y_pred, logits=False):
        return _F().mse_loss(y_pred, y_true.to(y_pred.dtype).reshape(y_pred.shape),
                             reduction="none").mean(dim=-1)


@_weighting
class MeanAbsoluteError(Loss):
    name = "mean_absolute_error"

    def __call__(self, y_true, y_pred, logits=False):
        return _F().l1_loss(y_pred, y_true.to(y_pred.dtype).reshape(y_pred.shape))

    def per_sample(self, y_true, y_pred, logits=False):
        return _F().l1_loss(y_pred, y_true.to(y_pred.dtype).reshape(y_pred.shape),
                            reduction="none").mean(dim=-1)


@_weighting
class Huber(Loss):
    name = "huber_loss"

    def __init__(self, delta=1.0):
        self.delta = delta

    def __call__(self, y_true, y_pred, logits=False):
        return _F().huber_loss(y_pred, y_true.to(y_pred.dtype).reshape(y_pred.shape), delta=self.delta)

    def per_sample(self, y_true, y_pred, logits=False):
        return _F().huber_loss(y_pred, y_true.to(y_pred.dtype).reshape(y_pred.shape),
                               delta=self.delta, reduction="none").mean(dim=-1)


class _CallableLoss(Loss):
    """A PyTorch-style ``loss(input, target)`` (an nn loss module or a function)."""

    def __init__(self, fn):
        self.fn = fn
        self.name = getattr(fn, "__name__", type(fn).__name__)

    def __call__(self, y_true, y_pred, logits=False, sample_weight=None):
        if sample_weight is not None:
            raise ValueError("sample_weight / class_weight need a Keras loss (a name such as "
                             "'binary_crossentropy' or a keras.losses object), not a callable")
        return self.fn(y_pred, y_true)

    def weighted(self, y_true, y_pred, logits, sample_weight):
        return self(y_true, y_pred, logits, sample_weight)


_LOSSES = {
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "huber": Huber, "huber_loss": Huber,
}


def get_loss(loss):
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str):
        if loss not in _LOSSES:
            raise ValueError(f"compile: unknown loss {loss!r}; expected one of {sorted(_LOSSES)} "
                             "or a callable loss(input, target)")
        return _LOSSES[loss]()
    if callable(loss):
        return _CallableLoss(loss)
    raise TypeError(f"compile: loss must be a string, a keras Loss or a callable, got {type(loss).__name__}")


# --- metrics: NumPy functions (y_true, y_pred, logits) -> per-batch value -------------
def _accuracy_for(loss):
    if isinstance(loss, SparseCategoricalCrossentropy) or isinstance(loss, _CallableLoss):
        def sparse_accuracy(y_true, y_pred, logits):
            if y_pred.ndim == 1 or y_pred.shape[-1] == 1:  # a single output: binary
                thr = 0.0 if logits else 0.5
                return float(np.mean((y_pred.reshape(-1) > thr) == (y_true.reshape(-1) > 0.5)))
            return float(np.mean(np.argmax(y_pred, axis=-1) == y_true.reshape(-1)))
        return sparse_accuracy
    if isinstance(loss, CategoricalCrossentropy):
        return lambda y_true, y_pred, logits: float(np.mean(np.argmax(y_pred, -1) == np.argmax(y_true, -1)))
    if isinstance(loss, BinaryCrossentropy):
        return lambda y_true, y_pred, logits: float(
            np.mean((y_pred > (0.0 if logits or loss.from_logits else 0.5)) == (y_true.reshape(y_pred.shape) > 0.5)))
    return lambda y_true, y_pred, logits: float(np.mean(np.round(y_pred) == y_true.reshape(y_pred.shape)))


def get_metric(metric, loss):
    """(name, fn) for a Keras metric name or a callable fn(y_true, y_pred) on NumPy arrays."""
    if metric in ("accuracy", "acc"):
        return "accuracy", _accuracy_for(loss)
    if metric in ("mae", "mean_absolute_error"):
        return "mae", lambda t, p, logits: float(np.mean(np.abs(p - t.reshape(p.shape))))
    if metric in ("mse", "mean_squared_error"):
        return "mse", lambda t, p, logits: float(np.mean((p - t.reshape(p.shape)) ** 2))
    if callable(metric):
        return getattr(metric, "__name__", "metric"), lambda t, p, logits: float(metric(t, p))
    raise ValueError(f"compile: unknown metric {metric!r}; expected 'accuracy', 'mae', 'mse' or a callable")
