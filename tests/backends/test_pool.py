"""Pooling kernels: native vs reference, finite differences, PyTorch, bad input."""
import dataclasses

import numpy as np
import pytest

from fastnn.backends.numpy_ref import pool as ref
from fastnn.testing import assert_grads_close, numerical_grads

nat = pytest.importorskip("fastnn.backends.native.pool")

RNG = np.random.default_rng(1234)

MAX_CASES = [
    # shape, kwargs
    ((2, 3, 8, 8), dict(kernel_size=2, stride=2, padding=0)),              # fast path
    ((2, 5, 7, 9), dict(kernel_size=2, stride=2, padding=0)),              # fast path, odd
    ((1, 3, 7, 9), dict(kernel_size=2, stride=2, padding=0, ceil_mode=True)),  # clipped edge
    ((2, 3, 9, 11), dict(kernel_size=3, stride=2, padding=1)),             # overlapping
    ((2, 3, 7, 9), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=2,
                        ceil_mode=True)),
    ((1, 5, 7, 5), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 2, 5, 6), dict(kernel_size=(2, 3), stride=(3, 2), padding=(1, 1), dilation=(2, 1),
                        ceil_mode=True)),
    ((1, 3, 6, 10), dict(kernel_size=(3, 5), stride=None, padding=(1, 2))),
    ((0, 3, 8, 8), dict(kernel_size=2, stride=2, padding=0)),              # empty batch
    ((0, 3, 7, 6), dict(kernel_size=3, stride=1, padding=1)),
]

AVG_CASES = [
    ((2, 3, 8, 8), dict(kernel_size=2, stride=2, padding=0)),
    ((2, 3, 9, 11), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 3, 7, 9), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True)),
    ((1, 5, 7, 5), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 2, 5, 6), dict(kernel_size=(2, 3), stride=(3, 2), padding=(1, 1), ceil_mode=True)),
    ((0, 3, 7, 6), dict(kernel_size=3, stride=1, padding=1)),
]
AVG_MODES = [dict(), dict(count_include_pad=False), dict(divisor_override=3),
             dict(count_include_pad=False, divisor_override=-2)]

ADAPTIVE_CASES = [((2, 3, 7, 9), (3, 4)), ((1, 5, 8, 8), 1), ((2, 3, 7, 9), (None, 2)),
                  ((2, 3, 5, 6), (7, 11)), ((1, 3, 6, 10), (6, 10)), ((0, 3, 4, 4), 2)]


def _perm(shape, dtype):
    """Distinct values (no ties), so argmax is unique and finite differences are clean."""
    n = int(np.prod(shape))
    return (RNG.permutation(max(n, 1))[:n].reshape(shape) * 0.5 - n / 4).astype(dtype)


def _layouts(x):
    """The same values as C-contiguous, Fortran-ordered and a strided view."""
    big = np.zeros(x.shape[:3] + (2 * x.shape[3],), dtype=x.dtype)
    big[..., ::2] = x
    return [x, np.asfortranarray(x), big[..., ::2]]


# ------------------------------------------------------------------ API

def test_same_exports():
    assert sorted(ref.__all__) == sorted(nat.__all__)
    for name in ref.__all__:
        assert callable(getattr(nat, name)) and callable(getattr(ref, name))


# ------------------------------------------------------------------ max pool

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kw", MAX_CASES)
def test_max_native_matches_reference(shape, kw, dtype):
    x = _perm(shape, dtype)
    y_ref, s_ref = ref.max_pool2d_forward(x, **kw)
    for xl in _layouts(x):
        y, s = nat.max_pool2d_forward(xl, **kw)
        assert y.dtype == dtype and s.indices.dtype == np.int64
        np.testing.assert_array_equal(y, y_ref)
        np.testing.assert_array_equal(s.indices, s_ref.indices)
    dy = RNG.standard_normal(y_ref.shape).astype(dtype)
    dx_ref = ref.max_pool2d_backward(dy, s_ref)
    for dyl in _layouts(dy):
        dx = nat.max_pool2d_backward(dyl, s)
        assert dx.shape == shape and dx.dtype == dtype
        np.testing.assert_allclose(dx, dx_ref, rtol=1e-6, atol=1e-6)
    # the saved contexts are interchangeable between backends
    np.testing.assert_allclose(ref.max_pool2d_backward(dy, s), dx_ref, rtol=1e-6, atol=1e-6)


def test_max_overlapping_windows_accumulate():
    # a single large value in the middle of a 3x3/stride-2 grid wins four windows
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 2, 2] = 10.0
    for mod in (ref, nat):
        y, s = mod.max_pool2d_forward(x, 3, 2, 0)
        assert (s.indices == 12).all()
        dx = mod.max_pool2d_backward(np.ones_like(y), s)
        assert dx[0, 0, 2, 2] == 4.0 and dx.sum() == 4.0


