"""GEMM family: native (fastnn's GEMM and the BLAS path) held to the NumPy reference."""
import numpy as np
import pytest

import fastnn
import fastnn.backends.native.common._openmp  # noqa: F401  (have_openmp)

from fastnn.backends.numpy_ref import gemm as ref
from fastnn.testing import assert_grads_close, numerical_grads

nat = pytest.importorskip("fastnn.backends.native.gemm")
_gemm = pytest.importorskip("fastnn.backends.native.gemm._gemm")

DTYPES = [np.float32, np.float64]
KERNELS = ["matmul", "batched_matmul", "matmul_backward", "linear_forward", "linear_backward"]


def tol(dtype):
    return dict(rtol=2e-4, atol=2e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)


def rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def exact(a, b, ta, tb):
    """op(a) @ op(b) in float64, as the ground truth."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if ta:
        a64 = np.swapaxes(a64, -1, -2)
    if tb:
        b64 = np.swapaxes(b64, -1, -2)
    return a64 @ b64


def operands(rng, m, k, n, ta, tb, dtype, batch=None):
    pre = () if batch is None else (batch,)
    a = rand(rng, pre + ((k, m) if ta else (m, k)), dtype)
    b = rand(rng, pre + ((n, k) if tb else (k, n)), dtype)
    return a, b


@pytest.fixture(params=["fastnn", "blas"])
def engine(request, monkeypatch):
    """Run the default native path through each engine in turn."""
    monkeypatch.setattr(nat, "_use_fastnn", lambda *args: request.param == "fastnn")
    return request.param


def test_same_names():
    assert sorted(ref.__all__) == sorted(nat.__all__) == sorted(KERNELS)
    for name in KERNELS:
        assert callable(getattr(ref, name)) and callable(getattr(nat, name))
    assert "fastnn_matmul" not in nat.__all__ and "blas_matmul" not in nat.__all__


SHAPES = [(1, 1, 1), (1, 7, 1), (3, 5, 2), (13, 7, 33), (37, 300, 65), (12, 32, 32),
          (25, 513, 70), (5, 1000, 3), (200, 9, 32), (4, 40, 250)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,k,n", SHAPES)
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_matmul_engines_match_reference(dtype, m, k, n, ta, tb):
    rng = np.random.default_rng(m * 1000 + k * 10 + n)
    a, b = operands(rng, m, k, n, ta, tb, dtype)
    want = ref.matmul(a, b, ta, tb)
    np.testing.assert_allclose(want, exact(a, b, ta, tb), **tol(dtype))
    for fn in (nat.matmul, nat.fastnn_matmul, nat.blas_matmul):
        got = fn(a, b, ta, tb)
        assert got.dtype == dtype and got.shape == (m, n) and got.flags.c_contiguous
        np.testing.assert_allclose(got, want, **tol(dtype))


@pytest.mark.parametrize("variant", _gemm.variants())
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_cpu_variant(variant, dtype):
    from fastnn.backends.native import set_isa
    rng = np.random.default_rng(1)
    try:
        set_isa(variant)
        assert _gemm.current_variant() == variant
        # edge tiles in m and n, several k blocks, several m/n blocks
        for (m, k, n) in [(13, 7, 33), (29, 301, 45), (400, 600, 1100), (3, 2, 1)]:
            for ta in (False, True):
                for tb in (False, True):
                    a, b = operands(rng, m, k, n, ta, tb, dtype)
                    np.testing.assert_allclose(nat.fastnn_matmul(a, b, ta, tb), exact(a, b, ta, tb),
                                               **tol(dtype))
    finally:
        set_isa(None)


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def test_dispatch_picks_best_variant():
    import os
    names = _gemm.variants()
    forced = os.environ.get("FASTNN_ISA", "").strip().lower()
    assert names and _gemm.current_variant() == (forced if forced in names else names[0])
    flags = cpu_flags()
    if flags is None:
        pytest.skip("no /proc/cpuinfo")
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"} <= flags:
        assert names[0] == "avx512"
    elif {"avx2", "fma"} <= flags:
        assert names[0] == "avx2"


@pytest.mark.parametrize("dtype", DTYPES)
def test_c_interface_alpha_beta(dtype):
    """The C entry point other kernels call: C = alpha op(A) op(B) + beta C; beta 0 ignores C."""
    rng = np.random.default_rng(2)
    a, b = rand(rng, (30, 20), dtype), rand(rng, (20, 50), dtype)
    c0 = rand(rng, (30, 50), dtype)
    c = c0.copy()
    _gemm.gemm(a, b, c, False, False, 20, 50, 30, 50, 20, 0.5, 2.0)
    np.testing.assert_allclose(c, 0.5 * exact(a, b, 0, 0) + 2.0 * c0, **tol(dtype))
    c = np.full((30, 50), np.nan, dtype)
    _gemm.gemm(a, b, c, False, False, 20, 50, 30, 50, 20, 1.0, 0.0)
    np.testing.assert_allclose(c, exact(a, b, 0, 0), **tol(dtype))
    # the leading dimension of C is its row length; a sub-block of rows/cols via m, n
    c = np.zeros((30, 50), dtype)
    _gemm.gemm(a, b, c, False, False, 20, 50, 10, 50, 20)
    np.testing.assert_allclose(c[:10], exact(a[:10], b, 0, 0), **tol(dtype))
    assert not c[10:].any()


def layouts(rng, shape, dtype):
    """The same values in many memory layouts."""
    base = rand(rng, shape, dtype)
    big = rand(rng, (shape[0] + 3, shape[1] + 5), dtype)
    big[1:1 + shape[0], 2:2 + shape[1]] = base
    wide = np.zeros((shape[0], 2 * shape[1]), dtype)
    wide[:, ::2] = base
    raw = np.zeros(base.nbytes + 1, np.uint8)
    unaligned = np.frombuffer(raw.data, dtype=dtype, count=base.size, offset=1).reshape(shape)
    unaligned[...] = base
    ro = base.copy()
    ro.flags.writeable = False
    return base, {
        "c": base,
        "fortran": np.asfortranarray(base),
        "transposed_view": base.T.copy().T,
        "row_strided": big[1:1 + shape[0], 2:2 + shape[1]],
        "col_strided": wide[:, ::2],
        "reversed": base[::-1].copy()[::-1],
        "unaligned": unaligned,
        "readonly": ro,
    }


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_memory_layouts(dtype, ta, tb):
    rng = np.random.default_rng(3)
    m, k, n = 19, 23, 41
    a0, a_lay = layouts(rng, (k, m) if ta else (m, k), dtype)
    b0, b_lay = layouts(rng, (n, k) if tb else (k, n), dtype)
    want = exact(a0, b0, ta, tb)
    for name_a, a in a_lay.items():
        for name_b, b in b_lay.items():
            for fn in (nat.matmul, nat.fastnn_matmul):
                got = fn(a, b, ta, tb)
                np.testing.assert_allclose(got, want, **tol(dtype), err_msg=f"{name_a} x {name_b}")
    # a broadcast (zero-stride) operand
    row = rand(rng, (1, k), dtype)
    a = np.broadcast_to(row, (m, k))
    np.testing.assert_allclose(nat.fastnn_matmul(a, b0 if not tb else b0, False, tb),
                               exact(np.ascontiguousarray(a), b0, False, tb), **tol(dtype))


@pytest.mark.parametrize("fn_name", ["matmul", "fastnn_matmul", "blas_matmul"])
def test_zero_sizes(fn_name):
    fn = getattr(nat, fn_name)
    for dtype in DTYPES:
        for (m, k, n) in [(0, 3, 4), (3, 0, 4), (3, 4, 0), (0, 0, 0)]:
            a, b = np.ones((m, k), dtype), np.ones((k, n), dtype)
            got = fn(a, b)
            assert got.shape == (m, n) and got.dtype == dtype
            np.testing.assert_array_equal(got, ref.matmul(a, b))


BAD = [
    (lambda: (np.ones((2, 3), np.float32), np.ones((3, 2), np.float64)), TypeError, "b"),
    (lambda: (np.ones((2, 3), np.int64), np.ones((3, 2), np.int64)), TypeError, "a"),
    (lambda: ([[1.0]], np.ones((1, 1))), TypeError, "a"),
    (lambda: (np.ones((2, 3)), np.ones((4, 2))), ValueError, "b"),
    (lambda: (np.ones(3), np.ones((3, 2))), ValueError, "a"),
    (lambda: (np.ones((2, 3)), np.ones((1, 3, 2))), ValueError, "b"),
]


@pytest.mark.parametrize("make,exc,name", BAD)
def test_bad_input_rejected_alike(make, exc, name):
    a, b = make()
    msgs = []
    for fn in (ref.matmul, nat.matmul, nat.fastnn_matmul, nat.blas_matmul):
        with pytest.raises(exc) as info:
            fn(a, b)
        assert str(info.value).startswith(f"{name}:")
        msgs.append(str(info.value))
    assert len(set(msgs)) == 1


def test_bad_flags_and_batches():
    a, b = np.ones((2, 3)), np.ones((3, 2))
    for mod in (ref, nat):
        with pytest.raises(TypeError, match="trans_a"):
            mod.matmul(a, b, trans_a="yes")
        with pytest.raises(TypeError, match="trans_b"):
            mod.matmul(a, b, trans_b=2)
        with pytest.raises(ValueError, match="b: batch size"):
            mod.batched_matmul(np.ones((2, 2, 3)), np.ones((3, 3, 2)))
        with pytest.raises(ValueError, match="b: inner"):
            mod.batched_matmul(np.ones((2, 2, 3)), np.ones((2, 2, 3)))
        with pytest.raises(ValueError, match="dc:"):
            mod.matmul_backward(np.ones((2, 3)), a, b)
        with pytest.raises(TypeError, match="dc:"):
            mod.matmul_backward(np.ones((2, 2), np.float32), a, b)
    # flags given as 0/1 are accepted
    np.testing.assert_allclose(nat.matmul(a, b.T, 0, 1), ref.matmul(a, b.T, False, True))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ba,bb", [(4, 4), (1, 5), (5, 1), (1, 1), (0, 0), (0, 1)])
@pytest.mark.parametrize("m,k,n", [(3, 5, 7), (70, 90, 80)])
@pytest.mark.parametrize("ta,tb", [(False, False), (True, True), (True, False)])
def test_batched_matmul(dtype, ba, bb, m, k, n, ta, tb, engine):
    rng = np.random.default_rng(ba * 10 + bb)
    a = rand(rng, (ba,) + ((k, m) if ta else (m, k)), dtype)
    b = rand(rng, (bb,) + ((n, k) if tb else (k, n)), dtype)
    want = ref.batched_matmul(a, b, ta, tb)
    assert want.shape == (max(ba, bb) if min(ba, bb) != 0 else 0, m, n)
    got = nat.batched_matmul(a, b, ta, tb)
    assert got.shape == want.shape and got.dtype == dtype
    np.testing.assert_allclose(got, want, **tol(dtype))
    # Fortran-ordered / transposed-view operands
    got = nat.batched_matmul(np.asfortranarray(a), np.swapaxes(np.swapaxes(b, 1, 2).copy(), 1, 2), ta, tb)
    np.testing.assert_allclose(got, want, **tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_matmul_backward_matches_reference(dtype, ta, tb, engine):
    rng = np.random.default_rng(4)
    m, k, n = 9, 14, 11
    a, b = operands(rng, m, k, n, ta, tb, dtype)
    dc = rand(rng, (m, n), dtype)
    want = ref.matmul_backward(dc, a, b, ta, tb)
    got = nat.matmul_backward(dc, a, b, ta, tb)
    for g, w, x in zip(got, want, (a, b)):
        assert g.shape == x.shape and g.dtype == dtype
        np.testing.assert_allclose(g, w, **tol(dtype))


@pytest.mark.parametrize("mod", [ref, nat], ids=["numpy", "native"])
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_matmul_backward_finite_differences(mod, ta, tb):
    rng = np.random.default_rng(5)
    m, k, n = 3, 4, 5
    a, b = operands(rng, m, k, n, ta, tb, np.float64)
    dc = rand(rng, (m, n), np.float64)
    num = numerical_grads(lambda x, y: mod.matmul(x, y, ta, tb), [a, b], dc)
    assert_grads_close(mod.matmul_backward(dc, a, b, ta, tb), num, names=["a", "b"])


@pytest.mark.parametrize("mod", [ref, nat], ids=["numpy", "native"])
@pytest.mark.parametrize("ba,bb", [(3, 3), (1, 3), (3, 1)])
def test_batched_backward_finite_differences(mod, ba, bb):
    rng = np.random.default_rng(6)
    ta, tb = ba == 1, bb == 1
    a, b = rand(rng, (ba, 4, 3) if ta else (ba, 3, 4), np.float64), rand(rng, (bb, 2, 4) if tb else (bb, 4, 2), np.float64)
    dc = rand(rng, (3, 3, 2), np.float64)
    num = numerical_grads(lambda x, y: mod.batched_matmul(x, y, ta, tb), [a, b], dc)
    got = mod.matmul_backward(dc, a, b, ta, tb)
    assert got[0].shape == a.shape and got[1].shape == b.shape
    assert_grads_close(got, num, names=["a", "b"])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("N,fin,fout", [(1, 1, 1), (8, 13, 5), (33, 70, 129), (0, 4, 3)])
def test_linear_matches_reference(dtype, bias, N, fin, fout, engine):
    rng = np.random.default_rng(7)
    x, w = rand(rng, (N, fin), dtype), rand(rng, (fout, fin), dtype)
    b = rand(rng, (fout,), dtype) if bias else None
    y_ref, saved_ref = ref.linear_forward(x, w, b)
    y, saved = nat.linear_forward(np.asfortranarray(x), w, b)
    assert y.shape == (N, fout) and y.dtype == dtype
    np.testing.assert_allclose(y, y_ref, **tol(dtype))
    dy = rand(rng, (N, fout), dtype)
    want = ref.linear_backward(dy, saved_ref)
    got = nat.linear_backward(dy, saved)
    for g, w_ in zip(got, want):
        if w_ is None:
            assert g is None
        else:
            assert g.shape == w_.shape and g.dtype == dtype
            np.testing.assert_allclose(g, w_, **tol(dtype))


@pytest.mark.parametrize("mod", [ref, nat], ids=["numpy", "native"])
def test_linear_finite_differences(mod):
    rng = np.random.default_rng(8)
    x, w, b = rand(rng, (4, 3), np.float64), rand(rng, (5, 3), np.float64), rand(rng, (5,), np.float64)
    dy = rand(rng, (4, 5), np.float64)
    num = numerical_grads(lambda *args: mod.linear_forward(*args)[0], [x, w, b], dy)
    _, saved = mod.linear_forward(x, w, b)
    assert_grads_close(mod.linear_backward(dy, saved), num, names=["x", "w", "b"])


def test_linear_bad_input():
    x, w = np.ones((4, 3)), np.ones((5, 3))
    for mod in (ref, nat):
        with pytest.raises(ValueError, match="^w:"):
            mod.linear_forward(x, np.ones((5, 4)), None)
        with pytest.raises(ValueError, match="^b:"):
            mod.linear_forward(x, w, np.ones(4))
        with pytest.raises(TypeError, match="^b:"):
            mod.linear_forward(x, w, np.ones(5, np.float32))
        with pytest.raises(TypeError, match="^w:"):
            mod.linear_forward(x, w.astype(np.float32), None)
        _, saved = mod.linear_forward(x, w, None)
        with pytest.raises(ValueError, match="^dy:"):
            mod.linear_backward(np.ones((4, 4)), saved)
        with pytest.raises(TypeError, match="^saved:"):
            mod.linear_backward(np.ones((4, 5)), None)


def test_default_path_uses_both_engines(monkeypatch):
    """One pool computes: products fastnn's team splits go to fastnn's GEMM, the
    rest to BLAS on one thread; tiny and matrix-vector products always to BLAS;
    every larger product to fastnn's GEMM when BLAS's thread count is unknown."""
    from fastnn import _threads
    f32 = np.dtype(np.float32)
    monkeypatch.setattr(nat, "_variant_rank", 0)
    monkeypatch.setattr(_threads, "_blas_single", True)
    monkeypatch.setattr(_gemm, "threads_for", lambda macs: 1)
    assert not nat._use_fastnn(256, 256, 256, f32)
    assert not nat._use_fastnn(64 * 26 * 26, 32, 9, f32)
    monkeypatch.setattr(_gemm, "threads_for", lambda macs: 2)
    assert nat._use_fastnn(256, 256, 256, f32)
    assert nat._use_fastnn(64 * 26 * 26, 32, 9, f32)
    assert not nat._use_fastnn(1, 4096, 4096, f32)
    assert not nat._use_fastnn(64, 64, 64, f32)
    monkeypatch.setattr(nat, "_variant_rank", 2)
    assert not nat._use_fastnn(256, 256, 256, f32)
    monkeypatch.setattr(_threads, "_blas_single", False)
    assert nat._use_fastnn(256, 256, 256, f32)
    assert nat._use_fastnn(2048, 2048, 2048, f32)
    assert not nat._use_fastnn(4, 4096, 4096, f32)


def test_threads_for_follows_the_team():
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(1)
        assert _gemm.threads_for(1e12) == 1
        fastnn.set_num_threads(2)
        expected = 2 if fastnn.backends.native._openmp.have_openmp() else 1
        assert _gemm.threads_for(1e12) == expected
    finally:
        fastnn.set_num_threads(before)


def test_default_path_calls_the_chosen_engine(monkeypatch):
    calls = []
    monkeypatch.setattr(nat, "_fastnn_2d", lambda *args: calls.append("fastnn") or np.zeros((2, 2)))
    monkeypatch.setattr(nat, "_blas", lambda *args: calls.append("blas") or np.zeros((2, 2)))
    a = np.ones((2, 3))
    for flag in (True, False):
        monkeypatch.setattr(nat, "_use_fastnn", lambda *args, flag=flag: flag)
        nat.matmul(a, a.T)
    assert calls == ["fastnn", "blas"]


def test_max_threads_follows_fastnn():
    before = fastnn.get_num_threads()
    try:
        for n in (1, 2):
            fastnn.set_num_threads(n)
            assert _gemm.max_threads() == (n if fastnn.backends.native.common._openmp.have_openmp() else 1)
    finally:
        fastnn.set_num_threads(before)


def test_torch_agrees():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    x, w, b = rand(rng, (6, 5), np.float32), rand(rng, (4, 5), np.float32), rand(rng, (4,), np.float32)
    y, _ = nat.linear_forward(x, w, b)
    want = torch.nn.functional.linear(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)).numpy()
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("plain_c", [True, False], ids=["plain_c", "default_build"])
def test_c_kernel_builds_and_matches_naive_loop(tmp_path, plain_c):
    """Compile gemm_kernel.c on its own with the dispatch's common/isa.c, optionally
    forcing the plain-C path that non-GCC compilers get, and check every level it
    runs against a naive loop."""
    import os
    import shutil
    import subprocess
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    native = os.path.join(root, "fastnn", "backends", "native")
    exe = str(tmp_path / "check")
    cmd = [cc, "-O2", "-std=c99", "-I", native, os.path.join(os.path.dirname(__file__), "gemm_plain_c_check.c"),
           os.path.join(native, "gemm", "gemm_kernel.c"), os.path.join(native, "common", "isa.c"),
           os.path.join(native, "common", "interrupt.c"),
           "-o", exe, "-lm"]
    if plain_c:
        cmd.insert(1, "-DFASTNN_PLAIN_C")
    subprocess.run(cmd, check=True, capture_output=True)
    out = subprocess.run([exe], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "bad" in out.stdout and all(ln.endswith("bad 0") for ln in out.stdout.splitlines()), out.stdout
    if plain_c:
        assert out.stdout.splitlines() == ["level generic, tile scalar, bad 0"]
    else:
        assert len(out.stdout.splitlines()) == len(_gemm.variants())


@pytest.mark.parametrize("rows", [1, 3, 4, 5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_forward_few_rows_fast_path_matches_reference(rows, dtype):
    """Batch-1 inference skips the dispatch; results and bad-input errors stay the reference's."""
    from fastnn.backends import backend
    nat, ref = backend("native"), backend("numpy")
    g = np.random.default_rng(rows)
    x = g.standard_normal((rows, 37)).astype(dtype)
    w = g.standard_normal((11, 37)).astype(dtype)
    b = g.standard_normal(11).astype(dtype)
    for bias in (b, None):
        y, saved = nat.linear_forward(x, w, bias)
        np.testing.assert_allclose(y, ref.linear_forward(x, w, bias)[0], rtol=1e-5, atol=1e-5)
        assert nat.linear_backward(np.ones_like(y), saved)[1].shape == w.shape
    with pytest.raises(ValueError, match="w"):
        nat.linear_forward(x, w[:, :-1], b)
    with pytest.raises(TypeError, match="w"):
        nat.linear_forward(x, w.astype(np.float16), b)
    x_nan = x.copy()
    x_nan[0, 0] = np.nan
    import fastnn
    fastnn.set_finite_checks(True)
    try:
        with pytest.raises(ValueError, match="NaN"):
            nat.linear_forward(x_nan, w, b)
    finally:
        fastnn.set_finite_checks(False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True)])
