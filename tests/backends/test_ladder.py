"""The GEMM ladder (fastnn/backends/native/ladder): every rung, at every ISA level
this CPU runs, equals the float64 product; edge shapes, strided operands, the
thread count and bad arguments behave as documented."""
import numpy as np
import pytest

ladder = pytest.importorskip("fastnn.backends.native.ladder")

from fastnn.backends.native import available_isas, set_isa  # noqa: E402
from fastnn.backends.numpy_ref import gemm as ref  # noqa: E402

# Edge tiles in both directions, blocks crossed in every loop (KC 256, MC 144,
# NC 512, rung 3's 64/256/256), single rows and columns, a tile exactly.
SHAPES = [(1, 1, 1), (1, 7, 1), (7, 5, 3), (6, 32, 32), (2, 3, 70), (65, 1, 9),
          (13, 300, 530), (150, 257, 600)]


def operands(m, k, n, seed=0):
    g = np.random.default_rng(seed)
    return g.standard_normal((m, k)).astype(np.float32), g.standard_normal((k, n)).astype(np.float32)


def check(c, a, b):
    want = ref.matmul(a.astype(np.float64), b.astype(np.float64))
    assert c.dtype == np.float32 and c.shape == want.shape and c.flags.c_contiguous
    # float32 sums of k products: error grows like sqrt(k) * eps * |a||b|
    np.testing.assert_allclose(c, want, rtol=1e-4, atol=1e-5 * np.sqrt(a.shape[1]) * 4)


@pytest.fixture(params=available_isas())
def level(request):
    set_isa(request.param)
    yield request.param
    set_isa(None)


@pytest.mark.parametrize("rung", ladder.RUNGS)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_every_rung_equals_the_reference(rung, shape):
    a, b = operands(*shape)
    check(ladder.matmul(a, b, rung=rung), a, b)


@pytest.mark.parametrize("rung", ["packed", "threads"])
@pytest.mark.parametrize("shape", [(7, 5, 3), (13, 300, 530), (150, 257, 600)],
                         ids=lambda s: "x".join(map(str, s)))
def test_vector_rungs_at_every_isa_level(level, rung, shape):
    a, b = operands(*shape, seed=1)
    check(ladder.matmul(a, b, rung=rung), a, b)


def test_tile_follows_the_level(level):
    width = {"avx512": 32, "avx2": 16}.get(level)
    tile = ladder.tile()
    rows, cols = map(int, tile.split("x"))
    assert rows == 6
    if width is not None:
        assert cols == width
    else:   # generic: two 16-byte vectors, or 2 scalars in a plain-C build
        assert cols in (8, 2)
    assert ladder._ladder.isa_level() == available_isas()[::-1].index(level)


@pytest.mark.parametrize("threads", [1, 2, 3, 7])
def test_threads_give_the_same_bits_as_one_thread(threads):
    # 40 rows: 7 tiles, so with 7 threads every thread has one, with 3 they are uneven
    a, b = operands(40, 300, 70, seed=2)
    one = ladder.matmul(a, b, rung="packed")
    np.testing.assert_array_equal(ladder.matmul(a, b, rung="threads", num_threads=threads), one)


def test_fewer_tile_rows_than_threads():
    a, b = operands(5, 20, 33, seed=3)
    check(ladder.matmul(a, b, rung="threads", num_threads=4), a, b)


@pytest.mark.parametrize("rung", ladder.RUNGS)
@pytest.mark.parametrize("shape", [(0, 3, 4), (3, 0, 4), (3, 4, 0), (0, 0, 0)])
def test_zero_size(rung, shape):
    m, k, n = shape
    a, b = np.ones((m, k), np.float32), np.ones((k, n), np.float32)
    c = ladder.matmul(a, b, rung=rung)
    assert c.shape == (m, n) and c.dtype == np.float32
    assert not c.any()      # k == 0: an empty sum is 0


