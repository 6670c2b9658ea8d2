"""DataLoader: batches of samples from a Dataset, shuffled with fastnn's generator.

Runs in the calling process: ``num_workers`` and the other multiprocessing
options are accepted for PyTorch compatibility and ignored, with one warning per
process for ``num_workers > 0``. Worker processes would pay a pickled copy of
every batch (and of the dataset at each spawn), fail on datasets defined in a
script's ``__main__`` under spawn, and compete for the cores fastnn's OpenMP
kernels already use; fastnn's batches are one NumPy fancy-index for a
TensorDataset. ``get_worker_info()`` is therefore always None, as in PyTorch's
main process, and ``worker_init_fn`` is never called. When the dataset is
a TensorDataset and the default collate is used, each batch is one fancy-index
per tensor instead of ``batch_size`` single-sample lookups and a stack.
"""
from __future__ import annotations

import collections.abc
import numbers
import warnings
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from ..._tensor import Tensor
from .dataset import IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "get_worker_info"]


def _stack_tensors(batch: Sequence[Tensor]) -> Tensor:
    return Tensor._wrap(np.stack([t._data for t in batch]))


def default_collate(batch: Sequence[Any]) -> Any:
    """Stacks a list of samples into a batch, recursively through tuples, lists and dicts
    (what DataLoader does when no ``collate_fn`` is given).

    Tensors and arrays are stacked along a new first dimension; Python ints become
    int64, floats float64 and bools bool Tensors (as in PyTorch); strings stay a list;
    a dict becomes a dict of batches, a tuple or list of fields a list of batched fields.

    Args:
        batch (list): the samples, all of the same structure.

    Example::

        >>> from fastnn.utils.data import default_collate
        >>> default_collate([(fastnn.tensor([1.0, 2.0]), 0), (fastnn.tensor([3.0, 4.0]), 1)])
        [tensor([[1., 2.],
                [3., 4.]]), tensor([0, 1])]
        >>> default_collate([{"x": 1.5}, {"x": 2.5}])["x"].dtype == fastnn.float64
        True
    """
    if len(batch) == 0:
        raise ValueError("default_collate: empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor):
        shapes = {t.shape for t in batch}
        if len(shapes) != 1:
            raise RuntimeError("default_collate: tensors in a batch must all have the same shape, "
                               f"got {sorted(shapes)}")
        return _stack_tensors(batch)
    if isinstance(elem, (np.ndarray, np.generic)):
        if elem.dtype.kind in "OUS":
            raise TypeError(f"default_collate: cannot batch arrays of dtype {elem.dtype}")
        shapes = {np.shape(a) for a in batch}
        if len(shapes) != 1:
            raise RuntimeError(f"default_collate: arrays in a batch must all have the same shape, got {sorted(shapes)}")
        return Tensor._wrap(np.stack([np.asarray(a) for a in batch]))
    if isinstance(elem, bool):
        return Tensor._wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return Tensor._wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return Tensor._wrap(np.array(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        n = len(elem)
        if any(len(s) != n for s in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain Tensors, NumPy arrays, numbers, dicts or "
                    f"lists; found {type(elem).__name__}")


_warned_workers = False


def _warn_workers_once(n: int) -> None:
    global _warned_workers
    if not _warned_workers:
        _warned_workers = True
        warnings.warn(f"DataLoader: num_workers={n} is ignored; fastnn loads batches in the "
                      "calling process (see fastnn/utils/data/dataloader.py). This warning is "
                      "shown once.", UserWarning, stacklevel=3)


def get_worker_info() -> None:
    """Information about the current DataLoader worker: always ``None``, as in PyTorch's
    main process, since fastnn's DataLoader loads in the calling process.

    Example::

        >>> from fastnn.utils.data import get_worker_info
        >>> get_worker_info() is None
        True
    """
    return None


class DataLoader:
    """Iterates over ``dataset`` in batches.

    ``shuffle=True`` draws a new permutation each epoch from ``generator`` or, when none
    is given, from fastnn's default generator, so ``fastnn.manual_seed(s)`` before the
    loop makes the epochs reproducible. Batches are loaded in the calling process.

    Args:
        dataset (Dataset): a map-style dataset (``__getitem__``, ``__len__``) or an
            IterableDataset.
        batch_size (int, optional): samples per batch; ``None`` yields single samples
            without collating. Default: ``1``
        shuffle (bool): a new random order every epoch. Default: ``False``
        sampler (Sampler or iterable, optional): the order of indices (excludes
            ``shuffle``). Default: ``None``
        batch_sampler (Sampler or iterable, optional): yields lists of indices (excludes
            ``batch_size``, ``shuffle``, ``sampler``, ``drop_last``). Default: ``None``
        num_workers (int): accepted for PyTorch's signature; loading stays in this
            process (a one-time warning when > 0). Default: ``0``
        collate_fn (callable, optional): turns a list of samples into a batch.
            Default: :func:`default_collate`
        pin_memory (bool): accepted; unused. Default: ``False``
        drop_last (bool): drop a last, shorter batch. Default: ``False``
        timeout, worker_init_fn, prefetch_factor, persistent_workers: accepted for
            PyTorch's signature; unused (there are no workers).
        generator (numpy.random.Generator, optional): the randomness of ``shuffle``.
            Default: ``None``

    Example::

        >>> from fastnn.utils.data import DataLoader, TensorDataset
        >>> ds = TensorDataset(fastnn.arange(6.0).reshape(3, 2), fastnn.tensor([0, 1, 0]))
        >>> loader = DataLoader(ds, batch_size=2)
        >>> len(loader)
        2
        >>> for x, y in loader:
        ...     print(tuple(x.shape), y)
        (2, 2) tensor([0, 1])
        (1, 2) tensor([0])
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool = False,
                 sampler: Iterable[int] | None = None,
                 batch_sampler: Iterable[list[int]] | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 generator: np.random.Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False) -> None:
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be a non-negative integer")
        self.dataset = dataset
        self.num_workers = num_workers  # accepted, loading always happens in this process
        if num_workers > 0:
            _warn_workers_once(num_workers)
        self.pin_memory = pin_memory
        self.generator = generator
        self._auto_collate = collate_fn is None
        self.collate_fn: Callable[[list], Any] = default_collate if collate_fn is None else collate_fn
        self._iterable = isinstance(dataset, IterableDataset)
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                       or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer or None, got {batch_size!r}")
        if self._iterable:
            if shuffle:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler option")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_sampler is None and batch_size is not None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = bool(drop_last)
        self.sampler: Any = sampler
        self.batch_sampler: Any = batch_sampler

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)  # TypeError when the stream has no length, like PyTorch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def __iter__(self) -> Iterator[Any]:
        if self._iterable:
            return self._iter_stream()
        if self.batch_sampler is None:
            return (self.collate_fn(self.dataset[i]) if not self._auto_collate
                    else self.dataset[i] for i in self.sampler)
        return self._iter_batches()

    def _iter_batches(self):
        fast = self._auto_collate and type(self.dataset) is TensorDataset
        for indices in self.batch_sampler:
            if fast:
                yield self.dataset._get_batch(np.asarray(indices, dtype=np.int64))
            else:
                yield self.collate_fn([self.dataset[i] for i in indices])

    def _iter_stream(self):
        if self.batch_size is None:
            for sample in self.dataset:
                yield sample if self._auto_collate else self.collate_fn(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)
