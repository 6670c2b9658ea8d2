"""Convolution, reference version: conv2d and conv1d, forward and backward.

    y[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] *
                    xpad[n, g*Cg + c, i*sh + p*dh, j*sw + q*dw]      (g = o // Og)

Algorithm: im2col + GEMM. The windows of the padded input are a strided view
(sliding_window_view); copied into a (K = Cg*kH*kW, Ho*Wo) matrix per sample
and group, the convolution is one matrix product with the (Og, K) weights.
Backward is the same product transposed, and col2im scatter-adds the column
gradient back onto the input. conv1d is conv2d on a height-1 image.

The fast version is fastnn/backends/native/conv/__init__.py; both share the argument
checks below, so they reject the same input with the same message.
"""
from collections import namedtuple

import numpy as np

from .. import _validate
from .._validate import check_array, check_optional_array, int_tuple

__all__ = ["conv2d_forward", "conv2d_backward", "conv1d_forward", "conv1d_backward"]

# Normalised arguments of one convolution, as both backends store them in `saved`.
ConvParams = namedtuple("ConvParams", "stride padding dilation groups out_hw has_bias")


# Calls already validated, by (shapes, dtypes, arguments): a batch-1 forward
# spent ~15% of its time re-deriving the same ConvParams. Only plain
# ndarrays and plain int arguments take this path (True == 1 and 1.0 == 1 as
# keys, yet both must still be rejected), and never while finite checks scan
# the data.
_checked = {}
_CHECKED_MAX = 512


def _plain(v):
    """An int or a pair of ints, exactly (no bool, float or NumPy scalar)."""
    t = type(v)
    if t is int:
        return True
    return t is tuple and len(v) == 2 and type(v[0]) is int and type(v[1]) is int


def check_conv2d(x, w, b, stride, padding, dilation, groups, name="conv2d"):
    """Validate a conv2d call; return its ConvParams. Shared with the native backend."""
    if (type(x) is np.ndarray and type(w) is np.ndarray and (b is None or type(b) is np.ndarray)
            and _plain(stride) and _plain(padding) and _plain(dilation) and type(groups) is int
            and not _validate._check_finite):
        key = (x.shape, x.dtype, w.shape, w.dtype, None if b is None else (b.shape, b.dtype),
               stride, padding, dilation, groups, name)
        params = _checked.get(key)
        if params is None:
            params = _check_conv2d(x, w, b, stride, padding, dilation, groups, name)
            if len(_checked) >= _CHECKED_MAX:
                _checked.clear()
            _checked[key] = params
        return params
    return _check_conv2d(x, w, b, stride, padding, dilation, groups, name)


def _check_conv2d(x, w, b, stride, padding, dilation, groups, name):
    dtype = check_array("x", x, ndim=4)
    check_array("w", w, ndim=4, dtype=dtype)
    check_optional_array("b", b, ndim=1, dtype=dtype)
    stride = int_tuple("stride", stride, 2, 1)
    padding = int_tuple("padding", padding, 2, 0)
    dilation = int_tuple("dilation", dilation, 2, 1)
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"groups: expected an int, got {groups!r}")
    groups = int(groups)
    if groups < 1:
        raise ValueError(f"groups: must be >= 1, got {groups}")
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(f"b: expected shape ({w.shape[0]},), got {tuple(b.shape)}")
    params = _params(x.shape, w.shape, stride, padding, dilation, groups, b is not None, name)
    if len(_good_saved) >= _CHECKED_MAX:
        _good_saved.clear()
    _good_saved[(x.shape, w.shape, params)] = True  # what the backward may be handed
    return params


def _params(x_shape, w_shape, stride, padding, dilation, groups, has_bias, name):
    """ConvParams from the shapes and the normalised arguments (ValueError on a mismatch)."""
    n, c, h, wd = x_shape
    o, cg, kh, kw = w_shape
    if c % groups:
        raise ValueError(f"groups: input channels C={c} of x are not divisible by groups={groups}")
    if o % groups:
        raise ValueError(f"groups: output channels O={o} of w are not divisible by groups={groups}")
    if cg != c // groups:
        raise ValueError(f"w: expected shape (O, C // groups = {c // groups}, kH, kW) for x with "
                         f"C={c} and groups={groups}, got {tuple(w_shape)}")
    if kh < 1 or kw < 1:
        raise ValueError(f"w: kernel size must be >= 1, got {(kh, kw)}")
    out_hw = []
    for size, k, s, p, d in zip((h, wd), (kh, kw), stride, padding, dilation):
        out = (size + 2 * p - d * (k - 1) - 1) // s + 1
        if out <= 0:
            raise ValueError(f"{name}: kernel size {(kh, kw)} with dilation {dilation} is larger "
                             f"than the padded input size {(h + 2 * padding[0], wd + 2 * padding[1])}")
        out_hw.append(out)
    return ConvParams(stride, padding, dilation, groups, tuple(out_hw), has_bias)


def check_conv1d(x, w, b, stride, padding, dilation, groups):
    """Validate a conv1d call; return the 2-D views (height 1) and the conv2d arguments."""
    dtype = check_array("x", x, ndim=3)
    check_array("w", w, ndim=3, dtype=dtype)
    stride, padding, dilation = (int_tuple(nm, v, 1, lo)[0] for nm, v, lo in
                                 (("stride", stride, 1), ("padding", padding, 0), ("dilation", dilation, 1)))
    return x[:, :, None, :], w[:, :, None, :], (1, stride), (0, padding), (1, dilation)


