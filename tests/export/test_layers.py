"""fastnn.export.to_c for embedding, layer_norm, conv_transpose and pad: each
exported inside a small model, built with -Werror, equal to fastnn's forward
(1e-4) and to a NumPy formula, at odd shapes, batch 1 and more; PyTorch's
numbers on the same weights where torch is installed. Attention and the
Transformer/text models: test_layers_attention.py."""
import os
import sys

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import nn

sys.path.insert(0, os.path.dirname(__file__))
import _layers_common as common  # noqa: E402

pytestmark = pytest.mark.skipif(common.build.CC is None, reason="no C compiler found")


def _torch_load(tmod, model):
    torch = pytest.importorskip("torch")
    tmod.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())
                          for k, v in model.state_dict().items()})
    return tmod.eval()


def _randomize(module, seed):
    """Non-default values in every parameter (LayerNorm's ones and zeros would hide w and b)."""
    rng = np.random.default_rng(seed)
    for p in module.parameters():
        p._data[...] = rng.standard_normal(p.shape).astype(np.float32)


# --- embedding -------------------------------------------------------------------------------
class Lookup(nn.Module):
    def __init__(self, rows=11, dim=5, **kw):
        super().__init__()
        self.emb = nn.Embedding(rows, dim, **kw)

    def forward(self, ids):
        return self.emb(ids)


@pytest.mark.parametrize("shape", [(1, 7), (3, 4), (2, 3, 2)])
def test_embedding_matches_forward_and_table(shape, tmp_path):
    fastnn.manual_seed(0)
    model = Lookup(padding_idx=2)
    ids = np.random.default_rng(1).integers(0, 11, (3,) + shape)
    ids[0].flat[0] = 2  # the padding row: looked up as it is (zeros), like PyTorch
    got, info = common.check(model, ids, tmp_path)
    assert info["input_shape"] == shape
    table = model.emb.weight.detach().numpy()
    np.testing.assert_array_equal(got, np.stack([table[i].reshape(-1) for i in ids]))
    assert not got[0][:5].any()


def test_embedding_integer_array_example(tmp_path):
    """An integer NumPy array is accepted as the example input (it stays integer)."""
    fastnn.manual_seed(0)
    model = Lookup(rows=4, dim=3)
    info = fastnn.export.to_c(model, np.array([[0, 3, 1]]), str(tmp_path))
    assert info["output_shapes"] == [(1, 3, 3)]
    # the header documents the -2 return only where the model has one
    assert "-2 when an embedding index" in (tmp_path / "model.h").read_text()
    fastnn.export.to_c(nn.Linear(3, 2), np.zeros((1, 3), np.float32), str(tmp_path / "lin"))
    assert "-2" not in (tmp_path / "lin" / "model.h").read_text()


def test_embedding_bad_indices_return_minus_2(tmp_path):
    """An index that is not a whole number in [0, rows) -- negative, too large,
    fractional, NaN, infinite, beyond any int -- makes the forward return -2
    without writing the output; good ones (-0.0 and rows-1 included) give 0.
    Built with -fsanitize=address,undefined too where that works: no UB."""
    fastnn.manual_seed(1)
    model = Lookup(rows=6, dim=3)
    fastnn.export.to_c(model, fastnn.tensor(np.array([[0, 1, 2]])), str(tmp_path))
    bad = [-1.0, 6.0, 2.5, np.nan, np.inf, -np.inf, 1e30, -1e30, 5.000001, 3e9]
    good = [[0.0, 5.0, -0.0], [4.0, 4.0, 1.0]]
    inputs = np.array([[1.0, b, 0.0] for b in bad] + good, np.float32)
    table = model.emb.weight.detach().numpy()
    builds = [common.build_rc(tmp_path)]
    san = common.sanitizers_work(tmp_path)
    if san:
        os.makedirs(tmp_path / "san", exist_ok=True)
        for f in ("model.c", "model.h"):
            (tmp_path / "san" / f).write_text((tmp_path / f).read_text())
        builds.append(common.build_rc(tmp_path / "san", extra=san))
    for exe in builds:
        rc, out = common.run_rc(exe, inputs, 9)
        assert list(rc) == [-2] * len(bad) + [0, 0]
        assert (out[:len(bad)] == 7.0).all()  # untouched
        for row, ids in zip(out[len(bad):], good):
            np.testing.assert_array_equal(row, table[np.array(ids, int)].reshape(-1))


