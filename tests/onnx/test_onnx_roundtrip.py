"""Export, run, import: every model of the ONNX tests (tests/onnx/_roundtrip_models.py)
is written by fastnn.onnx.export with a dynamic batch, passes onnx's full check,
runs in onnxruntime as in fastnn (1e-4), and comes back through fastnn.onnx.load
as a model that gives the original's outputs (1e-5) at the traced batch and at
another, holding the same parameter and buffer values. For a few models the
imported model's parameter gradients equal the original's too."""
import copy
import io

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import fastnn  # noqa: E402

from _roundtrip_models import CASES, NO_ORT, OPSETS  # noqa: E402

TOL = 1e-5
BY_NAME = dict(CASES)


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [o for x in out for o in _flat(x)]
    return [out]


def _np(t):
    return t.detach().numpy()


def _dense(x):
    return x.to_dense() if getattr(x, "is_sparse", False) else x


def _build(name):
    fastnn.manual_seed(0)
    model, inputs, other, axes = BY_NAME[name]()
    model.eval()
    return model, inputs, other, axes


def _export(name, model, inputs, axes):
    names = [f"in{i}" for i in range(len(inputs))]
    n_out = len(_flat(model(*inputs)))
    out_names = [f"out{i}" for i in range(n_out)]
    dyn = {n: {ax: "batch"} for n, ax in zip(names, axes) if ax is not None}
    buf = io.BytesIO()
    proto = fastnn.onnx.export(model, inputs, buf, input_names=names, output_names=out_names,
                               dynamic_axes=dyn, opset_version=OPSETS.get(name))
    return proto, buf.getvalue(), names


def _close(got, want, atol, what):
    assert len(got) == len(want), what
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape, f"{what}, output {i}"
        assert g.dtype == w.dtype, f"{what}, output {i}"
        np.testing.assert_allclose(g, w, atol=atol, rtol=atol, equal_nan=False,
                                   err_msg=f"{what}, output {i}")


@pytest.mark.parametrize("name", list(BY_NAME))
def test_round_trip(name):
    model, inputs, other, axes = _build(name)
    proto, data, names = _export(name, model, inputs, axes)
    onnx.checker.check_model(proto, full_check=True)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = None if name in NO_ORT else \
        ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
    imported = fastnn.onnx.load(data)
    assert imported.input_names == names
    with fastnn.no_grad():
        for xs, which in ((inputs, "traced batch"), (other, "other batch")):
            want = [_np(o) for o in _flat(model(*xs))]
            if sess is not None:
                got = sess.run(None, {n: _np(_dense(x)) for n, x in zip(names, xs)})
                _close(got, want, 1e-4, f"onnxruntime, {which}")
            got = [_np(o) for o in _flat(imported(*[_dense(x) for x in xs]))]
            _close(got, want, TOL, f"re-imported, {which}")

    # the file holds the state under its state_dict names and the import keeps the values
    state = {k: _np(v) for k, v in model.state_dict().items()}
    inits = {t.name for t in proto.graph.initializer}
    params = {k for k, _ in model.named_parameters()}
    assert params <= inits, f"parameters missing from the file: {sorted(params - inits)}"
    mine = imported.state_dict()
    for k in inits & set(state):
        np.testing.assert_array_equal(_np(mine[imported.onnx_names[k]]), state[k], err_msg=k)
    trainable = {imported.onnx_names[k] for k in params}
    assert trainable <= {k for k, _ in imported.named_parameters()}


GRAD_CASES = ["seed_cnn", "batchnorm_cnn", "layernorm", "embedding", "LSTM(2, True, True)",
              "GRU(2, True, True)", "RNN(1, True, False)", "lstm_head", "conv_transpose2d",
              "up_down", "multihead_attention", "sdpa_float_mask", "transformer_encoder_layer",
              "example_lenet",
              "keras_embedding_lstm_gru", "keras_cnn_batchnorm", "corpus_mnist_rnn",
              "corpus_time_sequence_prediction", "corpus_word_language_model_transformer",
              "corpus_gcn_sparse_adjacency"]


