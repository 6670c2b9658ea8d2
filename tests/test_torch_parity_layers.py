"""PyTorch parity of the newer layers, the way a user ports a script: each model below
is written once against ``lib`` (torch or fastnn) -- a DCGAN generator, the PyTorch
examples' Transformer language model, a sub-pixel super-resolution net -- and both
must give the same loss, gradients and parameters after an optimizer step from the
same weights and inputs."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastnn  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor:UserWarning")


def npy(t):
    return t.detach().numpy()


def build(builder):
    torch.manual_seed(0)
    tm, fm = builder(torch), builder(fastnn)
    fm.load_state_dict({k: fastnn.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
    return tm, fm


def dcgan_generator(lib):
    nn = lib.nn
    nz, ngf = 8, 4
    return nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1, bias=False), nn.Tanh())


def transformer_lm(lib):
    nn = lib.nn

    class PositionalEncoding(nn.Module):
        def __init__(self, d_model, dropout=0.1, max_len=50):
            super().__init__()
            self.dropout = nn.Dropout(p=dropout)
            pe = lib.zeros(max_len, d_model)
            position = lib.arange(0, max_len, dtype=lib.float).unsqueeze(1)
            div_term = lib.exp(lib.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
            pe[:, 0::2] = lib.sin(position * div_term)
            pe[:, 1::2] = lib.cos(position * div_term)
            self.register_buffer("pe", pe.unsqueeze(0).transpose(0, 1))

        def forward(self, x):
            return self.dropout(x + self.pe[:x.size(0), :])

    class TransformerModel(nn.Transformer):
        def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.0):
            super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid,
                             num_encoder_layers=nlayers)
            self.src_mask = None
            self.pos_encoder = PositionalEncoding(ninp, dropout)
            self.input_emb = nn.Embedding(ntoken, ninp)
            self.ninp = ninp
            self.decoder = nn.Linear(ninp, ntoken)
            nn.init.uniform_(self.input_emb.weight, -0.1, 0.1)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

        def forward(self, src):
            mask = nn.Transformer.generate_square_subsequent_mask(len(src))
            src = self.input_emb(src) * math.sqrt(self.ninp)
            src = self.pos_encoder(src)
            output = self.encoder(src, mask=mask)
            output = self.decoder(output)
            return nn.functional.log_softmax(output, dim=-1)

    m = TransformerModel(12, 16, 2, 32, 2)
    for layer in m.encoder.layers:  # no dropout: the comparison needs the same numbers
        layer.dropout.p = layer.dropout1.p = layer.dropout2.p = 0.0
        layer.self_attn.dropout = 0.0
    return m


def super_resolution(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self, upscale_factor=2):
            super().__init__()
            self.relu = nn.ReLU()
            self.conv1 = nn.Conv2d(1, 8, (5, 5), (1, 1), (2, 2))
            self.conv2 = nn.Conv2d(8, 4 * upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
            self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
            self.conv3 = nn.Conv2d(4, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
            self.up = nn.Upsample(scale_factor=0.5, mode="bicubic")

        def forward(self, x):
            x = self.relu(self.conv1(x))
            x = self.pixel_shuffle(self.relu(self.conv2(x)))
            x = self.pixel_shuffle(self.conv3(x))
            return self.up(x)

    return Net()


def _step(lib, model, x, target, loss_fn):
    # SGD with momentum, not Adam: Adam's first step is lr * g / (|g| + eps), which turns
    # rounding noise in a zero gradient (the key bias of attention has one) into +-lr.
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    opt.zero_grad()
    loss = loss_fn(lib, model(x), target)
    loss.backward()
    grads = {k: p.grad for k, p in model.named_parameters()}
    opt.step()
    return loss, grads


CASES = {
    "dcgan": (dcgan_generator, lambda lib, rng: lib.tensor(rng.standard_normal((4, 8, 1, 1)).astype(np.float32)),
              lambda lib, rng: lib.tensor(np.tanh(rng.standard_normal((4, 1, 16, 16))).astype(np.float32)),
              lambda lib, y, t: lib.nn.functional.mse_loss(y, t)),
    "transformer_lm": (transformer_lm, lambda lib, rng: lib.tensor(rng.integers(0, 12, (7, 3))),
                       lambda lib, rng: lib.tensor(rng.integers(0, 12, (7 * 3,))),
                       lambda lib, y, t: lib.nn.functional.nll_loss(y.view(-1, 12), t)),
    "super_resolution": (super_resolution, lambda lib, rng: lib.tensor(rng.standard_normal((2, 1, 6, 6)).astype(np.float32)),
                         lambda lib, rng: lib.tensor(rng.standard_normal((2, 1, 12, 12)).astype(np.float32)),
                         lambda lib, y, t: lib.nn.functional.l1_loss(y, t)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_script_same_numbers(name):
    builder, make_x, make_t, loss_fn = CASES[name]
    tm, fm = build(builder)
    assert list(tm.state_dict()) == list(fm.state_dict())
    assert repr(tm) == repr(fm)
    results = []
    for lib, model in ((torch, tm), (fastnn, fm)):
        rng = np.random.default_rng(1)
        x, t = make_x(lib, rng), make_t(lib, rng)
        results.append(_step(lib, model, x, t, loss_fn))
    (tl, tg), (fl, fg) = results
    np.testing.assert_allclose(fl.item(), tl.item(), rtol=1e-5)
    for k in tg:
        np.testing.assert_allclose(npy(fg[k]), npy(tg[k]), rtol=1e-4, atol=1e-5, err_msg=k)
    for (k, tp), fp in zip(tm.named_parameters(), fm.parameters()):
        np.testing.assert_allclose(npy(fp), npy(tp), rtol=1e-4, atol=1e-5, err_msg=k)
