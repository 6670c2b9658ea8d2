"""fastnn's one CPU dispatch (fastnn/backends/native/common/isa.h): every family's
kernels, run at every ISA level this CPU executes, equal the NumPy reference; the
level is one decision shared by all compiled modules; FASTNN_ISA forces it, and
values it cannot honour warn and fall back instead of failing."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

native = pytest.importorskip("fastnn.backends.native")
pytest.importorskip("fastnn.backends.native.common._isa")

import fastnn.backends.numpy_ref.gemm  # noqa: E402,F401  (numpy_ref.gemm below)
import fastnn.backends.numpy_ref.optim  # noqa: E402,F401
from fastnn.backends import numpy_ref  # noqa: E402
from fastnn.backends.native import available_isas, isa, set_isa  # noqa: E402

# The subprocesses import the same fastnn as this one (in-place build or installed).
import fastnn  # noqa: E402
from fastnn._child import package_root  # noqa: E402

FASTNN_HOME = package_root()
LEVELS = ("avx512", "avx2", "generic")
MODULES = ("gemm._gemm", "conv._conv", "pool._pool", "rnn._rnn", "elementwise._elementwise", "optim._optim",
           "attention._attention")


@pytest.fixture
def at_level(request):
    """Run the test body at one level, then go back to the start-up level."""
    set_isa(request.param)
    assert isa() == request.param
    yield request.param
    set_isa(None)


def test_available_levels():
    names = available_isas()
    assert names and names[-1] == "generic"
    assert list(names) == [n for n in LEVELS if n in names]  # best first
    assert isa() in names


def test_every_module_follows_the_one_decision():
    import importlib
    mods = [importlib.import_module(f"fastnn.backends.native.{m}") for m in MODULES]
    try:
        for name in available_isas():
            set_isa(name)
            want = LEVELS[::-1].index(name)  # the C level number: generic 0, avx2 1, avx512 2
            for mod in mods:
                assert mod.isa_level() == want, (mod.__name__, name)
            from fastnn.backends.native import gemm
            assert gemm._variant_rank == {"avx512": 0, "avx2": 1}.get(name, 2)
    finally:
        set_isa(None)


def test_set_isa_rejects_bad_values():
    start = isa()
    with pytest.raises(ValueError, match="set_isa"):
        set_isa("no-such-cpu")
    with pytest.raises(ValueError, match="set_isa"):
        set_isa("AVX2")     # the API takes exact names; only the variable is lenient
    with pytest.raises(TypeError, match="set_isa"):
        set_isa(2)
    assert isa() == start
    unsupported = [n for n in LEVELS if n not in available_isas()]
    if unsupported:
        with pytest.raises(ValueError, match="set_isa"):
            set_isa(unsupported[0])


# ---- FASTNN_ISA, in a fresh process each ---------------------------------------------

def _run(env_value, code):
    env = dict(os.environ, PYTHONPATH=FASTNN_HOME + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("FASTNN_ISA", None)
    if env_value is not None:
        env["FASTNN_ISA"] = env_value
    return subprocess.run([sys.executable, "-W", "always", "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, env=env, cwd=FASTNN_HOME, timeout=300)


REPORT = """
    import fastnn.backends.native as n
    print("ISA", n.isa())
