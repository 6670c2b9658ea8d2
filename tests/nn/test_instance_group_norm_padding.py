"""InstanceNorm*/GroupNorm (F.instance_norm, F.group_norm) and the padding layers:
NumPy formulas, finite differences, and torch where installed."""
import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F


def _np_instance_norm(x, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    return (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)


def _fd_check(fn, x, eps=1e-6):
    t = fastnn.tensor(x, requires_grad=True)
    w = np.random.default_rng(5).standard_normal(fn(fastnn.tensor(x)).shape)
    (fn(t) * fastnn.tensor(w)).sum().backward()
    num = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        num[i] = ((fn(fastnn.tensor(xp)).numpy() - fn(fastnn.tensor(xm)).numpy()) * w).sum() / (2 * eps)
    np.testing.assert_allclose(t.grad.numpy(), num, rtol=1e-5, atol=1e-7)


def test_instance_norm_forward_backward_and_running_stats():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    m = nn.InstanceNorm2d(3, affine=True, track_running_stats=True, dtype=fastnn.float64)
    m.weight.data.copy_(fastnn.tensor([1.0, 2.0, 0.5], dtype=fastnn.float64))
    m.bias.data.copy_(fastnn.tensor([0.0, 1.0, -1.0], dtype=fastnn.float64))
    y = m(fastnn.tensor(x)).detach().numpy()
    ref = _np_instance_norm(x) * np.array([1, 2, 0.5]).reshape(1, 3, 1, 1) \
        + np.array([0, 1, -1.0]).reshape(1, 3, 1, 1)
    np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(m.running_mean.numpy(), 0.1 * x.mean((0, 2, 3)), rtol=1e-10)
    np.testing.assert_allclose(m.running_var.numpy(),
                               0.9 + 0.1 * x.var((2, 3), ddof=1).mean(0), rtol=1e-10)
    m.eval()  # now the running stats normalise
    y = m(fastnn.tensor(x)).detach().numpy()
    rm, rv = m.running_mean.numpy().reshape(1, 3, 1, 1), m.running_var.numpy().reshape(1, 3, 1, 1)
    np.testing.assert_allclose(y, (x - rm) / np.sqrt(rv + 1e-5) * np.array([1, 2, 0.5]).reshape(1, 3, 1, 1)
                               + np.array([0, 1, -1.0]).reshape(1, 3, 1, 1), rtol=1e-10)
    _fd_check(lambda t: F.instance_norm(t), x[:, :, :2, :3])
    assert nn.InstanceNorm1d(3)(fastnn.randn(3, 7)).shape == (3, 7)  # unbatched
    with pytest.raises(ValueError, match="4D"):
        nn.InstanceNorm2d(3)(fastnn.randn(2, 3, 4, 4, 4))


def test_group_norm_forward_backward():
    x = np.random.default_rng(1).standard_normal((2, 4, 3, 2))
    y = F.group_norm(fastnn.tensor(x), 2).numpy()
    g = x.reshape(2, 2, -1)
    ref = ((g - g.mean(2, keepdims=True)) / np.sqrt(g.var(2, keepdims=True) + 1e-5)).reshape(x.shape)
    np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-12)
    _fd_check(lambda t: F.group_norm(t, 2), x[:, :, :2, :1])
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)
    assert sum(p.numel() for p in nn.GroupNorm(2, 4).parameters()) == 8


def test_padding_layers():
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    np.testing.assert_array_equal(nn.ReflectionPad2d(1)(fastnn.tensor(x)).numpy(),
                                  np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="reflect"))
    np.testing.assert_array_equal(nn.ReplicationPad2d((1, 0, 2, 0))(fastnn.tensor(x)).numpy(),
                                  np.pad(x, ((0, 0), (0, 0), (2, 0), (1, 0)), mode="edge"))
    np.testing.assert_array_equal(nn.ZeroPad2d((0, 1, 1, 0))(fastnn.tensor(x)).numpy(),
                                  np.pad(x, ((0, 0), (0, 0), (1, 0), (0, 1))))
    np.testing.assert_array_equal(nn.ConstantPad1d(2, 3.5)(fastnn.tensor(x[0])).numpy(),
                                  np.pad(x[0], ((0, 0), (0, 0), (2, 2)), constant_values=3.5))
    with pytest.raises(ValueError, match="4-tuple"):
        nn.ReflectionPad2d((1, 2))


def test_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 4, 5, 6)).astype(np.float32)
    for fm, tm in ((nn.InstanceNorm2d(4, affine=True, track_running_stats=True),
                    torch.nn.InstanceNorm2d(4, affine=True, track_running_stats=True)),
                   (nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)),
                   (nn.ReflectionPad2d((1, 2, 3, 0)), torch.nn.ReflectionPad2d((1, 2, 3, 0))),
                   (nn.ReplicationPad2d(2), torch.nn.ReplicationPad2d(2))):
        fx, tx = fastnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        fy, ty = fm(fx), tm(tx)
        np.testing.assert_allclose(fy.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
        w = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
        (fy * fastnn.tensor(w)).sum().backward()
        (ty * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), rtol=1e-3, atol=1e-4)
        if getattr(tm, "running_var", None) is not None:
            np.testing.assert_allclose(fm.running_var.numpy(), tm.running_var.numpy(), rtol=1e-5)
            np.testing.assert_allclose(fm.running_mean.numpy(), tm.running_mean.numpy(), atol=1e-6)
    assert repr(nn.ReflectionPad2d(1)) == repr(torch.nn.ReflectionPad2d(1))


def test_instance_norm_shares_batchnorm_state_and_repr_with_torch():
    torch = pytest.importorskip("torch")
    for kw in ({}, dict(affine=True), dict(track_running_stats=True)):
        mine, theirs = fastnn.nn.InstanceNorm2d(3, **kw), torch.nn.InstanceNorm2d(3, **kw)
        assert repr(mine) == repr(theirs)
        assert list(mine.state_dict()) == list(theirs.state_dict())
