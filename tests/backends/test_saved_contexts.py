"""The saved contexts (ConvSaved, PoolSaved, RNNSaved, ...) and the _validate package.

Every backward re-checks its saved context against its own arguments before a
kernel runs: a context of another type, another family or another call raises
TypeError / ValueError naming the argument, never crashes. One type per family,
whichever backend made it, so the CPU backends accept each other's contexts.
"""
import dataclasses
import importlib
import inspect

import numpy as np
import pytest

from fastnn.backends import _validate
from fastnn.backends._validate.attention import AttentionSaved
from fastnn.backends._validate.conv import ConvSaved
from fastnn.backends._validate.conv_transpose import ConvTransposeSaved
from fastnn.backends._validate.elementwise import ElementwiseSaved
from fastnn.backends._validate.gemm import LinearSaved
from fastnn.backends._validate.pool import PoolSaved
from fastnn.backends._validate.rnn import RNNSaved

native = pytest.importorskip("fastnn.backends.native")

FAMILIES = ("conv", "conv_transpose", "pool", "rnn", "gemm", "elementwise", "attention")
RNG = np.random.default_rng(0)


def _r(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _mods(family):
    return (importlib.import_module(f"fastnn.backends.numpy_ref.{family}"),
            importlib.import_module(f"fastnn.backends.native.{family}"))


# (family, saved type, forward call, backward call given (out, saved)); the
# forward returns (out, saved) for the backward.
def _cases():
    x4, w4 = _r(2, 4, 7, 7), _r(6, 2, 3, 3)
    xt, wt = _r(2, 4, 5, 5), _r(4, 3, 3, 3)
    xs, h0, c0 = _r(5, 3, 4), _r(3, 6), _r(3, 6)
    wi, wh = _r(24, 4), _r(24, 6)
    q, k, v = _r(2, 3, 4), _r(2, 5, 4), _r(2, 5, 2)
    wl = _r(5, 4)
    return {
        "conv2d": ("conv", ConvSaved, lambda m: m.conv2d_forward(x4, w4, None, 1, 1, 1, 2),
                   lambda m, y, s: m.conv2d_backward(y, s)),
        "conv1d": ("conv", ConvSaved, lambda m: m.conv1d_forward(x4[:, :, 0], w4[:, :, 0], None, 2, 1, 1, 2),
                   lambda m, y, s: m.conv1d_backward(y, s)),
        "conv_transpose2d": ("conv_transpose", ConvTransposeSaved,
                             lambda m: m.conv_transpose2d_forward(xt, wt, None, 2, 1),
                             lambda m, y, s: m.conv_transpose2d_backward(y, s)),
        "max_pool2d": ("pool", PoolSaved, lambda m: m.max_pool2d_forward(x4, 3, 2, 1),
                       lambda m, y, s: m.max_pool2d_backward(y, s)),
        "avg_pool2d": ("pool", PoolSaved, lambda m: m.avg_pool2d_forward(x4, 3, 2, 1),
                       lambda m, y, s: m.avg_pool2d_backward(y, s)),
        "adaptive_avg_pool2d": ("pool", PoolSaved, lambda m: m.adaptive_avg_pool2d_forward(x4, 3),
                                lambda m, y, s: m.adaptive_avg_pool2d_backward(y, s)),
        "lstm": ("rnn", RNNSaved,
                 lambda m: (lambda o: (o[0], o[-1]))(m.lstm_forward(xs, h0, c0, wi, wh)),
                 lambda m, y, s: m.lstm_backward(y, None, None, s)),
        "gru": ("rnn", RNNSaved,
                lambda m: (lambda o: (o[0], o[-1]))(m.gru_forward(xs, h0, wi[:18], wh[:18])),
                lambda m, y, s: m.gru_backward(y, None, s)),
        "linear": ("gemm", LinearSaved, lambda m: m.linear_forward(x4[:, :, 0, 0], wl, None),
                   lambda m, y, s: m.linear_backward(y, s)),
        "relu": ("elementwise", ElementwiseSaved, lambda m: m.relu_forward(x4),
                 lambda m, y, s: m.relu_backward(y, s)),
        "softmax": ("elementwise", ElementwiseSaved, lambda m: m.softmax_forward(x4, 1),
                    lambda m, y, s: m.softmax_backward(y, s)),
        "attention": ("attention", AttentionSaved,
                      lambda m: (lambda o: (o[0], o[-1]))(m.attention_forward(q, k, v)),
                      lambda m, y, s: m.attention_backward(y, s)),
    }


CASES = _cases()


@pytest.mark.parametrize("name", list(CASES))
def test_one_type_per_family_and_backends_accept_each_other(name):
    family, kind, fwd, bwd = CASES[name]
    ref, nat = _mods(family)
    (y_r, s_r), (y_n, s_n) = fwd(ref), fwd(nat)
    assert type(s_r) is kind and type(s_n) is kind
    assert dataclasses.is_dataclass(s_r) and not hasattr(s_r, "__dict__")  # slotted
    want = bwd(ref, y_r, s_r)
    for mod, saved in ((nat, s_r), (ref, s_n), (nat, s_n)):
        for got, w in zip(bwd(mod, y_r, saved), want):
            if w is None:
                assert got is None
            else:
                np.testing.assert_allclose(got, w, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", list(CASES))
def test_a_context_of_another_type_is_rejected(name):
    family, kind, fwd, bwd = CASES[name]
    for mod in _mods(family):
        y, saved = fwd(mod)
        fields = tuple(getattr(saved, f.name) for f in dataclasses.fields(saved))
        others = [None, "junk", fields, {f.name: getattr(saved, f.name)
                                         for f in dataclasses.fields(saved)}]
        # the context of another family, or of another op of this one (conv1d's is a
        # valid conv2d context: a height-1 convolution)
        for o, (ofamily, okind, ofwd, _) in CASES.items():
            if o != name and not (okind is kind and family == "conv"):
                others.append(ofwd(_mods(ofamily)[0])[1])
        for bad in others:
            with pytest.raises(TypeError, match="^saved"):
                bwd(mod, y, bad)


@pytest.mark.parametrize("name", list(CASES))
def test_a_context_mixed_from_two_calls_is_rejected(name):
    """Each array field swapped for one of another shape: rejected before any kernel."""
    family, kind, fwd, bwd = CASES[name]
    for mod in _mods(family):
        y, saved = fwd(mod)
        for f in dataclasses.fields(saved):
            value = getattr(saved, f.name)
            if not isinstance(value, np.ndarray) or value.size < 2:
                continue
            for bad in (value.reshape(-1)[:-1], value[:1] if value.shape[0] > 1 else value[..., :1],
                        value.astype(np.float64), value.astype(np.int32)):
                if bad.shape == value.shape and bad.dtype == value.dtype:
                    continue
                with pytest.raises((TypeError, ValueError), match=r"^(saved|dy|dout)"):
                    bwd(mod, y, dataclasses.replace(saved, **{f.name: bad}))


def test_conv_params_are_rederived_not_trusted():
    """Edited geometry (an out_hw or stride that does not belong to the shapes, True for 1)."""
    ref, nat = _mods("conv")
    x, w = _r(2, 3, 8, 8), _r(4, 3, 3, 3)
    for mod in (ref, nat):
        y, s = mod.conv2d_forward(x, w, None, 1, 1)
        p = s.params
        for bad in (p._replace(out_hw=(9, 9)), p._replace(stride=(2, 2)), p._replace(stride=(True, 1)),
                    p._replace(padding=(1.0, 1)), p._replace(groups=np.int64(1)), p._replace(has_bias=1),
                    tuple(p)):
            with pytest.raises(TypeError, match="^saved: expected the ConvSaved"):
                mod.conv2d_backward(y, dataclasses.replace(s, params=bad))
        # a consistent edit is a different convolution: then dy no longer fits
        with pytest.raises(ValueError, match="^dy: expected shape"):
            mod.conv2d_backward(y, dataclasses.replace(s, params=p._replace(stride=(2, 2), out_hw=(4, 4))))


def test_arrays_of_another_type_are_rejected():
    """A context whose arrays are not the backend's array type (array_type: NumPy's
    ndarray for the CPU backends, cupy.ndarray for the GPU one) is rejected, even
    when its shape and dtype would fit."""
    from fastnn.backends._validate.conv import check_conv_backward

    class Other:  # shape and dtype like an array, but not one
        def __init__(self, a):
            self.shape, self.dtype, self.ndim, self.size = a.shape, a.dtype, a.ndim, a.size

    ref, _ = _mods("conv")
    y, s = ref.conv2d_forward(_r(1, 2, 5, 5), _r(3, 2, 3, 3))
    with pytest.raises(TypeError, match="^saved"):
        check_conv_backward(y, dataclasses.replace(s, x=Other(s.x)))
    with pytest.raises(TypeError, match="^saved"):
        check_conv_backward(y, s, array_type=Other)


def test_memo_is_bounded_and_off_under_finite_checks():
    memo = _validate.Memo(max_entries=3)
    calls = []

    def compute(v):
        calls.append(v)
        return v * 2

    assert [memo.get(i, lambda i=i: compute(i)) for i in (1, 2, 1, 2)] == [2, 4, 2, 4]
    assert calls == [1, 2]
    for i in range(3, 6):
        memo.get(i, lambda i=i: compute(i))
    assert len(memo._results) <= 3  # cleared when full
    _validate.set_finite_checks(True)
    try:
        memo.get(5, lambda: compute(5))
        assert calls[-1] == 5 and calls.count(5) == 2  # recomputed: finite checks read values
    finally:
        _validate.set_finite_checks(False)


def test_memoised_calls_still_reject_what_equals_a_good_key():
    """True == 1 and 1.0 == 1 hash alike: a memo hit must not let them through."""
    ref, nat = _mods("conv")
    pref, pnat = _mods("pool")
    x, w = _r(1, 2, 6, 6), _r(3, 2, 3, 3)
    for mod, pmod in ((ref, pref), (nat, pnat)):
        mod.conv2d_forward(x, w, None, 1, 1)
        for bad in (True, 1.0, (1, True), np.int64(1) * 1.0):
            with pytest.raises((TypeError, ValueError), match="^stride"):
                mod.conv2d_forward(x, w, None, bad, 1)
        pmod.max_pool2d_forward(x, 2, None, 0, 1, False)
        with pytest.raises(TypeError, match="ceil_mode"):
            pmod.max_pool2d_forward(x, 2, None, 0, 1, 0)


@pytest.mark.parametrize("family", FAMILIES + ("optim",))
def test_references_hold_no_checks(family):
    """The checks live in fastnn/backends/_validate/<family>.py; a reference module
    defines only its formulas (and imports its checks from there)."""
    ref = importlib.import_module(f"fastnn.backends.numpy_ref.{family}")
    checks = importlib.import_module(f"fastnn.backends._validate.{family}")
    own = [n for n, f in vars(ref).items()
           if inspect.isfunction(f) and f.__module__ == ref.__name__]
    assert not [n for n in own if n.startswith(("check_", "validate_", "_check", "_validate"))]
    assert not [n for n, f in vars(checks).items() if n.startswith("validate_")]
