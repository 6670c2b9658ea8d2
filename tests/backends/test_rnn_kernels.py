"""Recurrent kernels: native held to the reference, both to finite differences
(and to PyTorch when it is installed); shared input validation."""
import numpy as np
import pytest

import fastnn
from fastnn.backends.numpy_ref import rnn as ref
from fastnn.testing import assert_grads_close, numerical_grads

native = pytest.importorskip("fastnn.backends.native.rnn")

KINDS = {"rnn": 1, "lstm": 4, "gru": 3}
BACKENDS = {"numpy": ref, "native": native}


def make(kind, T, B, I, H, dtype, bias=True, seed=0, scale=0.4):
    rng = np.random.default_rng(seed)
    G = KINDS[kind]

    def r(*shape, s=1.0):
        return (rng.standard_normal(shape) * s).astype(dtype)

    p = dict(x=r(T, B, I), h0=r(B, H, s=0.5), w_ih=r(G * H, I, s=scale), w_hh=r(G * H, H, s=scale),
             b_ih=r(G * H, s=0.3) if bias else None, b_hh=r(G * H, s=0.3) if bias else None)
    if kind == "lstm":
        p["c0"] = r(B, H, s=0.5)
    return p


def forward(mod, kind, p, lengths=None, nonlinearity="tanh"):
    if kind == "lstm":
        y, h, c, s = mod.lstm_forward(p["x"], p["h0"], p["c0"], p["w_ih"], p["w_hh"],
                                      p["b_ih"], p["b_hh"], lengths=lengths)
        return (y, h, c), s
    if kind == "rnn":
        y, h, s = mod.rnn_forward(p["x"], p["h0"], p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"],
                                  nonlinearity=nonlinearity, lengths=lengths)
    else:
        y, h, s = mod.gru_forward(p["x"], p["h0"], p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"],
                                  lengths=lengths)
    return (y, h), s


def backward(mod, kind, outs_grad, saved):
    """Grads in the order x, h0, [c0], w_ih, w_hh, b_ih, b_hh."""
    if kind == "lstm":
        return mod.lstm_backward(outs_grad[0], outs_grad[1], outs_grad[2], saved)
    return getattr(mod, f"{kind}_backward")(outs_grad[0], outs_grad[1], saved)


def grad_names(kind):
    return ["x", "h0"] + (["c0"] if kind == "lstm" else []) + ["w_ih", "w_hh", "b_ih", "b_hh"]


def out_grads(kind, T, B, H, dtype, seed=1):
    rng = np.random.default_rng(seed)
    n = 3 if kind == "lstm" else 2
    return tuple(rng.standard_normal(s).astype(dtype) for s in [(T, B, H)] + [(B, H)] * (n - 1))


def tol(dtype):
    return dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)


def test_same_exports():
    assert sorted(ref.__all__) == sorted(native.__all__)
    assert set(ref.__all__) == {"rnn_forward", "rnn_backward", "lstm_forward", "lstm_backward",
                                "gru_forward", "gru_backward"}
    for name in ref.__all__:
        assert callable(getattr(native, name))


# ------------------------------------------------------------- native vs reference
CASES = [  # T, B, I, H
    (1, 1, 3, 5),      # single step, batch 1 (the cells)
    (37, 1, 4, 13),    # long sequence, batch 1
    (6, 3, 5, 13),
    (4, 8, 3, 130),    # enough work per step for the fused pass to go parallel
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind,nonlin", [("rnn", "tanh"), ("rnn", "relu"), ("lstm", None),
                                         ("gru", None)])
