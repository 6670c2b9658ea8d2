"""fastnn.graph: tracing any forward into the IR, printing it, running it.

The interpreter calls the same Functions the forward called, so graph.run must
equal model(x) exactly, at the traced batch and at others when the batch is
symbolic. The error cases check that what tracing cannot see is reported.
"""
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import nn
from fastnn.graph import Sym, TraceError, TracerWarning, trace


def _np(t):
    return t.detach().numpy()


class LSTMHead(nn.Module):
    """The issue's example: not a Sequential, a tuple unpacked, an index."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 7, num_layers=2, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(14, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.conv(x)), inplace=True), 2)
        x = self.drop(x.view(x.size(0), -1))
        return F.log_softmax(self.fc(x), dim=1)


def test_non_sequential_lstm_capture_runs_exactly():
    fastnn.manual_seed(0)
    m = LSTMHead()
    x = fastnn.randn(4, 6, 5)
    g = trace(m, x)
    ops = [n.op for n in g.nodes]
    assert ops.count("lstm") == 4 and "linear" in ops and "getitem" in ops
    assert g.inputs[0].shape == (Sym("N"), 6, 5)
    assert g.outputs[0].shape == (Sym("N"), 3)
    assert "lstm.weight_ih_l1_reverse" in g.params and "fc.bias" in g.params
    for batch in (4, 1, 9):
        xb = fastnn.randn(batch, 6, 5)
        np.testing.assert_array_equal(_np(g.run(xb)), _np(m(xb)))


def test_cnn_in_eval_mode_symbolic_reshape_and_mode_restored():
    fastnn.manual_seed(1)
    m = SmallCNN()
    m.train()
    x = fastnn.randn(2, 1, 8, 8)
    g = trace(m, x)
    assert m.training and m.bn.training  # put back after the trace
    ops = [n.op for n in g.nodes]
    assert ops == ["conv2d", "batch_norm", "relu", "max_pool2d", "reshape", "linear",
                   "log_softmax"]  # dropout is gone in eval mode
    reshape = g.nodes[4]
    assert reshape.attrs["shape"] == (Sym("N"), -1)
    bn = g.nodes[1]
    assert bn.attrs["training"] is False
    assert set(g.buffers) == {"bn.running_mean", "bn.running_var"}
    m.eval()
    for batch in (2, 7):
        xb = fastnn.randn(batch, 1, 8, 8)
        np.testing.assert_array_equal(_np(g.run(xb)), _np(m(xb)))


def test_print_is_a_readable_op_list():
    m = LSTMHead()
    text = str(trace(m, fastnn.randn(2, 6, 5)))
    lines = text.splitlines()
    assert lines[0] == "graph(input: float32[N, 6, 5]):"
    assert lines[-1].startswith("  return t")
    assert any("= linear(" in line and "fc.weight" in line for line in lines)
    assert any("lstm(" in line and "reverse=True" in line for line in lines)
    assert any("full(shape=(4, N, 7), fill_value=0" in line for line in lines)


def test_static_trace_checks_input_shapes():
    m = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    g = trace(m, fastnn.randn(4, 3), dynamic_axes=None)
    assert g.inputs[0].shape == (4, 3)
    np.testing.assert_array_equal(_np(g.run(np.ones((4, 3), np.float32))),
                                  _np(m(fastnn.ones(4, 3))))
    with pytest.raises(ValueError, match="only the symbolic dims may change"):
        g.run(fastnn.randn(5, 3))
    with pytest.raises(TypeError, match="dtype"):
        g.run(np.ones((4, 3)))  # float64


def test_nested_outputs_and_several_inputs():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(3, 4)

        def forward(self, x, h):
            y, hn = self.gru(x, h)
            return y * 2.0, (hn, y.sum(0))

    m = Two()
    x, h = fastnn.randn(5, 2, 3), fastnn.randn(1, 2, 4)
    g = trace(m, (x, h), input_names=["x", "h"], dynamic_axes={"x": {1: "B"}, "h": {1: "B"}})
    assert g.dims == {"B": [(0, 1), (1, 1)]}
    x3, h3 = fastnn.randn(5, 3, 3), fastnn.randn(1, 3, 4)
    got, want = g.run(x3, h3), m(x3, h3)
    np.testing.assert_array_equal(_np(got[0]), _np(want[0]))
    np.testing.assert_array_equal(_np(got[1][0]), _np(want[1][0]))
    np.testing.assert_array_equal(_np(got[1][1]), _np(want[1][1]))


def test_plain_function_comparisons_and_inplace_ops():
    def f(x):
        y = x.clone()
        y += 1.0
        mask = x > 0.25
        return fastnn.where(mask, y, x * 0.5).amax(dim=1), x.argmax(dim=1)

    x = fastnn.randn(3, 4)
    g = trace(f, x)
    ops = [n.op for n in g.nodes]
    assert "gt" in ops and "argmax" in ops and "add" in ops
    xb = fastnn.randn(6, 4)
    a, b = g.run(xb)
    ra, rb = f(xb)
    np.testing.assert_array_equal(_np(a), _np(ra))
    np.testing.assert_array_equal(b.numpy(), rb.numpy())


def test_embedding_with_integer_input():
    m = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 2))
    idx = fastnn.tensor(np.array([[1, 2, 3], [4, 5, 9]]))
    g = trace(m, idx)
    assert g.inputs[0].dtype == np.int64
    other = fastnn.tensor(np.array([[0, 0, 1], [7, 8, 9], [3, 3, 3]]))
    np.testing.assert_array_equal(_np(g.run(other)), _np(m(other)))


def test_graph_run_trains_the_parameters():
    fastnn.manual_seed(2)
    m = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 1))
    x = fastnn.randn(6, 3)
    g = trace(m, x)
    g.run(x).pow(2).sum().backward()
    via_graph = [p.grad.numpy().copy() for p in m.parameters()]
    m.zero_grad()
    m(x).pow(2).sum().backward()
    for a, p in zip(via_graph, m.parameters()):
        np.testing.assert_allclose(a, p.grad.numpy(), rtol=1e-6)


def test_reading_a_traced_value_warns_or_raises():
    def f(x):
        if x.sum() > 0:  # data-dependent Python control flow
            return x * 2
        return x - 1

    x = fastnn.ones(2, 3)
    with pytest.warns(TracerWarning, match="read into Python"):
        g = trace(f, x)
    # the graph holds the branch taken with this input
    np.testing.assert_array_equal(_np(g.run(-fastnn.ones(2, 3))), -2 * np.ones((2, 3)))
    with pytest.raises(TraceError, match="read into Python"):
        trace(f, x, strict=True)
    # reading parameters is fine
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace(lambda t: t * float(fastnn.tensor(3.0).item()), x)


def test_data_computed_outside_the_ops_is_an_error():
    def f(x):
        mask = fastnn.tensor((x.detach().numpy() > 0).astype(np.float32))
        return x * mask

    with pytest.warns(TracerWarning), pytest.raises(TraceError, match="depend on the input"):
        trace(f, fastnn.randn(3, 4))


def test_data_computed_outside_the_ops_is_an_error_with_static_sizes_too():
    def f(x):
        return x + fastnn.nn.functional.one_hot(x.argmax(1), 4).float()

    with pytest.raises(TraceError, match="depend on the input"):
        trace(f, fastnn.randn(3, 4), dynamic_axes=None)


def test_the_error_names_the_op_that_reads_the_frozen_array():
    def f(x, y):
        return F.nll_loss(F.log_softmax(x, 1), y)  # nll_loss indexes with target._data

    y = fastnn.tensor(np.array([0, 2, 1]))
    with pytest.raises(TraceError, match="read by `.*gather"):
        trace(f, (fastnn.randn(3, 4), y), dynamic_axes=None)


def test_a_path_that_depends_on_values_is_reported():
    def f(x):
        return x * 2 if float(x[0, 0]) > 0 else x - 1

    x = fastnn.tensor(np.array([[1.0, -1.0]], np.float32))
    with pytest.warns(TracerWarning) as record:
        trace(f, x, dynamic_axes=None)
    messages = " | ".join(str(w.message) for w in record)
    assert "read into Python" in messages and "different ops on other input values" in messages
    with pytest.raises(TraceError):
        trace(f, x, dynamic_axes=None, strict=True)


def test_an_unrecorded_in_place_write_is_an_error():
    def f(x):
        y = x * 2.0
        with fastnn.no_grad():
            F.relu(y, inplace=True)  # writes y's array directly, no op recorded
        return y + 1.0

    with pytest.raises(TraceError, match="t0 .*mul.* changed in place"):
        trace(f, fastnn.randn(3, 4))


def test_batch_dependent_path_is_an_error():
    def f(x):
        return x * 2 if x.shape[0] <= 4 else x + 1

    with pytest.raises(TraceError, match="different ops"):
        trace(f, fastnn.randn(3, 2))
    g = trace(f, fastnn.randn(3, 2), dynamic_axes=None)  # static: fine
    assert [n.op for n in g.nodes] == ["mul"]


def test_model_that_cannot_grow_the_batch():
    def f(x):
        return x.reshape(4, 3)

    with pytest.raises(TraceError, match="doubled"):
        trace(f, fastnn.randn(2, 6))


def test_bad_arguments():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="args"):
        trace(m, [[1.0, 2.0]])
    with pytest.raises(ValueError, match="input_names"):
        trace(m, fastnn.randn(1, 2), input_names=["a", "b"])
    with pytest.raises(ValueError, match="axis"):
        trace(m, fastnn.randn(1, 2), dynamic_axes={0: {3: "N"}})
    with pytest.raises(TraceError, match="must return Tensors"):
        trace(lambda x: 3, fastnn.randn(1, 2))


class FirstOutput(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer(x)[0]


def test_unused_ops_are_pruned_and_time_can_be_symbolic():
    m = FirstOutput(nn.LSTM(3, 4))
    g = trace(m, fastnn.randn(5, 2, 3), dynamic_axes={0: {0: "T", 1: "B"}})
    # the final states (stack) are not returned: gone
    assert [n.op for n in g.nodes] == ["full", "full", "getitem", "getitem", "lstm"]
    assert g.outputs[0].shape == (Sym("T"), Sym("B"), 4)
    x = fastnn.randn(8, 3, 3)
    np.testing.assert_array_equal(_np(g.run(x)), _np(m(x)))


def test_a_plain_callable_bakes_what_it_closes_over():
    lin = nn.Linear(3, 2)
    g = trace(lambda x: lin(x), fastnn.randn(2, 3))
    assert not g.params and len(g.constants) == 2