@pytest.mark.parametrize("name", GRAD_CASES)
def test_round_trip_gradients(name):
    model, inputs, _, axes = _build(name)
    _, data, _ = _export(name, model, inputs, axes)
    imported = fastnn.onnx.load(data)
    rng = np.random.default_rng(1)
    weights = [fastnn.tensor(rng.standard_normal(o.shape).astype(_np(o).dtype))
               for o in _flat(model(*inputs)) if _np(o).dtype.kind == "f"]

    def grads(run, m, keys):
        m.zero_grad()
        outs = [o for o in _flat(run()) if _np(o).dtype.kind == "f"]
        loss = sum((o * w).sum() for o, w in zip(outs, weights))
        loss.backward()
        named = dict(m.named_parameters())
        return {k: _np(named[keys[k]].grad) for k in keys}

    # a frozen parameter (Keras's LSTM keeps one of its two biases at zero) comes back
    # trainable: ONNX has no flag for it
    params = [k for k, p in model.named_parameters() if p.requires_grad]
    want = grads(lambda: model(*inputs), model, {k: k for k in params})
    dense = [_dense(x) for x in inputs]
    got = grads(lambda: imported(*dense), imported,
                {k: imported.onnx_names[k] for k in params})
    for k in params:
        np.testing.assert_allclose(got[k], want[k], atol=TOL, rtol=TOL, err_msg=k)


@pytest.mark.parametrize("name", sorted(NO_ORT))
def test_onnxruntime_still_cannot_run(name):
    # when it can, the case should leave NO_ORT and be run there too
    model, inputs, _, axes = _build(name)
    _, data, names = _export(name, model, inputs, axes)
    with pytest.raises(Exception, match="double"):
        sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        sess.run(None, {n: _np(x) for n, x in zip(names, inputs)})


def test_the_list_covers_the_new_layers():
    names = " ".join(BY_NAME)
    for part in ("conv_transpose1d", "conv_transpose2d", "pixel_shuffle", "upsample",
                 "multihead_attention", "transformer_encoder", "LSTM", "GRU", "RNN"):
        assert part in names
    assert len(BY_NAME) == len(CASES)  # names are unique
    import os
    doc = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "docs", "onnx.md")
    with open(doc) as f:
        assert f"; {len(CASES)} models)" in " ".join(f.read().split())  # the count it states


def test_copy_of_case_is_independent():
    # the factories build fresh models: a second build gives equal, separate weights
    a, *_ = _build("seed_cnn")
    b, *_ = _build("seed_cnn")
    assert a is not b
    np.testing.assert_array_equal(_np(a[0].weight), _np(b[0].weight))
    c = copy.deepcopy(a)
    assert c[0].weight is not a[0].weight


@pytest.mark.parametrize("name", ["transformer_encoder_padding_mask", "up_down",
                                  "multihead_attention_causal"])
def test_oldest_opset(name):
    # opset 17 takes ReduceMax's axes as an attribute (the masked-row guard)
    model, inputs, other, axes = _build(name)
    names = [f"in{i}" for i in range(len(inputs))]
    buf = io.BytesIO()
    proto = fastnn.onnx.export(model, inputs, buf, input_names=names, opset_version=17,
                               dynamic_axes={n: {ax: "batch"} for n, ax in zip(names, axes)})
    onnx.checker.check_model(proto, full_check=True)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    imported = fastnn.onnx.load(buf.getvalue())
    with fastnn.no_grad():
        want = [_np(o) for o in _flat(model(*other))]
        _close(sess.run(None, {n: _np(x) for n, x in zip(names, other)}), want, 1e-4, "ort")
        _close([_np(o) for o in _flat(imported(*other))], want, TOL, "re-imported")


def test_attention_dropout_is_refused():
    # the random keep mask is caught by the tracer (an input-dependent array) before
    # the converter's own refusal; either way nothing is written
    import fastnn.nn.functional as F
    from fastnn.graph._errors import TraceError
    from fastnn.onnx._builder import ExportError

    class Drop(fastnn.nn.Module):
        def forward(self, q):
            return F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    with pytest.raises((ExportError, TraceError), match="dropout|made outside fastnn's ops"):
        fastnn.onnx.export(Drop(), fastnn.randn(2, 3, 4), io.BytesIO())
