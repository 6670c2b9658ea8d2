"""C export of comparisons, logical ops, where, clamp, rounding, casts,
tri_mask (tril / triu) and roll: built with the system C compiler, compared
with fastnn's forward and PyTorch's (where installed). Masks and rounded
values are compared exactly."""
import os
import sys

import numpy as np
import pytest

import fastnn

sys.path.insert(0, os.path.dirname(__file__))
import _c_build as _build  # noqa: E402
from _tensor_check import Net, check, inputs  # noqa: E402

pytestmark = pytest.mark.skipif(_build.CC is None, reason="no C compiler found")


def _masks(h, lib):
    r = h.round()
    pos, small = h > 0, h.abs() < 0.5
    return (h > 0, h >= h[:, :1], h < 0.25, h <= -0.5, r == 1, r != 0, 0 < h,
            pos & small, pos | small, ~pos, ~small & ~(r == -1),
            h.sign(), h.floor(), h.ceil(), r, h.trunc(), (h * 3).long(), h.int(), h.bool(),
            pos.long() + small.long(), (r + 1).long().bool())


@pytest.mark.parametrize("batch", [1, 3])
def test_comparisons_logic_rounding_casts(tmp_path, batch):
    x = inputs((batch, 7)) * 2
    x[0, 0, :3] = [0.5, 1.5, -2.5]  # halves round to even, as NumPy and PyTorch do
    check(Net(_masks, 7), x, tmp_path, exact=True, with_torch=False)
    check(Net(_masks), x, tmp_path / "t", exact=True)


def _selects(h, lib):
    cond = h > 0
    other = h[:1] * 2  # broadcast over the batch
    return (lib.where(cond, h, 0.5), lib.where(cond, -1.0, h), lib.where(h < other, h, other),
            lib.where(cond, h, h.sum(-1, keepdim=True)),
            h.clamp(min=0), h.clamp(max=0.3), h.clamp(-0.5, 0.5), h.clamp(0.5, -0.5),
            h.clamp(min=other), h * cond.float(), h.masked_fill(cond, 0.0))


@pytest.mark.parametrize("batch", [1, 4])
def test_where_clamp(tmp_path, batch):
    check(Net(_selects, 5), inputs((batch, 3, 5)), tmp_path)


def test_nan_through_compare_and_clamp(tmp_path):
    """NaN compares false (true for !=), clamp, where and floor pass it on."""
    def fn(h, lib):
        return h > 0, h != h, h.clamp(-1, 1), lib.where(h > 0, h, 2.0), h.floor()
    x = inputs((2, 5))
    x[:, 1, 3] = np.nan
    x[:, 0, 0] = np.inf
    check(Net(fn), x, tmp_path)
    # fastnn's sign (NumPy's) keeps NaN where PyTorch's gives 0: the C file follows fastnn
    got = check(Net(lambda h, lib: h.sign()), x, tmp_path / "sign", with_torch=False)
    assert np.isnan(got[:, 8]).all()


def _structural(h, lib):
    return (h.tril(), h.triu(1), h.tril(-2), h.triu(-1), h.roll(1, -1), h.roll(-2, 1),
            h.roll((1, 2), (0, 2)), h.roll(3))


@pytest.mark.parametrize("batch", [1, 2])
def test_tri_mask_and_roll(tmp_path, batch):
    check(Net(_structural, 6), inputs((batch, 4, 6)), tmp_path)


def test_causal_mask_from_data(tmp_path):
    """A causal mask built in the forward from the input's size and applied with where."""
    def fn(h, lib):
        t = h.shape[-1]
        keep = lib.ones(t, t).tril().bool()
        return lib.where(keep, h, -1e9).softmax(-1)
    check(Net(fn, 5), inputs((3, 5, 5)), tmp_path)


def test_unsupported_are_named(tmp_path):
    class Bitwise(fastnn.nn.Module):
        def forward(self, x):
            return (x.long() & (x * 2).long()).float()

    class Double(fastnn.nn.Module):
        def forward(self, x):
            return x.double().sum().float()

    class Loss(fastnn.nn.Module):
        def forward(self, x):
            return fastnn.nn.functional.cross_entropy(x, fastnn.zeros(x.shape[0]).long())

    for model, match in ((Bitwise(), "logical_and on int64"), (Double(), "float64"),
                         (Loss(), "cross_entropy: a loss")):
        with pytest.raises(fastnn.export.ExportError, match=match):
            fastnn.export.to_c(model, fastnn.randn(2, 3), str(tmp_path))


def _divmods(h, lib):
    d = h[:1] + 0.5 * h[:1].sign()  # a broadcast divisor of both signs, away from 0
    return h // 0.75, h % 0.75, h // -0.5, h % -0.5, h // d, h % d, (h * 4) % 3


@pytest.mark.parametrize("batch", [1, 3])
def test_floor_divide_remainder(tmp_path, batch):
    """Python's rules: the remainder takes the divisor's sign."""
    check(Net(_divmods, 6), inputs((batch, 6)) * 3, tmp_path)


def _gathers(h, lib):
    top = h.argmax(-1, keepdim=True)                       # computed in the model
    const = lib.tensor(np.array([[2, 0, 1, 1], [0, 0, 3, 2], [1, 2, 0, 3]], np.int64))
    return (h.gather(-1, top), h.gather(1, h.argmin(1, keepdim=True)), h.gather(2, top.expand(-1, -1, 2)),
            h[:1].gather(2, const[None]), h.clone() * 2, h.diagonal(0, 1, 2), h.diagonal(1, -1, -2))


@pytest.mark.parametrize("batch", [1, 2])
def test_gather_diagonal_clone(tmp_path, batch):
    check(Net(_gathers, 4), inputs((batch, 3, 4)), tmp_path)


def test_gather_out_of_range_is_nan(tmp_path):
    """An index outside the dim reads nothing: NaN (fastnn raises, C has no exceptions)."""
    def fn(h, lib):
        return h.gather(1, (h.argmax(1, keepdim=True) + 2))
    x = np.array([[[0.0, 1.0, 5.0]], [[3.0, 2.0, 1.0]]], np.float32)
    info = fastnn.export.to_c(Net(fn), fastnn.tensor(x[1]), str(tmp_path))
    exe = _build.build(str(tmp_path))
    got = _build.run(exe, x.reshape(2, -1), int(np.prod(info["output_shapes"][0])))
    assert np.isnan(got[0, 0]) and got[1, 0] == 1.0
