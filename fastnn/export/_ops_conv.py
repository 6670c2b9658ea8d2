"""C emitter for conv1d / conv2d: the direct convolution (templates/direct.c,
one specialised copy per layer, with a following ReLU and max pool fused in)
where it applies, im2col + GEMM (templates/conv.c) elsewhere, and int8 both
ways (templates/int8.c)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

import numpy as np

from ._ops_nn import _f, _pair, op
from ._program import ExportError

if TYPE_CHECKING:
    from ._program import Program

# The rule: every groups-1 convolution with parameter weights takes the direct
# loop. Measured against im2col + GEMM (docs/export.md), it was faster at every
# size tried, large images and large weights included, and its scratch (the
# padded image, one block of sums) is far smaller than an im2col matrix.

# A block of CB output channels is two vectors: 8 floats in the plain copy
# with SSE2 (x86-64's baseline) or NEON, 16 in the AVX2 copy or a build with
# AVX (_templates.VARIANTS); the packed weights have a multiple of 16 output
# channels, zeros past COUT, and the scratch fits the largest block.
_CB = 16


def _geometry(p: Program, node: Any) -> Dict[str, Any]:
    x, w, y = node.input("x"), node.input("w"), node.outputs[0]
    xs, ws, ys = p.shape(x), p.shape(w), p.shape(y)
    nd = len(xs) - 2
    if isinstance(node.attrs["padding"], str):
        raise ExportError(f"{node.op}: string padding {node.attrs['padding']!r} is not supported")
    if nd == 1:  # a Conv1d is a Conv2d of height 1
        xs, ws, ys = xs[:2] + (1,) + xs[2:], ws[:2] + (1,) + ws[2:], ys[:2] + (1,) + ys[2:]
        stride = (1,) + _pair(node.attrs["stride"], 1)
        padding = (0,) + _pair(node.attrs["padding"], 1)
        dilation = (1,) + _pair(node.attrs["dilation"], 1)
    elif nd == 2:
        stride, padding, dilation = (_pair(node.attrs[k]) for k in ("stride", "padding", "dilation"))
    else:
        raise ExportError(f"{node.op} on a {len(xs)}-d input is not supported by the C export")
    return dict(xs=xs, ws=ws, ys=ys, stride=stride, padding=padding, dilation=dilation,
                groups=int(node.attrs.get("groups", 1)))


def _direct_ok(p: Program, node: Any) -> bool:
    """The rule: groups 1, weight (and bias) parameters, and for int8 a
    kernel small enough for exact float sums (KH*KW*CIN*127^2 < 2^24)."""
    g = _geometry(p, node)
    cin = g["xs"][1]
    _, _, kh, kw = g["ws"]
    oh, ow = g["ys"][2:]
    w, b = node.input("w"), node.input("b")
    if g["groups"] != 1 or oh * ow == 0 or w.kind != "param" or (b is not None and b.kind != "param"):
        return False
    return not (p.quant and id(node) in p.quant and kh * kw * cin * 127 * 127 >= 1 << 24)


def _readers(nodes: List[Any], graph: Any) -> Dict[int, int]:
    count: Dict[int, int] = {}
    for node in nodes:
        for v in node.inputs:
            count[id(v)] = count.get(id(v), 0) + 1
    for v in graph.outputs:
        count[id(v)] = count.get(id(v), 0) + 2  # an output is never fused away
    return count


def _pool_window(node: Any) -> Optional[int]:
    """k for a max pool with a k x k window, stride k, no padding: else None."""
    a = node.attrs
    k, s = _pair(a["kernel_size"]), _pair(a.get("stride") or a["kernel_size"])
    if (k[0] != k[1] or k != s or _pair(a.get("padding", 0)) != (0, 0)
            or _pair(a.get("dilation", 1)) != (1, 1) or a.get("ceil_mode")):
        return None
    return k[0]


def fuse(p: Program, nodes: List[Any], graph: Any) -> List[Any]:
    """Fold each direct conv2d's ReLU and max pool (window = stride) into it:
    the nodes left to emit; p.fused says what each conv took."""
    readers = _readers(nodes, graph)
    kept: List[Any] = []
    i = 0
    while i < len(nodes):
        node = nodes[i]
        kept.append(node)
        i += 1
        if node.op not in ("conv1d", "conv2d") or not _direct_ok(p, node):
            continue
        relu, pool, out = False, 1, node.outputs[0]
        taken: List[Any] = []
        while i < len(nodes) and readers.get(id(out)) == 1:
            nxt = nodes[i]
            if nxt.op == "relu" and not relu and nxt.inputs[0] is out:
                relu = True
            elif (nxt.op == "max_pool2d" and node.op == "conv2d" and pool == 1
                  and nxt.inputs[0] is out and _pool_window(nxt) is not None
                  and all(readers.get(id(v), 0) == 0 for v in nxt.outputs[1:])):
                pool = _pool_window(nxt) or 1
            else:
                break
            out, taken = nxt.outputs[0], taken + [nxt]
            i += 1
        p.fused[id(node)] = (relu, pool, out, taken)
    return kept


def _direct(p: Program, node: Any, g: Dict[str, Any],
            q: Optional[Tuple[np.ndarray, np.ndarray, float]]) -> None:
    x, w, b = node.input("x"), node.input("w"), node.input("b")
    relu, pool, y, taken = p.fused[id(node)]
    for t in taken:
        p.comment(f"fused: {t}")
    n, cin, h, wd = g["xs"]
    cout, _, kh, kw = g["ws"]
    oh, ow = g["ys"][2:]
    (sh, sw), (ph, pw), (dh, dw) = g["stride"], g["padding"], g["dilation"]
    coutp = -(-cout // _CB) * _CB
    wdata = q[0] if q is not None else p.graph.tensors[w.name].detach().numpy()
    packed = np.zeros((kh, kw, cin, coutp), wdata.dtype)
    packed[..., :cout] = np.asarray(wdata).reshape(cout, cin, kh, kw).transpose(2, 3, 1, 0)
    bias = np.zeros(coutp, np.float32)
    if b is not None:
        bias[:cout] = p.graph.tensors[b.name].detach().numpy()
    sizes = dict(N=n, CIN=cin, H=h, W=wd, COUT=cout, COUTP=coutp, KH=kh, KW=kw, SH=sh, SW=sw,
                 PH=ph, PW=pw, DH=dh, DW=dw, OH=oh, OW=ow, POOL=pool, RELU=int(relu),
                 QUANT=int(q is not None), HP=h + 2 * ph, WP=wd + 2 * pw)
    prefix = p.layer_kernel(["conv_direct_epilogue", "conv_direct"], w.name, sizes)
    xp = p.scratch(sizes["HP"] * sizes["WP"] * cin * 4)
    t = p.scratch(-(-oh * ow // 4) * 4 * _CB)  # whole tiles of 4 pixels
    bname = p.array(w.name.rsplit(".", 1)[0] + ".bias_packed", bias)
    if q is None:
        wname = p.array(w.name + "_packed", packed)
        p.call(prefix + "conv_direct", p.ptr(x), wname, bname, bname, "1.0f", p.out(y), xp, t)
        return
    _, wscale, xscale = q
    scale = np.ones(coutp, np.float32)
    scale[:cout] = np.float32(xscale) * wscale
    wq = p.array(w.name + "_q", packed, "signed char")
    wf = p.scratch(packed.size)
    p.call("widen_int8", wq, wf, packed.size)
    p.call(prefix + "conv_direct", p.ptr(x), wf, bname, p.array(w.name + "_scale", scale),
           _f(1.0 / xscale), p.out(y), xp, t)


@op("conv1d", "conv2d")
def conv(p: Program, node: Any) -> None:
    x, w, b = node.input("x"), node.input("w"), node.input("b")
    y = node.outputs[0]
    g = _geometry(p, node)
    q = p.quant.get(id(node)) if p.quant else None
    if id(node) in p.fused:
        _direct(p, node, g, q)
        return
    n, cin, h, wd = g["xs"]
    cout, cg, kh, kw = g["ws"]
    oh, ow = g["ys"][2:]
    groups = g["groups"]
    geo = [n, cin, h, wd, cout, groups, kh, kw, *g["stride"], *g["padding"], *g["dilation"],
           oh, ow]
    k = cg * kh * kw
    if q is not None:
        wq, wsc, xscale = q
        xq = p.scratch(-(-n * cin * h * wd // 4))
        col = p.scratch(-(-k * oh * ow // 4))
        og = cout // groups
        acc, wf, colf = p.scratch(og * oh * ow), p.scratch(og * k), p.scratch(k * oh * ow)
        a32 = p.scratch(oh * ow)
        p.call("conv2d_int8", p.ptr(x), p.array(w.name + "_q", wq, "signed char"),
               p.array(w.name + "_scale", wsc), p.ptr(b), p.out(y), f"(signed char *)({xq})",
               f"(signed char *)({col})", acc, wf, colf, f"(int32_t *)({a32})", _f(xscale),
               *geo)
        return
    col = p.scratch(k * oh * ow)
    p.call("conv2d", p.ptr(x), p.ptr(w), p.ptr(b), p.out(y), col, *geo)
