"""nn.ConvTranspose1d/2d and F.conv_transpose*: PyTorch's parameters, numbers and
output_size rule; autograd through the layer, on both CPU backends."""
import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F


def _load_from_torch(m, t):
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})


@pytest.mark.parametrize("backend", ["numpy", "native"])
@pytest.mark.parametrize("nd,kwargs", [
    (2, dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, output_padding=1)),
    (2, dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 1), groups=2,
             dilation=(1, 2), bias=False)),
    (1, dict(in_channels=3, out_channels=5, kernel_size=4, stride=2, padding=1)),
])
def test_layer_matches_torch(backend, nd, kwargs):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t = getattr(torch.nn, f"ConvTranspose{nd}d")(**kwargs)
    with fastnn.use_backend(backend):
        m = getattr(nn, f"ConvTranspose{nd}d")(**kwargs)
        assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == \
            [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
        _load_from_torch(m, t)
        x = np.random.default_rng(1).standard_normal((2, kwargs["in_channels"]) + (5,) * nd)
        x = x.astype(np.float32)
        xf = fastnn.tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        y, yt = m(xf), t(xt)
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
        (y * y).sum().backward()
        (yt * yt).sum().backward()
        np.testing.assert_allclose(xf.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(m.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-4,
                                   atol=1e-3)
    assert repr(m) == repr(t)


def test_output_size_picks_output_padding():
    torch = pytest.importorskip("torch")
    t = torch.nn.ConvTranspose2d(3, 2, 3, stride=3, padding=1)
    m = nn.ConvTranspose2d(3, 2, 3, stride=3, padding=1)
    _load_from_torch(m, t)
    x = np.random.default_rng(2).standard_normal((1, 3, 4, 4)).astype(np.float32)
    for size in [(10, 10), (11, 12), [1, 2, 12, 10]]:
        y = m(fastnn.tensor(x), output_size=size)
        yt = t(torch.tensor(x), output_size=size)
        assert tuple(y.shape) == tuple(yt.shape)
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="valid sizes range from 10 to 12"):
        m(fastnn.tensor(x), output_size=(13, 10))


def test_unbatched_input_and_init_scale():
    m = nn.ConvTranspose2d(8, 4, 3, stride=2)
    x = fastnn.randn(8, 5, 5)
    assert tuple(m(x).shape) == (4, 11, 11)
    # kaiming_uniform(a=sqrt(5)) on fan_in = weight.shape[1] * k*k, as PyTorch
    bound = 1 / np.sqrt(4 * 9)
    w = m.weight.detach().numpy()
    assert w.shape == (8, 4, 3, 3) and np.abs(w).max() <= bound and np.abs(w).max() > bound / 2


def test_dcgan_generator_trains():
    fastnn.manual_seed(0)
    g = nn.Sequential(nn.ConvTranspose2d(8, 16, 4, 1, 0, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                      nn.ConvTranspose2d(16, 1, 4, 2, 1, bias=False), nn.Tanh())
    z = fastnn.randn(4, 8, 1, 1)
    target = fastnn.randn(4, 1, 8, 8).tanh()
    opt = fastnn.optim.Adam(g.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.mse_loss(g(z), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="zeros"):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="divisible"):
        nn.ConvTranspose2d(3, 2, 3, groups=2)
    with pytest.raises(ValueError, match="padding"):
        F.conv_transpose2d(fastnn.randn(1, 2, 3, 3), fastnn.randn(2, 2, 3, 3), padding="same")
