"""F.scaled_dot_product_attention, nn.MultiheadAttention and the Transformer family:
PyTorch's numbers from PyTorch's weights (forward and gradients), parameter names,
mask conventions, module paths; on both CPU backends."""
import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F

RNG = np.random.default_rng(0)
# PyTorch's own note that its nested-tensor fast path is off (no effect on the numbers)
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor:UserWarning")


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _load_from_torch(m, t):
    sd = t.state_dict()
    assert sorted(m.state_dict()) == sorted(sd)
    assert all(tuple(m.state_dict()[k].shape) == tuple(v.shape) for k, v in sd.items())
    m.load_state_dict({k: v.detach().numpy() for k, v in sd.items()})


def test_pytorch_module_paths():
    from fastnn.nn.modules.activation import MultiheadAttention
    from fastnn.nn.modules.transformer import (Transformer, TransformerDecoder,
                                               TransformerDecoderLayer, TransformerEncoder,
                                               TransformerEncoderLayer)
    assert MultiheadAttention is nn.MultiheadAttention
    assert (Transformer, TransformerEncoder, TransformerDecoder, TransformerEncoderLayer,
            TransformerDecoderLayer) == (nn.Transformer, nn.TransformerEncoder,
                                         nn.TransformerDecoder, nn.TransformerEncoderLayer,
                                         nn.TransformerDecoderLayer)
    assert "scaled_dot_product_attention" in F.__all__


def test_sdpa_float64_finite_differences():
    q, k, v = rand(2, 3, 4, dtype=np.float64), rand(2, 5, 4, dtype=np.float64), rand(2, 5, 2, dtype=np.float64)
    m = rand(3, 5, dtype=np.float64)
    ts = [fastnn.tensor(a, requires_grad=True) for a in (q, k, v, m)]
    out = F.scaled_dot_product_attention(*ts[:3], attn_mask=ts[3])
    dout = rand(*out.shape, dtype=np.float64)
    (out * fastnn.tensor(dout)).sum().backward()
    eps = 1e-6
    for t, a in zip(ts, (q, k, v, m)):
        num = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            hi, lo = a.copy(), a.copy()
            hi[idx] += eps
            lo[idx] -= eps
            args = [fastnn.tensor(x) for x in (q, k, v, m)]
            pos = [x is a for x in (q, k, v, m)].index(True)
            args[pos] = fastnn.tensor(hi)
            f_hi = (F.scaled_dot_product_attention(*args[:3], attn_mask=args[3]).numpy() * dout).sum()
            args[pos] = fastnn.tensor(lo)
            f_lo = (F.scaled_dot_product_attention(*args[:3], attn_mask=args[3]).numpy() * dout).sum()
            num[idx] = (f_hi - f_lo) / (2 * eps)
        np.testing.assert_allclose(t.grad.numpy(), num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("backend", ["numpy", "native"])
@pytest.mark.parametrize("case", ["none", "bool2d", "float4d", "bool3d", "causal", "gqa", "unbatched"])
def test_sdpa_matches_torch(backend, case, dtype):
    torch = pytest.importorskip("torch")
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    q, k, v = rand(2, 4, 5, 8, dtype=dtype), rand(2, 4, 6, 8, dtype=dtype), rand(2, 4, 6, 3, dtype=dtype)
    kw, tkw = {}, {}
    if case == "bool2d":
        m = RNG.random((5, 6)) > 0.3
        kw["attn_mask"], tkw["attn_mask"] = fastnn.tensor(m), torch.tensor(m)
    elif case == "float4d":
        m = rand(2, 1, 5, 6, dtype=dtype)
        kw["attn_mask"], tkw["attn_mask"] = fastnn.tensor(m), torch.tensor(m)
    elif case == "bool3d":
        m = RNG.random((4, 5, 6)) > 0.2
        kw["attn_mask"], tkw["attn_mask"] = fastnn.tensor(m), torch.tensor(m)
    elif case == "causal":
        kw["is_causal"] = tkw["is_causal"] = True
        kw["scale"] = tkw["scale"] = 0.25
    elif case == "gqa":
        k, v = k[:, :2], v[:, :2]
        kw["enable_gqa"] = tkw["enable_gqa"] = True
    elif case == "unbatched":
        q, k, v = q[0, 0], k[0, 0], v[0, 0]
    with fastnn.use_backend(backend):
        fq, fk, fv = (fastnn.tensor(a, requires_grad=True) for a in (q, k, v))
        out = F.scaled_dot_product_attention(fq, fk, fv, **kw)
        tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
        tout = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, **tkw)
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), **tol)
        g = rand(*out.shape, dtype=dtype)
        (out * fastnn.tensor(g)).sum().backward()
        tout.backward(torch.tensor(g))
        for a, b in zip((fq, fk, fv), (tq, tk, tv)):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol)


