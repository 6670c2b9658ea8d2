"""ONNX LSTM, GRU and RNN: one layer, forward / reverse / bidirectional,
optional sequence_lens, initial states, LSTM peepholes, clip, custom
activations, and both layouts.

Gate orders differ from PyTorch's: ONNX stacks LSTM gates i, o, f, c and GRU
gates z, r, h, where fastnn (like PyTorch) uses i, f, g, o and r, z, n. When a
node is what a PyTorch layer exports (default activations, no clip or
peepholes, GRU with linear_before_reset=1) the weights are re-sliced into
fastnn's order -- with differentiable narrow/cat, so gradients reach the ONNX
initializers -- and the sequence runs in fastnn's native recurrent kernel
(fastnn.ops.rnn.Recurrent). Anything else (GRU's default linear_before_reset=0,
other activations, clip, peepholes, coupled input/forget gates) runs a step
loop written with fastnn tensor ops: slower, equally differentiable.
"""
import numpy as np

from ...ops.rnn import Recurrent
from ..._tensor import cat, stack
from ._common import register, arr, const, as_str, unsupported

_DEFAULT_ACTS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"], "RNN": ["Tanh"]}
_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}

# name -> (how many of activation_alpha / activation_beta it takes, defaults, fn)
_ACTS = {
    "Relu": (0, 0, (), lambda x: x.relu()),
    "Tanh": (0, 0, (), lambda x: x.tanh()),
    "Sigmoid": (0, 0, (), lambda x: x.sigmoid()),
    "Affine": (1, 1, (1.0, 0.0), lambda x, a, b: x * a + b),
    "LeakyRelu": (1, 0, (0.01,), lambda x, a: x.relu() - (-x).relu() * a),
    "ThresholdedRelu": (1, 0, (1.0,), lambda x, a: x * const((arr(x) > a).astype(arr(x).dtype))),
    "ScaledTanh": (1, 1, (1.0, 1.0), lambda x, a, b: (x * b).tanh() * a),
    "HardSigmoid": (1, 1, (0.2, 0.5), lambda x, a, b: (x * a + b).clamp(0.0, 1.0)),
    "Elu": (1, 0, (1.0,), lambda x, a: x.relu() + ((-(-x).relu()).exp() - 1.0) * a),
    "Softsign": (0, 0, (), lambda x: x / (x.abs() + 1.0)),
    "Softplus": (0, 0, (), lambda x: (x.exp() + 1.0).log()),
}


def _activation_names(op, attrs, ndir):
    acts = [as_str(a) for a in attrs.get("activations", [])]
    per = len(_DEFAULT_ACTS[op])
    if not acts:
        acts = _DEFAULT_ACTS[op] * ndir
    return acts, per


def _canon(name):
    for k in _ACTS:
        if k.lower() == name.lower():
            return k
    return None


def _check_rnn(attrs, opset, node):
    op = node.op_type
    direction = as_str(attrs.get("direction", "forward"))
    if direction not in ("forward", "reverse", "bidirectional"):
        raise unsupported(node, f"direction={direction!r} is not supported")
    ndir = 2 if direction == "bidirectional" else 1
    acts, per = _activation_names(op, attrs, ndir)
    if len(acts) != per * ndir:
        raise unsupported(node, f"{len(acts)} activations given, {per * ndir} expected")
    for a in acts:
        if _canon(a) is None:
            raise unsupported(node, f"activation {a!r} is not supported (supported: "
                              f"{sorted(_ACTS)})")


def _bound_activations(op, attrs, ndir):
    """Per direction, the list of one-argument activation functions."""
    acts, per = _activation_names(op, attrs, ndir)
    alphas = list(attrs.get("activation_alpha", []))
    betas = list(attrs.get("activation_beta", []))
    bound = []
    for name in acts:
        na, nb, defaults, fn = _ACTS[_canon(name)]
        params = []
        if na:
            params.append(float(alphas.pop(0)) if alphas else defaults[0])
        if nb:
            params.append(float(betas.pop(0)) if betas else defaults[1])
        bound.append((lambda f, p: (lambda x: f(x, *p)))(fn, params))
    return [bound[d * per:(d + 1) * per] for d in range(ndir)], acts


def _rows(w, order, h):
    """Re-stack the gate blocks of w (gates*h, ...) in the given order."""
    return cat([w.narrow(0, g * h, h) for g in order], 0)


def _run_fast(op, x, h0, c0, w, r, wb, rb, h, lengths, reverse, nonlin):
    if op == "LSTM":
        order = (0, 2, 3, 1)   # i, o, f, c -> i, f, g, o
    elif op == "GRU":
        order = (1, 0, 2)      # z, r, h -> r, z, n
    else:
        order = (0,)
    kind = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}[op]
    res = Recurrent.apply(x, h0, c0, _rows(w, order, h), _rows(r, order, h), _rows(wb, order, h),
                          _rows(rb, order, h), kind=kind, nonlinearity=nonlin, lengths=lengths,
                          reverse=reverse)
    return res if op == "LSTM" else (res[0], res[1], None)


