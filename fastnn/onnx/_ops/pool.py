"""Pooling and LRN: MaxPool (with its Indices output), AveragePool, the global
pools, LRN. 1-D pools run as 2-D pools over a height of one; 3-D pools (no
kernel of their own) take the max or sum over one strided view per kernel offset.

ONNX pads may differ on the two sides of a dimension and exceed what PyTorch's
pooling kernels accept, so the importer computes each output size itself
(floor, or ceil with PyTorch's rule that a window starting in the right padding
is dropped), pads explicitly to exactly the length those windows cover, and
pools with no padding: max pools pad with -inf, average pools sum the windows
and divide by the per-window count of cells that count (separable per dim).
"""
import itertools
import math

import numpy as np

from ...nn import functional as F
from ...ops import arithmetic as _ar
from ._common import (register, auto_pad_of, auto_pads, spatial_pads, check_auto_pad,
                      unsupported, arr, const, is_float)
from .conv import _pad_axes


def _check_pool(attrs, opset, node):
    check_auto_pad(attrs, opset, node)
    k = attrs.get("kernel_shape")
    if k is None:
        raise unsupported(node, "kernel_shape is required")
    if len(k) > 3:
        raise unsupported(node, f"{len(k)}-D pooling is not supported (1-D, 2-D and 3-D are)")


