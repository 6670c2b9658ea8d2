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

from _roundtrip_models import (  # noqa: E402  (the models, shared with the round-trip test)
    ACTIVATIONS, CONV2D_KWARGS, POOLS_2D, RECURRENT_CONFIGS, BilinearUnflatten, EinsumRoll,
    EmbedMean, InterpolateAndComposed, LSTMHead, Losses, Odd, Pad, RecurrentNet,
    ReluRNNThenLSTM, ShapeOps, TensorOps, trained_bn as _trained_bn)


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


@pytest.mark.parametrize("act", ACTIVATIONS, ids=lambda m: repr(m))
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
@pytest.mark.parametrize("kw", CONV2D_KWARGS)
def test_conv2d(kw):
    _dyn(nn.Conv2d(4, 6, **kw), (2, 4, 9, 10))


def test_conv1d():
    _dyn(nn.Sequential(nn.Conv1d(3, 4, 3, stride=2, padding=1), nn.ReLU(),
                       nn.Conv1d(4, 4, 2, groups=4, dilation=2)), (2, 3, 12))


@pytest.mark.parametrize("pool", POOLS_2D, ids=lambda m: repr(m))
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


def test_embedding_integer_input():
    m = EmbedMean()
    idx = fastnn.tensor(np.array([[1, 4, 19, 0], [3, 3, 2, 7]]))
    idx2 = fastnn.tensor(np.arange(12).reshape(3, 4))
    check_export(m, idx, batch_axes=[0], other=idx2)


# --- recurrent ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
@pytest.mark.parametrize("layers,bidir,batch_first", RECURRENT_CONFIGS)
def test_recurrent_layers(cls, layers, bidir, batch_first):
    fastnn.manual_seed(0)
    x = fastnn.randn(3, 6, 4) if batch_first else fastnn.randn(6, 3, 4)
    x2 = fastnn.randn(2, 6, 4) if batch_first else fastnn.randn(6, 2, 4)
    check_export(RecurrentNet(cls, layers, bidir, batch_first), x,
                 batch_axes=[0 if batch_first else 1], other=x2)


def test_rnn_relu_and_no_bias_and_given_state():
    fastnn.manual_seed(0)
    x, h, c = fastnn.randn(5, 2, 3), fastnn.randn(1, 2, 2), fastnn.randn(1, 2, 2)
    other = (fastnn.randn(5, 4, 3), fastnn.randn(1, 4, 2), fastnn.randn(1, 4, 2))
    check_export(ReluRNNThenLSTM(), (x, h, c), batch_axes=[1, 1, 1], other=other)


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
def test_common_tensor_ops():
    _dyn(TensorOps(), (3, 4))


def test_shape_and_indexing_ops():
    _dyn(ShapeOps(), (2, 3, 4), other_batch=4)


def test_pad_modes():
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
    check_export(BilinearUnflatten(), (fastnn.randn(2, 3), fastnn.randn(2, 4)), batch_axes=[0, 0],
                 other=(fastnn.randn(5, 3), fastnn.randn(5, 4)))


def test_interpolate_and_composed_functions():
    _dyn(InterpolateAndComposed(), (2, 3, 4, 3), other_batch=3)


def test_einsum_roll_tril_triu():
    _dyn(EinsumRoll(), (2, 3, 4))


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


def test_losses():
    fastnn.manual_seed(0)
    x, t = fastnn.randn(5, 4), fastnn.randn(5, 3)
    y = fastnn.tensor(np.array([0, 1, 2, 2, 0]))
    check_export(Losses(), (x, y, t))
