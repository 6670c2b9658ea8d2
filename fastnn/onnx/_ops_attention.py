"""ONNX converters for transposed convolution and scaled dot-product attention
(fastnn/ops/conv_transpose.py, fastnn/ops/attention.py).

ConvTranspose maps one to one: ONNX stores the weight as (C_in, C_out/groups, k...)
just as PyTorch does. Attention has no ONNX operator before opset 23, so it is
written out as MatMul, Mul, Add, Softmax, MatMul -- the composition PyTorch's
exporter emits too.
"""
import numpy as np

from ._builder import ExportError, converts, tup


@converts("conv_transpose")
def conv_transpose(b, node):
    a = node.attrs
    nd = int(a.get("nd", 2))
    w, bias = node.input("w"), node.input("b")
    ins = [b.name(node.input("x")), b.name(w)] + ([b.name(bias)] if bias is not None else [])
    pad = tup(a["padding"], nd)
    b.emit("ConvTranspose", ins, b.out(node), kernel_shape=[int(k) for k in w.shape[2:]],
           strides=list(tup(a["stride"], nd)), pads=list(pad + pad),
           output_padding=list(tup(a["output_padding"], nd)),
           dilations=list(tup(a["dilation"], nd)), group=int(a["groups"]))


@converts("attention")
def attention(b, node):
    a = node.attrs
    if node.input("keep") is not None or a.get("keep") is not None:
        raise ExportError("attention: dropout on the attention weights (training mode) has no "
                          "ONNX export; export the model in eval mode")
    q, k, v, bias = node.input("q"), node.input("k"), node.input("v"), node.input("bias")
    dtype = q.dtype
    e = b.static(q.shape[2:], "attention (the embedding size)")[0]
    scale = a.get("scale")
    scale = (1.0 / np.sqrt(e) if e else 1.0) if scale is None else float(scale)
    kt = b.emit("Transpose", [b.name(k)], perm=[0, 2, 1])
    s = b.emit("Mul", [b.emit("MatMul", [b.name(q), kt]), b.const(np.array(scale, dtype))])
    if bias is not None:
        s = b.emit("Add", [s, b.name(bias)])
    if a.get("causal"):
        L, S = b.static((q.shape[1], k.shape[1]), "attention with causal=True (the lengths)")
        mask = np.where(np.triu(np.ones((L, S), bool), 1), -np.inf, 0).astype(dtype)
        s = b.emit("Add", [s, b.const(mask, hint="causal_mask")])
    masked = bias is not None or a.get("causal")
    if masked and a.get("empty_rows", "zero") == "zero":
        # a row blocked everywhere is all -inf: Softmax gives NaN there, fastnn gives 0
        p = b.emit("Softmax", [s], axis=-1)
        top = b.emit("ReduceMax", [s], axes=[-1], keepdims=1) if b.opset < 18 else \
            b.emit("ReduceMax", [s, b.ints([-1])], keepdims=1)
        empty = b.emit("Equal", [top, b.const(np.array(-np.inf, dtype))])
        p = b.emit("Where", [empty, b.const(np.array(0, dtype)), p], b.out(node, 1))
    else:
        p = b.emit("Softmax", [s], b.out(node, 1), axis=-1)
    b.emit("MatMul", [p, b.name(v)], b.out(node, 0))
