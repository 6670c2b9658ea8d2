"""keras.callbacks.Callback, the base class of fit's callbacks, and CallbackList, which
calls one hook on every callback in turn."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from collections.abc import Iterable


class Callback:
    """The base class of ``fit``'s callbacks: override the hooks you need.

    ``fit`` calls ``on_train_begin`` / ``on_train_end`` once, ``on_epoch_begin`` /
    ``on_epoch_end`` around each epoch (``epoch`` counts from 0) and
    ``on_train_batch_begin`` / ``on_train_batch_end`` around each batch. ``logs`` holds
    the running ``loss`` and metrics (after a batch) or the epoch's values with their
    ``val_`` versions (after an epoch); a hook may add entries, which History records.

    Attributes:
        model: the model being trained (set ``model.stop_training = True`` to stop after
            this epoch; ``model.optimizer`` is its optimizer).
        params (dict): ``epochs``, ``steps`` (batches per epoch), ``verbose``, ``batch_size``.

    Example::

        >>> from fastnn import keras
        >>> class CountBatches(keras.callbacks.Callback):
        ...     def on_train_begin(self, logs=None):
        ...         self.batches = 0
        ...     def on_train_batch_end(self, batch, logs=None):
        ...         self.batches += 1
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
        >>> _ = model.compile(optimizer="sgd", loss="mse")
        >>> counter = CountBatches()
        >>> _ = model.fit(np.zeros((10, 2), "float32"), np.zeros((10, 1), "float32"), batch_size=4,
        ...               epochs=2, verbose=0, callbacks=[counter])
        >>> counter.batches, counter.params["steps"]
        (6, 3)
    """

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        """Called by fit before training: the model the hooks see as ``self.model``."""
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        """Called by fit before training: the run's settings, ``self.params``."""
        self.params = params

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Called once when fit starts."""

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Called once when fit ends (also after ``stop_training``)."""

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Called before epoch ``epoch`` (from 0)."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Called after epoch ``epoch`` with its loss, metrics and validation values."""

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called before batch ``batch`` (from 0 in each epoch)."""

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called after batch ``batch`` with the epoch's running loss and metrics."""


class CallbackList:
    """Calls the same hook on every callback in order."""

    def __init__(self, callbacks: Iterable[Callback], model: Any, params: dict[str, Any]) -> None:
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)

    def __getattr__(self, hook: str) -> Callable[..., None]:
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args, **kwargs):
            for cb in self.callbacks:
                getattr(cb, hook)(*args, **kwargs)
        return call
