"""fastnn.nn.utils.clip_grad_norm_ / clip_grad_value_ / parameter vectors, held to torch."""
import math

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
from fastnn.nn.utils import (clip_grad_norm_, clip_grad_value_, get_total_norm,
                             parameters_to_vector, vector_to_parameters)

SHAPES = [(3, 4), (5,), (2, 1, 3)]


def _params_with_grads(rng, scale=1.0, dtype=np.float32):
    ps, ts = [], []
    torch = pytest.importorskip("torch")
    for shape in SHAPES:
        g = (rng.standard_normal(shape) * scale).astype(dtype)
        p = nn.Parameter(fastnn.tensor(np.zeros(shape, dtype)))
        p.grad = fastnn.tensor(g.copy())
        t = torch.nn.Parameter(torch.zeros(shape, dtype=getattr(torch, np.dtype(dtype).name)))
        t.grad = torch.tensor(g.copy())
        ps.append(p)
        ts.append(t)
    return ps, ts


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e4])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    ps, ts = _params_with_grads(rng)
    nt = float(norm_type)
    fn = clip_grad_norm_(ps, max_norm, norm_type=nt)
    tn = torch.nn.utils.clip_grad_norm_(ts, max_norm, norm_type=nt)
    assert isinstance(fn, fastnn.Tensor) and fn.shape == () and fn.dtype == np.float32
    np.testing.assert_allclose(fn.item(), tn.item(), rtol=1e-6)
    for p, t in zip(ps, ts):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-7)
    if max_norm > fn.item():  # nothing to clip: gradients unchanged in value
        rng2 = np.random.default_rng(0)
        for p, shape in zip(ps, SHAPES):
            np.testing.assert_allclose(p.grad.numpy(), rng2.standard_normal(shape), rtol=1e-6)
    else:  # clipped: the new norm is max_norm
        np.testing.assert_allclose(get_total_norm([p.grad for p in ps], nt).item(), max_norm,
                                   rtol=1e-5)


def test_clip_grad_norm_single_tensor_none_grads_and_empty():
    p = nn.Parameter(fastnn.tensor(np.zeros(3, np.float32)))
    q = nn.Parameter(fastnn.tensor(np.zeros(2, np.float32)))  # no grad: skipped
    p.grad = fastnn.tensor(np.array([3.0, 4.0, 0.0], np.float32))
    n = clip_grad_norm_(p, 1.0)
    assert n.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8, 0.0], rtol=1e-5)
    assert clip_grad_norm_([q], 1.0).item() == 0.0
    assert q.grad is None
    assert clip_grad_norm_([], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    p = nn.Parameter(fastnn.tensor(np.zeros(2, np.float32)))
    p.grad = fastnn.tensor(np.array([np.inf, 1.0], np.float32))
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isinf(clip_grad_norm_([p], 1.0).item())


def test_clip_grad_value_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    ps, ts = _params_with_grads(rng, scale=2.0)
    assert clip_grad_value_(ps, 0.7) is None
    torch.nn.utils.clip_grad_value_(ts, 0.7)
    for p, t in zip(ps, ts):
        assert p.grad.dtype == np.float32
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())
        assert np.abs(p.grad.numpy()).max() <= 0.7


def test_clip_in_a_training_step_of_an_lstm():
    """clip_grad_norm_ on a real model's parameters after backward, then one SGD step."""
    fastnn.manual_seed(0)
    m = nn.LSTM(3, 5)
    x = fastnn.randn(4, 2, 3)
    out, _ = m(x)
    (out * 100).sum().backward()
    before = clip_grad_norm_(m.parameters(), 0.1)
    assert before.item() > 0.1
    assert get_total_norm([p.grad for p in m.parameters()]).item() == pytest.approx(0.1, rel=1e-4)


def test_parameters_vector_roundtrip():
    m = nn.Linear(3, 2)
    v = parameters_to_vector(m.parameters())
    assert v.shape == (8,)
    np.testing.assert_array_equal(v.detach().numpy()[:6], m.weight.detach().numpy().ravel())
    new = fastnn.tensor(np.arange(8, dtype=np.float32))
    vector_to_parameters(new, m.parameters())
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(m.bias.detach().numpy(), [6, 7])
    # differentiable: d(sum(v * c))/dp = c
    c = np.arange(8, dtype=np.float32) + 1
    (parameters_to_vector(m.parameters()) * fastnn.tensor(c)).sum().backward()
    np.testing.assert_array_equal(m.weight.grad.numpy().ravel(), c[:6])
    with pytest.raises(ValueError, match="elements"):
        vector_to_parameters(fastnn.tensor(np.zeros(5, np.float32)), m.parameters())
    # the message names the argument and fastnn's type (it used to say torch.Tensor)
    with pytest.raises(TypeError, match="vec must be a fastnn Tensor, got ndarray"):
        vector_to_parameters(np.zeros(8, np.float32), m.parameters())
