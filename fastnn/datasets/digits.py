"""The UCI handwritten digits: 1,797 8x8 grey images of 0-9, shipped inside fastnn.

Source: UCI Machine Learning Repository, "Optical Recognition of Handwritten
Digits" (Alpaydin & Kaynak, 1998), CC BY 4.0 -- see data/LICENSE.txt and
data/make_digits.py for how data/digits.npz was produced. Pixels are counts
0..16; the fixed, stratified split puts 36 images of every class (360) in
"test" and the other 1,437 in "train".
"""
import os

import numpy as np

from ..utils.data import Dataset

__all__ = ["load_digits", "Digits"]

_PATH = os.path.join(os.path.dirname(__file__), "data", "digits.npz")
_SPLITS = ("train", "test", "all")
_cache = None


def _raw():
    global _cache
    if _cache is None:
        if not os.path.exists(_PATH):
            raise FileNotFoundError(f"{_PATH} is missing from the fastnn installation; reinstall "
                                    "fastnn (the file ships with the package)")
        with np.load(_PATH) as f:
            _cache = (f["images"], f["labels"], f["is_test"])
    return _cache


def load_digits(split="train", normalize=True):
    """(images, labels) as NumPy arrays: float32 (N, 1, 8, 8) and int64 (N,).

    ``split``: "train" (1,437 images), "test" (360) or "all" (1,797, file order).
    ``normalize=True`` scales pixels to [0, 1] (divides by 16); False keeps the
    raw counts 0..16 (still float32).
    """
    if split not in _SPLITS:
        raise ValueError(f"load_digits: split must be one of {_SPLITS}, got {split!r}")
    images, labels, is_test = _raw()
    if split == "train":
        sel = ~is_test
    elif split == "test":
        sel = is_test
    else:
        sel = slice(None)
    x = images[sel].astype(np.float32)[:, None, :, :]
    if normalize:
        x /= np.float32(16.0)
    return x, labels[sel].astype(np.int64)


class Digits(Dataset):
    """Map-style dataset over ``load_digits(split)``: ``ds[i] -> (image (1, 8, 8) float32, label int)``."""

    classes = [str(i) for i in range(10)]

    def __init__(self, split="train", transform=None, target_transform=None, normalize=True):
        self.split = split
        self.data, self.targets = load_digits(split, normalize=normalize)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target
