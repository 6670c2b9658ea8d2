"""fastnn.datasets: bundled digits, IDX and CIFAR-10 binary readers on synthetic files."""
import gzip
import os
import struct

import numpy as np
import pytest

import fastnn
from fastnn import datasets, optim
from fastnn.utils.data import DataLoader, TensorDataset

DATA_DIR = os.path.join(os.path.dirname(datasets.__file__), "data")


# --- digits -------------------------------------------------------------------------
def test_digits_shipped_small_with_attribution():
    assert os.path.getsize(os.path.join(DATA_DIR, "digits.npz")) < 100_000
    text = open(os.path.join(DATA_DIR, "LICENSE.txt")).read()
    assert "CC BY 4.0" in text and "Alpaydin" in text and "UCI" in text


def test_digits_splits():
    xtr, ytr = datasets.load_digits("train")
    xte, yte = datasets.load_digits("test")
    xall, yall = datasets.load_digits("all", normalize=False)
    assert xtr.shape == (1437, 1, 8, 8) and xte.shape == (360, 1, 8, 8) and xall.shape == (1797, 1, 8, 8)
    assert xtr.dtype == np.float32 and ytr.dtype == np.int64
    assert 0.0 == xtr.min() and xtr.max() == 1.0 and xall.max() == 16.0
    np.testing.assert_array_equal(np.bincount(yte), [36] * 10)  # stratified
    assert np.bincount(ytr).min() >= 130
    # the split is a partition of "all"
    joined = np.concatenate([xtr, xte]) * 16
    assert sorted(map(bytes, joined.reshape(1797, -1).astype(np.uint8))) == \
        sorted(map(bytes, xall.reshape(1797, -1).astype(np.uint8)))
    with pytest.raises(ValueError, match="split"):
        datasets.load_digits("val")


def test_digits_split_is_fixed():
    _, y1 = datasets.load_digits("test")
    fastnn.manual_seed(1)
    _, y2 = datasets.load_digits("test")
    np.testing.assert_array_equal(y1, y2)
    assert y1[:10].tolist() == datasets.load_digits("test")[1][:10].tolist()


def test_digits_dataset_and_loader():
    ds = datasets.Digits("test", transform=lambda x: x * 2, target_transform=lambda t: t + 100)
    img, t = ds[0]
    assert img.shape == (1, 8, 8) and img.max() <= 2.0 and t >= 100 and len(ds) == 360
    xb, yb = next(iter(DataLoader(datasets.Digits("train"), batch_size=16, shuffle=True)))
    assert xb.shape == (16, 1, 8, 8) and xb.dtype == np.float32 and yb.dtype == np.int64


def test_softmax_regression_learns_digits():
    """End to end: DataLoader + Adam on hand-computed softmax-regression gradients."""
    fastnn.manual_seed(0)
    xtr, ytr = datasets.load_digits("train")
    xte, yte = datasets.load_digits("test")
    w = fastnn.zeros(64, 10, requires_grad=True)
    b = fastnn.zeros(10, requires_grad=True)
    opt = optim.Adam([w, b], lr=0.05)
    loader = DataLoader(TensorDataset(xtr.reshape(-1, 64), ytr), batch_size=64, shuffle=True)
    for _ in range(8):
        for xb, yb in loader:
            logits = xb._data @ w._data + b._data
            p = np.exp(logits - logits.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            p[np.arange(len(yb)), yb._data] -= 1
            opt.zero_grad()
            w.grad = fastnn.tensor(xb._data.T @ p / len(yb))
            b.grad = fastnn.tensor(p.mean(0))
            opt.step()
    acc = ((xte.reshape(-1, 64) @ w._data + b._data).argmax(1) == yte).mean()
    assert acc > 0.9


# --- IDX ----------------------------------------------------------------------------
def _idx(arr, code):
    dims = struct.pack(f">{arr.ndim}I", *arr.shape)
    return bytes([0, 0, code, arr.ndim]) + dims + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("dtype,code", [(np.uint8, 0x08), (np.int8, 0x09), (np.int16, 0x0B),
                                        (np.int32, 0x0C), (np.float32, 0x0D), (np.float64, 0x0E)])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx(tmp_path, dtype, code, gz):
    arr = (np.arange(2 * 3 * 4) - 5).reshape(2, 3, 4).astype(dtype)
    blob = _idx(arr, code)
    path = tmp_path / "x-idx3-ubyte"
    path.write_bytes(gzip.compress(blob) if gz else blob)
    out = datasets.read_mnist_idx(path)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, arr)


IDX_OK = _idx(np.arange(12, dtype=np.uint8).reshape(3, 4), 0x08)
IDX_BAD = {
    "magic": (b"\x01" + IDX_OK[1:], "magic"),
    "type": (IDX_OK[:2] + b"\x07" + IDX_OK[3:], "type code"),
    "ndim0": (b"\x00\x00\x08\x00", "0 dimensions"),
    "short": (b"\x00\x00", "not an IDX"),
    "header": (IDX_OK[:9], "truncated IDX header"),
    "truncated": (IDX_OK[:-1], "truncated IDX data"),
    "extra": (IDX_OK + b"\0", "unexpected bytes"),
    "gzip": (gzip.compress(IDX_OK)[:-6], "gzip"),
}


