"""fastnn.export.to_c for attention: F.scaled_dot_product_attention (causal,
constant masks), nn.MultiheadAttention, Transformer encoder blocks, and an
Embedding + LSTM + Linear text model end to end; each built with -Werror
and equal to fastnn's forward (1e-4), to a NumPy formula, and to PyTorch on
the same weights where torch is installed."""
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


def _torch_state(model):
    torch = pytest.importorskip("torch")
    return {k: torch.from_numpy(v.detach().numpy().copy()) for k, v in model.state_dict().items()}


def _sdpa_ref(q, k, v, bias=None, causal=False, scale=None):
    """softmax(scale q k^T + bias) v in float64; rows with every key masked give 0."""
    s = q @ np.swapaxes(k, -1, -2) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if bias is not None:
        s = s + bias
    if causal:
        s = np.where(np.triu(np.ones(s.shape[-2:], bool), 1), -np.inf, s)
    m = s.max(axis=-1, keepdims=True)
    e = np.exp(s - np.where(np.isinf(m), 0, m))
    p = e / np.maximum(e.sum(axis=-1, keepdims=True), 1e-300)
    return p @ v


class SDPA(nn.Module):
    """q from the first L positions, k and v from all S (L != S), a constant mask."""

    def __init__(self, L, mask=None, causal=False, scale=None):
        super().__init__()
        self.L, self.mask, self.causal, self.scale = L, mask, causal, scale

    def forward(self, x):
        q = x[..., :self.L, :]
        mask = None if self.mask is None else fastnn.tensor(self.mask)
        return F.scaled_dot_product_attention(q, x, x * 0.5, attn_mask=mask,
                                              is_causal=self.causal, scale=self.scale)


def _bool_mask(L, S, seed, lead=()):
    m = np.random.default_rng(seed).random(lead + (L, S)) < 0.6
    m[..., 0, :] = False  # one query row sees no key: its output is 0 in fastnn
    m[..., 1, 1] = True
    return m


