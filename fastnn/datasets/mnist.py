"""MNIST-style IDX files: read_mnist_idx(path) and the MNIST dataset.

IDX layout (LeCun's format): 2 zero bytes, a type byte, the number of
dimensions, then each dimension as a big-endian int32, then the data in
big-endian order. Files may be gzipped (detected from the content, not the name).
"""
import os
import struct

import numpy as np

from ..utils.data import Dataset
from ._common import find_file, read_bytes

__all__ = ["read_mnist_idx", "MNIST"]

_IDX_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_HINT = ("MNIST is available from https://yann.lecun.com/exdb/mnist/ or a mirror such as "
         "https://ossci-datasets.s3.amazonaws.com/mnist/ (train-images-idx3-ubyte.gz, "
         "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz); "
         "fastnn does not download data.")


def read_mnist_idx(path):
    """The array stored in an IDX file (gzipped or not), in native byte order.

    Raises FileNotFoundError when the file is missing and ValueError naming the
    file when the magic number, type code, dimensions or size are wrong.
    """
    path = os.fspath(path)
    raw = read_bytes(path, _HINT)
    if len(raw) < 4:
        raise ValueError(f"{path}: not an IDX file (only {len(raw)} bytes)")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: bad IDX magic number {raw[:4].hex()} (must start with 0000)")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise ValueError(f"{path}: unknown IDX data type code 0x{code:02x}")
    if ndim == 0:
        raise ValueError(f"{path}: IDX file declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes, {ndim} dimensions need {header})")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    if any(d >= 2 ** 31 for d in dims):
        raise ValueError(f"{path}: IDX dimension {dims} is negative as int32")
    dtype = _IDX_TYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    have = len(raw) - header
    if have < expected:
        raise ValueError(f"{path}: truncated IDX data: dimensions {dims} need {expected} bytes, "
                         f"file has {have}")
    if have > expected:
        raise ValueError(f"{path}: {have - expected} unexpected bytes after the IDX data "
                         f"(dimensions {dims})")
    arr = np.frombuffer(raw, dtype=dtype, count=expected // dtype.itemsize, offset=header)
    return arr.reshape(dims).astype(dtype.newbyteorder("="))


class MNIST(Dataset):
    """MNIST from IDX files under ``root`` (or ``root/MNIST/raw``, torchvision's layout).

    ``ds[i] -> (image float32 (1, 28, 28) in [0, 1], label int)``, before
    ``transform`` / ``target_transform``. ``data`` (uint8, N x 28 x 28) and
    ``targets`` (int64) hold the whole split.
    """

    classes = [str(i) for i in range(10)]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        root = os.fspath(root)
        self.root, self.train = root, train
        self.transform, self.target_transform = transform, target_transform
        prefix = "train" if train else "t10k"
        dirs = [root, os.path.join(root, "MNIST", "raw")]
        hint = _HINT + (" (download=True is not supported.)" if download else "")
        for d in dirs:
            try:
                img_path = find_file(d, [f"{prefix}-images-idx3-ubyte", f"{prefix}-images.idx3-ubyte"], hint)
                lbl_path = find_file(d, [f"{prefix}-labels-idx1-ubyte", f"{prefix}-labels.idx1-ubyte"], hint)
                break
            except FileNotFoundError:
                if d == dirs[-1]:
                    raise FileNotFoundError(f"MNIST {prefix} files not found in {root} or "
                                            f"{dirs[-1]}. {hint}") from None
        images, labels = read_mnist_idx(img_path), read_mnist_idx(lbl_path)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"{img_path}: expected a 3-D uint8 image array, got {images.ndim}-D {images.dtype}")
        if labels.ndim != 1 or labels.dtype != np.uint8:
            raise ValueError(f"{lbl_path}: expected a 1-D uint8 label array, got {labels.ndim}-D {labels.dtype}")
        if len(images) != len(labels):
            raise ValueError(f"{img_path} has {len(images)} images but {lbl_path} has {len(labels)} labels")
        if labels.size and labels.max() > 9:
            raise ValueError(f"{lbl_path}: label {labels.max()} is not a digit")
        self.data, self.targets = images, labels.astype(np.int64)

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        img = self.data[index][None].astype(np.float32) / np.float32(255.0)
        target = int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target
