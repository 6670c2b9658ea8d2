"""ONNX converters for the layer ops: linear, conv, pooling, normalisation,
embedding, activations, softmax, pad (fastnn/ops/nn.py's Functions)."""
import math

import numpy as np

from ._builder import ExportError, converts, onnx_dtype, tup


@converts("linear")
def linear(b, node):
    x, w, bias = node.input("x"), node.input("w"), node.input("b")
    out = b.out(node)
    if len(x.shape) == 2:
        ins = [b.name(x), b.name(w)] + ([b.name(bias)] if bias is not None else [])
        b.emit("Gemm", ins, out, transB=1)
        return
    wt = b.emit("Transpose", [b.name(w)], perm=[1, 0])
    if bias is None:
        b.emit("MatMul", [b.name(x), wt], out)
    else:
        b.emit("Add", [b.emit("MatMul", [b.name(x), wt]), b.name(bias)], out)


@converts("conv1d", "conv2d")
def conv(b, node):
    a = node.attrs
    nd = int(a.get("nd", 2))
    w, bias = node.input("w"), node.input("b")
    ins = [b.name(node.input("x")), b.name(w)] + ([b.name(bias)] if bias is not None else [])
    pad = tup(a["padding"], nd)
    b.emit("Conv", ins, b.out(node), kernel_shape=list(w.shape[2:]),
           strides=list(tup(a["stride"], nd)), pads=list(pad + pad),
           dilations=list(tup(a["dilation"], nd)), group=int(a["groups"]))


@converts("max_pool2d")
def max_pool2d(b, node):
    a = node.attrs
    if b.is_used(node.outputs[1]):
        raise ExportError("max_pool2d: return_indices=True has no ONNX equivalent of "
                          "PyTorch's flat indices here")
    k = tup(a["kernel_size"], 2)
    s = k if a["stride"] is None else tup(a["stride"], 2)
    p = tup(a["padding"], 2)
    b.emit("MaxPool", [b.name(node.input("x"))], b.out(node), kernel_shape=list(k),
           strides=list(s), pads=list(p + p), dilations=list(tup(a["dilation"], 2)),
           ceil_mode=int(bool(a["ceil_mode"])))


@converts("avg_pool2d")
def avg_pool2d(b, node):
    a = node.attrs
    if a.get("divisor") is not None:
        raise ExportError("avg_pool2d: divisor_override has no ONNX AveragePool attribute")
    k = tup(a["kernel_size"], 2)
    s = k if a["stride"] is None else tup(a["stride"], 2)
    p = tup(a["padding"], 2)
    b.emit("AveragePool", [b.name(node.input("x"))], b.out(node), kernel_shape=list(k),
           strides=list(s), pads=list(p + p), ceil_mode=int(bool(a["ceil_mode"])),
           count_include_pad=int(bool(a["count_include_pad"])))


