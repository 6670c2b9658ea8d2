"""Pooling benchmarks: native vs NumPy reference vs PyTorch CPU, at 1 and 2 threads.

Run: .venv/bin/pytest benchmarks/bench_pool.py --benchmark-group-by=param:case,param:threads
Compare the rows of one group (same case, same thread count) as ratios.

fastnn's native modules are imported before torch on purpose: torch ships its
own libgomp, and whichever OpenMP runtime loads second shares the process with
the first one's spinning threads, which slows fastnn's 2-thread runs ~20x here.
"""
import numpy as np
import pytest

import fastnn
from fastnn.backends.native import pool as nat  # before torch, see above
from fastnn.backends.numpy_ref import pool as ref

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    torch = None

CASES = {
    # name: (shape, kwargs)
    "max2x2_N64C32_26": ((64, 32, 26, 26), dict(kernel_size=2, stride=2, padding=0)),
    "max3x3s2p1_N32C64_28": ((32, 64, 28, 28), dict(kernel_size=3, stride=2, padding=1)),
    "avg2x2_N64C32_26": ((64, 32, 26, 26), dict(kernel_size=2, stride=2, padding=0)),
}
IMPLS = ["native", "reference", "torch"]


@pytest.fixture(params=[1, 2], ids=lambda n: f"{n}thr")
def threads(request):
    fastnn.set_num_threads(request.param)
    if torch is not None:
        torch.set_num_threads(request.param)
    return request.param


def _fwd_bwd(impl, case):
    shape, kw = CASES[case]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    kind = "max" if case.startswith("max") else "avg"
    if impl == "torch":
        if torch is None:
            pytest.skip("torch not installed")
        tx = torch.tensor(x, requires_grad=True)
        fn = F.max_pool2d if kind == "max" else F.avg_pool2d

        def run():
            y = fn(tx, **kw)
            tx.grad = None
            y.backward(y.detach())
        return run
    mod = nat if impl == "native" else ref
    fwd = getattr(mod, f"{kind}_pool2d_forward")
    bwd = getattr(mod, f"{kind}_pool2d_backward")

    def run():
        y, saved = fwd(x, **kw)
        bwd(y, saved)
    return run


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", list(CASES))
def test_pool_forward_backward(benchmark, case, impl, threads):
    benchmark.group = f"{case} fwd+bwd {threads}thr"
    run = _fwd_bwd(impl, case)
    if impl == "reference":
        benchmark.pedantic(run, rounds=3, iterations=1)
    else:
        benchmark(run)


@pytest.mark.parametrize("impl", ["native", "torch"])
def test_maxpool2x2_forward(benchmark, impl, threads):
    benchmark.group = f"max2x2 forward {threads}thr"
    x = np.random.default_rng(0).standard_normal((64, 32, 26, 26)).astype(np.float32)
    if impl == "torch":
        if torch is None:
            pytest.skip("torch not installed")
        tx = torch.tensor(x)

        def run():
            with torch.no_grad():
                F.max_pool2d(tx, 2, 2, return_indices=True)
        benchmark(run)
    else:
        benchmark(nat.max_pool2d_forward, x, 2, 2, 0)
