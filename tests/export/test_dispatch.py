"""The C export's run-time CPU dispatch (fastnn/export/_templates.py): the
direct convolution, the Linear panels and the GEMM come as a plain C99 copy
and, on x86 with GCC or Clang, an AVX2 + FMA copy chosen with
__builtin_cpu_supports; -D<NAME>_PORTABLE builds the plain copy alone.

Checked here: which copy runs (a copy whose multiply-adds are made wrong on
purpose changes the result exactly when that copy is the one the CPU runs),
int8 results exact on both copies, the plain-C-only text where the guard is
off, the header's note, the GEMM's tiles on both copies, and both builds
under the sanitizers. The per-kernel agreement over shapes is in
test_direct_conv.py and test_linear_panel.py, each built both ways."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import fastnn
from fastnn import nn
from fastnn.export._int8 import quantize_weight

sys.path.insert(0, os.path.dirname(__file__))
import _c_build as _build  # noqa: E402

pytestmark = pytest.mark.skipif(_build.CC is None, reason="no C compiler found")

PORTABLE = ["-DMODEL_PORTABLE"]


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def _is_x86_gnu():
    """Whether the compiler targets x86 and defines __GNUC__ (the guard's test)."""
    res = subprocess.run([_build.CC, "-dM", "-E", "-"], input="", capture_output=True, text=True)
    macros = res.stdout
    return "__GNUC__" in macros and ("__x86_64__" in macros or "__i386__" in macros)


def _net():
    """Two dispatched kernels: two direct convs (odd channels, 10 outputs: not
    a multiple of 8 or 16; padding 0 and 1; pool and none) and a Linear panel
    (1 row). The GEMM has its own test below."""
    return nn.Sequential(nn.Conv2d(3, 10, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(10, 7, 3), nn.ReLU(), nn.Flatten(),
                         nn.Linear(7 * 2 * 2, 5)).eval()


def _forward(model, x):
    with fastnn.no_grad():
        return model(fastnn.tensor(x)).numpy().reshape(-1)


def _poison(source):
    """Make the AVX2 copies' every multiply-add 1000 too large."""
    text = open(source).read()
    assert text.count("fmaf(") >= 3, "no AVX2 copy to poison"
    text = text.replace("fmaf(", "POISON(")
    text = text.replace('#include "model.h"\n',
                        '#include "model.h"\n#define POISON(a, b, c) (fmaf(a, b, c) + 1000.0f)\n', 1)
    with open(source, "w") as f:
        f.write(text)


@pytest.mark.parametrize("quantize", [None, "int8"])
def test_the_avx2_copy_is_what_runs(tmp_path, quantize):
    """With the AVX2 copies broken, the dispatched build is wrong exactly when
    the CPU has AVX2 and FMA (so the copy ran), and the portable build is
    right (so it never runs there)."""
    flags = _cpu_flags()
    if flags is None or not _is_x86_gnu():
        pytest.skip("needs an x86 CPU whose flags /proc/cpuinfo lists, and GCC or Clang")
    has_avx2 = {"avx2", "fma"} <= flags
    fastnn.manual_seed(11)
    model = _net()
    xs = np.random.default_rng(5).standard_normal((2, 1, 3, 9, 8)).astype(np.float32)
    want = np.stack([_forward(model, x) for x in xs])
    for extra, poisoned in ([], has_avx2), (PORTABLE, False):
        d = tmp_path / ("portable" if extra else "dispatched")
        info = fastnn.export.to_c(model, fastnn.tensor(xs[0]), str(d), quantize=quantize,
                                  calibration=xs.reshape(-1, 3, 9, 8))
        _poison(info["source"])
        got = _build.run(_build.build(str(d), extra=extra, opt="-O2"), xs.reshape(2, -1), 5)
        tol = 1e-4 if quantize is None else 0.1 * np.abs(want).max()
        err = np.abs(got - want).max()
        if poisoned:
            assert err > 10 * tol, (extra, err, tol)
        else:
            assert err < tol, (extra, err)


def _xq(x, calib):
    """int8.c's input quantization, in NumPy: (x_q as int32, x_scale)."""
    xs = np.float32(np.abs(calib).max() / 127)
    v = np.clip(x / xs, -127, 127)
    return (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int32), xs


@pytest.mark.parametrize("extra", [[], PORTABLE], ids=["dispatched", "portable"])
def test_int8_conv_and_linear_exact_on_both_copies(tmp_path, extra):
    """The int8 direct conv (integer sums in float, fused or not: exact below
    2^24) and the int8 Linear equal the int8 scheme in NumPy (int32 sums of
    int8 products, then the scales)."""
    fastnn.manual_seed(12)
    conv = nn.Conv2d(5, 9, 3, padding=1).eval()
    rng = np.random.default_rng(2)
    calib = rng.standard_normal((8, 5, 5, 4)).astype(np.float32)
    x = rng.standard_normal((2, 5, 5, 4)).astype(np.float32)  # batch 2
    fastnn.export.to_c(conv, fastnn.tensor(x), str(tmp_path / "conv"), quantize="int8",
                       calibration=calib)
    assert "_conv_direct(input" in open(tmp_path / "conv" / "model.c").read()
    got = _build.run(_build.build(str(tmp_path / "conv"), extra=extra, opt="-O2"),
                     x.reshape(1, -1), x.shape[0] * 9 * 20)[0]
    wq, ws = quantize_weight(conv.weight.detach().numpy().reshape(9, -1))
    xq, xs = _xq(x, calib)
    want = []
    for img in np.pad(xq, ((0, 0), (0, 0), (1, 1), (1, 1))):
        col = np.stack([img[:, i:i + 5, j:j + 4] for i in range(3) for j in range(3)], 1)
        acc = wq.astype(np.int64) @ col.reshape(-1, 20)
        want.append(acc * (xs * ws.reshape(-1, 1)) + conv.bias.detach().numpy().reshape(-1, 1))
    np.testing.assert_allclose(got, np.stack(want).reshape(-1), rtol=1e-5, atol=1e-5)

    lin = nn.Linear(37, 19).eval()
    calib = rng.standard_normal((16, 37)).astype(np.float32)
    x = rng.standard_normal((3, 37)).astype(np.float32)
    fastnn.export.to_c(lin, fastnn.tensor(x), str(tmp_path / "lin"), quantize="int8",
                       calibration=calib)
    got = _build.run(_build.build(str(tmp_path / "lin"), extra=extra, opt="-O2"),
                     x.reshape(1, -1), 3 * 19)[0]
    wq, ws = quantize_weight(lin.weight.detach().numpy())
    xq, xs = _xq(x, calib)
    want = (xq @ wq.astype(np.int64).T) * (xs * ws) + lin.bias.detach().numpy()
    np.testing.assert_allclose(got, want.reshape(-1), rtol=1e-5, atol=1e-5)


def test_plain_c_only_where_the_guard_is_off(tmp_path):
    """Preprocessed for a non-x86 target, or with MODEL_PORTABLE, the file has
    no AVX2 copy, attribute or builtin left; the header names the macro."""
    fastnn.manual_seed(13)
    info = fastnn.export.to_c(_net(), fastnn.randn(1, 3, 9, 8), str(tmp_path))
    assert "MODEL_PORTABLE" in open(info["header"]).read()
    text = open(info["source"]).read()
    assert re.search(r"static FASTNN_AVX2_FMA void \w+_conv_direct_avx2\(", text)
    assert "static FASTNN_AVX2_FMA void linear_panel_avx2(" in text
    checked = 0
    for defines in (PORTABLE, ["-U__x86_64__", "-U__i386__"], ["-U__GNUC__"]):
        res = subprocess.run([_build.CC, "-std=c99", "-E", "-P", *defines, info["source"]],
                             capture_output=True, text=True)
        if res.returncode != 0:
            continue  # system headers that need the macro: nothing to learn
        checked += 1
        body = res.stdout[res.stdout.rindex("float *workspace);"):]  # after the headers
        assert "_avx2" not in body and "__attribute__" not in body, defines
        assert "__builtin_cpu" not in body, defines
        assert "_plain(" in body
    assert checked >= 1


def test_no_dispatch_text_without_dispatched_kernels(tmp_path):
    """A model without a direct conv, a Linear panel or a GEMM gets no
    dispatch macros."""
    model = nn.Sequential(nn.AvgPool2d(2), nn.Tanh()).eval()
    info = fastnn.export.to_c(model, fastnn.randn(1, 4, 5, 5), str(tmp_path))
    text = open(info["source"]).read()
    assert "FASTNN_X86_DISPATCH" not in text and "_avx2" not in text
    assert "PORTABLE" not in open(info["header"]).read()


@pytest.mark.parametrize("extra", [[], PORTABLE], ids=["dispatched", "portable"])
def test_gemm_tiles_on_both_copies(tmp_path, extra):
    """gemm_nn (templates/gemm.c: 4 x 2VW and 1 x 4VW register tiles, the
    plain loop for what they leave) on both copies: Linears at batch 6 (one
    4-row tile + 2 rows) with 37, 19, 1 and 40 columns and k = 1, a grouped
    convolution (im2col + GEMM), and its int8 form exact against NumPy."""
    fastnn.manual_seed(15)
    mlp = nn.Sequential(nn.Linear(13, 37), nn.Tanh(), nn.Linear(37, 19), nn.Linear(19, 1),
                        nn.Linear(1, 40)).eval()
    conv = nn.Conv2d(4, 34, 3, padding=1, groups=2).eval()
    rng = np.random.default_rng(7)
    for model, shape in (mlp, (6, 13)), (conv, (2, 4, 5, 7)):
        xs = rng.standard_normal((2,) + shape).astype(np.float32)
        d = tmp_path / type(model).__name__
        info = fastnn.export.to_c(model, fastnn.tensor(xs[0]), str(d))
        assert "gemm_nn(" in open(info["source"]).read()
        size = int(np.prod(info["output_shapes"][0]))
        got = _build.run(_build.build(str(d), extra=extra, opt="-O2"), xs.reshape(2, -1), size)
        for g, x in zip(got, xs):
            np.testing.assert_allclose(g, _forward(model, x), rtol=1e-4, atol=1e-4)
    calib = rng.standard_normal((8, 4, 5, 7)).astype(np.float32)
    x = rng.standard_normal((1, 4, 5, 7)).astype(np.float32)
    d = tmp_path / "int8"
    fastnn.export.to_c(conv, fastnn.tensor(x), str(d), quantize="int8", calibration=calib)
    got = _build.run(_build.build(str(d), extra=extra, opt="-O2"), x.reshape(1, -1), 34 * 35)[0]
    wq, ws = quantize_weight(conv.weight.detach().numpy().reshape(34, -1))
    xq, xs_ = _xq(x[0], calib)
    xp = np.pad(xq, ((0, 0), (1, 1), (1, 1)))
    want = []
    for g in range(2):
        col = np.stack([xp[2 * g:2 * g + 2, i:i + 5, j:j + 7] for i in range(3)
                        for j in range(3)], 1).reshape(-1, 35)  # rows (ci, ky, kx)
        want.append(wq[17 * g:17 * g + 17].astype(np.int64) @ col)
    want = np.concatenate(want) * (xs_ * ws.reshape(-1, 1)) + conv.bias.detach().numpy()[:, None]
    np.testing.assert_allclose(got, want.reshape(-1), rtol=1e-5, atol=1e-5)


def test_both_builds_under_sanitizers(tmp_path):
    """Dispatched and portable builds of a float and an int8 model under
    -fsanitize=address,undefined: no out-of-bounds access, right results."""
    san = _build.sanitizer_flags(tmp_path)
    if san is None:
        pytest.skip("sanitized binaries cannot be built or run here")
    fastnn.manual_seed(14)
    model = _net()
    xs = np.random.default_rng(6).standard_normal((2, 1, 3, 9, 8)).astype(np.float32)
    want = np.stack([_forward(model, x) for x in xs])
    for q in (None, "int8"):
        for extra in ([], PORTABLE):
            d = tmp_path / f"{q}{len(extra)}"
            fastnn.export.to_c(model, fastnn.tensor(xs[0]), str(d), quantize=q,
                               calibration=xs.reshape(-1, 3, 9, 8))
            got = _build.run(_build.build(str(d), extra=san + extra), xs.reshape(2, -1), 5)
            tol = 1e-4 if q is None else 0.1 * np.abs(want).max()
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
