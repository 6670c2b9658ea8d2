"""fastnn.utils.data: Dataset, TensorDataset, DataLoader, samplers, random_split (PyTorch's API)."""
from .dataloader import DataLoader, default_collate, get_worker_info
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
           "DataLoader", "default_collate", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "BatchSampler", "get_worker_info"]
from .distributed import DistributedSampler  # noqa: E402

__all__ += ["DistributedSampler"]
