"""GEMM benchmarks: reference (np.matmul) vs native default path vs fastnn's own
GEMM vs torch.matmul, square and the tall-skinny shapes of im2col convolution,
float32/float64, 1 and 2 threads. Compare within a group (same shape, dtype
and thread count); quote ratios from one run.

    OPENBLAS_CORETYPE= OPENBLAS_L2_SIZE= \
    .venv/bin/pytest benchmarks/bench_gemm.py --benchmark-group-by=group \
        --benchmark-columns=median,iqr,rounds

(unset OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE in the benchmark command only, so
that NumPy's OpenBLAS picks its own kernel for this CPU; the banner line
printed by the session fixture says which one it uses.)
"""
import numpy as np
import pytest

import fastnn
from fastnn.backends.numpy_ref import gemm as ref

nat = pytest.importorskip("fastnn.backends.native.gemm")
_gemm = pytest.importorskip("fastnn.backends.native.gemm._gemm")

SHAPES = {  # name: (m, k, n)
    "sq256": (256, 256, 256),
    "sq512": (512, 512, 512),
    "sq1024": (1024, 1024, 1024),
    "conv1_im2col": (64 * 26 * 26, 9, 32),
    "conv2_wcols": (32, 288, 64 * 11 * 11),
}


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


IMPLS = ["reference", "native", "fastnn", "torch"]


@pytest.fixture(scope="session", autouse=True)
def report_blas():
    from fastnn import _blas
    print(f"\n[bench_gemm] NumPy's BLAS: {', '.join(_blas.describe()) or 'unknown'}, "
          f"threads={_blas.get_num_threads()}")
    print(f"[bench_gemm] fastnn GEMM variant: {_gemm.current_variant()}")


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("impl", IMPLS)
def test_matmul(benchmark, impl, shape, dtype, threads):
    m, k, n = SHAPES[shape]
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    fastnn.set_num_threads(threads)
    benchmark.group = f"matmul {shape} {dtype} t{threads}"
    if impl == "torch":
        torch = _torch()
        if torch is None:
            pytest.skip("torch not installed")
        torch.set_num_threads(threads)
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        benchmark(torch.matmul, ta, tb)
        return
    fn = {"reference": ref.matmul, "native": nat.matmul, "fastnn": nat.fastnn_matmul}[impl]
    out = benchmark(fn, a, b)
    assert out.shape == (m, n)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("impl", ["reference", "native", "torch"])
def test_linear_train_step(benchmark, impl, threads):
    """Forward + backward of a 784 -> 256 Linear on a batch of 128 (float32)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 784)).astype(np.float32)
    w = rng.standard_normal((256, 784)).astype(np.float32)
    bias = rng.standard_normal(256).astype(np.float32)
    dy = rng.standard_normal((128, 256)).astype(np.float32)
    fastnn.set_num_threads(threads)
    benchmark.group = f"linear 128x784->256 t{threads}"
    if impl == "torch":
        torch = _torch()
        if torch is None:
            pytest.skip("torch not installed")
        torch.set_num_threads(threads)
        tx, tw, tbias = (torch.from_numpy(v) for v in (x, w, bias))
        tw.requires_grad_(True)
        tbias.requires_grad_(True)
        tdy = torch.from_numpy(dy)

        def step():
            y = torch.nn.functional.linear(tx, tw, tbias)
            y.backward(tdy)
        benchmark(step)
        return
    mod = ref if impl == "reference" else nat

    def step():
        y, saved = mod.linear_forward(x, w, bias)
        return mod.linear_backward(dy, saved)
    benchmark(step)


def ratio_table(rounds=5, block_s=0.04, rest_s=0.15):
    """Ratios reference/impl, measured interleaved: on a shared machine the
    load changes from second to second, so every implementation is timed in
    short blocks taking turns, with a pause between blocks that lets NumPy's
    OpenBLAS workers (which busy-wait ~0.1 s after each call) go to sleep,
    and the median block is kept.

        python benchmarks/bench_gemm.py
    """
    import time
    torch = _torch()
    impls = {"reference": ref.matmul, "native": nat.matmul, "fastnn": nat.fastnn_matmul}
    print(f"fastnn GEMM variant: {_gemm.current_variant()}")
    for threads in (1, 2):
        fastnn.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        for dtype in ("float32", "float64"):
            for shape, (m, k, n) in SHAPES.items():
                rng = np.random.default_rng(0)
                a = rng.standard_normal((m, k)).astype(dtype)
                b = rng.standard_normal((k, n)).astype(dtype)
                calls = {name: (lambda f=f: f(a, b)) for name, f in impls.items()}
                if torch is not None:
                    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
                    calls["torch"] = lambda: torch.matmul(ta, tb)
                reps = {}
                for name, f in calls.items():
                    f()
                    t0 = time.perf_counter()
                    f()
                    reps[name] = max(1, int(block_s / max(time.perf_counter() - t0, 1e-7)))
                times = {name: [] for name in calls}
                for r in range(rounds):
                    order = list(calls)[r % len(calls):] + list(calls)[:r % len(calls)]
                    for name in order:
                        time.sleep(rest_s)
                        f = calls[name]
                        t0 = time.perf_counter()
                        for _ in range(reps[name]):
                            f()
                        times[name].append((time.perf_counter() - t0) / reps[name])
                med = {name: float(np.median(v)) for name, v in times.items()}
                base = med["reference"]
                cols = "  ".join(f"{name}={base / t:5.2f}x" for name, t in med.items() if name != "reference")
                print(f"t{threads} {dtype:8s} {shape:13s} {m}x{k}x{n:<6d} ref {base * 1e3:8.3f} ms  {cols}",
                      flush=True)


if __name__ == "__main__":
    ratio_table()
