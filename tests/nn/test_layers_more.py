"""PixelShuffle/Unshuffle, Dropout1d/2d/3d, Upsample/F.interpolate modes, ParameterList/Dict,
weight_norm (both APIs), parametrize, and Module hooks: PyTorch's numbers and names."""
import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F

RNG = np.random.default_rng(0)


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _load_from_torch(m, t):
    assert list(m.state_dict()) == list(t.state_dict())
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})


# --- pixel shuffle --------------------------------------------------------------------
def test_pixel_shuffle_round_trip_and_layout():
    x = fastnn.tensor(np.arange(2 * 8 * 2 * 3, dtype=np.float32).reshape(2, 8, 2, 3))
    y = nn.PixelShuffle(2)(x)
    assert tuple(y.shape) == (2, 2, 4, 6)
    # output pixel (c, h*r + i, w*r + j) comes from channel c*r*r + i*r + j
    xa, ya = x.numpy(), y.numpy()
    assert ya[1, 1, 3, 4] == xa[1, 1 * 4 + 1 * 2 + 0, 1, 2]
    np.testing.assert_array_equal(nn.PixelUnshuffle(2)(y).numpy(), xa)
    with pytest.raises(ValueError, match="divisible"):
        F.pixel_shuffle(fastnn.randn(1, 6, 2, 2), 2)
    with pytest.raises(ValueError, match="upscale_factor"):
        F.pixel_shuffle(x, 0)


def test_pixel_shuffle_matches_torch_with_gradient():
    torch = pytest.importorskip("torch")
    x = rand(3, 2, 18, 4, 5)  # extra leading dim
    fx, tx = fastnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = F.pixel_shuffle(fx, 3), torch.nn.functional.pixel_shuffle(tx, 3)
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    g = rand(*y.shape)
    (y * fastnn.tensor(g)).sum().backward()
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(fx.grad.numpy(), tx.grad.numpy())
    z = rand(2, 3, 8, 6)
    np.testing.assert_array_equal(F.pixel_unshuffle(fastnn.tensor(z), 2).numpy(),
                                  torch.nn.functional.pixel_unshuffle(torch.tensor(z), 2).numpy())


# --- channel dropout ------------------------------------------------------------------
@pytest.mark.parametrize("cls,shape", [(nn.Dropout1d, (4, 16, 5)), (nn.Dropout1d, (16, 5)),
                                       (nn.Dropout2d, (4, 16, 3, 3)), (nn.Dropout3d, (4, 16, 2, 2, 2)),
                                       (nn.Dropout3d, (16, 2, 2, 2))])
def test_channel_dropout_zeroes_whole_channels(cls, shape):
    fastnn.manual_seed(0)
    m = cls(0.5)
    x = fastnn.ones(*shape, requires_grad=True)
    y = m(x)
    lead = 2 if len(shape) in (3, 4, 5) and not (cls is nn.Dropout1d and len(shape) == 2) \
        and not (cls is nn.Dropout3d and len(shape) == 4) else 1
    per_channel = y.detach().numpy().reshape(int(np.prod(shape[:lead])), -1)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.std(axis=1) == 0).all()            # whole channels
    assert 0 < (per_channel[:, 0] == 0).sum() < per_channel.shape[0]
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())  # gradient = the mask
    m.eval()
    assert m(x) is x


def test_channel_dropout_checks_and_3d_warning():
    with pytest.raises(ValueError, match="2-D or 3-D"):
        F.dropout1d(fastnn.ones(2, 3, 4, 5))
    with pytest.raises(ValueError, match="probability"):
        nn.Dropout2d(1.5)(fastnn.ones(1, 2, 2, 2))
    with pytest.warns(UserWarning, match="3D input"):
        y = F.dropout2d(fastnn.ones(2, 8, 5), 0.5)
    assert (y.numpy().std(axis=2) == 0).all()
    assert not F.dropout2d(fastnn.ones(2, 3, 4, 4), 1.0).numpy().any()


# --- interpolate / Upsample -----------------------------------------------------------
MODES = [(1, "nearest"), (1, "nearest-exact"), (1, "linear"), (1, "area"), (2, "nearest"),
         (2, "nearest-exact"), (2, "bilinear"), (2, "bicubic"), (2, "area"), (3, "nearest"),
         (3, "trilinear"), (3, "area")]


