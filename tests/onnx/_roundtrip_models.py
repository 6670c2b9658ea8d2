"""The models the ONNX tests build, as factories: the export tests
(test_onnx_export.py) parametrize over the lists here, and the round-trip test
(test_onnx_roundtrip.py) takes every one of them through export, onnxruntime
and import. A factory returns ``(model, inputs, other_inputs, batch_axes)``:
``other_inputs`` is the same model's input at another batch size (other values
when no batch is dynamic), ``batch_axes`` the batch axis of each input (None: all
its sizes fixed). A sparse input goes into the file, onnxruntime and the imported
model as its dense form."""
import ast
import itertools
import math
import os
import runpy

import numpy as np

import fastnn
import fastnn.nn.functional as F
from fastnn import nn

EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "examples")
CORPUS = os.path.join(os.path.dirname(__file__), os.pardir, "corpus", "scripts")

ACTIVATIONS = [
    nn.ReLU(), nn.LeakyReLU(0.2), nn.GELU(), nn.GELU(approximate="tanh"), nn.Sigmoid(),
    nn.Tanh(), nn.ELU(0.7), nn.SiLU(), nn.Hardtanh(-0.5, 0.8), nn.ReLU6(), nn.SELU(),
    nn.Softplus(), nn.Softplus(beta=2.0), nn.LogSigmoid(), nn.Mish(), nn.LogSoftmax(dim=1),
    nn.Softmin(dim=1), nn.Softmax(dim=-1)]

CONV2D_KWARGS = [
    dict(kernel_size=3),
    dict(kernel_size=(3, 2), stride=2, padding=(1, 2), bias=False),
    dict(kernel_size=3, dilation=2, padding=2, groups=2),
    dict(kernel_size=3, padding="same"),
    dict(kernel_size=4, padding="same", dilation=1),
]

POOLS_2D = [
    nn.MaxPool2d(2), nn.MaxPool2d(3, stride=2, padding=1), nn.MaxPool2d(2, dilation=2),
    nn.MaxPool2d(3, stride=2, ceil_mode=True), nn.AvgPool2d(2),
    nn.AvgPool2d(3, stride=2, padding=1),
    nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
    nn.AdaptiveAvgPool2d(1), nn.AdaptiveAvgPool2d((2, 3)), nn.AdaptiveAvgPool2d((None, 2)),
]

# (num_layers, bidirectional, batch_first)
RECURRENT_CONFIGS = [(1, False, False), (2, True, True), (2, False, True), (1, True, False)]


def trained_bn(bn, shape):
    """A batch norm layer whose running statistics have moved off 0 and 1."""
    bn.train()
    for _ in range(3):
        bn(fastnn.randn(*shape) * 2 + 1)
    return bn


def example(name):
    return runpy.run_path(os.path.join(EXAMPLES, name), run_name="example_module")


def corpus(script, **names):
    """The nn.Module classes of a corpus script (tests/corpus/scripts: PyTorch code
    with ``import torch``), defined on fastnn. Only the class definitions run (the
    scripts train at import); ``names`` are the module-level globals they read."""
    import fastnn.nn.init
    with open(os.path.join(CORPUS, script)) as f:
        tree = ast.parse(f.read())
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)
               and any("Module" in ast.unparse(b) or "Transformer" in ast.unparse(b)
                       for b in n.bases)]
    ns = dict(torch=fastnn, nn=nn, F=F, init=fastnn.nn.init, math=math, np=np, **names)
    exec(compile(ast.Module(classes, []), script, "exec"), ns)
    return ns


# --- models with their own forward ---------------------------------------------------------------
class RecurrentNet(nn.Module):
    """One RNN/LSTM/GRU layer stack; returns y and h_n (LSTM: (h_n, c_n))."""

    def __init__(self, cls, layers, bidir, batch_first, **kwargs):
        super().__init__()
        self.rnn = cls(4, 5, num_layers=layers, bidirectional=bidir, batch_first=batch_first,
                       **kwargs)

    def forward(self, x):
        out = self.rnn(x)
        return out[0], out[1]