@pytest.mark.parametrize("T,B,I,H", CASES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("with_lengths", [False, True])
def test_native_matches_reference(dtype, kind, nonlin, T, B, I, H, bias, with_lengths):
    p = make(kind, T, B, I, H, dtype, bias)
    lengths = None
    if with_lengths:
        lengths = np.random.default_rng(3).integers(1, T + 1, B)
        lengths[0] = T  # the longest sequence fills the batch, as after packing
    kw = dict(nonlinearity=nonlin) if kind == "rnn" else {}
    outs_r, s_r = forward(ref, kind, p, lengths, **kw)
    outs_n, s_n = forward(native, kind, p, lengths, **kw)
    for a, b in zip(outs_r, outs_n):
        assert b.dtype == dtype and b.shape == a.shape and b.flags.c_contiguous
        scale = max(1.0, float(np.abs(a).max()))  # float32 sums of H terms: relative error
        np.testing.assert_allclose(b / scale, a / scale, **tol(dtype))
    g = out_grads(kind, T, B, H, dtype)
    gr = backward(ref, kind, g, s_r)
    gn = backward(native, kind, g, s_n)
    for name, a, b in zip(grad_names(kind), gr, gn):
        if name.startswith("b_") and not bias:
            assert a is None and b is None, name
            continue
        assert b.dtype == dtype and b.shape == a.shape, name
        scale = max(1.0, float(np.abs(a).max()))
        np.testing.assert_allclose(b / scale, a / scale, err_msg=name, **tol(dtype))


@pytest.mark.parametrize("kind", list(KINDS))
def test_padded_steps_are_inert(kind):
    """Padded outputs are 0, and nothing at a padded step changes outputs or grads."""
    T, B, I, H = 5, 3, 2, 4
    p = make(kind, T, B, I, H, np.float64)
    lengths = np.array([5, 2, 3])
    for mod in BACKENDS.values():
        outs, s = forward(mod, kind, p, lengths)
        p2 = dict(p, x=p["x"].copy())
        p2["x"][2:, 1] = 123.0  # garbage in sequence 1's padding
        p2["x"][3:, 2] = -7.0
        outs2, s2 = forward(mod, kind, p2, lengths)
        for a, b in zip(outs, outs2):
            np.testing.assert_array_equal(a, b)
        assert not outs[0][2:, 1].any() and not outs[0][3:, 2].any()
        # h_n is each sequence's state at its own last step
        short = forward(mod, kind, dict(p, x=p["x"][:2, 1:2], h0=p["h0"][1:2],
                                        **({"c0": p["c0"][1:2]} if kind == "lstm" else {})))[0]
        np.testing.assert_allclose(outs[1][1], short[1][0], rtol=1e-12)
        g = out_grads(kind, T, B, H, np.float64)
        g2 = (g[0].copy(),) + g[1:]
        g2[0][2:, 1] = 99.0  # grads arriving at padded outputs are ignored
        ga, gb = backward(mod, kind, g, s), backward(mod, kind, g2, s2)
        for name, a, b in zip(grad_names(kind), ga, gb):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14, err_msg=name)
        assert not ga[0][2:, 1].any() and not ga[0][3:, 2].any()


