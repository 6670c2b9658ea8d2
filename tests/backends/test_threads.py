"""Thread control and the GEMM kernels: results independent of the thread count,
set_num_threads validation, and no collapse when fastnn's OpenMP GEMM and
NumPy's BLAS pool take turns."""
import time

import numpy as np
import pytest

import fastnn

nat = pytest.importorskip("fastnn.backends.native.gemm")


@pytest.fixture
def restore_threads():
    before = fastnn.get_num_threads()
    yield
    fastnn.set_num_threads(before)


@pytest.mark.parametrize("bad", [1.5, "2", None, True, [2]])
def test_set_num_threads_type(bad, restore_threads):
    with pytest.raises(TypeError, match="set_num_threads"):
        fastnn.set_num_threads(bad)


@pytest.mark.parametrize("bad", [0, -1])
def test_set_num_threads_value(bad, restore_threads):
    with pytest.raises(ValueError, match="set_num_threads"):
        fastnn.set_num_threads(bad)


def test_set_num_threads_is_seen(restore_threads):
    for n in (1, 2):
        fastnn.set_num_threads(n)
        assert fastnn.get_num_threads() == n


def _run_all(rng_seed, dtype):
    rng = np.random.default_rng(rng_seed)
    a = rng.standard_normal((150, 230)).astype(dtype)
    b = rng.standard_normal((230, 310)).astype(dtype)
    tall = rng.standard_normal((3000, 9)).astype(dtype)
    w9 = rng.standard_normal((9, 32)).astype(dtype)
    batch_a = rng.standard_normal((6, 40, 50)).astype(dtype)
    batch_b = rng.standard_normal((6, 50, 30)).astype(dtype)
    x = rng.standard_normal((64, 230)).astype(dtype)
    bias = rng.standard_normal(150).astype(dtype)
    dc = rng.standard_normal((150, 310)).astype(dtype)
    y, saved = nat.linear_forward(x, a, bias)
    return [
        nat.fastnn_matmul(a, b),
        nat.fastnn_matmul(b, a, True, True),
        nat.fastnn_matmul(tall, w9),
        nat.matmul(a, b),
        nat.batched_matmul(batch_a, batch_b),
        nat.batched_matmul(batch_a[:1], batch_b),
        *nat.matmul_backward(dc, a, b),
        y,
        *nat.linear_backward(y, saved)[:2],
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("route", ["fastnn", "default"])
def test_one_and_two_threads_identical(dtype, route, restore_threads, monkeypatch):
    if route == "fastnn":
        monkeypatch.setattr(nat, "_use_fastnn", lambda *args: True)
    fastnn.set_num_threads(1)
    one = _run_all(0, dtype)
    fastnn.set_num_threads(2)
    two = _run_all(0, dtype)
    for i, (x, y) in enumerate(zip(one, two)):
        if route == "fastnn":
            # fastnn's GEMM splits tiles, never the k sum, between threads: bit-identical
            np.testing.assert_array_equal(x, y, err_msg=f"result {i}")
        else:
            # the default route may pick another engine for another thread count
            # (gemm.py: _use_fastnn), so only rounding may differ
            np.testing.assert_allclose(x, y, rtol=1e-5 if dtype == np.float32 else 1e-12,
                                       atol=1e-4 if dtype == np.float32 else 1e-12, err_msg=f"result {i}")


def _interleaved_loop(a, b, reps):
    start = time.perf_counter()
    for _ in range(reps):
        nat.fastnn_matmul(a, b)
        np.matmul(a, b)
        nat.fastnn_matmul(a, b, False, True)
        np.matmul(a, b.T)
    return time.perf_counter() - start


def test_interleaving_with_blas_does_not_collapse(restore_threads):
    """fastnn's OpenMP team and the BLAS pool must not fight over the cores.

    A sanity bound, not a speed goal: with 2 threads the loop may not be more
    than 5x slower than the same loop on 1 thread (oversubscription with
    busy-waiting pools shows as 10-100x).
    """
    rng = np.random.default_rng(0)
    a = rng.standard_normal((192, 192)).astype(np.float32)
    b = rng.standard_normal((192, 192)).astype(np.float32)
    # The machine may be shared: another process on one core slows any 2-thread
    # run for a while. That is transient, a fight between fastnn's and BLAS's
    # pools is not, so a pass in any of a few attempts is a pass.
    history = []
    deadline = time.perf_counter() + 20
    while len(history) < 5 and time.perf_counter() < deadline:
        times = {}
        for n in (1, 2, 1, 2):
            fastnn.set_num_threads(n)
            _interleaved_loop(a, b, 3)                  # wake both pools
            t = min(_interleaved_loop(a, b, 40) for _ in range(3))
            times[n] = min(times.get(n, t), t)
        history.append(times)
        if times[2] < 5 * times[1]:
            return
    pytest.fail(f"2 threads more than 5x slower than 1 in every attempt (seconds): {history}")


# ---- one pool: NumPy's BLAS stays on one thread while native kernels compute ----

_blas = pytest.importorskip("fastnn._blas")
needs_known_blas = pytest.mark.skipif(not _blas.available(), reason="NumPy's BLAS is not one fastnn can pin")


@needs_known_blas
def test_blas_on_one_thread_with_native_kernels(restore_threads):
    for n in (1, 2):
        fastnn.set_num_threads(n)
        assert _blas.get_num_threads() == 1
    assert fastnn._threads.blas_single_threaded()


@needs_known_blas
def test_numpy_backend_gives_blas_the_threads(restore_threads):
    fastnn.set_num_threads(2)
    with fastnn.use_backend("numpy"):
        assert _blas.get_num_threads() == 2
        assert not fastnn._threads.blas_single_threaded()
    assert _blas.get_num_threads() == 1


def _in_fresh_process(code, **env):
    import os
    import subprocess
    import sys
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENBLAS", "FASTNN_BLAS"))}
    full_env.update(env)
    from fastnn._child import package_root
    out = subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True, text=True,
                         timeout=120, cwd=package_root())
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


@needs_known_blas
@pytest.mark.parametrize("numpy_first", [True, False])
def test_blas_pinned_whatever_the_import_order(numpy_first):
    """No threadpoolctl, no environment variable read at NumPy's load: the pin
    holds when NumPy (and so its BLAS) was loaded before fastnn."""
    imports = "import numpy, fastnn" if numpy_first else "import fastnn, numpy"
    code = (f"{imports}\nimport sys\n"
            "from fastnn import _blas; print(_blas.get_num_threads(), 'threadpoolctl' in sys.modules)")
    assert _in_fresh_process(code) == ["1", "False"]


@needs_known_blas
def test_blas_threads_override():
    code = "import numpy, fastnn\nfrom fastnn import _blas; print(_blas.get_num_threads())"
    assert _in_fresh_process(code, FASTNN_BLAS_THREADS="2") == ["2"]
    code += "\nfrom fastnn.backends.native import gemm\nprint(gemm._use_fastnn(512, 512, 512, numpy.float32))"
    assert _in_fresh_process(code, FASTNN_BLAS_THREADS="2") == ["2", "True"]
