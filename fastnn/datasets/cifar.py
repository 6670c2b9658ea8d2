"""CIFAR-10 in its binary version: read_cifar10_binary(path) and the CIFAR10 dataset.

Each record of data_batch_{1..5}.bin / test_batch.bin is 1 label byte followed
by 3072 pixel bytes: the 1024 red, then green, then blue values of a 32x32
image, row by row -- already channel-first (NCHW).
"""
import os

import numpy as np

from ..utils.data import Dataset
from ._common import read_bytes

__all__ = ["read_cifar10_binary", "CIFAR10"]

_RECORD = 1 + 3 * 32 * 32
_HINT = ("Get the binary version (cifar-10-binary.tar.gz) from "
         "https://www.cs.toronto.edu/~kriz/cifar.html and extract it; fastnn does not download data.")
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def read_cifar10_binary(path):
    """(images uint8 (N, 3, 32, 32), labels int64 (N,)) from one CIFAR-10 binary batch file."""
    path = os.fspath(path)
    raw = read_bytes(path, _HINT)
    if len(raw) == 0:
        raise ValueError(f"{path}: empty file, expected records of {_RECORD} bytes")
    if len(raw) % _RECORD:
        raise ValueError(f"{path}: size {len(raw)} is not a multiple of the {_RECORD}-byte CIFAR-10 "
                         f"record (truncated or not a CIFAR-10 binary batch)")
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise ValueError(f"{path}: record {bad} has label {labels[bad]}, CIFAR-10 labels are 0..9 "
                         "(is this CIFAR-100 or a corrupt file?)")
    images = records[:, 1:].reshape(-1, 3, 32, 32).copy()
    return images, labels


class CIFAR10(Dataset):
    """CIFAR-10 from ``root/cifar-10-batches-bin/`` (or ``root`` itself holding the .bin files).

    ``ds[i] -> (image float32 (3, 32, 32) in [0, 1], label int)`` before
    ``transform`` / ``target_transform``; ``data`` is uint8 (N, 3, 32, 32).
    """

    classes = CLASSES
    base_folder = "cifar-10-batches-bin"

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        root = os.fspath(root)
        self.root, self.train = root, train
        self.transform, self.target_transform = transform, target_transform
        folder = os.path.join(root, self.base_folder)
        if not os.path.isdir(folder):
            folder = root
        names = [f"data_batch_{i}.bin" for i in range(1, 6)] if train else ["test_batch.bin"]
        missing = [n for n in names if not os.path.exists(os.path.join(folder, n))]
        if missing:
            extra = " (download=True is not supported.)" if download else ""
            raise FileNotFoundError(f"CIFAR-10 files {', '.join(missing)} not found in {folder}. "
                                    f"{_HINT}{extra}")
        parts = [read_cifar10_binary(os.path.join(folder, n)) for n in names]
        self.data = np.concatenate([p[0] for p in parts])
        self.targets = np.concatenate([p[1] for p in parts])

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        img = self.data[index].astype(np.float32) / np.float32(255.0)
        target = int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target
