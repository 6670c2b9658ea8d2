"""The fused inference kernels (fastnn/backends/native/fused) against the
NumPy reference of conv, max pool and linear, at every ISA level this CPU
runs, in float32 and float64; a chain of layers as one program; bad input."""
import os
import subprocess
import sys

import numpy as np
import pytest

fused = pytest.importorskip("fastnn.backends.native.fused")
from fastnn.backends.numpy_ref import conv as ref_conv, gemm as ref_gemm, pool as ref_pool  # noqa: E402
from fastnn.backends.native import available_isas, set_isa  # noqa: E402

EPS = {np.float32: 1e-5, np.float64: 1e-12}


def _close(got, want, dtype):
    """Equal to rounding: the sums' order differs, so the error scales with
    the largest value (float32 sums of ~800 products differ by ~1e-6 of it)."""
    tol = EPS[dtype]
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * max(1.0, np.abs(want).max()))


def _rand(shape, dtype, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _ref_conv(x, layer):
    """conv + bias [+ ReLU] [+ max pool] by the reference kernels."""
    one_d = x.ndim == 3
    x4 = x[:, :, None, :] if one_d else x
    y = ref_conv.conv2d_forward(x4, layer.w, layer.b, layer.stride, layer.padding, layer.dilation)[0]
    if layer.relu:
        y = np.maximum(y, 0)
    if layer.pool:
        y = ref_pool.max_pool2d_forward(y, layer.pool, layer.pool)[0]
    return y[:, :, 0, :] if one_d else y


def _ref_linear(x, layer):
    y = ref_gemm.linear_forward(x.reshape(-1, x.shape[-1]), layer.w, layer.b)[0]
    y = np.maximum(y, 0) if layer.relu else y
    return y.reshape(x.shape[:-1] + (layer.w.shape[0],))


@pytest.fixture(params=available_isas())
def isa(request):
    set_isa(request.param)
    yield request.param
    set_isa(None)


# (n, cin, h, w, cout, kh, kw, stride, padding, dilation, pool, relu)
CONV_CASES = [
    (1, 1, 8, 8, 32, 3, 3, 1, 1, 1, (2, 2), True),      # the seed CNN's layers
    (1, 32, 4, 4, 64, 3, 3, 1, 1, 1, (2, 2), True),
    (3, 3, 7, 9, 5, 3, 2, 1, 0, 1, None, True),         # odd sizes, a non-square kernel
    (2, 5, 9, 8, 20, 3, 3, 2, 1, 1, None, False),       # out channels not a vector multiple
    (1, 2, 11, 10, 70, 3, 3, 1, 1, 2, (3, 3), True),    # dilation, a 3x3 window (taps 4+4+1)
    (5, 4, 6, 7, 17, 1, 1, 1, 0, 1, (2, 1), False),     # 1x1, a non-square window, odd floor
    (1, 3, 5, 5, 64, 5, 5, 1, 2, 1, (2, 2), False),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_matches_reference(isa, dtype, case):
    n, c, h, wd, cout, kh, kw, s, p, d, pool, relu = case
    x = _rand((n, c, h, wd), dtype, 1)
    layer = fused.Conv(_rand((cout, c, kh, kw), dtype, 2), _rand(cout, dtype, 3),
                       (s, s), (p, p), (d, d), pool, relu)
    prog = fused.build(dtype, x.shape, [layer])
    y = prog.run(x)
    want = _ref_conv(x, layer)
    assert y.dtype == dtype and y.shape == want.shape == prog.out_shape
    _close(y, want, dtype)
    # no bias
    layer = layer._replace(b=None)
    _close(fused.build(dtype, x.shape, [layer]).run(x), _ref_conv(x, layer), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows,n_in,out", [(1, 256, 128), (1, 7, 10), (3, 33, 130), (4, 16, 5),
                                           (9, 784, 129), (1, 128, 200)])
def test_linear_matches_reference(isa, dtype, rows, n_in, out):
    x = _rand((rows, n_in), dtype, 4)
    for relu in (False, True):
        for b in (_rand(out, dtype, 6), None):
            layer = fused.Linear(_rand((out, n_in), dtype, 5), b, relu)
            y = fused.build(dtype, x.shape, [layer]).run(x)
            _close(y, _ref_linear(x, layer), dtype)


@pytest.fixture(params=[1, 2], ids=["1-thread", "2-threads"])
def threads(request):
    """The tests' FASTNN_PAR_MIN_SCALE=0 sends every op to a team: of 1 or 2."""
    import fastnn
    before = fastnn.get_num_threads()
    fastnn.set_num_threads(request.param)
    yield request.param
    fastnn.set_num_threads(before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 3, 6])
