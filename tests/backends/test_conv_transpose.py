"""Transposed-convolution kernels: native held to the reference, both to a loop-by-loop
oracle, finite differences and PyTorch (when installed); bad input rejected alike."""
import numpy as np
import pytest

from fastnn.backends._validate.conv_transpose import ConvTransposeSaved
from fastnn.backends.numpy_ref import conv_transpose as ref
from fastnn.testing import assert_grads_close, numerical_grads

try:
    from fastnn.backends.native import conv_transpose as nat
except ImportError:  # pragma: no cover - native kernels not built
    nat = None

BACKENDS = [pytest.param(ref, id="numpy"),
            pytest.param(nat, id="native", marks=pytest.mark.skipif(nat is None, reason="native not built"))]
TOL = {np.float32: dict(rtol=2e-4, atol=2e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}

# (N, C_in, C_out, H, W, kH, kW, stride, padding, output_padding, groups, dilation, bias)
CASES = [
    (2, 4, 6, 5, 7, 3, 3, 2, 1, 1, 1, 1, True),               # the DCGAN-style upsampler
    (1, 4, 6, 5, 7, 3, 2, (2, 3), (1, 0), (1, 2), 2, (1, 2), True),  # batch 1, everything, groups 2
    (3, 6, 6, 5, 5, 3, 3, 2, 1, 1, 6, 1, False),             # depthwise
    (2, 6, 12, 4, 5, 3, 3, 1, 0, 0, 6, 2, True),             # depthwise, multiplier 2, dilation
    (2, 3, 5, 4, 4, 1, 1, 1, 0, 0, 1, 1, True),              # 1x1
    (2, 4, 4, 3, 3, 2, 2, 3, 0, 2, 2, 1, False),             # stride > kernel: gaps in the output
    (2, 3, 2, 3, 4, 3, 3, 1, 0, 1, 1, 2, True),              # output_padding >= stride (< dilation)
    (5, 3, 7, 1, 1, 4, 4, 1, 0, 0, 1, 1, True),              # 1x1 latent to a 4x4 image
]


def rand(shape, dtype, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def make(case, dtype, seed=0):
    n, ci, co, h, wd, kh, kw, s, p, op, g, d, bias = case
    x = rand((n, ci, h, wd), dtype, seed)
    w = rand((ci, co // g, kh, kw), dtype, seed + 1)
    b = rand((co,), dtype, seed + 2) if bias else None
    return x, w, b, dict(stride=s, padding=p, output_padding=op, groups=g, dilation=d)


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


def direct(x, w, b, stride, padding, output_padding, groups, dilation):
    """Independent oracle: every input pixel scatters the kernel, loop by loop."""
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = map(_pair, (stride, padding, output_padding, dilation))
    n, ci, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = ci // groups
    oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    ow = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    y = np.zeros((n, og * groups, oh, ow))
    for c in range(ci):
        g = c // cg
        for i in range(h):
            for j in range(wd):
                for p in range(kh):
                    for q in range(kw):
                        r, s = i * sh - ph + p * dh, j * sw - pw + q * dw
                        if 0 <= r < oh and 0 <= s < ow:
                            y[:, g * og:(g + 1) * og, r, s] += x[:, c, i, j][:, None] * w[c, :, p, q]
    if b is not None:
        y += b[:, None, None]
    return y


def test_same_exports():
    assert nat is not None
    assert sorted(ref.__all__) == sorted(nat.__all__)


@pytest.mark.parametrize("case", CASES)
def test_reference_matches_the_defining_sum(case):
    x, w, b, args = make(case, np.float64)
    y, _ = ref.conv_transpose2d_forward(x, w, b, **args)
    np.testing.assert_allclose(y, direct(x, w, b, **args), rtol=1e-12, atol=1e-12)


@pytest.mark.skipif(nat is None, reason="native not built")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_native_matches_reference(case, dtype):
    x, w, b, args = make(case, dtype)
    y_r, s_r = ref.conv_transpose2d_forward(x, w, b, **args)
    y_n, s_n = nat.conv_transpose2d_forward(x, w, b, **args)
    assert y_n.dtype == dtype and y_n.shape == y_r.shape
    np.testing.assert_allclose(y_n, y_r, **TOL[dtype])
    dy = rand(y_r.shape, dtype, 7)
    for g_n, g_r, name in zip(nat.conv_transpose2d_backward(dy, s_n),
                              ref.conv_transpose2d_backward(dy, s_r), "xwb"):
        if b is None and name == "b":
            assert g_n is None and g_r is None
            continue
        assert g_n.dtype == dtype and g_n.shape == g_r.shape
        np.testing.assert_allclose(g_n, g_r, err_msg=f"d{name}", **TOL[dtype])


@pytest.mark.parametrize("mod", BACKENDS)
@pytest.mark.parametrize("case", [CASES[1], CASES[3], CASES[5], CASES[6]])
def test_finite_differences_2d(mod, case):
    x, w, b, args = make((1,) + case[1:-1] + (True,), np.float64, 3)
    y, saved = mod.conv_transpose2d_forward(x, w, b, **args)
    dy = rand(y.shape, np.float64, 5)
    numeric = numerical_grads(lambda *a: mod.conv_transpose2d_forward(*a, **args)[0], [x, w, b], dy)
    assert_grads_close(mod.conv_transpose2d_backward(dy, saved), numeric, rtol=1e-6, atol=1e-7,
                       names=["x", "w", "b"])


@pytest.mark.parametrize("mod", BACKENDS)
def test_finite_differences_1d(mod):
    x, w, b = rand((2, 4, 5), np.float64, 0), rand((4, 3, 3), np.float64, 1), rand((6,), np.float64, 2)
    args = dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1)
    y, saved = mod.conv_transpose1d_forward(x, w, b, **args)
    assert y.shape == (2, 6, 10)
    dy = rand(y.shape, np.float64, 3)
    numeric = numerical_grads(lambda *a: mod.conv_transpose1d_forward(*a, **args)[0], [x, w, b], dy)
    assert_grads_close(mod.conv_transpose1d_backward(dy, saved), numeric, rtol=1e-6, atol=1e-7,
                       names=["x", "w", "b"])


@pytest.mark.parametrize("mod", BACKENDS)
@pytest.mark.parametrize("case", [CASES[0], CASES[1], CASES[2], CASES[6]])
def test_matches_torch(mod, case):
    torch = pytest.importorskip("torch")
    x, w, b, args = make(case, np.float32)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True) if b is not None else None
    ty = torch.nn.functional.conv_transpose2d(tx, tw, tb, **args)
    y, saved = mod.conv_transpose2d_forward(x, w, b, **args)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    dy = rand(y.shape, np.float32, 9)
    ty.backward(torch.tensor(dy))
    dx, dw, db = mod.conv_transpose2d_backward(dy, saved)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dw, tw.grad.numpy(), rtol=1e-5, atol=1e-4)
    if b is not None:
        np.testing.assert_allclose(db, tb.grad.numpy(), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("mod", BACKENDS)
def test_noncontiguous_inputs(mod):
    x, w, b, args = make(CASES[1], np.float32)
    y, saved = mod.conv_transpose2d_forward(x, w, b, **args)
    dy = rand(y.shape, np.float32, 4)
    grads = mod.conv_transpose2d_backward(dy, saved)
    xi, wi = np.asfortranarray(x), np.repeat(w, 2, axis=0)[::2]
    dyi = np.repeat(dy, 2, axis=3)[..., ::2]
    y2, saved2 = mod.conv_transpose2d_forward(xi, wi, b, **args)
    np.testing.assert_allclose(y2, y, **TOL[np.float32])
    for g2, g in zip(mod.conv_transpose2d_backward(dyi, saved2), grads):
        np.testing.assert_allclose(g2, g, **TOL[np.float32])


@pytest.mark.parametrize("mod", BACKENDS)
def test_bad_input_is_rejected(mod):
    x, w = np.zeros((1, 4, 3, 3), np.float32), np.zeros((4, 2, 3, 3), np.float32)
    with pytest.raises(ValueError, match="w: expected shape"):
        mod.conv_transpose2d_forward(x, np.zeros((3, 2, 3, 3), np.float32))
    with pytest.raises(ValueError, match="output_padding"):
        mod.conv_transpose2d_forward(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="groups"):
        mod.conv_transpose2d_forward(x, w, groups=3)
    with pytest.raises(TypeError, match="x"):
        mod.conv_transpose2d_forward(x.astype(np.float64), w)
    with pytest.raises(ValueError, match="not positive"):
        mod.conv_transpose2d_forward(np.zeros((1, 4, 1, 1), np.float32), w, padding=3)
    y, saved = mod.conv_transpose2d_forward(x, w)
    with pytest.raises(ValueError, match="dy: expected shape"):
        mod.conv_transpose2d_backward(np.zeros((1, 2, 4, 4), np.float32), saved)
    with pytest.raises(TypeError, match="saved"):
        mod.conv_transpose2d_backward(y, (saved.x, saved.w))


@pytest.mark.parametrize("mod", BACKENDS)
def test_edited_saved_contexts_are_rejected(mod):
    x, w, b, args = make(CASES[1], np.float32)
    y, saved = mod.conv_transpose2d_forward(x, w, b, **args)
    sx, sw, tp = saved.x, saved.w, saved.params
    dy = np.zeros_like(y)
    for bad in [(sx[:, :, :2], sw, tp), (sx, sw[:, :1], tp), (sx, sw.astype(np.float64), tp),
                (sx, sw, tuple(tp)), (sx, sw, tp._replace(out_hw=(1, 1))),
                (sx, sw, tp._replace(has_bias=1)), (sx, sw, tp._replace(out_hw=(6.0, 6)))]:
        # a consistent edit that changes the output shape is caught at dy instead
        with pytest.raises((TypeError, ValueError), match="^(saved|dy)"):
            mod.conv_transpose2d_backward(dy, ConvTransposeSaved(*bad))
    for bad in [(sx, sw, tp), (sx, sw, tp, 1), "junk", None]:  # not a ConvTransposeSaved
        with pytest.raises(TypeError, match="^saved: expected the ConvTransposeSaved"):
            mod.conv_transpose2d_backward(dy, bad)


def test_float16_through_the_functional():
    import fastnn
    import fastnn.nn.functional as F
    x = fastnn.tensor(rand((1, 4, 3, 3), np.float16, 0), requires_grad=True)
    w = fastnn.tensor(rand((4, 2, 3, 3), np.float16, 1), requires_grad=True)
    y = F.conv_transpose2d(x, w, stride=2)
    y32 = F.conv_transpose2d(x.detach().float(), w.detach().float(), stride=2)
    assert y.dtype == np.float16
    np.testing.assert_allclose(y.detach().numpy(), y32.numpy(), rtol=1e-2, atol=1e-2)
    y.float().sum().backward()
    assert x.grad.dtype == np.float16 and w.grad.dtype == np.float16
