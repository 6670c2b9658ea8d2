"""2-D pooling, reference implementation (NumPy).

max_pool2d, avg_pool2d and adaptive_avg_pool2d with exactly the semantics of
PyTorch's F.max_pool2d(return_indices=True) / F.avg_pool2d /
F.adaptive_avg_pool2d on NCHW arrays. The forward passes loop over the kh*kw
kernel offsets, each one a strided slice of the padded input; the backward
passes scatter with np.add.at. The native twin is fastnn/backends/native/pool.py.

The ``validate_*`` functions are shared with the native module, so both
backends reject the same input with the same message.
"""
import numpy as np

from .. import _validate
from .._validate import check_array, int_tuple

__all__ = [
    "max_pool2d_forward", "max_pool2d_backward",
    "avg_pool2d_forward", "avg_pool2d_backward",
    "adaptive_avg_pool2d_forward", "adaptive_avg_pool2d_backward",
]


# ----------------------------------------------------------------------------
# validation (shared with the native backend)

def _out_size(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling_output_shape (floor division, ceil-mode correction)."""
    eff = d * (k - 1) + 1
    num = size + 2 * p - eff + ((s - 1) if ceil_mode else 0)
    out = num // s + 1  # Python // floors, like PyTorch's div_rtn
    if ceil_mode and (out - 1) * s >= size + p:
        # the last window must start inside the input or the left padding
        out -= 1
    return out


def _check_input(name, x):
    check_array(name, x, ndim=4)
    if x.shape[1] == 0 or x.shape[2] == 0 or x.shape[3] == 0:
        raise ValueError(f"{name}: expected non-zero C, H and W (only the batch may be empty), "
                         f"got shape {tuple(x.shape)}")


# Calls already validated, by (shape, dtype, arguments): the checks cost about
# as much as a small pooling kernel. Only plain ndarrays and plain int / bool
# arguments take this path (True == 1 as keys, yet must still be rejected),
# and never while finite checks scan the data.
_checked = {}
_CHECKED_MAX = 512


def _plain(v):
    """An int or a pair of ints, exactly (no bool, float or NumPy scalar)."""
    t = type(v)
    if t is int:
        return True
    return t is tuple and len(v) == 2 and type(v[0]) is int and type(v[1]) is int


def validate_pool_args(fname, x, kernel_size, stride, padding, dilation, ceil_mode):
    """Check a pooling call; returns (k, s, p, d, (OH, OW)) as int pairs."""
    if (type(x) is np.ndarray and _plain(kernel_size) and (stride is None or _plain(stride))
            and _plain(padding) and _plain(dilation) and type(ceil_mode) is bool
            and not _validate._check_finite):
        key = (fname, x.shape, x.dtype, kernel_size, stride, padding, dilation, ceil_mode)
        out = _checked.get(key)
        if out is None:
            out = _validate_pool_args(fname, x, kernel_size, stride, padding, dilation, ceil_mode)
            if len(_checked) >= _CHECKED_MAX:
                _checked.clear()
            _checked[key] = out
        return out
    return _validate_pool_args(fname, x, kernel_size, stride, padding, dilation, ceil_mode)


def _validate_pool_args(fname, x, kernel_size, stride, padding, dilation, ceil_mode):
    _check_input("x", x)
    k = int_tuple("kernel_size", kernel_size, 2, 1)
    if stride is None or (not isinstance(stride, (int, np.integer)) and len(stride) == 0):
        s = k  # PyTorch: stride defaults to kernel_size
    else:
        s = int_tuple("stride", stride, 2, 1)
    p = int_tuple("padding", padding, 2, 0)
    d = int_tuple("dilation", dilation, 2, 1)
    if not isinstance(ceil_mode, (bool, np.bool_)):
        raise TypeError(f"ceil_mode: expected a bool, got {ceil_mode!r}")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"padding: must be at most half of kernel_size, got padding={p}, "
                         f"kernel_size={k}")
    H, W = x.shape[2], x.shape[3]
    oh = _out_size(H, k[0], s[0], p[0], d[0], bool(ceil_mode))
    ow = _out_size(W, k[1], s[1], p[1], d[1], bool(ceil_mode))
    if oh < 1 or ow < 1:
        raise ValueError(f"kernel_size: {fname} window (kernel_size={k}, dilation={d}) is larger "
                         f"than the padded input {(H + 2 * p[0], W + 2 * p[1])}; "
                         f"output size would be {(oh, ow)}")
    return k, s, p, d, (oh, ow)


def validate_divisor(divisor_override):
    if divisor_override is None:
        return None
    if isinstance(divisor_override, bool) or not isinstance(divisor_override, (int, np.integer)):
        raise TypeError(f"divisor_override: expected an int or None, got {divisor_override!r}")
    if divisor_override == 0:
        raise ValueError("divisor_override: must be non-zero")
    return int(divisor_override)


def validate_output_size(x, output_size):
    """Normalise adaptive pooling's output_size (int, pair, None entries keep the input size)."""
    _check_input("x", x)
    H, W = x.shape[2], x.shape[3]
    if output_size is None:
        return H, W
    if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
        output_size = (output_size, output_size)
    try:
        vals = tuple(output_size)
    except TypeError:
        raise TypeError(f"output_size: expected an int or a pair, got {output_size!r}") from None
    if len(vals) != 2:
        raise ValueError(f"output_size: expected an int or a pair, got {output_size!r}")
    out = []
    for v, full in zip(vals, (H, W)):
        if v is None:
            out.append(full)
        elif isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"output_size: expected ints or None, got {output_size!r}")
        elif v < 1:
            raise ValueError(f"output_size: every value must be >= 1, got {output_size!r}")
        else:
            out.append(int(v))
    return tuple(out)


