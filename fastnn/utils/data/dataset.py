"""Datasets: the map-style Dataset protocol, TensorDataset, Subset, ConcatDataset, random_split."""
import bisect
import math
import numpy as np

from ...random import default_generator
from ..._tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


class Dataset:
    """A map-style dataset: ``dataset[i]`` returns sample ``i``; subclasses define __getitem__/__len__."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__`` (no indexing, no shuffling)."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __add__(self, other):
        raise TypeError("IterableDatasets cannot be concatenated with +")


def _as_tensor(x, name):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return Tensor._wrap(x)
    raise TypeError(f"TensorDataset: {name} must be a Tensor or a NumPy array, got {type(x).__name__}")


def _index(arr, index):
    out = arr[index]
    return Tensor._wrap(np.asarray(out) if isinstance(out, np.generic) else out)


class TensorDataset(Dataset):
    """Samples are the index-th rows of each tensor: ``(x[i], y[i])``.

    Arrays are wrapped without copying. DataLoader indexes it with a whole batch of
    indices at once (see ``_get_batch``), which is much faster than per-sample access.
    """

    def __init__(self, *tensors):
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

    def __getitem__(self, index):
        return tuple(_index(t._data, index) for t in self.tensors)

    def _get_batch(self, indices):
        """All rows in ``indices`` (an int64 array) at once, one Tensor per tensor."""
        return [Tensor._wrap(t._data[indices]) for t in self.tensors]

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, idx):
        if isinstance(idx, (list, tuple, np.ndarray)):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise IndexError("absolute value of index should not exceed dataset length")
            idx += len(self)
        if idx >= len(self):
            raise IndexError(f"index {idx} is out of range for a dataset of {len(self)}")
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[d - 1] if d > 0 else 0
        return self.datasets[d][idx - start]


def random_split(dataset, lengths, generator=None):
    """Split into non-overlapping Subsets of the given lengths (or fractions summing to 1).

    Fractions are floored and the remainder handed out one by one from the first
    split, as PyTorch does. Uses ``generator`` (a ``numpy.random.Generator``) or
    fastnn's default generator, so ``fastnn.manual_seed`` makes it reproducible.
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
