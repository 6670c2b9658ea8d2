"""compile / fit / evaluate / predict for any fastnn Module, the Keras way.

``Model(module)`` wraps a Module; ``Sequential`` (keras/sequential.py) is a
Module with the same methods. Data may be NumPy arrays, fastnn Tensors, or a
DataLoader yielding ``(x, y)`` batches.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np

from . import callbacks as cbks
from . import distributed as _data_parallel
from . import optimizers as keras_optimizers
from .compile_utils import _BatchMean, _metric_object, _single, _softmax
from .data_adapters import DataMixin, _is_loader, _iterate, _to_array  # noqa: F401 (_to_array: old import path)
from .losses import get_loss
from .progress import ProgressBar

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable, Sequence

    from numpy.typing import ArrayLike

    from .._tensor import Tensor
    from ..nn import Module
    from ..optim import Optimizer as TorchOptimizer
    from .callbacks import Callback
    from .losses import Loss
    from .optimizers import Optimizer

    # what fit / evaluate / predict accept as x or y: arrays, Tensors, a list or dict of
    # them (several inputs), or a source of ready-made batches (DataLoader, PyDataset, generator)
    Data = ArrayLike | Tensor | Sequence[Any] | dict[str, Any] | Iterable[Any]


class TrainingMixin(DataMixin):
    """Keras's training API; the host provides ``_keras_module()`` (the Module to train)."""

    optimizer: Any = None
    stop_training: bool = False
    _compiled: Any = None

    # ----------------------------------------------------------------------------------
    def compile(self, optimizer: str | Optimizer | TorchOptimizer = "rmsprop",
                loss: str | Loss | Callable[..., Any] | Sequence[Any] | dict[str, Any] | None = None,
                metrics: Sequence[Any] | dict[str, Any] | None = None,
                loss_weights: Sequence[float] | dict[str, float] | None = None,
                weighted_metrics: Sequence[Any] | dict[str, Any] | None = None,
                **kwargs: Any) -> TrainingMixin:
        """Configure the model for training: the optimizer, the loss and the metrics.

        Args:
            optimizer (str, keras.optimizers.Optimizer or fastnn.optim.Optimizer): a name
                (``"adam"``, ``"sgd"``, ``"rmsprop"``, ...) with Keras's defaults, an optimizer
                object, or a PyTorch-style optimizer over the model's parameters.
                Default: ``"rmsprop"``.
            loss (str, keras.losses.Loss or callable): the loss to minimise, e.g.
                ``"sparse_categorical_crossentropy"``, ``"mse"``, a Loss object or
                ``fn(y_true, y_pred)``. A list or ``{output name: loss}`` for a model with
                several outputs. Required.
            metrics (list, optional): names (``"accuracy"``, ``"mae"``, ...), keras.metrics
                objects or functions, reported by fit and evaluate (a list per output, or a
                dict, for several outputs). Default: None.
            loss_weights (list or dict, optional): weight of each output's loss in the total
                (several outputs only). Default: None (all 1).
            weighted_metrics (list, optional): metrics that also weigh samples by
                ``sample_weight`` / ``class_weight``. Default: None.
            **kwargs: Keras's ``run_eagerly``, ``jit_compile``, ``steps_per_execution`` and
                ``auto_scale_loss`` are accepted and have no effect.

        Returns:
            The model itself, so ``compile`` and ``fit`` chain.

        Example::

            >>> from fastnn import keras
            >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
            >>> model = model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
            ...                       metrics=["accuracy"])
            >>> type(model.optimizer).__name__
            'Adam'
        """
        unknown = set(kwargs) - {"run_eagerly", "jit_compile", "steps_per_execution", "auto_scale_loss"}
        if unknown:
            raise TypeError(f"compile: unexpected arguments {sorted(unknown)}")
        if loss is None:
            raise ValueError("compile: a loss is required, e.g. loss='sparse_categorical_crossentropy'")
        opt = keras_optimizers.get(optimizer)
        names = self._output_names()
        if len(names) > 1:
            from . import multi_output
            specs = multi_output.build_specs(names, loss, loss_weights, metrics, weighted_metrics,
                                             get_loss, _metric_object)
            self._compiled = dict(optimizer=opt, loss=specs[0].loss, loss_spec=None, metrics=[],
                                  weighted_metrics=[], metric_specs=[], outputs=specs)
            self.optimizer = opt
            return self
        if isinstance(loss, (list, tuple, dict)):
            loss = _single(loss, names, "loss")
        if loss_weights is not None:
            raise ValueError("compile: loss_weights applies to models with several outputs")
        # one output: loss is a single name, Loss or callable by now (a list was unwrapped)
        loss_obj = get_loss(cast("str | Loss | Callable[..., Any]", loss))
        self._compiled = dict(
            optimizer=opt, loss=loss_obj, loss_spec=loss,
            metrics=[_metric_object(m, loss_obj) for m in (metrics or [])],
            weighted_metrics=[_metric_object(m, loss_obj) for m in (weighted_metrics or [])],
            metric_specs=list(metrics or []), outputs=None)
        self.optimizer = opt
        return self

    def _output_names(self):
        graph = getattr(self._keras_module(), "_graph", None)
        if not graph:
            return ["output"]
        return [getattr(t._node.layer, "name", f"output_{i}") for i, t in enumerate(graph[1])]

    def _require_compiled(self, what):
        if self._compiled is None:
            raise RuntimeError(f"{what}: call compile(optimizer=..., loss=...) first")

    def _build_optimizer(self):
        opt = self.optimizer
        if isinstance(opt, keras_optimizers.Optimizer) and not opt.built:
            opt.build(self._keras_module().parameters())
        return opt

    def _forward_for_loss(self, xs):
        """Model output for the loss, and whether it holds logits of the final activation."""
        module = self._keras_module()
        loss = self._compiled["loss"]
        act = getattr(module, "output_activation", None)
        if act is not None and act == loss.activation and not loss.from_logits \
                and hasattr(module, "forward_logits"):
            return module.forward_logits(*xs), True
        return module(*xs), False

    def _metric_view(self, out, logits):
        """What the metrics see: probabilities when the loss was fed the logits."""
        pred = np.asarray(out._data)
        if not logits:
            return pred
        act = self._compiled["loss"].activation
        return _softmax(pred) if act == "softmax" else 1.0 / (1.0 + np.exp(-pred))

    def _update_metrics(self, yt, out, logits, sw):
        y_np = np.asarray(yt._data)
        pred = None
        for m in self._compiled["metrics"]:
            if isinstance(m, _BatchMean):
                m.update_state(y_np, np.asarray(out._data), logits=logits)
            else:
                pred = self._metric_view(out, logits) if pred is None else pred
                m.update_state(y_np, pred)
        for m in self._compiled["weighted_metrics"]:
            pred = self._metric_view(out, logits) if pred is None else pred
            if isinstance(m, _BatchMean):
                m.update_state(y_np, np.asarray(out._data), logits=logits)
            else:
                m.update_state(y_np, pred, sample_weight=sw)

    def _all_metrics(self):
        outs = self._compiled.get("outputs") or []
        return self._compiled["metrics"] + self._compiled["weighted_metrics"] + \
            [m for s in outs for m in s.metrics + s.weighted_metrics]

    def _batch_loss(self, xb, yb, swb):
        """The loss Tensor of one batch (metrics updated); per-output parts go to _part_totals."""
        xs = self._as_inputs(xb)
        specs = self._compiled.get("outputs")
        if specs:
            from . import multi_output
            loss, parts = multi_output.batch_loss(self, specs, xs, yb, swb)
        else:
            yt = self._as_target(yb)
            out, logits = self._forward_for_loss(xs)
            loss, parts = self._loss_value(yt, out, logits, swb), []
            self._update_metrics(yt, out, logits, swb)
        penalties = self._weight_penalties()
        if penalties:  # kernel_regularizer / bias_regularizer: part of the loss, as in Keras
            for term in penalties:
                loss = loss + term
        n = len(xs[0]._data)
        for i, p in enumerate(parts):
            self._part_totals[i] += p * n
        return loss, n

    def _weight_penalties(self):
        out = []
        for m in self._keras_module().modules():
            reg = getattr(type(m), "losses", None)
            if isinstance(reg, property):
                out.extend(m.losses)
        return out

    def _reset_epoch(self):
        for m in self._all_metrics():
            m.reset_state()
        self._part_totals = [0.0] * len(self._compiled.get("outputs") or [])

    def _loss_value(self, yt, out, logits, sw):
        loss_fn = self._compiled["loss"]
        if sw is None:
            return loss_fn(yt, out, logits=logits)
        return loss_fn.weighted(yt, out, logits, sw)

    # ----------------------------------------------------------------------------------
    def fit(self, x: Data | None = None, y: Data | None = None, batch_size: int | None = None,
            epochs: int = 1, verbose: int | str = "auto", callbacks: Sequence[Callback] | None = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
            class_weight: dict[int, float] | None = None, sample_weight: ArrayLike | None = None,
            initial_epoch: int = 0, steps_per_epoch: int | None = None,
            **kwargs: Any) -> cbks.History:
        """Train the model for a number of epochs over ``(x, y)``.

        Args:
            x (array, Tensor, list, dict or batch source): the inputs, ``(N, ...)``; a list
                (or ``{input name: array}``) for several inputs; or a DataLoader, a
                ``keras.utils.PyDataset`` or a generator yielding ``(x, y)`` or
                ``(x, y, sample_weight)`` batches (then ``y`` is not given).
            y (array or Tensor): the targets, ``(N, ...)``: class indices for the sparse
                losses, one-hot rows or values otherwise; a list or dict for several outputs.
            batch_size (int, optional): samples per gradient step. Default: 32.
            epochs (int): the number of epochs; with ``initial_epoch``, where training
                stops (the epochs run are ``initial_epoch .. epochs - 1``, as in Keras).
                Default: 1.
            verbose (int or "auto"): 0 silent, 1 a progress bar, 2 one line per epoch;
                "auto" is 1. Default: "auto".
            callbacks (list of keras.callbacks.Callback, optional): called at the start and
                end of training, epochs and batches. Default: None.
            validation_split (float): the fraction in (0, 1) of the samples, taken from the
                end before any shuffle, held out and evaluated after each epoch. Default: 0.
            validation_data (tuple or batch source, optional): ``(x_val, y_val)`` or
                ``(x_val, y_val, sample_weight_val)`` evaluated after each epoch (wins over
                ``validation_split``). Default: None.
            shuffle (bool): reshuffle the samples each epoch (arrays only). Default: True.
            class_weight (dict, optional): ``{class index: weight}`` applied to each sample's
                loss. Default: None.
            sample_weight (array, optional): ``(N,)`` weights of the samples' losses.
                Default: None.
            initial_epoch (int): the epoch to start from (to resume training). Default: 0.
            steps_per_epoch (int, optional): batches per epoch; needed for a generator
                without a length. Default: None (the whole data).

        Returns:
            keras.callbacks.History: ``history.history`` maps ``"loss"``, each metric and
            their ``"val_"`` versions to a list with one value per epoch.

        Example::

            >>> from fastnn import keras
            >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
            >>> _ = model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
            >>> x, y = np.ones((8, 4), dtype="float32"), np.zeros((8, 1), dtype="float32")
            >>> history = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
            >>> sorted(history.history), len(history.history["loss"])
            (['loss', 'mae'], 3)
        """
        unknown = set(kwargs) - {"validation_steps", "validation_batch_size", "validation_freq"}
        if unknown:
            raise TypeError(f"fit: unexpected arguments {sorted(unknown)}")
        self._require_compiled("fit")
        batch_size = 32 if batch_size is None else int(batch_size)
        if batch_size < 1:
            raise ValueError(f"fit: batch_size must be >= 1, got {batch_size}")
        verbose = 1 if verbose == "auto" else int(verbose)
        x, y = self._check_xy(x, y, "fit")
        sw = self._sample_weights(y, sample_weight, class_weight, "fit")
        if validation_split and validation_data is None:
            if not 0.0 < validation_split < 1.0:
                raise ValueError(f"fit: validation_split must be in (0, 1), got {validation_split}")
            if _is_loader(x):
                raise ValueError("fit: validation_split needs array data, not a DataLoader")
            split = int(self._len(x) * (1.0 - validation_split))  # Keras holds out the last samples
            validation_data = (self._take(x, slice(split, None)), self._take(y, slice(split, None))) + \
                ((sw[split:],) if sw is not None and sample_weight is not None else ())
            x, y = self._take(x, slice(0, split)), self._take(y, slice(0, split))
            sw = sw[:split] if sw is not None else None
        self._ensure_built(x)
        self._build_optimizer()
        dp = _data_parallel.current()  # None unless launched on several MPI ranks
        ddp = dp.wrap(self) if dp else None
        if dp:
            batch_size, verbose = dp.local_batch_size(batch_size), dp.verbose(verbose)
            callbacks = dp.callbacks(callbacks)
        module = self._keras_module()
        history = cbks.History()
        steps = dp.num_batches(x, batch_size) if dp else \
            self._num_batches(x, batch_size, steps_per_epoch)
        if steps_per_epoch is not None:
            steps = min(steps, int(steps_per_epoch))
        params = {"epochs": epochs, "steps": steps, "verbose": verbose, "batch_size": batch_size}
        # History last, as Keras adds it: it records the logs after the user's callbacks
        # have added to them (ReduceLROnPlateau's learning_rate)
        callback_list = cbks.CallbackList(list(callbacks or []) + [history], self, params)
        self.stop_training = False
        self.history = history
        callback_list.on_train_begin()
        opt = self.optimizer
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            module.train()
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}")
            bar = ProgressBar(steps, int(verbose))  # an int by now ("auto" resolved above)
            self._reset_epoch()
            loss_total, seen = 0.0, 0
            batches = dp.batches(self, x, y, batch_size, shuffle, epoch, sw) if dp \
                else self._batches(x, y, batch_size, shuffle, sw)
            for step, (xb, yb, swb) in enumerate(batches):
                if step >= steps:
                    break
                callback_list.on_train_batch_begin(step)
                opt.zero_grad()
                if ddp:
                    ddp._pre_forward()
                loss, n = self._batch_loss(xb, yb, swb)
                if ddp:
                    ddp._post_forward(loss)
                loss.backward()
                opt.step()
                seen += n
                loss_total += loss.item() * n
                logs = self._logs(loss_total, seen)
                callback_list.on_train_batch_end(step, logs)
                bar.update(step + 1, logs)
            if dp:
                loss_total, seen = dp.sum_epoch(self, loss_total, seen)
            logs = self._logs(loss_total, max(seen, 1))
            if validation_data is not None:
                vx, vy, vsw = self._split_validation(validation_data)
                val = cast("dict[str, Any]", self.evaluate(vx, vy, batch_size=batch_size,
                                                           sample_weight=vsw, verbose=0, return_dict=True))
                logs.update({"val_" + k: v for k, v in val.items()})
            callback_list.on_epoch_end(epoch, logs)
            bar.close(logs)
            if self.stop_training:
                break
        callback_list.on_train_end()
        return history

    def _logs(self, loss_total, seen):
        logs = {"loss": float(loss_total / seen)}
        specs = self._compiled.get("outputs")
        if specs:
            from . import multi_output
            logs.update(multi_output.logs(specs, self._part_totals, seen))
            return logs
        for m in self._all_metrics():
            value = np.asarray(m.result()._data)
            logs[m.name] = float(value) if value.ndim == 0 else value.tolist()
        return logs

    def evaluate(self, x: Data | None = None, y: Data | None = None, batch_size: int | None = None,
                 verbose: int | str = "auto", sample_weight: ArrayLike | None = None,
                 return_dict: bool = False, **kwargs: Any) -> float | list[Any] | dict[str, Any]:
        """The loss and metrics of the model on ``(x, y)``, in inference mode.

        Args:
            x, y: the data, in the forms :meth:`fit` accepts.
            batch_size (int, optional): samples per batch. Default: 32.
            verbose (int or "auto"): 0 silent, 1 a progress bar ("auto"). Default: "auto".
            sample_weight (array, optional): ``(N,)`` weights of the samples' losses.
                Default: None.
            return_dict (bool): return ``{name: value}`` instead of a list. Default: False.
            **kwargs: ``steps`` (batches to evaluate, for a generator) and ``callbacks``
                (accepted, not called).

        Returns:
            The loss (a float) when no metric was compiled, else ``[loss, metric, ...]``,
            or a dict with ``return_dict=True``.

        Example::

            >>> from fastnn import keras
            >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
            >>> _ = model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
            >>> x, y = np.ones((8, 4), dtype="float32"), np.zeros((8, 1), dtype="float32")
            >>> sorted(model.evaluate(x, y, verbose=0, return_dict=True))
            ['loss', 'mae']
        """
        from ..autograd.grad_mode import no_grad
        unknown = set(kwargs) - {"steps", "callbacks"}
        if unknown:
            raise TypeError(f"evaluate: unexpected arguments {sorted(unknown)}")
        self._require_compiled("evaluate")
        batch_size = 32 if batch_size is None else int(batch_size)
        verbose = 1 if verbose == "auto" else int(verbose)
        x, y = self._check_xy(x, y, "evaluate")
        sw = self._sample_weights(y, sample_weight, None, "evaluate")
        self._ensure_built(x)
        dp = _data_parallel.current()  # several ranks: each scores its part, totals summed
        if dp:
            (x, y, sw), verbose = dp.eval_shard(x, y, sw), dp.verbose(verbose)
        module = self._keras_module()
        was_training = module.training
        module.eval()
        steps = self._num_batches(x, batch_size, kwargs.get("steps"))
        bar = ProgressBar(steps, int(verbose))  # an int by now ("auto" resolved above)
        self._reset_epoch()
        loss_total, seen = 0.0, 0
        try:
            with no_grad():
                for step, (xb, yb, swb) in enumerate(self._batches(x, y, batch_size, False, sw)):
                    if step >= steps:
                        break
                    loss, n = self._batch_loss(xb, yb, swb)
                    seen += n
                    loss_total += loss.item() * n
                    bar.update(step + 1, self._logs(loss_total, seen))
        finally:
            module.train(was_training)
        if dp:
            loss_total, seen = dp.sum_epoch(self, loss_total, seen)
        logs = self._logs(loss_total, max(seen, 1))
        bar.close(logs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x: Data, batch_size: int | None = None, verbose: int | str = 0,
                **kwargs: Any) -> np.ndarray | list[np.ndarray]:
        """The model's outputs for ``x``, in inference mode, batch by batch.

        Args:
            x (array, Tensor, list, dict or batch source): the inputs, as :meth:`fit` takes
                them (a batch source may yield ``x`` alone or ``(x, y)``).
            batch_size (int, optional): samples per batch. Default: 32.
            verbose (int or "auto"): 1 (or "auto") shows a progress bar. Default: 0.
            **kwargs: ``steps``, the number of batches to take from a generator.

        Returns:
            numpy.ndarray: the outputs stacked on the batch axis; a list of arrays for a
            model with several outputs.

        Example::

            >>> from fastnn import keras
            >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])
            >>> model.predict(np.ones((10, 4), dtype="float32"), batch_size=4).shape
            (10, 3)
        """
        from ..autograd.grad_mode import no_grad
        batch_size = 32 if batch_size is None else int(batch_size)
        if _is_loader(x):
            batches = (b[0] if isinstance(b, (tuple, list)) else b for b in _iterate(x))
            steps = self._num_batches(x, batch_size, kwargs.get("steps"))
        else:
            x = self._prepare_x(x)
            self._ensure_built(x)
            batches = (self._take(x, slice(i, i + batch_size)) for i in range(0, self._len(x), batch_size))
            steps = self._num_batches(x, batch_size)
        module = self._keras_module()
        was_training = module.training
        module.eval()
        bar = ProgressBar(steps, int(verbose) if verbose != "auto" else 1)
        outs = []
        try:
            with no_grad():
                for step, xb in enumerate(batches):
                    if step >= steps:
                        break
                    out = module(*self._as_inputs(xb))
                    outs.append([np.asarray(o._data) for o in out] if isinstance(out, list)
                                else np.asarray(out._data))
                    bar.update(step + 1, {})
        finally:
            module.train(was_training)
        bar.close({})
        if not outs:
            return np.zeros((0,), dtype=self._param_dtype())
        if isinstance(outs[0], list):
            return [np.concatenate(parts, axis=0) for parts in zip(*outs)]
        return np.concatenate(outs, axis=0)

    def save(self, filepath: str | os.PathLike[str], overwrite: bool = True, **kwargs: Any) -> None:
        """Save the architecture (JSON), the weights and the compile settings in one file.

        The file is safetensors with a ``.keras`` name (no pickle, no HDF5);
        ``keras.models.load_model`` rebuilds the model from it.

        Args:
            filepath (str or os.PathLike): a path ending in ``.keras``.
            overwrite (bool): replace an existing file. Default: True.
        """
        from .saving import save_model
        save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath: str | os.PathLike[str], overwrite: bool = True) -> None:
        """Save the weights alone (a safetensors file of the ``state_dict()``).

        Args:
            filepath (str): where to write, conventionally ``*.weights.h5`` or ``*.safetensors``.
            overwrite (bool): replace an existing file. Default: True.
        """
        from .saving import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: str | os.PathLike[str]) -> None:
        """Load weights written by :meth:`save_weights` (or :meth:`save`) into this model.

        Args:
            filepath (str): the file to read.
        """
        from .saving import load_weights
        load_weights(self, filepath)


class ModuleWrapper(TrainingMixin):
    """Keras's training API around any fastnn Module: ``Model(net).compile(...).fit(x, y)``.

    Calling the wrapper calls the module; attributes not found here are looked
    up on the module (``model.state_dict()``, ``model.parameters()`` ...).
    """

    def __init__(self, module: Module) -> None:
        from ..nn import Module
        if not isinstance(module, Module):
            raise TypeError(f"Model: expected a fastnn.nn.Module, got {type(module).__name__}")
        self.module = module

    def _keras_module(self):
        return self.module

    def __call__(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def __getattr__(self, name):
        if name == "module":
            raise AttributeError(name)
        return getattr(self.module, name)

    def __repr__(self):
        return f"keras.Model({self.module!r})"
