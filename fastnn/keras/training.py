"""compile / fit / evaluate / predict for any fastnn Module, the Keras way.

``Model(module)`` wraps a Module; ``Sequential`` (keras/sequential.py) is a
Module with the same methods. Data may be NumPy arrays, fastnn Tensors, or a
DataLoader yielding ``(x, y)`` batches.
"""
import numpy as np

from . import callbacks as cbks
from . import distributed as _data_parallel
from .losses import get_loss, get_metric
from .progress import ProgressBar

# Keras's default hyper-parameters for the string names (epsilon 1e-7, not PyTorch's 1e-8).
_OPTIMIZER_DEFAULTS = {
    "adam": ("Adam", dict(lr=0.001, betas=(0.9, 0.999), eps=1e-7)),
    "adamw": ("AdamW", dict(lr=0.001, betas=(0.9, 0.999), eps=1e-7, weight_decay=0.004)),
    "sgd": ("SGD", dict(lr=0.01)),
    "rmsprop": ("RMSprop", dict(lr=0.001, alpha=0.9, eps=1e-7)),
    "adagrad": ("Adagrad", dict(lr=0.001, initial_accumulator_value=0.1, eps=1e-7)),
}


def _to_array(data):
    from ..tensor import Tensor
    if data is None:
        return None
    if isinstance(data, Tensor):
        return data._data
    return np.asarray(data)


def _is_loader(obj):
    return obj is not None and not isinstance(obj, (np.ndarray, list, tuple)) and hasattr(obj, "__iter__") \
        and not hasattr(obj, "shape")


