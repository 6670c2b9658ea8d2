"""The C export's direct convolution (templates/direct.c): conv + bias [+ ReLU]
[+ max pool, window = stride] in one specialised function per layer. Each
model is built at -O2 three ways: as a user builds it (on an x86 CPU with
AVX2 and FMA the dispatch runs the AVX2 + FMA copy), with -DMODEL_PORTABLE
(the plain C copy alone: 4-float vectors) and, where the CPU has AVX, with
-DMODEL_PORTABLE -mavx (the plain copy's 8-float widths); each is compared
with fastnn's forward and with a NumPy loop reference. A grouped conv takes
im2col + GEMM instead."""
import os
import sys

import numpy as np
import pytest

import fastnn
from fastnn import nn

sys.path.insert(0, os.path.dirname(__file__))
import _c_build as _build  # noqa: E402

pytestmark = pytest.mark.skipif(_build.CC is None, reason="no C compiler found")


def _has_avx():
    try:
        with open("/proc/cpuinfo") as f:
            return " avx " in f.read().replace("\n", " ")
    except OSError:
        return False


BUILDS = [[], ["-DMODEL_PORTABLE"]] + ([["-DMODEL_PORTABLE", "-mavx"]] if _has_avx() else [])


def _forward(model, x):
    model.eval()
    with fastnn.no_grad():
        return model(fastnn.tensor(x)).numpy().reshape(-1)


def _conv_ref(x, w, b, stride, pad, dil):
    """NumPy loop reference: x[n][c][h][w] (zero-padded), w[o][c][kh][kw]."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - dil * (kh - 1) - 1) // stride + 1
    ow = (wd + 2 * pad - dil * (kw - 1) - 1) // stride + 1
    y = np.zeros((n, o, oh, ow))
    for ky in range(kh):
        for kx in range(kw):
            patch = xp[:, :, ky * dil:ky * dil + stride * (oh - 1) + 1:stride,
                       kx * dil:kx * dil + stride * (ow - 1) + 1:stride]
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, ky, kx].astype(np.float64))
    return y + (0 if b is None else b.reshape(1, -1, 1, 1))


def _pool_ref(y, k):
    n, c, h, w = y.shape
    y = y[:, :, :h // k * k, :w // k * k].reshape(n, c, h // k, k, w // k, k)
    return y.max(axis=(3, 5))


def _export_run(model, xs, directory, extra, **kw):
    info = fastnn.export.to_c(model, fastnn.tensor(xs[0]), str(directory), **kw)
    src = open(info["source"]).read()
    exe = _build.build(str(directory), extra=extra, opt="-O2")
    size = sum(int(np.prod(s)) for s in info["output_shapes"])
    return _build.run(exe, xs.reshape(len(xs), -1), size), src


# (batch, cin, cout, hw, kernel, stride, padding, dilation, pool, relu: "before"/"after"/None)
CASES = [
    (1, 1, 32, (8, 8), 3, 1, 1, 1, 2, "before"),     # the seed CNN's layers
    (1, 32, 64, (4, 4), 3, 1, 1, 1, 2, "before"),
    (2, 3, 5, (7, 9), 3, 1, 0, 1, None, None),       # odd channels, padding 0, batch 2
    (1, 5, 7, (6, 6), 3, 1, 1, 1, 2, "after"),       # out < a vector; ReLU after the pool
    (3, 7, 9, (9, 7), 2, 1, 1, 1, 3, "before"),      # 9 outputs, 3x3 pool dropping a row
    (1, 4, 17, (5, 6), 3, 2, 1, 1, None, "before"),  # 17 outputs, stride 2
    (1, 6, 24, (8, 7), 3, 1, 2, 2, 2, None),         # 24 outputs, dilation 2, pool only
    (2, 2, 16, (3, 3), 1, 1, 0, 1, None, None),      # 1x1 kernel, 9 pixels (tile of 4 + 1)
]


@pytest.mark.parametrize("extra", BUILDS, ids=lambda e: " ".join(e) or "dispatched")
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(str(v) for v in c))
def test_direct_conv_matches_reference(tmp_path, case, extra):
    batch, cin, cout, (h, w), k, stride, pad, dil, pool, relu = case
    fastnn.manual_seed(batch + cin + cout + k)
    conv = nn.Conv2d(cin, cout, k, stride=stride, padding=pad, dilation=dil)
    layers = [conv]
    if relu == "before":
        layers.append(nn.ReLU())
    if pool:
        layers.append(nn.MaxPool2d(pool))
    if relu == "after":
        layers.append(nn.ReLU())
    model = nn.Sequential(*layers).eval()
    xs = np.random.default_rng(1).standard_normal((2, batch, cin, h, w)).astype(np.float32)
    got, src = _export_run(model, xs, tmp_path, extra)
    assert "_conv_direct(" in src and "im2col" not in src
    assert src.count("_conv_direct(input") == 1   # ReLU and pool fused into the one call
    for i, x in enumerate(xs):
        np.testing.assert_allclose(got[i], _forward(model, x), rtol=1e-4, atol=1e-4)
        ref = _conv_ref(x, conv.weight.detach().numpy(), conv.bias.detach().numpy(),
                        stride, pad, dil)
        if pool:
            ref = _pool_ref(ref, pool)
        if relu:
            ref = np.maximum(ref, 0)
        np.testing.assert_allclose(got[i], ref.reshape(-1), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("extra", BUILDS, ids=lambda e: " ".join(e) or "dispatched")
def test_direct_conv_nan_propagates_through_pool(tmp_path, extra):
    """A NaN input reaches the pooled output (PyTorch's max pool and ReLU keep NaN)."""
    fastnn.manual_seed(2)
    model = nn.Sequential(nn.Conv2d(2, 3, 1, bias=False), nn.ReLU(), nn.MaxPool2d(2)).eval()
    x = np.ones((1, 1, 2, 4, 4), np.float32)
    x[0, 0, 0, 1, 2] = np.nan
    got, _ = _export_run(model, x, tmp_path, extra)
    want = _forward(model, x[0])
    assert np.isnan(want).sum() == 3
    np.testing.assert_array_equal(np.isnan(got[0]), np.isnan(want))
    np.testing.assert_allclose(got[0], want, rtol=1e-5, atol=1e-6)


def test_conv1d_and_shared_output_stay_correct(tmp_path):
    """A Conv1d takes the direct loop too (height 1); a conv whose output is
    also read elsewhere keeps its ReLU separate (nothing fused away)."""
    class TwoReaders(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv1d(2, 6, 3, padding=1)
            self.c2 = nn.Conv2d(2, 5, 3, padding=1)

        def forward(self, x):
            y = self.c2(x)
            z = fastnn.relu(y)
            return (z + y).flatten(1) + self.c1(x.flatten(2)).flatten(1)[:, :80]
    fastnn.manual_seed(3)
    model = TwoReaders().eval()
    xs = np.random.default_rng(2).standard_normal((2, 1, 2, 4, 4)).astype(np.float32)
    got, src = _export_run(model, xs, tmp_path, [])
    assert src.count("_conv_direct(") == 2 + 2  # two definitions, two calls
    assert "unary(U_RELU" in src
    for i, x in enumerate(xs):
        np.testing.assert_allclose(got[i], _forward(model, x), rtol=1e-4, atol=1e-4)


def test_large_input_direct_and_grouped_im2col(tmp_path):
    """A large input takes the direct loop too (it measured faster than im2col
    at every size tried); a grouped convolution takes im2col + GEMM, with its
    ReLU and pool apart. Both equal fastnn's forward."""
    fastnn.manual_seed(4)
    model = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)).eval()
    xs = np.random.default_rng(3).standard_normal((1, 1, 3, 70, 66)).astype(np.float32)
    got, src = _export_run(model, xs, tmp_path / "large", [])
    assert "_conv_direct(input" in src
    np.testing.assert_allclose(got[0], _forward(model, xs[0]), rtol=1e-4, atol=1e-4)
    model = nn.Sequential(nn.Conv2d(4, 6, 3, padding=1, groups=2), nn.ReLU(),
                          nn.MaxPool2d(2)).eval()
    xs = np.random.default_rng(3).standard_normal((1, 2, 4, 9, 8)).astype(np.float32)
    got, src = _export_run(model, xs, tmp_path / "grouped", [])
    assert "_conv_direct" not in src and "conv2d(input" in src and "max_pool2d(" in src
    np.testing.assert_allclose(got[0], _forward(model, xs[0]), rtol=1e-4, atol=1e-4)


