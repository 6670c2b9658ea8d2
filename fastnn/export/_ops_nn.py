"""C emitters for the layer ops: linear, convolution, pooling, batch norm,
softmax, elementwise activations and arithmetic. Each takes the Program and a
graph Node and appends the kernel call (see templates/ for the kernels)."""
from __future__ import annotations

from typing import Callable, Dict

import numpy as np

from ._program import ExportError

OPS: Dict[str, Callable] = {}


def op(*names):
    def register(fn):
        for n in names:
            OPS[n] = fn
        return fn
    return register


def _pair(v, n=2):
    if isinstance(v, (tuple, list)):
        v = tuple(int(x) for x in v)
        return v if len(v) == n else v * n
    return (int(v),) * n


@op("linear")
def linear(p, node):
    x, w, b = node.input("x"), node.input("w"), node.input("b")
    xs = p.shape(x)
    out_f, in_f = p.shape(w)
    rows = int(np.prod(xs[:-1], dtype=np.int64))
    y = node.outputs[0]
    q = p.quant.get(id(node)) if p.quant else None
    if q is not None:
        wq, ws, xscale = q
        xq = p.scratch(-(-rows * in_f // 4))
        p.call("linear_int8", p.ptr(x), p.array(w.name + "_q", wq, "signed char"),
               p.array(w.name + "_scale", ws), p.ptr(b), p.out(y),
               f"(signed char *)({xq})", _f(xscale), rows, in_f, out_f)
        return
    wt = p.graph.tensors[w.name].detach().numpy().T if w.kind == "param" else np.asarray(w.data).T
    if rows < 4 and (b is None or b.kind == "param"):
        # linear_panel (templates/linear.c): W^T cut into panels of 16 outputs
        out16 = -(-out_f // 16) * 16
        panels = np.zeros((in_f, out16), np.float32)
        panels[:, :out_f] = wt
        panels = np.ascontiguousarray(panels.reshape(in_f, out16 // 16, 16).transpose(1, 0, 2))
        bias = np.zeros(out16, np.float32)
        if b is not None:
            bias[:out_f] = p.graph.tensors[b.name].detach().numpy()
        p.call("linear_panel", p.ptr(x), p.array(w.name + "_panels", panels),
               p.array(w.name.rsplit(".", 1)[0] + ".bias_padded", bias), p.out(y), rows, in_f,
               out_f)
        return
    p.call("linear", p.ptr(x), p.array(w.name + "_t", np.ascontiguousarray(wt)), p.ptr(b),
           p.out(y), rows, in_f, out_f)


def _f(v):
    from ._program import c_float
    return c_float(v)


def _planes(p, x, y):
    xs, ys = p.shape(x), p.shape(y)
    if len(xs) < 2:
        raise ExportError("pooling needs at least 2 dims")
    return int(np.prod(xs[:-2], dtype=np.int64)), xs[-2], xs[-1], ys[-2], ys[-1]


@op("max_pool2d")
def max_pool(p, node):
    x, y = node.input("x") or node.inputs[0], node.outputs[0]
    planes, h, w, oh, ow = _planes(p, x, y)
    k = _pair(node.attrs["kernel_size"])
    s = _pair(node.attrs.get("stride") or node.attrs["kernel_size"])
    pad, dil = _pair(node.attrs.get("padding", 0)), _pair(node.attrs.get("dilation", 1))
    p.call("max_pool2d", p.ptr(x), p.out(y), planes, h, w, *k, *s, *pad, *dil, oh, ow)


@op("avg_pool2d")
def avg_pool(p, node):
    x, y = node.input("x") or node.inputs[0], node.outputs[0]
    if node.attrs.get("divisor_override") is not None:
        raise ExportError("avg_pool2d with divisor_override is not supported by the C export")
    planes, h, w, oh, ow = _planes(p, x, y)
    k = _pair(node.attrs["kernel_size"])
    s = _pair(node.attrs.get("stride") or node.attrs["kernel_size"])
    pad = _pair(node.attrs.get("padding", 0))
    p.call("avg_pool2d", p.ptr(x), p.out(y), planes, h, w, *k, *s, *pad, oh, ow,
           int(bool(node.attrs.get("count_include_pad", True))))


@op("adaptive_avg_pool2d", "adaptive_max_pool2d")
def adaptive_pool(p, node):
    x, y = node.input("x") or node.inputs[0], node.outputs[0]
    planes, h, w, oh, ow = _planes(p, x, y)
    p.call("adaptive_pool2d", p.ptr(x), p.out(y), planes, h, w, oh, ow,
           int(node.op == "adaptive_max_pool2d"))


@op("batch_norm")
def batch_norm(p, node):
    if node.attrs.get("training"):
        raise ExportError("batch_norm in training mode: export the model in eval mode")
    x, y = node.input("x"), node.outputs[0]
    xs = p.shape(x)
    c = xs[1]
    t = p.graph.tensors

    def data(name, default):
        v = node.input(name)
        if v is None:
            return np.full(c, default, np.float64)
        arr = t[v.name].detach().numpy() if v.name in t else v.data
        return np.asarray(arr, np.float64)
    mean, var = data("running_mean", 0.0), data("running_var", 1.0)
    scale = data("w", 1.0) / np.sqrt(var + float(node.attrs.get("eps", 1e-5)))
    shift = data("b", 0.0) - mean * scale
    hint = (node.input("w") or x).name.rsplit(".", 1)[0]
    p.call("channel_affine", p.ptr(x), p.array(hint + ".scale", scale.astype(np.float32)),
           p.array(hint + ".shift", shift.astype(np.float32)), p.out(y),
           xs[0], c, int(np.prod(xs[2:], dtype=np.int64)))


@op("softmax", "log_softmax")
def softmax(p, node):
    x, y = node.inputs[0], node.outputs[0]
    xs = p.shape(x)
    dim = node.attrs.get("dim")
    dim = (len(xs) - 1 if dim is None else int(dim)) % max(len(xs), 1)
    outer = int(np.prod(xs[:dim], dtype=np.int64))
    inner = int(np.prod(xs[dim + 1:], dtype=np.int64))
    p.call("softmax", p.ptr(x), p.out(y), outer, xs[dim] if xs else 1, inner,
           int(node.op == "log_softmax"))


_UNARY = {"relu": "U_RELU", "sigmoid": "U_SIGMOID", "tanh": "U_TANH", "exp": "U_EXP",
          "log": "U_LOG", "sqrt": "U_SQRT", "abs": "U_ABS", "neg": "U_NEG", "sin": "U_SIN",
          "cos": "U_COS", "silu": "U_SILU"}


def _unary_params(node):
    a = node.attrs
    if node.op == "leaky_relu":
        return "U_LEAKY_RELU", a.get("slope", a.get("negative_slope", 0.01)), 0.0
    if node.op == "elu":
        return "U_ELU", a.get("alpha", 1.0), 0.0
    if node.op == "gelu":
        return ("U_GELU_TANH" if a.get("approximate") == "tanh" else "U_GELU"), 0.0, 0.0
    if node.op == "softplus":
        return "U_SOFTPLUS", a.get("beta", 1.0), a.get("threshold", 20.0)
    if node.op == "hardtanh":
        return "U_HARDTANH", a.get("lo", a.get("min_val", -1.0)), a.get("hi", a.get("max_val", 1.0))
    return _UNARY[node.op], 0.0, 0.0


@op(*_UNARY, "leaky_relu", "elu", "gelu", "softplus", "hardtanh")
def unary(p, node):
    x, y = node.inputs[0], node.outputs[0]
    code, a, b = _unary_params(node)
    p.call("unary", code, p.ptr(x), p.out(y), p.size(y), _f(a), _f(b))


_BINARY = {"add": "B_ADD", "sub": "B_SUB", "mul": "B_MUL", "div": "B_DIV",
           "maximum": "B_MAX", "minimum": "B_MIN", "pow": "B_POW"}


@op(*_BINARY)
def binary(p, node):
    y = node.outputs[0]
    ys = p.shape(y)
    names = [n for n, _ in node.signature][:2]
    operands = []
    for n in names:
        v = node.input(n)
        if v is not None:
            shape, where = p.shape(v), p.ptr(v)
        else:
            val = node.attrs.get(n)
            if not isinstance(val, (int, float, np.number)) or isinstance(val, bool):
                raise ExportError(f"{node.op}: operand {n}={val!r} is not a tensor or a number")
            shape, where = (), p.array("scalar", np.array([val], np.float32))
        shape = (1,) * (len(ys) - len(shape)) + tuple(shape)
        strides, acc = [0] * len(ys), 1
        for d in range(len(ys) - 1, -1, -1):
            strides[d] = acc if shape[d] != 1 else 0
            acc *= shape[d]
        operands += [where, p.ints(strides or [0])]
    dims = list(ys) or [1]
    if len(dims) > 8:
        raise ExportError(f"{node.op} on more than 8 dims is not supported by the C export")
    p.call("binary", _BINARY[node.op], *operands, p.out(y), p.ints(dims), len(dims))