def test_chain_matches_reference(isa, threads, dtype, n):
    """conv -> conv -> flatten -> linear -> linear in one program: the convs
    hand on channels-last buffers, the flatten is the Linear's column order;
    positions and rows split over threads."""
    x = _rand((n, 2, 9, 8), dtype, 7)
    c1 = fused.Conv(_rand((12, 2, 3, 3), dtype, 8), _rand(12, dtype, 9), padding=(1, 1),
                    pool=(2, 2), relu=True)
    c2 = fused.Conv(_rand((19, 12, 3, 2), dtype, 10), _rand(19, dtype, 11), padding=(1, 0),
                    relu=True)
    h = _ref_conv(_ref_conv(x, c1), c2)
    l1 = fused.Linear(_rand((33, h[0].size), dtype, 12), _rand(33, dtype, 13), relu=True)
    l2 = fused.Linear(_rand((10, 33), dtype, 14), None)
    want = _ref_linear(_ref_linear(h.reshape(n, -1), l1), l2)
    c, hh, ww = h.shape[1:]
    l1n = l1._replace(w=fused.nhwc_columns(l1.w, c, hh, ww))
    prog = fused.build(dtype, x.shape, [c1, c2, fused.Flatten(), l1n, l2])
    _close(prog.run(x), want, dtype)
    # the same chain ending at each layer: NCHW conv outputs, the flatten's channels-last rows
    _close(fused.build(dtype, x.shape, [c1, c2]).run(x), h, dtype)
    flat = fused.build(dtype, x.shape, [c1, c2, fused.Flatten()]).run(x)
    _close(flat, h.transpose(0, 2, 3, 1).reshape(n, -1), dtype)


def test_conv1d_and_row_batches():
    """A 3-d input is conv1d; a Linear takes any leading dims as rows."""
    x = _rand((2, 3, 11), np.float32, 15)
    layer = fused.Conv(_rand((6, 3, 1, 3), np.float32, 16), None, (1, 2), (0, 1), relu=True)
    want = ref_conv.conv1d_forward(x, layer.w[:, :, 0, :], None, 2, 1)[0]
    _close(fused.build(np.float32, x.shape, [layer]).run(x), np.maximum(want, 0), np.float32)
    x = _rand((2, 5, 7), np.float32, 17)
    lin = fused.Linear(_rand((9, 7), np.float32, 18), _rand(9, np.float32, 19))
    y = fused.build(np.float32, x.shape, [lin]).run(x)
    assert y.shape == (2, 5, 9)
    _close(y, _ref_linear(x, lin), np.float32)


def test_nan_propagates_like_torch():
    """NaN survives the max pool and the ReLU (torch.max_pool2d, torch.relu)."""
    x = _rand((1, 1, 4, 4), np.float32, 20)
    x[0, 0, 1, 1] = np.nan
    layer = fused.Conv(np.ones((3, 1, 1, 1), np.float32), None, pool=(2, 2), relu=True)
    y = fused.build(np.float32, x.shape, [layer]).run(x)
    assert np.isnan(y[:, :, 0, 0]).all() and not np.isnan(y[:, :, 1:, :]).any()


def test_input_layouts_and_fresh_outputs():
    """Any strides in (copied once), a new array out on every call."""
    lin = fused.Linear(_rand((4, 6), np.float64, 21), None)
    prog = fused.build(np.float64, (3, 6), [lin])
    x = _rand((6, 3), np.float64, 22).T  # Fortran order
    y1, y2 = prog.run(x), prog.run(np.ascontiguousarray(x))
    _close(y1, _ref_linear(np.ascontiguousarray(x), lin), np.float64)
    assert y1 is not y2 and not np.shares_memory(y1, y2)


