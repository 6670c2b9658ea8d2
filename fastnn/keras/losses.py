"""Keras loss and metric names mapped onto fastnn's functional ops.

A Keras model usually ends in ``softmax`` (or ``sigmoid``) and its loss takes
probabilities (``from_logits=False``). When the model can hand over the logits
before that last activation, the loss uses the fused, numerically stable
logits form (``F.cross_entropy`` / ``F.binary_cross_entropy_with_logits``):
the same value up to Keras's clipping of probabilities to [1e-7, 1 - 1e-7].
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from .._tensor import Tensor

EPSILON = 1e-7  # Keras's backend epsilon, used to clip probabilities


def _F():
    from ..nn import functional
    return functional


class Loss:
    """The base class of Keras losses: ``loss(y_true, y_pred)`` is a scalar Tensor.

    A loss class defines ``__call__(y_true, y_pred, logits=False)`` (``logits`` is set
    when fit hands over the values before the model's last activation) and, to support
    sample weights, ``per_sample``. The options every Keras loss takes
    (``reduction``, ``name``, ``dtype``, ``axis``) are checked by ``_keras_options``.
    """

    name = "loss"
    activation: str | None = None  # the final activation whose logits this loss can take directly
    from_logits = False

    def __init__(self, *, reduction: str | None = "sum_over_batch_size", name: str | None = None,
                 dtype: Any = None, axis: int = -1) -> None:
        self._keras_options(reduction, name, dtype, axis)

    def _keras_options(self, reduction: str | None, name: str | None, dtype: Any, axis: int) -> None:
        """Keras's common loss arguments: only the default reduction and axis=-1 are supported."""
        cls = type(self).__name__
        if reduction not in ("sum_over_batch_size", "auto", None):
            raise NotImplementedError(f"{cls}: reduction={reduction!r} is not supported "
                                      "(only Keras's default 'sum_over_batch_size')")
        if axis != -1:
            raise NotImplementedError(f"{cls}: only axis=-1 is supported")
        if name is not None:
            self.name = name

    def __call__(self, y_true: Any, y_pred: Any, logits: bool = False, sample_weight: Any = None) -> Tensor:
        raise NotImplementedError

    def per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool = False) -> Tensor:
        """The loss of each sample (Keras: the mean over the last axis of the elementwise loss)."""
        raise NotImplementedError(f"{type(self).__name__} does not support sample weights")

    def weighted(self, y_true: Tensor, y_pred: Tensor, logits: bool, sample_weight: Any) -> Tensor:
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


def _weighting(cls: type[Loss]) -> type[Loss]:
    """Let ``loss(y_true, y_pred, sample_weight=w)`` work as in Keras on a loss class, with
    arrays or Tensors."""
    call = cls.__call__

    def __call__(self: Loss, y_true: ArrayLike | Tensor, y_pred: ArrayLike | Tensor, logits: bool = False,
                 sample_weight: ArrayLike | Tensor | None = None) -> Tensor:
        from .._tensor import Tensor
        y_true = y_true if isinstance(y_true, Tensor) else Tensor._wrap(np.asarray(y_true))
        y_pred = y_pred if isinstance(y_pred, Tensor) else Tensor._wrap(np.asarray(y_pred))
        if sample_weight is not None:
            return self.weighted(y_true, y_pred, logits, sample_weight)
        return call(self, y_true, y_pred, logits)
    cls.__call__ = __call__  # type: ignore[method-assign]  # the same call, arrays accepted
    return cls