def test_embedding_max_norm_renormalized_table(tmp_path):
    """max_norm is not in the graph (F.embedding renormalizes the weight in
    place before the lookup): a table whose rows were all looked up once before
    export has every row renormalized, and the C matches fastnn on any index."""
    fastnn.manual_seed(2)
    model = Lookup(rows=9, dim=4, max_norm=1.0)
    model.emb.weight._data *= 3
    with fastnn.no_grad():
        model.emb(fastnn.arange(9))
    norms = np.linalg.norm(model.emb.weight.detach().numpy(), axis=1)
    assert (norms <= 1.0 + 1e-6).all()
    ids = np.random.default_rng(3).integers(0, 9, (4, 2, 6))
    common.check(model, ids, tmp_path)


# --- layer_norm ------------------------------------------------------------------------------
@pytest.mark.parametrize("norm_shape, affine, bias, shape", [
    ((7,), True, True, (1, 3, 7)),
    ((4, 5), False, True, (2, 3, 4, 5)),
    ((2, 3, 5), True, True, (3, 2, 3, 5)),
    ((9,), True, False, (2, 9)),
])
def test_layer_norm(norm_shape, affine, bias, shape, tmp_path):
    fastnn.manual_seed(3)
    model = nn.LayerNorm(norm_shape, eps=1e-3, elementwise_affine=affine, bias=bias)
    _randomize(model, 4)
    xs = np.random.default_rng(5).standard_normal((3,) + shape).astype(np.float32) * 3 + 1
    got, _ = common.check(model, xs, tmp_path)
    axes = tuple(range(1 + len(shape) - len(norm_shape), 1 + len(shape)))  # past the stack axis
    x64 = xs.astype(np.float64)
    want = (x64 - x64.mean(axis=axes, keepdims=True)) / np.sqrt(
        x64.var(axis=axes, keepdims=True) + 1e-3)
    if affine:
        want = want * model.weight.detach().numpy()
        if bias:
            want = want + model.bias.detach().numpy()
    np.testing.assert_allclose(got, want.reshape(3, -1), rtol=1e-4, atol=1e-4)
    torch = pytest.importorskip("torch")
    ref = _torch_load(torch.nn.LayerNorm(norm_shape, eps=1e-3, elementwise_affine=affine,
                                         bias=bias), model)
    with torch.no_grad():
        tw = ref(torch.from_numpy(xs)).numpy()
    np.testing.assert_allclose(got, tw.reshape(3, -1), rtol=1e-4, atol=1e-4)


# --- conv_transpose --------------------------------------------------------------------------
def _conv_transpose_ref(x, w, b, stride, padding, output_padding, groups, dilation):
    """The definition, one scatter per input pixel and tap (float64)."""
    nd = x.ndim - 2
    x2 = x.reshape(x.shape[:2] + (1,) * (2 - nd) + x.shape[2:])
    w2 = w.reshape(w.shape[:2] + (1,) * (2 - nd) + w.shape[2:])
    pad1 = (1,) * (2 - nd)
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = (
        pad1 + tuple(stride), (0,) * (2 - nd) + tuple(padding),
        (0,) * (2 - nd) + tuple(output_padding), pad1 + tuple(dilation))
    n, cin, h, wd = x2.shape
    _, og, kh, kw = w2.shape
    oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    ow = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    y = np.zeros((n, og * groups, oh, ow))
    cg = cin // groups
    for c in range(cin):
        g = c // cg
        for iy in range(h):
            for ix in range(wd):
                for ky in range(kh):
                    for kx in range(kw):
                        oy, ox = iy * sh - ph + ky * dh, ix * sw - pw + kx * dw
                        if 0 <= oy < oh and 0 <= ox < ow:
                            y[:, g * og:(g + 1) * og, oy, ox] += (x2[:, c, iy, ix, None]
                                                                  * w2[c, :, ky, kx])
    if b is not None:
        y += b[:, None, None]
    return y.reshape(y.shape[:2] + y.shape[4 - nd:])


