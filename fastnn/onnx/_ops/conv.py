"""Conv and ConvTranspose (1-D and 2-D, any strides, dilations, groups, pads).

Conv maps onto F.conv1d / F.conv2d; padding that is not the same on both sides
of a dimension is split into the symmetric part (the kernel pads) and an
explicit F.pad for the rest.

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
    if len(attrs.get("kernel_shape", ())) > 2:
        raise unsupported(node, f"{len(attrs['kernel_shape'])}-D convolution is not supported "
                          "(1-D and 2-D are)")


def _conv_nd(x, w, b, strides, padding, dil, groups):
    nsp = w.ndim - 2
    if nsp == 1:
        return F.conv1d(x, w, b, strides[0], padding[0], dil[0], groups)
    if nsp == 2:
        return F.conv2d(x, w, b, tuple(strides), tuple(padding), tuple(dil), groups)
    raise NotImplementedError(f"ONNX import: {nsp}-D convolution is not supported "
                              "(1-D and 2-D are)")


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
    if nsp > 2:
        raise unsupported(node, f"{nsp}-D ConvTranspose is not supported (1-D and 2-D are)")
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
