"""Attention kernels: native held to the reference, both to finite differences and
PyTorch (when installed); masks, causal rows, dropout and empty rows; bad input."""
import dataclasses

import numpy as np
import pytest

from fastnn.backends.numpy_ref import attention as ref
from fastnn.testing import assert_grads_close, numerical_grads

try:
    from fastnn.backends.native import attention as nat
except ImportError:  # pragma: no cover - native kernels not built
    nat = None

BACKENDS = [pytest.param(ref, id="numpy"),
            pytest.param(nat, id="native", marks=pytest.mark.skipif(nat is None, reason="native not built"))]
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


def rand(shape, dtype, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def make(dtype, b=3, L=5, S=7, e=4, ev=3, bias="shared", keep=False, seed=0):
    q, k, v = rand((b, L, e), dtype, seed), rand((b, S, e), dtype, seed + 1), rand((b, S, ev), dtype, seed + 2)
    bb = None
    if bias is not None:
        bb = rand((1 if bias == "shared" else b, L, S), dtype, seed + 3)
        bb[0, 1, 2] = -np.inf                     # one blocked pair
    kp = None
    if keep:
        kp = (np.random.default_rng(seed + 4).random((b, L, S)) > 0.3).astype(dtype) / dtype(0.7)
    return q, k, v, bb, kp


def test_same_exports():
    assert nat is not None and sorted(ref.__all__) == sorted(nat.__all__)


@pytest.mark.skipif(nat is None, reason="native not built")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias,causal,keep", [(None, False, False), ("shared", False, False),
                                              ("full", True, False), ("shared", True, True),
                                              (None, True, False)])
def test_native_matches_reference(dtype, bias, causal, keep):
    q, k, v, bb, kp = make(dtype, bias=bias, keep=keep)
    o_r, w_r, s_r = ref.attention_forward(q, k, v, bb, 0.7, causal, kp)
    o_n, w_n, s_n = nat.attention_forward(q, k, v, bb, 0.7, causal, kp)
    np.testing.assert_allclose(o_n, o_r, **TOL[dtype])
    np.testing.assert_allclose(w_n, w_r, **TOL[dtype])
    dout, dw = rand(o_r.shape, dtype, 8), rand(w_r.shape, dtype, 9)
    for g_n, g_r in zip(nat.attention_backward(dout, s_n, dw), ref.attention_backward(dout, s_r, dw)):
        assert g_n.dtype == dtype and g_n.shape == g_r.shape
        np.testing.assert_allclose(g_n, g_r, **TOL[dtype])


@pytest.mark.parametrize("mod", BACKENDS)
@pytest.mark.parametrize("causal,keep", [(False, False), (True, True)])
def test_finite_differences(mod, causal, keep):
    q, k, v, bb, kp = make(np.float64, b=2, L=3, S=4, bias="full", keep=keep)
    bb[0, 1, 2] = -1.0  # finite: the bias gets a finite-difference check too
    out, w, saved = mod.attention_forward(q, k, v, bb, 0.6, causal, kp)
    dout, dw = rand(out.shape, np.float64, 5), rand(w.shape, np.float64, 6)

    def both(q_, k_, v_, b_):  # one scalar-producing pair: out and the weights
        o, w_, _ = mod.attention_forward(q_, k_, v_, b_, 0.6, causal, kp)
        return np.concatenate([o.ravel(), w_.ravel()])
    numeric = numerical_grads(both, [q, k, v, bb], np.concatenate([dout.ravel(), dw.ravel()]))
    assert_grads_close(mod.attention_backward(dout, saved, dw), numeric, rtol=1e-6, atol=1e-8,
                       names=["q", "k", "v", "bias"])


@pytest.mark.parametrize("mod", BACKENDS)
def test_default_scale_and_causal_rows(mod):
    q, k, v, _, _ = make(np.float64, L=4, S=4, e=9, bias=None)
    out, w, _ = mod.attention_forward(q, k, v, causal=True)
    s = q @ k.transpose(0, 2, 1) / 3.0            # 1/sqrt(E), E = 9
    s[:, np.triu_indices(4, 1)[0], np.triu_indices(4, 1)[1]] = -np.inf
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    np.testing.assert_allclose(w, p, rtol=1e-12)
    np.testing.assert_allclose(out, p @ v, rtol=1e-12)
    assert np.all(w[:, 0, 1:] == 0) and np.allclose(w[:, 0, 0], 1)


