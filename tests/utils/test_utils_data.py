"""fastnn.utils.data: datasets, samplers, collate and DataLoader behaviour."""
from collections import namedtuple

import numpy as np
import pytest

import fastnn
from fastnn.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset,
                               RandomSampler, SequentialSampler, Subset, TensorDataset,
                               default_collate, random_split)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.full((2,), i, dtype=np.float32), i


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter([(np.float32(i), i) for i in range(self.n)])


def _xy(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64) % 4
    return x, y


def test_tensor_dataset_indexing_and_checks():
    x, y = _xy()
    ds = TensorDataset(fastnn.tensor(x), y)
    assert len(ds) == 10
    a, b = ds[3]
    assert isinstance(a, fastnn.Tensor) and isinstance(b, fastnn.Tensor)
    np.testing.assert_array_equal(a._data, x[3])
    assert b._data.shape == () and b._data.dtype == np.int64 and b.item() == 3
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(x, y[:5])
    with pytest.raises(TypeError):
        TensorDataset([1, 2, 3])


@pytest.mark.parametrize("bs,drop,expect", [(3, False, [3, 3, 3, 1]), (3, True, [3, 3, 3]),
                                            (10, False, [10]), (1, False, [1] * 10),
                                            (20, True, [])])
def test_batch_sizes_and_len(bs, drop, expect):
    x, y = _xy()
    loader = DataLoader(TensorDataset(x, y), batch_size=bs, drop_last=drop)
    sizes = [len(xb) for xb, _ in loader]
    assert sizes == expect and len(loader) == len(expect)


def test_sequential_order_and_values():
    x, y = _xy()
    batches = list(DataLoader(TensorDataset(x, y), batch_size=4))
    np.testing.assert_array_equal(np.concatenate([b[0]._data for b in batches]), x)
    np.testing.assert_array_equal(np.concatenate([b[1]._data for b in batches]), y)
    assert batches[0][1]._data.dtype == np.int64 and batches[0][0]._data.dtype == np.float32


def test_fast_path_equals_per_sample_collate():
    x, y = _xy(23)
    ds = TensorDataset(x, y)
    fastnn.manual_seed(5)
    fast = list(DataLoader(ds, batch_size=5, shuffle=True))
    fastnn.manual_seed(5)
    slow = list(DataLoader(ds, batch_size=5, shuffle=True, collate_fn=default_collate))
    assert len(fast) == len(slow) == 5
    for (fx, fy), (sx, sy) in zip(fast, slow):
        np.testing.assert_array_equal(fx._data, sx._data)
        np.testing.assert_array_equal(fy._data, sy._data)
        assert fx._data.dtype == sx._data.dtype and fy._data.dtype == sy._data.dtype


def test_shuffle_is_a_permutation_reproducible_with_manual_seed():
    x, y = _xy(50)
    loader = DataLoader(TensorDataset(x, y), batch_size=7, shuffle=True)
    fastnn.manual_seed(123)
    e1 = np.concatenate([b[1]._data for b in loader])
    idx1 = np.concatenate([b[0]._data[:, 0] / 3 for b in loader]).astype(int)
    fastnn.manual_seed(123)
    e1_again = np.concatenate([b[1]._data for b in loader])
    np.testing.assert_array_equal(e1, e1_again)
    assert sorted(idx1.tolist()) == list(range(50))
    assert idx1.tolist() != list(range(50))


def test_epochs_differ_and_generator_argument():
    x, y = _xy(30)
    g1, g2 = np.random.default_rng(7), np.random.default_rng(7)
    l1 = DataLoader(TensorDataset(x, y), batch_size=30, shuffle=True, generator=g1)
    l2 = DataLoader(TensorDataset(x, y), batch_size=30, shuffle=True, generator=g2)
    a1, b1 = next(iter(l1))[0]._data, next(iter(l1))[0]._data
    fastnn.manual_seed(999)  # the global seed must not affect an explicit generator
    a2, b2 = next(iter(l2))[0]._data, next(iter(l2))[0]._data
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(b1, b2)
    assert not np.array_equal(a1, b1)


def test_custom_dataset_default_collate():
    loader = DataLoader(Squares(5), batch_size=2)
    xb, yb = next(iter(loader))
    assert isinstance(xb, fastnn.Tensor) and xb.shape == (2, 2) and xb.dtype == np.float32
    assert yb.dtype == np.int64 and yb.tolist() == [0, 1]
    assert len(loader) == 3


