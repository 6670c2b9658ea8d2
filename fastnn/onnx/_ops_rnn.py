"""ONNX converters for the recurrent ops: one fastnn ``lstm`` / ``gru`` / ``rnn`` node
(one layer, one direction, time-major) becomes one ONNX LSTM / GRU / RNN node.

The gates are stacked in a different order: PyTorch's LSTM weights are
(i, f, g, o) where ONNX wants (i, o, f, c), and GRU's (r, z, n) where ONNX wants
(z, r, h). The reordering is done in the graph (Split, Concat) on the original
parameters, so the file keeps them under their ``state_dict`` names;
onnxruntime folds it away. PyTorch's GRU applies the reset gate after the
hidden product, ONNX's ``linear_before_reset=1``.
"""
import numpy as np

from ._builder import ExportError, converts

_ORDER = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2], "rnn": [0]}
_ONNX_OP = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}


def _is_zero(v):
    """True when ``v`` is known to be all zeros: a zero constant, a ``full(0)`` or an
    index into one (an initial state left out of the ONNX node is zero)."""
    while v is not None:
        if v.kind == "const":
            return not v.data.any()
        if v.producer is None:
            return False
        node = v.producer
        if node.op == "full":
            return node.attrs["fill_value"] == 0
        if node.op != "getitem":
            return False
        v = node.input("a")
    return False


def _gates(b, w, kind, axis0=True):
    """[1, G*H, ...] tensor of ``w`` with its gate blocks in ONNX order."""
    order = _ORDER[kind]
    name = b.name(w)
    if len(order) > 1:
        parts = b.emit("Split", [name], n_out=len(order), axis=0,
                       num_outputs=len(order) if b.opset >= 18 else None,
                       hint="gates")
        name = b.emit("Concat", [parts[i] for i in order], axis=0)
    return name


@converts("lstm", "gru", "rnn")
def recurrent(b, node):
    a = node.attrs
    kind = a["kind"]
    if a.get("lengths") is not None:
        raise ExportError(f"{kind}: packed sequences (variable lengths) are not exported; "
                          "pass a padded tensor")
    x, h0, c0 = node.input("x"), node.input("h0"), node.input("c0")
    w_ih, w_hh = node.input("w_ih"), node.input("w_hh")
    b_ih, b_hh = node.input("b_ih"), node.input("b_hh")
    H = int(w_hh.shape[-1])
    axis0 = b.const(np.array([0], np.int64))
    W = b.emit("Unsqueeze", [_gates(b, w_ih, kind), axis0])
    R = b.emit("Unsqueeze", [_gates(b, w_hh, kind), axis0])
    B = ""
    if b_ih is not None:
        B = b.emit("Unsqueeze", [b.emit("Concat", [_gates(b, b_ih, kind), _gates(b, b_hh, kind)],
                                        axis=0), axis0])
    elif b_hh is not None:  # pragma: no cover - fastnn layers have both or neither
        raise ExportError(f"{kind}: a hidden bias without an input bias")

    def state(v):
        if v is None or _is_zero(v):
            return ""
        return b.emit("Unsqueeze", [b.name(v), axis0])
    ins = [b.name(x), W, R, B, "", state(h0)]
    if kind == "lstm":
        ins.append(state(c0))
    while ins[-1] == "":
        ins.pop()
    attrs = {"hidden_size": H, "direction": "reverse" if a["reverse"] else "forward"}
    if kind == "gru":
        attrs["linear_before_reset"] = 1
    if kind == "rnn":
        attrs["activations"] = ["Relu" if a["nonlinearity"] == "relu" else "Tanh"]
    n_out = 3 if kind == "lstm" else 2
    outs = b.emit(_ONNX_OP[kind], ins, n_out=n_out, hint=kind, **attrs)
    # Y is (T, 1, B, H) and Y_h / Y_c (1, B, H): drop the direction axis
    if b.is_used(node.outputs[0]):
        b.emit("Squeeze", [outs[0], b.const(np.array([1], np.int64))], b.out(node, 0))
    for k in range(1, n_out):
        if b.is_used(node.outputs[k]):
            b.emit("Squeeze", [outs[k], axis0], b.out(node, k))