@converts("adaptive_avg_pool2d")
def adaptive_avg_pool2d(b, node):
    x = node.input("x")
    H, W = b.static(x.shape[2:], "adaptive_avg_pool2d (the input's height and width)")
    size = node.attrs["output_size"]
    oh, ow = (size, size) if isinstance(size, int) else \
        tuple(d if o is None else o for o, d in zip(size, (H, W)))
    if (oh, ow) == (1, 1):
        b.emit("GlobalAveragePool", [b.name(x)], b.out(node))
        return
    if H % oh or W % ow:
        raise ExportError(f"adaptive_avg_pool2d: output size {(oh, ow)} does not divide the input "
                          f"size {(H, W)}, so its windows differ in size and ONNX AveragePool "
                          "cannot express them")
    k = [H // oh, W // ow]
    b.emit("AveragePool", [b.name(x)], b.out(node), kernel_shape=k, strides=k)


# --- activations -----------------------------------------------------------------------------
def _unary(onnx_op, **attrs):
    def fn(b, node):
        b.emit(onnx_op, [b.name(node.inputs[0])], b.out(node), **attrs)
    return fn


for _op, _onnx in (("relu", "Relu"), ("sigmoid", "Sigmoid"), ("tanh", "Tanh"), ("exp", "Exp"),
                   ("log", "Log"), ("sqrt", "Sqrt"), ("abs", "Abs"), ("neg", "Neg"),
                   ("sin", "Sin"), ("cos", "Cos"), ("clone", "Identity"),
                   ("to_device", "Identity")):
    converts(_op)(_unary(_onnx))


@converts("leaky_relu")
def leaky_relu(b, node):
    b.emit("LeakyRelu", [b.name(node.input("x"))], b.out(node), alpha=float(node.attrs["slope"]))


@converts("elu")
def elu(b, node):
    b.emit("Elu", [b.name(node.input("x"))], b.out(node), alpha=float(node.attrs["alpha"]))


@converts("softplus")
def softplus(b, node):
    # PyTorch returns x itself where beta * x > threshold; softplus(x) - x < 2e-9 there
    # (threshold 20), so ONNX's plain Softplus agrees
    x = node.input("x")
    beta = float(node.attrs["beta"])
    if beta == 1.0:
        b.emit("Softplus", [b.name(x)], b.out(node))
        return
    c = b.const(np.array(beta, x.dtype))
    sp = b.emit("Softplus", [b.emit("Mul", [b.name(x), c])])
    b.emit("Div", [sp, c], b.out(node))


@converts("hardtanh")
def hardtanh(b, node):
    x = node.input("x")
    b.emit("Clip", [b.name(x), b.scalar(node.attrs["lo"], x.dtype),
                    b.scalar(node.attrs["hi"], x.dtype)], b.out(node))


@converts("gelu")
def gelu(b, node):
    x = node.input("x")
    approx = node.attrs["approximate"]
    if b.opset >= 20:
        b.emit("Gelu", [b.name(x)], b.out(node), approximate=approx)
        return
    xn, dt = b.name(x), x.dtype

    def c(v):
        return b.const(np.array(v, dt))
    if approx == "tanh":
        cube = b.emit("Mul", [b.emit("Mul", [xn, xn]), xn])
        inner = b.emit("Mul", [b.emit("Add", [xn, b.emit("Mul", [cube, c(0.044715)])]),
                               c(math.sqrt(2.0 / math.pi))])
        t = b.emit("Tanh", [inner])
    else:
        t = b.emit("Erf", [b.emit("Div", [xn, c(math.sqrt(2.0))])])
    b.emit("Mul", [b.emit("Mul", [xn, c(0.5)]), b.emit("Add", [t, c(1.0)])], b.out(node))


@converts("softmax")
def softmax(b, node):
    b.emit("Softmax", [b.name(node.input("x"))], b.out(node), axis=int(node.attrs["dim"]))


@converts("log_softmax")
def log_softmax(b, node):
    b.emit("LogSoftmax", [b.name(node.input("x"))], b.out(node), axis=int(node.attrs["dim"]))


# --- normalisation, embedding, pad ---------------------------------------------------------------
@converts("batch_norm")
def batch_norm(b, node):
    a = node.attrs
    if a["training"]:
        raise ExportError("batch_norm in training mode (batch statistics): export a model "
                          "in eval mode (model.eval())")
    x, mean = node.input("x"), node.input("running_mean")
    var = node.input("running_var")
    if mean is None or var is None:
        raise ExportError("batch_norm without running statistics cannot be exported")
    C = mean.shape[0]
    w, bias = node.input("w"), node.input("b")
    wn = b.name(w) if w is not None else b.const(np.ones(C, x.dtype), hint="bn_scale")
    bn = b.name(bias) if bias is not None else b.const(np.zeros(C, x.dtype), hint="bn_bias")
    ins = [b.name(x), wn, bn]
    for v in (mean, var):
        n = b.name(v)
        ins.append(n if v.dtype == x.dtype else b.emit("Cast", [n], to=onnx_dtype(x.dtype)))
    b.emit("BatchNormalization", ins, b.out(node), epsilon=float(a["eps"]))


@converts("layer_norm")
def layer_norm(b, node):
    x = node.input("x")
    nd = int(node.attrs["nd"])
    norm_shape = b.static(x.shape[len(x.shape) - nd:], "layer_norm's normalized shape")
    w, bias = node.input("w"), node.input("b")
    ins = [b.name(x), b.name(w) if w is not None else b.const(np.ones(norm_shape, x.dtype))]
    if bias is not None:
        ins.append(b.name(bias))
    b.emit("LayerNormalization", ins, b.out(node), axis=-nd, epsilon=float(node.attrs["eps"]))


@converts("embedding")
def embedding(b, node):
    b.emit("Gather", [b.name(node.input("w")), b.name(node.input("idx"))], b.out(node), axis=0)


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@converts("pad")
def pad(b, node):
    a = node.attrs
    x = node.input("x")
    mode = _PAD_MODES[a["mode"]]
    if mode == "wrap" and b.opset < 19:
        raise ExportError("pad: mode='circular' needs opset_version 19 or later")
    widths = a["widths"]
    pads = [int(lo) for lo, _ in widths] + [int(hi) for _, hi in widths]
    ins = [b.name(x), b.const(np.array(pads, np.int64))]
    if mode == "constant":
        ins.append(b.const(np.array(a["value"], x.dtype)))
    b.emit("Pad", ins, b.out(node), mode=mode)


# --- losses (a graph that ends in its loss: evaluation, or a training step elsewhere) -------------
@converts("cross_entropy")
def cross_entropy(b, node):
    a = node.attrs
    if a["label_smoothing"]:
        raise ExportError("cross_entropy: label_smoothing has no ONNX SoftmaxCrossEntropyLoss "
                          "attribute")
    x, w = node.input("x"), node.input("weight")
    ins = [b.name(x), b.operand(node, "target", np.int64)]
    if w is not None:
        ins.append(b.name(w))
    b.emit("SoftmaxCrossEntropyLoss", ins, b.out(node), reduction=a["reduction"],
           ignore_index=int(a["ignore_index"]))


@converts("bce_with_logits")
def bce_with_logits(b, node):
    # (1 - t) x + (1 + (pw - 1) t) log(1 + exp(-x)), as the Function computes it
    x = node.input("x")
    dt = node.outputs[0].dtype
    xn, tn = b.name(x), b.operand(node, "t", dt)
    one = b.const(np.array(1, dt))
    sp = b.emit("Softplus", [b.emit("Neg", [xn])])
    lin = b.emit("Mul", [b.emit("Sub", [one, tn]), xn])
    if node.input("pw") is not None:
        pw = b.operand(node, "pw", dt)
        sp = b.emit("Mul", [b.emit("Add", [one, b.emit("Mul", [b.emit("Sub", [pw, one]), tn])]),
                            sp])
    b.emit("Add", [lin, sp], b.out(node))