def validate_grad(name, dy, expected_shape, dtype):
    check_array(name, dy, ndim=4, dtype=dtype)
    if tuple(dy.shape) != tuple(expected_shape):
        raise ValueError(f"{name}: expected shape {tuple(expected_shape)}, got {tuple(dy.shape)}")


def validate_saved(saved, kind):
    if not isinstance(saved, tuple) or len(saved) < 2 or saved[-1] != kind:
        raise TypeError(f"saved: expected the saved tuple returned by {kind}_forward")


# ----------------------------------------------------------------------------
# helpers

def _window_starts(out, s, p):
    return np.arange(out) * s - p


# ----------------------------------------------------------------------------
# max pool

def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """y = max over each window; saved[0] = flat argmax indices into each H*W plane."""
    k, s, p, d, (OH, OW) = validate_pool_args("max_pool2d", x, kernel_size, stride, padding,
                                              dilation, ceil_mode)
    N, C, H, W = x.shape
    # pad generously with -inf so every kernel offset is one strided slice
    hi_h = max(0, (OH - 1) * s[0] - p[0] + d[0] * (k[0] - 1) + 1 - H)
    hi_w = max(0, (OW - 1) * s[1] - p[1] + d[1] * (k[1] - 1) + 1 - W)
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], hi_h), (p[1], hi_w)), constant_values=-np.inf)
    hs = _window_starts(OH, s[0], p[0])
    ws = _window_starts(OW, s[1], p[1])
    # PyTorch's initial index: the first in-bounds row/column of the window
    h0 = np.where(hs < 0, hs + (-hs + d[0] - 1) // d[0] * d[0], hs)
    w0 = np.where(ws < 0, ws + (-ws + d[1] - 1) // d[1] * d[1], ws)
    best = np.full((N, C, OH, OW), -np.inf, dtype=x.dtype)
    idx = np.broadcast_to((h0[:, None] * W + w0[None, :]).astype(np.int64), best.shape).copy()
    for i in range(k[0]):
        for j in range(k[1]):
            r0, c0 = p[0] + hs[0] + i * d[0], p[1] + ws[0] + j * d[1]
            v = xp[:, :, r0:r0 + (OH - 1) * s[0] + 1:s[0], c0:c0 + (OW - 1) * s[1] + 1:s[1]]
            take = (v > best) | np.isnan(v)  # NaN wins, as in PyTorch
            best = np.where(take, v, best)
            pos = (hs[:, None] + i * d[0]) * W + (ws[None, :] + j * d[1])
            idx = np.where(take, pos, idx)
    return best.astype(x.dtype, copy=False), (idx, tuple(x.shape), (k, s, p, d, bool(ceil_mode)),
                                              "max_pool2d")


def max_pool2d_backward(dy, saved):
    """Scatter-add dy to the argmax of each window (overlapping windows accumulate)."""
    validate_saved(saved, "max_pool2d")
    idx, xshape = saved[0], saved[1]
    validate_grad("dy", dy, idx.shape, None)
    N, C, H, W = xshape
    dx = np.zeros((N * C, H * W), dtype=dy.dtype)
    flat_idx = idx.reshape(N * C, idx.shape[2] * idx.shape[3])
    rows = np.broadcast_to(np.arange(N * C)[:, None], flat_idx.shape)
    ok = (flat_idx >= 0) & (flat_idx < H * W)  # windows wholly in padding own no input
    np.add.at(dx, (rows[ok], flat_idx[ok]), dy.reshape(flat_idx.shape)[ok])
    return dx.reshape(xshape)


# ----------------------------------------------------------------------------
# average pool

def _avg_geometry(H, W, k, s, p, OH, OW, count_include_pad, divisor):
    """Per-output clipped window bounds and divisors, as PyTorch computes them."""
    def axis(size, k, s, p, out):
        a0 = np.arange(out) * s - p
        a1 = np.minimum(a0 + k, size + p)
        span = a1 - a0  # window size counting padding (but not past it)
        return np.maximum(a0, 0), np.minimum(a1, size), span
    h0, h1, hspan = axis(H, k[0], s[0], p[0], OH)
    w0, w1, wspan = axis(W, k[1], s[1], p[1], OW)
    if divisor is not None:
        div = np.full((OH, OW), float(divisor))
    elif count_include_pad:
        div = (hspan[:, None] * wspan[None, :]).astype(float)
    else:
        div = ((h1 - h0)[:, None] * (w1 - w0)[None, :]).astype(float)
    return h0, h1, w0, w1, div


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                       count_include_pad=True, divisor_override=None):
    """y = sum over each window / divisor (window size, with or without padding, or override)."""
    k, s, p, _, (OH, OW) = validate_pool_args("avg_pool2d", x, kernel_size, stride, padding, 1,
                                              ceil_mode)
    if not isinstance(count_include_pad, (bool, np.bool_)):
        raise TypeError(f"count_include_pad: expected a bool, got {count_include_pad!r}")
    divisor = validate_divisor(divisor_override)
    N, C, H, W = x.shape
    h0, h1, w0, w1, div = _avg_geometry(H, W, k, s, p, OH, OW, bool(count_include_pad), divisor)
    # a summed-area table turns every window sum into four lookups
    sat = np.zeros((N, C, H + 1, W + 1), dtype=np.float64)
    sat[:, :, 1:, 1:] = x.cumsum(axis=2, dtype=np.float64).cumsum(axis=3)
    tot = (sat[:, :, h1][:, :, :, w1] - sat[:, :, h0][:, :, :, w1]
           - sat[:, :, h1][:, :, :, w0] + sat[:, :, h0][:, :, :, w0])
    empty = (h0 >= h1)[:, None] | (w0 >= w1)[None, :]
    y = np.where(empty, 0.0, tot / div).astype(x.dtype)
    return y, ((N, C, H, W), k, s, p, (OH, OW), bool(count_include_pad), divisor, "avg_pool2d")


def avg_pool2d_backward(dy, saved):
    """Spread dy / divisor uniformly over each (clipped) window."""
    validate_saved(saved, "avg_pool2d")
    (N, C, H, W), k, s, p, (OH, OW), cip, divisor = saved[:7]
    validate_grad("dy", dy, (N, C, OH, OW), None)
    h0, h1, w0, w1, div = _avg_geometry(H, W, k, s, p, OH, OW, cip, divisor)
    g = dy / div
    dx = np.zeros((N, C, H, W), dtype=np.float64)
    for oh in range(OH):
        for ow in range(OW):
            dx[:, :, h0[oh]:h1[oh], w0[ow]:w1[ow]] += g[:, :, oh, ow, None, None]
    return dx.astype(dy.dtype)


# ----------------------------------------------------------------------------
# adaptive average pool

def adaptive_bins(size, out):
    """PyTorch's bins: start = floor(i*size/out), end = ceil((i+1)*size/out)."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def adaptive_avg_pool2d_forward(x, output_size):
    OH, OW = validate_output_size(x, output_size)
    N, C, H, W = x.shape
    hs, he = adaptive_bins(H, OH)
    ws, we = adaptive_bins(W, OW)
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    for oh in range(OH):
        for ow in range(OW):
            y[:, :, oh, ow] = x[:, :, hs[oh]:he[oh], ws[ow]:we[ow]].mean(axis=(2, 3))
    return y, ((N, C, H, W), (OH, OW), "adaptive_avg_pool2d")


def adaptive_avg_pool2d_backward(dy, saved):
    validate_saved(saved, "adaptive_avg_pool2d")
    (N, C, H, W), (OH, OW) = saved[:2]
    validate_grad("dy", dy, (N, C, OH, OW), None)
    hs, he = adaptive_bins(H, OH)
    ws, we = adaptive_bins(W, OW)
    dx = np.zeros((N, C, H, W), dtype=dy.dtype)
    for oh in range(OH):
        for ow in range(OW):
            area = (he[oh] - hs[oh]) * (we[ow] - ws[ow])
            dx[:, :, hs[oh]:he[oh], ws[ow]:we[ow]] += dy[:, :, oh, ow, None, None] / area
    return dx
