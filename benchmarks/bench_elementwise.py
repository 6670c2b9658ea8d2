"""Elementwise/fused kernel benchmarks: native vs NumPy reference vs PyTorch CPU.

Run: .venv/bin/pytest benchmarks/bench_elementwise.py --benchmark-group-by=group
Each group (one op, one shape, one thread count) is compared as ratios.
fastnn's native modules load before torch: see benchmarks/bench_pool.py.
"""
import numpy as np
import pytest

import fastnn
from fastnn.backends.native import elementwise as nat  # before torch (OpenMP runtime)
from fastnn.backends.numpy_ref import elementwise as ref

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    torch = None

IMPLS = ["native", "reference", "torch"]


@pytest.fixture(params=[1, 2], ids=lambda n: f"{n}thr")
def threads(request):
    fastnn.set_num_threads(request.param)
    if torch is not None:
        torch.set_num_threads(request.param)
    return request.param


def _need_torch(impl):
    if impl == "torch" and torch is None:
        pytest.skip("torch not installed")


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("C", [10, 1000])
def test_cross_entropy_fwd_bwd(benchmark, impl, C, threads):
    _need_torch(impl)
    benchmark.group = f"cross_entropy N256 C{C} fwd+bwd {threads}thr"
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, C)).astype(np.float32)
    t = rng.integers(0, C, 256)
    if impl == "torch":
        tx, tt = torch.tensor(x, requires_grad=True), torch.tensor(t)

        def run():
            tx.grad = None
            F.cross_entropy(tx, tt).backward()
    else:
        mod = nat if impl == "native" else ref
        one = np.array(1.0, np.float32)

        def run():
            _, s = mod.cross_entropy_forward(x, t)
            mod.cross_entropy_backward(one, s)
    benchmark(run)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("shape", [(256, 1024), (64, 32, 26, 26)], ids=["linear", "conv"])
def test_bias_relu_fwd_bwd(benchmark, impl, shape, threads):
    _need_torch(impl)
    benchmark.group = f"bias_relu {shape} fwd+bwd {threads}thr"
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    b = rng.standard_normal(shape[1]).astype(np.float32)
    dy = rng.standard_normal(shape).astype(np.float32)
    if impl == "torch":
        tx = torch.tensor(x, requires_grad=True)
        tb = torch.tensor(b, requires_grad=True)
        tdy = torch.tensor(dy)
        view = (-1,) + (1,) * (len(shape) - 2)

        def run():
            tx.grad = tb.grad = None
            torch.relu(tx + tb.view(view)).backward(tdy)
    else:
        mod = nat if impl == "native" else ref

        def run():
            _, s = mod.bias_relu_forward(x, b, 1)
            mod.bias_relu_backward(dy, s)
    benchmark(run)
