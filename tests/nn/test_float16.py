"""float16 inputs to conv, linear, matmul, pooling, softmax, cross_entropy and relu:
computed in float32 and rounded once to float16, as PyTorch's CPU path does, gradients
too. Held bit-exactly to fastnn's own float32 computation, and to PyTorch within
float16 rounding where it is installed."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import nn

rng = np.random.default_rng(3)
X = rng.standard_normal((2, 3, 8, 8)).astype(np.float16)
W = (rng.standard_normal((4, 3, 3, 3)) * 0.3).astype(np.float16)
B = rng.standard_normal(4).astype(np.float16)
T = np.array([1, 3])

OPS = {
    "conv2d": (lambda m, t: m.conv2d(t(X), t(W), t(B), padding=1), 3),
    "conv2d stride 2 no bias": (lambda m, t: m.conv2d(t(X), t(W), stride=2), 2),
    "conv1d": (lambda m, t: m.conv1d(t(X[:, :, 0]), t(W[:, :, 0]), t(B), stride=2), 3),
    "linear": (lambda m, t: m.linear(t(X.reshape(2, -1)[:, :27]), t(W.reshape(4, 27)), t(B)), 3),
    "max_pool2d": (lambda m, t: m.max_pool2d(t(X), 2), 1),
    "avg_pool2d": (lambda m, t: m.avg_pool2d(t(X), 3, stride=2, padding=1), 1),
    "adaptive_avg_pool2d": (lambda m, t: m.adaptive_avg_pool2d(t(X), (3, 5)), 1),
    "softmax": (lambda m, t: m.softmax(t(X), 1), 1),
    "log_softmax": (lambda m, t: m.log_softmax(t(X), -1), 1),
    "cross_entropy": (lambda m, t: m.cross_entropy(t(X.reshape(2, -1)[:, :10]), t(T)), 1),
    "relu": (lambda m, t: m.relu(t(X)), 1),
}


def _run(fn, dtype):
    """(output, gradients of sum(output)) with fastnn, float inputs cast to dtype."""
    leaves = []

    def t(a):
        if a.dtype.kind != "f":
            return fastnn.tensor(a)
        leaf = fastnn.tensor(a.astype(dtype), requires_grad=True)
        leaves.append(leaf)
        return leaf
    y = fn(F, t)
    y.sum().backward()
    return y, [leaf.grad for leaf in leaves]


@pytest.fixture(params=["numpy", "native"])
def backend(request):
    if request.param == "native" and not fastnn.backends.native_available():
        pytest.skip("native kernels not built")
    with fastnn.use_backend(request.param):
        yield request.param


@pytest.mark.parametrize("name", list(OPS))
def test_float16_is_float32_rounded_once(backend, name):
    fn, _ = OPS[name]
    y16, g16 = _run(fn, np.float16)
    y32, g32 = _run(fn, np.float32)
    assert y16.dtype == np.float16
    np.testing.assert_array_equal(y16.detach().numpy(), y32.detach().numpy().astype(np.float16))
    for a, b in zip(g16, g32):
        assert a.dtype == np.float16
        np.testing.assert_array_equal(a.numpy(), b.numpy().astype(np.float16))


def test_float16_matmul_is_float32_rounded_once():
    a = fastnn.tensor(X.reshape(6, -1)[:, :8], requires_grad=True)
    b = fastnn.tensor(X.reshape(-1, 8)[:8].T.copy(), requires_grad=True)
    y = a @ b
    y.sum().backward()
    a32, b32 = a.detach().float(), b.detach().float()
    assert y.dtype == np.float16
    np.testing.assert_array_equal(y.detach().numpy(), (a32 @ b32).numpy().astype(np.float16))
    assert a.grad.dtype == np.float16 and b.grad.dtype == np.float16


@pytest.mark.parametrize("name", list(OPS))
def test_float16_matches_torch(name):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF
    fn, ulps = OPS[name]
    leaves = []

    def t(a):
        leaf = torch.tensor(a, requires_grad=a.dtype.kind == "f")
        if a.dtype.kind == "f":
            leaves.append(leaf)
        return leaf
    want = fn(TF, t)
    want.sum().backward()
    got, grads = _run(fn, np.float16)
    assert str(want.dtype) == "torch.float16"
    eps = float(np.finfo(np.float16).eps)

    def close(g, w):
        w = w.astype(np.float32)
        # a few float16 ulps: the two libraries sum in different orders before rounding
        np.testing.assert_allclose(g.astype(np.float32), w, rtol=ulps * eps,
                                   atol=ulps * eps * max(1.0, float(np.abs(w).max())))
    close(got.detach().numpy(), want.detach().numpy())
    for g, w in zip(grads, leaves):
        close(g.numpy(), w.grad.numpy())


def test_mixed_float16_and_float32_still_refused():
    with pytest.raises(TypeError, match="dtype"):
        F.conv2d(fastnn.tensor(X), fastnn.tensor(W.astype(np.float32)))


def test_float16_cnn_trains():
    fastnn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, dtype=fastnn.float16), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 5, dtype=fastnn.float16))
    opt = fastnn.optim.SGD(model.parameters(), lr=0.05)
    x, y = fastnn.tensor(X), fastnn.tensor(np.array([1, 4]))
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert loss.dtype == np.float16
    assert all(p.dtype == np.float16 for p in model.parameters())
    assert losses[-1] < losses[0] * 0.5
