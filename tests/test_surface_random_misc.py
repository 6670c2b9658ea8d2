"""Generator, rng state, cuda seeding, multinomial/bernoulli, isclose, Size, settings
switches, in-place unary ops and the small Tensor methods scripts call."""
import numpy as np
import pytest

import fastnn
from fastnn.utils.data import DataLoader, TensorDataset, random_split

try:
    import torch
except ImportError:
    torch = None


def test_generator_matches_manual_seed_stream():
    g = fastnn.Generator().manual_seed(7)
    a = fastnn.randn(5, generator=g)
    fastnn.manual_seed(7)
    b = fastnn.randn(5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert isinstance(g, np.random.Generator) and g.initial_seed() == 7
    assert fastnn.initial_seed() == 7


def test_generator_in_data_utilities():
    parts = [random_split(range(10), [6, 4], generator=fastnn.Generator().manual_seed(42))
             for _ in range(2)]
    assert list(parts[0][0]) == list(parts[1][0]) and sorted(list(parts[0][0]) + list(parts[0][1])) \
        == list(range(10))
    order = [[b[0].tolist() for b in DataLoader(TensorDataset(fastnn.arange(8)), batch_size=4,
                                                 shuffle=True,
                                                 generator=fastnn.Generator().manual_seed(1))]
             for _ in range(2)]
    assert order[0] == order[1]


def test_rng_state_round_trip_and_cuda_seeding():
    fastnn.manual_seed(0)
    state = fastnn.get_rng_state()
    assert state.dtype == np.uint8
    a = fastnn.rand(4)
    fastnn.set_rng_state(state)
    np.testing.assert_array_equal(fastnn.rand(4).numpy(), a.numpy())
    with pytest.raises(ValueError, match="get_state"):
        fastnn.set_rng_state(fastnn.zeros(3, dtype=fastnn.uint8))
    # no separate CUDA generator: accepted, the default generator is left alone
    fastnn.manual_seed(3)
    fastnn.cuda.manual_seed(99)
    fastnn.cuda.manual_seed_all(99)
    b = fastnn.rand(2)
    fastnn.manual_seed(3)
    np.testing.assert_array_equal(fastnn.rand(2).numpy(), b.numpy())


def test_multinomial():
    fastnn.manual_seed(0)
    w = fastnn.tensor([0.0, 10.0, 0.0, 30.0])
    draws = fastnn.multinomial(w, 4000, replacement=True)
    assert draws.dtype == np.int64 and set(draws.tolist()) <= {1, 3}
    assert abs((draws == 3).float().mean().item() - 0.75) < 0.03
    rows = fastnn.multinomial(fastnn.ones(3, 5), 5)  # without replacement: a permutation
    assert rows.shape == (3, 5) and all(sorted(r) == list(range(5)) for r in rows.tolist())
    with pytest.raises(RuntimeError, match="without replacement"):
        fastnn.multinomial(w, 3)
    with pytest.raises(RuntimeError, match="element < 0"):
        fastnn.multinomial(fastnn.tensor([-1.0, 2.0]), 1)


def test_bernoulli():
    fastnn.manual_seed(0)
    p = fastnn.full((10000,), 0.3)
    out = fastnn.bernoulli(p)
    assert out.dtype == np.float32 and set(np.unique(out.numpy())) <= {0.0, 1.0}
    assert abs(out.mean().item() - 0.3) < 0.02
    assert fastnn.bernoulli(fastnn.zeros(3), p=1.0).tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(RuntimeError, match=r"\[0, 1\]"):
        fastnn.bernoulli(fastnn.tensor([1.5]))


def test_isclose_size_and_switches():
    assert fastnn.isclose(fastnn.tensor([1.0, 2.0]), fastnn.tensor([1.0, 2.1])).tolist() == [True, False]
    s = fastnn.Size([2, 3])
    assert s == (2, 3) and s.numel() == 6 and fastnn.zeros(s).shape == s
    fastnn.use_deterministic_algorithms(True)
    assert fastnn.are_deterministic_algorithms_enabled()
    fastnn.use_deterministic_algorithms(False)
    fastnn.set_float32_matmul_precision("high")
    assert fastnn.get_float32_matmul_precision() == "high"
    fastnn.set_float32_matmul_precision("highest")
    with pytest.raises(ValueError, match="precision"):
        fastnn.set_float32_matmul_precision("low")


@pytest.mark.parametrize("name", ["abs", "exp", "sigmoid", "tanh", "relu", "sqrt", "neg", "floor"])
def test_unary_inplace(name):
    data = np.array([0.5, 1.5, 2.0], dtype=np.float64)
    t = fastnn.tensor(data)
    assert getattr(t, name + "_")() is t
    np.testing.assert_allclose(t.numpy(), getattr(fastnn.tensor(data), name)().numpy())
    x = fastnn.tensor(data, requires_grad=True)
    y = x * 1
    getattr(y, name + "_")()
    y.sum().backward()
    x2 = fastnn.tensor(data, requires_grad=True)
    getattr(x2, name)().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy())
    with pytest.raises(RuntimeError, match="leaf"):
        getattr(fastnn.tensor(data, requires_grad=True), name + "_")()


