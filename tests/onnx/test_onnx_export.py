"""fastnn.onnx.export: every layer type, checked by onnx's checker (full_check) and
run by onnxruntime against fastnn's own forward (1e-4), at the traced batch and
at another one when the batch axis is dynamic."""
import io

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import fastnn  # noqa: E402
import fastnn.nn.functional as F  # noqa: E402
from fastnn import nn  # noqa: E402
from fastnn.onnx._builder import ExportError  # noqa: E402


def _session(data):
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])


def _outputs(out):
    if isinstance(out, (tuple, list)):
        return [o for x in out for o in _outputs(x)]
    return [out.detach().numpy()]


def check_export(model, inputs, batch_axes=None, other=None, atol=1e-4, opset=None):
    """Export, check, run in onnxruntime; compare with model(*inputs) (and model(*other))."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,)
    names = [f"in{i}" for i in range(len(inputs))]
    model.eval()
    n_out = len(_outputs(model(*inputs)))
    out_names = [f"out{i}" for i in range(n_out)]
    dyn = None
    if batch_axes is not None:
        dyn = {n: {ax: "batch"} for n, ax in zip(names, batch_axes) if ax is not None}
    buf = io.BytesIO()
    proto = fastnn.onnx.export(model, inputs, buf, input_names=names, output_names=out_names,
                               dynamic_axes=dyn, opset_version=opset)
    onnx.checker.check_model(proto, full_check=True)
    sess = _session(buf.getvalue())
    for xs in [inputs] + ([other] if other is not None else []):
        xs = xs if isinstance(xs, tuple) else (xs,)
        got = sess.run(None, {n: x.numpy() for n, x in zip(names, xs)})
        want = _outputs(model(*xs))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, atol=atol, rtol=1e-4)
    return proto


def _dyn(model, shape, other_batch=5, opset=None):
    fastnn.manual_seed(0)
    x = fastnn.randn(*shape)
    x2 = fastnn.randn(other_batch, *shape[1:])
    return check_export(model, x, batch_axes=[0], other=x2, opset=opset)


# --- dense and activations ---------------------------------------------------------------------
def test_mlp_with_dropout_and_softmax():
    fastnn.manual_seed(0)
    m = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 4),
                      nn.Softmax(dim=1))
    m.train()
    fastnn.onnx.export(m, fastnn.randn(3, 6), io.BytesIO())
    assert m.training and m[2].training  # exported in eval mode, then put back
    proto = _dyn(m, (3, 6))
    assert {n.op_type for n in proto.graph.node} == {"Gemm", "Relu", "Softmax"}
    # parameters keep their state_dict names
    assert {i.name for i in proto.graph.initializer} >= {"0.weight", "0.bias", "3.weight"}


@pytest.mark.parametrize("act", [
    nn.ReLU(), nn.LeakyReLU(0.2), nn.GELU(), nn.GELU(approximate="tanh"), nn.Sigmoid(),
    nn.Tanh(), nn.ELU(0.7), nn.SiLU(), nn.Hardtanh(-0.5, 0.8), nn.ReLU6(), nn.SELU(),
    nn.Softplus(), nn.Softplus(beta=2.0), nn.LogSigmoid(), nn.Mish(), nn.LogSoftmax(dim=1),
    nn.Softmin(dim=1), nn.Softmax(dim=-1)], ids=lambda m: repr(m))
def test_every_activation(act):
    m = nn.Sequential(nn.Linear(5, 6), act)
    _dyn(m, (4, 5))


def test_gelu_native_operator_from_opset_20():
    fastnn.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.GELU())
    proto = check_export(m, fastnn.randn(2, 3), opset=20)
    assert "Gelu" in {n.op_type for n in proto.graph.node}


def test_linear_on_3d_input():
    _dyn(nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2, bias=False)), (2, 7, 4))


# --- convolution and pooling -------------------------------------------------------------------
@pytest.mark.parametrize("kw", [
    dict(kernel_size=3),
    dict(kernel_size=(3, 2), stride=2, padding=(1, 2), bias=False),
    dict(kernel_size=3, dilation=2, padding=2, groups=2),
    dict(kernel_size=3, padding="same"),
    dict(kernel_size=4, padding="same", dilation=1),
])
def test_conv2d(kw):
    _dyn(nn.Conv2d(4, 6, **kw), (2, 4, 9, 10))


def test_conv1d():
    _dyn(nn.Sequential(nn.Conv1d(3, 4, 3, stride=2, padding=1), nn.ReLU(),
                       nn.Conv1d(4, 4, 2, groups=4, dilation=2)), (2, 3, 12))


@pytest.mark.parametrize("pool", [
    nn.MaxPool2d(2), nn.MaxPool2d(3, stride=2, padding=1), nn.MaxPool2d(2, dilation=2),
    nn.MaxPool2d(3, stride=2, ceil_mode=True), nn.AvgPool2d(2),
    nn.AvgPool2d(3, stride=2, padding=1), nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
    nn.AdaptiveAvgPool2d(1), nn.AdaptiveAvgPool2d((2, 3)), nn.AdaptiveAvgPool2d((None, 2)),
], ids=lambda m: repr(m))
def test_pooling_2d(pool):
    _dyn(pool, (2, 3, 8, 6))


def test_max_pool1d():
    _dyn(nn.MaxPool1d(3, stride=2, padding=1), (2, 3, 11))


def test_seed_cnn():
    """The Keras digits CNN of examples/cnn_digits.py in torch form."""
    m = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    _dyn(m, (3, 1, 8, 8))


# --- normalisation, embedding ------------------------------------------------------------------
def _trained_bn(bn, shape):
    bn.train()
    for _ in range(3):
        bn(fastnn.randn(*shape) * 2 + 1)
    return bn


def test_batchnorm_eval_uses_running_statistics():
    fastnn.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(2, 3, 3), _trained_bn(nn.BatchNorm2d(3), (4, 3, 5, 5)), nn.ReLU(),
                      nn.Flatten(), nn.Linear(27, 5),
                      _trained_bn(nn.BatchNorm1d(5, affine=False), (4, 5)))
    _dyn(m, (2, 2, 5, 5))


def test_layernorm():
    fastnn.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6), nn.Linear(6, 6),
                      nn.LayerNorm(6, elementwise_affine=False))
    _dyn(m, (3, 2, 4))


def test_layernorm_over_two_dims():
    _dyn(nn.LayerNorm((3, 4)), (2, 3, 4))


class EmbedMean(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 6)
        self.fc = nn.Linear(6, 3)

    def forward(self, idx):
        return self.fc(self.emb(idx).mean(1))


def test_embedding_integer_input():
    m = EmbedMean()
    idx = fastnn.tensor(np.array([[1, 4, 19, 0], [3, 3, 2, 7]]))
    idx2 = fastnn.tensor(np.arange(12).reshape(3, 4))
    check_export(m, idx, batch_axes=[0], other=idx2)


# --- recurrent ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
@pytest.mark.parametrize("layers,bidir,batch_first", [(1, False, False), (2, True, True),
                                                      (2, False, True), (1, True, False)])
def test_recurrent_layers(cls, layers, bidir, batch_first):
    fastnn.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = cls(4, 5, num_layers=layers, bidirectional=bidir, batch_first=batch_first)

        def forward(self, x):
            out = self.rnn(x)
            return out[0], out[1]  # y and h_n (LSTM: (h_n, c_n))
    x = fastnn.randn(3, 6, 4) if batch_first else fastnn.randn(6, 3, 4)
    x2 = fastnn.randn(2, 6, 4) if batch_first else fastnn.randn(6, 2, 4)
    check_export(Net(), x, batch_axes=[0 if batch_first else 1], other=x2)


def test_rnn_relu_and_no_bias_and_given_state():
    fastnn.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.RNN(3, 4, nonlinearity="relu", bias=False)
            self.lstm = nn.LSTM(4, 2)

        def forward(self, x, h0, c0):
            y, _ = self.rnn(x)
            z, (h, c) = self.lstm(y, (h0, c0))
            return z, c
    x, h, c = fastnn.randn(5, 2, 3), fastnn.randn(1, 2, 2), fastnn.randn(1, 2, 2)
    other = (fastnn.randn(5, 4, 3), fastnn.randn(1, 4, 2), fastnn.randn(1, 4, 2))
    check_export(Net(), (x, h, c), batch_axes=[1, 1, 1], other=other)


class LSTMHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 7, num_layers=2, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(14, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


def test_lstm_classifier_from_the_issue():
    fastnn.manual_seed(0)
    proto = _dyn(LSTMHead(), (4, 6, 5), other_batch=9)
    assert [n.op_type for n in proto.graph.node].count("LSTM") == 4


def test_lstm_matches_pytorch_with_the_same_weights():
    torch = pytest.importorskip("torch")
    fastnn.manual_seed(0)
    m = LSTMHead()
    tm = torch.nn.Module()
    tm.lstm = torch.nn.LSTM(5, 7, num_layers=2, batch_first=True, bidirectional=True)
    tm.fc = torch.nn.Linear(14, 3)
    tm.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in m.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 6, 5)).astype(np.float32)
    buf = io.BytesIO()
    fastnn.onnx.export(m, fastnn.tensor(x), buf, input_names=["x"])
    got = _session(buf.getvalue()).run(None, {"x": x})[0]
    with torch.no_grad():
        out, _ = tm.lstm(torch.tensor(x))
        want = tm.fc(out[:, -1]).numpy()
    np.testing.assert_allclose(got, want, atol=1e-5)


# --- tensor ops --------------------------------------------------------------------------------
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


def test_common_tensor_ops():
    _dyn(TensorOps(), (3, 4))


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


def test_shape_and_indexing_ops():
    _dyn(ShapeOps(), (2, 3, 4), other_batch=4)


def test_pad_modes():
    class Pad(nn.Module):
        def forward(self, x):
            return (F.pad(x, (1, 2)), F.pad(x, (1, 1, 2, 0), value=0.5),
                    F.pad(x, (2, 1, 1, 1), mode="reflect"), F.pad(x, (1, 1), mode="replicate"))
    _dyn(Pad(), (2, 3, 4, 5))


def test_float64_model():
    m = nn.Linear(3, 2).double()
    check_export(m, fastnn.randn(2, 3).double(), batch_axes=[0],
                 other=fastnn.randn(5, 3).double())


# --- files, names, arguments --------------------------------------------------------------------
def test_f_as_a_path_and_names_and_static_shapes(tmp_path):
    m = nn.Sequential(nn.Linear(3, 2))
    path = tmp_path / "m.onnx"
    fastnn.onnx.export(m, fastnn.randn(4, 3), str(path), input_names=["features"],
                       output_names=["logits"])
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert [i.name for i in model.graph.input] == ["features"]
    assert [o.name for o in model.graph.output] == ["logits"]
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [4, 3]  # no dynamic_axes: every size fixed, as torch does
    assert model.opset_import[0].version == 18
    x = np.ones((4, 3), np.float32)
    got = _session(str(path)).run(None, {"features": x})[0]
    np.testing.assert_allclose(got, m(fastnn.tensor(x)).detach().numpy(), atol=1e-6)


def test_dynamic_axes_names_and_list_form():
    m = nn.Sequential(nn.Linear(3, 2))
    buf = io.BytesIO()
    proto = fastnn.onnx.export(m, fastnn.randn(4, 3), buf, input_names=["x"], output_names=["y"],
                               dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    buf = io.BytesIO()
    proto = fastnn.onnx.export(m, fastnn.randn(4, 3), buf, input_names=["x"],
                               dynamic_axes={"x": [0]})
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "x_dim0"
    got = _session(buf.getvalue()).run(None, {"x": np.ones((7, 3), np.float32)})[0]
    assert got.shape == (7, 2)


def test_output_that_is_an_input_or_repeated():
    class Odd(nn.Module):
        def forward(self, x):
            y = x * 2.0
            return y, x, y
    check_export(Odd(), fastnn.randn(2, 3), batch_axes=[0], other=fastnn.randn(3, 3))


@pytest.mark.parametrize("opset", [17, 19, 21])
def test_other_opsets(opset):
    fastnn.manual_seed(0)
    _dyn(LSTMHead(), (2, 6, 5), opset=opset)
    m = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.GELU())
    check_export(m, fastnn.randn(2, 3), opset=opset)
    check_export(TensorOps(), fastnn.randn(3, 4), opset=opset)


def test_initializers_as_inputs():
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    buf = io.BytesIO()
    proto = fastnn.onnx.export(m, fastnn.randn(2, 3), buf, keep_initializers_as_inputs=True)
    assert {"0.weight", "0.bias"} <= {i.name for i in proto.graph.input}
    onnx.checker.check_model(proto, full_check=True)


def test_clear_errors():
    m = nn.Linear(3, 2)
    x = fastnn.randn(2, 3)
    with pytest.raises(TypeError, match="f: expected a path"):
        fastnn.onnx.export(m, x, 42)
    with pytest.raises(ValueError, match="opset_version"):
        fastnn.onnx.export(m, x, io.BytesIO(), opset_version=9)
    with pytest.raises(TypeError, match="unexpected keyword"):
        fastnn.onnx.export(m, x, io.BytesIO(), not_an_argument=1)
    with pytest.raises(ValueError, match="export_params"):
        fastnn.onnx.export(m, x, io.BytesIO(), export_params=False)
    with pytest.raises(ValueError, match="output_names"):
        fastnn.onnx.export(m, x, io.BytesIO(), output_names=["a", "b"])
    with pytest.raises(ValueError, match="neither an input name"):
        fastnn.onnx.export(m, x, io.BytesIO(), dynamic_axes={"inptu": {0: "batch"}})

    class Cum(nn.Module):
        def forward(self, x):
            return x.cumprod(1)
    with pytest.raises(ExportError, match="cumprod: this op .* has no ONNX export"):
        fastnn.onnx.export(Cum(), x, io.BytesIO())

    class Packed(nn.Module):
        def forward(self, x):
            return F.max_pool2d(x, 2, return_indices=True)[1]
    with pytest.raises(ExportError, match="return_indices"):
        fastnn.onnx.export(Packed(), fastnn.randn(1, 1, 4, 4), io.BytesIO())

    with pytest.raises(ExportError, match="divisor_override"):
        fastnn.onnx.export(nn.AvgPool2d(2, divisor_override=3), fastnn.randn(1, 1, 4, 4),
                           io.BytesIO())
    with pytest.raises(ExportError, match="does not divide"):
        fastnn.onnx.export(nn.AdaptiveAvgPool2d(3), fastnn.randn(1, 1, 4, 4), io.BytesIO())


# --- the rest of fastnn.nn, and compositions of ops ----------------------------------------------
@pytest.mark.parametrize("cell", [nn.RNNCell(3, 4), nn.LSTMCell(3, 4), nn.GRUCell(3, 4)],
                         ids=lambda m: type(m).__name__)
def test_recurrent_cells(cell):
    proto = _dyn(cell, (2, 3))
    # the zero initial state is left out of the ONNX node, not stored
    assert all(i.name != "const0" for i in proto.graph.initializer)


def test_bilinear_unflatten_identity():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.b = nn.Bilinear(3, 4, 6)
            self.rest = nn.Sequential(nn.Unflatten(1, (2, 3)), nn.Identity())

        def forward(self, a, c):
            return self.rest(self.b(a, c))
    check_export(Net(), (fastnn.randn(2, 3), fastnn.randn(2, 4)), batch_axes=[0, 0],
                 other=(fastnn.randn(5, 3), fastnn.randn(5, 4)))


def test_interpolate_and_composed_functions():
    class Net(nn.Module):
        def forward(self, x):
            up = F.interpolate(x, scale_factor=2) + F.interpolate(x, size=(8, 6), mode="bilinear")
            v = x.flatten(1)
            w = (F.normalize(v, dim=1) + F.cosine_similarity(v, v * 2 + 1).unsqueeze(1)
                 + v.cumsum(1) + v.logsumexp(1, keepdim=True) + v.norm(dim=1, keepdim=True))
            a, b = v.chunk(2, 1)
            return up, w, a * b + v.narrow(1, 1, 18) + v.index_select(1, fastnn.tensor(
                np.arange(0, 36, 2))), x.round() + x.floor() + x.sign()
    _dyn(Net(), (2, 3, 4, 3), other_batch=3)


def test_einsum_roll_tril_triu():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(fastnn.randn(4, 4))

        def forward(self, x):
            y = fastnn.einsum("bij,jk->bik", x, self.w)
            return y.roll(1, 2) + y.roll((-1, 2), (1, 2)) + y.tril() + y.triu(1), y.roll(0, 1)
    _dyn(Net(), (2, 3, 4))


def test_keras_front_end_model():
    from fastnn.keras import Sequential
    from fastnn.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
    fastnn.manual_seed(0)
    model = Sequential([Conv2D(4, (3, 3), activation="relu", padding="same", input_shape=(8, 8, 1)),
                        MaxPooling2D((2, 2)), Flatten(), Dense(10, activation="softmax")])
    x = np.random.default_rng(0).random((3, 8, 8, 1)).astype(np.float32)
    model.predict(x[:1])  # builds the layers
    buf = io.BytesIO()
    proto = fastnn.onnx.export(model, fastnn.tensor(x), buf, input_names=["x"],
                               dynamic_axes={"x": {0: "n"}})
    onnx.checker.check_model(proto, full_check=True)
    x5 = np.random.default_rng(1).random((5, 8, 8, 1)).astype(np.float32)
    got = _session(buf.getvalue()).run(None, {"x": x5})[0]
    np.testing.assert_allclose(got, model.predict(x5), atol=1e-5)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "CNN"])
def test_same_answers_as_torch_onnx_export(kind):
    """The file torch.onnx.export writes for the same weights gives the same outputs."""
    torch = pytest.importorskip("torch")
    import warnings
    fastnn.manual_seed(0)
    if kind == "CNN":
        def build(lib):
            return lib.nn.Sequential(lib.nn.Conv2d(1, 4, 3, padding=1), lib.nn.BatchNorm2d(4),
                                     lib.nn.ReLU(), lib.nn.MaxPool2d(2), lib.nn.Flatten(),
                                     lib.nn.Linear(64, 10), lib.nn.LogSoftmax(dim=1))
        x = np.random.default_rng(0).standard_normal((2, 1, 8, 8)).astype(np.float32)
    else:
        def build(lib):
            return getattr(lib.nn, kind)(3, 4, num_layers=2, bidirectional=True)
        x = np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32)
    ours, theirs = build(fastnn), build(torch)
    if kind == "CNN":
        _trained_bn(ours[1], (4, 4, 8, 8))
    theirs.load_state_dict({k: torch.tensor(v.detach().numpy())
                            for k, v in ours.state_dict().items()})
    ours.eval()
    theirs.eval()
    a, b = io.BytesIO(), io.BytesIO()
    fastnn.onnx.export(ours, fastnn.tensor(x), a, input_names=["x"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(theirs, (torch.tensor(x),), b, input_names=["x"], dynamo=False)
    got = _session(a.getvalue()).run(None, {"x": x})
    want = _session(b.getvalue()).run(None, {"x": x})
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=1e-5)


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


def test_losses():
    fastnn.manual_seed(0)
    x, t = fastnn.randn(5, 4), fastnn.randn(5, 3)
    y = fastnn.tensor(np.array([0, 1, 2, 2, 0]))
    check_export(Losses(), (x, y, t))
