"""C emitters for the recurrent ops (one layer and direction each, as the
graph records them): lstm, gru, rnn -> templates/rnn.c."""
from ._ops_nn import op
from ._program import ExportError


@op("lstm", "gru", "rnn")
def recurrent(p, node):
    if node.attrs.get("lengths") is not None:
        raise ExportError(f"{node.op}: packed sequences are not supported by the C export")
    x = node.input("x")
    steps, n, in_f = p.shape(x)
    hid = p.shape(node.input("w_hh"))[1]
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[node.op]
    y, h = node.outputs[0], node.outputs[1]
    yp, hp = p.out(y), p.out(h)
    p.call("copy", p.ptr(node.input("h0")), hp, n * hid)
    args = [p.ptr(x), p.ptr(node.input("w_ih")), p.ptr(node.input("w_hh")),
            p.ptr(node.input("b_ih")), p.ptr(node.input("b_hh")), yp, hp]
    if node.op == "lstm":
        cp = p.out(node.outputs[2])
        p.call("copy", p.ptr(node.input("c0")), cp, n * hid)
        args.append(cp)
    gx, gh = p.scratch(gates * hid), p.scratch(gates * hid)
    args += [gx, gh, steps, n, in_f, hid, int(bool(node.attrs.get("reverse")))]
    if node.op == "rnn":
        args.append(int(node.attrs.get("nonlinearity", "tanh") == "relu"))
    p.call(f"{node.op}_layer", *args)