@pytest.mark.parametrize("kind", list(KINDS))
def test_none_output_grads_are_zeros(kind):
    T, B, I, H = 4, 2, 3, 5
    p = make(kind, T, B, I, H, np.float64)
    for mod in BACKENDS.values():
        _, s = forward(mod, kind, p)
        zeros = tuple(np.zeros_like(a) for a in out_grads(kind, T, B, H, np.float64))
        full = backward(mod, kind, zeros, s)
        nones = backward(mod, kind, (None,) * len(zeros), s)
        for a, b in zip(full, nones):
            np.testing.assert_array_equal(a, b)
        assert not np.any(full[0])
        # dy alone, dh_n alone: grads add up
        g = out_grads(kind, T, B, H, np.float64)
        only_dy = backward(mod, kind, (g[0],) + (None,) * (len(g) - 1), s)
        only_state = backward(mod, kind, (None,) + g[1:], s)
        both = backward(mod, kind, g, s)
        for a, b, c in zip(only_dy, only_state, both):
            np.testing.assert_allclose(a + b, c, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("T,B", [(3, 0), (0, 2)])
def test_empty(kind, T, B):
    H = 4
    p = make(kind, T, B, 3, H, np.float32)
    for mod in BACKENDS.values():
        outs, s = forward(mod, kind, p)
        assert outs[0].shape == (T, B, H)
        np.testing.assert_array_equal(outs[1], p["h0"])  # no step: the state is h0
        grads = backward(mod, kind, out_grads(kind, T, B, H, np.float32), s)
        for name, g in zip(grad_names(kind), grads):
            assert g.shape == p[name].shape, name
        assert not grads[grad_names(kind).index("w_hh")].any()


@pytest.mark.parametrize("kind", list(KINDS))
def test_memory_orders(kind):
    """Fortran-ordered and strided inputs give the contiguous result."""
    T, B, I, H = 5, 3, 4, 6
    p = make(kind, T, B, I, H, np.float32)
    expect, s = forward(native, kind, p)
    q = {k: (None if v is None else np.asfortranarray(v)) for k, v in p.items()}
    big = np.zeros((T, 2 * B, I), np.float32)
    big[:, ::2] = p["x"]
    q["x"] = big[:, ::2]
    q["w_hh"] = np.ascontiguousarray(p["w_hh"].T).T
    for mod in BACKENDS.values():
        got, s2 = forward(mod, kind, q)
        for a, b in zip(expect, got):
            np.testing.assert_allclose(b, a, **tol(np.float32))
    g = out_grads(kind, T, B, H, np.float32)
    gf = tuple(np.asfortranarray(a) for a in g)
    for a, b in zip(backward(native, kind, g, s), backward(native, kind, gf, s)):
        np.testing.assert_allclose(b, a, **tol(np.float32))


@pytest.mark.parametrize("T", [1, 6])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", list(KINDS))
def test_batch_first_views_are_read_in_place(kind, dtype, T, monkeypatch):
    """x and dy that are the transposed views of (B, T, F) arrays (nn's
    batch_first) reach C as those arrays (no copy) and give the bits of the
    time-major copies, forward and backward, with and without lengths; a saved
    holding such a view also works on the reference backward."""
    B, I, H = 3, 5, 37
    p = make(kind, T, B, I, H, dtype)
    g = out_grads(kind, T, B, H, dtype)
    seen = []
    for name in (f"{kind}_forward", f"{kind}_backward"):
        real = getattr(native._rnn, name)

        def spy(*a, _real=real, **k):
            seen.append((k.get("x_bm"), k.get("dy_bm")))
            return _real(*a, **k)
        monkeypatch.setattr(native._rnn, name, spy)
    for lengths in (None, np.array([T, max(T - 2, 1), T])):
        q = dict(p, x=np.ascontiguousarray(p["x"].transpose(1, 0, 2)).transpose(1, 0, 2))
        gq = (np.ascontiguousarray(g[0].transpose(1, 0, 2)).transpose(1, 0, 2),) + g[1:]
        bm = 0 if T == 1 else 1   # one step: the view is C-contiguous time-major already
        assert q["x"].flags.c_contiguous == (T == 1) == gq[0].flags.c_contiguous
        seen.clear()
        expect, s = forward(native, kind, p, lengths)
        got, sq = forward(native, kind, q, lengths)
        for a, b in zip(expect, got):
            np.testing.assert_array_equal(b, a)
        full = backward(native, kind, g, s)
        part = backward(native, kind, gq, sq)
        for name, a, b in zip(grad_names(kind), full, part):
            np.testing.assert_array_equal(b, a, err_msg=name)
        assert seen == [(0, None), (bm, None), (0, 0), (bm, bm)], seen
        for name, a, b in zip(grad_names(kind), backward(ref, kind, g, sq), full):
            np.testing.assert_allclose(a, b, err_msg=name, **tol(dtype))


@pytest.mark.parametrize("field, which", [("need_dx", 0), ("need_dh0", 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", list(KINDS))
def test_backward_skips_unneeded_grads(kind, dtype, field, which):
    """saved.need_dx = False: native returns dx as None; saved.need_dh0 = False:
    dh0 as zeros (its product skipped). Every other grad keeps its bits (the
    skipped products feed nothing else); the reference ignores both fields."""
    T, B, I, H = 5, 3, 4, 37
    p = make(kind, T, B, I, H, dtype)
    g = out_grads(kind, T, B, H, dtype)
    for mod in BACKENDS.values():
        _, s = forward(mod, kind, p, np.array([5, 2, 4]))
        full = backward(mod, kind, g, s)
        setattr(s, field, False)
        part = backward(mod, kind, g, s)
        if mod is not native:
            np.testing.assert_array_equal(part[which], full[which])
        elif field == "need_dx":
            assert part[0] is None
        else:
            assert not part[1].any() and full[1].any()
        for i, (name, a, b) in enumerate(zip(grad_names(kind), full, part)):
            if i != which:
                np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize("kind", list(KINDS))
def test_saved_works_across_backends(kind):
    p = make(kind, 4, 2, 3, 5, np.float64)
    g = out_grads(kind, 4, 2, 5, np.float64)
    _, s_r = forward(ref, kind, p, np.array([4, 2]))
    _, s_n = forward(native, kind, p, np.array([4, 2]))
    for a, b in zip(backward(native, kind, g, s_r), backward(ref, kind, g, s_n)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", list(KINDS))
def test_saturated_gates_stay_finite(kind):
    """Huge pre-activations (and +-inf) saturate like libm, without NaN."""
    p = make(kind, 3, 2, 3, 9, np.float32, scale=50.0)
    p["x"][0, 0, 0] = np.inf
    p["x"][1, 1, 1] = -np.inf
    p["x"][2, 0, 2] = 1e30
    p["w_ih"][:, 0] = np.abs(p["w_ih"][:, 0])  # keep inf * w away from inf - inf
    p["w_ih"][:, 1:] = np.abs(p["w_ih"][:, 1:])
    p["w_hh"][:] = 0.0
    outs_r, _ = forward(ref, kind, dict(p, **{k: v.astype(np.float64) if v is not None else None
                                              for k, v in p.items()}))
    outs_n, _ = forward(native, kind, p)
    for a, b in zip(outs_r, outs_n):
        assert np.all(np.isfinite(b))
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("H", [130, 33, 7])
def test_threads_agree(kind, dtype, H):
    # float32: the persistent team splits the units by whole panels of the packed
    # W_hh (130 and 33 are not multiples of a panel; 7 is less than one, so the
    # team shrinks to one thread); float64: the parallel fused pass and GEMMs.
    # No sum is split between threads, so the results are the same bits. Four
    # threads on a machine with fewer cores: the team's step barrier is then
    # OpenMP's own instead of its spinning two halves.
    T, B, I = 3, 8, 5
    p = make(kind, T, B, I, H, dtype)
    g = out_grads(kind, T, B, H, dtype)
    before = fastnn.get_num_threads()
    try:
        results = []
        for n in (1, 2, 4):
            fastnn.set_num_threads(n)
            outs, s = forward(native, kind, p, np.array([3, 1, 2, 3, 3, 1, 2, 2]))
            results.append(outs + tuple(backward(native, kind, g, s)))
    finally:
        fastnn.set_num_threads(before)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("T, B", [(20, 32), (11, 64), (9, 40), (3, 300)])
def test_weight_grads_by_chunks(kind, T, B):
    # float32's backward adds the weight grads chunk by chunk of ~256 rows
    # (256 // B steps; one step from B = 256) inside the step loop, from
    # operands written into panels as the steps run (I, H not multiples of a
    # panel: padded panels), and keeps two steps' gate grads when dx is not
    # needed: (20, 32): 8+8+4 steps; (11, 64): 4+4+3; (9, 40): 6+3; (3, 300):
    # 1+1+1. Same grads as the reference, the same bits with or without dx and
    # for any team size.
    I, H = 5, 33   # two panels: a team of two
    p = make(kind, T, B, I, H, np.float32)
    g = out_grads(kind, T, B, H, np.float32)
    lengths = np.random.default_rng(2).integers(1, T + 1, B)
    _, s_ref = forward(ref, kind, p, lengths)
    want = backward(ref, kind, g, s_ref)
    before = fastnn.get_num_threads()
    try:
        got = {}
        for n in (1, 2, 4):
            fastnn.set_num_threads(n)
            for need_dx in (True, False):
                _, s = forward(native, kind, p, lengths)
                s.need_dx = need_dx
                got[n, need_dx] = backward(native, kind, g, s)
    finally:
        fastnn.set_num_threads(before)
    for name, a, b in zip(grad_names(kind), want, got[2, True]):   # sums of ~T*B terms
        np.testing.assert_allclose(b, a, rtol=2e-4, atol=1e-5 * np.abs(a).max(), err_msg=name)
    assert got[2, False][0] is None
    for key, grads in got.items():
        for i, (name, a, b) in enumerate(zip(grad_names(kind), got[2, True], grads)):
            if not (i == 0 and not key[1]):
                np.testing.assert_array_equal(b, a, err_msg=f"{name} {key}")


@pytest.mark.parametrize("shape", [(50, 32, 1024), (3, 5), (0, 4), (7,)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_buffers_start_on_a_cache_line(shape, dtype):
    # the wrapper's buffers (y, gates, states...) start on 64-byte lines, which
    # NumPy's own 16-byte alignment does not give; otherwise plain arrays
    a = native._empty(shape, np.dtype(dtype))
    assert a.shape == shape and a.dtype == dtype and a.flags.c_contiguous and a.flags.writeable
    assert a.size == 0 or a.ctypes.data % 64 == 0   # an empty array has no line to start
    # several in one allocation: each on its own lines, none overlapping
    parts = native._empty_parts([shape, (3,), shape], np.dtype(dtype))
    spans = []
    for p, s in zip(parts, [shape, (3,), shape]):
        assert p.shape == s and p.dtype == dtype and p.flags.c_contiguous and p.flags.writeable
        assert p.size == 0 or p.ctypes.data % 64 == 0
        spans.append((p.ctypes.data, p.ctypes.data + p.nbytes))
    for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
        assert a1 <= b0
    parts[0][...] = 1
    parts[2][...] = 2
    assert (parts[0] == 1).all() and (parts[2] == 2).all()
    _, s = forward(native, "lstm", make("lstm", 3, 2, 4, 5, np.float32))
    for name in ("y", "gates", "c"):
        assert getattr(s, name).ctypes.data % 64 == 0, name


# ------------------------------------------------------------- finite differences
@pytest.mark.parametrize("backend", list(BACKENDS))
@pytest.mark.parametrize("kind,nonlin", [("rnn", "tanh"), ("rnn", "relu"), ("lstm", None),
                                         ("gru", None)])
@pytest.mark.parametrize("with_lengths", [False, True])
def test_backward_matches_finite_differences(backend, kind, nonlin, with_lengths):
    mod = BACKENDS[backend]
    T, B, I, H = 3, 2, 2, 3
    p = make(kind, T, B, I, H, np.float64, scale=0.6, seed=5)
    lengths = np.array([3, 2]) if with_lengths else None
    kw = dict(nonlinearity=nonlin) if kind == "rnn" else {}
    names = grad_names(kind)
    inputs = [p[n] for n in names]

    def f(*arrs):
        q = dict(zip(names, arrs))
        return forward(mod, kind, q, lengths, **kw)[0]

    g = out_grads(kind, T, B, H, np.float64, seed=7)
    numeric = numerical_grads(f, inputs, g)
    _, s = forward(mod, kind, p, lengths, **kw)
    analytic = backward(mod, kind, g, s)
    assert_grads_close(analytic, numeric, rtol=1e-6, atol=1e-8, names=names)


# ------------------------------------------------------------- PyTorch agreement
@pytest.mark.parametrize("kind,nonlin", [("rnn", "tanh"), ("rnn", "relu"), ("lstm", None),
                                         ("gru", None)])
@pytest.mark.parametrize("backend", list(BACKENDS))
def test_agrees_with_torch(kind, nonlin, backend):
    torch = pytest.importorskip("torch")
    mod = BACKENDS[backend]
    T, B, I, H = 6, 3, 4, 5
    p = make(kind, T, B, I, H, np.float64, seed=11)
    lengths = np.array([6, 2, 4])
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    extra = dict(nonlinearity=nonlin) if kind == "rnn" else {}
    net = cls(I, H, **extra).double()
    with torch.no_grad():
        for n in ("w_ih", "w_hh", "b_ih", "b_hh"):
            tname = {"w_ih": "weight_ih_l0", "w_hh": "weight_hh_l0",
                     "b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"}[n]
            getattr(net, tname).copy_(torch.from_numpy(p[n]))
    xt = torch.tensor(p["x"], requires_grad=True)
    h0t = torch.tensor(p["h0"][None], requires_grad=True)
    packed = torch.nn.utils.rnn.pack_padded_sequence(xt, torch.tensor(lengths),
                                                     enforce_sorted=False)
    if kind == "lstm":
        c0t = torch.tensor(p["c0"][None], requires_grad=True)
        out, (hn, cn) = net(packed, (h0t, c0t))
        t_outs = [hn[0], cn[0]]
    else:
        out, hn = net(packed, h0t)
        t_outs = [hn[0]]
    yt = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=T)[0]
    t_outs = [yt] + t_outs
    g = out_grads(kind, T, B, H, np.float64)
    sum(((o * torch.from_numpy(gi)).sum() for o, gi in zip(t_outs, g))).backward()

    outs, s = forward(mod, kind, p, lengths, **extra)
    for a, b in zip(outs, t_outs):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-10, atol=1e-12)
    grads = backward(mod, kind, g, s)
    t_grads = {"x": xt.grad[...], "h0": h0t.grad[0], "w_ih": net.weight_ih_l0.grad,
               "w_hh": net.weight_hh_l0.grad, "b_ih": net.bias_ih_l0.grad,
               "b_hh": net.bias_hh_l0.grad}
    if kind == "lstm":
        t_grads["c0"] = c0t.grad[0]
    for name, a in zip(grad_names(kind), grads):
        np.testing.assert_allclose(a, t_grads[name].numpy(), rtol=1e-9, atol=1e-11,
                                   err_msg=name)


# ------------------------------------------------------------- bad input
def _bad_cases():
    T, B, I, H = 3, 2, 4, 5
    good = make("lstm", T, B, I, H, np.float32)
    f64 = {k: v.astype(np.float64) for k, v in good.items()}
    return [
        ("x", dict(x=good["x"][:, :, :3]), ValueError),                 # wrong input size
        ("x", dict(x=good["x"][0]), ValueError),                        # not 3-D
        ("x", dict(x=good["x"].astype(np.int32)), TypeError),
        ("x", dict(x=[[[1.0]]]), TypeError),
        ("h0", dict(h0=good["h0"][:1]), ValueError),                    # wrong batch
        ("h0", dict(h0=good["h0"][:, :4]), ValueError),                 # wrong hidden
        ("h0", dict(h0=good["h0"][None]), ValueError),                  # 3-D (PyTorch's layer form)
        ("h0", dict(h0=None), TypeError),
        ("c0", dict(c0=good["c0"][:, :2]), ValueError),
        ("w_ih", dict(w_ih=f64["w_ih"]), TypeError),                    # dtype mismatch
        ("w_hh", dict(w_hh=good["w_hh"][:, :4]), ValueError),
        ("w_ih", dict(w_ih=good["w_ih"][:16]), ValueError),
        ("b_ih", dict(b_ih=good["b_ih"][:5]), ValueError),
        ("b_hh", dict(b_hh=f64["b_hh"]), TypeError),
        ("h0", dict(h0=f64["h0"]), TypeError),
        ("lengths", dict(lengths=np.array([0, 2])), ValueError),
        ("lengths", dict(lengths=np.array([4, 2])), ValueError),
        ("lengths", dict(lengths=np.array([3])), ValueError),
        ("lengths", dict(lengths=np.array([3.0, 2.0])), TypeError),
    ]


@pytest.mark.parametrize("backend", list(BACKENDS))
@pytest.mark.parametrize("name,change,exc", _bad_cases())
def test_bad_input_is_rejected(backend, name, change, exc):
    mod = BACKENDS[backend]
    p = make("lstm", 3, 2, 4, 5, np.float32)
    change = dict(change)  # shared between the parametrized cases
    lengths = change.pop("lengths", None)
    p.update(change)
    with pytest.raises(exc, match=name):
        forward(mod, "lstm", p, lengths)


def test_compiled_layout_flags_are_checked():
    """The compiled entry points take x_bm / dy_bm as 0 or 1 only (they index
    the shape and pick the row strides), checked before the kernel runs."""
    T, B, I, H = 3, 2, 4, 5
    p = make("lstm", T, B, I, H, np.float32)
    y, hn, cn = (np.empty(s, np.float32) for s in ((T, B, H), (B, H), (B, H)))
    gates, cs = np.empty((T, B, 4 * H), np.float32), np.empty((T, B, H), np.float32)
    args = (p["x"], p["h0"], p["c0"], p["w_ih"], p["w_hh"], np.zeros(4 * H, np.float32), None,
            y, hn, cn, gates, cs)
    for bad in (2, -1):
        with pytest.raises(ValueError, match="x_bm"):
            native._rnn.lstm_forward(*args, x_bm=bad)
    native._rnn.lstm_forward(*args, x_bm=0)


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_bad_input_other_kinds(backend):
    mod = BACKENDS[backend]
    p = make("gru", 3, 2, 4, 5, np.float64)
    with pytest.raises(ValueError, match="w_hh"):
        mod.gru_forward(p["x"], p["h0"], p["w_ih"], p["w_hh"][:10], None, None)
    with pytest.raises(ValueError, match="x"):
        mod.gru_forward(p["x"][:, :, :2], p["h0"], p["w_ih"], p["w_hh"], None, None)
    q = make("rnn", 3, 2, 4, 5, np.float64)
    with pytest.raises(ValueError, match="nonlinearity"):
        mod.rnn_forward(q["x"], q["h0"], q["w_ih"], q["w_hh"], nonlinearity="sigmoid")
    _, s = forward(mod, "gru", p)
    with pytest.raises(TypeError, match="saved"):
        mod.lstm_backward(None, None, None, s)
    with pytest.raises(TypeError, match="saved"):
        mod.gru_backward(None, None, "nope")
    with pytest.raises(ValueError, match="dy"):
        mod.gru_backward(np.zeros((3, 2, 4)), None, s)
    with pytest.raises(ValueError, match="dh_n"):
        mod.gru_backward(None, np.zeros((1, 2, 5)), s)
    with pytest.raises(TypeError, match="dh_n"):
        mod.gru_backward(None, np.zeros((2, 5), np.float32), s)