@pytest.mark.parametrize("nd,mode", MODES)
def test_interpolate_matches_torch(nd, mode):
    torch = pytest.importorskip("torch")
    x = rand(2, 3, *(5, 7, 4)[:nd])
    calls = [dict(size=(9, 4, 6)[:nd]), dict(scale_factor=1.7), dict(scale_factor=0.6),
             dict(scale_factor=2.5, recompute_scale_factor=True), dict(size=(3, 11, 2)[:nd])]
    if mode in ("linear", "bilinear", "bicubic", "trilinear"):
        calls += [dict(size=(9, 4, 6)[:nd], align_corners=True),
                  dict(scale_factor=1.3, align_corners=True)]
    for kw in calls:
        fx, tx = fastnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y = F.interpolate(fx, mode=mode, **kw)
        ty = torch.nn.functional.interpolate(tx, mode=mode, **kw)
        assert tuple(y.shape) == tuple(ty.shape), kw
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5,
                                   err_msg=str(kw))
        g = rand(*y.shape)
        (y * fastnn.tensor(g)).sum().backward()
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-5,
                                   err_msg=str(kw))


def test_interpolate_float64_finite_differences_bicubic():
    x = rand(1, 1, 3, 4, dtype=np.float64)
    g = rand(1, 1, 5, 7, dtype=np.float64)
    fx = fastnn.tensor(x, requires_grad=True)
    (F.interpolate(fx, size=(5, 7), mode="bicubic") * fastnn.tensor(g)).sum().backward()
    num = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[idx] = 1e-6
        f = [(F.interpolate(fastnn.tensor(x + s * d), size=(5, 7), mode="bicubic").numpy() * g).sum()
             for s in (1, -1)]
        num[idx] = (f[0] - f[1]) / 2e-6
    np.testing.assert_allclose(fx.grad.numpy(), num, rtol=1e-6, atol=1e-8)


