"""Keras-style callbacks for ``fit``: History, EarlyStopping, ModelCheckpoint,
LearningRateScheduler, ReduceLROnPlateau, CSVLogger, LambdaCallback.

A callback sees the training loop through ``self.model`` (the keras Model, with
``.module``, ``.optimizer`` and ``.stop_training``) and the ``logs`` dict of the
epoch or batch (``loss``, metrics, ``val_`` entries).
"""
from __future__ import annotations

import csv
import math
import os

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .callbacks_base import Callback, CallbackList  # noqa: F401
from .callbacks_monitor import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, _monitor_op, _MonitorMixin  # noqa: F401

if TYPE_CHECKING:
    from collections.abc import Sequence


class History(Callback):
    """Records every epoch's logs; ``fit`` adds one and returns it.

    Attributes:
        history (dict): each logged name (``loss``, metrics, ``val_`` entries, a
            scheduler's ``learning_rate``) -> the list of its values, one per epoch.
        epoch (list of int): the epochs run.

    Example::

        >>> from fastnn import keras
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, kernel_initializer="zeros")])
        >>> model = model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
        >>> x, y = np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32")  # the loss stays 0
        >>> history = model.fit(x, y, epochs=3, verbose=0)
        >>> history.epoch, history.history
        ([0, 1, 2], {'loss': [0.0, 0.0, 0.0]})
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def plot(self, path: str = "history.png", metrics: Sequence[str] | None = None) -> str | None:
        """Write loss (and metric) curves to ``path``, training and validation side by side;
        needs matplotlib.

        Args:
            path (str): the image file to write. Default: ``"history.png"``.
            metrics (list of str, optional): the names to plot. Default: every logged name
                but the ``val_`` ones (drawn beside theirs) and the learning rate.

        Returns:
            The path, or None after saying how to get matplotlib when it is missing.
        """
        try:
            import matplotlib
            matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt
        except ImportError:
            print("History.plot: matplotlib is not installed (pip install matplotlib); no plot written")
            return None
        names = metrics or [k for k in self.history if not k.startswith("val_") and k not in ("lr", "learning_rate")]
        fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.5), squeeze=False)
        epochs = [e + 1 for e in self.epoch]
        for ax, name in zip(axes[0], names):
            ax.plot(epochs, self.history[name], marker="o", label=f"train {name}")
            if "val_" + name in self.history:
                ax.plot(epochs, self.history["val_" + name], marker="o", label=f"validation {name}")
            ax.set_xlabel("epoch")
            ax.set_title(name)
            ax.grid(alpha=0.3)
            ax.legend()
        fig.tight_layout()
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        fig.savefig(path, dpi=100)
        plt.close(fig)
        return path


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)``, and log
    it as ``learning_rate``.

    Args:
        schedule (callable): ``schedule(epoch, lr) -> new lr``, ``epoch`` from 0 and
            ``lr`` the current rate; it must return a finite number.
        verbose (int): 1 prints each change. Default: 0.

    Example::

        >>> from fastnn import keras
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, kernel_initializer="zeros")])
        >>> model = model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
        >>> x, y = np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32")  # the loss stays 0
        >>> halve = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2)
        >>> model.fit(x, y, epochs=3, verbose=0, callbacks=[halve]).history["learning_rate"]
        [0.05, 0.025, 0.0125]
    """

    def __init__(self, schedule: Callable[[int, float], float], verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        opt = self.model.optimizer
        lr = float(opt.param_groups[0]["lr"])
        new_lr = self.schedule(epoch, lr)
        if not isinstance(new_lr, (float, int, np.floating, np.integer)) or not math.isfinite(new_lr):
            raise ValueError(f"LearningRateScheduler: schedule must return a finite number, got {new_lr!r}")
        for group in opt.param_groups:
            group["lr"] = float(new_lr)
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {new_lr}.")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.param_groups[0]["lr"])  # Keras 3's key


class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file: ``epoch`` then the logged names in
    sorted order (the header written once).

    Args:
        filename (str or os.PathLike): the file.
        separator (str): the field separator. Default: ``","``.
        append (bool): add to an existing file (no second header) instead of replacing
            it. Default: False.

    Example::

        >>> import os, tempfile
        >>> from fastnn import keras
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, kernel_initializer="zeros")])
        >>> model = model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
        >>> x, y = np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32")  # the loss stays 0
        >>> tmp = tempfile.TemporaryDirectory()
        >>> path = os.path.join(tmp.name, "log.csv")
        >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[keras.callbacks.CSVLogger(path)])
        >>> print(open(path).read())
        epoch,loss
        0,0.0
        1,0.0
        <BLANKLINE>
        >>> tmp.cleanup()
    """

    def __init__(self, filename: str | os.PathLike[str], separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self._keys: list[str] | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        exists = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._header_written = exists
        self._writer: Any = None  # a csv.DictWriter once the first row's keys are known

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if self._keys is None:
            self._keys = sorted(logs)
        if self._writer is None:
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch"] + self._keys,
                                          delimiter=self.sep, extrasaction="ignore")
            if not self._header_written:
                self._writer.writeheader()
        row = {"epoch": epoch}
        row.update({k: logs.get(k, "NA") for k in self._keys})
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._file.close()


class LambdaCallback(Callback):
    """A callback made of plain functions, one per hook, with the hooks' arguments.

    Args:
        **hooks: ``on_epoch_end=fn(epoch, logs)``, ``on_train_batch_end=fn(batch, logs)``,
            ``on_train_begin=fn(logs)`` ... (any ``on_*`` name).

    Example::

        >>> from fastnn import keras
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, kernel_initializer="zeros")])
        >>> model = model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
        >>> x, y = np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32")  # the loss stays 0
        >>> seen = []
        >>> log_epochs = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
        >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[log_epochs])
        >>> seen
        [0, 1]
    """

    def __init__(self, **hooks: Callable[..., Any]) -> None:
        super().__init__()
        for name, fn in hooks.items():
            if not name.startswith("on_"):
                raise TypeError(f"LambdaCallback: unknown hook {name!r}")
            setattr(self, name, fn)