class TrainingMixin:
    """Keras's training API; the host provides ``_keras_module()`` (the Module to train)."""

    optimizer = None
    stop_training = False
    _compiled = None

    # ----------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs):
        """Choose the optimizer (a name or a fastnn Optimizer), the loss and the metrics."""
        unknown = set(kwargs) - {"loss_weights", "weighted_metrics", "run_eagerly", "jit_compile",
                                 "steps_per_execution"}
        if unknown:
            raise TypeError(f"compile: unexpected arguments {sorted(unknown)}")
        if loss is None:
            raise ValueError("compile: a loss is required, e.g. loss='sparse_categorical_crossentropy'")
        if isinstance(optimizer, str) and optimizer.lower() not in _OPTIMIZER_DEFAULTS:
            raise ValueError(f"compile: unknown optimizer {optimizer!r}; expected one of "
                             f"{sorted(_OPTIMIZER_DEFAULTS)} or a fastnn.optim Optimizer")
        loss_obj = get_loss(loss)
        self._compiled = dict(optimizer=optimizer, loss=loss_obj,
                              metrics=[get_metric(m, loss_obj) for m in (metrics or [])])
        self.optimizer = None if isinstance(optimizer, str) else optimizer
        return self

    def _require_compiled(self, what):
        if self._compiled is None:
            raise RuntimeError(f"{what}: call compile(optimizer=..., loss=...) first")

    def _build_optimizer(self):
        if self.optimizer is None:
            from .. import optim
            name, defaults = _OPTIMIZER_DEFAULTS[self._compiled["optimizer"].lower()]
            self.optimizer = getattr(optim, name)(self._keras_module().parameters(), **defaults)
        return self.optimizer

    # ----------------------------------------------------------------------------------
    def _param_dtype(self):
        for p in self._keras_module().parameters():
            return p._data.dtype
        return np.dtype(np.float32)

    def _as_input(self, xb):
        from ..tensor import Tensor
        arr = _to_array(xb)
        if arr.dtype.kind == "f" and arr.dtype != self._param_dtype():
            arr = arr.astype(self._param_dtype())
        return Tensor._wrap(np.ascontiguousarray(arr))

    def _as_target(self, yb):
        from ..tensor import Tensor
        arr = _to_array(yb)
        if arr.dtype.kind in "iub":
            arr = arr.astype(np.int64, copy=False)
        elif arr.dtype != self._param_dtype():
            arr = arr.astype(self._param_dtype())
        return Tensor._wrap(arr)

    def _forward_for_loss(self, x):
        """Model output for the loss, and whether it holds logits of the final activation."""
        module = self._keras_module()
        loss = self._compiled["loss"]
        act = getattr(module, "output_activation", None)
        if act is not None and act == loss.activation and not loss.from_logits \
                and hasattr(module, "forward_logits"):
            return module.forward_logits(x), True
        return module(x), False

    def _batches(self, x, y, batch_size, shuffle):
        if _is_loader(x):
            for batch in x:
                if not isinstance(batch, (tuple, list)) or len(batch) < 2:
                    raise ValueError("fit: a DataLoader passed as x must yield (x, y) batches")
                yield batch[0], batch[1]
            return
        n = len(x)
        if shuffle:
            from ..random import default_generator
            order = default_generator().permutation(n)
        else:
            order = None
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size] if order is not None else slice(start, start + batch_size)
            yield x[idx], (y[idx] if y is not None else None)

    def _num_batches(self, x, batch_size):
        if _is_loader(x):
            return len(x)
        return (len(x) + batch_size - 1) // batch_size

    def _check_xy(self, x, y, what):
        if _is_loader(x):
            return x, None
        x = _to_array(x)
        if y is None:
            raise ValueError(f"{what}: y is required when x is an array")
        y = _to_array(y)
        if len(x) != len(y):
            raise ValueError(f"{what}: x and y have different lengths ({len(x)} and {len(y)})")
        return x, y

    def _ensure_built(self, x):
        module = self._keras_module()
        if getattr(module, "built", True):
            return
        from ..autograd.grad_mode import no_grad
        sample = next(iter(self._batches(x, None, 1, False)))[0]
        with no_grad():
            module(self._as_input(sample))

    # ----------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0,
            steps_per_epoch=None):
        """Train for ``epochs`` epochs; returns the History."""
        self._require_compiled("fit")
        batch_size = 32 if batch_size is None else int(batch_size)
        if batch_size < 1:
            raise ValueError(f"fit: batch_size must be >= 1, got {batch_size}")
        verbose = 1 if verbose == "auto" else int(verbose)
        x, y = self._check_xy(x, y, "fit")
        if validation_split and validation_data is None:
            if not 0.0 < validation_split < 1.0:
                raise ValueError(f"fit: validation_split must be in (0, 1), got {validation_split}")
            if _is_loader(x):
                raise ValueError("fit: validation_split needs array data, not a DataLoader")
            split = int(len(x) * (1.0 - validation_split))  # Keras holds out the last samples
            x, y, validation_data = x[:split], y[:split], (x[split:], y[split:])
        self._ensure_built(x)
        self._build_optimizer()
        dp = _data_parallel.current()  # None unless launched on several MPI ranks
        ddp = dp.wrap(self) if dp else None
        if dp:
            batch_size, verbose = dp.local_batch_size(batch_size), dp.verbose(verbose)
            callbacks = dp.callbacks(callbacks)
        module = self._keras_module()
        loss_fn, metrics = self._compiled["loss"], self._compiled["metrics"]
        history = cbks.History()
        steps = dp.num_batches(x, batch_size) if dp else self._num_batches(x, batch_size)
        if steps_per_epoch is not None:
            steps = min(steps, int(steps_per_epoch))
        params = {"epochs": epochs, "steps": steps, "verbose": verbose, "batch_size": batch_size}
        callback_list = cbks.CallbackList([history] + list(callbacks or []), self, params)
        self.stop_training = False
        self.history = history
        callback_list.on_train_begin()
        opt = self.optimizer
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            module.train()
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}")
            bar = ProgressBar(steps, verbose)
            totals = np.zeros(1 + len(metrics))
            seen = 0
            batches = dp.batches(self, x, y, batch_size, shuffle, epoch) if dp \
                else self._batches(x, y, batch_size, shuffle)
            for step, (xb, yb) in enumerate(batches):
                if step >= steps:
                    break
                callback_list.on_train_batch_begin(step)
                xt, yt = self._as_input(xb), self._as_target(yb)
                opt.zero_grad()
                if ddp:
                    ddp._pre_forward()
                out, logits = self._forward_for_loss(xt)
                if ddp:
                    ddp._post_forward(out)
                loss = loss_fn(yt, out, logits=logits)
                loss.backward()
                opt.step()
                n = len(xt._data)
                seen += n
                totals[0] += loss.item() * n
                for i, (_, fn) in enumerate(metrics):
                    totals[1 + i] += fn(yt._data, out._data, logits) * n
                logs = self._logs(totals, seen, metrics)
                callback_list.on_train_batch_end(step, logs)
                bar.update(step + 1, logs)
            if dp:
                totals, seen = dp.sum(totals, seen)
            logs = self._logs(totals, max(seen, 1), metrics)
            if validation_data is not None:
                val = self.evaluate(*self._split_validation(validation_data), batch_size=batch_size,
                                    verbose=0, return_dict=True)
                logs.update({"val_" + k: v for k, v in val.items()})
            callback_list.on_epoch_end(epoch, logs)
            bar.close(logs)
            if dp:
                self.stop_training = dp.any(self.stop_training)
            if self.stop_training:
                break
        callback_list.on_train_end()
        return history

    @staticmethod
    def _split_validation(validation_data):
        if _is_loader(validation_data):
            return validation_data, None
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("fit: validation_data must be (x_val, y_val) or a DataLoader")
        return validation_data

    @staticmethod
    def _logs(totals, seen, metrics):
        logs = {"loss": float(totals[0] / seen)}
        for i, (name, _) in enumerate(metrics):
            logs[name] = float(totals[1 + i] / seen)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", return_dict=False):
        """Loss and metrics on (x, y): a float, a list [loss, metric...], or a dict."""
        from ..autograd.grad_mode import no_grad
        self._require_compiled("evaluate")
        batch_size = 32 if batch_size is None else int(batch_size)
        verbose = 1 if verbose == "auto" else int(verbose)
        x, y = self._check_xy(x, y, "evaluate")
        self._ensure_built(x)
        dp = _data_parallel.current()  # several ranks: each scores its part, totals summed
        if dp:
            (x, y), verbose = dp.eval_shard(x, y), dp.verbose(verbose)
        module = self._keras_module()
        loss_fn, metrics = self._compiled["loss"], self._compiled["metrics"]
        was_training = module.training
        module.eval()
        steps = self._num_batches(x, batch_size)
        bar = ProgressBar(steps, verbose)
        totals = np.zeros(1 + len(metrics))
        seen = 0
        try:
            with no_grad():
                for step, (xb, yb) in enumerate(self._batches(x, y, batch_size, False)):
                    xt, yt = self._as_input(xb), self._as_target(yb)
                    out, logits = self._forward_for_loss(xt)
                    n = len(xt._data)
                    seen += n
                    totals[0] += loss_fn(yt, out, logits=logits).item() * n
                    for i, (_, fn) in enumerate(metrics):
                        totals[1 + i] += fn(yt._data, out._data, logits) * n
                    bar.update(step + 1, self._logs(totals, seen, metrics))
        finally:
            module.train(was_training)
        if dp:
            totals, seen = dp.sum(totals, seen)
        logs = self._logs(totals, max(seen, 1), metrics)
        bar.close(logs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose=0):
        """The model's outputs for ``x`` as a NumPy array, in evaluation mode."""
        from ..autograd.grad_mode import no_grad
        batch_size = 32 if batch_size is None else int(batch_size)
        if _is_loader(x):
            batches = (b[0] if isinstance(b, (tuple, list)) else b for b in x)
            steps = len(x)
        else:
            x = _to_array(x)
            self._ensure_built(x)
            batches = (x[i:i + batch_size] for i in range(0, len(x), batch_size))
            steps = self._num_batches(x, batch_size)
        module = self._keras_module()
        was_training = module.training
        module.eval()
        bar = ProgressBar(steps, int(verbose) if verbose != "auto" else 1)
        outs = []
        try:
            with no_grad():
                for step, xb in enumerate(batches):
                    outs.append(np.asarray(module(self._as_input(xb))._data))
                    bar.update(step + 1, {})
        finally:
            module.train(was_training)
        bar.close({})
        if not outs:
            return np.zeros((0,), dtype=self._param_dtype())
        return np.concatenate(outs, axis=0)


class Model(TrainingMixin):
    """Keras's training API around any fastnn Module: ``Model(net).compile(...).fit(x, y)``.

    Calling the wrapper calls the module; attributes not found here are looked
    up on the module (``model.state_dict()``, ``model.parameters()`` ...).
    """

    def __init__(self, module):
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