def test_small_tensor_methods():
    t = fastnn.ones(2, 3, dtype=fastnn.float64)
    assert t.new(4).shape == (4,) and t.new(4).dtype == np.float64
    assert t.new([1, 2]).dtype == np.float64
    assert t.pin_memory() is t and not t.is_pinned() and t.share_memory_() is t
    a = fastnn.arange(6).reshape(2, 3).t()  # non-contiguous
    a.apply_(lambda v: v * 10)
    assert a.tolist() == [[0, 30], [10, 40], [20, 50]]


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_inplace_matches_torch():
    data = np.array([-1.5, 0.25, 2.0], dtype=np.float32)
    for name in ("abs", "exp", "sigmoid", "tanh", "relu", "neg"):
        f = fastnn.tensor(data)
        t = torch.tensor(data)
        getattr(f, name + "_")()
        getattr(t, name + "_")()
        np.testing.assert_allclose(f.numpy(), t.numpy(), rtol=1e-6)
    assert fastnn.isclose(fastnn.tensor([1.0, 1.00001]), fastnn.tensor([1.0, 1.0])).tolist() == \
        torch.isclose(torch.tensor([1.0, 1.00001]), torch.tensor([1.0, 1.0])).tolist()


def test_set_printoptions():
    try:
        fastnn.set_printoptions(precision=2)
        assert repr(fastnn.tensor([1.23456, 2.5])) == "tensor([1.23, 2.50])"
        assert repr(fastnn.tensor([1e-5, 1.0])) == "tensor([1.00e-05, 1.00e+00])"
        fastnn.set_printoptions(sci_mode=False)
        assert repr(fastnn.tensor([1e-5, 1.0])) == "tensor([0.00, 1.00])"
        fastnn.set_printoptions(threshold=5, edgeitems=2)
        assert "..." in repr(fastnn.arange(10.0))
        with pytest.raises(ValueError, match="profile"):
            fastnn.set_printoptions(profile="tiny")
    finally:
        fastnn.set_printoptions(profile="default")
    assert repr(fastnn.tensor([1.23456, 2.5])) == "tensor([1.2346, 2.5000])"
    if torch is not None:
        try:
            for opts in ({"precision": 2}, {"precision": 3, "sci_mode": True}, {"profile": "short"}):
                fastnn.set_printoptions(**opts)
                torch.set_printoptions(**opts)
                for v in ([1.23456, 2.5], [1e-5, 1.0], [100.0, 2.0]):
                    assert repr(fastnn.tensor(v)) == repr(torch.tensor(v)), (opts, v)
        finally:
            fastnn.set_printoptions(profile="default")
            torch.set_printoptions(profile="default")
