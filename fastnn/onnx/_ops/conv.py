"""Conv and ConvTranspose (1-D, 2-D and 3-D; any strides, dilations, groups, pads).

Conv maps onto F.conv1d / F.conv2d (3-D: one F.conv2d per kernel depth);
padding that is not the same on both sides of a dimension is split into the
symmetric part (the kernel pads) and an explicit F.pad for the rest.

ConvTranspose is the convolution's input gradient written forward, from
differentiable ops: spread the input out with stride-1 zeros between samples,
pad each side by dilation*(kernel-1) minus the ONNX pads (a negative width
crops), then run a stride-1 convolution with the kernel flipped and its
in/out channels swapped (per group). It stays private to the importer.
"""
from ...nn import functional as F
from ._common import (register, auto_pad_of, auto_pads, spatial_pads, check_auto_pad,
                      unsupported)


def _pad_axes(x, widths, value=0.0):
    """F.pad with (lo, hi) given per axis as {axis: (lo, hi)}."""
    if not any(lo or hi for lo, hi in widths.values()):
        return x
    first = min(widths)
    pad = []
    for ax in range(x.ndim - 1, first - 1, -1):
        pad += list(widths.get(ax, (0, 0)))
    return F.pad(x, pad, value=value)


def _geometry(attrs, w_shape):
    nsp = len(w_shape) - 2
    kernel = [int(k) for k in attrs.get("kernel_shape", w_shape[2:])]
    strides = [int(s) for s in attrs.get("strides", [1] * nsp)]
    dil = [int(d) for d in attrs.get("dilations", [1] * nsp)]
    return nsp, kernel, strides, dil


def _check_conv(attrs, opset, node):
    check_auto_pad(attrs, opset, node)
    if len(attrs.get("kernel_shape", ())) > 3:
        raise unsupported(node, f"{len(attrs['kernel_shape'])}-D convolution is not supported "
                          "(1-D, 2-D and 3-D are)")


def _conv3d(x, w, b, strides, padding, dil, groups):
    """3-D convolution as one 2-D convolution per kernel depth: the depth slices
    a kernel plane meets are folded into the batch, and the planes' outputs summed."""
    x = _pad_axes(x, {2: (padding[0], padding[0])})
    n, c, depth = x.shape[:3]
    kd, sd, dd = w.shape[2], strides[0], dil[0]
    d_out = (depth - dd * (kd - 1) - 1) // sd + 1
    y = None
    for k in range(kd):
        xs = x.narrow(2, k * dd, (d_out - 1) * sd + 1)[:, :, ::sd] if sd > 1 else \
            x.narrow(2, k * dd, d_out)
        xs = xs.permute(0, 2, 1, 3, 4).reshape(n * d_out, c, *xs.shape[3:])
        part = F.conv2d(xs, w[:, :, k], None, tuple(strides[1:]), tuple(padding[1:]),
                        tuple(dil[1:]), groups)
        y = part if y is None else y + part
    y = y.reshape(n, d_out, *y.shape[1:]).permute(0, 2, 1, 3, 4)
    return y if b is None else y + b.reshape(1, -1, 1, 1, 1)


def _conv_nd(x, w, b, strides, padding, dil, groups):
    nsp = w.ndim - 2
    if nsp == 1:
        return F.conv1d(x, w, b, strides[0], padding[0], dil[0], groups)
    if nsp == 2:
        return F.conv2d(x, w, b, tuple(strides), tuple(padding), tuple(dil), groups)
    if nsp == 3:
        return _conv3d(x, w, b, strides, padding, dil, groups)
    raise NotImplementedError(f"ONNX import: {nsp}-D convolution is not supported "
                              "(1-D, 2-D and 3-D are)")


@register("Conv", check=_check_conv)
def _conv(node, inputs, attrs):
    x, w = inputs[0], inputs[1]
    b = inputs[2] if len(inputs) > 2 else None
    nsp, kernel, strides, dil = _geometry(attrs, tuple(w.shape))
    mode = auto_pad_of(attrs)
    if mode == "NOTSET":
        pads = spatial_pads(attrs, nsp)
    else:
        pads = auto_pads(mode, x.shape[2:], kernel, strides, dil)
    sym = [min(lo, hi) for lo, hi in pads]
    x = _pad_axes(x, {2 + i: (lo - s, hi - s) for i, ((lo, hi), s) in enumerate(zip(pads, sym))})
    return _conv_nd(x, w, b, strides, sym, dil, int(attrs.get("group", 1)))


def conv_transpose(x, w, b, strides, dil, groups, pads, out_pad):
    """ONNX ConvTranspose on fastnn ops; w is (C_in, C_out / groups, *kernel)."""
    nsp = w.ndim - 2
    kernel = w.shape[2:]
    for i, s in enumerate(strides):
        if s == 1:
            continue
        ax, n = 2 + i, x.shape[2 + i]
        # (.., n, ..) -> (.., n, s, ..) with zeros after each sample -> (.., n*s, ..)
        x = _pad_axes(x.unsqueeze(ax + 1), {ax + 1: (0, s - 1)})
        shape = list(x.shape)
        x = x.reshape(*shape[:ax], n * s, *shape[ax + 2:])
        x = x.narrow(ax, 0, (n - 1) * s + 1)
    x = _pad_axes(x, {2 + i: (d * (k - 1) - lo, d * (k - 1) - hi + op)
                      for i, (k, d, (lo, hi), op) in enumerate(zip(kernel, dil, pads, out_pad))})
    cin, cout_g = w.shape[0], w.shape[1]
    wt = w.reshape(groups, cin // groups, cout_g, *kernel).transpose(1, 2)
    wt = wt.reshape(groups * cout_g, cin // groups, *kernel).flip(*range(2, 2 + nsp))
    return _conv_nd(x, wt, b, [1] * nsp, [0] * nsp, dil, groups)


@register("ConvTranspose", check=_check_conv)
def _conv_transpose(node, inputs, attrs):
    x, w = inputs[0], inputs[1]
    b = inputs[2] if len(inputs) > 2 else None
    nsp, kernel, strides, dil = _geometry(attrs, tuple(w.shape))
    if nsp > 3:
        raise unsupported(node, f"{nsp}-D ConvTranspose is not supported (1-D, 2-D and 3-D are)")
    out_pad = [int(v) for v in attrs.get("output_padding", [0] * nsp)]
    mode = auto_pad_of(attrs)
    in_sizes = x.shape[2:]
    full = [s * (n - 1) + op + (k - 1) * d + 1
            for n, s, op, k, d in zip(in_sizes, strides, out_pad, kernel, dil)]
    if "output_shape" in attrs or mode in ("SAME_UPPER", "SAME_LOWER"):
        if "output_shape" in attrs:
            target = [int(v) for v in attrs["output_shape"]][-nsp:]
        else:
            target = [n * s for n, s in zip(in_sizes, strides)]
        pads = []
        for f, t in zip(full, target):
            total = f - t
            small, big = total // 2, total - total // 2
            pads.append((small, big) if mode == "SAME_UPPER" else (big, small))
    elif mode == "VALID":
        pads = [(0, 0)] * nsp
    else:
        pads = spatial_pads(attrs, nsp)
    return conv_transpose(x, w, b, strides, dil, int(attrs.get("group", 1)), pads, out_pad)
