"""fastnn.nn.parallel: DistributedDataParallel (``torch.nn.parallel``'s data parallelism over MPI)."""
from .distributed import DistributedDataParallel  # noqa: F401

__all__ = ["DistributedDataParallel"]
