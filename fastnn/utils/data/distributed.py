"""DistributedSampler: each rank's share of a dataset, ``torch.utils.data.DistributedSampler``'s rules.

Every rank builds the same index list (a permutation seeded by ``seed + epoch``
when shuffling, else ``0..n-1``), makes its length a multiple of
``num_replicas`` -- by repeating indices from its start, or with
``drop_last=True`` by cutting the tail -- and takes every ``num_replicas``-th
index from position ``rank``. So the ranks' shares are equally long (every
rank runs the same number of steps, which collectives need) and, without
padding, disjoint. Call ``set_epoch(epoch)`` before each epoch for a new order.

The permutation comes from NumPy's generator, not PyTorch's: the lengths,
padding, partition and determinism are PyTorch's, the shuffled order is not.
"""
from __future__ import annotations

import math
from typing import Any, Iterator, Sized

import numpy as np

from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _int_arg(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"DistributedSampler: {name} must be an int, got {type(value).__name__}")
    return int(value)


class DistributedSampler(Sampler):
    """The share of ``dataset``'s indices that rank ``rank`` of ``num_replicas`` visits:
    every ``num_replicas``-th index of one common list (shuffled by ``seed + epoch``),
    padded by repeating from its start (or cut, with ``drop_last``) so that every rank
    gets the same number. Call :meth:`set_epoch` before each epoch for a new order.

    Args:
        dataset (Dataset): the dataset (only its length is used).
        num_replicas (int, optional): number of ranks. Default: the process group's size
        rank (int, optional): this rank. Default: the process group's rank
        shuffle (bool): shuffle the list each epoch. Default: ``True``
        seed (int): the shuffle's seed, the same on every rank. Default: ``0``
        drop_last (bool): cut the tail instead of padding. Default: ``False``

    Example::

        >>> from fastnn.utils.data import DistributedSampler
        >>> [list(DistributedSampler(range(5), num_replicas=2, rank=r, shuffle=False))
        ...  for r in (0, 1)]
        [[0, 2, 4], [1, 3, 0]]
    """

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            if not dist.is_initialized():
                raise RuntimeError("DistributedSampler: pass num_replicas and rank, or call "
                                   "fastnn.distributed.init_process_group() first")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        num_replicas = _int_arg("num_replicas", num_replicas)
        rank = _int_arg("rank", rank)
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be >= 1, got {num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.shuffle = bool(shuffle)
        self.seed = _int_arg("seed", seed)
        self.drop_last = bool(drop_last)
        n = len(dataset)
        if self.drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            indices = np.arange(n)
        if not self.drop_last:
            pad = self.total_size - n
            if pad > 0:  # repeat from the start, as often as needed (n may be < num_replicas)
                indices = np.concatenate([indices, np.resize(indices, pad)])
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """The shuffled order of epoch ``epoch`` (same on every rank for the same seed)."""
        self.epoch = _int_arg("epoch", epoch)
