"""Convolution kernels: native held to the reference, both to finite differences
(and to PyTorch when it is installed); bad input rejected alike by both."""
import numpy as np
import pytest

from fastnn.backends.numpy_ref import conv as ref
from fastnn.testing import assert_grads_close, numerical_grads

try:
    from fastnn.backends.native import conv as nat
except ImportError:  # pragma: no cover - native kernels not built
    nat = None

BACKENDS = [pytest.param(ref, id="numpy"),
            pytest.param(nat, id="native", marks=pytest.mark.skipif(nat is None, reason="native not built"))]
TOL = {np.float32: dict(rtol=2e-4, atol=2e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}

# (N, C, O, H, W, kH, kW, stride, padding, dilation, groups, bias)
CASES2D = [
    (2, 3, 4, 7, 11, 3, 5, 1, 0, 1, 1, True),            # non-square kernel and image
    (2, 4, 6, 7, 11, 3, 5, (2, 1), (2, 0), 2, 2, True),  # everything at once, groups 2
    (1, 5, 7, 9, 8, 3, 3, 2, 1, 1, 1, False),            # batch 1, odd channels, no bias
    (3, 6, 6, 8, 9, 3, 3, 1, 1, 1, 6, True),             # depthwise
    (2, 3, 6, 8, 7, 3, 2, (1, 2), (1, 0), (2, 1), 3, True),  # depthwise, multiplier 2
    (2, 7, 5, 6, 5, 1, 1, 1, 0, 1, 1, True),             # pointwise fast path
    (2, 4, 4, 6, 5, 1, 1, 2, 1, 1, 2, False),            # 1x1 with stride/padding (im2col path)
    (2, 3, 2, 4, 4, 4, 4, 1, 0, 1, 1, True),             # kernel == image
    (2, 2, 3, 5, 6, 2, 3, 3, 2, 2, 1, True),             # stride > kernel, big padding
]


def rand(shape, dtype, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def make(case, dtype, seed=0):
    n, c, o, h, wd, kh, kw, s, p, d, g, bias = case
    x = rand((n, c, h, wd), dtype, seed)
    w = rand((o, c // g, kh, kw), dtype, seed + 1)
    b = rand((o,), dtype, seed + 2) if bias else None
    return x, w, b, dict(stride=s, padding=p, dilation=d, groups=g)


def test_same_exports():
    assert nat is not None
    assert sorted(ref.__all__) == sorted(nat.__all__)
    for name in ref.__all__:
        assert callable(getattr(ref, name)) and callable(getattr(nat, name))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES2D)
def test_native_matches_reference_2d(case, dtype):
    x, w, b, kw = make(case, dtype)
    y_r, s_r = ref.conv2d_forward(x, w, b, **kw)
    y_n, s_n = nat.conv2d_forward(x, w, b, **kw)
    assert y_n.dtype == dtype and y_n.shape == y_r.shape
    np.testing.assert_allclose(y_n, y_r, **TOL[dtype])
    dy = rand(y_r.shape, dtype, 7)
    for g_n, g_r, name in zip(nat.conv2d_backward(dy, s_n), ref.conv2d_backward(dy, s_r), "x w b".split()):
        if b is None and name == "b":
            assert g_n is None and g_r is None
            continue
        assert g_n.dtype == dtype and g_n.shape == g_r.shape
        np.testing.assert_allclose(g_n, g_r, err_msg=f"d{name}", **TOL[dtype])


def test_output_size_formula():
    x = np.zeros((1, 2, 7, 11))
    w = np.zeros((3, 2, 3, 5))
    y, _ = ref.conv2d_forward(x, w, None, stride=(2, 1), padding=(2, 0), dilation=2)
    # floor((H + 2p - d(k-1) - 1)/s) + 1
    assert y.shape == (1, 3, (7 + 4 - 4 - 1) // 2 + 1, (11 - 8 - 1) // 1 + 1)


@pytest.mark.parametrize("mod", BACKENDS)
@pytest.mark.parametrize("case", [CASES2D[1], CASES2D[3], CASES2D[4], CASES2D[5], CASES2D[8]])
def test_backward_finite_differences_2d(mod, case):
    small = (1,) + case[1:]    # batch 1 keeps the finite differences cheap
    x, w, b, args = make(small, np.float64, 3)
    if b is None:
        b = rand((small[2],), np.float64, 4)
    y, saved = mod.conv2d_forward(x, w, b, **args)
    dy = rand(y.shape, np.float64, 5)
    analytic = mod.conv2d_backward(dy, saved)
    numeric = numerical_grads(lambda x_, w_, b_: mod.conv2d_forward(x_, w_, b_, **args)[0], [x, w, b], dy)
    assert_grads_close(analytic, numeric, rtol=1e-6, atol=1e-7, names=["x", "w", "b"])


@pytest.mark.parametrize("mod", BACKENDS)
def test_backward_finite_differences_1d(mod):
    x, w, b = rand((2, 4, 9), np.float64, 0), rand((6, 2, 3), np.float64, 1), rand((6,), np.float64, 2)
    args = dict(stride=2, padding=2, dilation=2, groups=2)
    y, saved = mod.conv1d_forward(x, w, b, **args)
    dy = rand(y.shape, np.float64, 3)
    analytic = mod.conv1d_backward(dy, saved)
    numeric = numerical_grads(lambda x_, w_, b_: mod.conv1d_forward(x_, w_, b_, **args)[0], [x, w, b], dy)
    assert_grads_close(analytic, numeric, rtol=1e-6, atol=1e-7, names=["x", "w", "b"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("args", [dict(), dict(stride=2, padding=1), dict(dilation=3, padding=(4,)),
                                  dict(groups=3), dict(groups=6, padding=1)])
def test_native_matches_reference_1d(dtype, args):
    x, w, b = rand((3, 6, 13), dtype, 0), rand((6, 6 // args.get("groups", 1), 3), dtype, 1), rand((6,), dtype, 2)
    y_r, s_r = ref.conv1d_forward(x, w, b, **args)
    y_n, s_n = nat.conv1d_forward(x, w, b, **args)
    assert y_n.shape == y_r.shape and y_n.ndim == 3
    np.testing.assert_allclose(y_n, y_r, **TOL[dtype])
    dy = rand(y_r.shape, dtype, 3)
    for g_n, g_r in zip(nat.conv1d_backward(dy, s_n), ref.conv1d_backward(dy, s_r)):
        assert g_n.shape == g_r.shape
        np.testing.assert_allclose(g_n, g_r, **TOL[dtype])
    np.testing.assert_allclose(y_r, _direct_conv1d(x, w, b, **args), **TOL[dtype])


def _direct_conv1d(x, w, b, stride=1, padding=0, dilation=1, groups=1):
    """Independent oracle: the defining sum, loop by loop."""
    padding = padding[0] if isinstance(padding, tuple) else padding
    n, c, length = x.shape
    o, cg, k = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    lo = (length + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    y = np.zeros((n, o, lo)) + b[:, None]
    for oc in range(o):
        g = oc // (o // groups)
        for i in range(lo):
            for j in range(k):
                y[:, oc, i] += xp[:, g * cg:(g + 1) * cg, i * stride + j * dilation] @ w[oc, :, j]
    return y


@pytest.mark.parametrize("layout", ["fortran", "strided", "transposed"])
def test_noncontiguous_inputs(layout):
    x, w, b, args = make(CASES2D[1], np.float32)
    if layout == "fortran":
        xi, wi = np.asfortranarray(x), np.asfortranarray(w)
    elif layout == "strided":
        xi = np.repeat(x, 2, axis=3)[..., ::2]
        wi = np.repeat(w, 2, axis=0)[::2]
        b = np.repeat(b, 2)[::2]
    else:
        xi = np.ascontiguousarray(x.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)
        wi = np.ascontiguousarray(w.transpose(3, 2, 1, 0)).transpose(3, 2, 1, 0)
    assert not xi.flags.c_contiguous and not wi.flags.c_contiguous
    y_r, s_r = ref.conv2d_forward(x, w, b, **args)
    y_n, s_n = nat.conv2d_forward(xi, wi, b, **args)
    np.testing.assert_allclose(y_n, y_r, rtol=2e-4, atol=2e-4)
    dy = rand(y_r.shape, np.float32, 9)
    dyi = np.asfortranarray(dy)
    for g_n, g_r in zip(nat.conv2d_backward(dyi, s_n), ref.conv2d_backward(dy, s_r)):
        np.testing.assert_allclose(g_n, g_r, rtol=2e-4, atol=2e-4)


@pytest.mark.parametrize("mod", BACKENDS)
@pytest.mark.parametrize("case", [CASES2D[0], CASES2D[3], CASES2D[5]])
def test_zero_batch(mod, case):
    x, w, b, args = make(case, np.float32)
    x = x[:0]
    y, saved = mod.conv2d_forward(x, w, b, **args)
    assert y.shape[0] == 0 and y.shape[1] == w.shape[0]
    dx, dw, db = mod.conv2d_backward(np.zeros(y.shape, np.float32), saved)
    assert dx.shape == x.shape
    assert dw.shape == w.shape and not dw.any()
    assert db.shape == b.shape and not db.any()
    y1, saved1 = mod.conv1d_forward(x[:, :, 0], w[:, :, 0], b, **args)
    assert y1.shape[:2] == (0, w.shape[0])


def test_matches_torch():
    torch = pytest.importorskip("torch")
    for case in CASES2D:
        x, w, b, args = make(case, np.float64)
        y, saved = nat.conv2d_forward(x, w, b, **args)
        dy = rand(y.shape, np.float64, 1)
        xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
        bt = torch.tensor(b, requires_grad=True) if b is not None else None
        yt = torch.nn.functional.conv2d(xt, wt, bt, **args)
        yt.backward(torch.tensor(dy))
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-10)
        dx, dw, db = nat.conv2d_backward(dy, saved)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(dw, wt.grad.numpy(), rtol=1e-10, atol=1e-10)
        if b is not None:
            np.testing.assert_allclose(db, bt.grad.numpy(), rtol=1e-10, atol=1e-10)


def _bad_2d():
    f = np.float32
    x, w, b = np.zeros((2, 4, 8, 8), f), np.zeros((6, 2, 3, 3), f), np.zeros(6, f)
    ok = dict(stride=1, padding=0, dilation=1, groups=2)
    yield "rank x", (np.zeros((4, 8, 8), f), w, b), ok, ValueError, "x"
    yield "rank w", (x, np.zeros((6, 2, 3), f), b), ok, ValueError, "w"
    yield "rank b", (x, w, np.zeros((6, 1), f)), ok, ValueError, "b"
    yield "shape b", (x, w, np.zeros(5, f)), ok, ValueError, "b"
    yield "channels", (x, np.zeros((6, 3, 3, 3), f), b), ok, ValueError, "w"
    yield "groups C", (x, w, b), dict(ok, groups=3), ValueError, "groups"
    yield "groups O", (x, np.zeros((5, 1, 3, 3), f), np.zeros(5, f)), dict(ok, groups=4), ValueError, "groups"
    yield "groups 0", (x, w, b), dict(ok, groups=0), ValueError, "groups"
    yield "groups float", (x, w, b), dict(ok, groups=2.0), TypeError, "groups"
    yield "kernel too big", (x, np.zeros((6, 2, 9, 3), f), b), ok, ValueError, "kernel"
    yield "dilated too big", (x, w, b), dict(ok, dilation=4), ValueError, "kernel"
    yield "stride 0", (x, w, b), dict(ok, stride=0), ValueError, "stride"
    yield "stride -1", (x, w, b), dict(ok, stride=(1, -1)), ValueError, "stride"
    yield "padding -1", (x, w, b), dict(ok, padding=-1), ValueError, "padding"
    yield "dilation 0", (x, w, b), dict(ok, dilation=0), ValueError, "dilation"
    yield "padding len", (x, w, b), dict(ok, padding=(1, 1, 1)), ValueError, "padding"
    yield "int x", (x.astype(np.int32), w, b), ok, TypeError, "x"
    yield "object w", (x, w.astype(object), b), ok, TypeError, "w"
    yield "dtype mismatch", (x, w.astype(np.float64), b), ok, TypeError, "w"
    yield "dtype b", (x, w, b.astype(np.float64)), ok, TypeError, "b"
    yield "list x", (x.tolist(), w, b), ok, TypeError, "x"
    yield "empty kernel", (x, np.zeros((6, 2, 0, 3), f), b), ok, ValueError, "w"


@pytest.mark.parametrize("mod", BACKENDS)
@pytest.mark.parametrize("label,args,kw,exc,word", list(_bad_2d()), ids=[c[0] for c in _bad_2d()])
def test_bad_input_2d(mod, label, args, kw, exc, word):
    with pytest.raises(exc, match=word):
        mod.conv2d_forward(*args, **kw)


@pytest.mark.parametrize("mod", BACKENDS)
def test_bad_input_1d_and_backward(mod):
    f = np.float32
    x, w = np.zeros((2, 4, 8), f), np.zeros((4, 4, 3), f)
    with pytest.raises(ValueError, match="x"):
        mod.conv1d_forward(np.zeros((2, 4, 8, 1), f), w, None)
    with pytest.raises(ValueError, match="w"):
        mod.conv1d_forward(x, np.zeros((4, 4, 3, 1), f), None)
    with pytest.raises(ValueError, match="kernel"):
        mod.conv1d_forward(x, np.zeros((4, 4, 11), f), None, padding=1)
    with pytest.raises(ValueError, match="stride"):
        mod.conv1d_forward(x, w, None, stride=0)
    with pytest.raises(ValueError, match="padding"):
        mod.conv1d_forward(x, w, None, padding=(1, 1))
    with pytest.raises(TypeError, match="w"):
        mod.conv1d_forward(x, w.astype(np.float64), None)
    y, saved = mod.conv1d_forward(x, w, None)
    with pytest.raises(ValueError, match="dy"):
        mod.conv1d_backward(np.zeros((2, 4, 5), f), saved)
    with pytest.raises(TypeError, match="dy"):
        mod.conv1d_backward(y.astype(np.float64), saved)
    y2, saved2 = mod.conv2d_forward(x[:, :, None], w[:, :, None], None)
    with pytest.raises(ValueError, match="dy"):
        mod.conv2d_backward(y2[:, :3], saved2)
    with pytest.raises(ValueError, match="dy"):
        mod.conv2d_backward(y2[:, :, 0], saved2)


@pytest.mark.parametrize("nthreads", [1, 3])
def test_thread_counts_agree(nthreads):
    """Samples-in-parallel (N >= threads) and samples-in-turn paths give the reference result."""
    import fastnn
    before = fastnn.get_num_threads()
    x, w, b, args = make((5, 3, 4, 6, 7, 3, 2, 1, 1, 1, 1, True), np.float64)
    y_r, s_r = ref.conv2d_forward(x, w, b, **args)
    dy = rand(y_r.shape, np.float64, 1)
    want = ref.conv2d_backward(dy, s_r)
    try:
        fastnn.set_num_threads(nthreads)
        for n in (1, 2, 5):   # fewer, as many as, more samples than threads
            y_n, s_n = nat.conv2d_forward(x[:n], w, b, **args)
            np.testing.assert_allclose(y_n, y_r[:n], rtol=1e-12, atol=1e-12)
            got = nat.conv2d_backward(dy[:n], s_n)
            want_n = ref.conv2d_backward(dy[:n], ref.conv2d_forward(x[:n], w, b, **args)[1])
            for g_n, g_r in zip(got, want_n):
                np.testing.assert_allclose(g_n, g_r, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-12)
    finally:
        fastnn.set_num_threads(before)


@pytest.fixture
def no_packed():
    with nat.disable_paths("packed"):  # groups = 1 cases would take the packed path
        yield


@pytest.fixture
def no_winograd():
    with nat.disable_paths("winograd"):  # 3x3 stride-1 cases would take that path
        yield


def test_disable_paths():
    """disable_paths turns the named paths off inside the block only, and rejects
    names it does not know."""
    x, w, b, args = make((2, 16, 32, 10, 10, 3, 3, 1, 1, 1, 1, True), np.float64, seed=0)
    p = ref.conv2d_forward(x, w, b, **args)[1].params
    import fastnn
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(1)
        assert nat._winograd_plan(x, w, p, False) is not None
        with nat.disable_paths("winograd"):
            assert nat._winograd_plan(x, w, p, False) is None
            assert nat._packed_plan(x, w, p) is not None
            with nat.disable_paths("packed"):
                assert nat._packed_plan(x, w, p) is None
            assert nat._packed_plan(x, w, p) is not None
        assert nat._winograd_plan(x, w, p, False) is not None
    finally:
        fastnn.set_num_threads(before)
    with pytest.raises(ValueError, match="names"):
        with nat.disable_paths("im2col"):
            pass
    assert nat._SMALL_K == nat._conv.SMALL_K == 12


def test_small_kernels_reject_large_k():
    """The unpacked small-k kernels refuse k = C*kH*kW beyond SMALL_K loudly."""
    x, w, b, args = make((1, 2, 4, 6, 6, 3, 3, 1, 1, 1, 1, False), np.float64, seed=0)
    p = ref.conv2d_forward(x, w, b, **args)[1].params
    y = np.empty((1, 4, 6, 6))
    scratch = np.empty((1, 1 << 16))
    with pytest.raises(ValueError, match="SMALL_K|small-k"):
        nat._conv.forward_small(x, w, x[:0, 0, 0, 0], y, scratch, 1, nat._geometry(p))


@pytest.mark.parametrize("nthreads", [1, 2])
@pytest.mark.parametrize("columns, nbytes", [(1, 1 << 30), (64, 1 << 30), (10 ** 6, 1 << 30),
                                             (1, 600), (1, 1)])
@pytest.mark.parametrize("case", [(7, 4, 6, 9, 7, 3, 2, (2, 1), (1, 2), 1, 2, True),
                                  (5, 3, 5, 6, 5, 1, 1, 1, 0, 1, 1, True),
                                  (6, 2, 3, 7, 6, 3, 3, 1, 1, 1, 1, False)])
def test_blocks_and_chunks(monkeypatch, no_packed, case, columns, nbytes, nthreads):
    """Several samples per GEMM (whole and partial last blocks) and one sample cut
    into chunks of output rows (down to one row) give the reference result."""
    import fastnn
    monkeypatch.setattr(nat, "_BLOCK_COLUMNS", columns)
    monkeypatch.setattr(nat, "_BLOCK_BYTES", nbytes)
    x, w, b, args = make(case, np.float64, seed=3)
    y_r, s_r = ref.conv2d_forward(x, w, b, **args)
    dy = rand(y_r.shape, np.float64, 4)
    want = ref.conv2d_backward(dy, s_r)
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(nthreads)
        block, chunk = nat._plan(x, w, s_r.params)[:2]
        if nbytes == 1 and case[5] > 1:
            assert block == 1 and chunk == 1
        if columns == 10 ** 6 and nthreads == 1 and case[5] > 1:
            assert block == x.shape[0]
        y_n, s_n = nat.conv2d_forward(x, w, b, **args)
        np.testing.assert_allclose(y_n, y_r, rtol=1e-12, atol=1e-12)
        for g_n, g_r in zip(nat.conv2d_backward(dy, s_n), want):
            if g_r is None:
                assert g_n is None
            else:
                np.testing.assert_allclose(g_n, g_r, rtol=1e-12, atol=1e-12)
    finally:
        fastnn.set_num_threads(before)


def test_validation_cache_keeps_rejecting():
    """The cache of validated calls (conv and pooling) is keyed by value, where
    True == 1 and 1.0 == 1: those must still be rejected after a valid call."""
    from fastnn.backends import _validate
    from fastnn.backends.numpy_ref import pool as ref_pool
    x = rand((2, 3, 8, 8), np.float32, 0)
    w = rand((4, 3, 3, 3), np.float32, 1)
    for mod in (ref, nat):
        mod.conv2d_forward(x, w, None, stride=(1, 1), padding=1)
        mod.conv2d_forward(x, w, None, stride=(1, 1), padding=1)
        for bad, exc in (((True, 1), ValueError), (True, TypeError), (1.0, TypeError)):
            with pytest.raises(exc, match="stride"):
                mod.conv2d_forward(x, w, None, stride=bad, padding=1)
        with pytest.raises(TypeError, match="groups"):
            mod.conv2d_forward(x, w, None, stride=(1, 1), padding=1, groups=True)
        with pytest.raises(TypeError, match="w"):
            mod.conv2d_forward(x, w.astype(np.float64), None, stride=(1, 1), padding=1)
    ref_pool.max_pool2d_forward(x, 2, None, 0, 1, False)
    ref_pool.max_pool2d_forward(x, 2, None, 0, 1, False)
    with pytest.raises(TypeError, match="kernel_size"):
        ref_pool.max_pool2d_forward(x, True, None, 0, 1, False)
    with pytest.raises(ValueError, match="kernel_size"):
        ref_pool.max_pool2d_forward(x, (2, True), None, 0, 1, False)
    with pytest.raises(TypeError, match="ceil_mode"):
        ref_pool.max_pool2d_forward(x, 2, None, 0, 1, 0)
    xn = x.copy()
    xn[0, 0, 0, 0] = np.nan
    _validate.set_finite_checks(True)
    try:
        with pytest.raises(ValueError, match="NaN"):
            nat.conv2d_forward(xn, w, None, stride=(1, 1), padding=1)
        with pytest.raises(ValueError, match="NaN"):
            ref_pool.max_pool2d_forward(xn, 2, None, 0, 1, False)
    finally:
        _validate.set_finite_checks(False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", [(2, 4, 8, 5, 45, 3, 3, 1, 1, 1, 4, True),       # rows > one vector
                                  (3, 3, 3, 6, 70, 2, 5, (1, 2), (0, 2), (1, 3), 3, False),
                                  (1, 2, 2, 4, 40, 1, 1, 1, 0, 1, 2, True)])
def test_depthwise_wide_rows(case, dtype):
    """Depthwise planes wide enough that the vectorised row loops run whole
    vectors (AVX-512: 16 floats), not only their scalar tails."""
    x, w, b, kw = make(case, dtype, seed=5)
    y_r, s_r = ref.conv2d_forward(x, w, b, **kw)
    y_n, s_n = nat.conv2d_forward(x, w, b, **kw)
    np.testing.assert_allclose(y_n, y_r, **TOL[dtype])
    dy = rand(y_r.shape, dtype, 6)
    for g_n, g_r in zip(nat.conv2d_backward(dy, s_n), ref.conv2d_backward(dy, s_r)):
        if g_r is None:
            assert g_n is None
        else:
            np.testing.assert_allclose(g_n, g_r, **TOL[dtype])


PACKED_CASES = [
    # (N, C, O, H, W, kH, kW, stride, padding, dilation, groups, bias)
    (3, 5, 7, 9, 11, 3, 3, 1, 0, 1, 1, True),          # odd channels: edge tiles both ways
    (2, 3, 13, 8, 10, 3, 2, (2, 1), (1, 2), (1, 2), 1, True),  # strides, padding, dilation
    (1, 2, 33, 7, 6, 2, 3, 1, 2, 1, 1, False),         # batch 1, O past one 32-wide panel
    (2, 1, 4, 12, 40, 3, 3, 1, 1, 1, 1, True),         # one input channel, wide rows
    (2, 2, 3, 4, 5, 1, 1, 2, 1, 1, 1, True),           # 1x1 with stride/padding
    (2, 30, 3, 6, 5, 3, 3, 1, 1, 1, 1, True),          # K = 270 > one k block
    # O = 64, 20, 10, 5: last row panel of 4, 8, 10 and 5 rows (the 4/8/12-row
    # tile loops), with the bias fused into the first of two k blocks
    (2, 32, 64, 5, 6, 3, 3, 1, 0, 1, 1, True),
    (1, 4, 20, 9, 7, 3, 3, 1, 1, 1, 1, True),
    (2, 3, 10, 6, 37, 3, 3, 1, 0, 1, 1, True),
    (1, 2, 5, 6, 6, 3, 3, 1, 0, 1, 1, False),
]


def _gemm_variants():
    if nat is None:
        return []
    from fastnn.backends.native import available_isas
    return available_isas()


@pytest.mark.parametrize("variant", _gemm_variants())
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("columns", [1, 256, 10 ** 6], ids=["row-chunks", "default", "whole"])
@pytest.mark.parametrize("nthreads", [1, 2])
def test_packed_path(monkeypatch, no_winograd, variant, dtype, columns, nthreads):
    """The packed path (im2col written into the GEMM panels) matches the reference
    for every ISA level of the micro-kernel, chunk size and thread count."""
    import fastnn
    from fastnn.backends.native import isa, set_isa
    from fastnn.backends.native.conv import _conv
    monkeypatch.setattr(nat, "_PACKED_COLUMNS", columns)
    before = fastnn.get_num_threads()
    try:
        set_isa(variant)
        assert isa() == variant
        fastnn.set_num_threads(nthreads)
        for i, case in enumerate(PACKED_CASES):
            x, w, b, args = make(case, dtype, seed=i)
            y_r, s_r = ref.conv2d_forward(x, w, b, **args)
            plan = nat._packed_plan(x, w, s_r.params)
            team = _conv.team(float(x.size // x.shape[1]) * w.size)  # threshold bypassed or not
            # fewer samples than threads: the threaded-GEMM path instead
            assert (plan is None) == (team > 1 and x.shape[0] < team)
            if plan is not None and columns == 1:
                assert plan[0] == 1
            y_n, s_n = nat.conv2d_forward(x, w, b, **args)
            np.testing.assert_allclose(y_n, y_r, **TOL[dtype])
            dy = rand(y_r.shape, dtype, 9)
            for g_n, g_r in zip(nat.conv2d_backward(dy, s_n), ref.conv2d_backward(dy, s_r)):
                if g_r is None:
                    assert g_n is None
                else:
                    assert g_n.dtype == dtype and g_n.shape == g_r.shape
                    np.testing.assert_allclose(g_n, g_r, **TOL[dtype])
    finally:
        set_isa(None)
        fastnn.set_num_threads(before)


def _packed_finite_differences(case, small):
    x, w, b, args = make(case, np.float64, seed=5)
    y, saved = nat.conv2d_forward(x, w, b, **args)
    assert nat._packed_plan(x, w, saved.params, small=small) is not None
    dy = rand(y.shape, np.float64, 6)
    got = nat.conv2d_backward(dy, saved)
    want = numerical_grads(lambda x_, w_, b_: nat.conv2d_forward(x_, w_, b_, **args)[0],
                           [x, w, b], dy)
    assert_grads_close(got, want, rtol=1e-6, atol=1e-7, names=["x", "w", "b"])


def test_packed_path_finite_differences():
    _packed_finite_differences((2, 3, 4, 6, 5, 3, 2, (2, 1), 1, (1, 2), 1, True), small=False)


SMALL_K_CASES = [
    # (N, C, O, H, W, kH, kW, stride, padding, dilation, groups, bias); C*kH*kW <= 12
    (3, 1, 32, 28, 28, 3, 3, 1, 0, 1, 1, True),        # the first layer of the CNNs
    (2, 1, 5, 9, 13, 3, 3, 1, 1, 1, 1, True),          # odd O: a last single channel
    (2, 3, 7, 6, 7, 2, 2, 1, 0, 1, 1, False),          # k = 12, no bias
    (1, 1, 3, 5, 17, 1, 5, (1, 2), (0, 2), 1, 1, True),  # stride, padding, 1x5
    (2, 2, 4, 7, 5, 1, 1, 1, 1, 1, 1, True),           # k = 2, 1x1 with padding
    (2, 1, 6, 11, 10, 3, 3, 2, 1, 2, 1, True),         # dilation
    # cg_small_col2im's vector path (stride-1 columns, rows of >= one vector):
    (2, 1, 4, 9, 21, 3, 3, 1, 1, 2, 1, True),          # padding and dilation: taps shifted both ways
    (2, 1, 3, 8, 33, 2, 4, (2, 1), (1, 2), 1, 1, True),  # 4 taps a row (the most), 3+ vectors
    (1, 1, 2, 4, 40, 1, 5, 1, (0, 2), 1, 1, False),    # 5 taps: the plain col2im
    (1, 1, 2, 3, 131, 1, 3, 1, 1, 1, 1, True),         # 131 wide: past the masks kept, plain col2im
    (2, 1, 3, 3, 40, 1, 3, 1, 0, 12, 1, True),         # taps 24 apart: reads would reach past, plain col2im
]


@pytest.mark.parametrize("variant", _gemm_variants())
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nbytes", [1, 1 << 20], ids=["row-chunks", "whole"])
@pytest.mark.parametrize("nthreads", [1, 2])
def test_small_k_paths(monkeypatch, variant, dtype, nbytes, nthreads):
    """k = C*kH*kW <= 12 takes the unpacked forward and backward
    (fastnn_cg_forward_small, fastnn_cg_backward_small, the bias gradient from the kernel):
    held to the reference for every ISA level."""
    import fastnn
    from fastnn.backends.native import set_isa
    monkeypatch.setattr(nat, "_PACKED_BYTES", nbytes)
    before = fastnn.get_num_threads()
    try:
        set_isa(variant)
        fastnn.set_num_threads(nthreads)
        for i, case in enumerate(SMALL_K_CASES):
            x, w, b, args = make(case, dtype, seed=i)
            y_r, s_r = ref.conv2d_forward(x, w, b, **args)
            plan = nat._packed_plan(x, w, s_r.params, small=True)
            assert (plan is None) == (nthreads > 1 and x.shape[0] < nthreads)
            y_n, s_n = nat.conv2d_forward(x, w, b, **args)
            np.testing.assert_allclose(y_n, y_r, err_msg=f"y case {i}", **TOL[dtype])
            dy = rand(y_r.shape, dtype, 9)
            for g_n, g_r, name in zip(nat.conv2d_backward(dy, s_n), ref.conv2d_backward(dy, s_r), "xwb"):
                if g_r is None:
                    assert g_n is None
                else:
                    assert g_n.dtype == dtype and g_n.shape == g_r.shape
                    np.testing.assert_allclose(g_n, g_r, err_msg=f"d{name} case {i}", **TOL[dtype])
    finally:
        set_isa(None)
        fastnn.set_num_threads(before)


def test_small_k_finite_differences():
    _packed_finite_differences(SMALL_K_CASES[1], small=True)


def test_small_k_non_contiguous():
    x, w, b, args = make(SMALL_K_CASES[1], np.float64, seed=7)
    xi = np.repeat(x, 2, axis=3)[..., ::2]
    wi = np.asfortranarray(w)
    assert not xi.flags.c_contiguous and not wi.flags.c_contiguous
    y_r, s_r = ref.conv2d_forward(x, w, b, **args)
    assert nat._packed_plan(x, w, s_r.params, small=True) is not None
    y_n, s_n = nat.conv2d_forward(xi, wi, b, **args)
    np.testing.assert_allclose(y_n, y_r, **TOL[np.float64])
    dy = rand(y_r.shape, np.float64, 8)
    for g_n, g_r in zip(nat.conv2d_backward(dy[:, :, ::-1, :], s_n),
                        ref.conv2d_backward(np.ascontiguousarray(dy[:, :, ::-1, :]), s_r)):
        np.testing.assert_allclose(g_n, g_r, **TOL[np.float64])