def test_upsample_modules_and_errors():
    torch = pytest.importorskip("torch")
    x = rand(1, 2, 3, 4)
    for m, t in [(nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
                 (nn.Upsample(size=(5, 5), mode="bicubic", align_corners=False),
                  torch.nn.Upsample(size=(5, 5), mode="bicubic", align_corners=False)),
                 (nn.UpsamplingNearest2d(scale_factor=3), torch.nn.UpsamplingNearest2d(scale_factor=3)),
                 (nn.UpsamplingBilinear2d(size=(6, 7)), torch.nn.UpsamplingBilinear2d(size=(6, 7)))]:
        np.testing.assert_allclose(m(fastnn.tensor(x)).numpy(), t(torch.tensor(x)).numpy(),
                                   rtol=1e-5, atol=1e-6)
        assert repr(m) == repr(t)
    with pytest.raises(ValueError, match="needs a 4-D"):
        F.interpolate(fastnn.randn(1, 2, 3), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(fastnn.randn(1, 2, 3), scale_factor=2, mode="nearest", align_corners=True)
    with pytest.raises(ValueError, match="mode"):
        F.interpolate(fastnn.randn(1, 2, 3), scale_factor=2, mode="cubic")
    with pytest.raises(ValueError, match="exactly one"):
        F.interpolate(fastnn.randn(1, 2, 3))


# --- parameter containers -------------------------------------------------------------
def test_parameter_list_and_dict():
    pl = nn.ParameterList([fastnn.randn(2, 3), nn.Parameter(fastnn.randn(3))])
    pl.append(fastnn.randn(1))
    pl += [fastnn.randn(4)]
    assert len(pl) == 4 and all(isinstance(p, nn.Parameter) for p in pl)
    assert list(pl.state_dict()) == ["0", "1", "2", "3"]
    assert pl[-1].shape == (4,) and len(pl[1:3]) == 2
    pl[0] = fastnn.zeros(5)
    assert pl[0].shape == (5,) and pl.state_dict()["0"].shape == (5,)
    with pytest.raises(IndexError):
        pl[4]
    pd = nn.ParameterDict({"a": fastnn.randn(2)})
    pd["b"] = fastnn.randn(3)
    pd.update([("c", fastnn.randn(1))])
    assert list(pd.keys()) == ["a", "b", "c"] and list(pd.state_dict()) == ["a", "b", "c"]
    assert "b" in pd and pd.get("z") is None and pd.pop("a").shape == (2,)
    assert list(pd) == ["b", "c"] and len(list(pd.parameters())) == 2

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = nn.ParameterList([fastnn.randn(3, 3) for _ in range(2)])

        def forward(self, x):
            for w in self.ws:
                x = x @ w
            return x
    net = Net()
    net(fastnn.randn(2, 3)).sum().backward()
    assert all(w.grad is not None for w in net.ws)
    assert [k for k, _ in net.named_parameters()] == ["ws.0", "ws.1"]


# --- weight norm ------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, None])
def test_parametrized_weight_norm_matches_torch(dim):
    torch = pytest.importorskip("torch")
    t = torch.nn.utils.parametrizations.weight_norm(torch.nn.Conv2d(3, 4, 3), dim=dim)
    m = nn.utils.parametrizations.weight_norm(nn.Conv2d(3, 4, 3), dim=dim)
    _load_from_torch(m, t)
    x = rand(2, 3, 5, 5)
    y, ty = m(fastnn.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    for k in ("original0", "original1"):
        np.testing.assert_allclose(getattr(m.parametrizations.weight, k).grad.numpy(),
                                   getattr(t.parametrizations.weight, k).grad.numpy(), rtol=1e-4, atol=1e-4)
    # assigning the weight goes through right_inverse
    w = rand(4, 3, 3, 3)
    m.weight = fastnn.tensor(w)
    np.testing.assert_allclose(m.weight.detach().numpy(), w, rtol=1e-5, atol=1e-6)


def test_old_weight_norm_and_removal():
    torch = pytest.importorskip("torch")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.nn.utils.weight_norm(torch.nn.Linear(3, 4))
    m = nn.utils.weight_norm(nn.Linear(3, 4))
    _load_from_torch(m, t)
    x = rand(2, 3)
    y, ty = m(fastnn.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(m.weight_g.grad.numpy(), t.weight_g.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.weight_v.grad.numpy(), t.weight_v.grad.numpy(), rtol=1e-5, atol=1e-6)
    w = m.weight.detach().numpy()
    nn.utils.remove_weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(m.weight.detach().numpy(), w)
    with pytest.raises(ValueError, match="not found"):
        nn.utils.remove_weight_norm(m)


def test_remove_parametrizations_restores_the_class():
    m = nn.utils.parametrizations.weight_norm(nn.Linear(3, 2))
    assert type(m).__name__ == "ParametrizedLinear" and isinstance(m, nn.Linear)
    assert nn.utils.parametrize.is_parametrized(m, "weight")
    w = m.weight.detach().numpy()
    nn.utils.parametrize.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and list(m.state_dict()) == ["bias", "weight"]  # as PyTorch
    np.testing.assert_allclose(m.weight.detach().numpy(), w, rtol=1e-6)
    assert not nn.Linear(2, 2).__class__.__name__.startswith("Parametrized")


# --- hooks ------------------------------------------------------------------------------
def test_full_backward_hook_matches_torch():
    torch = pytest.importorskip("torch")
    t = torch.nn.Linear(3, 2)
    m = nn.Linear(3, 2)
    _load_from_torch(m, t)
    got, want = {}, {}
    h = m.register_full_backward_hook(lambda mod, gi, go: got.update(gi=gi, go=go))
    t.register_full_backward_hook(lambda mod, gi, go: want.update(gi=gi, go=go))
    x = rand(4, 3)
    fx, tx = fastnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (m(fx) ** 2).sum().backward()
    (t(tx) ** 2).sum().backward()
    assert isinstance(got["gi"][0], fastnn.Tensor)
    np.testing.assert_allclose(got["gi"][0].numpy(), want["gi"][0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["go"][0].numpy(), want["go"][0].numpy(), rtol=1e-5, atol=1e-6)
    # a returned grad_input replaces the gradient; removal restores the plain path
    h.remove()
    h2 = m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0,))
    fx2 = fastnn.tensor(x, requires_grad=True)
    m(fx2).sum().backward()
    assert not fx2.grad.numpy().any()
    h2.remove()
    fx3 = fastnn.tensor(x, requires_grad=True)
    m(fx3).sum().backward()
    assert fx3.grad.numpy().any()


def test_backward_hook_with_input_not_requiring_grad_and_pre_hook():
    m = nn.Linear(3, 2)
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go)))
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2,))
    m(fastnn.randn(4, 3)).sum().backward()
    (gi, go), = seen
    assert gi == (None,) and np.allclose(go[0].numpy(), 2.0)
    np.testing.assert_allclose(m.bias.grad.numpy(), [8.0, 8.0])  # 4 rows x doubled gradient


