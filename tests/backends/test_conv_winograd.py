"""The Winograd F(2x2, 3x3) convolution path (conv_winograd_kernel.c) held to the
NumPy reference: every ISA level, both dtypes, block sizes from one tile row to
the whole batch, odd and non-square sizes, padding, batch 1, 1 and 2 threads; and
its backward to finite differences in float64."""
import numpy as np
import pytest

from fastnn.backends.numpy_ref import conv as ref
from fastnn.testing import assert_grads_close, numerical_grads

nat = pytest.importorskip("fastnn.backends.native.conv")

TOL = {np.float32: dict(rtol=3e-4, atol=3e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}

# (N, C, O, H, W, padding, bias)
CASES = [
    (2, 8, 8, 5, 5, 0, True),        # 3x3 output: tiles past the edge in both directions
    (3, 9, 10, 7, 6, 1, True),       # odd channels, non-square image
    (1, 16, 8, 13, 13, 0, False),    # batch 1, no bias
    (4, 8, 12, 4, 4, 2, True),       # padding 2: the first and last rows read only padding
    (2, 8, 9, 3, 3, 0, True),        # one output pixel
    (2, 13, 17, 9, 11, (1, 2), True),  # different padding per axis, channels past a panel
    (2, 8, 9, 1, 1, 1, True),        # 1x1 image padded to 3x3
    (3, 12, 8, 2, 21, (1, 0), True),  # one tile row, a long one
    (1, 8, 4, 5, 34, 1, True),       # 17 tiles a row: past one float vector, the last one overlapping
    (2, 8, 4, 4, 32, 1, False),      # 16 tiles a row: exactly one float vector
    (2, 33, 8, 6, 6, 3, False),      # padding 3: whole tiles of padding
    (2, 200, 196, 4, 5, 1, True),    # C and O past one k block (192 double, 256 float)
    (2, 300, 20, 3, 3, 1, True),     # two float k blocks
]


def rand(shape, dtype, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def make(case, dtype, seed=0):
    n, c, o, h, w, p, bias = case
    x = rand((n, c, h, w), dtype, seed)
    wt = rand((o, c, 3, 3), dtype, seed + 1)
    b = rand((o,), dtype, seed + 2) if bias else None
    return x, wt, b, p


def _variants():
    from fastnn.backends.native import available_isas
    return available_isas()


@pytest.fixture(autouse=True)
def any_channel_count(monkeypatch):
    """The path must be right for any channel count and size, not only where it is chosen."""
    monkeypatch.setattr(nat, "_WINOGRAD_MIN_CHANNELS", 1)
    monkeypatch.setattr(nat, "_WINOGRAD_MIN_TILES", 1)


def _check(case, dtype, seed=0):
    x, w, b, p = make(case, dtype, seed)
    y_r, s_r = ref.conv2d_forward(x, w, b, 1, p)
    params = nat.check_conv2d(x, w, b, 1, p, 1, 1)
    assert nat._winograd_plan(x, w, params, False) is not None, "not the Winograd path"
    y_n, s_n = nat.conv2d_forward(x, w, b, 1, p)
    np.testing.assert_allclose(y_n, y_r, err_msg="y", **TOL[dtype])
    dy = rand(y_r.shape, dtype, seed + 3)
    for g_n, g_r, name in zip(nat.conv2d_backward(dy, s_n), ref.conv2d_backward(dy, s_r), "xwb"):
        if g_r is None:
            assert g_n is None
            continue
        assert g_n.dtype == dtype and g_n.shape == g_r.shape
        np.testing.assert_allclose(g_n, g_r, err_msg=f"d{name}", **TOL[dtype])


@pytest.mark.parametrize("variant", _variants())
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("tiles", [1, 256, 10 ** 6], ids=["row-blocks", "default", "whole"])
@pytest.mark.parametrize("nthreads", [1, 2])
def test_matches_reference(monkeypatch, variant, dtype, tiles, nthreads):
    import fastnn
    from fastnn.backends.native import set_isa
    monkeypatch.setattr(nat, "_WINOGRAD_TILES", tiles)
    monkeypatch.setattr(nat, "_WINOGRAD_BYTES", 1 << 40 if tiles > 256 else 1 << 20)
    before = fastnn.get_num_threads()
    try:
        set_isa(variant)
        fastnn.set_num_threads(nthreads)
        for i, case in enumerate(CASES):
            if nthreads > 1 and case[0] < nthreads:
                continue  # fewer samples than threads: the threaded-GEMM path instead
            _check(case, dtype, seed=i)
    finally:
        set_isa(None)
        fastnn.set_num_threads(before)


def test_thresholds(monkeypatch):
    import fastnn
    monkeypatch.setattr(nat, "_WINOGRAD_MIN_CHANNELS", 16)
    monkeypatch.setattr(nat, "_WINOGRAD_MIN_TILES", 48)
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(1)
        # (N, C, H): 2x2 tiles of the 3x3-padded-1 output
        for (n, c, h), taken in [((3, 15, 8), False), ((3, 16, 8), True), ((2, 16, 8), False)]:
            x, w = rand((n, c, h, h), np.float32, 0), rand((4, c, 3, 3), np.float32, 1)
            params = nat.check_conv2d(x, w, None, 1, 1, 1, 1)
            assert (nat._winograd_plan(x, w, params, False) is not None) == taken, (n, c, h)
    finally:
        fastnn.set_num_threads(before)


def test_batch_smaller_than_team_takes_another_path():
    import fastnn
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(2)
        x, w, b, p = make(CASES[2], np.float32)  # batch 1
        assert nat._winograd_plan(x, w, nat.check_conv2d(x, w, b, 1, p, 1, 1), False) is None
    finally:
        fastnn.set_num_threads(before)


@pytest.mark.parametrize("shape,kw", [
    ((2, 16, 8, 6, 6), dict(stride=2)),
    ((2, 16, 8, 6, 6), dict(dilation=2)),
    ((2, 16, 8, 6, 6), dict(groups=2)),
])
def test_other_convolutions_do_not_take_it(shape, kw):
    n, c, o, h, w = shape
    x = rand((n, c, h, w), np.float64, 0)
    wt = rand((o, c // kw.get("groups", 1), 3, 3), np.float64, 1)
    params = nat.check_conv2d(x, wt, None, kw.get("stride", 1), 0, kw.get("dilation", 1),
                              kw.get("groups", 1))
    assert nat._winograd_plan(x, wt, params, False) is None


def test_finite_differences(monkeypatch):
    monkeypatch.setattr(nat, "_WINOGRAD_TILES", 3)  # blocks that cut samples
    x, w, b, p = make((2, 8, 9, 5, 6, 1, True), np.float64, seed=4)
    y, saved = nat.conv2d_forward(x, w, b, 1, p)
    dy = rand(y.shape, np.float64, 5)
    got = nat.conv2d_backward(dy, saved)
    want = numerical_grads(lambda x_, w_, b_: nat.conv2d_forward(x_, w_, b_, 1, p)[0], [x, w, b], dy)
    assert_grads_close(got, want, rtol=1e-6, atol=1e-7, names=["x", "w", "b"])


def test_float32_error_stays_small():
    """The transforms only add and halve: float32 Winograd stays within a few
    ulps of the float64 direct sum, relative to the output's scale."""
    x, w, b, p = make((4, 64, 64, 16, 16, 1, True), np.float64, seed=8)
    want, _ = ref.conv2d_forward(x, w, b, 1, p)
    got, _ = nat.conv2d_forward(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), 1, p)
    assert np.abs(got - want).max() / np.abs(want).max() < 5e-6


def test_non_contiguous_input():
    x, w, b, p = make((3, 8, 8, 7, 9, 1, True), np.float64, seed=2)
    xt = np.asfortranarray(x)
    wt = w.transpose(0, 1, 3, 2).copy().transpose(0, 1, 3, 2)  # same values, other strides
    y_r, s_r = ref.conv2d_forward(x, w, b, 1, p)
    y_n, s_n = nat.conv2d_forward(xt, wt, b, 1, p)
    np.testing.assert_allclose(y_n, y_r, **TOL[np.float64])
    dy = rand(y_r.shape, np.float64, 3)[:, :, ::-1, :]   # negative strides
    for g_n, g_r in zip(nat.conv2d_backward(dy, s_n), ref.conv2d_backward(dy, s_r)):
        np.testing.assert_allclose(g_n, g_r, **TOL[np.float64])


def test_python_threads_do_not_share_scratch():
    """The kernels release the GIL and reuse scratch buffers per Python thread:
    two threads convolving at once (Winograd, packed and small-k paths) must
    each get the reference result."""
    import threading
    cases = [((4, 16, 8, 9, 9, 1, True), 3), ((3, 1, 6, 12, 10, 0, True), 5)]
    jobs = []
    for case, seed in cases:
        x, w, b, p = make(case, np.float64, seed)
        y_r, s_r = ref.conv2d_forward(x, w, b, 1, p)
        dy = rand(y_r.shape, np.float64, seed + 1)
        jobs.append((x, w, b, p, y_r, ref.conv2d_backward(dy, s_r), dy))
    errors = []

    def work(job):
        x, w, b, p, y_r, g_r, dy = job
        try:
            for _ in range(30):
                y, saved = nat.conv2d_forward(x, w, b, 1, p)
                np.testing.assert_allclose(y, y_r, **TOL[np.float64])
                for got, want in zip(nat.conv2d_backward(dy, saved), g_r):
                    np.testing.assert_allclose(got, want, **TOL[np.float64])
        except AssertionError as e:  # pragma: no cover - the failure being tested for
            errors.append(e)

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