@pytest.mark.parametrize("rung", ["naive", "packed", "threads"])
def test_strided_and_fortran_operands_are_copied(rung):
    g = np.random.default_rng(4)
    big = g.standard_normal((40, 60)).astype(np.float32)
    a = big[::2, 1::3]                                  # 20 x 20, strided both ways
    b = np.asfortranarray(g.standard_normal((20, 9)).astype(np.float32))
    c = big[::-1, :7][:20]                              # negative row stride, 20 x 7
    check(ladder.matmul(a, b, rung=rung), np.ascontiguousarray(a), np.ascontiguousarray(b))
    check(ladder.matmul(c.T, a, rung=rung), np.ascontiguousarray(c.T), np.ascontiguousarray(a))
    np.testing.assert_array_equal(a, big[::2, 1::3])


def test_bad_arguments_name_what_was_expected():
    a, b = operands(3, 4, 5)
    with pytest.raises(TypeError, match="a must be float32"):
        ladder.matmul(a.astype(np.float64), b)
    with pytest.raises(TypeError, match="b must be a numpy.ndarray"):
        ladder.matmul(a, b.tolist())
    with pytest.raises(ValueError, match="a must be 2-D"):
        ladder.matmul(a[0], b)
    with pytest.raises(ValueError, match="b must be 2-D"):
        ladder.matmul(a, b[None])
    with pytest.raises(ValueError, match=r"a.shape\[1\] == b.shape\[0\]"):
        ladder.matmul(a, a)
    with pytest.raises(ValueError, match="rung must be one of"):
        ladder.matmul(a, b, rung="fastest")
    with pytest.raises(ValueError, match="rung must be one of"):
        ladder.matmul(a, b, rung=5)
    with pytest.raises(ValueError, match="num_threads must be >= 1"):
        ladder.matmul(a, b, num_threads=0)
    for bad in (1.5, True, "2"):
        with pytest.raises(TypeError, match="num_threads must be an int"):
            ladder.matmul(a, b, num_threads=bad)


def test_default_team_is_fastnns(monkeypatch):
    import types
    import fastnn
    seen = []
    real = ladder._ladder
    fake = types.SimpleNamespace(run=lambda rung, a, b, c, nt: (seen.append(nt), real.run(rung, a, b, c, nt)))
    monkeypatch.setattr(ladder, "_ladder", fake)
    start = fastnn.get_num_threads()
    a, b = operands(30, 40, 50, seed=5)
    try:
        fastnn.set_num_threads(1)
        check(ladder.matmul(a, b), a, b)
        fastnn.set_num_threads(2)
        check(ladder.matmul(a, b), a, b)
        check(ladder.matmul(a, b, num_threads=3), a, b)
    finally:
        fastnn.set_num_threads(start)
    assert seen == [1, 2, 3]


@pytest.mark.parametrize("plain_c", [True, False], ids=["plain_c", "default_build"])
def test_c_files_build_alone_and_match_a_double_loop(tmp_path, plain_c):
    """The ladder's C files with common/isa.c only, optionally forcing the plain-C
    path (a 6 x 2 scalar tile, what compilers without GCC extensions get)."""
    import os
    import shutil
    import subprocess
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    native = os.path.join(root, "fastnn", "backends", "native")
    sources = [os.path.join(native, "ladder", f) for f in
               ("rung1_naive.c", "rung2_loop_order.c", "rung3_blocked.c", "rung4_packed.c", "rung5_threads.c",
                "conv1_direct.c", "conv2_im2col.c", "conv3_winograd.c")]
    exe = str(tmp_path / "check")
    cmd = [cc, "-O2", "-std=c99", "-I", native, os.path.join(os.path.dirname(__file__), "ladder_plain_c_check.c"),
           *sources, os.path.join(native, "common", "isa.c"), "-o", exe, "-lm"]
    if plain_c:
        cmd.insert(1, "-DFASTNN_PLAIN_C")
    subprocess.run(cmd, check=True, capture_output=True)
    out = subprocess.run([exe], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines and all(ln.endswith("bad 0") for ln in lines), out.stdout
    if plain_c:
        assert lines == ["level generic, tile 6x2, bad 0"]
    else:
        assert len(lines) == len(available_isas())


# ---- the convolution ladder -----------------------------------------------------------

CONV_SHAPES = [  # (n, c, h, w, o, kh, kw): odd and even outputs, 1 channel, non-square
    (1, 1, 3, 3, 1, 3, 3), (2, 3, 7, 6, 4, 3, 3), (2, 5, 9, 10, 3, 3, 3), (1, 2, 5, 8, 3, 2, 3),
    (3, 4, 6, 6, 7, 1, 1), (1, 16, 12, 11, 20, 3, 3)]


def conv_operands(n, c, h, w, o, kh, kw, seed=0):
    g = np.random.default_rng(seed)
    return (g.standard_normal((n, c, h, w)).astype(np.float32),
            g.standard_normal((o, c, kh, kw)).astype(np.float32))


def conv_check(y, x, w, padding=0):
    from fastnn.backends.numpy_ref import conv as ref_conv
    want = ref_conv.conv2d_forward(x.astype(np.float64), w.astype(np.float64), None, 1, padding, 1, 1)[0]
    assert y.dtype == np.float32 and y.shape == want.shape
    np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-4 * np.sqrt(w[0].size))


