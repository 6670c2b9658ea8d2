"""Elementwise/fused kernels: native vs reference, finite differences, PyTorch, bad input."""
import itertools

import numpy as np
import pytest

from fastnn.backends.numpy_ref import elementwise as ref
from fastnn.testing import assert_grads_close, numerical_grads

nat = pytest.importorskip("fastnn.backends.native.elementwise")

RNG = np.random.default_rng(99)
DTYPES = [np.float32, np.float64]


def _tol(dtype):
    return dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-12)


def _layouts(x):
    big = np.zeros(x.shape[:-1] + (2 * x.shape[-1],), dtype=x.dtype) if x.ndim else x
    if x.ndim:
        big[..., ::2] = x
        return [x, np.asfortranarray(x), big[..., ::2]]
    return [x]


def _away_from_zero(shape, dtype):
    x = RNG.standard_normal(shape)
    return (np.sign(x) * (np.abs(x) + 0.1)).astype(dtype)


def test_same_exports():
    assert sorted(ref.__all__) == sorted(nat.__all__)
    for name in ref.__all__:
        assert callable(getattr(nat, name))


# ------------------------------------------------------------------ relu / bias_relu

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 5, 7), (0, 4), (300, 257)])
def test_relu_matches_reference(shape, dtype):
    x = RNG.standard_normal(shape).astype(dtype)
    y_ref, s_ref = ref.relu_forward(x)
    dy = RNG.standard_normal(shape).astype(dtype)
    for xl in _layouts(x):
        y, s = nat.relu_forward(xl)
        np.testing.assert_array_equal(y, y_ref)
        for dyl in _layouts(dy):
            np.testing.assert_array_equal(nat.relu_backward(dyl, s), ref.relu_backward(dy, s_ref))


def test_relu_nan_and_grad():
    x = np.array([np.nan, -1.0, 0.0, 2.0])
    for mod in (ref, nat):
        y, s = mod.relu_forward(x)
        assert np.isnan(y[0]) and list(y[1:]) == [0.0, 0.0, 2.0]
        # the gradient passes at a NaN, as PyTorch's threshold_backward does
        assert list(mod.relu_backward(np.ones(4), s)) == [1.0, 0.0, 0.0, 1.0]
        yb, sb = mod.bias_relu_forward(x.reshape(1, 4), np.zeros(4))
        dx, db = mod.bias_relu_backward(np.ones((1, 4)), sb)
        assert list(dx[0]) == [1.0, 0.0, 0.0, 1.0] and list(db) == [1.0, 0.0, 0.0, 1.0]


