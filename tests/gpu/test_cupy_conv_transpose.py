"""The cupy backend's transposed convolution held to the NumPy reference and to
finite differences (host emulation everywhere, the GPU where there is one)."""
import numpy as np
import pytest

from fastnn.backends.cupy import conv_transpose as gct
from fastnn.backends.numpy_ref import conv_transpose as rct
from fastnn.testing import assert_grads_close, numerical_grads

RNG = np.random.default_rng(11)

CASES = [  # x shape, w shape, stride, padding, output_padding, groups, dilation
    ((2, 3, 4, 5), (3, 2, 3, 2), 2, 1, 1, 1, 1),
    ((1, 4, 3, 4), (4, 3, 2, 3), (2, 1), (1, 0), (1, 0), 2, (1, 2)),
    ((2, 2, 3, 3), (2, 1, 3, 3), 1, 0, 1, 1, 2),   # output_padding >= stride, < dilation
]


def rand(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_conv_transpose2d_matches_reference(dev, dtype, case):
    xs, ws, s, p, op, g, d = case
    x, w = rand(*xs, dtype=dtype), rand(*ws, dtype=dtype)
    b = rand(ws[1] * g, dtype=dtype)
    y, sv = gct.conv_transpose2d_forward(dev.to(x), dev.to(w), dev.to(b), s, p, op, g, d)
    yr, svr = rct.conv_transpose2d_forward(x, w, b, s, p, op, g, d)
    tol = dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(dev.host(y), yr, **tol)
    dy = rand(*yr.shape, dtype=dtype)
    for got, want in zip(gct.conv_transpose2d_backward(dev.to(dy), sv),
                         rct.conv_transpose2d_backward(dy, svr)):
        np.testing.assert_allclose(dev.host(got), want, **tol)


def test_conv_transpose1d_finite_differences(dev):
    x, w, b = rand(2, 2, 4), rand(2, 3, 3), rand(3)
    args = (2, 1, 1, 1, 1)
    y, sv = gct.conv_transpose1d_forward(dev.to(x), dev.to(w), dev.to(b), *args)
    dy = rand(*y.shape)
    f = lambda *a: dev.host(gct.conv_transpose1d_forward(*[dev.to(v) for v in a], *args)[0])
    assert_grads_close([dev.host(g) for g in gct.conv_transpose1d_backward(dev.to(dy), sv)],
                       numerical_grads(f, [x, w, b], dy), names=["x", "w", "b"])