@pytest.mark.parametrize("shape, L, mask, causal, scale", [
    ((1, 5, 7), 5, None, False, None),                   # batch 1, self-attention
    ((3, 2, 6, 5), 4, None, True, None),                 # heads, L < S, causal
    ((2, 2, 5, 3), 5, "bool", False, 0.3),               # one (L, S) mask for every problem
    ((2, 3, 4, 6), 3, "bool-per-head", False, None),     # a mask per head (broadcast on batch)
    ((2, 4, 5), 4, "float", False, None),                # an additive float mask
])
def test_scaled_dot_product_attention(shape, L, mask, causal, scale, tmp_path):
    S = shape[-2]
    if mask == "bool":
        m = _bool_mask(L, S, 1)
    elif mask == "bool-per-head":
        m = _bool_mask(L, S, 2, lead=(shape[1],))
    elif mask == "float":
        m = np.random.default_rng(3).standard_normal((L, S)).astype(np.float32)
    else:
        m = None
    model = SDPA(L, m, causal, scale)
    xs = np.random.default_rng(4).standard_normal((3,) + shape).astype(np.float32)
    got, _ = common.check(model, xs, tmp_path)
    bias = None
    if m is not None:
        bias = m if m.dtype != bool else np.where(m, 0.0, -np.inf)
    x64 = xs.astype(np.float64)
    want = _sdpa_ref(x64[..., :L, :], x64, x64 * 0.5, bias, causal, scale)
    np.testing.assert_allclose(got, want.reshape(3, -1), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("batch_first, batch, T", [(True, 1, 5), (True, 3, 4), (False, 2, 3)])
def test_multihead_attention(batch_first, batch, T, tmp_path):
    class MHA(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(12, 3, batch_first=batch_first)

        def forward(self, x):
            return self.attn(x, x, x, need_weights=False)[0]
    fastnn.manual_seed(5)
    model = MHA()
    shape = (batch, T, 12) if batch_first else (T, batch, 12)
    xs = np.random.default_rng(6).standard_normal((2,) + shape).astype(np.float32)
    got, _ = common.check(model, xs, tmp_path)
    torch = pytest.importorskip("torch")
    ref = torch.nn.MultiheadAttention(12, 3, batch_first=batch_first)
    ref.load_state_dict({k[5:]: v for k, v in _torch_state(model).items()})
    with torch.no_grad():
        want = np.stack([ref(t, t, t, need_weights=False)[0].numpy().reshape(-1)
                         for t in map(torch.from_numpy, xs)])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("need_weights", [False, True])
def test_multihead_attention_fully_masked_row(need_weights, tmp_path):
    """A query that may attend to no key: PyTorch's MultiheadAttention (and
    fastnn's) gives 0 with need_weights=False and NaN with True; the C too."""
    mask = fastnn.tensor(np.triu(np.ones((4, 4), bool), 0))  # True = masked; row 0 all masked

    class Masked(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(6, 2, batch_first=True)

        def forward(self, x):
            return self.attn(x, x, x, attn_mask=mask, need_weights=need_weights)[0]
    fastnn.manual_seed(7)
    model = Masked()
    xs = np.random.default_rng(8).standard_normal((2, 2, 4, 6)).astype(np.float32)
    got, _ = common.check(model, xs, tmp_path)
    rows = got.reshape(2, 2, 4, 6)
    assert np.isnan(rows[:, :, 0]).all() == need_weights and np.isfinite(rows[:, :, 1:]).all()
    torch = pytest.importorskip("torch")
    ref = torch.nn.MultiheadAttention(6, 2, batch_first=True)
    ref.load_state_dict({k[5:]: v for k, v in _torch_state(model).items()})
    tmask = torch.from_numpy(mask.numpy())
    with torch.no_grad():
        want = np.stack([ref(t, t, t, attn_mask=tmask, need_weights=need_weights)[0]
                         .numpy().reshape(-1) for t in map(torch.from_numpy, xs)])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


class Encoder(nn.Module):
    """A two-block Transformer encoder (pre-norm, GELU, final norm) with a
    causal mask made in forward, as a captured constant."""

    def __init__(self, d=12, heads=3, ff=20):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=ff, batch_first=True,
                                           norm_first=True, activation="gelu")
        self.enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(d))

    def forward(self, x):
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
        return self.enc(x, mask=mask)


@pytest.mark.parametrize("batch", [1, 3])
def test_transformer_encoder_layer(batch, tmp_path):
    """The block as it traces: linear, slices, head reshapes, attention,
    residual adds, layer_norm, the feed-forward."""
    fastnn.manual_seed(9)
    model = nn.TransformerEncoderLayer(10, 2, dim_feedforward=14, batch_first=True)
    xs = np.random.default_rng(10).standard_normal((2, batch, 7, 10)).astype(np.float32)
    got, info = common.check(model, xs, tmp_path)
    src = open(info["source"]).read()
    assert "attention(" in src and "layer_norm(" in src
    torch = pytest.importorskip("torch")
    ref = torch.nn.TransformerEncoderLayer(10, 2, dim_feedforward=14, batch_first=True,
                                           dropout=0.0)
    ref.load_state_dict(_torch_state(model))
    with torch.no_grad():
        want = np.stack([ref.eval()(torch.from_numpy(x)).numpy().reshape(-1) for x in xs])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_transformer_encoder_causal_prenorm(tmp_path):
    fastnn.manual_seed(11)
    model = Encoder()
    xs = np.random.default_rng(12).standard_normal((2, 2, 5, 12)).astype(np.float32)
    got, _ = common.check(model, xs, tmp_path)
    torch = pytest.importorskip("torch")
    layer = torch.nn.TransformerEncoderLayer(12, 3, dim_feedforward=20, batch_first=True,
                                             norm_first=True, activation="gelu", dropout=0.0)
    ref = torch.nn.TransformerEncoder(layer, 2, norm=torch.nn.LayerNorm(12),
                                      enable_nested_tensor=False)
    ref.load_state_dict({k[4:]: v for k, v in _torch_state(model).items()})
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5)
    with torch.no_grad():
        want = np.stack([ref.eval()(torch.from_numpy(x), mask=mask).numpy().reshape(-1)
                         for x in xs])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