def test_sdpa_dropout_is_seeded_and_scaled():
    q, k, v = rand(2, 6, 4), rand(2, 6, 4), np.ones((2, 6, 3), np.float32)
    fastnn.manual_seed(3)
    a = F.scaled_dot_product_attention(fastnn.tensor(q), fastnn.tensor(k), fastnn.tensor(v), dropout_p=0.5)
    fastnn.manual_seed(3)
    b = F.scaled_dot_product_attention(fastnn.tensor(q), fastnn.tensor(k), fastnn.tensor(v), dropout_p=0.5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    plain = F.scaled_dot_product_attention(fastnn.tensor(q), fastnn.tensor(k), fastnn.tensor(v))
    assert not np.allclose(a.numpy(), plain.numpy())
    # v = 1: each output is the sum of the kept weights, 2 * (weights kept): mean near 1
    assert 0.6 < a.numpy().mean() < 1.4


def test_sdpa_bad_arguments():
    q = fastnn.randn(2, 3, 4)
    with pytest.raises(ValueError, match="is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=fastnn.ones(3, 3), is_causal=True)
    with pytest.raises(ValueError, match="attn_mask"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=fastnn.ones(4, 3))
    with pytest.raises(TypeError, match="attn_mask"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=fastnn.ones(3, 3, dtype=np.float64))
    with pytest.raises(ValueError, match="dropout_p"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=1.5)
    with pytest.raises(ValueError, match="key"):
        F.scaled_dot_product_attention(q, fastnn.randn(2, 3, 5), q)


MHA_CASES = [dict(), dict(batch_first=True), dict(kdim=5, vdim=3),
             dict(add_bias_kv=True, add_zero_attn=True), dict(bias=False, batch_first=True)]


@pytest.mark.parametrize("backend", ["numpy", "native"])
@pytest.mark.parametrize("kw", MHA_CASES, ids=lambda kw: ",".join(kw) or "default")
def test_multihead_attention_matches_torch(backend, kw):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(8, 2, **kw)
    n, L, S = 3, 4, 5
    bf = kw.get("batch_first", False)

    def shape(n_, l_, e_):
        return (n_, l_, e_) if bf else (l_, n_, e_)
    q, k, v = rand(*shape(n, L, 8)), rand(*shape(n, S, kw.get("kdim", 8))), rand(*shape(n, S, kw.get("vdim", 8)))
    kpm = RNG.random((n, S)) < 0.3
    kpm[:, 0] = False
    am = rand(L, S)
    with fastnn.use_backend(backend):
        m = nn.MultiheadAttention(8, 2, **kw)
        _load_from_torch(m, t)
        for args in [dict(), dict(key_padding_mask=kpm), dict(attn_mask=am),
                     dict(attn_mask=am > 1, key_padding_mask=kpm, average_attn_weights=False),
                     dict(need_weights=False, key_padding_mask=kpm)]:
            m.zero_grad()
            t.zero_grad()
            fa = {a: fastnn.tensor(b) if isinstance(b, np.ndarray) else b for a, b in args.items()}
            ta = {a: torch.tensor(b) if isinstance(b, np.ndarray) else b for a, b in args.items()}
            out, w = m(fastnn.tensor(q), fastnn.tensor(k), fastnn.tensor(v), **fa)
            tout, tw = t(torch.tensor(q), torch.tensor(k), torch.tensor(v), **ta)
            np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
            if tw is None:
                assert w is None
            else:
                np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)
            g = rand(*out.shape)
            (out * fastnn.tensor(g)).sum().backward()
            tout.backward(torch.tensor(g))
            grads = dict(m.named_parameters())
            for name, p in t.named_parameters():
                np.testing.assert_allclose(grads[name].grad.numpy(), p.grad.numpy(), rtol=1e-4,
                                           atol=1e-5, err_msg=name)


def test_multihead_attention_unbatched_and_empty_rows():
    torch = pytest.importorskip("torch")
    t = torch.nn.MultiheadAttention(4, 2)
    m = nn.MultiheadAttention(4, 2)
    _load_from_torch(m, t)
    x = rand(5, 4)
    kpm = np.zeros(5, bool)
    out, w = m(fastnn.tensor(x), fastnn.tensor(x), fastnn.tensor(x), key_padding_mask=fastnn.tensor(kpm))
    tout, tw = t(torch.tensor(x), torch.tensor(x), torch.tensor(x), key_padding_mask=torch.tensor(kpm))
    assert tuple(out.shape) == (5, 4) and tuple(w.shape) == (5, 5)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    # every key masked: PyTorch's weights path gives NaN, its need_weights=False path 0
    xb = rand(5, 1, 4)
    full = np.ones((1, 5), bool)
    for nw in (True, False):
        a = m(fastnn.tensor(xb), fastnn.tensor(xb), fastnn.tensor(xb), key_padding_mask=fastnn.tensor(full), need_weights=nw)[0]
        b = t(torch.tensor(xb), torch.tensor(xb), torch.tensor(xb), key_padding_mask=torch.tensor(full), need_weights=nw)[0]
        np.testing.assert_array_equal(np.isnan(a.detach().numpy()), np.isnan(b.detach().numpy()))


def test_multihead_attention_init_and_errors():
    m = nn.MultiheadAttention(6, 3, add_bias_kv=True)
    assert [k for k, _ in m.named_parameters()] == ["in_proj_weight", "in_proj_bias", "bias_k",
                                                    "bias_v", "out_proj.weight", "out_proj.bias"]
    bound = np.sqrt(6 / (18 + 6))                     # xavier_uniform on (3E, E)
    assert np.abs(m.in_proj_weight.detach().numpy()).max() <= bound
    assert not m.in_proj_bias.detach().numpy().any() and not m.out_proj.bias.detach().numpy().any()
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(6, 4)
    x = fastnn.randn(2, 3, 6)
    with pytest.raises(ValueError, match="attn_mask"):
        m(x, x, x, attn_mask=fastnn.zeros(3, 3))
    with pytest.raises(ValueError, match="is_causal"):
        m(x, x, x, is_causal=True)


TRANSFORMER_CASES = [dict(), dict(batch_first=True, norm_first=True, activation="gelu")]


@pytest.mark.parametrize("backend", ["numpy", "native"])
@pytest.mark.parametrize("kw", TRANSFORMER_CASES, ids=["post-norm", "pre-norm-gelu-bf"])
def test_transformer_matches_torch(backend, kw):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t = torch.nn.Transformer(16, 4, 2, 2, 32, dropout=0.0, **kw)
    bf = kw.get("batch_first", False)
    src = rand(*((3, 7, 16) if bf else (7, 3, 16)))
    tgt = rand(*((3, 5, 16) if bf else (5, 3, 16)))
    kpm = np.zeros((3, 7), bool)
    kpm[0, 5:] = True
    with fastnn.use_backend(backend):
        m = nn.Transformer(16, 4, 2, 2, 32, dropout=0.0, **kw)
        _load_from_torch(m, t)
        mask = nn.Transformer.generate_square_subsequent_mask(5)
        np.testing.assert_array_equal(mask.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(5).numpy())
        fs, ft = fastnn.tensor(src, requires_grad=True), fastnn.tensor(tgt)
        ts, tt = torch.tensor(src, requires_grad=True), torch.tensor(tgt)
        out = m(fs, ft, tgt_mask=mask, src_key_padding_mask=fastnn.tensor(kpm),
                memory_key_padding_mask=fastnn.tensor(kpm))
        tout = t(ts, tt, tgt_mask=torch.tensor(mask.numpy()), src_key_padding_mask=torch.tensor(kpm),
                 memory_key_padding_mask=torch.tensor(kpm))
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=5e-6)
        out.sum().backward()
        tout.sum().backward()
        np.testing.assert_allclose(fs.grad.numpy(), ts.grad.numpy(), rtol=1e-4, atol=1e-5)
        grads = dict(m.named_parameters())
        for name, p in t.named_parameters():
            np.testing.assert_allclose(grads[name].grad.numpy(), p.grad.numpy(), rtol=1e-4,
                                       atol=1e-5, err_msg=name)


