"""The base of keras.metrics: Metric (update_state / result / reset_state), Mean,
MeanMetricWrapper, and Keras's automatic names (``unique_name``) that layers and models
use too."""
from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:
    from .._tensor import Tensor

EPSILON = 1e-7  # Keras's backend epsilon (AUC's outermost thresholds)
_NAME_COUNTS: defaultdict[str, int] = defaultdict(int)


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def unique_name(base: str) -> str:
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
    """The base class of Keras metrics: state that accumulates over batches.

    A subclass implements ``reset_state()`` (make the state), ``update_state(y_true,
    y_pred, sample_weight=None)`` (add a batch) and ``result()`` (a float32 scalar
    Tensor). Calling the metric updates it and returns the result. ``fit`` resets every
    compiled metric at the start of each epoch and logs ``result()`` under ``name``.

    Args:
        name (str, optional): the name fit logs it under. Default: the class's name in
            snake case, numbered (``_1`` ...) for later ones in the same process.
        dtype (str, optional): accepted; results are float32. Default: ``"float32"``.

    Example::

        >>> from fastnn import keras
        >>> class Largest(keras.metrics.Metric):
        ...     def reset_state(self):
        ...         self.value = 0.0
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self.value = max(self.value, float(np.max(y_pred)))
        ...     def result(self):
        ...         return self.value
        >>> m = Largest(name="largest")
        >>> m([0], [0.25]), m([0], [0.75]), m([0], [0.5])
        (0.25, 0.75, 0.75)
    """

    _default_name = "metric"

    def __init__(self, name: str | None = None, dtype: str | None = None) -> None:
        self.name = name if name is not None else unique_name(self._default_name)
        self.dtype = dtype or "float32"
        self.reset_state()

    def reset_state(self) -> None:
        """Forget every batch seen (fit calls it at the start of each epoch)."""
        raise NotImplementedError

    def reset_states(self) -> None:
        """``reset_state``, the Keras 2 spelling."""
        self.reset_state()

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add a batch: targets, predictions and optional per-sample weights (arrays, lists
        or Tensors)."""
        raise NotImplementedError

    def result(self) -> Any:
        """The metric over every batch since the last reset (a float32 scalar Tensor)."""
        raise NotImplementedError

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        self.update_state(y_true, y_pred, sample_weight=sample_weight)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (``Model.save`` stores them to rebuild the metric)."""
        return {"name": self.name, "dtype": self.dtype}

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class Mean(Metric):
    """The (weighted) mean of every value seen: ``sum(w * v) / sum(w)``.

    ``update_state(values, sample_weight=None)`` takes values of any shape (weights of
    the same shape, or one per leading entry).

    Args:
        name (str, optional): the name fit logs it under. Default: ``"mean"`` (numbered
            ``mean_1`` ... for later ones in the same process).
        dtype (str, optional): accepted; results are float32. Default: ``"float32"``.

    Example::

        >>> from fastnn import keras
        >>> m = keras.metrics.Mean()
        >>> m.update_state([1.0, 3.0])
        >>> m.update_state([5.0], sample_weight=[2.0])
        >>> m.result()
        tensor(3.5000)
    """

    _default_name = "mean"

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    # Keras's Mean takes values (and weights), not y_true / y_pred
    def update_state(self, values: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        """Add ``values`` (an array, list or Tensor of any shape), weighted by
        ``sample_weight`` (default 1 each)."""
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

    def result(self) -> Tensor:
        return _result(self.total / self.count if self.count else 0.0)


def _weight_shape(w, values):
    """``w``'s shape padded with trailing 1s so it broadcasts against ``values``."""
    return w.shape + (1,) * (values.ndim - w.ndim) if w.ndim < values.ndim else w.shape


class MeanMetricWrapper(Mean):
    """The (weighted) mean over samples of ``fn(y_true, y_pred)``: turns a per-sample
    function on NumPy arrays into a metric.

    Args:
        fn (callable): ``fn(y_true, y_pred, **kwargs)`` returning one value per sample.
        name (str, optional): the name fit logs it under. Default: ``"mean"``, numbered.
        dtype (str, optional): accepted; results are float32.
        **kwargs: passed to ``fn`` on every call.

    Example::

        >>> from fastnn import keras
        >>> m = keras.metrics.MeanMetricWrapper(lambda t, p: np.abs(t - p), name="abs_error")
        >>> m([1.0, 2.0], [1.5, 2.0])
        tensor(0.2500)
    """

    def __init__(self, fn: Callable[..., Any], name: str | None = None, dtype: str | None = None,
                 **kwargs: Any) -> None:
        self._fn = fn
        self._fn_kwargs = kwargs
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        super().update_state(self._fn(_np(y_true), _np(y_pred), **self._fn_kwargs), sample_weight)
