"""Samplers: which dataset indices a DataLoader visits, and in which order."""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Sized

import numpy as np

from ...random import default_generator

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler"]


class Sampler:
    """Base class of samplers: an iterable over dataset indices (subclasses define
    ``__iter__`` and usually ``__len__``), given to a DataLoader as ``sampler``.

    Example::

        >>> from fastnn.utils.data import DataLoader, Sampler
        >>> class Backwards(Sampler):
        ...     def __init__(self, n):
        ...         self.n = n
        ...     def __iter__(self):
        ...         return iter(range(self.n - 1, -1, -1))
        ...     def __len__(self):
        ...         return self.n
        >>> [b.tolist() for b in DataLoader([0, 10, 20], batch_size=2, sampler=Backwards(3))]
        [[20, 10], [0]]
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """The indices ``0 .. len(data_source) - 1`` in order.

    Args:
        data_source (Dataset): the dataset (only its length is used).

    Example::

        >>> from fastnn.utils.data import SequentialSampler
        >>> list(SequentialSampler(range(4)))
        [0, 1, 2, 3]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _generator(g: np.random.Generator | None) -> np.random.Generator:
    # Looked up at iteration time: fastnn.manual_seed replaces the default generator.
    return g if g is not None else default_generator()


class RandomSampler(Sampler):
    """The indices in a fresh random order every epoch, or ``num_samples`` draws with
    replacement.

    Args:
        data_source (Dataset): the dataset (only its length is used).
        replacement (bool): draw with replacement. Default: ``False``
        num_samples (int, optional): how many indices per epoch. Default: ``len(data_source)``
        generator (numpy.random.Generator, optional): the randomness; fastnn's default
            generator (seeded by ``fastnn.manual_seed``) when ``None``. Default: ``None``

    Example::

        >>> from fastnn.utils.data import RandomSampler
        >>> order = list(RandomSampler(range(5)))
        >>> sorted(order), len(list(RandomSampler(range(5), replacement=True, num_samples=8)))
        ([0, 1, 2, 3, 4], 8)
    """

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(f"num_samples should be a positive integer, got {num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _indices(self) -> np.ndarray:
        g, n = _generator(self.generator), len(self.data_source)
        if self.replacement:
            return g.integers(0, n, size=self.num_samples)
        reps = -(-self.num_samples // n) if n else 0
        return np.concatenate([g.permutation(n) for _ in range(max(reps, 1))])[:self.num_samples]

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices().tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order each epoch.

    Args:
        indices (sequence of int): the dataset indices to visit.
        generator (numpy.random.Generator, optional): the randomness; fastnn's default
            generator when ``None``. Default: ``None``

    Example::

        >>> from fastnn.utils.data import SubsetRandomSampler
        >>> sorted(SubsetRandomSampler([1, 3, 5]))
        [1, 3, 5]
    """

    def __init__(self, indices: Iterable[int],
                 generator: np.random.Generator | None = None) -> None:
        self.indices = list(indices)
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        perm = _generator(self.generator).permutation(len(self.indices))
        return iter([self.indices[i] for i in perm])

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of ``batch_size``.

    Args:
        sampler (Sampler or iterable): the indices to group.
        batch_size (int): the size of each list.
        drop_last (bool): drop a last, shorter list.

    Example::

        >>> from fastnn.utils.data import BatchSampler, SequentialSampler
        >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
        [[0, 1], [2, 3], [4]]
        >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=True))
        [[0, 1], [2, 3]]
    """

    def __init__(self, sampler: Any, batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer, got {batch_size!r}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = bool(drop_last)

    def __iter__(self) -> Iterator[list[int]]:
        if isinstance(self.sampler, RandomSampler):  # whole permutation at once: cheap slicing
            idx = self.sampler._indices()
            stop = len(idx) - len(idx) % self.batch_size if self.drop_last else len(idx)
            for s in range(0, stop, self.batch_size):
                yield idx[s:s + self.batch_size].tolist()
            return
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