"""


def _reported(out):
    assert out.returncode == 0, out.stdout + out.stderr
    return [ln.split()[1] for ln in out.stdout.splitlines() if ln.startswith("ISA ")][0]


@pytest.mark.parametrize("level", available_isas())
def test_environment_forces_each_level(level):
    out = _run(level, REPORT)
    assert _reported(out) == level
    assert "RuntimeWarning" not in out.stderr


@pytest.mark.parametrize("value", ["", "auto", " AUTO "])
def test_environment_auto_is_the_best_level(value):
    out = _run(value, REPORT)
    assert _reported(out) == available_isas()[0]
    assert "RuntimeWarning" not in out.stderr


def test_environment_is_case_and_space_tolerant():
    assert _reported(_run(" Generic\n", REPORT)) == "generic"


@pytest.mark.parametrize("value", ["avx1024", "sse9", "native", "0", "ä"])
def test_unknown_value_warns_and_uses_the_best_level(value):
    out = _run(value, REPORT)
    assert _reported(out) == available_isas()[0]
    assert "RuntimeWarning" in out.stderr and "FASTNN_ISA" in out.stderr


def test_level_this_cpu_cannot_run_warns_and_falls_back():
    missing = [n for n in LEVELS if n not in available_isas()]
    if not missing:
        pytest.skip("this CPU runs every level")
    out = _run(missing[0], REPORT)
    below = LEVELS[LEVELS.index(missing[0]):]
    assert _reported(out) == next(n for n in below if n in available_isas())
    assert "RuntimeWarning" in out.stderr and "cannot run" in out.stderr


@pytest.mark.parametrize("level", available_isas())
def test_forced_level_runs_the_kernels(level):
    """End to end: with FASTNN_ISA set, a conv + LSTM + GEMM step equals the reference."""
    out = _run(level, """
        import numpy as np
        import fastnn.backends.native as n
        import fastnn.backends.numpy_ref.conv
        import fastnn.backends.numpy_ref.rnn
        from fastnn.backends import numpy_ref as ref
        from fastnn.backends.native import conv, gemm, rnn
        rng = np.random.default_rng(0)
        x, w = rng.standard_normal((2, 3, 9, 9)), rng.standard_normal((4, 3, 3, 3))
        assert np.allclose(conv.conv2d_forward(x, w)[0], ref.conv.conv2d_forward(x, w)[0])
        a, b = rng.standard_normal((70, 50)), rng.standard_normal((50, 60))
        assert np.allclose(gemm.fastnn_matmul(a, b, False, False), a @ b)
        xs, h = rng.standard_normal((4, 3, 5)), np.zeros((3, 6))
        wi, wh = rng.standard_normal((24, 5)), rng.standard_normal((24, 6))
        assert np.allclose(rnn.lstm_forward(xs, h, h, wi, wh)[0], ref.rnn.lstm_forward(xs, h, h, wi, wh)[0])
        print("ISA", n.isa())
    """)
    assert _reported(out) == level


# ---- every family at every level, against the reference --------------------------------

def _rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def _compare(got, want, dtype, what):
    tol = dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-11)
    got = got if isinstance(got, (tuple, list)) else (got,)
    want = want if isinstance(want, (tuple, list)) else (want,)
    assert len(got) == len(want), what
    for i, (g, w) in enumerate(zip(got, want)):
        if w is None:
            assert g is None, (what, i)
        else:
            np.testing.assert_allclose(g, w, err_msg=f"{what} output {i}", **tol)


def _fwd_bwd(family, fname, bname, args, kwargs, upstream, dtype, what, n_out=1):
    """forward then backward on both backends; upstream(y) makes the backward inputs."""
    from importlib import import_module
    nat = import_module(f"fastnn.backends.native.{family}")
    ref = import_module(f"fastnn.backends.numpy_ref.{family}")
    out_n, out_r = getattr(nat, fname)(*args, **kwargs), getattr(ref, fname)(*args, **kwargs)
    _compare(out_n[:n_out], out_r[:n_out], dtype, f"{what} forward")
    if bname is not None:
        ups = upstream(out_r[:n_out])
        _compare(getattr(nat, bname)(*ups, out_n[-1]), getattr(ref, bname)(*ups, out_r[-1]), dtype,
                 f"{what} backward")


DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("at_level", available_isas(), indirect=True)
@pytest.mark.parametrize("dtype", DTYPES)
def test_gemm_at_each_level(at_level, dtype):
    from fastnn.backends.native import gemm
    rng = np.random.default_rng(1)
    for m, k, n in [(1, 1, 1), (13, 7, 33), (37, 300, 65), (130, 257, 70)]:
        for ta in (False, True):
            for tb in (False, True):
                a = _rand(rng, (k, m) if ta else (m, k), dtype)
                b = _rand(rng, (n, k) if tb else (k, n), dtype)
                _compare(gemm.fastnn_matmul(a, b, ta, tb), numpy_ref.gemm.matmul(a, b, ta, tb), dtype,
                         f"matmul {m}x{k}x{n} {ta} {tb}")
    x, w, bias = _rand(rng, (9, 20), dtype), _rand(rng, (7, 20), dtype), _rand(rng, (7,), dtype)
    _fwd_bwd("gemm", "linear_forward", "linear_backward", (x, w, bias), {},
             lambda y: (_rand(rng, y[0].shape, dtype),), dtype, "linear")


CONV_CASES = [
    # (x shape, w shape, kwargs): packed (groups 1), small k, Winograd-shaped, grouped (im2col +
    # GEMM), depthwise, strided and dilated, 1x1
    ((2, 3, 11, 9), (5, 3, 3, 2), dict(stride=1, padding=1)),
    ((3, 1, 12, 12), (8, 1, 3, 3), dict()),
    ((2, 16, 10, 10), (16, 16, 3, 3), dict(padding=1)),
    ((2, 4, 8, 7), (6, 2, 3, 3), dict(groups=2, padding=(1, 0))),
    ((2, 6, 9, 9), (6, 1, 3, 3), dict(groups=6, stride=2, padding=1)),
    ((1, 3, 13, 11), (4, 3, 2, 3), dict(stride=(2, 1), dilation=(1, 2), padding=2)),
    ((2, 8, 5, 5), (4, 8, 1, 1), dict()),
]


@pytest.mark.parametrize("at_level", available_isas(), indirect=True)
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_at_each_level(at_level, dtype, monkeypatch):
    from fastnn.backends.native import conv
    # Winograd for any channel count, so that the 16-channel case takes it
    monkeypatch.setattr(conv, "_WINOGRAD_MIN_CHANNELS", 1)
    monkeypatch.setattr(conv, "_WINOGRAD_MIN_TILES", 1)
    rng = np.random.default_rng(2)
    for i, (xs, ws, kw) in enumerate(CONV_CASES):
        x, w, b = _rand(rng, xs, dtype), _rand(rng, ws, dtype), _rand(rng, (ws[0],), dtype)
        _fwd_bwd("conv", "conv2d_forward", "conv2d_backward", (x, w, b), kw,
                 lambda y: (_rand(rng, y[0].shape, dtype),), dtype, f"conv case {i}")


@pytest.mark.parametrize("at_level", available_isas(), indirect=True)
@pytest.mark.parametrize("dtype", DTYPES)
def test_pool_at_each_level(at_level, dtype):
    rng = np.random.default_rng(3)
    up = lambda y: (_rand(rng, y[0].shape, dtype),)  # noqa: E731
    for xs in [(2, 3, 8, 8), (1, 2, 7, 9)]:      # the 2x2 fast path, odd edges
        x = _rand(rng, xs, dtype)
        _fwd_bwd("pool", "max_pool2d_forward", "max_pool2d_backward", (x, 2), {}, up, dtype, f"max 2x2 {xs}")
        _fwd_bwd("pool", "max_pool2d_forward", "max_pool2d_backward", (x, 3),
                 dict(stride=2, padding=1), up, dtype, f"max 3x3 {xs}")
        _fwd_bwd("pool", "avg_pool2d_forward", "avg_pool2d_backward", (x, 2), {}, up, dtype, f"avg {xs}")


@pytest.mark.parametrize("at_level", available_isas(), indirect=True)
@pytest.mark.parametrize("dtype", DTYPES)
def test_elementwise_at_each_level(at_level, dtype):
    rng = np.random.default_rng(4)
    up = lambda y: (_rand(rng, y[0].shape, dtype),)  # noqa: E731
    x = _rand(rng, (3, 5, 7, 9), dtype)              # 945 elements: whole vectors and a tail
    _fwd_bwd("elementwise", "relu_forward", "relu_backward", (x,), {}, up, dtype, "relu")
    _fwd_bwd("elementwise", "bias_relu_forward", "bias_relu_backward", (x, _rand(rng, (5,), dtype)), {},
             up, dtype, "bias_relu")
    for C in (3, 40, 1000):                          # below and above the libm/own-exp row length
        logits = _rand(rng, (6, C), dtype) * 4
        _fwd_bwd("elementwise", "softmax_forward", "softmax_backward", (logits, 1), {}, up, dtype, f"softmax {C}")
        _fwd_bwd("elementwise", "log_softmax_forward", "log_softmax_backward", (logits, 1), {}, up, dtype,
                 f"log_softmax {C}")
        target = rng.integers(0, C, size=6)
        _fwd_bwd("elementwise", "cross_entropy_forward", "cross_entropy_backward", (logits, target),
                 dict(label_smoothing=0.1), lambda y: (np.asarray(1.5, dtype),), dtype, f"cross_entropy {C}")


@pytest.mark.parametrize("at_level", available_isas(), indirect=True)
@pytest.mark.parametrize("dtype", DTYPES)
def test_rnn_at_each_level(at_level, dtype):
    rng = np.random.default_rng(5)
    T, B, I, H = 5, 7, 6, 20        # T >= 2: the recurrent weights are packed once (float32)
    x, h0 = _rand(rng, (T, B, I), dtype), _rand(rng, (B, H), dtype)
    lengths = np.array([5, 3, 5, 1, 2, 5, 4])
    for name, g in (("rnn", 1), ("lstm", 4), ("gru", 3)):
        w_ih, w_hh = _rand(rng, (g * H, I), dtype) * 0.3, _rand(rng, (g * H, H), dtype) * 0.3
        b_ih, b_hh = _rand(rng, (g * H,), dtype), _rand(rng, (g * H,), dtype)
        states = (h0, h0) if name == "lstm" else (h0,)
        n_out = len(states) + 1
        for lens in (None, lengths):
            args = (x, *states, w_ih, w_hh, b_ih, b_hh)
            _fwd_bwd("rnn", f"{name}_forward", f"{name}_backward", args, dict(lengths=lens),
                     lambda y: tuple(_rand(rng, o.shape, dtype) for o in y), dtype,
                     f"{name} lengths={lens is not None}", n_out=n_out)


@pytest.mark.parametrize("at_level", available_isas(), indirect=True)
@pytest.mark.parametrize("dtype", DTYPES)
def test_optim_at_each_level(at_level, dtype):
    """The fused optimizer steps: bit for bit the reference's at every level."""
    from fastnn.backends.native import optim as nat
    ref = numpy_ref.optim
    rng = np.random.default_rng(6)
    shapes = [(37,), (5, 9), (3, 4, 17)]   # tails shorter than any vector width

    def state():
        return [_rand(rng, s, dtype) for s in shapes]

    cases = [
        ("sgd_step", lambda: (state(),),
         dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01, nesterov=True, maximize=False)),
        ("adam_step", lambda: (state(), [np.abs(a) for a in state()], [np.abs(a) for a in state()],
                               [3] * 3),
         dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=True, maximize=False)),
        ("adamw_step", lambda: (state(), [np.abs(a) for a in state()], None, [2] * 3),
         dict(lr=1e-3, beta1=0.9, beta2=0.99, eps=1e-8, weight_decay=0.1, amsgrad=False, maximize=True)),
        ("rmsprop_step", lambda: ([np.abs(a) + 1 for a in state()], [a * 0.1 for a in state()], state()),
         dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.01, momentum=0.5, centered=True,
              maximize=False)),
        ("adagrad_step", lambda: ([np.abs(a) for a in state()], [4] * 3),
         dict(lr=1e-2, lr_decay=0.01, weight_decay=0.0, eps=1e-10, maximize=False)),
    ]
    for name, make_state, kw in cases:
        params, grads, extra = state(), state(), make_state()
        copy = lambda xs: [None if a is None else a.copy() if hasattr(a, "copy") else a for a in xs]  # noqa: E731
        p_n, p_r = copy(params), copy(params)
        e_n = [copy(e) if isinstance(e, list) else e for e in extra]
        e_r = [copy(e) if isinstance(e, list) else e for e in extra]
        getattr(nat, name)(p_n, grads, *e_n, **kw)
        getattr(ref, name)(p_r, grads, *e_r, **kw)
        for a, b in zip(p_n, p_r):
            np.testing.assert_array_equal(a, b, err_msg=name)


