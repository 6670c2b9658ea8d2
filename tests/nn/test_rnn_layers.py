"""nn.RNN / LSTM / GRU, the cells and nn.utils.rnn packing: held to PyTorch (outputs and
every gradient, same weights), to finite differences, and to their error messages."""
import itertools
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
from fastnn.autograd.gradcheck import gradcheck
from fastnn.nn.utils import rnn as rnn_utils
from fastnn.ops.rnn import Recurrent, reverse_index

MODES = ["RNN", "LSTM", "GRU"]
I, H = 3, 4


def _t(a, requires_grad=False):
    return fastnn.tensor(np.array(a), requires_grad=requires_grad)


def _np(t):
    return t.detach().numpy()


def _pair(mode, torch, dtype="float64", **kw):
    """A torch module and a fastnn module with the same weights."""
    tm = getattr(torch.nn, mode)(I, H, **kw)
    tm = tm.double() if dtype == "float64" else tm.float()
    fm = getattr(nn, mode)(I, H, **kw)
    fm = fm.double() if dtype == "float64" else fm.float()
    fm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    return tm, fm


def _state_shape(mod, B):
    D = 2 if mod.bidirectional else 1
    return (mod.num_layers * D, B, H) if B is not None else (mod.num_layers * D, H)


def _make_hx(mode, mod, B, rng, torch, dtype):
    if mode == "LSTM":
        arrs = [rng.standard_normal(_state_shape(mod, B)).astype(dtype) for _ in range(2)]
        tt = tuple(torch.tensor(a, requires_grad=True) for a in arrs)
        ft = tuple(_t(a, True) for a in arrs)
        return tt, ft
    a = rng.standard_normal(_state_shape(mod, B)).astype(dtype)
    return torch.tensor(a, requires_grad=True), _t(a, True)


def _flat(x):
    return list(x) if isinstance(x, tuple) else [x]


def _compare_run(mode, tm, fm, tin, fin, thx, fhx, rng, torch, tol, packed=False):
    """Forward both, backprop the same random cotangents, compare values and grads."""
    to, th = tm(tin, thx) if thx is not None else tm(tin)
    fo, fh = fm(fin, fhx) if fhx is not None else fm(fin)
    to_d = to.data if packed else to
    fo_d = fo.data if packed else fo
    assert fo_d.shape == tuple(to_d.shape)
    np.testing.assert_allclose(_np(fo_d), _np(to_d), rtol=tol, atol=tol)
    loss_t, loss_f = 0, 0
    for a, b in zip([to_d] + _flat(th), [fo_d] + _flat(fh)):
        assert b.shape == tuple(a.shape)
        np.testing.assert_allclose(_np(b), _np(a), rtol=tol, atol=tol)
        v = rng.standard_normal(tuple(a.shape)).astype(_np(b).dtype)
        loss_t = loss_t + (a * torch.tensor(v)).sum()
        loss_f = loss_f + (b * _t(v)).sum()
    loss_t.backward()
    loss_f.backward()
    for (name, tp), (fname, fp) in zip(tm.named_parameters(), fm.named_parameters()):
        assert name == fname
        np.testing.assert_allclose(_np(fp.grad), _np(tp.grad), rtol=tol, atol=tol,
                                   err_msg=name)
    return to, th, fo, fh


@pytest.mark.parametrize("mode,num_layers,bidirectional,batch_first,with_hx",
                         list(itertools.product(MODES, [1, 2], [False, True], [False, True],
                                                [False, True])))