def test_default_collate_nested_structures():
    Pair = namedtuple("Pair", "a b")
    batch = [{"img": np.ones((2, 2)), "meta": (1, 2.5, "x", True), "p": Pair(fastnn.ones(3), 1)},
             {"img": np.zeros((2, 2)), "meta": (3, 0.5, "y", False), "p": Pair(fastnn.zeros(3), 2)}]
    out = default_collate(batch)
    assert out["img"].shape == (2, 2, 2) and out["img"].dtype == np.float64
    ints, floats, strs, bools = out["meta"]
    assert ints.dtype == np.int64 and ints.tolist() == [1, 3]
    assert floats.dtype == np.float64 and strs == ["x", "y"] and bools.dtype == np.bool_
    assert isinstance(out["p"], Pair) and out["p"].a.shape == (2, 3) and out["p"].b.tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="same shape"):
        default_collate([np.ones(2), np.ones(3)])
    with pytest.raises(TypeError):
        default_collate([object(), object()])


def test_custom_collate_and_sampler():
    seen = []
    loader = DataLoader(Squares(6), batch_size=2, sampler=[5, 4, 3, 2, 1, 0],
                        collate_fn=lambda b: seen.append(len(b)) or [s[1] for s in b])
    assert list(loader) == [[5, 4], [3, 2], [1, 0]] and seen == [2, 2, 2]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(Squares(6), sampler=[0], shuffle=True)


def test_batch_size_none_and_batch_sampler():
    assert [s[1] for s in DataLoader(Squares(3), batch_size=None)] == [0, 1, 2]
    bs = BatchSampler(SequentialSampler(range(5)), 2, drop_last=False)
    loader = DataLoader(Squares(5), batch_sampler=bs)
    assert [b[1].tolist() for b in loader] == [[0, 1], [2, 3], [4]] and len(loader) == 3


def test_iterable_dataset():
    loader = DataLoader(Stream(5), batch_size=2)
    batches = list(loader)
    assert [b[1].tolist() for b in batches] == [[0, 1], [2, 3], [4]]
    assert batches[0][0].dtype == np.float32
    with pytest.raises(TypeError):
        len(loader)
    with pytest.raises(ValueError):
        DataLoader(Stream(5), shuffle=True)


def test_num_workers_accepted_and_validated():
    x, y = _xy()
    assert len(list(DataLoader(TensorDataset(x, y), batch_size=4, num_workers=2))) == 3
    with pytest.raises(ValueError):
        DataLoader(TensorDataset(x, y), num_workers=-1)
    with pytest.raises(ValueError):
        DataLoader(TensorDataset(x, y), batch_size=0)


def test_subset_concat_random_split():
    ds = Squares(10)
    sub = Subset(ds, [9, 0, 4])
    assert len(sub) == 3 and sub[0][1] == 9 and sub[2][1] == 4
    cat = ds + Squares(3)
    assert isinstance(cat, ConcatDataset) and len(cat) == 13 and cat[11][1] == 1 and cat[-1][1] == 2
    with pytest.raises(IndexError):
        cat[13]
    fastnn.manual_seed(0)
    a, b = random_split(ds, [7, 3])
    assert len(a) == 7 and len(b) == 3
    assert sorted(a.indices + b.indices) == list(range(10))
    fastnn.manual_seed(0)
    a2, _ = random_split(ds, [7, 3])
    assert a.indices == a2.indices
    parts = random_split(Squares(11), [0.5, 0.3, 0.2], generator=np.random.default_rng(1))
    assert [len(p) for p in parts] == [6, 3, 2]  # floor 5,3,2 = 10; remainder to the first
    with pytest.raises(ValueError):
        random_split(ds, [5, 6])


def test_random_sampler_replacement():
    s = RandomSampler(range(4), replacement=True, num_samples=50, generator=np.random.default_rng(0))
    idx = list(s)
    assert len(idx) == 50 == len(s) and set(idx) <= {0, 1, 2, 3}
    s2 = RandomSampler(range(4), num_samples=10, generator=np.random.default_rng(0))
    assert len(list(s2)) == 10


def test_loader_over_subset_of_tensor_dataset():
    x, y = _xy()
    sub = Subset(TensorDataset(x, y), [1, 3, 5])
    xb, yb = next(iter(DataLoader(sub, batch_size=3)))
    np.testing.assert_array_equal(xb._data, x[[1, 3, 5]])
