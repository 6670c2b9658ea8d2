"""The data side of fit / evaluate / predict: what the caller passed (NumPy arrays,
Tensors, lists of them for several inputs, a DataLoader, a keras.utils.PyDataset or
a generator) turned into batches of Tensors in the model's dtype, plus sample and
class weights. TrainingMixin (training.py) inherits these helpers from DataMixin.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..nn import Module


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


class DataMixin:
    """Batching and conversion for TrainingMixin; the host provides ``_keras_module()``."""

    def _keras_module(self) -> Module:
        """The Module being trained (Model and Sequential: themselves; Model(net): net)."""
        raise NotImplementedError

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

    @staticmethod
    def _split_validation(validation_data):
        if _is_loader(validation_data):
            return validation_data, None, None
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("fit: validation_data must be (x_val, y_val), "
                             "(x_val, y_val, val_sample_weight) or a DataLoader")
        return tuple(validation_data) + (None,) * (3 - len(validation_data))