# ---- the plain-C fallback builds with a compiler that has no GCC extensions ------------

def test_kernels_build_with_a_plain_c99_compiler(tmp_path):
    """Every hand-written kernel file compiles with tcc (no vector types, no target
    attributes, no OpenMP: the generic level alone), and its GEMM is right."""
    import glob
    import shutil
    tcc = shutil.which("tcc")
    if tcc is None:
        pytest.skip("tcc not installed (apt install tcc)")
    src_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    native = os.path.join(src_root, "fastnn", "backends", "native")
    sources = [c for c in glob.glob(os.path.join(native, "**", "*.c"), recursive=True)
               if not os.path.basename(c).startswith("_")]
    assert len(sources) > 10
    for src in sources:
        out = subprocess.run([tcc, "-std=c99", "-c", "-I", native, src, "-o", str(tmp_path / "k.o")],
                             capture_output=True, text=True)
        assert out.returncode == 0, f"{src}:\n{out.stderr}"
    exe = str(tmp_path / "check")
    subprocess.run([tcc, "-I", native, os.path.join(os.path.dirname(__file__), "gemm_plain_c_check.c"),
                    os.path.join(native, "gemm", "gemm_kernel.c"), os.path.join(native, "common", "isa.c"),
                    os.path.join(native, "common", "interrupt.c"),
                    "-o", exe, "-lm"], check=True, capture_output=True)
    out = subprocess.run([exe], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.splitlines() == ["level generic, tile scalar, bad 0"], out.stdout
