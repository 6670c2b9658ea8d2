"""Import of the loss operators fastnn's exporter writes (SoftmaxCrossEntropyLoss,
NegativeLogLikelihoodLoss) and of ReduceLogSumExp / ReduceL1 / ReduceLogSum /
Round: values against onnxruntime and NumPy, gradients against fastnn's own
losses, refusals at load. (The ONNX backend cases of each run in
test_import_backend.py.)"""
import importlib.util

import numpy as np
import pytest

pytest.importorskip("onnx")

from onnx import helper  # noqa: E402

import fastnn  # noqa: E402
import fastnn.nn.functional as F  # noqa: E402
from _build import model, fastnn_run, ort_run  # noqa: E402

RNG = np.random.default_rng(0)
SCORES = RNG.standard_normal((5, 3, 2)).astype(np.float32)
LABELS = np.array([[0, 1], [2, 1], [1, 1], [0, 2], [2, 0]])
WEIGHT = np.array([1.0, 2.0, 0.5], np.float32)


def _sce(reduction, ignore_index=None, outputs=("loss",)):
    kw = dict(reduction=reduction)
    if ignore_index is not None:
        kw["ignore_index"] = ignore_index
    node = helper.make_node("SoftmaxCrossEntropyLoss", ["s", "l", "w"], list(outputs), **kw)
    return model([node], {"s": SCORES, "l": LABELS}, list(outputs), 13,
                 initializers={"w": WEIGHT})


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index", [None, 1])
def test_softmax_cross_entropy_is_pytorchs(reduction, ignore_index):
    got = fastnn_run(_sce(reduction, ignore_index, ("loss", "log_prob")),
                     {"s": fastnn.tensor(SCORES), "l": fastnn.tensor(LABELS)})
    # a NumPy reference: weighted negative log-likelihood, mean over counted weights
    logp = SCORES - np.log(np.exp(SCORES).sum(1, keepdims=True))
    picked = np.take_along_axis(logp, LABELS[:, None], 1)[:, 0]
    w = WEIGHT[LABELS] * (LABELS != (-100 if ignore_index is None else ignore_index))
    loss = -picked * w
    want = {"none": loss, "sum": loss.sum(), "mean": loss.sum() / w.sum()}[reduction]
    np.testing.assert_allclose(got[0], want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], logp, rtol=1e-5, atol=1e-6)
    if importlib.util.find_spec("onnxruntime") is None:
        return
    ref = ort_run(_sce(reduction, ignore_index, ("loss", "log_prob")),
                  {"s": SCORES, "l": LABELS})
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-5, atol=1e-6)


def test_softmax_cross_entropy_gradient():
    m = fastnn.onnx.load(_sce("mean", 1))
    s = fastnn.tensor(SCORES, requires_grad=True)
    m(s, fastnn.tensor(LABELS)).backward()
    s2 = fastnn.tensor(SCORES, requires_grad=True)
    F.cross_entropy(s2, fastnn.tensor(LABELS), weight=fastnn.tensor(WEIGHT),
                    ignore_index=1).backward()
    np.testing.assert_allclose(s.grad.numpy(), s2.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_nll_loss():
    logp = np.log(np.abs(SCORES) / np.abs(SCORES).sum(1, keepdims=True))
    node = helper.make_node("NegativeLogLikelihoodLoss", ["p", "l"], ["loss"], reduction="sum")
    m = model([node], {"p": logp, "l": LABELS}, ["loss"], 13)
    got = fastnn_run(m, {"p": fastnn.tensor(logp), "l": fastnn.tensor(LABELS)})[0]
    want = -np.take_along_axis(logp, LABELS[:, None], 1).sum()
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_bad_reduction_is_refused_at_load():
    node = helper.make_node("NegativeLogLikelihoodLoss", ["p", "l"], ["loss"],
                            reduction="average")
    m = model([node], {"p": SCORES, "l": LABELS}, ["loss"], 13)
    with pytest.raises(NotImplementedError, match="reduction 'average'"):
        fastnn.onnx.load(m)


@pytest.mark.parametrize("op,ref", [
    ("ReduceLogSumExp", lambda a: np.log(np.exp(a).sum((0, 2)))),
    ("ReduceL1", lambda a: np.abs(a).sum((0, 2))),
    ("ReduceLogSum", lambda a: np.log(np.abs(a).sum((0, 2)))),
])
def test_reductions(op, ref):
    # scores up to ~140: exp overflows float32, so LogSumExp must subtract the maximum
    x = np.abs(SCORES) + 0.1 if op == "ReduceLogSum" else SCORES * 60
    node = helper.make_node(op, ["x", "axes"], ["y"], keepdims=0)
    m = model([node], {"x": x}, ["y"], 18, initializers={"axes": np.array([0, 2])})
    got = fastnn_run(m, {"x": fastnn.tensor(x)})[0]
    want = ref(x.astype(np.float64))
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert np.isfinite(got).all()


def test_round_half_to_even():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 0.49, 2.51], np.float32)
    m = model([helper.make_node("Round", ["x"], ["y"])], {"x": x}, ["y"], 11)
    np.testing.assert_array_equal(fastnn_run(m, {"x": fastnn.tensor(x)})[0],
                                  [0, 2, 2, -0, -2, 0, 3])