CONV_T = [
    # (nd, cin, cout, kernel, stride, padding, output_padding, groups, dilation, bias, length/hw)
    (2, 3, 5, (3, 2), (2, 1), (1, 0), (1, 0), 1, (1, 2), True, (5, 4)),
    (2, 4, 6, 3, 2, 1, 1, 2, 2, False, (4, 5)),
    (2, 2, 3, 2, 3, 0, 2, 1, 1, True, (3, 3)),
    (1, 4, 6, 3, 2, 1, 1, 2, 1, True, (7,)),
    (1, 3, 2, 5, 1, 2, 0, 1, 2, True, (6,)),
]


@pytest.mark.parametrize("cfg", CONV_T)
@pytest.mark.parametrize("batch", [1, 2])
def test_conv_transpose(cfg, batch, tmp_path):
    nd, cin, cout, k, s, pd, op, g, d, bias, size = cfg
    cls = nn.ConvTranspose2d if nd == 2 else nn.ConvTranspose1d
    fastnn.manual_seed(6)
    model = cls(cin, cout, k, stride=s, padding=pd, output_padding=op, groups=g, dilation=d,
                bias=bias)
    xs = np.random.default_rng(7).standard_normal((2, batch, cin) + size).astype(np.float32)
    got, info = common.check(model, xs, tmp_path)

    def tup(v):
        return tuple(v) if isinstance(v, tuple) else (v,) * nd
    w = model.weight.detach().numpy().astype(np.float64)
    b = model.bias.detach().numpy() if bias else None
    want = np.stack([_conv_transpose_ref(x.astype(np.float64), w, b, tup(s), tup(pd), tup(op),
                                         g, tup(d)).reshape(-1) for x in xs])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    torch = pytest.importorskip("torch")
    tcls = torch.nn.ConvTranspose2d if nd == 2 else torch.nn.ConvTranspose1d
    ref = _torch_load(tcls(cin, cout, k, stride=s, padding=pd, output_padding=op, groups=g,
                           dilation=d, bias=bias), model)
    with torch.no_grad():
        tw = np.stack([ref(torch.from_numpy(x)).numpy().reshape(-1) for x in xs])
    np.testing.assert_allclose(got, tw, rtol=1e-4, atol=1e-4)


# --- pad -------------------------------------------------------------------------------------
class Pads(nn.Module):
    def __init__(self, widths, mode, value=0.0):
        super().__init__()
        self.widths, self.mode, self.value = widths, mode, value

    def forward(self, x):
        if self.mode == "constant":
            return F.pad(x, self.widths, value=self.value) * 2
        return F.pad(x, self.widths, mode=self.mode) * 2


PADS = [
    ((2, 3), "reflect", (1, 3, 5)),
    ((3, 1), "replicate", (2, 2, 4)),
    ((2, 3), "circular", (1, 2, 3)),
    ((1, 2, 0, 3), "reflect", (2, 3, 4, 5)),
    ((1, 2, 3, 0), "replicate", (1, 2, 3, 4)),
    ((2, 1, 1, 3), "circular", (2, 1, 4, 5)),
    ((1, 2, 2, 0, 1, 1), "replicate", (1, 2, 3, 3, 4)),
    ((1, 2, 3, 0, 1, 1, 2, 0), "constant", (2, 3, 2, 4)),
    ((-1, 2, 1, -2), "constant", (2, 3, 4, 5)),
]


@pytest.mark.parametrize("widths, mode, shape", PADS)
def test_pad(widths, mode, shape, tmp_path):
    model = Pads(widths, mode, value=-1.5)
    xs = np.random.default_rng(8).standard_normal((3,) + shape).astype(np.float32)
    got, _ = common.check(model, xs, tmp_path)
    torch = pytest.importorskip("torch")
    with torch.no_grad():
        kw = {"value": -1.5} if mode == "constant" else {}
        tw = np.stack([torch.nn.functional.pad(torch.from_numpy(x), widths, mode=mode, **kw)
                       .numpy().reshape(-1) * 2 for x in xs])
    np.testing.assert_array_equal(got, tw)