def test_matches_torch(mode, num_layers, bidirectional, batch_first, with_hx):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(hash((mode, num_layers, bidirectional, batch_first)) % 2**32)
    tm, fm = _pair(mode, torch, num_layers=num_layers, bidirectional=bidirectional,
                   batch_first=batch_first)
    T, B = 5, 3
    x = rng.standard_normal((B, T, I) if batch_first else (T, B, I))
    tx, fx = torch.tensor(x, requires_grad=True), _t(x, True)
    thx, fhx = _make_hx(mode, fm, B, rng, torch, np.float64) if with_hx else (None, None)
    _compare_run(mode, tm, fm, tx, fx, thx, fhx, rng, torch, 1e-10)
    np.testing.assert_allclose(_np(fx.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    if with_hx:
        for a, b in zip(_flat(thx), _flat(fhx)):
            np.testing.assert_allclose(_np(b.grad), a.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", MODES)
def test_float32_and_relu(mode):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    kw = {"nonlinearity": "relu"} if mode == "RNN" else {}
    tm, fm = _pair(mode, torch, dtype="float32", num_layers=2, bidirectional=True, **kw)
    x = rng.standard_normal((7, 2, I)).astype(np.float32)
    tx, fx = torch.tensor(x, requires_grad=True), _t(x, True)
    _compare_run(mode, tm, fm, tx, fx, None, None, rng, torch, 2e-5)
    assert fx.grad.dtype == np.float32
    np.testing.assert_allclose(_np(fx.grad), tx.grad.numpy(), rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("mode", MODES)
def test_unbatched_matches_torch(mode):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    tm, fm = _pair(mode, torch, num_layers=2, bidirectional=True, batch_first=True)
    x = rng.standard_normal((6, I))  # (T, I) even with batch_first
    thx, fhx = _make_hx(mode, fm, None, rng, torch, np.float64)
    tx, fx = torch.tensor(x, requires_grad=True), _t(x, True)
    to, th, fo, fh = _compare_run(mode, tm, fm, tx, fx, thx, fhx, rng, torch, 1e-10)
    assert fo.shape == (6, 2 * H)
    np.testing.assert_allclose(_np(fx.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    for a, b in zip(_flat(thx), _flat(fhx)):
        np.testing.assert_allclose(_np(b.grad), a.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode,enforce_sorted,bidirectional",
                         list(itertools.product(MODES, [True, False], [False, True])))
def test_packed_matches_torch(mode, enforce_sorted, bidirectional):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    tm, fm = _pair(mode, torch, num_layers=2, bidirectional=bidirectional, batch_first=True)
    lengths = [6, 5, 5, 2, 1] if enforce_sorted else [2, 6, 5, 1, 5]  # ties on purpose
    B, T = len(lengths), max(lengths)
    x = rng.standard_normal((B, T, I))
    tx, fx = torch.tensor(x, requires_grad=True), _t(x, True)
    tp = torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, batch_first=True,
                                                 enforce_sorted=enforce_sorted)
    fp = rnn_utils.pack_padded_sequence(fx, lengths, batch_first=True,
                                        enforce_sorted=enforce_sorted)
    # PyTorch's packed layout, element for element
    np.testing.assert_array_equal(_np(fp.data), _np(tp.data))
    np.testing.assert_array_equal(fp.batch_sizes.numpy(), tp.batch_sizes.numpy())
    if enforce_sorted:
        assert fp.sorted_indices is None and fp.unsorted_indices is None
    else:
        np.testing.assert_array_equal(fp.sorted_indices.numpy(), tp.sorted_indices.numpy())
        np.testing.assert_array_equal(fp.unsorted_indices.numpy(), tp.unsorted_indices.numpy())
    thx, fhx = _make_hx(mode, fm, B, rng, torch, np.float64)
    to, th, fo, fh = _compare_run(mode, tm, fm, tp, fp, thx, fhx, rng, torch, 1e-10,
                                  packed=True)
    assert isinstance(fo, rnn_utils.PackedSequence)
    np.testing.assert_array_equal(fo.batch_sizes.numpy(), to.batch_sizes.numpy())
    np.testing.assert_allclose(_np(fx.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    for a, b in zip(_flat(thx), _flat(fhx)):
        np.testing.assert_allclose(_np(b.grad), a.grad.numpy(), rtol=1e-10, atol=1e-10)
    # the padded region of the input gets exactly zero gradient
    mask = np.arange(T)[None, :] >= np.array(lengths)[:, None]
    assert np.all(_np(fx.grad)[mask] == 0)
    # and padded outputs unpack to zeros, as torch's
    tpad, tlen = torch.nn.utils.rnn.pad_packed_sequence(to, batch_first=True)
    fpad, flen = rnn_utils.pad_packed_sequence(fo, batch_first=True)
    np.testing.assert_allclose(_np(fpad), _np(tpad), rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(flen.numpy(), tlen.numpy())


@pytest.mark.parametrize("mode", MODES)
def test_padding_values_do_not_leak(mode):
    rng = np.random.default_rng(4)
    m = getattr(nn, mode)(I, H, num_layers=2, bidirectional=True).double()
    lengths = [4, 2, 3]
    x = rng.standard_normal((4, 3, I))
    junk = x.copy()
    for b, n in enumerate(lengths):
        junk[n:, b] = 1e3
    outs = []
    for arr in (x, junk):
        p = rnn_utils.pack_padded_sequence(_t(arr), lengths, enforce_sorted=False)
        o, h = m(p)
        outs.append((_np(o.data), _np(h[0] if mode == "LSTM" else h)))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])


@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_hx", [True, False])
def test_cells_match_torch(cell, batched, with_hx):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    kw = {"nonlinearity": "relu"} if cell == "RNNCell" and batched else {}
    tc = getattr(torch.nn, cell)(I, H, **kw).double()
    fc = getattr(nn, cell)(I, H, **kw).double()
    assert list(fc.state_dict()) == list(tc.state_dict())
    fc.load_state_dict({k: v.numpy() for k, v in tc.state_dict().items()})
    shape = (3, I) if batched else (I,)
    hshape = (3, H) if batched else (H,)
    x = rng.standard_normal(shape)
    tx, fx = torch.tensor(x, requires_grad=True), _t(x, True)
    n_states = 2 if cell == "LSTMCell" else 1
    hs = [rng.standard_normal(hshape) for _ in range(n_states)]
    ths = [torch.tensor(h, requires_grad=True) for h in hs]
    fhs = [_t(h, True) for h in hs]
    targs, fargs = (tx,), (fx,)
    if with_hx:
        targs += (tuple(ths) if n_states == 2 else ths[0],)
        fargs += (tuple(fhs) if n_states == 2 else fhs[0],)
    tout, fout = _flat(tc(*targs)), _flat(fc(*fargs))
    lt, lf = 0, 0
    for a, b in zip(tout, fout):
        assert b.shape == tuple(a.shape)
        np.testing.assert_allclose(_np(b), _np(a), rtol=1e-12, atol=1e-12)
        v = rng.standard_normal(tuple(a.shape))
        lt, lf = lt + (a * torch.tensor(v)).sum(), lf + (b * _t(v)).sum()
    lt.backward()
    lf.backward()
    np.testing.assert_allclose(_np(fx.grad), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    for (n, tp), fp in zip(tc.named_parameters(), fc.parameters()):
        np.testing.assert_allclose(_np(fp.grad), tp.grad.numpy(), rtol=1e-12, atol=1e-12,
                                   err_msg=n)
    if with_hx:
        for a, b in zip(ths, fhs):
            np.testing.assert_allclose(_np(b.grad), a.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode,kw", [
    ("RNN", dict(num_layers=3, bidirectional=True)),
    ("LSTM", dict(num_layers=2, bias=False)),
    ("GRU", dict(num_layers=2, bidirectional=True, bias=False)),
    ("LSTM", dict(bidirectional=True)),
])
def test_state_dict_keys_and_shapes_match_torch(mode, kw):
    torch = pytest.importorskip("torch")
    tm = getattr(torch.nn, mode)(I, H, **kw)
    fm = getattr(nn, mode)(I, H, **kw)
    tsd, fsd = tm.state_dict(), fm.state_dict()
    assert list(fsd) == list(tsd)
    for k in tsd:
        assert tuple(fsd[k].shape) == tuple(tsd[k].shape), k
    assert [n for n, _ in fm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert repr(fm) == repr(tm)


def test_default_init_bounds_and_seed():
    fastnn.manual_seed(0)
    a = nn.LSTM(3, 16, num_layers=2)
    fastnn.manual_seed(0)
    b = nn.LSTM(3, 16, num_layers=2)
    bound = 1 / 4
    for (n, p), q in zip(a.named_parameters(), b.parameters()):
        arr = p.detach().numpy()
        assert np.abs(arr).max() <= bound and np.abs(arr).max() > 0.8 * bound, n
        np.testing.assert_array_equal(arr, q.detach().numpy())
    assert a.weight_ih_l0.dtype == np.float32


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("reverse", [False, True])
def test_recurrent_function_gradcheck(kind, reverse):
    rng = np.random.default_rng(6)
    T, B, h = 4, 3, 2
    G = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    lengths = np.array([4, 2, 3])

    def p(*shape):
        return fastnn.tensor(rng.standard_normal(shape) * 0.5, requires_grad=True)

    x, h0, c0 = p(T, B, I), p(B, h), p(B, h) if kind == "lstm" else None
    w_ih, w_hh, b_ih, b_hh = p(G * h, I), p(G * h, h), p(G * h), p(G * h)

    def f(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        return Recurrent.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, kind=kind, lengths=lengths,
                               reverse=reverse)

    assert gradcheck(f, (x, h0, c0, w_ih, w_hh, b_ih, b_hh), n_directions=2)


@pytest.mark.parametrize("backend", ["numpy", "native"])
@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_input_without_grad(mode, backend):
    """An input that needs no gradient (the native backend then skips dx): the
    parameters' grads are those of the same run with x.requires_grad, x.grad stays
    None, and a second layer's input still gets its gradient."""
    if backend == "native" and not fastnn.backends.native_available():
        pytest.skip("native backend not built")
    rng = np.random.default_rng(9)
    m = getattr(nn, mode)(I, H, num_layers=2, bidirectional=True, batch_first=True)
    x = rng.standard_normal((2, 5, I)).astype(np.float32)
    g = rng.standard_normal((2, 5, 2 * H)).astype(np.float32)
    grads = []
    with fastnn.use_backend(backend):
        for need in (True, False):
            m.zero_grad()
            xt = _t(x, need)
            out, _ = m(xt)
            out.backward(_t(g))
            assert (xt.grad is not None) == need
            grads.append([_np(q.grad) for q in m.parameters()])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_module_gradcheck_packed_bidirectional(mode):
    """A tiny 2-layer bidirectional layer on a packed batch, through the whole module."""
    rng = np.random.default_rng(7)
    m = getattr(nn, mode)(2, 2, num_layers=2, bidirectional=True).double()
    lengths = [2, 3, 1]
    x = fastnn.tensor(rng.standard_normal((3, 3, 2)), requires_grad=True)
    h0 = fastnn.tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)

    def f(x, h0):
        packed = rnn_utils.pack_padded_sequence(x, lengths, enforce_sorted=False)
        hx = (h0, h0 * 0.5) if mode == "LSTM" else h0
        out, hn = m(packed, hx)
        return out.data, hn[0] if mode == "LSTM" else hn

    assert gradcheck(f, (x, h0), n_directions=2)


def test_backends_agree():
    rng = np.random.default_rng(8)
    m = nn.GRU(I, H, num_layers=2, bidirectional=True)
    x = rng.standard_normal((5, 2, I)).astype(np.float32)
    results = []
    for name in ("numpy", "native") if fastnn.backends.native_available() else ("numpy",):
        with fastnn.use_backend(name):
            m.zero_grad()
            xt = _t(x, True)
            out, hn = m(rnn_utils.pack_padded_sequence(xt, [5, 3]))
            (out.data.sum() + hn.sum()).backward()
            results.append([_np(out.data), _np(xt.grad)] + [_np(p.grad) for p in m.parameters()])
    for a, b in zip(results[0], results[-1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- dropout, train/eval
def test_dropout_only_between_layers_and_only_in_training():
    fastnn.manual_seed(0)
    m = nn.LSTM(I, H, num_layers=2, dropout=1.0).double()
    x = _t(np.random.default_rng(9).standard_normal((4, 2, I)))
    out_train, _ = m(x)
    # p = 1 zeroes layer 0's output: layer 1 then sees zeros, its own output is not dropped
    zeros_in = nn.LSTM(H, H).double()
    zeros_in.load_state_dict({k.replace("l1", "l0"): v for k, v in m.state_dict().items()
                              if k.endswith("l1")})
    ref, _ = zeros_in(_t(np.zeros((4, 2, H))))
    np.testing.assert_allclose(_np(out_train), _np(ref), rtol=1e-12, atol=1e-12)
    assert np.abs(_np(out_train)).max() > 0
    m.eval()
    out_eval, _ = m(x)
    no_drop = nn.LSTM(I, H, num_layers=2).double()
    no_drop.load_state_dict(m.state_dict())
    np.testing.assert_allclose(_np(out_eval), _np(no_drop(x)[0]), rtol=1e-12, atol=1e-12)


def test_dropout_partial_is_random_in_training():
    fastnn.manual_seed(1)
    m = nn.GRU(I, H, num_layers=2, dropout=0.5)
    x = _t(np.random.default_rng(10).standard_normal((4, 2, I)).astype(np.float32))
    a, b = _np(m(x)[0]), _np(m(x)[0])
    assert not np.allclose(a, b)
    m.eval()
    np.testing.assert_array_equal(_np(m(x)[0]), _np(m(x)[0]))


def test_dropout_warning_single_layer():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(I, H, dropout=0.2)


# ---------------------------------------------------------------- bad input
def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="dropout"):
        nn.LSTM(I, H, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size"):
        nn.GRU(I, 0)
    with pytest.raises(ValueError, match="num_layers"):
        nn.RNN(I, H, num_layers=0)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(I, H, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="only supported for LSTM"):
        nn.GRU(I, H, proj_size=2)
    with pytest.raises(NotImplementedError):
        nn.LSTM(I, H, proj_size=2)
    with pytest.raises(ValueError, match="smaller than hidden_size"):
        nn.LSTM(I, H, proj_size=H)


@pytest.mark.parametrize("mode", MODES)
def test_bad_inputs_raise_clear_errors(mode):
    m = getattr(nn, mode)(I, H, num_layers=2)
    x = _t(np.zeros((5, 2, I), np.float32))
    with pytest.raises(RuntimeError, match="input_size. Expected 3, got 4"):
        m(_t(np.zeros((5, 2, 4), np.float32)))
    with pytest.raises(ValueError, match="2D or 3D"):
        m(_t(np.zeros((5, 2, 1, I), np.float32)))
    with pytest.raises(RuntimeError, match="must have the type float32"):
        m(_t(np.zeros((5, 2, I), np.float64)))
    bad_h = _t(np.zeros((1, 2, H), np.float32))
    good_h = _t(np.zeros((2, 2, H), np.float32))
    hx = (bad_h, good_h) if mode == "LSTM" else bad_h
    with pytest.raises(RuntimeError, match=r"Expected hidden(\[0\])? size \(2, 2, 4\), got \[1, 2, 4\]"):
        m(x, hx)
    with pytest.raises(RuntimeError, match="hx should also be 3-D"):
        m(x, (good_h[0], good_h) if mode == "LSTM" else good_h[0])
    with pytest.raises(RuntimeError, match="hx should also be 2-D"):
        m(x[:, 0], (good_h, good_h) if mode == "LSTM" else good_h)
    wrong_dt = _t(np.zeros((2, 2, H), np.float64))
    with pytest.raises(RuntimeError, match="type float32"):
        m(x, (wrong_dt, good_h) if mode == "LSTM" else wrong_dt)
    if mode == "LSTM":
        with pytest.raises(RuntimeError, match=r"hidden\[1\] size"):
            m(x, (good_h, bad_h))
        with pytest.raises(RuntimeError, match="tuple"):
            m(x, good_h)


def test_cell_bad_inputs():
    c = nn.LSTMCell(I, H)
    with pytest.raises(RuntimeError, match="inconsistent input_size"):
        c(_t(np.zeros((2, 5), np.float32)))
    with pytest.raises(RuntimeError, match="batch size"):
        z = _t(np.zeros((3, H), np.float32))
        c(_t(np.zeros((2, I), np.float32)), (z, z))
    with pytest.raises(RuntimeError, match="inconsistent hidden_size"):
        z = _t(np.zeros((2, H + 1), np.float32))
        c(_t(np.zeros((2, I), np.float32)), (z, z))
    with pytest.raises(ValueError, match="1D or 2D"):
        nn.GRUCell(I, H)(_t(np.zeros((1, 2, I), np.float32)))
    with pytest.raises(RuntimeError, match="type float32"):
        nn.RNNCell(I, H)(_t(np.zeros((2, I))))


def test_zero_batch():
    m = nn.LSTM(I, H, num_layers=2, bidirectional=True, batch_first=True)
    x = _t(np.zeros((0, 5, I), np.float32), True)
    out, (h, c) = m(x)
    assert out.shape == (0, 5, 2 * H) and h.shape == (4, 0, H) and c.shape == (4, 0, H)
    (out.sum() + h.sum()).backward()
    assert x.grad.shape == (0, 5, I)


# ---------------------------------------------------------------- packing utilities
def test_reverse_index_is_an_involution():
    rev = reverse_index(5, np.array([5, 2, 3]))
    np.testing.assert_array_equal(rev[:, 1], [1, 0, 2, 3, 4])
    np.testing.assert_array_equal(rev[:, 0], [4, 3, 2, 1, 0])
    np.testing.assert_array_equal(np.take_along_axis(rev, rev, 0), np.arange(5)[:, None] + 0 * rev)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, padding_side):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    seqs = [rng.standard_normal((n, 2)) for n in (3, 5, 1)]
    ts = [torch.tensor(s, requires_grad=True) for s in seqs]
    fs = [_t(s, True) for s in seqs]
    tp = torch.nn.utils.rnn.pad_sequence(ts, batch_first=batch_first, padding_value=-1.5,
                                         padding_side=padding_side)
    fp = rnn_utils.pad_sequence(fs, batch_first=batch_first, padding_value=-1.5,
                                padding_side=padding_side)
    np.testing.assert_array_equal(_np(fp), _np(tp))
    v = rng.standard_normal(tuple(tp.shape))
    (tp * torch.tensor(v)).sum().backward()
    (fp * _t(v)).sum().backward()
    for a, b in zip(ts, fs):
        np.testing.assert_array_equal(_np(b.grad), a.grad.numpy())


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack_match_torch(enforce_sorted):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(12)
    lens = (4, 3, 3, 1) if enforce_sorted else (1, 4, 3, 3)
    seqs = [rng.standard_normal((n, 2)) for n in lens]
    ts = [torch.tensor(s, requires_grad=True) for s in seqs]
    fs = [_t(s, True) for s in seqs]
    tpk = torch.nn.utils.rnn.pack_sequence(ts, enforce_sorted=enforce_sorted)
    fpk = rnn_utils.pack_sequence(fs, enforce_sorted=enforce_sorted)
    np.testing.assert_array_equal(_np(fpk.data), _np(tpk.data))
    np.testing.assert_array_equal(fpk.batch_sizes.numpy(), tpk.batch_sizes.numpy())
    tpad, tl = torch.nn.utils.rnn.pad_packed_sequence(tpk, batch_first=True, padding_value=7.0,
                                                      total_length=6)
    fpad, fl = rnn_utils.pad_packed_sequence(fpk, batch_first=True, padding_value=7.0,
                                             total_length=6)
    np.testing.assert_array_equal(_np(fpad), _np(tpad))
    np.testing.assert_array_equal(fl.numpy(), tl.numpy())
    v = rng.standard_normal(tuple(tpad.shape))
    (tpad * torch.tensor(v)).sum().backward()
    (fpad * _t(v)).sum().backward()
    for a, b in zip(ts, fs):
        np.testing.assert_array_equal(_np(b.grad), a.grad.numpy())
    for a, b in zip(rnn_utils.unpack_sequence(fpk), seqs):
        np.testing.assert_array_equal(_np(a), b)
    with pytest.raises(ValueError, match="total_length"):
        rnn_utils.pad_packed_sequence(fpk, total_length=2)


def test_pack_padded_sequence_errors():
    x = _t(np.zeros((4, 3, 2), np.float32))
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        rnn_utils.pack_padded_sequence(x, [2, 4, 1])
    with pytest.raises(RuntimeError, match="greater than 0"):
        rnn_utils.pack_padded_sequence(x, [4, 2, 0])
    with pytest.raises(RuntimeError, match="batch_size"):
        rnn_utils.pack_padded_sequence(x, [4, 2])
    with pytest.raises(RuntimeError, match="exceeds"):
        rnn_utils.pack_padded_sequence(x, [5, 2, 1])
    with pytest.raises(TypeError):
        rnn_utils.pack_padded_sequence(x, [4.5, 2, 1])
    p = rnn_utils.pack_padded_sequence(x, fastnn.tensor([4, 2, 1]))
    assert isinstance(p, tuple) and p._fields == ("data", "batch_sizes", "sorted_indices",
                                                  "unsorted_indices")
    assert p.double().data.dtype == np.float64


def test_rnn_utils_reexported():
    assert nn.utils.rnn.PackedSequence is rnn_utils.PackedSequence
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert callable(nn.utils.clip_grad_norm_)
