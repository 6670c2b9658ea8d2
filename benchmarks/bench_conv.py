"""Convolution forward + backward: NumPy reference vs native vs PyTorch CPU.

    pytest benchmarks/bench_conv.py --benchmark-group-by=param:shape,param:threads

Each benchmark runs one conv2d forward and the full backward (dx, dw, db) on
float32 inputs; compare the ratios within one run (the machines are shared).
"""
import numpy as np
import pytest

import fastnn
from fastnn.backends.native import conv as native
from fastnn.backends.numpy_ref import conv as reference

# name: (N, C, O, k, H, padding)
SHAPES = {
    "N64_1to32_3x3_28": (64, 1, 32, 3, 28, 0),
    "N64_32to64_3x3_13": (64, 32, 64, 3, 13, 0),
    "N32_64to64_3x3_32_pad1": (32, 64, 64, 3, 32, 1),
    "N1_64to64_3x3_32_pad1": (1, 64, 64, 3, 32, 1),
    "N32_64to128_1x1_16": (32, 64, 128, 1, 16, 0),
    "N32_dw64_3x3_32_pad1": (32, 64, 64, 3, 32, 1),
}
THREADS = [1, 2]


def _inputs(name):
    # by name: the depthwise shape's tuple equals the dense one's (and the
    # compiler may make them one object, so `is` cannot tell them apart)
    n, c, o, k, h, p = SHAPES[name]
    groups = c if "_dw" in name else 1
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, h), dtype=np.float32)
    w = rng.standard_normal((o, c // groups, k, k), dtype=np.float32)
    b = rng.standard_normal(o, dtype=np.float32)
    return x, w, b, dict(stride=1, padding=p, dilation=1, groups=groups)


@pytest.fixture(params=THREADS, ids=lambda t: f"threads{t}")
def threads(request):
    fastnn.set_num_threads(request.param)
    try:
        import torch
        torch.set_num_threads(request.param)
    except ImportError:
        pass
    yield request.param


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("impl", ["reference", "native", "torch"])
def test_conv2d_fwd_bwd(benchmark, shape, impl, threads):
    x, w, b, args = _inputs(shape)
    # the upstream gradient is made once: producing it is not the conv's work
    y_shape = reference.conv2d_forward(x[:1], w, b, **args)[0].shape
    dy = np.random.default_rng(1).standard_normal((x.shape[0],) + y_shape[1:], dtype=np.float32)
    benchmark.group = f"{shape} threads={threads}"
    if impl == "torch":
        torch = pytest.importorskip("torch")
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        dyt = torch.from_numpy(dy)

        def run():
            y = torch.nn.functional.conv2d(xt, wt, bt, **args)
            y.backward(dyt)
    else:
        mod = reference if impl == "reference" else native

        def run():
            y, saved = mod.conv2d_forward(x, w, b, **args)
            mod.conv2d_backward(dy, saved)
    rounds = 3 if impl == "reference" else 10
    benchmark.pedantic(run, rounds=rounds, warmup_rounds=1, iterations=1)