@pytest.mark.parametrize("mod", BACKENDS)
def test_rows_with_nothing_to_attend(mod):
    q, k, v, bb, _ = make(np.float32, bias="full")
    bb[1, 2, :] = -np.inf
    out, w, saved = mod.attention_forward(q, k, v, bb)
    assert np.all(w[1, 2] == 0) and np.all(out[1, 2] == 0)
    dq = mod.attention_backward(np.ones_like(out), saved)[0]
    assert np.all(dq[1, 2] == 0) and np.isfinite(dq).all()
    out, w, _ = mod.attention_forward(q, k, v, bb, empty_rows="nan")
    assert np.isnan(w[1, 2]).all() and np.isnan(out[1, 2]).all()
    assert np.isfinite(np.delete(w.reshape(-1, w.shape[-1]), 1 * w.shape[1] + 2, axis=0)).all()


@pytest.mark.parametrize("mod", BACKENDS)
def test_matches_torch(mod):
    torch = pytest.importorskip("torch")
    q, k, v, bb, _ = make(np.float32, bias="full")
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    tb = torch.tensor(bb, requires_grad=True)
    to = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=tb, scale=0.4)
    out, _, saved = mod.attention_forward(q, k, v, bb, 0.4)
    np.testing.assert_allclose(out, to.detach().numpy(), rtol=1e-5, atol=1e-6)
    dout = rand(out.shape, np.float32, 3)
    to.backward(torch.tensor(dout))
    for g, t in zip(mod.attention_backward(dout, saved), (tq, tk, tv, tb)):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mod", BACKENDS)
def test_noncontiguous_inputs(mod):
    q, k, v, bb, _ = make(np.float32)
    want = mod.attention_forward(q, k, v, bb)[0]
    qi = np.asfortranarray(q)
    ki = np.repeat(k, 2, axis=2)[..., ::2]
    vi = v.transpose(0, 2, 1).copy().transpose(0, 2, 1)
    np.testing.assert_allclose(mod.attention_forward(qi, ki, vi, bb)[0], want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("mod", BACKENDS)
def test_bad_input_is_rejected(mod):
    q, k, v, bb, _ = make(np.float32)
    with pytest.raises(ValueError, match="k: expected shape"):
        mod.attention_forward(q, k[:, :, :2], v)
    with pytest.raises(ValueError, match="v: expected shape"):
        mod.attention_forward(q, k, v[:, :3])
    with pytest.raises(ValueError, match="bias: expected shape"):
        mod.attention_forward(q, k, v, bb[:, :2])
    with pytest.raises(TypeError, match="k"):
        mod.attention_forward(q, k.astype(np.float64), v)
    with pytest.raises(TypeError, match="scale"):
        mod.attention_forward(q, k, v, scale="big")
    with pytest.raises(ValueError, match="empty_rows"):
        mod.attention_forward(q, k, v, empty_rows="skip")
    out, _, saved = mod.attention_forward(q, k, v)
    with pytest.raises(ValueError, match="dout: expected shape"):
        mod.attention_backward(out[:, :2], saved)
    with pytest.raises(TypeError, match="saved"):
        mod.attention_backward(out, (saved.q, saved.k, saved.v))


@pytest.mark.parametrize("mod", BACKENDS)
def test_edited_saved_contexts_are_rejected(mod):
    q, k, v, bb, _ = make(np.float32)
    out, w, saved = mod.attention_forward(q, k, v, bb)
    p = saved.p
    bad = [dict(p=p[:, :2]), dict(p=p.astype(np.float64)), dict(keep=np.ones((1, 1))),
           dict(v=saved.v[:, :, :1]), dict(scale="x"), dict(q=None)]
    for fields in bad:
        # a consistent edit (v) that changes the output shape is caught at dout instead
        with pytest.raises((TypeError, ValueError), match="^(saved|dout)"):
            mod.attention_backward(out, dataclasses.replace(saved, **fields))
    for s in [(saved.q, saved.k, saved.v, p, None, saved.scale, "attention"), None]:
        with pytest.raises(TypeError, match="^saved: expected the AttentionSaved"):
            mod.attention_backward(out, s)