class ReluRNNThenLSTM(nn.Module):
    """A relu RNN without bias feeding an LSTM given its initial state."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(3, 4, nonlinearity="relu", bias=False)
        self.lstm = nn.LSTM(4, 2)

    def forward(self, x, h0, c0):
        y, _ = self.rnn(x)
        z, (h, c) = self.lstm(y, (h0, c0))
        return z, c


class EmbedMean(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 6)
        self.fc = nn.Linear(6, 3)

    def forward(self, idx):
        return self.fc(self.emb(idx).mean(1))


class LSTMHead(nn.Module):
    """The classifier of the issue: ``out, _ = self.lstm(x); return self.fc(out[:, -1])``."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 7, num_layers=2, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(14, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


class TensorOps(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        y = self.fc(x)
        a = (y + 1.5) * y - y / 3.0 + 2 ** y.clamp(-1, 1)
        b = (y.abs() + 1).log() + y.exp().sqrt() - (-y).sigmoid() * y.tanh() + y.pow(2)
        c = fastnn.maximum(a, b) - fastnn.minimum(a, 0.5 * b)
        d = fastnn.where(y > 0, c, b) + y.clamp(min=-0.2)
        e = d @ self.fc.weight + y.sum(1, keepdim=True) - y.mean(0) + y.amax(1, keepdim=True)
        f = e.var(1, keepdim=True) + e.std(1, keepdim=True) + e.max(1)[0].unsqueeze(1)
        return e * f + y.max() - y.min(), y.argmax(1), (y != 0.0) & (y >= -5.0)


class ShapeOps(nn.Module):
    def forward(self, x):
        n = x.shape[0]
        a = x.permute(0, 2, 1).reshape(n, -1)               # (N, 12)
        b = x.transpose(1, 2).flatten(1)                    # (N, 12)
        c = fastnn.cat([a, b], 1).view(n, 2, 12)            # (N, 2, 12)
        d = fastnn.stack([a, b], dim=1)                     # (N, 2, 12)
        e = (c + d)[:, 1, 2:10:3]                           # (N, 3)
        f = x[..., None, 1:, -1]                            # (N, 1, 2)
        g = x[:, [0, 2]].flip(1).sum(-1)                    # (N, 2)
        h = x.unsqueeze(1).expand(n, 2, 3, 4).reshape(n, 24)[:, ::5]
        k = x[:, :, 1:3].repeat(1, 2, 1).squeeze(0)
        return e, f, g, h, k, x[-1:]


class Pad(nn.Module):
    def forward(self, x):
        return (F.pad(x, (1, 2)), F.pad(x, (1, 1, 2, 0), value=0.5),
                F.pad(x, (2, 1, 1, 1), mode="reflect"), F.pad(x, (1, 1), mode="replicate"))


class BilinearUnflatten(nn.Module):
    def __init__(self):
        super().__init__()
        self.b = nn.Bilinear(3, 4, 6)
        self.rest = nn.Sequential(nn.Unflatten(1, (2, 3)), nn.Identity())

    def forward(self, a, c):
        return self.rest(self.b(a, c))


class InterpolateAndComposed(nn.Module):
    def forward(self, x):
        up = F.interpolate(x, scale_factor=2) + F.interpolate(x, size=(8, 6), mode="bilinear")
        v = x.flatten(1)
        w = (F.normalize(v, dim=1) + F.cosine_similarity(v, v * 2 + 1).unsqueeze(1)
             + v.cumsum(1) + v.logsumexp(1, keepdim=True) + v.norm(dim=1, keepdim=True))
        a, b = v.chunk(2, 1)
        return up, w, a * b + v.narrow(1, 1, 18) + v.index_select(1, fastnn.tensor(
            np.arange(0, 36, 2))), x.round() + x.floor() + x.sign()


class EinsumRoll(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(fastnn.randn(4, 4))

    def forward(self, x):
        y = fastnn.einsum("bij,jk->bik", x, self.w)
        return y.roll(1, 2) + y.roll((-1, 2), (1, 2)) + y.tril() + y.triu(1), y.roll(0, 1)


class Odd(nn.Module):
    """Outputs that are an input, or the same value twice."""

    def forward(self, x):
        y = x * 2.0
        return y, x, y


class Losses(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.ce = nn.CrossEntropyLoss(weight=fastnn.tensor(np.array([1., 2., .5], np.float32)),
                                      ignore_index=1)

    def forward(self, x, y, t):
        z = self.fc(x)
        pw = fastnn.tensor(np.array([1., 3., 2.], np.float32))
        return (self.ce(z, y), F.cross_entropy(z, y, reduction="none"),
                F.cross_entropy(z, y, reduction="sum"), F.mse_loss(z, t), F.l1_loss(z, t),
                F.smooth_l1_loss(z, t), F.huber_loss(z, t),
                F.binary_cross_entropy_with_logits(z, t.sigmoid()),
                F.binary_cross_entropy_with_logits(z, t.sigmoid(), pos_weight=pw),
                F.binary_cross_entropy(z.sigmoid(), t.sigmoid()),
                F.kl_div(F.log_softmax(z, 1), t.log_softmax(1), reduction="batchmean",
                         log_target=True))


class SelfAttention(nn.Module):
    """nn.MultiheadAttention on one sequence; with ``masked`` forward takes a key
    padding mask (True: padding) as a second input."""

    def __init__(self, batch_first=True, masked=False, causal=False):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=batch_first)
        self.masked, self.causal = masked, causal

    def forward(self, x, mask=None):
        causal = None
        if self.causal:
            causal = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
        out, w = self.attn(x, x, x, key_padding_mask=mask, attn_mask=causal)
        return out, w


class Attend(nn.Module):
    """F.scaled_dot_product_attention on (N, H, L, E), causal or with a float mask."""

    def __init__(self, causal):
        super().__init__()
        self.causal = causal
        self.proj = nn.Linear(4, 12)
        if not causal:
            self.mask = nn.Parameter(fastnn.randn(5, 5))  # a learned additive mask

    def forward(self, x):
        n = x.shape[0]
        q, k, v = self.proj(x).reshape(n, 5, 3, 4).permute(2, 0, 1, 3).unsqueeze(2).unbind(0)
        if self.causal:
            return F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=self.mask, scale=0.3)


class Decoder(nn.Module):
    """A transformer decoder layer with a causal target mask, on (target, memory)."""

    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True)

    def forward(self, tgt, memory):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1])
        return self.layer(tgt, memory, tgt_mask=mask)


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.t = nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True)

    def forward(self, src, tgt):
        return self.t(src, tgt)