@_weighting
class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy between integer class labels and predicted class probabilities.

    ``mean(-log p[label])``, the probabilities clipped to [1e-7, 1 - 1e-7] as Keras does;
    with ``from_logits`` (or when fit passes the logits of a final softmax) the fused,
    stable ``F.cross_entropy``.

    Args:
        from_logits (bool): ``y_pred`` holds logits, not probabilities. Default: False.
        reduction (str): only Keras's default ``"sum_over_batch_size"`` (the mean) is
            supported. Default: ``"sum_over_batch_size"``.
        name (str, optional): the name fit reports. Default: ``"sparse_categorical_crossentropy"``.
        dtype, axis: accepted for Keras compatibility (axis -1 only).

    Call arguments:
        y_true (array or Tensor): the targets: ``(N,)`` or ``(N, 1)`` class indices.
        y_pred (array or Tensor): the model's outputs: ``(N, C)`` probabilities (or logits).
        sample_weight (array, optional): ``(N,)`` weights; the weighted sum is divided by
            the number of samples, as Keras.

    Example::

        >>> from fastnn import keras
        >>> loss = keras.losses.SparseCategoricalCrossentropy()
        >>> loss(np.array([0, 1]), np.array([[0.9, 0.1], [0.2, 0.8]]))
        tensor(0.1643, dtype=fastnn.float64)
        >>> keras.losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([0]), np.array([[0.0, 0.0]]))
        tensor(0.6931, dtype=fastnn.float64)
    """

    name = "sparse_categorical_crossentropy"
    activation = "softmax"

    def __init__(self, from_logits: bool = False, *, reduction: str | None = "sum_over_batch_size",
                 name: str | None = None, dtype: Any = None, axis: int = -1) -> None:
        self._keras_options(reduction, name, dtype, axis)
        self.from_logits = from_logits

    def __call__(self, y_true, y_pred, logits=False):
        F = _F()
        target = y_true.long() if y_true.dtype.kind != "i" or y_true.dtype != np.int64 else y_true
        if target.ndim == y_pred.ndim:  # Keras accepts (N, 1) labels
            target = target.reshape(-1)
        if logits or self.from_logits:
            return F.cross_entropy(y_pred, target)
        return F.nll_loss(y_pred.clamp(EPSILON, 1 - EPSILON).log(), target)

    def per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool = False) -> Tensor:
        F = _F()
        target = y_true.long()
        if target.ndim == y_pred.ndim:
            target = target.reshape(-1)
        if logits or self.from_logits:
            return F.cross_entropy(y_pred, target, reduction="none")
        return F.nll_loss(y_pred.clamp(EPSILON, 1 - EPSILON).log(), target, reduction="none")


@_weighting
class CategoricalCrossentropy(Loss):
    """Cross-entropy between one-hot (or soft) targets and predicted class probabilities.

    ``mean(-sum(y_true * log p))`` with the predictions renormalised and clipped as
    Keras does; with ``from_logits`` the fused ``F.cross_entropy``.

    Args:
        from_logits (bool): ``y_pred`` holds logits. Default: False.
        label_smoothing (float): mix the targets with the uniform distribution,
            ``y * (1 - s) + s / C``. Default: 0.
        reduction (str): only Keras's default ``"sum_over_batch_size"`` (the mean) is
            supported. Default: ``"sum_over_batch_size"``.
        name (str, optional): the name fit reports. Default: ``"categorical_crossentropy"``.
        dtype, axis: accepted for Keras compatibility (axis -1 only).

    Call arguments:
        y_true (array or Tensor): the targets: ``(N, C)`` one-hot rows.
        y_pred (array or Tensor): the model's outputs: ``(N, C)`` probabilities (or logits).
        sample_weight (array, optional): ``(N,)`` weights; the weighted sum is divided by
            the number of samples, as Keras.

    Example::

        >>> from fastnn import keras
        >>> keras.losses.CategoricalCrossentropy()(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]]))
        tensor(0.6931, dtype=fastnn.float64)
    """

    name = "categorical_crossentropy"
    activation = "softmax"

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, *,
                 reduction: str | None = "sum_over_batch_size", name: str | None = None,
                 dtype: Any = None, axis: int = -1) -> None:
        self._keras_options(reduction, name, dtype, axis)
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

    def per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool = False) -> Tensor:
        target = y_true.to(y_pred.dtype)
        if self.label_smoothing:
            target = target * (1 - self.label_smoothing) + self.label_smoothing / y_pred.shape[-1]
        if logits or self.from_logits:
            return -(target * _F().log_softmax(y_pred, dim=-1)).sum(dim=-1)
        p = y_pred / y_pred.sum(dim=-1, keepdim=True)
        return -(target * p.clamp(EPSILON, 1 - EPSILON).log()).sum(dim=-1)


@_weighting
class BinaryCrossentropy(Loss):
    """Cross-entropy between 0/1 targets and predicted probabilities, elementwise:
    ``mean(-(y log p + (1 - y) log(1 - p)))``.

    The probabilities are clipped as Keras does; with ``from_logits`` (or a final
    sigmoid's logits from fit) the stable ``F.binary_cross_entropy_with_logits``.

    Args:
        from_logits (bool): ``y_pred`` holds logits. Default: False.
        label_smoothing (float): targets become ``y * (1 - s) + 0.5 * s``. Default: 0.
        reduction (str): only Keras's default ``"sum_over_batch_size"`` (the mean) is
            supported. Default: ``"sum_over_batch_size"``.
        name (str, optional): the name fit reports. Default: ``"binary_crossentropy"``.
        dtype, axis: accepted for Keras compatibility (axis -1 only).

    Call arguments:
        y_true (array or Tensor): the targets, the shape of ``y_pred`` (or ``(N,)`` for ``(N, 1)``).
        y_pred (array or Tensor): the model's outputs: probabilities (or logits).
        sample_weight (array, optional): ``(N,)`` weights; the weighted sum is divided by
            the number of samples, as Keras.

    Example::

        >>> from fastnn import keras
        >>> keras.losses.BinaryCrossentropy()(np.array([[1.0], [0.0]]), np.array([[0.5], [0.5]]))
        tensor(0.6931, dtype=fastnn.float64)
    """

    name = "binary_crossentropy"
    activation = "sigmoid"

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, *,
                 reduction: str | None = "sum_over_batch_size", name: str | None = None,
                 dtype: Any = None, axis: int = -1) -> None:
        self._keras_options(reduction, name, dtype, axis)
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

    def per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool = False) -> Tensor:
        F = _F()
        target = self._target(y_true, y_pred)
        if logits or self.from_logits:
            v = F.binary_cross_entropy_with_logits(y_pred, target, reduction="none")
        else:
            v = F.binary_cross_entropy(y_pred.clamp(EPSILON, 1 - EPSILON), target, reduction="none")
        return v.mean(dim=-1)


@_weighting
class MeanSquaredError(Loss):
    """The mean of the squared differences: ``mean((y_true - y_pred) ** 2)``.

    Args:
        reduction (str): only Keras's default ``"sum_over_batch_size"`` (the mean) is
            supported. Default: ``"sum_over_batch_size"``.
        name (str, optional): the name fit reports. Default: ``"mean_squared_error"``.
        dtype, axis: accepted for Keras compatibility (axis -1 only).

    Call arguments:
        y_true (array or Tensor): the targets, the shape of ``y_pred``.
        y_pred (array or Tensor): the model's outputs.
        sample_weight (array, optional): ``(N,)`` weights; the weighted sum is divided by
            the number of samples, as Keras.

    Example::

        >>> from fastnn import keras
        >>> keras.losses.MeanSquaredError()(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]))
        tensor(0.5000, dtype=fastnn.float64)
        >>> keras.losses.MeanSquaredError()(np.array([[0.0], [2.0]]), np.array([[1.0], [1.0]]),
        ...                                 sample_weight=np.array([1.0, 0.0]))
        tensor(0.5000, dtype=fastnn.float64)
    """

    name = "mean_squared_error"

    def __call__(self, y_true, y_pred, logits=False):
        return _F().mse_loss(y_pred, y_true.to(y_pred.dtype).reshape(y_pred.shape))

    def per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool = False) -> Tensor:
        return _F().mse_loss(y_pred, y_true.to(y_pred.dtype).reshape(y_pred.shape),
                             reduction="none").mean(dim=-1)


@_weighting
class MeanAbsoluteError(Loss):
    """The mean of the absolute differences: ``mean(|y_true - y_pred|)``.

    Args:
        reduction (str): only Keras's default ``"sum_over_batch_size"`` (the mean) is
            supported. Default: ``"sum_over_batch_size"``.
        name (str, optional): the name fit reports. Default: ``"mean_absolute_error"``.
        dtype, axis: accepted for Keras compatibility (axis -1 only).

    Call arguments:
        y_true (array or Tensor): the targets, the shape of ``y_pred``.
        y_pred (array or Tensor): the model's outputs.
        sample_weight (array, optional): ``(N,)`` weights; the weighted sum is divided by
            the number of samples, as Keras.

    Example::

        >>> from fastnn import keras
        >>> keras.losses.MeanAbsoluteError()(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]))
        tensor(0.5000, dtype=fastnn.float64)
    """

    name = "mean_absolute_error"

    def __call__(self, y_true, y_pred, logits=False):
        return _F().l1_loss(y_pred, y_true.to(y_pred.dtype).reshape(y_pred.shape))

    def per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool = False) -> Tensor:
        return _F().l1_loss(y_pred, y_true.to(y_pred.dtype).reshape(y_pred.shape),
                            reduction="none").mean(dim=-1)


@_weighting
class Huber(Loss):
    """The Huber loss: ``0.5 * d ** 2`` where ``|d| <= delta``, ``delta * (|d| - 0.5 * delta)``
    beyond, for ``d = y_true - y_pred``, averaged.

    Args:
        delta (float): where the loss turns from quadratic to linear. Default: 1.
        reduction (str): only Keras's default ``"sum_over_batch_size"`` (the mean) is
            supported. Default: ``"sum_over_batch_size"``.
        name (str, optional): the name fit reports. Default: ``"huber_loss"``.
        dtype, axis: accepted for Keras compatibility (axis -1 only).

    Call arguments:
        y_true (array or Tensor): the targets, the shape of ``y_pred``.
        y_pred (array or Tensor): the model's outputs.
        sample_weight (array, optional): ``(N,)`` weights; the weighted sum is divided by
            the number of samples, as Keras.

    Example::

        >>> from fastnn import keras
        >>> keras.losses.Huber()(np.array([[0.0, 0.0]]), np.array([[0.5, 3.0]]))
        tensor(1.3125, dtype=fastnn.float64)
    """

    name = "huber_loss"

    def __init__(self, delta: float = 1.0, *, reduction: str | None = "sum_over_batch_size",
                 name: str | None = None, dtype: Any = None, axis: int = -1) -> None:
        self._keras_options(reduction, name, dtype, axis)
        self.delta = delta

    def __call__(self, y_true, y_pred, logits=False):
        return _F().huber_loss(y_pred, y_true.to(y_pred.dtype).reshape(y_pred.shape), delta=self.delta)

    def per_sample(self, y_true: Tensor, y_pred: Tensor, logits: bool = False) -> Tensor:
        return _F().huber_loss(y_pred, y_true.to(y_pred.dtype).reshape(y_pred.shape),
                               delta=self.delta, reduction="none").mean(dim=-1)


class _CallableLoss(Loss):
    """A PyTorch-style ``loss(input, target)`` (an nn loss module or a function)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
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


