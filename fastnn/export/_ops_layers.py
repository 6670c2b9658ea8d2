"""C emitters for the layer ops beyond linear/conv/pool: embedding, layer_norm,
conv_transpose (1d, 2d), attention (scaled dot-product; what
nn.MultiheadAttention and nn.TransformerEncoderLayer trace to), matmul (a
hand-written attention's products) and pad. Kernels in
templates/embedding.c, layernorm.c, conv_transpose.c, attention.c,
matmul.c, pad.c; docs/export.md, "Layers", says what each becomes."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Tuple

import numpy as np

from ._ops_nn import _f, _pair, op
from ._program import ExportError

if TYPE_CHECKING:
    from ._program import Program


def _const(p: Program, v: Any, what: str) -> np.ndarray:
    """The data of a parameter or constant input ``v``; ExportError if it is computed."""
    if v.kind in ("param", "buffer"):
        return np.asarray(p.graph.tensors[v.name].detach().numpy())
    if v.data is not None:
        return np.asarray(v.data)
    raise ExportError(f"{what} computed at run time is not supported by the C export "
                      f"(it must be a parameter or a constant)")


@op("embedding")
def embedding(p: Program, node: Any) -> None:
    # The indices arrive as float values (the C input is float): the kernel
    # checks each is a whole number in range, and the forward returns -2 if not.
    w, idx, y = node.input("w"), node.input("idx"), node.outputs[0]
    rows, dim = p.shape(w)
    p.call("embedding", p.ptr(idx), p.ptr(w), p.out(y), p.size(idx), rows, dim)
    call = p.body[-1].strip().rstrip(";")  # the statement p.call wrote, made a checked one
    p.body[-1] = f"    if ({call} != 0)\n        return -2;  /* an index is not in [0, {rows}) */"


embedding.index_inputs = ("idx",)  # type: ignore[attr-defined]  # read by _export._check_dtype


@op("layer_norm")
def layer_norm(p: Program, node: Any) -> None:
    x, y = node.input("x"), node.outputs[0]
    xs = p.shape(x)
    nd = int(node.attrs["nd"])
    if not 1 <= nd <= len(xs):
        raise ExportError(f"layer_norm: normalizes {nd} dims of a {len(xs)}-d input")
    n = int(np.prod(xs[len(xs) - nd:], dtype=np.int64))
    rows = int(np.prod(xs[:len(xs) - nd], dtype=np.int64))
    p.call("layer_norm", p.ptr(x), p.ptr(node.input("w")), p.ptr(node.input("b")), p.out(y),
           rows, n, _f(node.attrs.get("eps", 1e-5)))


@op("conv_transpose")
def conv_transpose(p: Program, node: Any) -> None:
    x, w, b, y = node.input("x"), node.input("w"), node.input("b"), node.outputs[0]
    a = node.attrs
    nd = int(a.get("nd", 2))
    xs, ws, ys = p.shape(x), p.shape(w), p.shape(y)
    if nd not in (1, 2) or len(xs) != nd + 2:
        raise ExportError(f"conv_transpose on a {len(xs)}-d input is not supported by the C "
                          "export (1d and 2d are)")
    stride, padding, dilation = (_pair(a[k], nd) for k in ("stride", "padding", "dilation"))
    if nd == 1:  # a ConvTranspose1d is a 2d one of height 1
        xs, ws, ys = xs[:2] + (1,) + xs[2:], ws[:2] + (1,) + ws[2:], ys[:2] + (1,) + ys[2:]
        stride, padding, dilation = (1,) + stride, (0,) + padding, (1,) + dilation
    groups = int(a.get("groups", 1))
    n, cin, h, wd = xs
    _, og, kh, kw = ws
    cout, oh, ow = ys[1], ys[2], ys[3]
    # per group, (cin/g, og, kh, kw) -> [og*kh*kw][cin/g]: the GEMM's left operand
    wdata = _const(p, w, "conv_transpose's weight").astype(np.float32)
    wt = wdata.reshape(groups, cin // groups, og * kh * kw).transpose(0, 2, 1)
    wname = p.array(w.name + "_t", np.ascontiguousarray(wt))
    cols = p.scratch(og * kh * kw * h * wd)
    p.call("conv_transpose2d", p.ptr(x), wname, p.ptr(b), p.out(y), cols, n, cin, h, wd, cout,
           groups, kh, kw, *stride, *padding, *dilation, oh, ow)


@op("attention")
def attention(p: Program, node: Any) -> None:
    a = node.attrs
    if node.input("keep") is not None or a.get("keep") is not None:
        raise ExportError("attention with dropout on its weights (training mode) is not "
                          "supported by the C export: export the model in eval mode")
    q, k, v, bias = node.input("q"), node.input("k"), node.input("v"), node.input("bias")
    out, weights = node.outputs[0], node.outputs[1]
    batch, L, E = p.shape(q)
    S, Ev = p.shape(v)[1], p.shape(v)[2]
    scale = a.get("scale")
    scale = 1.0 / np.sqrt(E) if scale is None else float(scale)
    stride = 0
    if bias is not None:
        bb = p.shape(bias)
        if len(bb) != 3 or bb[1:] != (L, S) or bb[0] not in (1, batch):
            raise ExportError(f"attention: bias of shape {bb}, expected (1 or {batch}, {L}, {S})")
        stride = L * S if bb[0] == batch and batch > 1 else 0
    p.call("attention", p.ptr(q), p.ptr(k), p.ptr(v), p.ptr(bias), stride, p.out(weights),
           p.out(out), p.scratch(E * S), batch, L, S, E, Ev, _f(scale), int(bool(a.get("causal"))),
           int(a.get("empty_rows", "zero") == "nan"))


_NP_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad_maps(shape: Tuple[int, ...], widths: List[Tuple[int, int]], mode: str) -> List[np.ndarray]:
    """Per dim, the input position each output position reads (-1: the
    constant), made by padding 0..n-1 the way fastnn's Pad Function pads."""
    maps = []
    for n, (lo, hi) in zip(shape, widths):
        base = np.arange(n, dtype=np.int64)
        if mode == "constant":
            m = np.pad(base, (max(lo, 0), max(hi, 0)), mode="constant", constant_values=-1)
            m = m[(-lo if lo < 0 else 0):(len(m) + hi if hi < 0 else None)]
        else:
            m = np.pad(base, (lo, hi), mode=_NP_MODES[mode])  # type: ignore[call-overload]
        maps.append(m)
    return maps


