"""Optimizer-step benchmarks: native fused step vs NumPy reference vs torch.optim, 1 and 2 threads.

Run: .venv/bin/pytest benchmarks/bench_optim.py --benchmark-group-by=group
Each group (one optimizer, one thread count) is compared as ratios. The
parameters are an MLP's layers, 1,000,640 float32 values in four tensors
(Linear 784->1024 and 1024->192 with biases), every one with a gradient, so a
step is one pass over ~1M parameters and their state. torch runs its default
(for-loop) implementation, what torch.optim gives on the CPU.
fastnn's native modules load before torch: see benchmarks/bench_pool.py.
"""
import numpy as np
import pytest

import fastnn
from fastnn import optim
from fastnn.backends import use_backend
from fastnn.backends.native import optim as _nat  # noqa: F401  before torch (OpenMP runtime)

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

SHAPES = [(1024, 784), (1024,), (192, 1024), (192,)]
IMPLS = ["native", "reference", "torch"]
OPTIMIZERS = {
    "Adam": dict(lr=1e-3),
    "AdamW": dict(lr=1e-3),
    "SGD": dict(lr=1e-2, momentum=0.9),
    "RMSprop": dict(lr=1e-3),
    "Adagrad": dict(lr=1e-2),
}


@pytest.fixture(params=[1, 2], ids=lambda n: f"{n}thr")
def threads(request):
    fastnn.set_num_threads(request.param)
    if torch is not None:
        torch.set_num_threads(request.param)
    return request.param


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_step(benchmark, impl, name, threads):
    if impl == "torch" and torch is None:
        pytest.skip("torch not installed")
    benchmark.group = f"{name} step, 1M params, {threads}thr"
    rng = np.random.default_rng(0)
    params = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    kw = OPTIMIZERS[name]
    if impl == "torch":
        ps = [torch.nn.Parameter(torch.from_numpy(p)) for p in params]
        for p, g in zip(ps, grads):
            p.grad = torch.from_numpy(g)
        opt = getattr(torch.optim, name)(ps, **kw)
        run = opt.step
    else:
        ps = [fastnn.nn.Parameter(fastnn.from_numpy(p)) for p in params]
        for p, g in zip(ps, grads):
            p.grad = fastnn.from_numpy(g)
        opt = getattr(optim, name)(ps, **kw)
        backend = "native" if impl == "native" else "numpy"

        def run():
            with use_backend(backend):
                opt.step()
    run()  # state created outside the timing
    benchmark(run)
