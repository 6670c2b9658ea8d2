"""fastnn.export.to_c: every exported model is built with the system C compiler
(-std=c99 -pedantic -Wall -Wextra -Werror) and compared with fastnn's forward."""
import os
import subprocess
import sys

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import nn

sys.path.insert(0, os.path.dirname(__file__))
import _c_build as _build  # noqa: E402

pytestmark = pytest.mark.skipif(_build.CC is None, reason="no C compiler found")


def _forward(model, x):
    model.eval()
    with fastnn.no_grad():
        out = model(fastnn.tensor(x))
    outs = out if isinstance(out, tuple) else (out,)
    return np.concatenate([o.numpy().reshape(-1) for o in outs])


def _check(model, shape, tmp_path, n=4, tol=1e-4, **kw):
    """Export at ``shape``, build, run ``n`` random inputs; max abs difference."""
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((n,) + shape).astype(np.float32)
    info = fastnn.export.to_c(model, fastnn.tensor(xs[0]), str(tmp_path), **kw)
    exe = _build.build(str(tmp_path))
    size = sum(int(np.prod(s)) for s in info["output_shapes"])
    got = _build.run(exe, xs.reshape(n, -1), size)
    want = np.stack([_forward(model, x) for x in xs])
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    return info


class LSTMClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 12, num_layers=2, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(24, 5)

    def forward(self, x):
        out, _ = self.lstm(x)
        return F.log_softmax(self.fc(out[:, -1]), dim=1)


class Recurrent(nn.Module):
    """GRU (time-major, returning its final state too) and a relu RNN."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(6, 7)
        self.rnn = nn.RNN(7, 5, nonlinearity="relu", bias=False, batch_first=True)

    def forward(self, x):
        y, h = self.gru(x)
        z, _ = self.rnn(y.transpose(0, 1))
        return z.flip(1), h


class Mixed(nn.Module):
    """Conv1d (stride, dilation, groups) + BatchNorm1d + pooling + elementwise ops."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 6, 3, stride=2, dilation=2, groups=2)
        self.bn = nn.BatchNorm1d(6)
        self.pool = nn.MaxPool1d(2)
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        y = self.pool(self.bn(self.conv(x)))
        z = self.fc(y)
        a = _elementwise_mix(z, y)
        return a.permute(0, 2, 1), F.softmax(z, dim=1)


def _elementwise_mix(z, y):
    """Scalars, broadcasting-free binaries and most activations, in one expression."""
    a = z * 2 + y - z / 3
    a = F.elu(F.leaky_relu(a, 0.1)) + F.gelu(fastnn.sigmoid(a)) * y
    return fastnn.tanh(a) - F.softplus(a) + F.relu6(a)


def _seed_cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def test_seed_cnn_and_mlp(tmp_path):
    fastnn.manual_seed(0)
    info = _check(_seed_cnn(), (2, 1, 8, 8), tmp_path / "cnn")
    assert info["output_shapes"] == [(2, 10)]
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    _check(mlp, (1, 784), tmp_path / "mlp")
    header = open(info["header"]).read()
    assert "#define MODEL_INPUT_SIZE 128" in header and "#define MODEL_OUTPUT_SIZE 20" in header
    assert "int model_forward(const float *input, float *output);" in header
    assert "MODEL_WORKSPACE_SIZE" in header


def test_lstm_classifier(tmp_path):
    fastnn.manual_seed(1)
    _check(LSTMClassifier(), (3, 5, 8), tmp_path)


def test_gru_rnn_and_tuple_outputs(tmp_path):
    fastnn.manual_seed(2)
    info = _check(Recurrent(), (4, 2, 6), tmp_path)
    assert info["output_shapes"] == [(2, 4, 5), (1, 2, 7)]


def test_conv1d_batchnorm_elementwise(tmp_path):
    fastnn.manual_seed(3)
    m = Mixed()
    m.bn.running_mean._data[:] = np.linspace(-1, 1, 6, dtype=np.float32)
    m.bn.running_var._data[:] = np.linspace(0.5, 2, 6, dtype=np.float32)
    _check(m, (2, 4, 20), tmp_path)


def test_conv2d_geometry_and_pools(tmp_path):
    fastnn.manual_seed(4)
    m = nn.Sequential(nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2, bias=False),
                      nn.BatchNorm2d(6), nn.Sigmoid(),
                      nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True),
                      nn.AdaptiveAvgPool2d((2, 3)), nn.MaxPool2d(2, stride=1, padding=1),
                      nn.Flatten(), nn.Linear(72, 3), nn.LogSoftmax(dim=1))
    _check(m, (2, 4, 17, 19), tmp_path)