class Stack(nn.Module):
    """ModuleList and ParameterList in a Python loop (the trace unrolls it)."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        self.shift = nn.ParameterList([nn.Parameter(fastnn.randn(4))])

    def forward(self, x):
        for layer in self.layers:
            x = F.relu(layer(x)) + self.shift[0]
        return x


class StateAsInputs(nn.Module):
    """forward(ids, (h, c)) as forward(ids, h, c): export takes a flat list of tensors."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids, h, c):
        out, (h, c) = self.model(ids, (h, c))
        return out, h, c


class UpDown(nn.Module):
    """The decoder half of a small image model: transposed convolutions, pixel
    shuffle, upsampling."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(4, 8, 3, stride=2, padding=1, output_padding=1)
        self.shuffle = nn.PixelShuffle(2)
        self.unshuffle = nn.PixelUnshuffle(2)
        self.conv = nn.Conv2d(8, 3, 3, padding=1)
        self.bilinear = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)

    def forward(self, x):
        y = self.shuffle(F.relu(self.up(x)))              # (N, 2, 2H*2, 2W*2)
        y = self.unshuffle(y)                              # (N, 8, 2H, 2W)
        return self.bilinear(self.conv(y)), F.interpolate(x, scale_factor=2, mode="nearest")


# --- the list ------------------------------------------------------------------------------
def _rand(*shape):
    return fastnn.randn(*shape)


def _dyn(model, shape, other_batch=5):
    """A model taking one input batched on axis 0."""
    return model, (_rand(*shape),), (_rand(other_batch, *shape[1:]),), [0]


def _recurrent(cls, layers, bidir, batch_first):
    shape, other = ((3, 6, 4), (2, 6, 4)) if batch_first else ((6, 3, 4), (6, 2, 4))
    return (RecurrentNet(cls, layers, bidir, batch_first), (_rand(*shape),), (_rand(*other),),
            [0 if batch_first else 1])


def _batchnorm_cnn():
    m = nn.Sequential(nn.Conv2d(2, 3, 3), trained_bn(nn.BatchNorm2d(3), (4, 3, 5, 5)), nn.ReLU(),
                      nn.Flatten(), nn.Linear(27, 5),
                      trained_bn(nn.BatchNorm1d(5, affine=False), (4, 5)))
    return _dyn(m, (2, 2, 5, 5))


def _embedding():
    idx = fastnn.tensor(np.array([[1, 4, 19, 0], [3, 3, 2, 7]]))
    return EmbedMean(), (idx,), (fastnn.tensor(np.arange(12).reshape(3, 4)),), [0]


def _relu_rnn_lstm():
    x, h, c = _rand(5, 2, 3), _rand(1, 2, 2), _rand(1, 2, 2)
    other = (_rand(5, 4, 3), _rand(1, 4, 2), _rand(1, 4, 2))
    return ReluRNNThenLSTM(), (x, h, c), other, [1, 1, 1]


def _losses():
    x, t = _rand(5, 4), _rand(5, 3)
    y = fastnn.tensor(np.array([0, 1, 2, 2, 0]))
    x2, t2 = _rand(3, 4), _rand(3, 3)
    y2 = fastnn.tensor(np.array([2, 0, 1]))
    return Losses(), (x, y, t), (x2, y2, t2), [0, 0, 0]


def _char_lstm():
    model = example("char_lstm.py")["CharModel"](vocab=11, hidden=8, num_layers=2)
    idx = fastnn.tensor(np.random.default_rng(0).integers(0, 11, (2, 5)))
    other = fastnn.tensor(np.random.default_rng(1).integers(0, 11, (3, 5)))
    return model, (idx,), (other,), [0]


def _gan(which):
    ns = example("gan_digits.py")
    net = ns["build"]()[which]
    size = ns["NOISE"] if which == 0 else 64
    return _dyn(net, (2, size))


def _digits_cnn():
    m = example("onnx_export.py")["DigitsCNN"]()
    trained_bn(m.bn1, (4, 16, 8, 8))
    trained_bn(m.bn2, (4, 32, 4, 4))
    return _dyn(m, (2, 1, 8, 8), other_batch=3)


def _keras_cnn():
    from fastnn.keras import Sequential
    from fastnn.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
    model = Sequential([Conv2D(4, (3, 3), activation="relu", padding="same", input_shape=(8, 8, 1)),
                        MaxPooling2D((2, 2)), Flatten(), Dense(10, activation="softmax")])
    model.predict(np.zeros((1, 8, 8, 1), np.float32))  # builds the layers
    return _dyn(model, (3, 8, 8, 1))


def _attention_padding_mask():
    def pad_mask(lengths):  # True past each sequence's length
        return fastnn.tensor(np.arange(5)[None, :] >= np.array(lengths)[:, None])
    return (SelfAttention(masked=True), (_rand(2, 5, 8), pad_mask([5, 3])),
            (_rand(3, 5, 8), pad_mask([2, 5, 4])), [0, 0])


class PaddedEncoder(nn.Module):
    """A transformer encoder layer given a key padding mask; a sequence that is all
    padding has attention rows with nothing to attend to (fastnn gives 0 there)."""

    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)

    def forward(self, x, mask):
        return self.layer(x, src_key_padding_mask=mask)


def _padded_encoder():
    def pad_mask(lengths):
        return fastnn.tensor(np.arange(5)[None, :] >= np.array(lengths)[:, None])
    return (PaddedEncoder(), (_rand(3, 5, 8), pad_mask([5, 0, 2])),
            (_rand(2, 5, 8), pad_mask([1, 4])), [0, 0])


def _keras(layers, shape, integers=None):
    """A Keras-style Sequential, built by one predict; inputs of ``shape`` (channels
    last), or integer ids below ``integers``."""
    from fastnn.keras import Sequential
    model = Sequential(layers)
    rng = np.random.default_rng(0)

    def data(n):
        if integers:
            return rng.integers(0, integers, (n,) + shape)
        return rng.random((n,) + shape).astype(np.float32)
    model.predict(data(1))
    return model, (fastnn.tensor(data(3)),), (fastnn.tensor(data(5)),), [0]


def _keras_cases(add):
    from fastnn.keras import layers as L
    add("keras_embedding_lstm_gru", lambda: _keras(
        [L.Embedding(20, 6), L.LSTM(5, return_sequences=True), L.GRU(4),
         L.Dense(3, activation="softmax")], (7,), integers=20))
    add("keras_bidirectional_lstm", lambda: _keras([L.Bidirectional(L.LSTM(5)), L.Dense(2)],
                                                   (6, 3)))
    add("keras_simple_rnn", lambda: _keras(
        [L.SimpleRNN(5, return_sequences=True), L.GlobalAveragePooling1D(), L.Dense(2)], (6, 3)))
    add("keras_conv1d", lambda: _keras(
        [L.Conv1D(4, 3, activation="relu"), L.MaxPooling1D(2), L.GlobalMaxPooling1D(),
         L.Dense(2)], (10, 2)))
    add("keras_cnn_batchnorm", lambda: _keras(
        [L.Rescaling(1 / 255.), L.ZeroPadding2D(1), L.Conv2D(4, 3), L.BatchNormalization(),
         L.Activation("relu"), L.AveragePooling2D(), L.UpSampling2D(2),
         L.GlobalAveragePooling2D(), L.Dropout(0.3), L.Dense(2)], (8, 8, 3)))
    add("keras_time_distributed_layernorm", lambda: _keras(
        [L.TimeDistributed(L.Dense(4)), L.LayerNormalization(), L.Reshape((20,)), L.Dense(2)],
        (5, 3)))


def _corpus_cases(add):
    def digits(cls):
        return lambda: _dyn(corpus(cls[0])[cls[1]](), (2, 1, 8, 8), other_batch=3)
    add("corpus_mnist_cnn", digits(("mnist_cnn.py", "Net")))
    add("corpus_mnist_accelerator", digits(("mnist_accelerator.py", "Net")))
    add("corpus_mnist_rnn", digits(("mnist_rnn.py", "Net")))
    add("corpus_siamese", lambda: (corpus("siamese_network.py")["SiameseNetwork"](),
                                   (_rand(2, 1, 8, 8), _rand(2, 1, 8, 8)),
                                   (_rand(3, 1, 8, 8), _rand(3, 1, 8, 8)), [0, 0]))
    add("corpus_super_resolution", lambda: _dyn(
        corpus("super_resolution.py")["Net"](upscale_factor=2), (2, 1, 4, 4)))

    def dcgan(which, shape):
        ns = corpus("dcgan.py", nz=8, ngf=8, ndf=8)
        net = ns[which]()
        if which == "Generator":
            trained_bn(net.main[1], (4, 16, 4, 4))
        return _dyn(net, shape)
    add("corpus_dcgan_generator", lambda: dcgan("Generator", (2, 8, 1, 1)))
    add("corpus_dcgan_discriminator", lambda: dcgan("Discriminator", (2, 1, 8, 8)))
    add("corpus_time_sequence_prediction", lambda: (
        corpus("time_sequence_prediction.py")["Sequence"](hidden=6).double(),
        (_rand(2, 7).double(),), (_rand(3, 7).double(),), [0]))

    def word_lm():
        model = StateAsInputs(corpus("word_language_model_lstm.py")["RNNModel"](
            12, 6, 5, 2, dropout=0.3))
        ids = fastnn.tensor(np.random.default_rng(0).integers(0, 12, (7, 2)))
        ids2 = fastnn.tensor(np.random.default_rng(1).integers(0, 12, (7, 3)))
        return (model, (ids, _rand(2, 2, 5), _rand(2, 2, 5)),
                (ids2, _rand(2, 3, 5), _rand(2, 3, 5)), [1, 1, 1])
    add("corpus_word_language_model_lstm", word_lm)

    def transformer_lm():
        model = corpus("word_language_model_transformer.py")["TransformerModel"](
            12, 8, 2, 16, 2, dropout=0.2)
        ids = fastnn.tensor(np.random.default_rng(0).integers(0, 12, (6, 2)))
        ids2 = fastnn.tensor(np.random.default_rng(1).integers(0, 12, (6, 3)))
        return model, (ids,), (ids2,), [1]
    add("corpus_word_language_model_transformer", transformer_lm)

    def gcn():
        # the adjacency is a sparse tensor in fastnn and a dense input in the file
        # (torch.sparse.mm becomes MatMul); the node count stays fixed
        model = corpus("gcn.py")["GCN"](5, 4, 3, dropout=0.5)
        rng = np.random.default_rng(0)

        def adj():
            a = rng.random((6, 6)) * (rng.random((6, 6)) < 0.4) + np.eye(6)
            return fastnn.tensor(a.astype(np.float32)).to_sparse()
        return model, (_rand(6, 5), adj()), (_rand(6, 5), adj()), [None, None]
    add("corpus_gcn_sparse_adjacency", gcn)


def _transformer_encoder():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    return _dyn(nn.TransformerEncoder(layer, 2), (2, 5, 8), other_batch=3)


def _cases():
    cases = []

    def add(name, fn):
        cases.append((name, fn))

    add("mlp_dropout_softmax", lambda: _dyn(nn.Sequential(
        nn.Linear(6, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 4), nn.Softmax(dim=1)), (3, 6)))
    for act in ACTIVATIONS:
        add(f"activation[{act!r}]", lambda act=act: _dyn(nn.Sequential(nn.Linear(5, 6), act),
                                                          (4, 5)))
    add("linear_3d", lambda: _dyn(nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2, bias=False)),
                                  (2, 7, 4)))
    for i, kw in enumerate(CONV2D_KWARGS):
        add(f"conv2d[{i}]", lambda kw=kw: _dyn(nn.Conv2d(4, 6, **kw), (2, 4, 9, 10)))
    add("conv1d", lambda: _dyn(nn.Sequential(nn.Conv1d(3, 4, 3, stride=2, padding=1), nn.ReLU(),
                                             nn.Conv1d(4, 4, 2, groups=4, dilation=2)), (2, 3, 12)))
    for i, pool in enumerate(POOLS_2D):
        add(f"pool[{i}:{pool!r}]", lambda pool=pool: _dyn(pool, (2, 3, 8, 6)))
    add("max_pool1d", lambda: _dyn(nn.MaxPool1d(3, stride=2, padding=1), (2, 3, 11)))
    add("seed_cnn", lambda: _dyn(nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)),
        (3, 1, 8, 8)))
    add("batchnorm_cnn", _batchnorm_cnn)
    add("layernorm", lambda: _dyn(nn.Sequential(
        nn.Linear(4, 6), nn.LayerNorm(6), nn.Linear(6, 6),
        nn.LayerNorm(6, elementwise_affine=False)), (3, 2, 4)))
    add("layernorm_2d", lambda: _dyn(nn.LayerNorm((3, 4)), (2, 3, 4)))
    add("embedding", _embedding)
    # every combination of layers (1, 2), bidirectional and batch_first
    for cls in (nn.LSTM, nn.GRU, nn.RNN):
        for cfg in itertools.product((1, 2), (False, True), (False, True)):
            add(f"{cls.__name__}{cfg}", lambda cls=cls, cfg=cfg: _recurrent(cls, *cfg))
        add(f"{cls.__name__}_no_bias_dropout_3_layers", lambda cls=cls: _dyn(
            RecurrentNet(cls, 3, True, True, bias=False, dropout=0.3), (3, 6, 4)))
    add("relu_rnn_lstm_state", _relu_rnn_lstm)
    add("lstm_head", lambda: _dyn(LSTMHead(), (4, 6, 5), other_batch=9))
    add("tensor_ops", lambda: _dyn(TensorOps(), (3, 4)))
    add("shape_ops", lambda: _dyn(ShapeOps(), (2, 3, 4), other_batch=4))
    add("pad", lambda: _dyn(Pad(), (2, 3, 4, 5)))
    add("float64_linear", lambda: (nn.Linear(3, 2).double(), (_rand(2, 3).double(),),
                                   (_rand(5, 3).double(),), [0]))
    add("odd_outputs", lambda: _dyn(Odd(), (2, 3), other_batch=3))
    for cell in ("RNNCell", "LSTMCell", "GRUCell"):
        add(cell, lambda cell=cell: _dyn(getattr(nn, cell)(3, 4), (2, 3)))
    add("bilinear_unflatten", lambda: (BilinearUnflatten(), (_rand(2, 3), _rand(2, 4)),
                                       (_rand(5, 3), _rand(5, 4)), [0, 0]))
    add("interpolate_composed", lambda: _dyn(InterpolateAndComposed(), (2, 3, 4, 3),
                                             other_batch=3))
    add("einsum_roll", lambda: _dyn(EinsumRoll(), (2, 3, 4)))
    add("losses", _losses)
    # the examples' models
    add("example_char_lstm", _char_lstm)
    for cell in ("gru", "lstm"):
        add(f"example_forecaster_{cell}", lambda cell=cell: _dyn(
            example("sine_forecast.py")["Forecaster"](hidden=6, horizon=3, cell=cell),
            (2, 10, 1), other_batch=4))
    add("example_lenet", lambda: _dyn(example("lenet_digits.py")["Net"](), (2, 1, 32, 32),
                                      other_batch=3))
    add("example_gan_generator", lambda: _gan(0))
    add("example_gan_discriminator", lambda: _gan(1))
    add("example_digits_cnn", _digits_cnn)
    add("example_export_c_cnn", lambda: _dyn(example("export_c.py")["seed_cnn"](), (2, 1, 8, 8)))
    add("keras_cnn", _keras_cnn)
    # the newer layers
    add("conv_transpose2d", lambda: _dyn(nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1,
                                                            output_padding=1), (2, 3, 5, 5)))
    add("conv_transpose2d_groups", lambda: _dyn(nn.ConvTranspose2d(
        4, 6, (3, 2), stride=(1, 2), padding=(0, 1), groups=2, dilation=(2, 1), bias=False),
        (2, 4, 5, 6)))
    add("conv_transpose1d", lambda: _dyn(nn.ConvTranspose1d(3, 4, 3, stride=2, padding=1,
                                                            dilation=2), (2, 3, 7)))
    add("pixel_shuffle", lambda: _dyn(nn.PixelShuffle(2), (2, 8, 3, 3)))
    add("pixel_unshuffle", lambda: _dyn(nn.PixelUnshuffle(2), (2, 2, 4, 6)))
    for kw in (dict(scale_factor=2), dict(scale_factor=2, mode="bilinear"),
               dict(size=(7, 5), mode="bilinear", align_corners=True),
               dict(size=(7, 5), mode="bicubic")):
        add(f"upsample[{kw}]", lambda kw=kw: _dyn(nn.Upsample(**kw), (2, 3, 4, 4)))
    add("upsample_linear_1d", lambda: _dyn(nn.Upsample(scale_factor=3, mode="linear"), (2, 3, 4)))
    add("up_down", lambda: _dyn(UpDown(), (2, 4, 3, 3)))
    add("dropout2d_eval", lambda: _dyn(nn.Sequential(nn.Conv2d(2, 3, 3), nn.Dropout2d(0.3)),
                                       (2, 2, 5, 5)))
    add("multihead_attention", lambda: _dyn(SelfAttention(), (2, 5, 8), other_batch=3))
    add("multihead_attention_seq_first", lambda: (SelfAttention(batch_first=False),
                                                  (_rand(5, 2, 8),), (_rand(5, 3, 8),), [1]))
    add("multihead_attention_padding_mask", _attention_padding_mask)
    add("multihead_attention_causal", lambda: _dyn(SelfAttention(causal=True), (2, 5, 8)))
    add("sdpa_causal", lambda: _dyn(Attend(True), (2, 5, 4), other_batch=3))
    add("sdpa_float_mask", lambda: _dyn(Attend(False), (2, 5, 4), other_batch=3))
    add("transformer_encoder_layer", lambda: _dyn(nn.TransformerEncoderLayer(
        8, 2, 16, dropout=0.0, batch_first=True), (2, 5, 8), other_batch=3))
    add("transformer_encoder_norm_first_gelu", lambda: _dyn(nn.TransformerEncoderLayer(
        8, 2, 16, dropout=0.1, activation="gelu", norm_first=True, batch_first=True),
        (2, 5, 8), other_batch=3))
    add("transformer_encoder", _transformer_encoder)
    add("transformer_encoder_padding_mask", _padded_encoder)
    add("transformer_decoder_layer", lambda: (Decoder(), (_rand(2, 4, 8), _rand(2, 6, 8)),
                                              (_rand(3, 4, 8), _rand(3, 6, 8)), [0, 0]))
    add("transformer", lambda: (Seq2Seq(), (_rand(2, 6, 8), _rand(2, 4, 8)),
                                (_rand(3, 6, 8), _rand(3, 4, 8)), [0, 0]))
    # more of fastnn.nn, and the Keras front end's layers
    for mode in ("reflect", "replicate", "circular"):
        add(f"conv2d_padding_{mode}", lambda mode=mode: _dyn(
            nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode), (2, 2, 5, 5)))
    add("batchnorm1d_3d", lambda: _dyn(trained_bn(nn.BatchNorm1d(3), (4, 3, 7)), (2, 3, 7)))
    add("embedding_padding_idx", lambda: (
        nn.Embedding(10, 4, padding_idx=0), (fastnn.tensor(np.array([[0, 1, 2], [3, 0, 9]])),),
        (fastnn.tensor(np.array([[5, 0, 0]])),), [0]))
    add("dropout1d_eval", lambda: _dyn(nn.Sequential(nn.Conv1d(2, 3, 3), nn.Dropout1d(0.2)),
                                       (2, 2, 6)))
    add("avg_pool_ceil", lambda: _dyn(nn.AvgPool2d(3, stride=2, ceil_mode=True), (2, 2, 7, 7)))
    add("module_list_loop", lambda: _dyn(Stack(), (2, 4)))
    _keras_cases(add)
    _corpus_cases(add)
    return cases


CASES = _cases()
# cases that need a newer opset than the default (circular Pad: opset 19)
OPSETS = {"conv2d_padding_circular": 19}
# cases onnxruntime cannot run (the file still passes the checker and re-imports)
NO_ORT = {"corpus_time_sequence_prediction": "onnxruntime's LSTM has no float64 kernel"}
