"""fastnn.distributions: Categorical, Normal, Bernoulli against closed forms (NumPy),
finite differences through log_prob, sampling frequencies, and torch.distributions where
installed."""
import numpy as np
import pytest

import fastnn
from fastnn.distributions import Bernoulli, Categorical, Normal


def test_categorical_log_prob_entropy_and_grad_match_numpy():
    p = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]], np.float64)
    probs = fastnn.tensor(p, requires_grad=True)
    m = Categorical(probs)
    a = fastnn.tensor([1, 2])
    lp = m.log_prob(a)
    np.testing.assert_allclose(lp.detach().numpy(), np.log([0.3, 0.8]), rtol=1e-12)
    np.testing.assert_allclose(m.entropy().detach().numpy(), -(p * np.log(p)).sum(1), rtol=1e-12)
    lp.sum().backward()
    # d/dp_j log(p_a / sum p) = [j == a] / p_a - 1 / sum p
    expect = -np.ones_like(p)
    expect[0, 1] += 1 / 0.3
    expect[1, 2] += 1 / 0.8
    np.testing.assert_allclose(probs.grad.numpy(), expect, rtol=1e-10)
    assert m.batch_shape == (2,) and m.event_shape == ()


def test_categorical_logits_normalised_and_broadcast_log_prob():
    logits = fastnn.tensor([[1.0, 2.0, 0.5]], dtype=fastnn.float64)
    m = Categorical(logits=logits)
    ref = np.array([1.0, 2.0, 0.5]) - np.log(np.exp([1.0, 2.0, 0.5]).sum())
    np.testing.assert_allclose(m.logits.numpy()[0], ref, rtol=1e-12)
    np.testing.assert_allclose(m.probs.numpy()[0], np.exp(ref), rtol=1e-12)
    v = fastnn.tensor([[0], [1], [2]])  # (3, 1) against batch (1,)
    np.testing.assert_allclose(m.log_prob(v).numpy(), ref.reshape(3, 1), rtol=1e-12)


def test_categorical_sample_shape_frequencies_and_seed():
    m = Categorical(fastnn.tensor([0.1, 0.6, 0.3]))
    fastnn.manual_seed(0)
    s = m.sample((20000,))
    assert tuple(s.shape) == (20000,) and s.dtype == fastnn.int64
    freq = np.bincount(s.numpy(), minlength=3) / 20000
    np.testing.assert_allclose(freq, [0.1, 0.6, 0.3], atol=0.015)
    fastnn.manual_seed(0)
    assert np.array_equal(m.sample((20000,)).numpy(), s.numpy())
    assert tuple(Categorical(fastnn.ones(4, 5)).sample((2, 3)).shape) == (2, 3, 4)


def test_categorical_bad_arguments():
    with pytest.raises(ValueError, match="probs.*logits"):
        Categorical()
    with pytest.raises(ValueError, match="probs.*logits"):
        Categorical(probs=fastnn.ones(3), logits=fastnn.ones(3))
    with pytest.raises(TypeError, match="Tensor"):
        Categorical([0.5, 0.5])
    with pytest.raises(ValueError, match="value must be in"):
        Categorical(fastnn.ones(3)).log_prob(fastnn.tensor(3))


def test_normal_log_prob_entropy_rsample_grad():
    loc = fastnn.tensor([0.5, -1.0], dtype=fastnn.float64, requires_grad=True)
    scale = fastnn.tensor([2.0, 0.5], dtype=fastnn.float64, requires_grad=True)
    m = Normal(loc, scale)
    v = np.array([1.0, 0.0])
    lp = m.log_prob(fastnn.tensor(v, dtype=fastnn.float64))
    l, s = np.array([0.5, -1.0]), np.array([2.0, 0.5])
    ref = -((v - l) ** 2) / (2 * s ** 2) - np.log(s) - 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(lp.detach().numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(m.entropy().detach().numpy(),
                               0.5 + 0.5 * np.log(2 * np.pi) + np.log(s), rtol=1e-12)
    lp.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), (v - l) / s ** 2, rtol=1e-12)
    np.testing.assert_allclose(scale.grad.numpy(), (v - l) ** 2 / s ** 3 - 1 / s, rtol=1e-12)
    fastnn.manual_seed(1)
    x = m.rsample((50000,))
    assert tuple(x.shape) == (50000, 2)
    np.testing.assert_allclose(x.detach().numpy().mean(0), l, atol=0.03)
    np.testing.assert_allclose(x.detach().numpy().std(0), s, rtol=0.02)
    assert not m.sample().requires_grad
    with pytest.raises(ValueError, match="scale"):
        Normal(0.0, -1.0)


def test_bernoulli_log_prob_entropy():
    p = np.array([0.2, 0.9])
    m = Bernoulli(probs=fastnn.tensor(p, dtype=fastnn.float64))
    v = np.array([1.0, 0.0])
    np.testing.assert_allclose(m.log_prob(fastnn.tensor(v, dtype=fastnn.float64)).numpy(),
                               np.log(np.where(v == 1, p, 1 - p)), rtol=1e-9)
    np.testing.assert_allclose(m.entropy().numpy(), -(p * np.log(p) + (1 - p) * np.log(1 - p)),
                               rtol=1e-9)
    fastnn.manual_seed(0)
    s = Bernoulli(logits=fastnn.zeros(20000)).sample()
    assert abs(float(s.mean()) - 0.5) < 0.02


def test_matches_torch_distributions():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((3, 5))
    value = rng.integers(0, 5, (4, 3))
    for make, tmake in ((lambda x: Categorical(logits=x), lambda x: torch.distributions.Categorical(logits=x)),
                        (lambda x: Categorical(probs=x.exp()), lambda x: torch.distributions.Categorical(probs=x.exp()))):
        fx = fastnn.tensor(logits, requires_grad=True)
        tx = torch.tensor(logits, requires_grad=True)
        f, t = make(fx), tmake(tx)
        fl = f.log_prob(fastnn.tensor(value))
        tl = t.log_prob(torch.tensor(value))
        np.testing.assert_allclose(fl.detach().numpy(), tl.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(f.entropy().detach().numpy(), t.entropy().detach().numpy(), rtol=1e-10)
        (fl.sum() + f.entropy().sum()).backward()
        (tl.sum() + t.entropy().sum()).backward()
        np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    loc, scale, v = rng.standard_normal(4), rng.random(4) + 0.5, rng.standard_normal(4)
    f = Normal(fastnn.tensor(loc), fastnn.tensor(scale))
    t = torch.distributions.Normal(torch.tensor(loc), torch.tensor(scale))
    np.testing.assert_allclose(f.log_prob(fastnn.tensor(v)).numpy(), t.log_prob(torch.tensor(v)).numpy(), rtol=1e-10)
    np.testing.assert_allclose(f.entropy().numpy(), t.entropy().numpy(), rtol=1e-10)
    b = Bernoulli(logits=fastnn.tensor(loc))
    tb = torch.distributions.Bernoulli(logits=torch.tensor(loc))
    bv = (v > 0).astype(np.float64)
    np.testing.assert_allclose(b.log_prob(fastnn.tensor(bv)).numpy(), tb.log_prob(torch.tensor(bv)).numpy(), rtol=1e-9)
    np.testing.assert_allclose(b.entropy().numpy(), tb.entropy().numpy(), rtol=1e-9)
