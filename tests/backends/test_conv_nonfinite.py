"""Convolution on non-finite data: every native path (small-k, Winograd, packed,
blocked im2col, depthwise, 1x1, stride 2, dilation, groups) gives the NaN and
+-Inf positions of the NumPy reference, forward and backward, and those of
PyTorch where it is installed (issue 13, item 2)."""
import numpy as np
import pytest

from fastnn.backends.numpy_ref import conv as ref

nat = pytest.importorskip("fastnn.backends.native.conv")

# name: (N, C, O, H, W, k, stride, padding, dilation, groups)
PATHS = {
    "small_k": (2, 1, 8, 9, 9, 3, 1, 1, 1, 1),         # C*k*k = 9 <= 12: unpacked products
    "winograd": (4, 32, 64, 14, 14, 3, 1, 1, 1, 1),    # the case, 3x3 stride 1
    "winograd_nopad": (4, 16, 16, 12, 12, 3, 1, 0, 1, 1),
    "packed": (2, 4, 8, 9, 9, 3, 1, 1, 1, 1),
    "blocked_groups": (2, 4, 6, 9, 9, 3, 1, 1, 1, 2),  # groups > 1: blocked im2col + GEMM
    "depthwise": (2, 4, 4, 9, 9, 3, 1, 1, 1, 4),
    "pointwise": (2, 6, 5, 7, 7, 1, 1, 0, 1, 1),       # 1x1: no im2col
    "stride2": (2, 4, 6, 9, 9, 3, 2, 1, 1, 1),
    "dilation2": (2, 4, 6, 11, 11, 3, 1, 2, 2, 1),
}
# where the one non-finite value goes
CASES = ["x_inf", "x_ninf", "x_nan", "w_inf", "w_nan", "dy_inf", "dy_nan"]
TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}


def _data(path, case, dtype):
    n, c, o, h, wd, k, s, pd, d, g = PATHS[path]
    rng = np.random.default_rng(13)
    x = rng.standard_normal((n, c, h, wd)).astype(dtype)
    w = rng.standard_normal((o, c // g, k, k)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype)
    ho = (h + 2 * pd - d * (k - 1) - 1) // s + 1
    wo = (wd + 2 * pd - d * (k - 1) - 1) // s + 1
    dy = rng.standard_normal((n, o, ho, wo)).astype(dtype)
    bad = {"inf": np.inf, "ninf": -np.inf, "nan": np.nan}[case.split("_")[1]]
    where = case.split("_")[0]
    if where == "x":
        x[0, 0, h // 2, wd // 2] = bad
        x[-1, -1, 0, 0] = bad  # a corner as well: its windows meet the padding
    elif where == "w":
        w[0, 0, k // 2, k // 2] = bad
    else:
        dy[0, 0, ho // 2, wo // 2] = bad
        dy[-1, -1, 0, 0] = bad
    return x, w, b, dy, dict(stride=s, padding=pd, dilation=d, groups=g)


def _same(got, want, dtype, what, padding_nan=False):
    """Equal NaN, +Inf and -Inf masks, finite entries close.

    padding_nan: a NaN/Inf weight or output gradient times the zero padding
    is NaN where a kernel multiplies the padding in (im2col: the reference,
    PyTorch's float64 path, fastnn's GEMM paths) and nothing where it skips
    padded taps (fastnn's depthwise kernels, PyTorch's float32 path); those
    positions alone may be NaN on one side (issue 13, item 6).
    """
    if padding_nan:
        either = np.isnan(got) | np.isnan(want)
        got, want = got[~either], want[~either]
    for mask in (np.isnan, np.isposinf, np.isneginf):
        bad = mask(got) != mask(want)
        assert not bad.any(), f"{what}: {mask.__name__} differs at {int(bad.sum())} positions"
    fin = np.isfinite(want)
    np.testing.assert_allclose(got[fin], want[fin], **TOL[dtype], err_msg=what)


def _run(mod, x, w, b, dy, kw):
    with np.errstate(all="ignore"):
        y, saved = mod.conv2d_forward(x, w, b, **kw)
        dx, dw, db = mod.conv2d_backward(dy, saved)
    return y, dx, dw, db


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("path", list(PATHS))
def test_native_matches_reference(path, case, dtype):
    x, w, b, dy, kw = _data(path, case, dtype)
    want = _run(ref, x, w, b, dy, kw)
    got = _run(nat, x, w, b, dy, kw)
    # only the depthwise kernels skip padded taps; every other path must
    # match the reference exactly
    loose = path == "depthwise" and _padding_case(case, kw)
    for name, g, r in zip(("y", "dx", "dw", "db"), got, want):
        _same(g, r, dtype, f"{path}/{case}/{name}", padding_nan=loose)


def _padding_case(case, kw):
    # a non-finite weight or output gradient meets the zero padding
    return case[:2] in ("w_", "dy") and bool(kw["padding"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("path", list(PATHS))
def test_native_matches_torch(path, case, dtype):
    torch = pytest.importorskip("torch")
    x, w, b, dy, kw = _data(path, case, dtype)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, tb, **kw)
    ty.backward(torch.tensor(dy))
    want = (ty.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy())
    got = _run(nat, x, w, b, dy, kw)
    loose = _padding_case(case, kw)
    for name, g, r in zip(("y", "dx", "dw", "db"), got, want):
        _same(g, r, dtype, f"{path}/{case}/{name}", padding_nan=loose)


def test_winograd_still_taken_for_finite_data():
    # the finiteness check must not turn the fast path off for ordinary data
    x, w, _, dy, kw = _data("winograd", "x_inf", np.float32)
    x[np.isinf(x)] = 0
    p = ref.check_conv2d(x, w, None, kw["stride"], kw["padding"], kw["dilation"], kw["groups"])
    assert nat._winograd_plan(x, w, p, False) is not None
    assert nat._winograd_plan(x, w, p, True, dy) is not None
    x[0, 0, 0, 0] = np.inf
    assert nat._winograd_plan(x, w, p, False) is None