@pytest.mark.parametrize("case", list(IDX_BAD))
def test_read_idx_malformed(tmp_path, case):
    blob, msg = IDX_BAD[case]
    path = tmp_path / "broken-idx"
    path.write_bytes(blob)
    with pytest.raises(ValueError, match=msg) as info:
        datasets.read_mnist_idx(path)
    assert "broken-idx" in str(info.value)


def test_read_idx_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="mnist"):
        datasets.read_mnist_idx(tmp_path / "nope")


def _write_mnist(folder, prefix, n, gz):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    for name, arr in ((f"{prefix}-images-idx3-ubyte", imgs), (f"{prefix}-labels-idx1-ubyte", labels)):
        blob = _idx(arr, 0x08)
        (folder / (name + (".gz" if gz else ""))).write_bytes(gzip.compress(blob) if gz else blob)
    return imgs, labels


def test_mnist_dataset(tmp_path):
    imgs, labels = _write_mnist(tmp_path, "train", 5, gz=True)
    timgs, tlabels = _write_mnist(tmp_path / "MNIST" / "raw", "t10k", 3, gz=False)
    ds = datasets.MNIST(tmp_path, train=True)
    assert len(ds) == 5 and ds.data.dtype == np.uint8 and ds.targets.dtype == np.int64
    img, t = ds[2]
    assert img.shape == (1, 28, 28) and img.dtype == np.float32 and t == labels[2]
    np.testing.assert_allclose(img[0], imgs[2] / 255.0, rtol=1e-6)
    te = datasets.MNIST(tmp_path, train=False)
    assert len(te) == 3 and te.targets.tolist() == tlabels.tolist()


def test_mnist_mismatch_and_missing(tmp_path):
    _write_mnist(tmp_path, "train", 5, gz=False)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(_idx(np.zeros(4, np.uint8), 0x08))
    with pytest.raises(ValueError, match="5 images but"):
        datasets.MNIST(tmp_path)
    with pytest.raises(FileNotFoundError, match="yann.lecun.com"):
        datasets.MNIST(tmp_path / "empty", train=False)


# --- CIFAR-10 ------------------------------------------------------------------------
def _cifar_blob(n, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    imgs = rng.integers(0, 256, (n, 3, 32, 32)).astype(np.uint8)
    blob = b"".join(bytes([l]) + im.tobytes() for l, im in zip(labels, imgs))
    return blob, imgs, labels


def test_read_cifar10_binary(tmp_path):
    blob, imgs, labels = _cifar_blob(4)
    (tmp_path / "b.bin").write_bytes(blob)
    x, y = datasets.read_cifar10_binary(tmp_path / "b.bin")
    assert x.shape == (4, 3, 32, 32) and x.dtype == np.uint8 and y.dtype == np.int64
    np.testing.assert_array_equal(x, imgs)
    np.testing.assert_array_equal(y, labels)
    # channel-first layout: the first 1024 pixel bytes of a record are the red plane
    assert x[1, 0].tobytes() == blob[3073 + 1:3073 + 1 + 1024]


@pytest.mark.parametrize("blob,msg", [(b"", "empty"), (_cifar_blob(2)[0][:-5], "multiple"),
                                      (bytes([10]) + bytes(3072), "label 10")])
def test_read_cifar10_malformed(tmp_path, blob, msg):
    (tmp_path / "bad.bin").write_bytes(blob)
    with pytest.raises(ValueError, match=msg) as info:
        datasets.read_cifar10_binary(tmp_path / "bad.bin")
    assert "bad.bin" in str(info.value)


def test_cifar10_dataset(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    all_labels = []
    for i in range(1, 6):
        blob, _, labels = _cifar_blob(2, seed=i)
        (folder / f"data_batch_{i}.bin").write_bytes(blob)
        all_labels += labels.tolist()
    blob, timgs, _ = _cifar_blob(3, seed=9)
    (folder / "test_batch.bin").write_bytes(blob)
    ds = datasets.CIFAR10(tmp_path, train=True)
    assert len(ds) == 10 and ds.targets.tolist() == all_labels
    img, t = ds[0]
    assert img.shape == (3, 32, 32) and img.dtype == np.float32 and 0 <= img.min() and img.max() <= 1
    te = datasets.CIFAR10(folder, train=False)
    np.testing.assert_allclose(te[2][0], timgs[2] / 255.0, rtol=1e-6)
    assert datasets.CIFAR10.classes[3] == "cat"
    (folder / "data_batch_3.bin").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_3.bin.*cs.toronto.edu"):
        datasets.CIFAR10(tmp_path)