def test_bad_input():
    conv = fused.Conv(_rand((4, 2, 3, 3), np.float32, 23), None, padding=(1, 1))
    prog = fused.build(np.float32, (1, 2, 5, 5), [conv])
    with pytest.raises(TypeError, match="x: expected dtype float32"):
        prog.run(np.zeros((1, 2, 5, 5)))
    with pytest.raises(ValueError, match=r"x: expected shape \(1, 2, 5, 5\)"):
        prog.run(np.zeros((1, 2, 5, 6), np.float32))
    with pytest.raises(ValueError, match="x: expected shape"):
        prog.run(np.zeros((2, 5, 5), np.float32))
    with pytest.raises(TypeError, match="x: expected a numpy.ndarray"):
        prog.run([0.0])
    with pytest.raises(TypeError, match="dtype: expected float32 or float64"):
        fused.build(np.int32, (1, 2, 5, 5), [conv])
    with pytest.raises(ValueError, match="no output"):
        fused.build(np.float32, (1, 2, 2, 2), [conv._replace(padding=(0, 0))])
    with pytest.raises(ValueError, match="Linear weight"):
        fused.build(np.float32, (1, 5), [fused.Linear(np.zeros((3, 4), np.float32), None)])
    with pytest.raises(ValueError, match="a Conv must come first"):
        lin = fused.Linear(np.zeros((3, 5), np.float32), None)
        fused.build(np.float32, (1, 5), [lin, conv])
    with pytest.raises(ValueError, match="a Flatten must follow a Conv"):
        fused.build(np.float32, (1, 5), [fused.Flatten()])
    with pytest.raises(TypeError, match="expected Conv, Flatten or Linear"):
        fused.build(np.float32, (1, 5), ["relu"])
    # the program checks every extent against the arrays before any call
    w = fused.aligned_zeros(16 * 5, np.float32)
    b = fused.aligned_zeros(16, np.float32)
    buf = fused.aligned_zeros(10, np.float32)
    good = ("linear", (2, 5, 3, 16, 5, 3, 0), w, b, "in", "out")
    fused.Program(np.float32, (2, 5), (2, 3), [good])
    with pytest.raises(ValueError, match="linear source"):
        fused.Program(np.float32, (1, 5), (2, 3), [good])
    with pytest.raises(ValueError, match="linear destination"):
        fused.Program(np.float32, (2, 5), (2, 3), [good[:5] + ((buf, 5),)])
    with pytest.raises(ValueError, match="linear weight"):
        fused.Program(np.float32, (2, 5), (2, 3), [good[:2] + (w[:70],) + good[3:]])
    with pytest.raises(TypeError, match="linear bias"):
        fused.Program(np.float32, (2, 5), (2, 3), [good[:3] + (b.astype(np.float64),) + good[4:]])
    with pytest.raises(ValueError, match="bad geometry"):
        fused.Program(np.float32, (2, 5), (2, 3), [("linear", (2, 5, 3, 8, 5, 3, 0)) + good[2:]])
    bad_conv = ("conv", (1, 1, 4, 4, 3, 3, 1, 1, 1, 1, 1, 16, 1, 1, 3, 3, 0, 3, 1, 1, 0),
                fused.aligned_zeros(9 * 16, np.float32), b, (buf, 0), "out")
    with pytest.raises(ValueError, match="bad geometry"):  # 3 rows of a 3x3 kernel need 5
        fused.Program(np.float32, (1, 1, 4, 4), (1, 1, 3, 3), [bad_conv])
    with pytest.raises(ValueError, match="expected 'pack', 'conv' or 'linear'"):
        fused.Program(np.float32, (2, 5), (2, 3), [("gemm",)])


def test_fastnn_isa_forces_the_level():
    """FASTNN_ISA=generic in a fresh process: this module runs the generic
    build, and gives the same numbers."""
    code = ("import numpy as np; from fastnn.backends.native import fused; "
            "from fastnn.backends.native.fused import _fused; "
            "r = np.random.default_rng(0); x = r.standard_normal((2, 3, 6, 6)); "
            "L = fused.Conv(r.standard_normal((21, 3, 3, 3)), r.standard_normal(21), "
            "padding=(1, 1), pool=(2, 2), relu=True); "
            "print(_fused.isa_level(), repr(float(fused.build(np.float64, x.shape, [L]).run(x).sum())))")
    from fastnn._child import package_root
    env = dict(os.environ, FASTNN_ISA="generic")
    # cwd: the folder holding the fastnn this process imported (a source checkout
    # next to an installed fastnn has no compiled modules)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, cwd=package_root()).stdout.split()
    assert out[0] == "0"
    r = np.random.default_rng(0)
    x = r.standard_normal((2, 3, 6, 6))
    layer = fused.Conv(r.standard_normal((21, 3, 3, 3)), r.standard_normal(21), padding=(1, 1),
                       pool=(2, 2), relu=True)
    np.testing.assert_allclose(float(out[1]), _ref_conv(x, layer).sum(), rtol=1e-12)


@pytest.mark.parametrize("plain_c", [True, False], ids=["plain_c", "default_build"])
def test_c_kernels_build_alone_and_match_naive_loops(tmp_path, plain_c):
    """The kernels' C files with common/isa.c alone, optionally as compilers
    without GCC's vector extensions build them, at every level they run."""
    import shutil
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    native = os.path.join(root, "fastnn", "backends", "native")
    srcs = [os.path.join(native, "fused", f) for f in
            ("fused_kernel.c", "fused_isa_generic.c", "fused_isa_avx2.c", "fused_isa_avx512.c")]
    exe = str(tmp_path / "check")
    cmd = [cc, "-O2", "-std=c99", "-I", native,
           os.path.join(os.path.dirname(__file__), "fused_plain_c_check.c"), *srcs,
           os.path.join(native, "common", "isa.c"), "-o", exe, "-lm"]
    if plain_c:
        cmd.insert(1, "-DFASTNN_PLAIN_C")
    subprocess.run(cmd, check=True, capture_output=True)
    lines = subprocess.run([exe], capture_output=True, text=True, check=True).stdout.splitlines()
    assert lines and all(ln.endswith("bad 0") for ln in lines), lines
    if plain_c:
        assert lines == ["level generic, bad 0"]
    else:
        assert len(lines) == len(available_isas())
