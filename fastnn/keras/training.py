"""compile / fit / evaluate / predict for any fastnn Module, the Keras way.

``Model(module)`` wraps a Module; ``Sequential`` (keras/sequential.py) is a
Module with the same methods. Data may be NumPy arrays, fastnn Tensors, or a
DataLoader yielding ``(x, y)`` batches.
"""
import numpy as np

from . import callbacks as cbks
from . import distributed as _data_parallel
from . import metrics as metrics_mod
from . import optimizers as keras_optimizers
from .losses import get_loss, get_metric
from .progress import ProgressBar


def _to_array(data):
    from .._tensor import Tensor
    if data is None:
        return None
    if isinstance(data, Tensor):
        return data._data
    return np.asarray(data)


def _is_loader(obj):
    """A source of ready-made batches: a DataLoader, a keras.utils.PyDataset (indexable
    batches), or any iterable / generator of (x, y[, sample_weight]) tuples."""
    return obj is not None and not isinstance(obj, (np.ndarray, list, tuple, dict)) \
        and (hasattr(obj, "__iter__") or _is_indexed(obj)) and not hasattr(obj, "shape")


def _is_indexed(obj):
    return hasattr(obj, "__getitem__") and hasattr(obj, "__len__") and not hasattr(obj, "__iter__")


def _iterate(source):
    """The batches of a loader, once (a PyDataset is indexed 0..len-1, then told the epoch ended)."""
    if _is_indexed(source):
        for i in range(len(source)):
            yield source[i]
        if hasattr(source, "on_epoch_end"):
            source.on_epoch_end()
    else:
        # a plain loop, not ``yield from``: stopping after steps_per_epoch must not close a
        # user's generator, which the next epoch goes on reading
        for batch in source:
            yield batch


def _single(value, names, what):
    """A one-element list or {output name: value} given for a single-output model."""
    if isinstance(value, dict):
        if set(value) != set(names):
            raise ValueError(f"compile: {what} keys {sorted(value)} do not name the output {names}")
        return value[names[0]]
    if len(value) != 1:
        raise ValueError(f"compile: {len(value)} {what} entries for a model with one output")
    return value[0]


class _BatchMean(metrics_mod.Mean):
    """A metric given as fn(y_true, y_pred, logits) -> batch value, averaged over samples."""

    def __init__(self, name, fn):
        self._fn = fn
        super().__init__(name=name)

    def update_state(self, y_true, y_pred, sample_weight=None, logits=False):
        n = len(y_pred)
        super().update_state(np.array([self._fn(y_true, y_pred, logits)]), np.array([n]))