def test_encoder_eval_matches_torch_with_callable_activation():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    tl = torch.nn.TransformerEncoderLayer(8, 2, 16, activation=torch.nn.functional.gelu)
    t = torch.nn.TransformerEncoder(tl, 2, norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)
    m = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, activation=F.gelu), 2, norm=nn.LayerNorm(8))
    _load_from_torch(m, t)
    t.eval()
    m.eval()
    x = rand(6, 2, 8)
    mask = nn.Transformer.generate_square_subsequent_mask(6)
    a = m(fastnn.tensor(x), mask=mask)
    b = t(torch.tensor(x), mask=torch.tensor(mask.numpy()))
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=5e-6)
    # layers are independent deep copies
    assert m.layers[0].linear1.weight is not m.layers[1].linear1.weight


def test_decoder_layer_alone_and_bad_activation():
    layer = nn.TransformerDecoderLayer(8, 2, 16, batch_first=True)
    y = layer(fastnn.randn(2, 3, 8), fastnn.randn(2, 5, 8))
    assert tuple(y.shape) == (2, 3, 8)
    with pytest.raises(ValueError, match="activation"):
        nn.TransformerEncoderLayer(8, 2, activation="swish")
    with pytest.raises(ValueError, match="d_model"):
        nn.Transformer(8, 2, 1, 1, 16)(fastnn.randn(3, 2, 4), fastnn.randn(3, 2, 8))


