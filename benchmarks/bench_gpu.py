"""The cupy backend vs the native CPU kernels, on one GPU.

    pytest benchmarks/bench_gpu.py --benchmark-group-by=param:case

Skipped without CuPy and a GPU. Every GPU timing ends with a device
synchronize, so it measures the kernels, not the launch queue. Compare ratios
within one run.
"""
import numpy as np
import pytest

import fastnn
from fastnn.backends import backend

if not fastnn.cuda.is_available():
    pytest.skip(f"GPU benchmarks need CUDA: {fastnn.cuda.unavailable_reason()}",
                allow_module_level=True)

import cupy  # noqa: E402

RNG = np.random.default_rng(0)


def _f32(*shape):
    return RNG.standard_normal(shape, dtype=np.float32)


def _conv_step(k):
    def run(x, w, b):
        y, s = k.conv2d_forward(x, w, b, 1, 1, 1, 1)
        return k.conv2d_backward(y, s)
    return run, (_f32(32, 64, 32, 32), _f32(64, 64, 3, 3), _f32(64))


def _lstm_step(k):
    def run(x, h, c, wi, wh, bi, bh):
        y, hn, cn, s = k.lstm_forward(x, h, c, wi, wh, bi, bh)
        return k.lstm_backward(y, hn, cn, s)
    H = 256
    return run, (_f32(50, 32, 128), _f32(32, H), _f32(32, H), _f32(4 * H, 128) * 0.1,
                 _f32(4 * H, H) * 0.1, _f32(4 * H), _f32(4 * H))


def _pool_step(k):
    def run(x):
        y, s = k.max_pool2d_forward(x, 2, 2, 0)
        return k.max_pool2d_backward(y, s)
    return run, (_f32(64, 64, 32, 32),)


def _ce_step(k):
    def run(x, t):
        loss, s = k.cross_entropy_forward(x, t)
        return k.cross_entropy_backward(loss * 0 + 1, s)
    return run, (_f32(4096, 1000), RNG.integers(0, 1000, 4096))


def _gemm(k):
    return (lambda a, b: k.matmul(a, b)), (_f32(2048, 2048), _f32(2048, 2048))


CASES = {"gemm_2048": _gemm, "conv3x3_fwd_bwd": _conv_step, "maxpool_fwd_bwd": _pool_step,
         "lstm_T50_fwd_bwd": _lstm_step, "cross_entropy_fwd_bwd": _ce_step}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("impl", ["cupy", "native"])
def test_gpu_kernels(benchmark, case, impl):
    k = backend(impl)
    run, args = CASES[case](k)
    if impl == "cupy":
        args = tuple(cupy.asarray(a) for a in args)

        def timed():
            out = run(*args)
            cupy.cuda.runtime.deviceSynchronize()
            return out
    else:
        timed = lambda: run(*args)  # noqa: E731
    benchmark(timed)
