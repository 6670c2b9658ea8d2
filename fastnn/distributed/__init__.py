"""fastnn.distributed: ``torch.distributed``'s process group and collectives over MPI.

Launch a script with ``mpirun -n 4 python train.py`` (or Slurm's ``srun``), call
``init_process_group(backend="mpi")``, and the collectives below move fastnn
tensors between the ranks in place through mpi4py (``pip install "fastnn[mpi]"``).
``fastnn.nn.parallel.DistributedDataParallel`` and
``fastnn.utils.data.distributed.DistributedSampler`` build data-parallel training
on them; docs/distributed.md explains the whole picture. ``import
fastnn.distributed`` works without mpi4py: ``is_available()`` then says False.
"""
from .collectives import (ReduceOp, Work, all_gather, all_gather_into_tensor,  # noqa: F401
                          all_gather_object, all_reduce, broadcast, broadcast_object_list, gather,
                          reduce, reduce_scatter_tensor, scatter)
from .p2p import irecv, isend, recv, send  # noqa: F401
from .process_group import (barrier, destroy_process_group, get_backend, get_rank,  # noqa: F401
                            get_world_size, group, init_process_group, is_available,
                            is_initialized, is_mpi_available)

__all__ = ["init_process_group", "destroy_process_group", "is_available", "is_mpi_available",
           "is_initialized", "get_rank", "get_world_size", "get_backend", "barrier", "group",
           "ReduceOp", "Work", "all_reduce", "reduce", "broadcast", "all_gather",
           "all_gather_into_tensor", "gather", "scatter", "reduce_scatter_tensor",
           "all_gather_object", "broadcast_object_list", "send", "recv", "isend", "irecv"]