def test_small_transformer_learns_to_copy():
    fastnn.manual_seed(0)
    emb = nn.Embedding(6, 16)
    model = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True), 1)
    head = nn.Linear(16, 6)
    params = list(emb.parameters()) + list(model.parameters()) + list(head.parameters())
    opt = fastnn.optim.Adam(params, lr=1e-2)
    x = fastnn.tensor(np.random.default_rng(0).integers(0, 6, (16, 5)))
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = F.cross_entropy(head(model(emb(x))).reshape(-1, 6), x.reshape(-1))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


def test_functional_multi_head_attention_matches_torch():
    torch = pytest.importorskip("torch")
    e, h, n, L, S = 8, 2, 3, 4, 5
    w_in, b_in, w_out, b_out = rand(3 * e, e), rand(3 * e), rand(e, e), rand(e)
    bk, bv = rand(1, 1, e), rand(1, 1, e)
    q, k, v = rand(L, n, e), rand(S, n, e), rand(S, n, e)
    kpm = RNG.random((n, S)) < 0.3
    kpm[:, 0] = False
    static_k = rand(n * h, S, e // h)

    def run(lib, wrap, **extra):
        F_ = lib.nn.functional
        return F_.multi_head_attention_forward(
            wrap(q), wrap(k), wrap(v), e, h, wrap(w_in), wrap(b_in), wrap(bk), wrap(bv), True, 0.0,
            wrap(w_out), wrap(b_out), training=False, key_padding_mask=wrap(kpm),
            average_attn_weights=False, **extra)
    for extra in (dict(), dict(need_weights=False)):
        a = run(fastnn, fastnn.tensor, **extra)
        b = run(torch, torch.tensor, **extra)
        np.testing.assert_allclose(a[0].numpy(), b[0].numpy(), rtol=1e-5, atol=1e-6)
        if b[1] is not None:
            np.testing.assert_allclose(a[1].numpy(), b[1].numpy(), rtol=1e-5, atol=1e-6)
    # static keys replace the projected ones
    F_, T_ = F.multi_head_attention_forward, torch.nn.functional.multi_head_attention_forward
    a = F_(fastnn.tensor(q), fastnn.tensor(k), fastnn.tensor(v), e, h, fastnn.tensor(w_in), None,
           None, None, False, 0.0, fastnn.tensor(w_out), None, training=False,
           static_k=fastnn.tensor(static_k))
    b = T_(torch.tensor(q), torch.tensor(k), torch.tensor(v), e, h, torch.tensor(w_in), None,
           None, None, False, 0.0, torch.tensor(w_out), None, training=False,
           static_k=torch.tensor(static_k))
    np.testing.assert_allclose(a[0].numpy(), b[0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a[1].numpy(), b[1].numpy(), rtol=1e-5, atol=1e-6)