# (x.shape, w.shape, ConvParams) triples the forward checks produced. The
# backward kernels index x, w and dy with the geometry in `saved`, so a saved
# tuple that was edited or mixed from two calls must be caught before them.
_good_saved = {}


def _bad_saved():
    return TypeError("saved: expected the saved tuple returned by conv2d_forward or conv1d_forward")


def unpack_saved(saved):
    """(x, w, params) from a forward pass's ``saved``, checked before anything reads it."""
    if not isinstance(saved, tuple) or len(saved) != 3:
        raise _bad_saved()
    x, w, params = saved
    if not isinstance(x, np.ndarray) or not isinstance(w, np.ndarray):
        raise _bad_saved()
    check_array("saved x", x, ndim=4)
    check_array("saved w", w, ndim=4, dtype=x.dtype)
    return x, w, params


def check_saved(x_shape, w_shape, params):
    """x_shape, w_shape and params (from `saved`) belong to one valid convolution."""
    if type(params) is not ConvParams:  # a plain tuple compares equal to one
        raise _bad_saved()
    try:
        if (x_shape, w_shape, params) in _good_saved:
            return
    except TypeError:  # unhashable: not what a forward pass saved
        raise _bad_saved() from None
    if (not isinstance(params, ConvParams) or not isinstance(params.has_bias, bool)
            or not isinstance(x_shape, tuple) or not isinstance(w_shape, tuple)
            or len(x_shape) != 4 or len(w_shape) != 4
            or not isinstance(params.groups, int) or isinstance(params.groups, bool)
            or params.groups < 1):
        raise _bad_saved()
    try:
        stride = int_tuple("stride", params.stride, 2, 1)
        padding = int_tuple("padding", params.padding, 2, 0)
        dilation = int_tuple("dilation", params.dilation, 2, 1)
        again = _params(x_shape, w_shape, stride, padding, dilation, params.groups,
                        params.has_bias, "conv2d")
    except (TypeError, ValueError):
        raise _bad_saved() from None
    if again != params:
        raise _bad_saved()
    if len(_good_saved) >= _CHECKED_MAX:
        _good_saved.clear()
    _good_saved[(x_shape, w_shape, params)] = True


def check_grad_output(dy, x_shape, w_shape, params, dtype):
    check_saved(x_shape, w_shape, params)
    check_array("dy", dy, ndim=4, dtype=dtype)
    want = (x_shape[0], w_shape[0]) + params.out_hw
    if dy.shape != want:
        raise ValueError(f"dy: expected shape {want} (the forward output), got {tuple(dy.shape)}")


def _columns(x, kshape, p):
    """im2col: (N, G, K, Ho*Wo) matrix of input windows, K = Cg*kH*kW (a copy)."""
    n, c = x.shape[:2]
    kh, kw = kshape
    (sh, sw), (ph, pw), (dh, dw) = p.stride, p.padding, p.dilation
    ho, wo = p.out_hw
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    win = win[:, :, : sh * (ho - 1) + 1 : sh, : sw * (wo - 1) + 1 : sw, ::dh, ::dw]  # N C Ho Wo kH kW
    cols = win.transpose(0, 1, 4, 5, 2, 3)                                            # N C kH kW Ho Wo
    return cols.reshape(n, p.groups, (c // p.groups) * kh * kw, ho * wo)


def conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return _forward(x, w, b, check_conv2d(x, w, b, stride, padding, dilation, groups))


def _forward(x, w, b, p):
    n, o = x.shape[0], w.shape[0]
    g = p.groups
    cols = _columns(x, w.shape[2:], p)
    y = w.reshape(g, o // g, -1) @ cols                   # (N, G, Og, Ho*Wo)
    y = y.reshape(n, o, *p.out_hw)
    if b is not None:
        y = y + b[:, None, None]
    return y, (x, w, p)


def conv2d_backward(dy, saved):
    x, w, p = unpack_saved(saved)
    check_grad_output(dy, x.shape, w.shape, p, x.dtype)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    g = p.groups
    ho, wo = p.out_hw
    (sh, sw), (ph, pw), (dh, dw) = p.stride, p.padding, p.dilation
    dyg = dy.reshape(n, g, o // g, ho * wo)
    cols = _columns(x, (kh, kw), p)
    db = dy.sum(axis=(0, 2, 3)) if p.has_bias else None
    dw_ = (dyg @ cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(w.shape)
    dcols = w.reshape(g, o // g, -1).transpose(0, 2, 1) @ dyg          # (N, G, K, Ho*Wo)
    dcols = dcols.reshape(n, c, kh, kw, ho, wo)
    # col2im: every kernel tap (i, j) scatters its column back onto the strided
    # input positions it read.
    dxp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i * dh : i * dh + sh * (ho - 1) + 1 : sh,
                      j * dw : j * dw + sw * (wo - 1) + 1 : sw] += dcols[:, :, i, j]
    dx = dxp[:, :, ph : ph + h, pw : pw + wd]
    return np.ascontiguousarray(dx), dw_, db


def conv1d_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    x2, w2, s, pd, d = check_conv1d(x, w, b, stride, padding, dilation, groups)
    y, saved = _forward(x2, w2, b, check_conv2d(x2, w2, b, s, pd, d, groups, name="conv1d"))
    return y[:, :, 0, :], saved


def conv1d_backward(dy, saved):
    check_array("dy", dy, ndim=3, dtype=unpack_saved(saved)[0].dtype)
    dx, dw, db = conv2d_backward(dy[:, :, None, :], saved)
    return dx[:, :, 0, :], dw[:, :, 0, :], db
