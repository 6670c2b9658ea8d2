"""ONNX LSTM / GRU / RNN import: PyTorch's recurrent layers exported by
torch.onnx.export (multi-layer, bidirectional, batch_first) match torch and
onnxruntime, and gradients reach the input as in torch; the forms PyTorch does
not produce (GRU linear_before_reset=0, peepholes, clip, other activations,
sequence_lens, layout=1) run the step loop, checked against onnxruntime and
by finite differences."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import helper  # noqa: E402

import fastnn  # noqa: E402
import fastnn.onnx  # noqa: E402
from fastnn.autograd.gradcheck import gradcheck  # noqa: E402

from _build import model, ort_run, fastnn_run  # noqa: E402


class _Seq:
    """torch model: recurrent layer, then a linear head on the last step."""

    def __init__(self, kind, bidirectional, batch_first, layers=2):
        import torch
        torch.manual_seed(0)
        cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind]
        rnn = cls(5, 6, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
        fc = torch.nn.Linear(12 if bidirectional else 6, 3)

        class M(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn, self.fc = rnn, fc

            def forward(self, x):
                out, _ = self.rnn(x)
                return self.fc(out[:, -1] if batch_first else out[-1])
        self.model = M().eval()


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional,batch_first,opset",
                         [(False, False, 9), (True, True, 14)], ids=["uni-9", "bi-bf-14"])
def test_torch_recurrent_layers(kind, bidirectional, batch_first, opset):
    torch = pytest.importorskip("torch")
    from _torch_models import export
    m = _Seq(kind, bidirectional, batch_first).model
    x = torch.randn(3, 4, 5) if batch_first else torch.randn(4, 3, 5)
    data = export(m, x, opset)
    mod = fastnn.onnx.load(data)
    xt = x.clone().requires_grad_()
    want = m(xt)
    want.sum().backward()
    xf = fastnn.tensor(x.numpy(), requires_grad=True)
    got = mod(xf)
    got.sum().backward()
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(xf.grad.numpy(), xt.grad.numpy(), rtol=1e-3, atol=1e-5)
    if pytest.importorskip("onnxruntime"):
        ref = ort_run(onnx.load_model_from_string(data), {"x": x.numpy()})[0]
        np.testing.assert_allclose(got.detach().numpy(), ref, rtol=1e-4, atol=1e-5)


def _rnn_node_model(op, H=3, I=2, T=4, B=2, D=1, dtype=np.float32, seq_lens=None, peep=False,
                    layout=0, **attrs):
    G = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    rng = np.random.default_rng(1)
    inits = {"W": rng.standard_normal((D, G * H, I)).astype(dtype) * 0.5,
             "R": rng.standard_normal((D, G * H, H)).astype(dtype) * 0.5,
             "B": rng.standard_normal((D, 2 * G * H)).astype(dtype) * 0.5}
    names = ["x", "W", "R", "B", "", "h0"]
    if seq_lens is not None:
        inits["L"] = np.asarray(seq_lens, np.int32)
        names[4] = "L"
    hshape = (B, D, H) if layout else (D, B, H)
    inits["h0"] = rng.standard_normal(hshape).astype(dtype) * 0.5
    if op == "LSTM":
        names.append("c0")
        inits["c0"] = rng.standard_normal(hshape).astype(dtype) * 0.5
        if peep:
            names.append("P")
            inits["P"] = rng.standard_normal((D, 3 * H)).astype(dtype) * 0.5
    outs = ["y", "yh"] + (["yc"] if op == "LSTM" else [])
    node = helper.make_node(op, names, outs, hidden_size=H, layout=layout, **attrs)
    xshape = (B, T, I) if layout else (T, B, I)
    x = rng.standard_normal(xshape).astype(dtype)
    return model([node], {"x": x}, outs, 14, inits), x


_NODE_CASES = [
    ("GRU", dict(linear_before_reset=0)),
    ("GRU", dict(linear_before_reset=1, direction="bidirectional", D=2)),
    ("GRU", dict(linear_before_reset=0, direction="reverse", seq_lens=[4, 2])),
    ("LSTM", dict(peep=True)),
    ("LSTM", dict(clip=0.7, direction="bidirectional", D=2, seq_lens=[3, 4])),
    ("LSTM", dict(input_forget=1)),
    ("LSTM", dict(layout=1, direction="bidirectional", D=2)),
    ("LSTM", dict(seq_lens=[2, 4], direction="reverse")),
    ("LSTM", dict(activations=["HardSigmoid", "Tanh", "Softsign"], activation_alpha=[0.3],
                  activation_beta=[0.4])),
    ("RNN", dict(activations=["Relu"], seq_lens=[4, 1])),
    ("RNN", dict(activations=["LeakyRelu", "Tanh"], activation_alpha=[0.2], D=2,
                 direction="bidirectional")),
]


@pytest.mark.parametrize("op,kw", _NODE_CASES, ids=[f"{o}-{i}" for i, (o, _) in
                                                     enumerate(_NODE_CASES)])
def test_node_forms_match_onnxruntime(op, kw):
    m, x = _rnn_node_model(op, **kw)
    if kw.get("layout"):  # onnxruntime has no layout=1: ONNX's reference evaluator does
        from onnx.reference import ReferenceEvaluator
        want = ReferenceEvaluator(m).run(None, {"x": x})
    else:
        pytest.importorskip("onnxruntime")
        want = ort_run(m, {"x": x})
    got = fastnn_run(m, {"x": x})
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("op,kw", [("GRU", dict(linear_before_reset=0, seq_lens=[4, 3])),
                                   ("LSTM", dict(peep=True, clip=2.0)),
                                   ("LSTM", dict(direction="bidirectional", D=2)),
                                   ("RNN", dict(activations=["Relu"]))])
def test_gradients_by_finite_differences(op, kw):
    m, x = _rnn_node_model(op, dtype=np.float64, **kw)
    mod = fastnn.onnx.load(m)

    xt = fastnn.tensor(x, requires_grad=True)
    assert gradcheck(lambda xx: mod(xx)[0].sum() + (mod(xx)[1] ** 2).sum(), (xt,))
    # and the weights: loss gradient w.r.t. W against central differences
    mod.zero_grad()
    loss = mod(fastnn.tensor(x))[0].sum()
    loss.backward()
    g = mod.W.grad.numpy().copy()
    w0 = mod.W.detach().numpy().copy()
    eps, idx = 1e-6, (0, 1, 0)
    for sign in (1, -1):
        w = w0.copy()
        w[idx] += sign * eps
        mod.W.data = fastnn.tensor(w)
        val = mod(fastnn.tensor(x))[0].sum().item()
        if sign == 1:
            up = val
        else:
            down = val
    mod.W.data = fastnn.tensor(w0)
    assert abs((up - down) / (2 * eps) - g[idx]) < 1e-5 * max(1.0, abs(g[idx]))
