"""nn.functional: gradients against finite differences under both CPU backends,
values and gradients against torch.nn.functional when torch is installed."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn.autograd import gradcheck
from fastnn.backends import native_available

BACKENDS = ["numpy"] + (["native"] if native_available() else [])


@pytest.fixture(params=BACKENDS)
def backend(request):
    with fastnn.use_backend(request.param):
        yield request.param


def t64(*shape, seed=0, requires_grad=True, positive=False):
    a = np.random.default_rng(seed).standard_normal(shape)
    if positive:
        a = np.abs(a) + 0.1
    return fastnn.tensor(a, dtype=fastnn.float64, requires_grad=requires_grad)


def idx(*values):
    return fastnn.tensor(np.array(values, dtype=np.int64))


GRAD_CASES = {
    "linear": (lambda x, w, b: F.linear(x, w, b), [(3, 4), (5, 4), (5,)]),
    "linear_3d_nobias": (lambda x, w: F.linear(x, w), [(2, 3, 4), (5, 4)]),
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1), [(2, 3, 5, 6), (4, 3, 3, 2), (4,)]),
    "conv2d_groups_dil": (lambda x, w: F.conv2d(x, w, None, 1, (1, 2), 2, 2), [(1, 4, 6, 6), (2, 2, 2, 3)]),
    "conv2d_same": (lambda x, w: F.conv2d(x, w, padding="same"), [(1, 2, 5, 4), (3, 2, 2, 3)]),
    "conv2d_valid_unbatched": (lambda x, w: F.conv2d(x, w, padding="valid"), [(2, 5, 4), (3, 2, 2, 2)]),
    "conv1d": (lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1), [(2, 3, 7), (4, 3, 3), (4,)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), [(2, 3, 4, 6)]),
    "max_pool2d_pad_ceil": (lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), [(1, 2, 6, 5)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, (2, 3), 1, (1, 1), count_include_pad=False), [(2, 2, 4, 5)]),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, (2, 3)), [(2, 2, 5, 7)]),
    "relu": (F.relu, [(3, 5)]),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), [(3, 5)]),
    "gelu": (F.gelu, [(3, 5)]),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), [(3, 5)]),
    "elu_selu_silu": (lambda x: F.elu(x) + F.selu(x) + F.silu(x), [(3, 5)]),
    "softplus_mish": (lambda x: F.softplus(x, beta=2) + F.mish(x) + F.logsigmoid(x), [(3, 5)]),
    "sigmoid_tanh": (lambda x: F.sigmoid(x) * F.tanh(x), [(3, 5)]),
    "softmax": (lambda x: F.softmax(x, dim=1), [(3, 5, 2)]),
    "log_softmax": (lambda x: F.log_softmax(x, dim=-1), [(3, 5)]),
    "batch_norm_train": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [(4, 3, 2, 2), (3,), (3,)]),
    "batch_norm_1d": (lambda x: F.batch_norm(x, None, None, training=True), [(5, 3)]),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (3, 4), w, b), [(2, 3, 4), (3, 4), (3, 4)]),
    "cross_entropy": (lambda x: F.cross_entropy(x, idx(0, 2, 1, 2)), [(4, 3)]),
    "cross_entropy_all": (lambda x: F.cross_entropy(
        x, idx(0, 2, -100, 1), weight=fastnn.tensor([1.0, 2.0, 0.5], dtype=fastnn.float64),
        label_smoothing=0.2), [(4, 3)]),
    "cross_entropy_nd_none": (lambda x: F.cross_entropy(x, idx([[0, 1], [2, 2]], [[1, 1], [0, 2]]),
                                                        reduction="none"), [(2, 3, 2, 2)]),
    "cross_entropy_probs": (lambda x, t: F.cross_entropy(x, t.softmax(1), label_smoothing=0.1), [(3, 4), (3, 4)]),
    "nll_loss": (lambda x: F.nll_loss(x, idx(1, 0, 2), ignore_index=0), [(3, 4)]),
    "mse_l1_smoothl1": (lambda x, y: F.mse_loss(x, y) + F.l1_loss(x, y, reduction="sum")
                        + F.smooth_l1_loss(x, y, beta=0.5) + F.huber_loss(x, y, delta=0.7), [(3, 4), (3, 4)]),
    "bce": (lambda x: F.binary_cross_entropy(x.sigmoid(), fastnn.tensor(np.eye(3, 4))), [(3, 4)]),
    "bce_logits": (lambda x, t, pw: F.binary_cross_entropy_with_logits(x, t.sigmoid(), pos_weight=pw),
                   [(3, 4), (3, 4), (4,)]),
    "kl_div": (lambda x, t: F.kl_div(F.log_softmax(x, 1), t.softmax(1), reduction="batchmean"), [(3, 4), (3, 4)]),
    "pad_constant": (lambda x: F.pad(x, (1, 2, 0, 1), value=0.5), [(2, 3, 4)]),
    "pad_crop": (lambda x: F.pad(x, (-1, 2)), [(2, 4)]),
    "pad_reflect": (lambda x: F.pad(x, (2, 1, 1, 2), mode="reflect"), [(1, 2, 4, 5)]),
    "pad_replicate": (lambda x: F.pad(x, (2, 1), mode="replicate"), [(1, 2, 4)]),
    "pad_circular": (lambda x: F.pad(x, (1, 2, 2, 0), mode="circular"), [(1, 1, 3, 4)]),
    "embedding": (lambda w: F.embedding(idx([1, 3], [3, 0]), w), [(4, 3)]),
    "dropout_eval": (lambda x: F.dropout(x, 0.5, training=False), [(3, 4)]),
    "normalize_cos": (lambda x, y: F.normalize(x) + F.cosine_similarity(x, y).unsqueeze(1), [(3, 4), (3, 4)]),
    "flatten": (lambda x: F.flatten(x, 1) * 2, [(2, 3, 2)]),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradcheck(backend, name):
    fn, shapes = GRAD_CASES[name]
    inputs = [t64(*s, seed=i) for i, s in enumerate(shapes)]
    assert gradcheck(fn, inputs)


def test_embedding_padding_row_gets_no_gradient():
    w = t64(4, 3)
    F.embedding(idx(0, 1, 0), w, padding_idx=0).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[0], 0)
    np.testing.assert_array_equal(w.grad.numpy()[1], 1)


def test_dropout_training_scales_and_masks():
    fastnn.manual_seed(0)
    x = fastnn.ones(2000, requires_grad=True)
    y = F.dropout(x, 0.25)
    vals = set(np.unique(y.detach().numpy()).tolist())
    assert vals <= {0.0, float(np.float32(1 / 0.75))}
    assert 0.2 < (y.detach().numpy() == 0).mean() < 0.3
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy())
    assert F.dropout(x, 1.0).sum().item() == 0
    with pytest.raises(ValueError):
        F.dropout(x, 1.5)


def test_max_pool_return_indices_and_one_hot():
    x = fastnn.tensor(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4))
    y, i = F.max_pool2d(x, 2, return_indices=True)
    assert y.tolist() == [[[[5, 7], [13, 15]]]] and i.tolist() == [[[[5, 7], [13, 15]]]]
    assert i.dtype == fastnn.int64
    oh = F.one_hot(idx(0, 2, 1), 4)
    assert oh.tolist() == [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0]] and oh.dtype == fastnn.int64
    assert F.one_hot(idx(1, 3)).shape == (2, 4)


def test_bad_arguments_raise():
    x = fastnn.randn(2, 3)
    with pytest.raises(ValueError):
        F.cross_entropy(x, idx(0, 1), reduction="avg")
    with pytest.raises((IndexError, ValueError)):
        F.cross_entropy(x, idx(0, 3))
    with pytest.raises(ValueError):
        F.gelu(x, approximate="fast")
    with pytest.raises(ValueError):
        F.pad(x, (1,))
    with pytest.raises(ValueError):
        F.conv2d(fastnn.randn(1, 1, 5, 5), fastnn.randn(1, 1, 3, 3), stride=2, padding="same")
    with pytest.raises(ValueError):
        F.binary_cross_entropy(x, x)


# --- agreement with torch -------------------------------------------------------------------
@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _pair(torch, a, requires_grad=True):
    return (fastnn.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def _check(torch, fn_fast, fn_torch, arrays, rtol=1e-4, atol=1e-5):
    fx = [fastnn.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    tx = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    y, ty = fn_fast(*fx), fn_torch(*tx)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=rtol, atol=atol)
    g = np.random.default_rng(7).standard_normal(tuple(ty.shape)).astype(np.float32)
    y.backward(fastnn.tensor(g))
    ty.backward(torch.tensor(g))
    for a, b in zip(fx, tx):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol)


def _r(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("kw", [{}, {"label_smoothing": 0.15}, {"ignore_index": 2},
                                {"weight": "w"}, {"weight": "w", "label_smoothing": 0.3, "ignore_index": 1},
                                {"reduction": "sum", "label_smoothing": 0.1}, {"reduction": "none", "weight": "w"},
                                {"weight": "w", "reduction": "sum", "ignore_index": 0}])
def test_cross_entropy_matches_torch(torch, backend, kw):
    tgt = np.array([0, 2, 1, 2, 3], dtype=np.int64)
    wt = np.array([1.0, 2.0, 0.5, 1.5], dtype=np.float32)

    def call(mod, lib, x):
        k = dict(kw)
        if "weight" in k:
            k["weight"] = lib.tensor(wt)
        return mod.cross_entropy(x, lib.tensor(tgt), **k)
    import torch.nn.functional as TF
    _check(torch, lambda x: call(F, fastnn, x), lambda x: call(TF, torch, x), [_r(5, 4)])


def test_cross_entropy_nd_and_probs_match_torch(torch):
    import torch.nn.functional as TF
    tgt = np.random.default_rng(3).integers(0, 3, (2, 4, 5))
    _check(torch, lambda x: F.cross_entropy(x, fastnn.tensor(tgt), label_smoothing=0.1),
           lambda x: TF.cross_entropy(x, torch.tensor(tgt), label_smoothing=0.1), [_r(2, 3, 4, 5)])
    w = np.array([0.3, 1.0, 2.0], np.float32)
    _check(torch, lambda x, t: F.cross_entropy(x, t.softmax(1), weight=fastnn.tensor(w), label_smoothing=0.2),
           lambda x, t: TF.cross_entropy(x, t.softmax(1), weight=torch.tensor(w), label_smoothing=0.2),
           [_r(4, 3), _r(4, 3, seed=1)])
    _check(torch, lambda x: F.nll_loss(F.log_softmax(x, 1), fastnn.tensor(tgt[:, 0]), weight=fastnn.tensor(w)),
           lambda x: TF.nll_loss(TF.log_softmax(x, 1), torch.tensor(tgt[:, 0]), weight=torch.tensor(w)),
           [_r(2, 3, 5)])


def test_batch_norm_running_stats_match_torch(torch, backend):
    import torch.nn.functional as TF
    x = _r(6, 3, 4, 2)
    rm, rv = np.zeros(3, np.float32), np.ones(3, np.float32)
    frm, frv = fastnn.tensor(rm), fastnn.tensor(rv)
    trm, trv = torch.tensor(rm), torch.tensor(rv)
    w, b = _r(3, seed=1), _r(3, seed=2)
    _check(torch, lambda x, w, b: F.batch_norm(x, frm, frv, w, b, True, 0.2, 1e-5),
           lambda x, w, b: TF.batch_norm(x, trm, trv, w, b, True, 0.2, 1e-5), [x, w, b])
    np.testing.assert_allclose(frm.numpy(), trm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(frv.numpy(), trv.numpy(), rtol=1e-5, atol=1e-6)
    _check(torch, lambda x, w, b: F.batch_norm(x, frm, frv, w, b, False),
           lambda x, w, b: TF.batch_norm(x, trm, trv, w, b, False), [x, w, b])


def _lib(m):
    return fastnn if m is F else __import__("torch")


FUNCS = {
    "gelu": (lambda m, x: m.gelu(x), [(4, 5)]),
    "gelu_tanh": (lambda m, x: m.gelu(x, approximate="tanh"), [(4, 5)]),
    "layer_norm": (lambda m, x, w, b: m.layer_norm(x, (5,), w, b), [(3, 4, 5), (5,), (5,)]),
    "layer_norm_2d": (lambda m, x: m.layer_norm(x, (4, 5)), [(3, 4, 5)]),
    "leaky_relu": (lambda m, x: m.leaky_relu(x, 0.1), [(4, 5)]),
    "softmax": (lambda m, x: m.softmax(x, 0), [(4, 5)]),
    "log_softmax": (lambda m, x: m.log_softmax(x, 1), [(4, 5)]),
    "linear": (lambda m, x, w, b: m.linear(x, w, b), [(2, 3, 4), (6, 4), (6,)]),
    "conv2d": (lambda m, x, w, b: m.conv2d(x, w, b, stride=2, padding=(1, 2), dilation=(1, 2)),
               [(2, 3, 7, 8), (4, 3, 3, 2), (4,)]),
    "conv2d_same": (lambda m, x, w: m.conv2d(x, w, padding="same", dilation=2), [(1, 2, 6, 5), (3, 2, 2, 3)]),
    "conv2d_groups": (lambda m, x, w: m.conv2d(x, w, groups=3), [(2, 6, 5, 5), (6, 2, 3, 3)]),
    "conv1d": (lambda m, x, w: m.conv1d(x, w, padding="same"), [(2, 3, 9), (4, 3, 4)]),
    "max_pool2d": (lambda m, x: m.max_pool2d(x, (3, 2), (2, 1), (1, 0), ceil_mode=True), [(2, 3, 7, 6)]),
    "avg_pool2d": (lambda m, x: m.avg_pool2d(x, 3, 2, 1, count_include_pad=False), [(2, 3, 7, 6)]),
    "adaptive_avg_pool2d": (lambda m, x: m.adaptive_avg_pool2d(x, (3, 2)), [(2, 3, 7, 5)]),
    "mse_loss": (lambda m, x, y: m.mse_loss(x, y), [(4, 5), (4, 5)]),
    "l1_loss": (lambda m, x, y: m.l1_loss(x, y, reduction="sum"), [(4, 5), (4, 5)]),
    "smooth_l1": (lambda m, x, y: m.smooth_l1_loss(x, y, beta=0.5), [(4, 5), (4, 5)]),
    "bce": (lambda m, x, y: m.binary_cross_entropy(x.sigmoid(), y.sigmoid(), reduction="none"), [(4, 5), (4, 5)]),
    "bce_logits": (lambda m, x, y: m.binary_cross_entropy_with_logits(
        x * 5, y.sigmoid(), pos_weight=_lib(m).tensor([0.5, 1.0, 2.0, 3.0, 0.1])), [(4, 5), (4, 5)]),
    "pad_reflect": (lambda m, x: m.pad(x, (1, 2, 2, 1), mode="reflect"), [(1, 2, 4, 4)]),
    "pad_replicate": (lambda m, x: m.pad(x, (1, 2, 2, 1), mode="replicate"), [(1, 2, 4, 4)]),
    "pad_circular": (lambda m, x: m.pad(x, (1, 2, 2, 1), mode="circular"), [(1, 2, 4, 4)]),
    "pad_constant": (lambda m, x: m.pad(x, (1, -1, 2, 0), value=3.0), [(2, 4, 4)]),
}


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_functional_matches_torch(torch, backend, name):
    import torch.nn.functional as TF
    fn, shapes = FUNCS[name]
    arrays = [_r(*s, seed=i) for i, s in enumerate(shapes)]
    _check(torch, lambda *a: fn(F, *a), lambda *a: fn(TF, *a), arrays)


def test_embedding_matches_torch(torch):
    import torch.nn.functional as TF
    ix = np.array([[1, 3, 3], [0, 2, 1]])
    _check(torch, lambda w: F.embedding(fastnn.tensor(ix), w, padding_idx=1),
           lambda w: TF.embedding(torch.tensor(ix), w, padding_idx=1), [_r(4, 3)])
    _check(torch, lambda w: F.embedding(fastnn.tensor(ix), w, scale_grad_by_freq=True),
           lambda w: TF.embedding(torch.tensor(ix), w, scale_grad_by_freq=True), [_r(4, 3)])
