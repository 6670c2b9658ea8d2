"""The cupy backend held to the NumPy reference, and backward to finite differences.

Every test runs on the host emulation (the real .cu kernels compiled for the
CPU, see conftest.py) and, where CuPy and a GPU exist, on the GPU.
"""
import numpy as np
import pytest

from fastnn.backends.cupy import conv as gconv
from fastnn.backends.cupy import elementwise as gew
from fastnn.backends.cupy import gemm as ggemm
from fastnn.backends.cupy import pool as gpool
from fastnn.backends.cupy import rnn as grnn
from fastnn.backends.numpy_ref import conv as rconv
from fastnn.backends.numpy_ref import elementwise as rew
from fastnn.backends.numpy_ref import gemm as rgemm
from fastnn.backends.numpy_ref import pool as rpool
from fastnn.backends.numpy_ref import rnn as rrnn
from fastnn.testing import assert_grads_close, numerical_grads

RNG = np.random.default_rng(7)
DTYPES = [np.float32, np.float64]


def tol(dtype):
    return dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-11)


def rand(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def close(dev, got, want, dtype):
    if want is None:
        assert got is None
        return
    got = dev.host(got)
    assert got.shape == np.shape(want) and got.dtype == np.asarray(want).dtype
    np.testing.assert_allclose(got, want, **tol(dtype))


def on(dev, *arrays):
    return [None if a is None else dev.to(a) for a in arrays]


# ---------------------------------------------------------------- gemm
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_and_backward(dev, dtype, ta, tb):
    a = rand(*((5, 3) if ta else (3, 5)), dtype=dtype)
    b = rand(*((4, 5) if tb else (5, 4)), dtype=dtype)
    close(dev, ggemm.matmul(*on(dev, a, b), ta, tb), rgemm.matmul(a, b, ta, tb), dtype)
    dc = rand(3, 4, dtype=dtype)
    for g, r in zip(ggemm.matmul_backward(*on(dev, dc, a, b), ta, tb),
                    rgemm.matmul_backward(dc, a, b, ta, tb)):
        close(dev, g, r, dtype)
    a3, b3 = rand(1, 3, 5, dtype=dtype), rand(2, 5, 4, dtype=dtype)
    close(dev, ggemm.batched_matmul(*on(dev, a3, b3)), rgemm.batched_matmul(a3, b3), dtype)
    dc3 = rand(2, 3, 4, dtype=dtype)
    for g, r in zip(ggemm.matmul_backward(*on(dev, dc3, a3, b3)),
                    rgemm.matmul_backward(dc3, a3, b3)):
        close(dev, g, r, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
def test_linear(dev, dtype, bias):
    x, w, b, dy = rand(6, 5, dtype=dtype), rand(3, 5, dtype=dtype), rand(3, dtype=dtype), rand(6, 3, dtype=dtype)
    b = b if bias else None
    y, s = ggemm.linear_forward(*on(dev, x, w, b))
    yr, sr = rgemm.linear_forward(x, w, b)
    close(dev, y, yr, dtype)
    for g, r in zip(ggemm.linear_backward(dev.to(dy), s), rgemm.linear_backward(dy, sr)):
        close(dev, g, r, dtype)


def test_gemm_rejects_host_arrays_and_bad_shapes(dev):
    a = rand(3, 4)
    with pytest.raises(TypeError, match="cupy.ndarray"):
        ggemm.matmul(dev.to(a), a.T.copy())
    with pytest.raises(ValueError, match="inner dimensions"):
        ggemm.matmul(*on(dev, a, a))


# ---------------------------------------------------------------- conv
CONV_CASES = [  # x shape, w shape, stride, padding, dilation, groups
    ((2, 3, 7, 6), (4, 3, 3, 2), 1, 0, 1, 1),
    ((1, 4, 8, 9), (6, 2, 2, 3), (2, 1), (1, 2), (1, 2), 2),
    ((3, 2, 5, 5), (2, 2, 1, 1), 2, 0, 1, 1),
    ((0, 2, 5, 5), (3, 2, 3, 3), 1, 1, 1, 1),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_reference(dev, dtype, case):
    xs, ws, s, p, d, g = case
    x, w, b = rand(*xs, dtype=dtype), rand(*ws, dtype=dtype), rand(ws[0], dtype=dtype)
    x_nc = np.asfortranarray(x)  # the backend must copy a non-C-ordered input
    y, sv = gconv.conv2d_forward(dev.to(x_nc), *on(dev, w, b), s, p, d, g)
    yr, svr = rconv.conv2d_forward(x, w, b, s, p, d, g)
    close(dev, y, yr, dtype)
    dy = rand(*yr.shape, dtype=dtype)
    for gg, r in zip(gconv.conv2d_backward(dev.to(dy), sv), rconv.conv2d_backward(dy, svr)):
        close(dev, gg, r, dtype)


def test_conv2d_finite_differences(dev):
    x, w, b = rand(1, 2, 5, 4), rand(2, 1, 2, 3), rand(2)
    args = (2, 1, (1, 2), 2)
    y, sv = gconv.conv2d_forward(*on(dev, x, w, b), *args)
    dy = rand(*y.shape)
    f = lambda *a: dev.host(gconv.conv2d_forward(*on(dev, *a), *args)[0])
    assert_grads_close([dev.host(g) for g in gconv.conv2d_backward(dev.to(dy), sv)],
                       numerical_grads(f, [x, w, b], dy), names=["x", "w", "b"])


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv1d_matches_reference(dev, dtype):
    x, w = rand(2, 4, 11, dtype=dtype), rand(6, 2, 3, dtype=dtype)
    y, sv = gconv.conv1d_forward(*on(dev, x, w), None, 2, 1, 2, 2)
    yr, svr = rconv.conv1d_forward(x, w, None, 2, 1, 2, 2)
    close(dev, y, yr, dtype)
    dy = rand(*yr.shape, dtype=dtype)
    for gg, r in zip(gconv.conv1d_backward(dev.to(dy), sv), rconv.conv1d_backward(dy, svr)):
        close(dev, gg, r, dtype)


def test_conv_rejects_what_the_reference_rejects(dev):
    x, w = rand(1, 3, 5, 5), rand(2, 2, 3, 3)
    with pytest.raises(ValueError) as ref_err:
        rconv.conv2d_forward(x, w)
    with pytest.raises(ValueError) as gpu_err:
        gconv.conv2d_forward(*on(dev, x, w))
    assert str(gpu_err.value) == str(ref_err.value)


# ---------------------------------------------------------------- pool
MAX_CASES = [  # kernel, stride, padding, dilation, ceil_mode
    (2, None, 0, 1, False), ((3, 2), (2, 1), (1, 1), 1, True), (3, 2, 1, 2, False),
    (3, 2, 0, 1, True),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", MAX_CASES)
def test_max_pool2d(dev, dtype, case):
    x = rand(2, 3, 7, 8, dtype=dtype)
    x[0, 0, 1, 1] = np.nan
    y, sv = gpool.max_pool2d_forward(dev.to(x), *case)
    yr, svr = rpool.max_pool2d_forward(x, *case)
    close(dev, y, yr, dtype)
    np.testing.assert_array_equal(dev.host(sv.indices), svr.indices)
    dy = rand(*yr.shape, dtype=dtype)
    close(dev, gpool.max_pool2d_backward(dev.to(dy), sv), rpool.max_pool2d_backward(dy, svr), dtype)


AVG_CASES = [  # kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    (2, None, 0, False, True, None), ((3, 2), (2, 1), (1, 1), True, False, None),
    (3, 2, 1, True, True, None), (3, 2, 1, False, True, 5),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", AVG_CASES)
def test_avg_pool2d(dev, dtype, case):
    x = rand(2, 3, 7, 8, dtype=dtype)
    y, sv = gpool.avg_pool2d_forward(dev.to(x), *case)
    yr, svr = rpool.avg_pool2d_forward(x, *case)
    close(dev, y, yr, dtype)
    dy = rand(*yr.shape, dtype=dtype)
    close(dev, gpool.avg_pool2d_backward(dev.to(dy), sv), rpool.avg_pool2d_backward(dy, svr), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("out", [(3, 5), 1, (None, 2), (7, 8)])
def test_adaptive_avg_pool2d(dev, dtype, out):
    x = rand(2, 3, 7, 8, dtype=dtype)
    y, sv = gpool.adaptive_avg_pool2d_forward(dev.to(x), out)
    yr, svr = rpool.adaptive_avg_pool2d_forward(x, out)
    close(dev, y, yr, dtype)
    dy = rand(*yr.shape, dtype=dtype)
    close(dev, gpool.adaptive_avg_pool2d_backward(dev.to(dy), sv),
          rpool.adaptive_avg_pool2d_backward(dy, svr), dtype)


def test_pool_zero_batch(dev):
    x = rand(0, 2, 4, 4)
    y, sv = gpool.max_pool2d_forward(dev.to(x), 2)
    assert y.shape == (0, 2, 2, 2)
    assert gpool.max_pool2d_backward(dev.to(rand(0, 2, 2, 2)), sv).shape == x.shape


# ---------------------------------------------------------------- elementwise
@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_and_bias_relu(dev, dtype):
    x = rand(3, 4, 5, dtype=dtype)
    x[0, 0, 0] = np.nan
    y, sv = gew.relu_forward(dev.to(x))
    yr, svr = rew.relu_forward(x)
    close(dev, y, yr, dtype)
    dy = rand(3, 4, 5, dtype=dtype)
    close(dev, gew.relu_backward(dev.to(dy), sv), rew.relu_backward(dy, svr), dtype)
    for axis in (1, -1, 0):
        b = rand(x.shape[axis], dtype=dtype)
        y, sv = gew.bias_relu_forward(*on(dev, x, b), axis)
        yr, svr = rew.bias_relu_forward(x, b, axis)
        close(dev, y, yr, dtype)
        for g, r in zip(gew.bias_relu_backward(dev.to(dy), sv), rew.bias_relu_backward(dy, svr)):
            close(dev, g, r, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((4, 300), 1), ((2, 3, 5), 1), ((2, 3, 5), 0), ((7,), -1)])
def test_softmax_family(dev, dtype, kind, shape, dim):
    fwd, bwd = getattr(gew, kind + "_forward"), getattr(gew, kind + "_backward")
    rfwd, rbwd = getattr(rew, kind + "_forward"), getattr(rew, kind + "_backward")
    x = rand(*shape, dtype=dtype) * 5
    y, sv = fwd(dev.to(x), dim)
    yr, svr = rfwd(x, dim)
    close(dev, y, yr, dtype)
    dy = rand(*shape, dtype=dtype)
    close(dev, bwd(dev.to(dy), sv), rbwd(dy, svr), dtype)


CE_CASES = [  # kind, weighted, reduction, label_smoothing
    ("index", False, "mean", 0.0), ("index", True, "mean", 0.1), ("index", True, "sum", 0.0),
    ("index", False, "none", 0.2), ("prob", True, "mean", 0.1), ("prob", False, "none", 0.0),
]


def _ce_inputs(kind, weighted, dtype, n=5, c=4):
    x = rand(n, c, dtype=dtype) * 3
    if kind == "index":
        t = RNG.integers(0, c, n)
        t[1] = -100  # ignored
    else:
        t = RNG.random((n, c)).astype(dtype)
        t /= t.sum(axis=1, keepdims=True)
    w = RNG.random(c).astype(dtype) + 0.5 if weighted else None
    return x, t, w


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CE_CASES)
def test_cross_entropy_matches_reference(dev, dtype, case):
    kind, weighted, reduction, eps = case
    x, t, w = _ce_inputs(kind, weighted, dtype)
    kw = dict(reduction=reduction, label_smoothing=eps)
    loss, sv = gew.cross_entropy_forward(*on(dev, x, t, w), **kw)
    lr, svr = rew.cross_entropy_forward(x, t, w, **kw)
    close(dev, loss, lr, dtype)
    dl = rand(*lr.shape, dtype=dtype)
    close(dev, gew.cross_entropy_backward(dev.to(dl), sv), rew.cross_entropy_backward(dl, svr), dtype)


@pytest.mark.parametrize("case", CE_CASES[1:5])
def test_cross_entropy_finite_differences(dev, case):
    kind, weighted, reduction, eps = case
    x, t, w = _ce_inputs(kind, weighted, np.float64, n=3, c=3)
    kw = dict(reduction=reduction, label_smoothing=eps)
    loss, sv = gew.cross_entropy_forward(*on(dev, x, t, w), **kw)
    dl = rand(*loss.shape)
    f = lambda a: dev.host(gew.cross_entropy_forward(dev.to(a), *on(dev, t, w), **kw)[0])
    num = numerical_grads(f, [x], dl)
    assert_grads_close([dev.host(gew.cross_entropy_backward(dev.to(dl), sv))], num, names=["logits"])


def test_cross_entropy_edge_cases(dev):
    x = rand(3, 4)
    loss, sv = gew.cross_entropy_forward(*on(dev, x, np.full(3, -100)))
    assert np.isnan(dev.host(loss))
    assert (dev.host(gew.cross_entropy_backward(1.0, sv)) == 0).all()
    with pytest.raises(ValueError, match="out of range"):
        gew.cross_entropy_forward(*on(dev, x, np.array([0, 4, 1])))
    loss, _ = gew.cross_entropy_forward(*on(dev, np.array([[1e4, 0.0]], np.float32), np.array([1])))
    np.testing.assert_allclose(dev.host(loss), 1e4, rtol=1e-6)


# ---------------------------------------------------------------- rnn
def _rnn_args(kind, dtype, T=4, B=3, I=5, H=4, bias=True):
    G = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    x, h0 = rand(T, B, I, dtype=dtype), rand(B, H, dtype=dtype)
    w_ih, w_hh = rand(G * H, I, dtype=dtype) * 0.5, rand(G * H, H, dtype=dtype) * 0.5
    b_ih = rand(G * H, dtype=dtype) if bias else None
    b_hh = rand(G * H, dtype=dtype) if bias else None
    c0 = rand(B, H, dtype=dtype) if kind == "lstm" else None
    return x, h0, c0, w_ih, w_hh, b_ih, b_hh


def _run_forward(mod, kind, dev, args, lengths, extra):
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = args if dev is None else on(dev, *args)
    fn = getattr(mod, kind + "_forward")
    if kind == "lstm":
        return fn(x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths=lengths)
    return fn(x, h0, w_ih, w_hh, b_ih, b_hh, lengths=lengths, **extra)


RNN_CASES = [("rnn", {"nonlinearity": "tanh"}), ("rnn", {"nonlinearity": "relu"}), ("lstm", {}),
             ("gru", {})]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind,extra", RNN_CASES)
@pytest.mark.parametrize("lengths", [None, np.array([4, 1, 3])])
@pytest.mark.parametrize("with_dy", [True, False])
def test_rnn_family_matches_reference(dev, dtype, kind, extra, lengths, with_dy):
    args = _rnn_args(kind, dtype, bias=lengths is None)
    got = _run_forward(grnn, kind, dev, args, lengths, extra)
    want = _run_forward(rrnn, kind, None, args, lengths, extra)
    for g, r in zip(got[:-1], want[:-1]):
        close(dev, g, r, dtype)
    grads = [rand(*a.shape, dtype=dtype) for a in want[:-1]]
    if not with_dy:
        grads[0] = None
    bwd_g = getattr(grnn, kind + "_backward")(*[None if g is None else dev.to(g) for g in grads], got[-1])
    bwd_r = getattr(rrnn, kind + "_backward")(*grads, want[-1])
    assert len(bwd_g) == len(bwd_r)
    for g, r in zip(bwd_g, bwd_r):
        close(dev, g, r, dtype)


@pytest.mark.parametrize("kind,extra", RNN_CASES[1:])
def test_rnn_family_finite_differences(dev, kind, extra):
    args = _rnn_args(kind, np.float64, T=3, B=2, I=2, H=2)
    lengths = np.array([3, 2])
    got = _run_forward(grnn, kind, dev, args, lengths, extra)
    grads = [rand(*a.shape) for a in got[:-1]]
    bwd = getattr(grnn, kind + "_backward")(*on(dev, *grads), got[-1])
    live = [a for a in args if a is not None]

    def f(*a):
        full = list(a) if kind == "lstm" else [a[0], a[1], None, *a[2:]]
        return tuple(dev.host(o) for o in _run_forward(grnn, kind, dev, full, lengths, extra)[:-1])

    num = numerical_grads(f, live, tuple(grads))
    assert_grads_close([dev.host(g) for g in bwd], num)


def test_rnn_rejects_what_the_reference_rejects(dev):
    args = list(_rnn_args("gru", np.float64))
    args[1] = rand(2, 4)  # wrong batch in h0
    with pytest.raises(ValueError) as ref_err:
        _run_forward(rrnn, "gru", None, args, None, {})
    with pytest.raises(ValueError) as gpu_err:
        _run_forward(grnn, "gru", dev, args, None, {})
    assert str(gpu_err.value) == str(ref_err.value)
