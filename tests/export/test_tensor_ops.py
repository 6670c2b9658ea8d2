"""C export of the reductions (sum, mean, var, std, prod, norm, logsumexp,
amax/amin, max/min, argmax/argmin, cumsum): each model built with the system
C compiler and compared with fastnn's forward and PyTorch's (where installed)."""
import os
import sys

import numpy as np
import pytest

import fastnn

sys.path.insert(0, os.path.dirname(__file__))
import _c_build as _build  # noqa: E402
from _tensor_check import Net, check, inputs  # noqa: E402

pytestmark = pytest.mark.skipif(_build.CC is None, reason="no C compiler found")

INF = float("inf")


def _values(keep):
    """Float-valued reductions of a [N, 3, 5, 7] tensor: adjacent and
    non-adjacent dims, negative dims, everything."""
    def fn(h, lib):
        return (h.sum(1, keepdim=keep), h.sum((1, 3), keepdim=keep), h.sum(),
                h.mean((-3, -2), keepdim=keep), h.mean((0, 2), keepdim=keep),
                h.var(-2, keepdim=keep), h.std((1, 3), keepdim=keep, correction=0), h.var(),
                h.prod(1, keepdim=keep), h.prod(-1, keepdim=keep),
                h.norm(), h.norm(p=1, dim=-1, keepdim=keep), h.norm(p=INF, dim=2, keepdim=keep),
                h.norm(p=-INF, dim=1, keepdim=keep), h.norm(p=3, dim=(1, -1), keepdim=keep),
                h.norm(p=0, dim=-1, keepdim=keep), h.norm(p="fro", dim=(2, 3), keepdim=keep),
                h.logsumexp(1, keepdim=keep), h.logsumexp((-1, 1), keepdim=keep),
                h.amax((0, 2), keepdim=keep), h.amin(-1, keepdim=keep), h.max(), h.min(),
                h.max(2, keepdim=keep)[0], h.min(-1, keepdim=keep)[0],
                h.cumsum(1), h.cumsum(-1))
    return fn


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("keep", [False, True])
def test_reductions(tmp_path, batch, keep):
    check(Net(_values(keep), 7), inputs((batch, 3, 5, 7)), tmp_path)


def _indices(keep):
    def fn(h, lib):
        return (h.argmax(-1, keepdim=keep), h.argmin(1, keepdim=keep), h.argmax(),
                h.max(2, keepdim=keep)[1], h.min(-3, keepdim=keep)[1])
    return fn


@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("keep", [False, True])
def test_indices_are_exact(tmp_path, batch, keep):
    check(Net(_indices(keep), 5), inputs((batch, 3, 4, 5)), tmp_path, exact=True)


def test_nan_propagates_as_in_pytorch(tmp_path):
    """max/min/amax/argmax/argmin and max(dim) take the first NaN; sums carry it."""
    def fn(h, lib):
        return (h.max(1)[0], h.max(1)[1], h.min(1)[1], h.argmax(1), h.argmin(0), h.amax(0),
                h.amin(1), h.sum(1), h.logsumexp(1), h.norm(p=INF, dim=1), h.cumsum(1))
    x = inputs((4, 6))
    x[0, 0, 2] = np.nan
    x[1, 3, 0] = x[1, 3, 4] = np.nan
    x[2, :, 5] = np.nan
    got = check(Net(fn), x, tmp_path)
    assert np.isnan(got).any()


@pytest.mark.filterwarnings("ignore:divide by zero")
def test_logsumexp_of_infinities(tmp_path):
    """A row of -inf gives -inf, a +inf gives +inf (the shift by the max is 0 there)."""
    x = np.zeros((1, 3, 4), np.float32)
    x[0, 0] = -np.inf
    x[0, 1, 2] = np.inf
    x[0, 2] = [1.0, 2.0, 3.0, 4.0]
    got = check(Net(lambda h, lib: h.logsumexp(-1)), x, tmp_path)
    assert got[0, 0] == -np.inf and got[0, 1] == np.inf


def test_var_with_too_few_elements(tmp_path):
    """n - correction <= 0 divides by zero as PyTorch does (inf or NaN)."""
    x = inputs((2, 1))
    x[1, 1, 0] = x[1, 0, 0]
    check(Net(lambda h, lib: (h.var(1), h.std(1, correction=2)), None), x, tmp_path,
          with_torch=False)


def test_several_outputs_and_symbolic_full(tmp_path):
    """A fill sized by the batch (a ``full`` op in the graph) is computed at export."""
    def fn(h, lib):
        z = lib.zeros(h.shape[0], 4) + 1.5
        return (h.sum(-1, keepdim=True) * z).mean(0), h.amax(-1)
    check(Net(fn, 4), inputs((3, 4)), tmp_path)


def test_index_limit(tmp_path, monkeypatch):
    from fastnn.export import _ops_reduce
    monkeypatch.setattr(_ops_reduce, "_EXACT", 4)
    with pytest.raises(fastnn.export.ExportError, match="2\\^24"):
        fastnn.export.to_c(Net(lambda h, lib: h.argmax(-1)), fastnn.randn(2, 5), str(tmp_path))


def test_integer_output_still_raises(tmp_path):
    """The C export writes float32: a model returning indices casts them (``.float()``)."""
    class Arg(fastnn.nn.Module):
        def forward(self, x):
            return x.argmax(-1)
    with pytest.raises(fastnn.export.ExportError, match="int64"):
        fastnn.export.to_c(Arg(), fastnn.randn(2, 5), str(tmp_path))


def test_reductions_of_a_scalar(tmp_path):
    """Reductions of a 0-d value (a sum of everything): the value itself, or 0 for var."""
    def fn(h, lib):
        s = h.sum()
        return (s.sum(), s.mean(), h.amax().argmax(), s.var(correction=0), s.prod(), s.norm(),
                h.max().max(0)[0], s.max(0)[1], s.std(correction=0))
    check(Net(fn, 4), inputs((2, 4)), tmp_path)


def test_int8_classifier_ending_in_argmax(tmp_path):
    """With quantize='int8' the tensor ops stay float: the exported argmax is
    the argmax of the same model's exported int8 logits."""
    fastnn.manual_seed(3)
    body = fastnn.nn.Sequential(fastnn.nn.Linear(12, 16), fastnn.nn.ReLU(), fastnn.nn.Linear(16, 5))
    x = inputs((4, 12), n=5, seed=2)
    calib = fastnn.tensor(x.reshape(-1, 12))
    outs = []
    class Classify(fastnn.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = body

        def forward(self, h):
            return self.body(h).argmax(-1).float()
    for k, net in enumerate((body, Classify())):
        net.eval()
        d = tmp_path / str(k)
        info = fastnn.export.to_c(net, fastnn.tensor(x[0]), str(d), quantize="int8",
                                  calibration=calib)
        exe = _build.build(str(d))
        outs.append(_build.run(exe, x.reshape(5, -1), int(np.prod(info["output_shapes"][0]))))
    logits, idx = outs
    np.testing.assert_array_equal(idx, logits.reshape(5, 4, 5).argmax(-1))