def test_max_nan_and_neg_inf_like_torch():
    x = np.array([[[[1.0, np.nan, 3.0, -np.inf], [0.0, 2.0, -np.inf, -np.inf]]]])
    for mod in (ref, nat):
        y, s = mod.max_pool2d_forward(x, 2, 2, 0)
        assert np.isnan(y[0, 0, 0, 0]) and s.indices[0, 0, 0, 0] == 1
        assert y[0, 0, 0, 1] == 3.0 and s.indices[0, 0, 0, 1] == 2
        y, s = mod.max_pool2d_forward(x, (2, 1), (2, 1), 0)
        assert y[0, 0, 0, 3] == -np.inf and s.indices[0, 0, 0, 3] == 3  # first in-bounds cell


@pytest.mark.parametrize("shape,kw", [c for c in MAX_CASES if c[0][0] > 0][:7])
def test_max_backward_finite_differences(shape, kw):
    shape = (1, 2) + shape[2:]
    x = _perm(shape, np.float64)
    y, s = nat.max_pool2d_forward(x, **kw)
    dy = RNG.standard_normal(y.shape)
    num = numerical_grads(lambda a: ref.max_pool2d_forward(a, **kw)[0], [x], dy, eps=1e-3)
    assert_grads_close([nat.max_pool2d_backward(dy, s)], num, names=["x"])