def test_forward_hook_options():
    m = nn.Linear(2, 2)
    order = []
    m.register_forward_hook(lambda mod, a, out: order.append("second"))
    m.register_forward_hook(lambda mod, a, out: order.append("first"), prepend=True)
    h = m.register_forward_hook(lambda mod, a, kw, out: order.append(("kw", kw)), with_kwargs=True)
    m(fastnn.randn(1, 2))
    assert order == ["first", "second", ("kw", {})]
    h.remove()
    pre = m.register_forward_pre_hook(lambda mod, a, kw: ((a[0] * 0,), kw), with_kwargs=True)
    np.testing.assert_allclose(m(fastnn.randn(1, 2)).detach().numpy(), m.bias.detach().numpy()[None])
    pre.remove()

    class Boom(nn.Module):
        def forward(self, x):
            raise KeyError("boom")
    b = Boom()
    calls = []
    b.register_forward_hook(lambda mod, a, out: calls.append(out), always_call=True)
    with pytest.raises(KeyError):
        b(fastnn.randn(1))
    assert calls == [None]


# --- spectral norm ----------------------------------------------------------------------
@pytest.mark.parametrize("api", ["parametrization", "old"])
@pytest.mark.parametrize("layer,xshape", [("Linear(5, 4)", (3, 5)), ("Conv2d(3, 4, 3)", (2, 3, 6, 6)),
                                          ("ConvTranspose2d(3, 4, 3)", (2, 3, 5, 5))])
def test_spectral_norm_matches_torch(api, layer, xshape):
    torch = pytest.importorskip("torch")
    tfn = torch.nn.utils.parametrizations.spectral_norm if api == "parametrization" else torch.nn.utils.spectral_norm
    ffn = nn.utils.parametrizations.spectral_norm if api == "parametrization" else nn.utils.spectral_norm
    torch.manual_seed(0)
    t = tfn(eval("torch.nn." + layer))
    m = ffn(eval("nn." + layer))
    _load_from_torch(m, t)   # weights and the power-iteration vectors
    x = rand(*xshape)
    for training in (True, True, False):  # each training call runs one power iteration
        t.train(training)
        m.train(training)
        np.testing.assert_allclose(m(fastnn.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-5, atol=1e-5)
    t.train()
    m.train()
    m(fastnn.tensor(x)).sum().backward()
    t(torch.tensor(x)).sum().backward()
    orig = "parametrizations.weight.original" if api == "parametrization" else "weight_orig"
    np.testing.assert_allclose(dict(m.named_parameters())[orig].grad.numpy(),
                               dict(t.named_parameters())[orig].grad.numpy(), rtol=1e-4, atol=1e-5)
    # sigma normalises: the largest singular value of the effective weight is ~1 once the
    # power iteration (one step per training call) has converged
    with fastnn.no_grad():
        for _ in range(100):
            m(fastnn.tensor(x))
    w = m.weight.detach().numpy()
    mat = (np.moveaxis(w, 1, 0) if "Transpose" in layer else w).reshape(w.shape[1 if "Transpose" in layer else 0], -1)
    assert abs(np.linalg.svd(mat, compute_uv=False)[0] - 1) < 1e-2


def test_remove_spectral_norm():
    m = nn.utils.spectral_norm(nn.Linear(4, 3))
    m(fastnn.randn(2, 4))
    w = m.weight.detach().numpy()
    nn.utils.remove_spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(m.weight.detach().numpy(), w, rtol=1e-6)
    with pytest.raises(ValueError, match="not found"):
        nn.utils.remove_spectral_norm(m)