def _run_loop(op, x, h0, c0, w, r, wb, rb, p, h, lengths, reverse, acts, clip, attrs):
    """The ONNX equations step by step; padded steps keep the state and emit zeros."""
    T = x.shape[0]
    xw = x @ w.transpose(0, 1) + wb   # all steps' input projections at once
    f_act, g_act = acts[0], acts[1] if len(acts) > 1 else None
    h_act = acts[2] if len(acts) > 2 else None
    lbr = int(attrs.get("linear_before_reset", 0))
    coupled = int(attrs.get("input_forget", 0))
    ht, ct = h0, c0
    ys = [None] * T
    clamp = (lambda v: v.clamp(-clip, clip)) if clip is not None else (lambda v: v)
    steps = range(T - 1, -1, -1) if reverse else range(T)
    for t in steps:
        gx = xw[t]
        if op == "LSTM":
            gates = gx + ht @ r.transpose(0, 1) + rb
            gi, go, gf, gc = (gates.narrow(1, k * h, h) for k in range(4))
            if p is not None:
                gi, gf = gi + ct * p[0], gf + ct * p[2]
            i = f_act(clamp(gi))
            f = (1.0 - i) if coupled else f_act(clamp(gf))
            c = g_act(clamp(gc))
            c_new = f * ct + i * c
            if p is not None:
                go = go + c_new * p[1]
            o = f_act(clamp(go))
            h_new = o * h_act(c_new)
        elif op == "GRU":
            rz = gx.narrow(1, 0, 2 * h) + ht @ r.narrow(0, 0, 2 * h).transpose(0, 1) \
                + rb.narrow(0, 0, 2 * h)
            z = f_act(clamp(rz.narrow(1, 0, h)))
            rg = f_act(clamp(rz.narrow(1, h, h)))
            rh, rbh = r.narrow(0, 2 * h, h), rb.narrow(0, 2 * h, h)
            if lbr:
                hh = gx.narrow(1, 2 * h, h) + rg * (ht @ rh.transpose(0, 1) + rbh)
            else:
                hh = gx.narrow(1, 2 * h, h) + (rg * ht) @ rh.transpose(0, 1) + rbh
            hh = g_act(clamp(hh))
            h_new = (1.0 - z) * hh + z * ht
            c_new = None
        else:
            h_new = f_act(clamp(gx + ht @ r.transpose(0, 1) + rb))
            c_new = None
        if lengths is not None:
            live = const((t < lengths).astype(arr(x).dtype).reshape(-1, 1))
            dead = 1.0 - live
            h_new = h_new * live + ht * dead
            if c_new is not None:
                c_new = c_new * live + ct * dead
            ys[t] = h_new * live
        else:
            ys[t] = h_new
        ht, ct = h_new, c_new
    return stack(ys, 0), ht, ct


def _recurrent(node, inputs, attrs):
    op = node.op_type
    G = _GATES[op]
    opt = lambda i: inputs[i] if len(inputs) > i and inputs[i] is not None else None  # noqa
    x, w, r = inputs[0], inputs[1], inputs[2]
    b, seq_lens, init_h = opt(3), opt(4), opt(5)
    init_c, peep = (opt(6), opt(7)) if op == "LSTM" else (None, None)
    layout = int(attrs.get("layout", 0))
    if layout:
        x = x.transpose(0, 1)
    T, B = x.shape[0], x.shape[1]
    direction = as_str(attrs.get("direction", "forward"))
    ndir = 2 if direction == "bidirectional" else 1
    h = int(attrs.get("hidden_size", r.shape[-1]))
    dt = arr(x).dtype
    if init_h is not None and layout:
        init_h = init_h.transpose(0, 1)
    if init_c is not None and layout:
        init_c = init_c.transpose(0, 1)
    zeros = const(np.zeros((B, h), dtype=dt))
    lengths = None
    if seq_lens is not None:
        lengths = arr(seq_lens).astype(np.int64)
        if (lengths == T).all():
            lengths = None
    clip = float(attrs["clip"]) if "clip" in attrs else None
    acts, names = _bound_activations(op, attrs, ndir)
    per = len(_DEFAULT_ACTS[op])
    ys, hs, cs = [], [], []
    for d in range(ndir):
        reverse = direction == "reverse" or d == 1
        wd, rd = w[d], r[d]
        if b is not None:
            wb, rb = b[d].narrow(0, 0, G * h), b[d].narrow(0, G * h, G * h)
        else:
            wb = rb = const(np.zeros(G * h, dtype=dt))
        h0 = init_h[d] if init_h is not None else zeros
        c0 = (init_c[d] if init_c is not None else zeros) if op == "LSTM" else None
        pd = peep[d] if peep is not None and arr(peep[d]).any() else None
        pd = None if pd is None else (pd.narrow(0, 0, h), pd.narrow(0, h, h), pd.narrow(0, 2 * h, h))
        my = [n.lower() for n in names[d * per:(d + 1) * per]]
        default = my == [n.lower() for n in _DEFAULT_ACTS[op]]
        fast = clip is None and pd is None and not int(attrs.get("input_forget", 0)) and (
            (op == "LSTM" and default) or
            (op == "GRU" and default and int(attrs.get("linear_before_reset", 0)) == 1) or
            (op == "RNN" and my[0] in ("tanh", "relu")))
        if fast:
            y, hn, cn = _run_fast(op, x, h0, c0, wd, rd, wb, rb, h, lengths, reverse,
                                  my[0] if op == "RNN" else "tanh")
        else:
            y, hn, cn = _run_loop(op, x, h0, c0, wd, rd, wb, rb, pd, h, lengths, reverse,
                                  acts[d], clip, attrs)
        ys.append(y)
        hs.append(hn)
        cs.append(cn)
    y = stack(ys, 1)                      # (T, D, B, H)
    y_h = stack(hs, 0)                    # (D, B, H)
    y_c = stack(cs, 0) if op == "LSTM" else None
    if layout:
        y = y.permute(2, 0, 1, 3)         # (B, T, D, H)
        y_h = y_h.transpose(0, 1)
        y_c = y_c.transpose(0, 1) if y_c is not None else None
    return (y, y_h, y_c) if op == "LSTM" else (y, y_h)


for _op in ("LSTM", "GRU", "RNN"):
    register(_op, check=_check_rnn)(_recurrent)
