"""keras.utils: to_categorical, normalize, set_random_seed, PyDataset (Sequence)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["to_categorical", "normalize", "set_random_seed", "PyDataset", "Sequence"]


class PyDataset:
    """The base class of a dataset of ready-made batches, which ``fit`` / ``evaluate`` /
    ``predict`` take as ``x``.

    Define ``__len__`` (batches per epoch) and ``__getitem__(i)`` returning ``(x, y)`` or
    ``(x, y, sample_weight)``; ``fit`` reads batches 0 .. len - 1 in order and calls
    ``on_epoch_end()`` after each pass (shuffle there). ``Sequence`` is the Keras 2 name.

    Args:
        workers, use_multiprocessing, max_queue_size: accepted for Keras compatibility;
            batches are made in the training process.

    Example::

        >>> from fastnn import keras
        >>> class Batches(keras.utils.PyDataset):
        ...     def __len__(self):
        ...         return 3
        ...     def __getitem__(self, i):
        ...         return np.full((4, 2), i, "float32"), np.zeros((4, 1), "float32")
        >>> model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
        >>> _ = model.compile(optimizer="sgd", loss="mse")
        >>> len(model.fit(Batches(), epochs=2, verbose=0).history["loss"])
        2
        >>> model.predict(Batches()).shape
        (12, 1)
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10) -> None:
        self.workers = workers

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    def on_epoch_end(self) -> None:
        """Called after each pass over the batches (e.g. to reshuffle)."""


Sequence = PyDataset  # the Keras 2 name


def to_categorical(x: ArrayLike, num_classes: int | None = None) -> np.ndarray:
    """One-hot rows for integer class labels.

    As Keras 3: a trailing axis of 1 is dropped, and the result is float64 (what Keras's
    NumPy path gives).

    Args:
        x (array-like or Tensor): class indices >= 0 (whole-number floats accepted).
        num_classes (int, optional): the number of classes. Default: ``max(x) + 1``.

    Returns:
        numpy.ndarray: ``x.shape + (num_classes,)``.

    Example::

        >>> from fastnn import keras
        >>> keras.utils.to_categorical([0, 2, 1])
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]])
        >>> keras.utils.to_categorical(np.array([[1], [0]]), num_classes=3).shape
        (2, 3)
    """
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


def normalize(x: ArrayLike, axis: int = -1, order: int = 2) -> np.ndarray:
    """``x`` divided by its ``order``-norm along ``axis`` (zero vectors stay zero).

    Example::

        >>> from fastnn import keras
        >>> keras.utils.normalize([[3.0, 4.0], [0.0, 0.0]])
        array([[0.6, 0.8],
               [0. , 0. ]])
    """
    arr = np.asarray(x, dtype=np.float64 if np.asarray(x).dtype.kind != "f" else None)
    norm = np.linalg.norm(arr, ord=order, axis=axis, keepdims=True)
    return arr / np.where(norm == 0, 1, norm)


def set_random_seed(seed: int) -> None:
    """Seed fastnn's generator and NumPy's and Python's global ones, as Keras does, so
    weight initialisation, dropout and shuffling repeat.

    Example::

        >>> from fastnn import keras
        >>> keras.utils.set_random_seed(1)
        >>> a = keras.layers.Dense(2, input_shape=(3,)).get_weights()[0]
        >>> keras.utils.set_random_seed(1)
        >>> np.array_equal(a, keras.layers.Dense(2, input_shape=(3,)).get_weights()[0])
        True
    """
    import random

    import fastnn
    random.seed(seed)
    np.random.seed(seed)
    fastnn.manual_seed(seed)