@op("pad")
def pad(p: Program, node: Any) -> None:
    x, y = node.input("x"), node.outputs[0]
    xs, ys = p.shape(x), p.shape(y)
    mode = node.attrs.get("mode", "constant")
    if mode != "constant" and mode not in _NP_MODES:
        raise ExportError(f"pad: mode {mode!r} is not supported by the C export")
    widths = [(int(lo), int(hi)) for lo, hi in node.attrs["widths"]]
    if len(widths) != len(xs) or not 1 <= len(xs) <= 8:
        raise ExportError(f"pad: {len(widths)} widths for a {len(xs)}-d input (the C export "
                          "pads 1 to 8 dims)")
    maps = pad_maps(xs, widths, mode)
    if tuple(len(m) for m in maps) != ys:
        raise ExportError(f"pad: the padded shape {tuple(len(m) for m in maps)} is not the "
                          f"graph's {ys}")
    strides, acc = [0] * len(xs), 1
    for d in range(len(xs) - 1, -1, -1):
        strides[d] = acc
        acc *= xs[d]
    table = p.array(y.name + "_pad_map", np.concatenate(maps).astype(np.int32), "int")
    p.call("pad_nd", p.ptr(x), p.ints(strides), p.out(y), p.ints(list(ys)), len(ys), table,
           _f(node.attrs.get("value", 0.0)))


@op("matmul")
def matmul(p: Program, node: Any) -> None:
    a, b, y = node.inputs[0], node.inputs[1], node.outputs[0]
    ash, bsh = p.shape(a), p.shape(b)
    if not ash or not bsh:
        raise ExportError("matmul: a 0-d operand")
    # NumPy's rules: a 1-D a is one row, a 1-D b one column; batch dims broadcast
    a2 = ash if len(ash) > 1 else (1,) + ash
    b2 = bsh if len(bsh) > 1 else bsh + (1,)
    m, k, n = a2[-2], a2[-1], b2[-1]
    try:
        batch = np.broadcast_shapes(a2[:-2], b2[:-2])
    except ValueError:
        raise ExportError(f"matmul: batch dims {a2[:-2]} and {b2[:-2]} do not broadcast") from None

    def offsets(lead: Tuple[int, ...], size: int) -> np.ndarray:
        """Where each product's operand starts, over the broadcast batch."""
        first = np.arange(int(np.prod(lead, dtype=np.int64)), dtype=np.int64).reshape(lead)
        return np.broadcast_to(first * size, batch).ravel()
    a_off, b_off = offsets(a2[:-2], m * k), offsets(b2[:-2], k * n)
    if max(int(a_off.max(initial=0)) + m * k, int(b_off.max(initial=0)) + k * n) >= 2 ** 31:
        raise ExportError("matmul: operands of 2^31 floats or more")
    nb = int(np.prod(batch, dtype=np.int64))
    p.call("matmul", p.ptr(a), p.ints(a_off.astype(np.int32)), p.ptr(b),
           p.ints(b_off.astype(np.int32)), p.out(y), nb, m, n, k)
