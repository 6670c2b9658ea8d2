"""Tensor API: values, dtypes/promotion, indexing, shape ops, reductions, conversions."""
import numpy as np
import pytest

import fastnn


def test_promotion_follows_pytorch():
    f = fastnn.ones(2)
    i = fastnn.tensor([1, 2])
    assert (f + 1).dtype == fastnn.float32
    assert (f * 2.5).dtype == fastnn.float32
    assert (i + 1).dtype == fastnn.int64
    assert (i * 1.5).dtype == fastnn.float32          # NumPy would give float64
    assert (i / i).dtype == fastnn.float32
    assert (i / 2).dtype == fastnn.float32
    assert (i + f).dtype == fastnn.float32            # NumPy would give float64
    assert (f + fastnn.ones(2, dtype=fastnn.float64)).dtype == fastnn.float64
    assert (f * np.float64(2.0)).dtype == fastnn.float32
    assert (f * fastnn.tensor(2.0, dtype=fastnn.float64)).dtype == fastnn.float32  # 0-d
    assert (i // 2).dtype == fastnn.int64
    np.testing.assert_array_equal((fastnn.tensor([7, -7]) // 2).numpy(), [3, -4])
    np.testing.assert_array_equal((fastnn.tensor([7, -7]) % 3).numpy(), [1, 2])


def test_reflected_ops_with_scalars_and_arrays():
    x = fastnn.tensor([1.0, 2.0, 4.0])
    np.testing.assert_allclose((2 - x).numpy(), [1, 0, -2])
    np.testing.assert_allclose((2 / x).numpy(), [2, 1, 0.5])
    np.testing.assert_allclose((2 ** x).numpy(), [2, 4, 16])
    np.testing.assert_allclose((5 % x).numpy(), [0, 1, 1])
    arr = np.array([1.0, 1.0, 1.0], dtype=np.float32)
    r = arr + x
    assert isinstance(r, fastnn.Tensor)
    np.testing.assert_allclose(r.numpy(), [2, 3, 5])
    assert isinstance(arr * x, fastnn.Tensor) and isinstance(arr @ x, fastnn.Tensor)
    assert (-x).tolist() == [-1.0, -2.0, -4.0]


def test_comparisons_return_bool_tensors():
    x = fastnn.tensor([1.0, 2.0, 3.0])
    for r, want in ((x == 2, [0, 1, 0]), (x != 2, [1, 0, 1]), (x < 2, [1, 0, 0]),
                    (x <= 2, [1, 1, 0]), (x > 2, [0, 0, 1]), (x >= 2, [0, 1, 1]),
                    (x == fastnn.tensor([1.0, 0.0, 3.0]), [1, 0, 1])):
        assert r.dtype == fastnn.bool
        np.testing.assert_array_equal(r.numpy(), np.array(want, bool))
    assert ((x > 1) & (x < 3)).tolist() == [False, True, False]
    assert (~(x > 1)).tolist() == [True, False, False]


def test_indexing_basic_and_advanced():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = fastnn.tensor(a)
    np.testing.assert_array_equal(x[1].numpy(), a[1])
    np.testing.assert_array_equal(x[:, 1:, ::2].numpy(), a[:, 1:, ::2])
    np.testing.assert_array_equal(x[..., -1].numpy(), a[..., -1])
    np.testing.assert_array_equal(x[None, 0].numpy(), a[None, 0])
    np.testing.assert_array_equal(x[fastnn.tensor([1, 0, 1])].numpy(), a[[1, 0, 1]])
    np.testing.assert_array_equal(x[x > 10].numpy(), a[a > 10])
    np.testing.assert_array_equal(x[:, [0, 2], fastnn.tensor(1)].numpy(), a[:, [0, 2], 1])
    np.testing.assert_array_equal(x[fastnn.tensor(1)].numpy(), a[1])
    with pytest.raises(IndexError):
        x[fastnn.tensor([0.5])]


def test_setitem_mutates_in_place():
    x = fastnn.zeros(3, 4)
    y = x[1]
    x[1] = 5.0
    x[x == 0] = 1.0
    x[:, fastnn.tensor([0, 3])] = fastnn.tensor([7.0, 8.0])
    assert y.tolist() == [7.0, 5.0, 5.0, 8.0]   # basic indexing gives a view, as in PyTorch
    assert x[0].tolist() == [7.0, 1.0, 1.0, 8.0]


def test_shape_ops_values():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = fastnn.tensor(a)
    assert x.view(6, 4).shape == (6, 4) and x.reshape(-1).shape == (24,)
    assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12)
    assert x.flatten(0, 1).shape == (6, 4)
    assert x.permute(2, 0, 1).shape == (4, 2, 3)
    np.testing.assert_array_equal(x.transpose(0, 2).numpy(), a.transpose(2, 1, 0))
    np.testing.assert_array_equal(x[0].t().numpy(), a[0].T)
    np.testing.assert_array_equal(x.T.numpy(), a.transpose(2, 1, 0))
    assert x.unsqueeze(0).shape == (1, 2, 3, 4) and x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert x.unsqueeze(1).squeeze().shape == (2, 3, 4)
    assert fastnn.zeros(1, 3, 1).squeeze(0).shape == (3, 1)
    assert fastnn.zeros(1, 3, 1).squeeze((0, 2)).shape == (3,)
    assert fastnn.zeros(1, 3, 1).squeeze(1).shape == (1, 3, 1)
    assert fastnn.zeros(3, 1).expand(2, 3, 4).shape == (2, 3, 4)
    assert fastnn.zeros(3, 1).expand(-1, 5).shape == (3, 5)
    np.testing.assert_array_equal(x.repeat(1, 2, 1).numpy(), np.tile(a, (1, 2, 1)))
    assert fastnn.cat([x, x], dim=-1).shape == (2, 3, 8)
    assert fastnn.stack([x, x], dim=1).shape == (2, 2, 3, 4)
    assert not x.transpose(0, 1).is_contiguous()
    assert x.transpose(0, 1).contiguous().is_contiguous()
    c = x.clone()
    c[0] = 0
    assert x[0, 0, 1].item() == 1.0
    with pytest.raises(RuntimeError):
        fastnn.zeros(3, 2).expand(3, 4)
    with pytest.raises(RuntimeError):
        x.t()
    with pytest.raises(IndexError):
        x.sum(3)


def test_reductions_values():
    a = np.random.default_rng(1).standard_normal((3, 4, 5)).astype(np.float32)
    x = fastnn.tensor(a)
    np.testing.assert_allclose(x.sum().item(), a.sum(), rtol=1e-5)
    np.testing.assert_allclose(x.sum((0, 2)).numpy(), a.sum((0, 2)), rtol=1e-5)
    np.testing.assert_allclose(x.mean(1, keepdim=True).numpy(), a.mean(1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(x.var().item(), a.var(ddof=1), rtol=1e-5)
    np.testing.assert_allclose(x.var(1, unbiased=False).numpy(), a.var(1), rtol=1e-5)
    np.testing.assert_allclose(x.std(-1).numpy(), a.std(-1, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(x.prod(2).numpy(), a.prod(2), rtol=1e-5)
    np.testing.assert_allclose(x.norm().item(), np.sqrt((a * a).sum()), rtol=1e-5)
    mx = x.max(dim=1)
    np.testing.assert_array_equal(mx.values.numpy(), a.max(1))
    np.testing.assert_array_equal(mx.indices.numpy(), a.argmax(1))
    v, i = x.min(0, keepdim=True)
    assert v.shape == (1, 4, 5) and i.dtype == fastnn.int64
    assert x.argmax().item() == a.argmax() and x.argmin(2).tolist() == a.argmin(2).tolist()
    assert x.argmax(1, keepdim=True).shape == (3, 1, 5)
    assert (x > 0).all().dtype == fastnn.bool
    assert (x > -100).all().item() and not (x > 100).any().item()
    assert (x > 0).any(1).shape == (3, 5)
    assert fastnn.tensor([True, True]).sum().item() == 2
    with pytest.raises(RuntimeError):
        fastnn.tensor([1, 2]).mean()


def test_module_level_functions_mirror_methods():
    x = fastnn.tensor([[1.0, -2.0], [3.0, 4.0]])
    assert fastnn.sum(x).item() == 6.0
    assert fastnn.mean(x, dim=0).tolist() == [2.0, 1.0]
    assert fastnn.max(x).item() == 4.0
    assert fastnn.max(x, 1).indices.tolist() == [0, 1]
    assert fastnn.max(x, fastnn.zeros(2, 2)).tolist() == [[1.0, 0.0], [3.0, 4.0]]
    np.testing.assert_allclose(fastnn.exp(x).numpy(), np.exp(x.numpy()))
    assert fastnn.abs(x).tolist() == [[1, 2], [3, 4]]
    assert fastnn.clamp(x, min=0).tolist() == [[1, 0], [3, 4]]
    assert fastnn.where(x > 0, x, fastnn.zeros(2, 2)).tolist() == [[1, 0], [3, 4]]
    assert fastnn.where(x > 0, x, 0.0).tolist() == [[1, 0], [3, 4]]
    assert fastnn.flatten(x).shape == (4,) and fastnn.reshape(x, (4, 1)).shape == (4, 1)
    assert fastnn.transpose(x, 0, 1).tolist() == [[1, 3], [-2, 4]]
    assert fastnn.matmul(x, x).tolist() == [[-5, -10], [15, 10]]
    assert fastnn.sign(x).tolist() == [[1, -1], [1, 1]]
    assert fastnn.round(fastnn.tensor([0.4, 1.6])).tolist() == [0, 2]


def test_conversions():
    x = fastnn.tensor([[1.5, -2.5]])
    assert x.float().dtype == fastnn.float32 and x.double().dtype == fastnn.float64
    assert x.long().tolist() == [[1, -2]] and x.int().dtype == fastnn.int32
    assert x.to(fastnn.float64).dtype == fastnn.float64
    assert x.to("cpu") is x and x.to(fastnn.float32) is x
    assert x.type_as(fastnn.tensor([1])).dtype == fastnn.int64
    assert x.size() == (1, 2) and x.size(1) == 2 and x.size(-1) == 2
    assert fastnn.tensor(3.0).item() == 3.0 and isinstance(fastnn.tensor(3).item(), int)
    assert isinstance(x.numpy(), np.ndarray)
    with pytest.raises(RuntimeError):
        fastnn.ones(2, requires_grad=True).numpy()
    with pytest.raises(ValueError):
        x.item()
    assert x.device == "cpu" and str(x.device) == "cpu"


def test_inplace_ops_without_grad():
    x = fastnn.ones(3)
    alias = x._data
    x.add_(1).mul_(3).sub_(fastnn.tensor([1.0, 2.0, 3.0]))
    assert x.tolist() == [5.0, 4.0, 3.0] and x._data is alias
    x.add_(fastnn.ones(3), alpha=2)
    assert x.tolist() == [7.0, 6.0, 5.0]
    x.zero_()
    assert x.tolist() == [0, 0, 0]
    x.fill_(2.5)
    x.copy_(np.array([1, 2, 3]))
    assert x.tolist() == [1, 2, 3] and x.dtype == fastnn.float32
    i = fastnn.tensor([1, 2])
    with pytest.raises(Exception):
        i.add_(0.5)  # float into an int tensor


def test_split_chunk_iteration():
    x = fastnn.arange(10)
    assert [t.tolist() for t in x.split(4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [len(t) for t in x.chunk(3)] == [4, 4, 2]
    assert [t.item() for t in fastnn.arange(3)] == [0, 1, 2]
    assert [t.shape for t in x.split([3, 7])] == [(3,), (7,)]


torch = None


@pytest.fixture(scope="module")
def th():
    return pytest.importorskip("torch")


OPS = [
    lambda m, x: m.sum(x * 2, dim=1),
    lambda m, x: x.var(dim=(0, 2), keepdim=True),
    lambda m, x: x.std(1, unbiased=False),
    lambda m, x: x.max(dim=2)[0] + x.min(dim=0)[0].sum(),
    lambda m, x: x.norm(p=3, dim=1),
    lambda m, x: x.prod(1),
    lambda m, x: (x @ x.transpose(1, 2)).relu(),
    lambda m, x: m.cat([x, x.sigmoid()], dim=2).tanh(),
    lambda m, x: m.where(x > 0, x.exp(), x.abs().sqrt()),
    lambda m, x: x[:, [0, 2, 2]].flatten(1) ** 2,
    lambda m, x: x.clamp(-0.3, 0.4) * x.sin() / (x.cos() + 2),
    lambda m, x: m.maximum(x, x.flip(0)) + x.repeat(1, 1, 2)[..., :4],
    lambda m, x: x.permute(2, 0, 1).reshape(4, -1).mean(0),
    lambda m, x: x.unsqueeze(1).expand(2, 3, 3, 4).sum(1) % 0.5,
]


@pytest.mark.parametrize("k", range(len(OPS)))
def test_values_and_grads_match_torch(th, k):
    a = np.random.default_rng(k).standard_normal((2, 3, 4))
    x = fastnn.tensor(a, requires_grad=True)
    tx = th.tensor(a, dtype=th.float32, requires_grad=True)
    y = OPS[k](fastnn, x)
    ty = OPS[k](th, tx)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    g = np.random.default_rng(100 + k).standard_normal(ty.shape).astype(np.float32)
    y.backward(fastnn.tensor(g))
    ty.backward(th.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)


# --- unrecorded fast path of Function.apply -------------------------------------------

def test_apply_without_recording_builds_no_graph():
    from fastnn.autograd.function import Function

    class Split(Function):
        def forward(self, a, k):
            Split.seen = self.needs_input_grad
            return a[:k], a[k:]

        def backward(self, g0, g1):
            return np.concatenate([g0, g1]), None

    x = fastnn.tensor(np.arange(5.0), requires_grad=True)
    with fastnn.no_grad():
        a, b = Split.apply(x, 2)
    assert Split.seen == (False, False)
    assert not a.requires_grad and a.grad_fn is None and b.shape == (3,)
    c = fastnn.tensor(np.arange(5.0))  # grad mode on, but nothing requires grad
    a, b = Split.apply(c, 2)
    assert not a.requires_grad and a.grad_fn is None
    a, b = Split.apply(x, 2)  # recorded
    assert Split.seen == [True, False] and a.requires_grad and a.grad_fn is not None
    (a.sum() + 2 * b.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1, 2, 2, 2])


def test_layers_follow_rebound_functional(monkeypatch):
    """nn layers look F.<name> up on every call (a cached proxy must not go stale)."""
    import fastnn.nn.functional as Fm
    relu = fastnn.nn.ReLU()
    x = fastnn.tensor(np.array([-1.0, 2.0]))
    np.testing.assert_array_equal(relu(x).numpy(), [0.0, 2.0])
    monkeypatch.setattr(Fm, "relu", lambda t, inplace=False: t * 10)
    np.testing.assert_array_equal(relu(x).numpy(), [-10.0, 20.0])


def test_module_hooks_still_run_on_the_fast_call_path():
    lin = fastnn.nn.Linear(3, 2)
    x = fastnn.tensor(np.ones((1, 3), np.float32))
    y0 = lin(x).detach().numpy()
    h = lin.register_forward_hook(lambda m, inp, out: out * 0)
    assert (lin(x).detach().numpy() == 0).all() and y0.any()
    h.remove()
    np.testing.assert_array_equal(lin(x).detach().numpy(), y0)


def test_data_is_a_detached_tensor_sharing_memory_like_pytorch():
    """PyTorch idioms on ``.data``: in-place updates, .numpy(), torch.max(out.data, 1), assignment."""
    p = fastnn.nn.Parameter(fastnn.ones(3))
    (p * 2).sum().backward()
    d = p.data
    assert isinstance(d, fastnn.Tensor) and not d.requires_grad and d.grad_fn is None
    p.data -= 0.5 * p.grad.data                      # the classic manual SGD step
    np.testing.assert_allclose(p.detach().numpy(), [0.0, 0.0, 0.0])
    p.data.add_(fastnn.tensor([1.0, 2.0, 3.0]))
    p.data.mul_(2)
    np.testing.assert_allclose(p.detach().numpy(), [2.0, 4.0, 6.0])
    p.data.copy_(fastnn.tensor([7.0, 8.0, 9.0]))
    assert p.data.numpy().tolist() == [7.0, 8.0, 9.0]
    p.data.zero_()
    assert p.detach().numpy().tolist() == [0.0, 0.0, 0.0]
    assert p.requires_grad and p.is_leaf
    out = fastnn.tensor([[0.1, 0.9], [0.8, 0.2]], requires_grad=True)
    _, predicted = fastnn.max(out.data, 1)
    assert predicted.tolist() == [1, 0]
    p.data = fastnn.full((3,), 4.0)                  # swaps the array, keeps the Parameter
    assert p.detach().numpy().tolist() == [4.0, 4.0, 4.0] and p.requires_grad


def test_repr_formats_floats_like_pytorch():
    """PyTorch's print rules: integral floats as '1.', 4 decimals, scientific for wide ranges."""
    assert repr(fastnn.tensor([1.5, 2.0])) == "tensor([1.5000, 2.0000])"
    assert repr(fastnn.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(fastnn.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert repr(fastnn.tensor([float("nan"), 1.5])) == "tensor([   nan, 1.5000])"
    assert repr(fastnn.tensor([[0.1234567, 100.5], [3, 4]])) == \
        "tensor([[  0.1235, 100.5000],\n        [  3.0000,   4.0000]])"
    assert repr(fastnn.tensor([1, 2], dtype=fastnn.int32)) == "tensor([1, 2], dtype=fastnn.int32)"
    x = fastnn.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
