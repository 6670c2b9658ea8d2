"""Datasets: the map-style Dataset protocol, TensorDataset, Subset, ConcatDataset, random_split."""
from __future__ import annotations

import bisect
import math
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from ...random import default_generator
from ..._tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


class Dataset:
    """A map-style dataset: ``dataset[i]`` returns sample ``i``. Subclasses define
    ``__getitem__`` and, for samplers and ``len(loader)``, ``__len__``; ``a + b``
    concatenates two datasets.

    Example::

        >>> from fastnn.utils.data import Dataset
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return i * i
        >>> ds = Squares()
        >>> ds[3], len(ds + ds)
        (9, 8)
    """

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__`` (no indexing, so no sampler
    and no shuffling); a DataLoader batches the stream as it comes.

    Example::

        >>> from fastnn.utils.data import DataLoader, IterableDataset
        >>> class Count(IterableDataset):
        ...     def __iter__(self):
        ...         return iter(range(5))
        >>> [b.tolist() for b in DataLoader(Count(), batch_size=2)]
        [[0, 1], [2, 3], [4]]
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __add__(self, other: Dataset) -> Any:
        raise TypeError("IterableDatasets cannot be concatenated with +")


def _as_tensor(x: Any, name: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return Tensor._wrap(x)
    raise TypeError(f"TensorDataset: {name} must be a Tensor or a NumPy array, got {type(x).__name__}")


def _index(arr: Any, index: Any) -> Tensor:
    out = arr[index]
    return Tensor._wrap(np.asarray(out) if isinstance(out, np.generic) else out)


class TensorDataset(Dataset):
    """A dataset of tensors sharing their first dimension: sample ``i`` is
    ``(t[i] for t in tensors)``.

    NumPy arrays are wrapped without copying. A DataLoader with the default collate
    takes each batch as one fancy-index per tensor instead of per-sample lookups.

    Args:
        *tensors (Tensor or numpy.ndarray): the columns, all with the same first size.

    Example::

        >>> from fastnn.utils.data import TensorDataset
        >>> ds = TensorDataset(fastnn.arange(6.0).reshape(3, 2), fastnn.tensor([0, 1, 0]))
        >>> len(ds), ds[1]
        (3, (tensor([2., 3.]), tensor(1)))
    """

    def __init__(self, *tensors: Tensor | np.ndarray) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.tensors = tuple(_as_tensor(t, f"tensors[{i}]") for i, t in enumerate(tensors))
        for i, t in enumerate(self.tensors):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensors[{i}] is 0-d; every tensor needs a first dimension")
        n = self.tensors[0].shape[0]
        for i, t in enumerate(self.tensors):
            if t.shape[0] != n:
                raise ValueError(f"Size mismatch between tensors: tensors[0] has {n} rows, "
                                 f"tensors[{i}] has {t.shape[0]}")

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(_index(t._data, index) for t in self.tensors)

    def _get_batch(self, indices: np.ndarray) -> list[Tensor]:
        """All rows in ``indices`` (an int64 array) at once, one Tensor per tensor."""
        return [Tensor._wrap(t._data[indices]) for t in self.tensors]

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset (Dataset): the whole dataset.
        indices (sequence of int): the positions to keep.

    Example::

        >>> from fastnn.utils.data import Subset
        >>> sub = Subset([10, 11, 12, 13], [3, 0])
        >>> len(sub), sub[0], sub[1]
        (2, 13, 10)
    """

    def __init__(self, dataset: Any, indices: Iterable[int]) -> None:
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, (list, tuple, np.ndarray)):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several map-style datasets one after another.

    Args:
        datasets (iterable of Dataset): the parts, in order (not IterableDatasets).

    Example::

        >>> from fastnn.utils.data import ConcatDataset
        >>> both = ConcatDataset([[1, 2, 3], [4, 5]])
        >>> len(both), both[3], both.cumulative_sizes
        (5, 4, [3, 5])
    """

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            if -idx > len(self):
                raise IndexError("absolute value of index should not exceed dataset length")
            idx += len(self)
        if idx >= len(self):
            raise IndexError(f"index {idx} is out of range for a dataset of {len(self)}")
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[d - 1] if d > 0 else 0
        return self.datasets[d][idx - start]


def random_split(dataset: Any, lengths: Sequence[int | float],
                 generator: np.random.Generator | None = None) -> list[Subset]:
    """Splits ``dataset`` at random into non-overlapping Subsets of the given lengths.

    Fractions summing to 1 are floored and the remainder handed out one by one from
    the first split, as PyTorch does.

    Args:
        dataset (Dataset): the dataset to split.
        lengths (sequence): the split sizes (summing to ``len(dataset)``) or fractions
            (summing to 1).
        generator (numpy.random.Generator, optional): the source of the permutation.
            Default: fastnn's default generator, so ``fastnn.manual_seed`` makes it
            reproducible.

    Example::

        >>> from fastnn.utils.data import random_split
        >>> train, val = random_split(range(10), [0.8, 0.2])
        >>> len(train), len(val), sorted(list(train) + list(val)) == list(range(10))
        (8, 2, True)
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        sizes = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if any(int(x) != x or x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers or fractions, got {lengths}")
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    g = generator if generator is not None else default_generator()
    perm = g.permutation(n)
    out, offset = [], 0
    for size in lengths:
        out.append(Subset(dataset, perm[offset:offset + int(size)].tolist()))
        offset += int(size)
    return out
