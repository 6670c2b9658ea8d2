"""The cupy backend's attention held to the NumPy reference (host emulation everywhere,
the GPU where there is one)."""
import numpy as np
import pytest

from fastnn.backends.cupy import attention as gat
from fastnn.backends.numpy_ref import attention as rat

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("causal,bias,keep,empty", [(False, None, False, "zero"),
                                                     (True, "shared", True, "zero"),
                                                     (False, "full", False, "nan")])
def test_attention_matches_reference(dev, dtype, causal, bias, keep, empty):
    b, L, S = 3, 4, 6
    q, k, v = (RNG.standard_normal(s).astype(dtype) for s in ((b, L, 5), (b, S, 5), (b, S, 2)))
    bb = None
    if bias is not None:
        bb = RNG.standard_normal((1 if bias == "shared" else b, L, S)).astype(dtype)
        bb[0, 1, :] = -np.inf  # a query with nothing to attend to
    kp = (RNG.random((b, L, S)) > 0.3).astype(dtype) / dtype(0.7) if keep else None
    args = (0.5, causal)
    out, w, saved = gat.attention_forward(dev.to(q), dev.to(k), dev.to(v),
                                          None if bb is None else dev.to(bb), *args,
                                          None if kp is None else dev.to(kp), empty)
    out_r, w_r, saved_r = rat.attention_forward(q, k, v, bb, *args, kp, empty)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dev.host(out), out_r, **tol)
    np.testing.assert_allclose(dev.host(w), w_r, **tol)
    dout, dw = RNG.standard_normal(out_r.shape).astype(dtype), RNG.standard_normal(w_r.shape).astype(dtype)
    for got, want in zip(gat.attention_backward(dev.to(dout), saved, dev.to(dw)),
                         rat.attention_backward(dout, saved_r, dw)):
        np.testing.assert_allclose(dev.host(got), want, **tol)