@pytest.mark.parametrize("rung", ladder.CONV_RUNGS)
@pytest.mark.parametrize("shape", CONV_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_every_conv_rung_equals_the_reference(rung, shape):
    if rung == "winograd" and shape[5:] != (3, 3):
        pytest.skip("Winograd F(2x2, 3x3) is for 3x3 filters")
    x, w = conv_operands(*shape)
    conv_check(ladder.conv2d(x, w, rung=rung), x, w)


@pytest.mark.parametrize("rung", ["im2col", "winograd"])
def test_gemm_conv_rungs_at_every_isa_level(level, rung):
    x, w = conv_operands(2, 9, 11, 10, 13, 3, 3, seed=1)
    conv_check(ladder.conv2d(x, w, rung=rung), x, w)


@pytest.mark.parametrize("rung", ladder.CONV_RUNGS)
def test_conv_padding_and_strided_input(rung):
    g = np.random.default_rng(2)
    big = g.standard_normal((2, 6, 14, 16)).astype(np.float32)
    x = big[:, ::2, 1:, ::2]                             # non-contiguous: copied
    w = g.standard_normal((4, 3, 3, 3)).astype(np.float32)
    conv_check(ladder.conv2d(x, w, rung=rung, padding=1), np.ascontiguousarray(x), w, padding=1)


def test_conv_matches_torch():
    torch = pytest.importorskip("torch")
    x, w = conv_operands(2, 8, 10, 9, 5, 3, 3, seed=3)
    want = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1).numpy()
    for rung in ladder.CONV_RUNGS:
        np.testing.assert_allclose(ladder.conv2d(x, w, rung=rung, padding=1), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("rung", ladder.CONV_RUNGS)
@pytest.mark.parametrize("shape", [(0, 2, 5, 5, 3), (2, 0, 5, 5, 3), (2, 2, 5, 5, 0)])
def test_conv_zero_size(rung, shape):
    n, c, h, w, o = shape
    y = ladder.conv2d(np.ones((n, c, h, w), np.float32), np.ones((o, c, 3, 3), np.float32), rung=rung)
    assert y.shape == (n, o, 3, 3) and not y.any()


def test_conv_bad_arguments():
    x, w = conv_operands(1, 2, 5, 5, 3, 3, 3)
    with pytest.raises(TypeError, match="x must be float32"):
        ladder.conv2d(x.astype(np.float64), w)
    with pytest.raises(ValueError, match="weight must be 4-D"):
        ladder.conv2d(x, w[0])
    with pytest.raises(ValueError, match=r"weight.shape\[1\] == x.shape\[1\]"):
        ladder.conv2d(x, w[:, :1])
    with pytest.raises(ValueError, match="must be 3x3"):
        ladder.conv2d(x, w[:, :, :2], rung="winograd")
    with pytest.raises(ValueError, match="does not fit"):
        ladder.conv2d(x[:, :, :2], w, rung="direct")
    with pytest.raises(ValueError, match="rung must be one of"):
        ladder.conv2d(x, w, rung="fft")
    with pytest.raises(ValueError, match="padding must be >= 0"):
        ladder.conv2d(x, w, padding=-1)
    with pytest.raises(TypeError, match="padding must be an int"):
        ladder.conv2d(x, w, padding=(1, 1))