def test_pad_maps_match_numpy():
    """The per-dim maps reproduce np.pad on the whole array (corners included)."""
    from fastnn.export._ops_layers import pad_maps
    x = np.arange(3 * 4 * 5).reshape(3, 4, 5)
    for mode, npmode in (("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")):
        widths = [(0, 0), (2, 3), (4, 1)]
        maps = pad_maps(x.shape, widths, mode)
        np.testing.assert_array_equal(x[np.ix_(*maps)], np.pad(x, widths, mode=npmode))
    maps = pad_maps(x.shape, [(1, -1), (0, 0), (-2, 2)], "constant")
    assert [list(m) for m in maps] == [[-1, 0, 1], [0, 1, 2, 3], [2, 3, 4, -1, -1]]


def test_padding_modules_in_a_conv_net(tmp_path):
    """Reflection/replication/zero padding modules between convolutions."""
    fastnn.manual_seed(9)
    model = nn.Sequential(nn.ReflectionPad2d((1, 2, 1, 0)), nn.Conv2d(2, 3, 3),
                          nn.ReplicationPad2d(1), nn.ConvTranspose2d(3, 2, 2, stride=2),
                          nn.ZeroPad2d((0, 1, 2, 0)), nn.ReLU())
    xs = np.random.default_rng(10).standard_normal((2, 1, 2, 5, 6)).astype(np.float32)
    common.check(model, xs, tmp_path)


# --- int8: these layers stay float -----------------------------------------------------------
def test_int8_keeps_layers_float(tmp_path):
    """With quantize='int8' the Linear and Conv go int8, the new layers stay
    float: the model exports and stays close to the float forward."""
    fastnn.manual_seed(11)
    model = nn.Sequential(nn.Conv1d(3, 8, 3, padding=1), nn.ReLU(), nn.ReflectionPad1d(2),
                          nn.ConvTranspose1d(8, 4, 3, stride=2), nn.LayerNorm(25),
                          nn.Flatten(), nn.Linear(100, 5))
    rng = np.random.default_rng(12)
    calib = rng.standard_normal((64, 3, 8)).astype(np.float32)
    xs = rng.standard_normal((4, 2, 3, 8)).astype(np.float32)
    got, info = common.export_and_run(model, xs, tmp_path, quantize="int8", calibration=calib)
    src = open(info["source"]).read()
    assert "conv_transpose2d(" in src and "layer_norm(" in src and "pad_nd(" in src
    assert "linear_int8(" in src
    want = np.stack([common.forward(model, x) for x in xs])
    assert np.abs(got - want).max() < 0.05 * np.abs(want).max()


def test_layers_under_sanitizers(tmp_path):
    """conv_transpose (taps past the output, output_padding, groups, dilation),
    every pad mode and layer_norm at odd sizes, built with
    -fsanitize=address,undefined: no out-of-bounds access, same numbers."""
    san = common.sanitizers_work(tmp_path)
    if san is None:
        pytest.skip("the compiler cannot build and run with -fsanitize=address,undefined")
    fastnn.manual_seed(13)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.up = nn.ConvTranspose2d(4, 6, (3, 2), stride=(3, 2), padding=(2, 1),
                                         output_padding=(2, 1), groups=2, dilation=(2, 1))
            self.up1 = nn.ConvTranspose1d(3, 2, 4, stride=3, padding=3, output_padding=1)
            self.norm = nn.LayerNorm([7])

        def forward(self, x):
            y = self.up(F.pad(x, (2, 1, 0, 2), mode="reflect"))
            y = F.pad(F.pad(y, (1, 3, 2, 2), mode="circular"), (-1, 2, 1, -3), value=0.25)
            z = self.up1(F.pad(x[:, :3, 0], (2, 2), mode="replicate"))
            return y, self.norm(z[..., :7])
    model = Net()
    xs = np.random.default_rng(14).standard_normal((2, 2, 4, 3, 5)).astype(np.float32)
    info = fastnn.export.to_c(model, fastnn.tensor(xs[0]), str(tmp_path))
    exe = common.build.build(str(tmp_path), extra=san)
    size = sum(int(np.prod(s)) for s in info["output_shapes"])
    got = common.build.run(exe, xs.reshape(2, -1), size)
    want = np.stack([common.forward(model, x) for x in xs])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
