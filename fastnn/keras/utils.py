"""keras.utils: to_categorical, normalize, set_random_seed, PyDataset (Sequence)."""
from __future__ import annotations

import numpy as np

__all__ = ["to_categorical", "normalize", "set_random_seed", "PyDataset", "Sequence"]


class PyDataset:
    """Base class for a dataset of ready-made batches: define ``__len__`` (batches per epoch)
    and ``__getitem__(i)`` returning ``(x, y)`` or ``(x, y, sample_weight)``; ``fit`` calls
    ``on_epoch_end()`` after each pass. (Keras's worker options are accepted and ignored:
    batches are made in the training process.)"""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers

    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError

    def on_epoch_end(self):
        pass


Sequence = PyDataset  # the Keras 2 name


def to_categorical(x, num_classes=None):
    """One-hot rows for integer class labels (Keras 3: a trailing axis of 1 is dropped,
    the result is float64 for NumPy input, as Keras's NumPy path gives)."""
    from .._tensor import Tensor
    arr = np.asarray(x._data if isinstance(x, Tensor) else x)
    if arr.dtype.kind == "f":
        if not np.all(arr == np.round(arr)):
            raise ValueError("to_categorical: labels must be whole numbers")
    elif arr.dtype.kind not in "iub":
        raise TypeError(f"to_categorical: expected integer labels, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.ndim > 1 and arr.shape[-1] == 1:
        arr = arr.reshape(arr.shape[:-1])
    if arr.size and arr.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, got {arr.min()}")
    if num_classes is None:
        num_classes = int(arr.max()) + 1 if arr.size else 0
    elif arr.size and arr.max() >= num_classes:
        raise ValueError(f"to_categorical: label {arr.max()} is out of range for "
                         f"num_classes={num_classes}")
    out = np.zeros(arr.shape + (int(num_classes),), dtype=np.float64)
    np.put_along_axis(out, arr[..., None], 1.0, axis=-1)
    return out


def normalize(x, axis=-1, order=2):
    """x divided by its ``order``-norm along ``axis`` (zero vectors stay zero)."""
    arr = np.asarray(x, dtype=np.float64 if np.asarray(x).dtype.kind != "f" else None)
    norm = np.linalg.norm(arr, ord=order, axis=axis, keepdims=True)
    return arr / np.where(norm == 0, 1, norm)


def set_random_seed(seed):
    """Seed fastnn's generator and NumPy's and Python's global ones, as Keras does."""
    import random

    import fastnn
    random.seed(seed)
    np.random.seed(seed)
    fastnn.manual_seed(seed)
