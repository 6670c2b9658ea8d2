"""Grad-mode decorators, item/tolist/numpy edge cases, einsum with repeated subscripts,
manual_seed across backends, DataLoader num_workers."""
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import nn
from fastnn.autograd import gradcheck
from fastnn.utils.data import DataLoader, TensorDataset, get_worker_info
from fastnn.utils.data import dataloader as dl_module

try:
    import torch
except ImportError:
    torch = None


# --- grad modes as decorators -----------------------------------------------------------
def test_grad_modes_as_decorators():
    x = fastnn.ones(2, requires_grad=True)

    @fastnn.no_grad()
    def f1(t):
        return t * 2

    @fastnn.no_grad
    def f2(t):
        return t * 2

    @fastnn.inference_mode()
    def f3(t):
        return t * 2

    @fastnn.enable_grad()
    def f4(t):
        return t * 2

    assert not f1(x).requires_grad and not f2(x).requires_grad and not f3(x).requires_grad
    with fastnn.no_grad():
        assert f4(x).requires_grad
    assert fastnn.is_grad_enabled()
    assert f1.__name__ == "f1"


# --- item / tolist / numpy ---------------------------------------------------------------
@pytest.mark.parametrize("value,dtype,expected_type", [
    (True, None, bool), (3, None, int), (2.5, None, float), (7, "uint8", int), (1.5, "float16", float),
])
def test_item_and_tolist_types(value, dtype, expected_type):
    t = fastnn.tensor(value, dtype=dtype)
    assert type(t.item()) is expected_type and t.item() == value
    assert type(t.tolist()) is expected_type  # a 0-d tensor's tolist is a scalar
    assert type(fastnn.tensor([value], dtype=dtype).item()) is expected_type
    n = t.numpy()
    assert isinstance(n, np.ndarray) and n.shape == ()


def test_item_many_elements_and_numpy_requires_grad():
    with pytest.raises(RuntimeError, match="2 elements cannot be converted"):
        fastnn.tensor([1.0, 2.0]).item()
    a = fastnn.tensor([1.5, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        a.numpy()
    n = a.numpy(force=True)
    n[0] = 100.0  # shares memory, as torch's numpy(force=True) on the CPU
    assert a[0].item() == 100.0
    assert a.detach().numpy().tolist() == [100.0, 2.0]
    assert fastnn.tensor([[1, 2]], dtype=fastnn.int32).tolist() == [[1, 2]]
    assert fastnn.tensor([]).tolist() == []


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_item_tolist_match_torch():
    for value in (True, 3, 2.5, [1, 2], [[True, False]], [[1.5]]):
        f, t = fastnn.tensor(value), torch.tensor(value)
        assert f.tolist() == t.tolist() and type(f.tolist()) is type(t.tolist())
        if f.numel() == 1:
            assert f.item() == t.item() and type(f.item()) is type(t.item())


# --- einsum with repeated subscripts -------------------------------------------------------
EQS = [("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("bii->bi", [(2, 3, 3)]), ("iij->ij", [(3, 3, 2)]),
       ("ij,jj->i", [(2, 3), (3, 3)]), ("iji->j", [(2, 4, 2)]), ("ii->", [(3, 3)]),
       ("bij,bjj->bi", [(2, 3, 4), (2, 4, 4)])]


@pytest.mark.parametrize("eq,shapes", EQS)
def test_einsum_repeated_subscripts(eq, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    ts = [fastnn.tensor(a, requires_grad=True) for a in arrays]
    np.testing.assert_allclose(fastnn.einsum(eq, *ts).detach().numpy(), np.einsum(eq, *arrays))
    assert gradcheck(lambda *a: fastnn.einsum(eq, *a), ts)
    if torch is not None:
        tt = [torch.tensor(a, requires_grad=True) for a in arrays]
        g = rng.standard_normal(np.einsum(eq, *arrays).shape)
        fastnn.einsum(eq, *ts).backward(fastnn.tensor(g))
        torch.einsum(eq, *tt).backward(torch.tensor(g))
        for f, t in zip(ts, tt):
            np.testing.assert_allclose(f.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


# --- manual_seed across backends --------------------------------------------------------------
def _draws(backend):
    with fastnn.use_backend(backend):
        fastnn.manual_seed(123)
        model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 3))
        rnn = nn.LSTM(3, 4)
        x = fastnn.randn(2, 1, 4, 4)
        drop = F.dropout(fastnn.ones(20), 0.5, training=True)
        order = [b[0].tolist() for b in DataLoader(TensorDataset(fastnn.arange(10)), batch_size=3,
                                                   shuffle=True)]
        arrays = [p.detach().numpy().copy() for p in
                  list(model.parameters()) + list(rnn.parameters())]
        arrays += [x.numpy(), drop.numpy(), fastnn.rand(3).numpy(), fastnn.randint(0, 9, (4,)).numpy(),
                   fastnn.randperm(6).numpy()]
        return arrays, order, model(x).detach().numpy()


def test_manual_seed_same_draws_on_every_backend():
    a, order_a, out_a = _draws("numpy")
    b, order_b, out_b = _draws("native")
    again, order_again, _ = _draws("native")
    for u, v, w in zip(a, b, again):
        np.testing.assert_array_equal(u, v)
        np.testing.assert_array_equal(v, w)
    assert order_a == order_b == order_again
    np.testing.assert_allclose(out_a, out_b, rtol=1e-5, atol=1e-6)  # kernels round differently


# --- DataLoader num_workers -------------------------------------------------------------------
def test_num_workers_warns_once_and_keeps_order(monkeypatch):
    monkeypatch.setattr(dl_module, "_warned_workers", False)
    data = TensorDataset(fastnn.arange(10))
    with pytest.warns(UserWarning, match="num_workers=2 is ignored"):
        loader = DataLoader(data, batch_size=4, num_workers=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DataLoader(data, batch_size=4, num_workers=4)  # no second warning
    assert [b[0].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert get_worker_info() is None
