"""The Keras callbacks that watch a logged quantity (``monitor``, e.g. ``val_loss``):
EarlyStopping, ModelCheckpoint (with save_best_only) and ReduceLROnPlateau. ``mode="auto"``
maximises accuracies and AUCs and minimises everything else, as Keras."""
from __future__ import annotations

import os
from typing import Any

from .callbacks_base import Callback


def _monitor_op(mode: str, monitor: str) -> str:
    """``"min"`` or ``"max"``: ``mode``, or for "auto" what Keras picks from the name."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        mode = "max" if ("acc" in monitor or monitor.endswith("auc")) else "min"
    return mode


class _MonitorMixin:
    """The watched quantity: its name, direction and the smallest change that counts."""

    def _setup_monitor(self, monitor: str, mode: str, min_delta: float) -> None:
        self.monitor = monitor
        self.mode = _monitor_op(mode, monitor)
        self.min_delta = abs(min_delta)

    def _improved(self, current: float, best: float | None) -> bool:
        if best is None:
            return True
        if self.mode == "min":
            return current < best - self.min_delta
        return current > best + self.min_delta

    def _current(self, logs: dict[str, Any] | None) -> Any:
        value = (logs or {}).get(self.monitor)
        if value is None:
            available = ", ".join(sorted(logs or {}))
            print(f"{type(self).__name__}: metric {self.monitor!r} is not available "
                  f"(available: {available}); skipping")
        return value


class EarlyStopping(Callback, _MonitorMixin):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    Args:
        monitor (str): the logged quantity to watch. Default: ``"val_loss"``.
        min_delta (float): the smallest change that counts as an improvement. Default: 0.
        patience (int): epochs without improvement before stopping. Default: 0.
        verbose (int): 1 prints when it stops. Default: 0.
        mode (str): ``"min"``, ``"max"``, or ``"auto"`` (max for accuracies and AUCs).
            Default: ``"auto"``.
        baseline (float, optional): a value to beat before anything counts. Default: None.
        restore_best_weights (bool): on stopping, load the weights of the best epoch.
            Default: False.
        start_from_epoch (int): epochs to run before watching. Default: 0.

    Example::

        >>> from fastnn import keras
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, kernel_initializer="zeros")])
        >>> model = model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
        >>> x, y = np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32")  # the loss stays 0
        >>> stop = keras.callbacks.EarlyStopping(monitor="loss", patience=2)
        >>> model.fit(x, y, epochs=10, verbose=0, callbacks=[stop]).epoch
        [0, 1, 2]
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0) -> None:
        super().__init__()
        self._setup_monitor(monitor, mode, min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self.baseline
        self.best_weights: dict[str, Any] | None = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        current = self._current(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self._improved(current, self.best):
            self.best = current
            self.best_epoch = epoch
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = {k: v._data.copy()
                                     for k, v in self.model._keras_module().state_dict().items()}
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose:
                    print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
                self.model._keras_module().load_state_dict(self.best_weights)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")


class ModelCheckpoint(Callback, _MonitorMixin):
    """Save the model after epochs.

    ``filepath`` may hold format fields filled from the epoch (1-based) and the
    logs, e.g. ``"ckpt-{epoch:02d}-{val_loss:.2f}.safetensors"``. A path ending in
    ``.keras`` gets the whole model (``Model.save``: architecture + weights, loadable
    with ``keras.models.load_model``) unless ``save_weights_only``; any other path,
    the module's state_dict (safetensors layout; fastnn never pickles a model).

    Args:
        filepath (str or os.PathLike): where to save, with optional format fields.
        monitor (str): the quantity ``save_best_only`` watches. Default: ``"val_loss"``.
        verbose (int): 1 prints each save. Default: 0.
        save_best_only (bool): save only when ``monitor`` improves. Default: False.
        save_weights_only (bool): write the state_dict even for a ``.keras`` path.
            Default: False.
        mode (str): ``"min"``, ``"max"`` or ``"auto"``. Default: ``"auto"``.
        save_freq (str): only ``"epoch"`` is supported. Default: ``"epoch"``.
        initial_value_threshold (float, optional): a value to beat before the first save.
            Default: None.

    Example::

        >>> import os, tempfile
        >>> from fastnn import keras
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, kernel_initializer="zeros")])
        >>> model = model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
        >>> x, y = np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32")  # the loss stays 0
        >>> tmp = tempfile.TemporaryDirectory()
        >>> save = keras.callbacks.ModelCheckpoint(os.path.join(tmp.name, "ckpt-{epoch:02d}.keras"))
        >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[save])
        >>> sorted(os.listdir(tmp.name))
        ['ckpt-01.keras', 'ckpt-02.keras']
        >>> tmp.cleanup()
    """

    def __init__(self, filepath: str | os.PathLike[str], monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False, mode: str = "auto",
                 save_freq: str = "epoch", initial_value_threshold: float | None = None) -> None:
        super().__init__()
        if save_freq != "epoch":
            raise ValueError("ModelCheckpoint: only save_freq='epoch' is supported")
        self.filepath = os.fspath(filepath)
        self._setup_monitor(monitor, mode, 0)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.best = initial_value_threshold

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        from .. import io
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = self._current(logs)
            if current is None or not self._improved(current, self.best):
                return
            if self.verbose:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best} to "
                      f"{current:.5f}, saving model to {path}")
            self.best = current
        elif self.verbose:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        if path.endswith(".keras") and not self.save_weights_only and hasattr(self.model, "save"):
            self.model.save(path)
        else:
            io.save(self.model._keras_module().state_dict(), path)


class ReduceLROnPlateau(Callback, _MonitorMixin):
    """Multiply the learning rate by ``factor`` when ``monitor`` stalls for ``patience``
    epochs; the rate of each epoch is logged as ``learning_rate``.

    Args:
        monitor (str): the quantity to watch. Default: ``"val_loss"``.
        factor (float): the multiplier, < 1. Default: 0.1.
        patience (int): epochs without improvement before a reduction. Default: 10.
        verbose (int): 1 prints each reduction. Default: 0.
        mode (str): ``"min"``, ``"max"`` or ``"auto"``. Default: ``"auto"``.
        min_delta (float): the smallest change that counts as an improvement. Default: 1e-4.
        cooldown (int): epochs to wait after a reduction before counting again. Default: 0.
        min_lr (float): the rate never goes below this. Default: 0.

    Example::

        >>> from fastnn import keras
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, kernel_initializer="zeros")])
        >>> model = model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
        >>> x, y = np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32")  # the loss stays 0
        >>> reduce = keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
        >>> model.fit(x, y, epochs=3, verbose=0, callbacks=[reduce]).history["learning_rate"]
        [0.1, 0.1, 0.05]
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0) -> None:
        super().__init__()
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau: factor must be < 1")
        self._setup_monitor(monitor, mode, min_delta)
        self.factor, self.patience, self.verbose = factor, patience, verbose
        self.cooldown, self.min_lr = cooldown, min_lr

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.best, self.wait, self.cooldown_counter = None, 0, 0

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is not None:  # Keras 3 logs the learning rate of the epoch that just ran
            logs["learning_rate"] = float(self.model.optimizer.param_groups[0]["lr"])
        current = self._current(logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current, self.best):
            self.best, self.wait = current, 0
            return
        if self.cooldown_counter > 0:
            return
        self.wait += 1
        if self.wait >= self.patience:
            for group in self.model.optimizer.param_groups:
                old = float(group["lr"])
                new = max(old * self.factor, self.min_lr)
                if old - new > 1e-12:
                    group["lr"] = new
                    if self.verbose:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
            self.cooldown_counter, self.wait = self.cooldown, 0