def _metric_object(metric, loss):
    """A stateful metric for what compile() was given (a name, a Metric, a callable)."""
    if isinstance(metric, metrics_mod.Metric):
        return metric
    if isinstance(metric, type) and issubclass(metric, metrics_mod.Metric):
        return metric()
    if isinstance(metric, str) and metric in ("accuracy", "acc", "mae", "mean_absolute_error",
                                              "mse", "mean_squared_error"):
        return _BatchMean(*get_metric(metric, loss))  # accuracy's meaning depends on the loss
    if isinstance(metric, str):
        return metrics_mod.get(metric)
    if callable(metric):
        return _BatchMean(*get_metric(metric, loss))
    raise ValueError(f"compile: unknown metric {metric!r}")


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class TrainingMixin:
    """Keras's training API; the host provides ``_keras_module()`` (the Module to train)."""

    optimizer = None
    stop_training = False
    _compiled = None

    # ----------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, **kwargs):
        """Choose the optimizer (a name, a keras.optimizers object or a fastnn Optimizer),
        the loss and the metrics (names or keras.metrics objects)."""
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
        loss_obj = get_loss(loss)
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

    # --- data --------------------------------------------------------------------------
    def _n_inputs(self):
        graph = getattr(self._keras_module(), "_graph", None)
        return len(graph[0]) if graph else 1

    def _prepare_x(self, x):
        """x as one array, or a list of arrays for a model with several inputs."""
        if self._n_inputs() > 1:
            if isinstance(x, dict):
                x = [x[t.name] for t in self._keras_module()._graph[0]]
            if not isinstance(x, (list, tuple)) or len(x) != self._n_inputs():
                raise ValueError(f"this model takes {self._n_inputs()} inputs: pass x as a list "
                                 "of that many arrays")
            return [_to_array(a) for a in x]
        return _to_array(x)

    @staticmethod
    def _len(x):
        return len(x[0]) if isinstance(x, list) else len(x)

    @staticmethod
    def _take(x, idx):
        return [a[idx] for a in x] if isinstance(x, list) else x[idx]

    def _param_dtype(self):
        for p in self._keras_module().parameters():
            return p._data.dtype
        return np.dtype(np.float32)

    def _as_input(self, xb):
        from .._tensor import Tensor
        arr = _to_array(xb)
        if arr.dtype.kind == "f" and arr.dtype != self._param_dtype():
            arr = arr.astype(self._param_dtype())
        return Tensor._wrap(np.ascontiguousarray(arr))

    def _as_inputs(self, xb):
        if isinstance(xb, list):
            return [self._as_input(a) for a in xb]
        return [self._as_input(xb)]

    def _as_target(self, yb):
        from .._tensor import Tensor
        arr = _to_array(yb)
        if arr.dtype.kind in "iub":
            arr = arr.astype(np.int64, copy=False)
        elif arr.dtype != self._param_dtype():
            arr = arr.astype(self._param_dtype())
        return Tensor._wrap(arr)

    def _forward_for_loss(self, xs):
        """Model output for the loss, and whether it holds logits of the final activation."""
        module = self._keras_module()
        loss = self._compiled["loss"]
        act = getattr(module, "output_activation", None)
        if act is not None and act == loss.activation and not loss.from_logits \
                and hasattr(module, "forward_logits"):
            return module.forward_logits(*xs), True
        return module(*xs), False

    def _batches(self, x, y, batch_size, shuffle, sample_weight=None):
        if _is_loader(x):
            for batch in _iterate(x):
                if not isinstance(batch, (tuple, list)) or len(batch) < 2:
                    raise ValueError("fit: a DataLoader passed as x must yield (x, y) batches")
                yield batch[0], batch[1], (batch[2] if len(batch) > 2 else None)
            return
        n = self._len(x)
        if shuffle:
            from ..random import default_generator
            order = default_generator().permutation(n)
        else:
            order = None
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size] if order is not None else slice(start, start + batch_size)
            yield (self._take(x, idx), (self._take(y, idx) if y is not None else None),
                   (sample_weight[idx] if sample_weight is not None else None))

    def _num_batches(self, x, batch_size, steps=None):
        if _is_loader(x):
            if hasattr(x, "__len__"):
                return len(x) if steps is None else min(len(x), int(steps))
            if steps is None:
                raise ValueError("a generator has no length: give steps_per_epoch (fit) or steps "
                                 "(evaluate / predict)")
            return int(steps)
        return (self._len(x) + batch_size - 1) // batch_size

    def _check_xy(self, x, y, what):
        if _is_loader(x):
            return x, None
        x = self._prepare_x(x)
        if y is None:
            raise ValueError(f"{what}: y is required when x is an array")
        if self._compiled and self._compiled.get("outputs"):
            from . import multi_output
            y = multi_output.targets_as_list(y, self._output_names(), what)
        else:
            y = _to_array(y)
        if self._len(x) != self._len(y):
            raise ValueError(f"{what}: x and y have different lengths ({self._len(x)} and "
                             f"{self._len(y)})")
        return x, y

    @staticmethod
    def _sample_weights(y, sample_weight, class_weight, what):
        """Per-sample weights from sample_weight or class_weight (Keras allows one of them)."""
        if class_weight is not None and sample_weight is not None:
            raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
        if sample_weight is not None:
            sw = _to_array(sample_weight).astype(np.float64)
            n = None if y is None else (len(y[0]) if isinstance(y, list) else len(y))
            if n is not None and len(sw) != n:
                raise ValueError(f"{what}: sample_weight has {len(sw)} entries for {n} samples")
            return sw
        if class_weight is None:
            return None
        if isinstance(y, list):
            raise ValueError(f"{what}: class_weight is not supported for models with several "
                             "outputs; pass sample_weight")
        if not isinstance(class_weight, dict):
            raise TypeError(f"{what}: class_weight must be a dict {{class index: weight}}, "
                            f"got {type(class_weight).__name__}")
        if y is None:
            raise ValueError(f"{what}: class_weight needs array targets, not a DataLoader")
        # one-hot targets: the class is the argmax; (N,) or (N, 1) labels: the label itself
        labels = np.argmax(y, axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else \
            np.round(y.reshape(len(y), -1)[:, 0]).astype(np.int64)
        missing = set(np.unique(labels).tolist()) - set(int(k) for k in class_weight)
        if missing:
            raise ValueError(f"{what}: class_weight has no entry for class(es) {sorted(missing)}")
        table = {int(k): float(v) for k, v in class_weight.items()}
        return np.array([table[int(c)] for c in labels], dtype=np.float64)

    def _ensure_built(self, x):
        module = self._keras_module()
        if getattr(module, "built", True):
            return
        from ..autograd.grad_mode import no_grad
        sample = next(iter(self._batches(x, None, 1, False)))[0]
        with no_grad():
            module(*self._as_inputs(sample))

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
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, **kwargs):
        """Train for ``epochs`` epochs; returns the History."""
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
            bar = ProgressBar(steps, verbose)
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
                val = self.evaluate(vx, vy, batch_size=batch_size, sample_weight=vsw, verbose=0,
                                    return_dict=True)
                logs.update({"val_" + k: v for k, v in val.items()})
            callback_list.on_epoch_end(epoch, logs)
            bar.close(logs)
            if self.stop_training:
                break
        callback_list.on_train_end()
        return history

    @staticmethod
    def _split_validation(validation_data):
        if _is_loader(validation_data):
            return validation_data, None, None
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("fit: validation_data must be (x_val, y_val), "
                             "(x_val, y_val, val_sample_weight) or a DataLoader")
        return tuple(validation_data) + (None,) * (3 - len(validation_data))

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

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 return_dict=False, **kwargs):
        """Loss and metrics on (x, y): a float, a list [loss, metric...], or a dict."""
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
        bar = ProgressBar(steps, verbose)
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

    def predict(self, x, batch_size=None, verbose=0, **kwargs):
        """The model's outputs for ``x`` as a NumPy array (a list for several outputs)."""
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

    def save(self, filepath, overwrite=True, **kwargs):
        """Architecture (JSON) and weights in one safetensors file; see keras/saving.py."""
        from .saving import save_model
        return save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        from .saving import save_weights
        return save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath):
        from .saving import load_weights
        return load_weights(self, filepath)


class ModuleWrapper(TrainingMixin):
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