def test_fastnn_matmul_takes_batched_operands(dtype, ta, tb):
    from fastnn.backends.native import gemm as nat
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 37, 19) if not ta else (3, 19, 37)).astype(dtype)
    b = rng.standard_normal((3, 19, 29) if not tb else (3, 29, 19)).astype(dtype)
    want = np.matmul(a.swapaxes(1, 2) if ta else a, b.swapaxes(1, 2) if tb else b)
    got = nat.fastnn_matmul(a, b, ta, tb)
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)


def test_many_small_products_are_split_over_the_batch():
    """Attention's per-head products (256 x 256 x 64) are each too small for a team but
    together worth one: at 2 threads they go one per thread, not one after another on
    one-thread BLAS; the answer equals the reference at any thread count."""
    before = fastnn.get_num_threads()
    rng = np.random.default_rng(11)
    a = rng.standard_normal((16, 256, 64)).astype(np.float32)
    b = rng.standard_normal((16, 256, 64)).astype(np.float32)
    want = np.matmul(a.astype(np.float64), b.astype(np.float64).swapaxes(1, 2))
    try:
        for threads in (1, 2):
            fastnn.set_num_threads(threads)
            got = nat.batched_matmul(a, b, trans_b=True)
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)
            team = fastnn.backends.native._openmp.have_openmp() and threads > 1
            split = nat._split_over_batch(256, 256, 64, 16)
            if nat._variant_rank <= 1 and nat._gemm.threads_for(16.0 * 256 * 256 * 64) > 1:
                assert split == bool(team)
    finally:
        fastnn.set_num_threads(before)