def get_loss(loss: str | Loss | Callable[..., Any]) -> Loss:
    """The Loss object for what ``compile(loss=...)`` was given.

    Args:
        loss (str, Loss or callable): a name (``"sparse_categorical_crossentropy"``,
            ``"categorical_crossentropy"``, ``"binary_crossentropy"``, ``"mse"`` /
            ``"mean_squared_error"``, ``"mae"`` / ``"mean_absolute_error"``, ``"huber"``),
            a Loss object (returned as is), or a PyTorch-style ``fn(input, target)``.

    Example::

        >>> from fastnn.keras.losses import get_loss
        >>> type(get_loss("mse")).__name__
        'MeanSquaredError'
    """
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


def get_metric(metric: str | Callable[..., Any], loss: Loss) -> tuple[str, Callable[..., float]]:
    """``(name, fn(y_true, y_pred, logits))`` for a Keras metric name (``"accuracy"`` /
    ``"acc"``, ``"mae"``, ``"mse"``) or a callable ``fn(y_true, y_pred)`` on NumPy arrays.

    Accuracy follows the loss, as in Keras: argmax against labels for the sparse
    cross-entropy, against one-hot rows for the categorical one, a 0.5 threshold (0 for
    logits) for the binary one.
    """
    if metric in ("accuracy", "acc"):
        return "accuracy", _accuracy_for(loss)
    if metric in ("mae", "mean_absolute_error"):
        return "mae", lambda t, p, logits: float(np.mean(np.abs(p - t.reshape(p.shape))))
    if metric in ("mse", "mean_squared_error"):
        return "mse", lambda t, p, logits: float(np.mean((p - t.reshape(p.shape)) ** 2))
    if callable(metric):
        return getattr(metric, "__name__", "metric"), lambda t, p, logits: float(metric(t, p))
    raise ValueError(f"compile: unknown metric {metric!r}; expected 'accuracy', 'mae', 'mse' or a callable")