def _plan(x, attrs):
    """(kernel, strides, dilations, [(pad_begin, pad_end)], out_sizes) of a pool."""
    kernel = [int(k) for k in attrs["kernel_shape"]]
    nsp = len(kernel)
    strides = [int(s) for s in attrs.get("strides", [1] * nsp)]
    dil = [int(d) for d in attrs.get("dilations", [1] * nsp)]
    mode = auto_pad_of(attrs)
    sizes = x.shape[2:]
    pads = spatial_pads(attrs, nsp) if mode == "NOTSET" else auto_pads(mode, sizes, kernel,
                                                                     strides, dil)
    ceil = bool(attrs.get("ceil_mode", 0))
    outs, windows = [], []
    for n, k, s, d, (lo, hi) in zip(sizes, kernel, strides, dil, pads):
        eff = d * (k - 1) + 1
        span = n + lo + hi - eff
        o = (-(-span // s) if ceil else span // s) + 1
        if ceil and (o - 1) * s >= n + lo:
            o -= 1
        outs.append(o)
        windows.append((o - 1) * s + eff)  # the padded length the windows cover
    # the end padding becomes whatever makes the covered length exact (may crop)
    pads = [(lo, w - n - lo) for (lo, _), w, n in zip(pads, windows, sizes)]
    return kernel, strides, dil, pads, outs


def _as2d(x, nsp):
    return x.unsqueeze(2) if nsp == 1 else x


def _windows(xp, kernel, strides, dil, outs):
    """3-D pools (no kernel of their own): one strided view per kernel offset,
    (offset, view) pairs, views of the output's shape."""
    for off in itertools.product(*[range(k) for k in kernel]):
        idx = [slice(None), slice(None)]
        for o, s, d, n in zip(off, strides, dil, outs):
            idx.append(slice(o * d, o * d + (n - 1) * s + 1, s))
        yield off, xp[tuple(idx)]


def _max_pool3d(x, xp, kernel, strides, dil, pads, outs, order, want_indices):
    y = None
    for _, v in _windows(xp, kernel, strides, dil, outs):
        y = v if y is None else _ar.Maximum.apply(y, v)
    if not want_indices:
        return y, None
    vals = np.stack([arr(v) for _, v in _windows(xp, kernel, strides, dil, outs)])
    offs = np.array(list(itertools.product(*[range(k) for k in kernel])))
    best = offs[vals.argmax(0)]                   # (*out, 3) kernel offset per output
    sizes = list(x.shape[2:])
    coords = []
    for i in range(3):
        grid = np.arange(outs[i]).reshape([-1 if j == i else 1 for j in range(3)])
        coords.append(grid * strides[i] + best[..., i] * dil[i] - pads[i][0])
    flat = (coords[2] * sizes[1] + coords[1]) * sizes[0] + coords[0] if order else \
        (coords[0] * sizes[1] + coords[1]) * sizes[2] + coords[2]
    n, c = x.shape[:2]
    base = np.arange(n * c, dtype=np.int64).reshape(n, c, 1, 1, 1) * int(np.prod(sizes))
    return y, const(base + flat.astype(np.int64))


@register("MaxPool", check=_check_pool)
def _max_pool(node, inputs, attrs):
    x = inputs[0]
    kernel, strides, dil, pads, outs = _plan(x, attrs)
    nsp = len(kernel)
    float_in = is_float(x)
    if not float_in:
        x = const(arr(x).astype(np.float64))
    xp = _pad_axes(x, {2 + i: p for i, p in enumerate(pads)}, value=-math.inf)
    if nsp == 3:
        y, idx = _max_pool3d(x, xp, kernel, strides, dil, pads, outs,
                             int(attrs.get("storage_order", 0)), node.n_outputs > 1)
        if not float_in:
            y = const(arr(y).astype(arr(inputs[0]).dtype))
        return y if idx is None else (y, idx)
    k2, s2, d2 = ([1] + kernel, [1] + strides, [1] + dil) if nsp == 1 else (kernel, strides, dil)
    y, idx = F.max_pool2d(_as2d(xp, nsp), tuple(k2), tuple(s2), 0, tuple(d2), False,
                          return_indices=True)
    if nsp == 1:
        y, idx = y.squeeze(2), idx.squeeze(2)
    if not float_in:
        y = const(arr(y).astype(arr(inputs[0]).dtype))
    if node.n_outputs < 2:
        return y
    # plane index in the padded input -> ONNX's flat index into the unpadded tensor
    n, c = x.shape[:2]
    sizes = list(x.shape[2:])
    ip = arr(idx).astype(np.int64)
    base = (np.arange(n * c, dtype=np.int64).reshape(n, c, *([1] * nsp)) * int(np.prod(sizes)))
    if nsp == 1:
        flat = ip - pads[0][0]
    else:
        wp = xp.shape[3]
        h, w = ip // wp - pads[0][0], ip % wp - pads[1][0]
        flat = w * sizes[0] + h if int(attrs.get("storage_order", 0)) else h * sizes[1] + w
    return y, const(base + flat)


def _window_counts(n, lo, o, k, s, d, include_pad, pad_end):
    """How many cells of each window along one dim are counted by the average."""
    lim_lo, lim_hi = (0, n + lo + pad_end) if include_pad else (lo, lo + n)
    starts = np.arange(o)[:, None] * s + np.arange(k)[None, :] * d
    return ((starts >= lim_lo) & (starts < lim_hi)).sum(axis=1)


@register("AveragePool", check=_check_pool)
def _avg_pool(node, inputs, attrs):
    x = inputs[0]
    kernel, strides, dil, pads, outs = _plan(x, attrs)
    nsp = len(kernel)
    include = bool(attrs.get("count_include_pad", 0))
    declared = spatial_pads(attrs, nsp) if auto_pad_of(attrs) == "NOTSET" else \
        auto_pads(auto_pad_of(attrs), x.shape[2:], kernel, strides, dil)
    xp = _pad_axes(x, {2 + i: p for i, p in enumerate(pads)})
    x2 = _as2d(xp, nsp)
    k2, s2, d2 = ([1] + kernel, [1] + strides, [1] + dil) if nsp == 1 else (kernel, strides, dil)
    c = x.shape[1]
    if nsp == 3:
        total = None
        for _, v in _windows(xp, kernel, strides, dil, outs):
            total = v if total is None else total + v
    elif all(d == 1 for d in d2):
        total = F.avg_pool2d(x2, tuple(k2), tuple(s2), 0) * float(np.prod(k2))
    else:
        ones = const(np.ones((c, 1) + tuple(k2), dtype=arr(x).dtype))
        total = F.conv2d(x2, ones, None, tuple(s2), 0, tuple(d2), c)
    if nsp == 1:
        total = total.squeeze(2)
    counts = np.ones((), dtype=np.float64)
    for i, (n, (lo, _), o, k, s, d) in enumerate(zip(x.shape[2:], pads, outs, kernel, strides,
                                                      dil)):
        ci = _window_counts(n, lo, o, k, s, d, include, declared[i][1])
        counts = counts[..., None] * ci if i else ci.astype(np.float64)
    inv = (1.0 / np.maximum(counts, 1)).astype(arr(x).dtype)
    return total * const(inv)


@register("GlobalAveragePool")
def _global_avg(node, inputs, attrs):
    x = inputs[0]
    return x.mean(tuple(range(2, x.ndim)), keepdim=True)


@register("GlobalMaxPool")
def _global_max(node, inputs, attrs):
    x = inputs[0]
    return x.amax(tuple(range(2, x.ndim)), keepdim=True)


@register("LRN")
def _lrn(node, inputs, attrs):
    x = inputs[0]
    size = int(attrs["size"])
    alpha, beta = float(attrs.get("alpha", 1e-4)), float(attrs.get("beta", 0.75))
    bias = float(attrs.get("bias", 1.0))
    lo, hi = (size - 1) // 2, size - 1 - (size - 1) // 2
    sq = _pad_axes(x * x, {1: (lo, hi)})
    c = x.shape[1]
    acc = sq.narrow(1, 0, c)
    for j in range(1, size):
        acc = acc + sq.narrow(1, j, c)
    return x / (acc * (alpha / size) + bias) ** beta
