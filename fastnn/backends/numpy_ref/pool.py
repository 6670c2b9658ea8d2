"""2-D pooling, reference implementation (NumPy).

max_pool2d, avg_pool2d and adaptive_avg_pool2d with exactly the semantics of
PyTorch's F.max_pool2d(return_indices=True) / F.avg_pool2d /
F.adaptive_avg_pool2d on NCHW arrays. The forward passes loop over the kh*kw
kernel offsets, each one a strided slice of the padded input; the backward
passes scatter with np.add.at. The native twin is fastnn/backends/native/pool/__init__.py.

The ``validate_*`` functions are shared with the native module, so both
backends reject the same input with the same message.
"""
import numpy as np

from .. import _validate
from .._validate import INT_MAX, check_array, int_tuple

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
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
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
        elif v > INT_MAX:
            raise ValueError(f"output_size: every value must be <= {INT_MAX}, got {output_size!r}")
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


# The backward kernels trust the geometry in `saved` (the native ones index
# with it without bounds checks), so a tuple that was edited, or built for
# another input, is checked to be one the forward pass could have returned.

def _bad_saved(kind):
    return TypeError(f"saved: expected the saved tuple returned by {kind}_forward")


def _saved_pair(value, kind, minimum):
    try:
        return int_tuple("saved", value, 2, minimum)
    except (TypeError, ValueError):
        raise _bad_saved(kind) from None


def _saved_shape(shape, kind):
    if not isinstance(shape, tuple) or len(shape) != 4 or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
            and 0 <= v <= INT_MAX for v in shape):
        raise _bad_saved(kind)
    shape = tuple(int(v) for v in shape)
    if min(shape[1:]) < 1:
        raise _bad_saved(kind)
    return shape


def validate_max_saved(dy, saved):
    """max_pool2d_backward's inputs; returns (idx, input shape, (k, s, p, d))."""
    kind = "max_pool2d"
    validate_saved(saved, kind)
    if len(saved) != 4:
        raise _bad_saved(kind)
    idx, shape, geo = saved[0], _saved_shape(saved[1], kind), saved[2]
    if not isinstance(idx, np.ndarray) or idx.dtype != np.int64 or idx.ndim != 4:
        raise TypeError("saved: saved[0] must be the int64 index array from max_pool2d_forward")
    if not isinstance(geo, tuple) or len(geo) != 5 or not isinstance(geo[4], (bool, np.bool_)):
        raise _bad_saved(kind)
    k, s, p, d = (_saved_pair(v, kind, lo) for v, lo in zip(geo[:4], (1, 1, 0, 1)))
    out = tuple(_out_size(shape[2 + a], k[a], s[a], p[a], d[a], bool(geo[4])) for a in (0, 1))
    if idx.shape != shape[:2] + out:
        raise _bad_saved(kind)
    validate_grad("dy", dy, idx.shape, None)
    return idx, shape, (k, s, p, d)


def validate_avg_saved(dy, saved):
    """avg_pool2d_backward's inputs; returns (shape, k, s, p, (OH, OW), count_include_pad, divisor)."""
    kind = "avg_pool2d"
    validate_saved(saved, kind)
    if len(saved) != 8:
        raise _bad_saved(kind)
    shape = _saved_shape(saved[0], kind)
    k, s, p = (_saved_pair(v, kind, lo) for v, lo in zip(saved[1:4], (1, 1, 0)))
    out = _saved_pair(saved[4], kind, 1)
    cip, divisor = saved[5], saved[6]
    if p[0] > k[0] // 2 or p[1] > k[1] // 2 or not isinstance(cip, (bool, np.bool_)):
        raise _bad_saved(kind)
    if divisor is not None and (isinstance(divisor, (bool, np.bool_)) or not isinstance(
            divisor, (int, np.integer)) or divisor == 0):
        raise _bad_saved(kind)
    # ceil_mode is not saved: the output size is one of its two possible values
    if not all(out[a] in (_out_size(shape[2 + a], k[a], s[a], p[a], 1, False),
                          _out_size(shape[2 + a], k[a], s[a], p[a], 1, True)) for a in (0, 1)):
        raise _bad_saved(kind)
    validate_grad("dy", dy, shape[:2] + out, None)
    return shape, k, s, p, out, bool(cip), None if divisor is None else int(divisor)


def validate_adaptive_saved(dy, saved):
    """adaptive_avg_pool2d_backward's inputs; returns (input shape, (OH, OW))."""
    kind = "adaptive_avg_pool2d"
    validate_saved(saved, kind)
    if len(saved) != 3:
        raise _bad_saved(kind)
    shape = _saved_shape(saved[0], kind)
    out = _saved_pair(saved[1], kind, 1)
    validate_grad("dy", dy, shape[:2] + out, None)
    return shape, out


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
    idx, xshape, _ = validate_max_saved(dy, saved)
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
    (N, C, H, W), k, s, p, (OH, OW), cip, divisor = validate_avg_saved(dy, saved)
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
    (N, C, H, W), (OH, OW) = validate_adaptive_saved(dy, saved)
    hs, he = adaptive_bins(H, OH)
    ws, we = adaptive_bins(W, OW)
    dx = np.zeros((N, C, H, W), dtype=dy.dtype)
    for oh in range(OH):
        for ow in range(OW):
            area = (he[oh] - hs[oh]) * (we[ow] - ws[ow])
            dx[:, :, hs[oh]:he[oh], ws[ow]:we[ow]] += dy[:, :, oh, ow, None, None] / area
    return dx