BIAS_CASES = [((5, 7), 1), ((2, 3, 5, 4), 1), ((3, 4, 5), 2), ((4, 3), 0), ((3, 6), -1),
              ((0, 3, 2, 2), 1), ((129, 300), 1), ((16, 8, 30, 30), 1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", BIAS_CASES)
def test_bias_relu_matches_reference(shape, axis, dtype):
    x = RNG.standard_normal(shape).astype(dtype)
    b = RNG.standard_normal(shape[axis]).astype(dtype)
    y_ref, s_ref = ref.bias_relu_forward(x, b, axis)
    dy = RNG.standard_normal(shape).astype(dtype)
    dx_ref, db_ref = ref.bias_relu_backward(dy, s_ref)
    tol = _tol(dtype)
    for xl in _layouts(x):
        y, s = nat.bias_relu_forward(xl, b[::-1].copy()[::-1], axis)
        np.testing.assert_allclose(y, y_ref, **tol)
    for dyl in _layouts(dy):
        dx, db = nat.bias_relu_backward(dyl, s)
        assert dx.dtype == dtype and db.dtype == dtype and db.shape == b.shape
        np.testing.assert_array_equal(dx, dx_ref)
        np.testing.assert_allclose(db, db_ref, rtol=1e-4 if dtype == np.float32 else 1e-10,
                                   atol=1e-4 if dtype == np.float32 else 1e-10)


@pytest.mark.parametrize("shape,axis", BIAS_CASES[:5])
def test_bias_relu_finite_differences(shape, axis):
    x = _away_from_zero(shape, np.float64)
    b = np.zeros(shape[axis])
    y, s = nat.bias_relu_forward(x, b, axis)
    dy = RNG.standard_normal(shape)
    num = numerical_grads(lambda a, c: nat.bias_relu_forward(a, c, axis)[0], [x, b], dy)
    assert_grads_close(list(nat.bias_relu_backward(dy, s)), num, names=["x", "b"])


# ------------------------------------------------------------------ softmax / log_softmax

@pytest.mark.parametrize("kind", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((4, 7), 1), ((4, 7), 0), ((2, 3, 5), -2), ((6,), 0)])
def test_softmax_family(kind, shape, dim):
    fwd, bwd = getattr(nat, f"{kind}_forward"), getattr(nat, f"{kind}_backward")
    x = RNG.standard_normal(shape) * 3
    y, s = fwd(x, dim)
    y_ref, _ = getattr(ref, f"{kind}_forward")(x, dim)
    np.testing.assert_allclose(y, y_ref, rtol=1e-12)
    total = np.exp(y).sum(axis=dim) if kind == "log_softmax" else y.sum(axis=dim)
    np.testing.assert_allclose(total, 1.0, rtol=1e-12)
    dy = RNG.standard_normal(shape)
    num = numerical_grads(lambda a: fwd(a, dim)[0], [x], dy)
    assert_grads_close([bwd(dy, s)], num, names=["x"])


def test_softmax_is_stable():
    x = np.array([[1000.0, 1000.0, -1000.0]], dtype=np.float32)
    y, _ = nat.softmax_forward(x, 1)
    np.testing.assert_allclose(y, [[0.5, 0.5, 0.0]])
    y, _ = nat.log_softmax_forward(x, 1)
    assert np.isfinite(y[0, :2]).all()


# ------------------------------------------------------------------ cross entropy

def _ce_inputs(N, C, dtype, kind, with_ignore=True):
    x = (RNG.standard_normal((N, C)) * 2).astype(dtype)
    if kind == "index":
        t = RNG.integers(0, C, N).astype(np.int64)
        if with_ignore and N > 2:
            t[1] = -100
        return x, t
    p = RNG.random((N, C))
    return x, (p / p.sum(axis=1, keepdims=True)).astype(dtype)


CE_OPTS = list(itertools.product(["index", "prob"], [False, True], ["mean", "sum", "none"],
                                 [0.0, 0.2]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind,weighted,reduction,eps", CE_OPTS)
def test_cross_entropy_matches_reference(kind, weighted, reduction, eps, dtype):
    x, t = _ce_inputs(9, 5, dtype, kind)
    w = (RNG.random(5) + 0.2).astype(dtype) if weighted else None
    kw = dict(weight=w, reduction=reduction, label_smoothing=eps)
    l_ref, s_ref = ref.cross_entropy_forward(x, t, **kw)
    dl = RNG.standard_normal(l_ref.shape).astype(dtype)
    for xl in _layouts(x):
        loss, s = nat.cross_entropy_forward(xl, t, **kw)
        assert loss.shape == l_ref.shape and loss.dtype == dtype
        np.testing.assert_allclose(loss, l_ref, **_tol(dtype))
        np.testing.assert_allclose(nat.cross_entropy_backward(dl, s),
                                   ref.cross_entropy_backward(dl, s_ref), **_tol(dtype))


@pytest.mark.parametrize("kind,weighted,reduction,eps", CE_OPTS)
def test_cross_entropy_finite_differences(kind, weighted, reduction, eps):
    x, t = _ce_inputs(4, 3, np.float64, kind)
    w = RNG.random(3) + 0.2 if weighted else None
    kw = dict(weight=w, reduction=reduction, label_smoothing=eps)
    loss, s = nat.cross_entropy_forward(x, t, **kw)
    dl = RNG.standard_normal(loss.shape)
    num = numerical_grads(lambda a: nat.cross_entropy_forward(a, t, **kw)[0], [x], dl, wrt=[0])
    assert_grads_close([nat.cross_entropy_backward(dl, s)], num[:1], names=["logits"])


def test_cross_entropy_edge_cases():
    x = RNG.standard_normal((3, 4))
    t = np.full(3, -100)
    for mod in (ref, nat):
        loss, s = mod.cross_entropy_forward(x, t)  # everything ignored: NaN loss, zero grad
        assert np.isnan(loss)
        assert (mod.cross_entropy_backward(np.array(1.0), s) == 0).all()
        loss, s = mod.cross_entropy_forward(x, np.array([0, 1, 2]), ignore_index=1,
                                            reduction="none")
        assert loss[1] == 0 and (mod.cross_entropy_backward(np.ones(3), s)[1] == 0).all()
        loss, s = mod.cross_entropy_forward(np.zeros((0, 4)), np.zeros(0, np.int64),
                                            reduction="sum")
        assert loss == 0 and mod.cross_entropy_backward(np.array(1.0), s).shape == (0, 4)
        # large logits stay finite
        loss, _ = mod.cross_entropy_forward(np.array([[1e4, 0.0]], np.float32), np.array([1]))
        np.testing.assert_allclose(loss, 1e4, rtol=1e-6)


def test_cross_entropy_agrees_with_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for kind, weighted, reduction, eps in CE_OPTS:
        x, t = _ce_inputs(11, 6, np.float64, kind)
        w = RNG.random(6) + 0.2 if weighted else None
        tx = torch.tensor(x, requires_grad=True)
        tl = F.cross_entropy(tx, torch.tensor(t), weight=None if w is None else torch.tensor(w),
                             reduction=reduction, label_smoothing=eps)
        dl = RNG.standard_normal(tuple(tl.shape))
        tl.backward(torch.tensor(dl))
        for mod in (ref, nat):
            loss, s = mod.cross_entropy_forward(x, t, w, reduction=reduction,
                                                label_smoothing=eps)
            np.testing.assert_allclose(loss, tl.detach().numpy(), rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(mod.cross_entropy_backward(dl, s), tx.grad.numpy(),
                                       rtol=1e-10, atol=1e-12)


def test_other_ops_agree_with_torch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((4, 3, 5, 5))
    b = RNG.standard_normal(3)
    np.testing.assert_allclose(nat.bias_relu_forward(x, b, 1)[0],
                               torch.relu(torch.tensor(x) + torch.tensor(b)[:, None, None]))
    for d in (1, -1):
        np.testing.assert_allclose(nat.softmax_forward(x, d)[0], torch.softmax(torch.tensor(x), d))
        np.testing.assert_allclose(nat.log_softmax_forward(x, d)[0],
                                   torch.log_softmax(torch.tensor(x), d))


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("mod", [ref, nat], ids=["ref", "native"])
def test_bad_input(mod):
    x = np.zeros((4, 3), np.float32)
    with pytest.raises(TypeError, match="x"):
        mod.relu_forward(np.zeros(3, np.int32))
    with pytest.raises(ValueError, match="b"):
        mod.bias_relu_forward(x, np.zeros(4, np.float32), 1)
    with pytest.raises(TypeError, match="b"):
        mod.bias_relu_forward(x, np.zeros(3, np.float64), 1)
    with pytest.raises(ValueError, match="channel_axis"):
        mod.bias_relu_forward(x, np.zeros(3, np.float32), 2)
    with pytest.raises(ValueError, match="dim"):
        mod.softmax_forward(x, 2)
    with pytest.raises(TypeError, match="dim"):
        mod.log_softmax_forward(x, 1.0)
    y, s = mod.relu_forward(x)
    with pytest.raises(ValueError, match="dy"):
        mod.relu_backward(np.zeros((3, 4), np.float32), s)
    with pytest.raises(TypeError, match="saved"):
        mod.relu_backward(y, (y,))
    t = np.array([0, 1, 2, 1])
    with pytest.raises(ValueError, match="target"):
        mod.cross_entropy_forward(x, np.array([0, 1, 3, 1]))
    with pytest.raises(ValueError, match="target"):
        mod.cross_entropy_forward(x, np.array([0, 1, -1, 1]))
    with pytest.raises(ValueError, match="target"):
        mod.cross_entropy_forward(x, t[:3])
    with pytest.raises(TypeError, match="target"):
        mod.cross_entropy_forward(x, t.astype(bool))
    with pytest.raises(ValueError, match="logits"):
        mod.cross_entropy_forward(x[0], t)
    with pytest.raises(TypeError, match="logits"):
        mod.cross_entropy_forward(x.astype(np.int64), t)
    with pytest.raises(ValueError, match="weight"):
        mod.cross_entropy_forward(x, t, weight=np.ones(4, np.float32))
    with pytest.raises(ValueError, match="reduction"):
        mod.cross_entropy_forward(x, t, reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        mod.cross_entropy_forward(x, t, label_smoothing=1.5)
    loss, s = mod.cross_entropy_forward(x, t)
    with pytest.raises(ValueError, match="dloss"):
        mod.cross_entropy_backward(np.ones(4), s)


# ------------------------------------------------------------------ fast paths and kernel guards

@pytest.mark.parametrize("kind", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (1, 10), (3, 17), (2, 5, 64), (33, 1000)])
def test_softmax_rows_match_reference(kind, dtype, shape):
    """The compiled last-axis rows (float32: fastnn's own exp) against the reference."""
    x = (RNG.standard_normal(shape) * 4).astype(dtype)
    y_ref, _ = getattr(ref, f"{kind}_forward")(x, -1)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    for xl in _layouts(x):
        for dim in (-1, len(shape) - 1):
            y, s = getattr(nat, f"{kind}_forward")(xl, dim)
            assert y.dtype == dtype and s.axis == len(shape) - 1
            np.testing.assert_allclose(y, y_ref, **tol)


def test_softmax_rows_nan_and_inf():
    x = np.array([[0.0, np.nan, 1.0], [0.0, -np.inf, 1.0], [np.inf, 0.0, 1.0]], np.float32)
    for kind in ("softmax", "log_softmax"):
        y, _ = getattr(nat, f"{kind}_forward")(x, 1)
        with np.errstate(invalid="ignore"):
            y_ref, _ = getattr(ref, f"{kind}_forward")(x, 1)
        np.testing.assert_array_equal(np.isnan(y), np.isnan(y_ref))
        np.testing.assert_allclose(y[1], y_ref[1], rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("with_ignore", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_wide_rows(dtype, with_ignore, reduction):
    """C = 1000 (full vector lanes plus a remainder) through the unweighted fast path."""
    x, t = _ce_inputs(37, 1000, dtype, "index", with_ignore)
    x *= 3
    l_ref, s_ref = ref.cross_entropy_forward(x, t, reduction=reduction)
    loss, s = nat.cross_entropy_forward(x, t, reduction=reduction)
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(loss, l_ref, **tol)
    dl = RNG.standard_normal(l_ref.shape).astype(dtype)
    np.testing.assert_allclose(nat.cross_entropy_backward(dl, s),
                               ref.cross_entropy_backward(dl, s_ref), **tol)


def test_relu_threaded_chunks_match_reference():
    import fastnn
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(2)
        for dtype in DTYPES:
            x = RNG.standard_normal(70001).astype(dtype)  # above the threading cutoff, odd
            dy = RNG.standard_normal(70001).astype(dtype)
            y, s = nat.relu_forward(x)
            np.testing.assert_array_equal(y, ref.relu_forward(x)[0])
            np.testing.assert_array_equal(nat.relu_backward(dy, s),
                                          ref.relu_backward(dy, ref.relu_forward(x)[1]))
            x2 = RNG.standard_normal((300, 257)).astype(dtype)
            np.testing.assert_allclose(nat.softmax_forward(x2, 1)[0],
                                       ref.softmax_forward(x2, 1)[0], rtol=1e-5, atol=1e-7)
    finally:
        fastnn.set_num_threads(before)


def test_fast_path_still_honours_finite_checks():
    from fastnn.backends import _validate
    x = np.array([[1.0, np.nan]], np.float32)
    _validate.set_finite_checks(True)
    try:
        for call in (lambda: nat.relu_forward(x), lambda: nat.softmax_forward(x, 1),
                     lambda: nat.bias_relu_forward(x, np.zeros(2, np.float32), 1)):
            with pytest.raises(ValueError, match="x"):
                call()
    finally:
        _validate.set_finite_checks(False)
    assert np.isnan(nat.relu_forward(x)[0][0, 1])


def test_kernels_reject_mismatched_arrays():
    """The compiled entry points re-check dtype, layout and size themselves."""
    from fastnn.backends.native.elementwise import _elementwise as k
    x = np.ones(8, np.float32)
    with pytest.raises(ValueError):
        k.relu_fwd(x, np.empty(7, np.float32))
    with pytest.raises(ValueError):
        k.relu_fwd(x, np.empty(8, np.float64))
    with pytest.raises(ValueError):
        k.relu_bwd(x, x, np.empty(16, np.float32)[::2])
    with pytest.raises(TypeError):
        k.relu_fwd(x.astype(np.int32), np.empty(8, np.int32))
    with pytest.raises(ValueError):
        k.softmax_rows(x, np.empty(8, np.float32), 3, 4, False)
    with pytest.raises(ValueError):
        k.bias_relu_fwd(x, np.ones(3, np.float32), np.empty(8, np.float32), 2, 4, 1)
    with pytest.raises(ValueError):
        k.cross_entropy_index_fwd(x.reshape(2, 4), np.array([0, 4]), np.ones(2),
                                  np.zeros(4, np.float32), False, 0.0, 1.0,
                                  np.empty((2, 4), np.float32), np.empty(2))
    ro = np.empty(8, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        k.relu_fwd(x, ro)