def test_workspace_variant_and_symbols(tmp_path):
    """forward_ws with a caller's buffer equals forward; the object file calls
    nothing but libm (no allocation, I/O or exit)."""
    fastnn.manual_seed(5)
    info = fastnn.export.to_c(LSTMClassifier(), fastnn.randn(1, 4, 8), str(tmp_path), name="net")
    obj = str(tmp_path / "net.o")
    names = _build.undefined_symbols(info["source"], obj)
    if names is not None:
        forbidden = {"malloc", "calloc", "realloc", "free", "printf", "fprintf", "puts",
                     "fopen", "fwrite", "fread", "exit", "abort", "putchar"}
        assert not names & forbidden, names
        assert names <= _build.LIBM_SYMBOLS | _build.RUNTIME_SYMBOLS, names
    main = tmp_path / "ws.c"
    main.write_text(r"""
#include <stdio.h>
#include "net.h"
static float ws[NET_WORKSPACE_SIZE];
int main(void) {
    float in[NET_INPUT_SIZE], a[NET_OUTPUT_SIZE], b[NET_OUTPUT_SIZE];
    int i, same = 1;
    for (i = 0; i < NET_INPUT_SIZE; i++) in[i] = (float)(i % 7) * 0.1f - 0.3f;
    if (net_forward(in, a) || net_forward_ws(in, b, ws)) return 1;
    if (net_forward(NULL, a) != -1) return 2;
    for (i = 0; i < NET_OUTPUT_SIZE; i++) same &= a[i] == b[i];
    return same ? 0 : 3;
}
""")
    exe = str(tmp_path / "ws")
    subprocess.run([_build.CC, "-std=c99", "-I", str(tmp_path), str(main), obj, "-o", exe, "-lm"],
                   check=True)
    assert subprocess.run([exe]).returncode == 0


def test_sanitizers(tmp_path):
    """The seed CNN under -fsanitize=address,undefined: no out-of-bounds access."""
    san = _build.sanitizer_flags(tmp_path)
    if san is None:
        pytest.skip("sanitized binaries cannot be built or run here")
    fastnn.manual_seed(6)
    model = _seed_cnn()
    x = np.random.default_rng(1).standard_normal((3, 1, 1, 8, 8)).astype(np.float32)
    fastnn.export.to_c(model, fastnn.tensor(x[0]), str(tmp_path))
    exe = _build.build(str(tmp_path), extra=san)
    got = _build.run(exe, x.reshape(3, -1), 10)
    np.testing.assert_allclose(got, np.stack([_forward(model, xi) for xi in x]), atol=1e-4)


def test_unsupported_op_is_named(tmp_path):
    class Cumprod(nn.Module):
        def forward(self, x):
            return x.cumprod(1)
    with pytest.raises(fastnn.export.ExportError, match="cumprod"):
        fastnn.export.to_c(Cumprod(), fastnn.randn(2, 3), str(tmp_path))


def test_bad_arguments(tmp_path):
    m = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="name"):
        fastnn.export.to_c(m, fastnn.randn(1, 3), str(tmp_path), name="9bad")
    with pytest.raises(ValueError, match="quantize"):
        fastnn.export.to_c(m, fastnn.randn(1, 3), str(tmp_path), quantize="int4")
    with pytest.raises(ValueError, match="calibration"):
        fastnn.export.to_c(m, fastnn.randn(1, 3), str(tmp_path), quantize="int8")
    with pytest.raises(TypeError, match="example_input"):
        fastnn.export.to_c(m, [[1.0, 2.0, 3.0]], str(tmp_path))


def test_lstm_classifier_matches_torch(tmp_path):
    """The exported bidirectional LSTM gives PyTorch's numbers on the same weights."""
    torch = pytest.importorskip("torch")
    fastnn.manual_seed(7)
    model = LSTMClassifier()
    x = np.random.default_rng(2).standard_normal((2, 5, 8)).astype(np.float32)
    fastnn.export.to_c(model, fastnn.tensor(x), str(tmp_path))
    got = _build.run(_build.build(str(tmp_path)), x.reshape(1, -1), 10).reshape(2, 5)

    class Ref(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(8, 12, num_layers=2, batch_first=True, bidirectional=True)
            self.fc = torch.nn.Linear(24, 5)

        def forward(self, t):
            out, _ = self.lstm(t)
            return torch.log_softmax(self.fc(out[:, -1]), dim=1)
    ref = Ref()
    ref.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())
                         for k, v in model.state_dict().items()})
    with torch.no_grad():
        want = ref(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_broadcasting_and_data_movement(tmp_path):
    """Broadcast operands, expand, slices with steps, cat along a middle axis."""
    class Moves(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(fastnn.randn(1, 3, 1))

        def forward(self, x):
            a = x * self.scale + x[:, :1]                       # [N,3,4] broadcasts
            b = a[:, ::2, 1:].transpose(1, 2)                    # [N,3,2]
            c = fastnn.cat([a.transpose(1, 2)[:, :, :2], b], 1)  # [N,6,2]
            return fastnn.maximum(c, c.flip(2)) - 2 ** c.sigmoid()
    fastnn.manual_seed(8)
    _check(Moves(), (2, 3, 4), tmp_path)


def test_gemm_tiles_and_leftovers(tmp_path):
    """The C product's 4x8 and 1x16 register tiles and the plain loop for
    what they leave: batch 6 (one 4-row tile + 2 rows), 37 and 19 columns
    (tiles + leftover columns), and k = 1."""
    fastnn.manual_seed(7)
    m = nn.Sequential(nn.Linear(13, 37), nn.Tanh(), nn.Linear(37, 19), nn.Linear(19, 1),
                      nn.Linear(1, 40))
    _check(m, (6, 13), tmp_path / "rows")
    _check(m, (1, 13), tmp_path / "one")
    conv = nn.Sequential(nn.Conv2d(3, 9, 3), nn.Conv2d(9, 4, 2, padding=1))
    _check(conv, (2, 3, 7, 6), tmp_path / "conv")
