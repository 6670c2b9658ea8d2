"""``fit`` / ``evaluate`` under ``mpirun``: the Keras front end's data parallelism.

When a script is launched on several MPI ranks (``mpirun -n 4 python train.py``,
or ``srun``), ``fit`` trains one replica per rank, as
``tf.distribute.MultiWorkerMirroredStrategy`` does for Keras:

* ``batch_size`` is the global batch; each rank takes ``batch_size / ranks``
  samples of it. Array data is dealt out by DistributedSampler's rules (one
  shuffled order per epoch shared by all ranks, padded so every rank runs the
  same number of steps); a DataLoader is dealt out by batches (rank r takes
  batches r, r + ranks, ...; a DataLoader whose sampler is already a
  DistributedSampler is used as it is);
* the module is wrapped in DistributedDataParallel (rank 0's weights to all,
  gradients averaged in backward);
* the epoch's loss and metrics, training and validation, are averaged over all
  ranks' samples, so every rank's History and callbacks see the same numbers
  (EarlyStopping stops all ranks together); the progress bar prints on rank 0
  alone, ModelCheckpoint and CSVLogger run on rank 0 alone, and the other
  callbacks run everywhere but print on rank 0 alone.

The process group is started here if the script has not done it. ``evaluate``
is collective in this mode: call it on every rank. One rank (or no launcher)
leaves fit exactly as it is.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

# environment variables by which MPI launchers announce the job's size
# (Open MPI, MPICH/Intel MPI, MVAPICH, a Slurm job step)
_SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE", "SLURM_STEP_NUM_TASKS")


def _launched_size() -> tuple[str | None, int]:
    for name in _SIZE_VARS:
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 1:
            return name, int(value)
    return None, 1


def current() -> DataParallel | None:
    """The data-parallel context of this process, or None when it runs alone."""
    from .. import distributed as dist
    if not dist.is_initialized():
        var, size = _launched_size()
        if size == 1:
            return None
        if not dist.is_available():
            import warnings
            warnings.warn(f"{var}={size}: launched on {size} processes, but mpi4py is not installed, "
                          "so each trains alone on all the data (pip install \"fastnn[mpi]\")",
                          RuntimeWarning, stacklevel=3)
            return None
        dist.init_process_group("mpi")
        if dist.get_world_size() != size:
            dist.destroy_process_group()
            raise RuntimeError(f"fit: {var}={size} says this job has {size} processes, but MPI "
                               "sees each alone (with srun, pass --mpi=pmix or --mpi=pmi2); "
                               "see docs/distributed.md")
    if dist.get_world_size() == 1:
        return None
    return DataParallel(dist)


def _is_loader(obj):
    from .data_adapters import _is_loader as is_loader
    return is_loader(obj)


class DataParallel:
    """What fit/evaluate do differently on several ranks (see the module docstring)."""

    def __init__(self, dist: Any) -> None:
        self.dist = dist
        self.rank = dist.get_rank()
        self.world = dist.get_world_size()
        self.seed = None

    # --- setup --------------------------------------------------------------------------
    def local_batch_size(self, batch_size: int) -> int:
        """This rank's share of the global ``batch_size``."""
        if batch_size % self.world:
            raise ValueError(f"fit: batch_size={batch_size} is the global batch and must divide "
                             f"by the {self.world} ranks")
        return batch_size // self.world

    def verbose(self, verbose: int) -> int:
        """The progress level on this rank: the given one on rank 0, silent elsewhere."""
        return verbose if self.rank == 0 else 0

    def callbacks(self, callbacks: Any) -> list[Any]:
        """Rank 0 keeps them all; the others drop the ones that write files, and
        their callbacks print nothing (EarlyStopping still stops them: it sees the
        same averaged logs on every rank)."""
        from .callbacks import CSVLogger, ModelCheckpoint
        callbacks = list(callbacks or [])
        if self.rank == 0:
            return callbacks
        kept = [cb for cb in callbacks if not isinstance(cb, (ModelCheckpoint, CSVLogger))]
        for cb in kept:
            if getattr(cb, "verbose", 0):
                cb.verbose = 0
        return kept

    def wrap(self, model: Any) -> Any:
        """The DistributedDataParallel around the model's module (made once, reused)."""
        from ..nn.parallel import DistributedDataParallel
        module = model._keras_module()
        ddp = model.__dict__.get("_keras_ddp")
        if ddp is None or ddp.module is not module:
            ddp = DistributedDataParallel(module)
            model.__dict__["_keras_ddp"] = ddp
        return ddp

    # --- data ---------------------------------------------------------------------------
    def _sampler(self, n, shuffle):
        from ..utils.data.distributed import DistributedSampler
        if self.seed is None:  # one seed for the whole job, drawn by rank 0
            from ..random import default_generator
            box = [int(default_generator().integers(0, 2 ** 31)) if self.rank == 0 else None]
            self.dist.broadcast_object_list(box, src=0)
            self.seed = box[0]
        return DistributedSampler(range(n), self.world, self.rank, shuffle=shuffle, seed=self.seed)

    def num_batches(self, x: Any, local_batch: int) -> int:
        """Batches per epoch on every rank (the same on all, so collectives pair up)."""
        if _is_loader(x):
            return len(x) if self._pre_sharded(x) else len(x) // self.world
        per_rank = len(self._sampler(len(x), False))
        return (per_rank + local_batch - 1) // local_batch

    @staticmethod
    def _pre_sharded(loader):
        from ..utils.data.distributed import DistributedSampler
        return isinstance(getattr(loader, "sampler", None), DistributedSampler)

    def batches(self, model: Any, x: Any, y: Any, local_batch: int, shuffle: bool, epoch: int,
                sample_weight: Any = None) -> Any:
        """This rank's ``(x, y, sample_weight)`` batches of epoch ``epoch``."""
        if _is_loader(x):
            if self._pre_sharded(x):
                x.sampler.set_epoch(epoch)
                yield from model._batches(x, None, local_batch, False)
                return
            stop = len(x) - len(x) % self.world
            for i, batch in enumerate(model._batches(x, None, local_batch, False)):
                if i >= stop:
                    return
                if i % self.world == self.rank:
                    yield batch
            return
        sampler = self._sampler(len(x), shuffle)
        sampler.set_epoch(epoch)
        idx = np.fromiter(iter(sampler), dtype=np.int64, count=len(sampler))
        for start in range(0, len(idx), local_batch):
            part = idx[start:start + local_batch]
            yield (model._take(x, part), model._take(y, part) if y is not None else None,
                   sample_weight[part] if sample_weight is not None else None)

    def eval_shard(self, x: Any, y: Any, sample_weight: Any = None) -> tuple[Any, Any, Any]:
        """This rank's part of evaluation data: every sample counted exactly once."""
        if _is_loader(x):
            if self._pre_sharded(x):
                return x, None, None
            raise ValueError("evaluate: on several ranks pass arrays, or a DataLoader whose "
                             "sampler is a DistributedSampler")
        part = slice(self.rank, None, self.world)
        return (x[part], y[part] if y is not None else None,
                sample_weight[part] if sample_weight is not None else None)

    # --- results ------------------------------------------------------------------------
    # Every Keras metric here keeps a running sum (Mean: total and count; the confusion
    # metrics: tp, fp, tn, fn per threshold), so summing each rank's state gives the
    # state of one process that saw all the batches.
    _METRIC_STATE = ("total", "count", "tp", "fp", "tn", "fn")

    def sum_epoch(self, model: Any, loss_total: float, seen: int) -> tuple[float, int]:
        """The epoch's loss sum, sample count and every metric's state summed over the
        ranks (metric states updated in place); returns (loss_total, seen)."""
        metrics = list(model._all_metrics())
        parts = [np.array([loss_total, seen], dtype=np.float64),
                 np.asarray(getattr(model, "_part_totals", []) or [], dtype=np.float64)]
        slots = []
        for m in metrics:
            for name in self._METRIC_STATE:
                if name in vars(m):
                    value = np.atleast_1d(np.asarray(getattr(m, name), dtype=np.float64))
                    slots.append((m, name, np.ndim(getattr(m, name)), value.size))
                    parts.append(value)
        from .._tensor import Tensor
        buf = Tensor._wrap(np.concatenate(parts))
        self.dist.all_reduce(buf)
        total = buf._data
        loss_total, seen = float(total[0]), int(total[1])  # a count of samples, exact in float64
        at = 2 + parts[1].size
        if parts[1].size:
            model._part_totals = [float(v) for v in total[2:at]]
        for m, name, ndim, size in slots:
            chunk = total[at:at + size]
            setattr(m, name, chunk.copy() if ndim else float(chunk[0]))
            at += size
        return loss_total, seen

    def any(self, flag: bool) -> bool:
        """True on every rank when ``flag`` is True on some rank."""
        from .._tensor import Tensor
        buf = Tensor._wrap(np.array([1 if flag else 0], dtype=np.int64))
        self.dist.all_reduce(buf, op=self.dist.ReduceOp.MAX)
        return bool(buf._data[0])