# ------------------------------------------------------------------ average pool

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", AVG_MODES)
@pytest.mark.parametrize("shape,kw", AVG_CASES)
def test_avg_native_matches_reference(shape, kw, mode, dtype):
    x = RNG.standard_normal(shape).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    y_ref, s_ref = ref.avg_pool2d_forward(x, **kw, **mode)
    for xl in _layouts(x):
        y, s = nat.avg_pool2d_forward(xl, **kw, **mode)
        assert y.dtype == dtype
        np.testing.assert_allclose(y, y_ref, rtol=tol, atol=tol)
    dy = RNG.standard_normal(y_ref.shape).astype(dtype)
    dx_ref = ref.avg_pool2d_backward(dy, s_ref)
    for dyl in _layouts(dy):
        dx = nat.avg_pool2d_backward(dyl, s)
        assert dx.dtype == dtype and dx.shape == shape
        np.testing.assert_allclose(dx, dx_ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("mode", AVG_MODES)
@pytest.mark.parametrize("shape,kw", AVG_CASES[1:5])
def test_avg_backward_finite_differences(shape, kw, mode):
    x = RNG.standard_normal((1, 2) + shape[2:])
    y, s = nat.avg_pool2d_forward(x, **kw, **mode)
    dy = RNG.standard_normal(y.shape)
    num = numerical_grads(lambda a: nat.avg_pool2d_forward(a, **kw, **mode)[0], [x], dy)
    assert_grads_close([nat.avg_pool2d_backward(dy, s)], num, names=["x"])
    assert_grads_close([ref.avg_pool2d_backward(dy, s)], num, names=["x"])


# ------------------------------------------------------------------ adaptive average pool

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,out", ADAPTIVE_CASES)
def test_adaptive_native_matches_reference(shape, out, dtype):
    x = RNG.standard_normal(shape).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    y_ref, s_ref = ref.adaptive_avg_pool2d_forward(x, out)
    for xl in _layouts(x):
        y, s = nat.adaptive_avg_pool2d_forward(xl, out)
        np.testing.assert_allclose(y, y_ref, rtol=tol, atol=tol)
    dy = RNG.standard_normal(y_ref.shape).astype(dtype)
    np.testing.assert_allclose(nat.adaptive_avg_pool2d_backward(np.asfortranarray(dy), s),
                               ref.adaptive_avg_pool2d_backward(dy, s_ref), rtol=tol, atol=tol)


@pytest.mark.parametrize("shape,out", ADAPTIVE_CASES[:4])
def test_adaptive_backward_finite_differences(shape, out):
    x = RNG.standard_normal((1, 2) + shape[2:])
    y, s = nat.adaptive_avg_pool2d_forward(x, out)
    dy = RNG.standard_normal(y.shape)
    num = numerical_grads(lambda a: nat.adaptive_avg_pool2d_forward(a, out)[0], [x], dy)
    assert_grads_close([nat.adaptive_avg_pool2d_backward(dy, s)], num, names=["x"])


# ------------------------------------------------------------------ PyTorch

def test_agrees_with_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for shape, kw in MAX_CASES:
        x = _perm(shape, np.float64)
        ty, ti = F.max_pool2d(torch.tensor(x), return_indices=True, **kw)
        for mod in (ref, nat):
            y, s = mod.max_pool2d_forward(x, **kw)
            np.testing.assert_array_equal(y, ty.numpy())
            np.testing.assert_array_equal(s.indices, ti.numpy())
        dy = RNG.standard_normal(y.shape)
        tx = torch.tensor(x, requires_grad=True)
        F.max_pool2d(tx, **kw).backward(torch.tensor(dy))
        np.testing.assert_allclose(nat.max_pool2d_backward(dy, s), tx.grad.numpy(), atol=1e-12)
    for shape, kw in AVG_CASES:
        for mode in AVG_MODES:
            x = RNG.standard_normal(shape)
            tx = torch.tensor(x, requires_grad=True)
            ty = F.avg_pool2d(tx, **kw, **mode)
            y, s = nat.avg_pool2d_forward(x, **kw, **mode)
            np.testing.assert_allclose(y, ty.detach().numpy(), atol=1e-12)
            dy = RNG.standard_normal(y.shape)
            ty.backward(torch.tensor(dy))
            np.testing.assert_allclose(nat.avg_pool2d_backward(dy, s), tx.grad.numpy(),
                                       atol=1e-12)
    for shape, out in ADAPTIVE_CASES:
        x = RNG.standard_normal(shape)
        tx = torch.tensor(x, requires_grad=True)
        ty = F.adaptive_avg_pool2d(tx, out)
        y, s = nat.adaptive_avg_pool2d_forward(x, out)
        np.testing.assert_allclose(y, ty.detach().numpy(), atol=1e-12)
        dy = RNG.standard_normal(y.shape)
        ty.backward(torch.tensor(dy))
        np.testing.assert_allclose(nat.adaptive_avg_pool2d_backward(dy, s), tx.grad.numpy(),
                                   atol=1e-12)


# ------------------------------------------------------------------ bad input

X = np.zeros((1, 2, 6, 6), dtype=np.float32)
BAD = [
    (dict(x=np.zeros((2, 6, 6), np.float32), kernel_size=2), ValueError, "x"),
    (dict(x=np.zeros((1, 2, 6, 6), np.int64), kernel_size=2), TypeError, "x"),
    (dict(x=[[[[1.0]]]], kernel_size=1), TypeError, "x"),
    (dict(x=np.zeros((1, 0, 6, 6), np.float32), kernel_size=2), ValueError, "x"),
    (dict(x=X, kernel_size=7), ValueError, "kernel_size"),
    (dict(x=X, kernel_size=0), ValueError, "kernel_size"),
    (dict(x=X, kernel_size=(2, 2, 2)), ValueError, "kernel_size"),
    (dict(x=X, kernel_size=2, stride=0), ValueError, "stride"),
    (dict(x=X, kernel_size=2, stride=-1), ValueError, "stride"),
    (dict(x=X, kernel_size=3, padding=2), ValueError, "padding"),
    (dict(x=X, kernel_size=2, padding=-1), ValueError, "padding"),
    (dict(x=X, kernel_size="2"), (TypeError, ValueError), "kernel_size"),
]


@pytest.mark.parametrize("mod", [ref, nat], ids=["ref", "native"])
@pytest.mark.parametrize("kwargs,exc,name", BAD)
def test_bad_input(mod, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        mod.max_pool2d_forward(**kwargs)
    with pytest.raises(exc, match=name):
        mod.avg_pool2d_forward(**kwargs)


@pytest.mark.parametrize("mod", [ref, nat], ids=["ref", "native"])
def test_bad_input_more(mod):
    with pytest.raises(ValueError, match="kernel_size"):  # dilated window too large
        mod.max_pool2d_forward(X, 3, 1, 0, dilation=3)
    with pytest.raises(ValueError, match="dilation"):
        mod.max_pool2d_forward(X, 2, 1, 0, dilation=0)
    with pytest.raises(ValueError, match="divisor_override"):
        mod.avg_pool2d_forward(X, 2, divisor_override=0)
    with pytest.raises(ValueError, match="output_size"):
        mod.adaptive_avg_pool2d_forward(X, (0, 2))
    with pytest.raises(ValueError, match="x"):
        mod.adaptive_avg_pool2d_forward(X[0], 2)
    y, s = mod.max_pool2d_forward(X, 2)
    with pytest.raises(ValueError, match="dy"):
        mod.max_pool2d_backward(np.zeros((1, 2, 3, 4), np.float32), s)
    with pytest.raises(TypeError, match="saved"):
        mod.max_pool2d_backward(y, ("nonsense",))
    y, s = mod.avg_pool2d_forward(X, 2)
    with pytest.raises(ValueError, match="dy"):
        mod.avg_pool2d_backward(np.zeros((1, 3, 3, 3), np.float32), s)
    y, s = mod.adaptive_avg_pool2d_forward(X, 2)
    with pytest.raises(ValueError, match="dy"):
        mod.adaptive_avg_pool2d_backward(np.zeros((1, 2, 3, 3), np.float32), s)


def test_forged_indices_never_write_outside():
    y, s = nat.max_pool2d_forward(_perm((1, 2, 5, 5), np.float64), 3, 1, 1)
    bad = s.indices.copy()
    bad[0, 0, 0, 0] = 10 ** 9
    bad[0, 1, 0, 0] = -5
    dx = nat.max_pool2d_backward(np.ones_like(y), dataclasses.replace(s, indices=bad))
    assert dx.sum() == y.size - 2  # the two forged entries were dropped