class TextModel(nn.Module):
    """Token ids -> Embedding -> LSTM -> Linear on the last step."""

    def __init__(self, vocab=13, dim=6, hidden=9, classes=4):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim, padding_idx=0)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, ids):
        out, _ = self.lstm(self.emb(ids))
        return self.fc(out[:, -1])


@pytest.mark.parametrize("batch", [1, 3])
def test_text_model_end_to_end(batch, tmp_path):
    fastnn.manual_seed(13)
    model = TextModel()
    ids = np.random.default_rng(14).integers(0, 13, (4, batch, 8))
    got, info = common.check(model, ids, tmp_path)
    assert info["input_shape"] == (batch, 8) and info["output_shapes"] == [(batch, 4)]
    torch = pytest.importorskip("torch")

    class Ref(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(13, 6, padding_idx=0)
            self.lstm = torch.nn.LSTM(6, 9, batch_first=True)
            self.fc = torch.nn.Linear(9, 4)

        def forward(self, t):
            return self.fc(self.lstm(self.emb(t))[0][:, -1])
    ref = Ref()
    ref.load_state_dict(_torch_state(model))
    with torch.no_grad():
        want = np.stack([ref(torch.from_numpy(i)).numpy().reshape(-1) for i in ids])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


class TinyTransformer(nn.Module):
    """Token and position embeddings (the positions a constant, folded at
    export), one encoder block, the first position's output, a classifier head."""

    def __init__(self, vocab=17, d=8, T=6):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(T, d)
        self.block = nn.TransformerEncoderLayer(d, 2, dim_feedforward=12, batch_first=True)
        self.head = nn.Linear(d, 3)

    def forward(self, ids):
        h = self.tok(ids) + self.pos(fastnn.arange(ids.shape[1]))
        return F.log_softmax(self.head(self.block(h)[:, 0]), dim=-1)


@pytest.mark.parametrize("batch", [1, 2])
def test_tiny_transformer_on_token_ids(batch, tmp_path):
    fastnn.manual_seed(22)
    model = TinyTransformer()
    ids = np.random.default_rng(23).integers(0, 17, (3, batch, 6))
    got, info = common.check(model, ids, tmp_path)
    src = open(info["source"]).read()
    assert src.count("if (embedding(") == 1  # the positions' lookup was folded at export


def test_text_model_int8(tmp_path):
    """quantize='int8' on the text model: the Linear goes int8 (calibrated on
    token ids), the Embedding and LSTM stay float; still close to float."""
    fastnn.manual_seed(15)
    model = TextModel(hidden=16)
    rng = np.random.default_rng(16)
    ids = rng.integers(0, 13, (4, 2, 8))
    got, info = common.export_and_run(model, ids, tmp_path, quantize="int8",
                                      calibration=rng.integers(0, 13, (64, 8)))
    src = open(info["source"]).read()
    assert "linear_int8(" in src and "lstm_layer(" in src and "embedding(" in src
    want = np.stack([common.forward(model, i) for i in ids])
    assert np.abs(got - want).max() < 0.05 * np.abs(want).max()


def test_transformer_int8(tmp_path):
    fastnn.manual_seed(17)
    model = Encoder()
    rng = np.random.default_rng(18)
    xs = rng.standard_normal((2, 2, 5, 12)).astype(np.float32)
    got, info = common.export_and_run(model, xs, tmp_path, quantize="int8",
                                      calibration=rng.standard_normal((32, 5, 12)))
    src = open(info["source"]).read()
    assert "linear_int8(" in src and "attention(" in src
    want = np.stack([common.forward(model, x) for x in xs])
    assert np.abs(got - want).max() < 0.05 * np.abs(want).max()


def test_attention_dropout_is_refused(tmp_path):
    """Dropout on the attention weights draws a random mask per call: no export."""
    class Drop(nn.Module):
        def forward(self, x):
            return F.scaled_dot_product_attention(x, x, x, dropout_p=0.5)
    with pytest.raises(fastnn.export.ExportError):
        fastnn.export.to_c(Drop(), fastnn.randn(1, 3, 4), str(tmp_path))


def test_attention_under_sanitizers(tmp_path):
    """The Transformer encoder and the text model at odd sizes under
    -fsanitize=address,undefined: no out-of-bounds access, same numbers."""
    san = common.sanitizers_work(tmp_path)
    if san is None:
        pytest.skip("the compiler cannot build and run with -fsanitize=address,undefined")
    fastnn.manual_seed(19)
    for sub, model, xs in (
            ("enc", Encoder(d=6, heads=2, ff=5),
             np.random.default_rng(20).standard_normal((2, 3, 3, 6)).astype(np.float32)),
            ("text", TextModel(), np.random.default_rng(21).integers(0, 13, (2, 2, 5)))):
        d = tmp_path / sub
        info = fastnn.export.to_c(model, fastnn.tensor(xs[0]), str(d))
        exe = common.build.build(str(d), extra=san)
        size = int(np.prod(info["output_shapes"][0]))
        got = common.build.run(exe, xs.reshape(len(xs), -1), size)
        want = np.stack([common.forward(model, x) for x in xs])
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


class HandAttention(nn.Module):
    """Attention written with matmul: a (B, H, T, E) x (B, H, E, T) product, a
    broadcast weight (E, E) on the right, a 1-D vector on each side."""

    def __init__(self, e=5):
        super().__init__()
        self.w = nn.Parameter(fastnn.randn(e, e))
        self.u = nn.Parameter(fastnn.randn(e))

    def forward(self, x):
        s = (x @ x.transpose(-2, -1)) * 0.5
        y = s.softmax(-1) @ (x @ self.w)
        return y, self.u @ y.transpose(-2, -1) @ self.u[:4]


@pytest.mark.parametrize("shape", [(1, 4, 5), (2, 3, 4, 5)])
def test_matmul(shape, tmp_path):
    fastnn.manual_seed(24)
    model = HandAttention()
    xs = np.random.default_rng(25).standard_normal((3,) + shape).astype(np.float32)
    got, _ = common.check(model, xs, tmp_path)
    w, u = model.w.detach().numpy().astype(np.float64), model.u.detach().numpy().astype(np.float64)
    x = xs.astype(np.float64)
    s = x @ np.swapaxes(x, -1, -2) * 0.5
    e = np.exp(s - s.max(-1, keepdims=True))
    y = e / e.sum(-1, keepdims=True) @ (x @ w)
    want = np.concatenate([y.reshape(3, -1), (u @ np.swapaxes(y, -1, -2) @ u[:4]).reshape(3, -1)],
                          axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_full_transformer_cross_attention(tmp_path):
    """nn.Transformer (encoder and decoder: self-attention with a causal
    target mask, cross-attention with L != S) on slices of one input."""
    class Seq2Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.t = nn.Transformer(8, 2, 1, 1, 16, batch_first=True)

        def forward(self, x):
            mask = nn.Transformer.generate_square_subsequent_mask(3)
            return self.t(x, x[:, :3], tgt_mask=mask)
    fastnn.manual_seed(26)
    model = Seq2Seq()
    xs = np.random.default_rng(27).standard_normal((2, 2, 5, 8)).astype(np.float32)
    got, info = common.check(model, xs, tmp_path)
    assert info["output_shapes"] == [(2, 3, 8)]
    torch = pytest.importorskip("torch")
    ref = torch.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True)
    ref.load_state_dict({k[2:]: v for k, v in _torch_state(model).items()})
    mask = torch.nn.Transformer.generate_square_subsequent_mask(3)
    with torch.no_grad():
        want = np.stack([ref.eval()(t, t[:, :3], tgt_mask=mask).numpy().reshape(-1)
                         for t in map(torch.from_numpy, xs)])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