def test_direct_conv_symbols_and_sanitizers(tmp_path):
    """The direct path's object calls nothing but libm; under
    -fsanitize=address,undefined an odd-sized model (batch 3, 5 -> 9 channels,
    a last tile of 1 pixel, a pool dropping a row) reads nothing out of bounds."""
    fastnn.manual_seed(5)
    model = nn.Sequential(nn.Conv2d(5, 9, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(9, 17, 2), nn.ReLU()).eval()
    xs = np.random.default_rng(4).standard_normal((2, 3, 5, 7, 5)).astype(np.float32)
    for q in (None, "int8"):
        d = tmp_path / str(q)
        fastnn.export.to_c(model, fastnn.tensor(xs[0]), str(d), quantize=q,
                           calibration=xs.reshape(-1, 5, 7, 5))
        names = _build.undefined_symbols(d / "model.c", d / "model.o")
        if names is not None:   # not even libm: the direct conv calls nothing
            assert names <= _build.RUNTIME_SYMBOLS, names
    san = _build.sanitizer_flags(tmp_path)
    if san is None:
        pytest.skip("sanitized binaries cannot be built or run here")
    for q in (None, "int8"):
        exe = _build.build(str(tmp_path / str(q)), extra=san)
        got = _build.run(exe, xs.reshape(2, -1), 3 * 17 * 2 * 1)
        want = np.stack([_forward(model, x) for x in xs])
        tol = 1e-4 if q is None else 0.1 * np.abs(want).max()
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
