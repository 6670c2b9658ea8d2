"""Transposed convolution, reference version: conv_transpose2d and conv_transpose1d.

    y[n, g*Og + o, i*sh - ph + p*dh, j*sw - pw + q*dw] += x[n, g*Cg + c, i, j] * w[g*Cg + c, o, p, q]

every input pixel scatters a weighted copy of the kernel onto the output
(w has PyTorch's layout (C_in, C_out // groups, kH, kW)). Output size per dim:
(H - 1)*s - 2p + d*(k - 1) + output_padding + 1.

This is exactly the input gradient of conv2d with the same w, stride, padding,
dilation and groups, taken at a conv input of the transposed output's shape;
so its input gradient is that conv's forward, and its weight gradient is the
conv's weight gradient with the roles of input and output gradient swapped.
Algorithm here: per group, the column matrix w_g^T @ x_g (K = Og*kH*kW rows,
one column per input pixel), then col2im: every kernel tap scatter-adds its
row of columns onto the strided output positions it reaches.

The fast version is fastnn/backends/native/conv_transpose/__init__.py; both share the
argument checks below.
"""
from collections import namedtuple

import numpy as np

from .._validate import check_array, check_optional_array, int_tuple
from .conv import _columns, _forward, _params

__all__ = ["conv_transpose2d_forward", "conv_transpose2d_backward",
           "conv_transpose1d_forward", "conv_transpose1d_backward"]

# out_hw: the transposed output's (H, W); conv: the ConvParams of the convolution
# it is the input gradient of (input of shape y, output (H', W') >= x's (H, W):
# output_padding >= stride, allowed while it is below dilation, makes that
# convolution's output bigger than x, and the extra rows and columns read zeros).
TransposeParams = namedtuple("TransposeParams", "output_padding out_hw has_bias conv")

_checked = {}
_CHECKED_MAX = 512


def check_conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation,
                           name="conv_transpose2d"):
    """Validate a conv_transpose2d call; return its TransposeParams (shared by every backend)."""
    dtype = check_array("x", x, ndim=4)
    check_array("w", w, ndim=4, dtype=dtype)
    check_optional_array("b", b, ndim=1, dtype=dtype)
    stride = int_tuple("stride", stride, 2, 1)
    padding = int_tuple("padding", padding, 2, 0)
    output_padding = int_tuple("output_padding", output_padding, 2, 0)
    dilation = int_tuple("dilation", dilation, 2, 1)
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"groups: expected an int, got {groups!r}")
    groups = int(groups)
    if groups < 1:
        raise ValueError(f"groups: must be >= 1, got {groups}")
    key = (x.shape, w.shape, b is not None, stride, padding, output_padding, groups, dilation, name)
    tp = _checked.get(key)
    if tp is None:
        tp = _tparams(x.shape, w.shape, b is not None, stride, padding, output_padding, groups,
                      dilation, name)
        if len(_checked) >= _CHECKED_MAX:
            _checked.clear()
        _checked[key] = tp
    return tp


def _tparams(x_shape, w_shape, has_bias, stride, padding, output_padding, groups, dilation, name):
    n, c, h, wd = x_shape
    ci, og, kh, kw = w_shape
    if c % groups:
        raise ValueError(f"groups: input channels C={c} of x are not divisible by groups={groups}")
    if ci != c:
        raise ValueError(f"w: expected shape (C_in={c}, C_out // groups, kH, kW) for x with "
                         f"C_in={c}, got {tuple(w_shape)}")
    if kh < 1 or kw < 1 or og < 1:
        raise ValueError(f"w: kernel size and C_out // groups must be >= 1, got {tuple(w_shape)}")
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= max(s, d):
            raise ValueError(f"output_padding: must be smaller than either stride or dilation, "
                             f"got output_padding={output_padding}, stride={stride}, "
                             f"dilation={dilation}")
    out_hw = tuple((size - 1) * s - 2 * p + d * (k - 1) + op + 1 for size, k, s, p, d, op in
                   zip((h, wd), (kh, kw), stride, padding, dilation, output_padding))
    if min(out_hw) < 1:
        raise ValueError(f"{name}: the output size {out_hw} is not positive (input {(h, wd)}, "
                         f"kernel {(kh, kw)}, stride {stride}, padding {padding})")
    conv = _params((n, og * groups) + out_hw, (ci, og, kh, kw), stride, padding, dilation, groups,
                   False, name)
    return TransposeParams(output_padding, out_hw, has_bias, conv)


def check_conv_transpose1d(x, w, b, stride, padding, output_padding, groups, dilation):
    """Validate a conv_transpose1d call; return the 2-D views and their TransposeParams."""
    dtype = check_array("x", x, ndim=3)
    check_array("w", w, ndim=3, dtype=dtype)
    stride, padding, output_padding, dilation = (
        int_tuple(nm, v, 1, lo)[0] for nm, v, lo in
        (("stride", stride, 1), ("padding", padding, 0), ("output_padding", output_padding, 0),
         ("dilation", dilation, 1)))
    x2, w2 = x[:, :, None, :], w[:, :, None, :]
    return x2, w2, check_conv_transpose2d(x2, w2, b, (1, stride), (0, padding), (0, output_padding),
                                          groups, (1, dilation), name="conv_transpose1d")


def _bad_saved():
    return TypeError("saved: expected the saved tuple returned by conv_transpose2d_forward or "
                     "conv_transpose1d_forward")


def unpack_saved(saved, module=np):
    """(x, w, TransposeParams) of a forward's ``saved``, checked before a kernel reads them."""
    if not isinstance(saved, tuple) or len(saved) != 3:
        raise _bad_saved()
    x, w, tp = saved
    if not isinstance(x, module.ndarray) or not isinstance(w, module.ndarray) \
            or type(tp) is not TransposeParams:
        raise _bad_saved()
    try:
        again = _tparams(x.shape, w.shape, tp.has_bias, tp.conv.stride, tp.conv.padding,
                         tp.output_padding, tp.conv.groups, tp.conv.dilation, "conv_transpose2d")
    except (TypeError, ValueError, AttributeError):
        raise _bad_saved() from None
    if again != tp or x.dtype != w.dtype:
        raise _bad_saved()
    return x, w, tp


def check_grad_output(dy, x, w, tp):
    check_array("dy", dy, ndim=4, dtype=x.dtype)
    want = (x.shape[0], w.shape[1] * tp.conv.groups) + tp.out_hw
    if dy.shape != want:
        raise ValueError(f"dy: expected shape {want} (the forward output), got {tuple(dy.shape)}")


def padded_input(x, tp, module=np):
    """x zero-padded at the bottom/right to the size of the equivalent conv's output."""
    h, wd = tp.conv.out_hw
    if x.shape[2:] == (h, wd):
        return x
    xp = module.zeros(x.shape[:2] + (h, wd), dtype=x.dtype)
    xp[:, :, :x.shape[2], :x.shape[3]] = x
    return xp


def conv_transpose2d_forward(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                             dilation=1):
    tp = check_conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation)
    return _forward_t(x, w, b, tp), (x, w, tp)


def _forward_t(x, w, b, tp):
    n, c, h, wd = x.shape
    ci, og, kh, kw = w.shape
    g = tp.conv.groups
    (sh, sw), (ph, pw), (dh, dw) = tp.conv.stride, tp.conv.padding, tp.conv.dilation
    oh, ow = tp.out_hw
    xg = x.reshape(n, g, c // g, h * wd)
    cols = w.reshape(g, c // g, og * kh * kw).transpose(0, 2, 1) @ xg  # (N, G, Og*kH*kW, H*W)
    cols = cols.reshape(n, g * og, kh, kw, h, wd)
    # Scatter each tap's plane onto the padded output (big enough for every
    # tap, then cropped): output row i*sh - ph + p*dh is padded row i*sh + p*dh.
    yp = np.zeros((n, g * og, max(oh + ph, (h - 1) * sh + (kh - 1) * dh + 1),
                   max(ow + pw, (wd - 1) * sw + (kw - 1) * dw + 1)), dtype=x.dtype)
    for p in range(kh):
        for q in range(kw):
            yp[:, :, p * dh : p * dh + sh * (h - 1) + 1 : sh,
                     q * dw : q * dw + sw * (wd - 1) + 1 : sw] += cols[:, :, p, q]
    y = np.ascontiguousarray(yp[:, :, ph : ph + oh, pw : pw + ow])
    if b is not None:
        y += b[:, None, None]
    return y


def conv_transpose2d_backward(dy, saved):
    x, w, tp = unpack_saved(saved)
    check_grad_output(dy, x, w, tp)
    n, c, h, wd = x.shape
    g = tp.conv.groups
    # input gradient: the convolution of dy with w (the conv this is the gradient of)
    dx = _forward(dy, w, None, tp.conv)[0][:, :, :h, :wd]
    # weight gradient: that convolution's, with x in the role of its output gradient
    cols = _columns(dy, w.shape[2:], tp.conv)                           # (N, G, Og*kH*kW, H'*W')
    xg = padded_input(x, tp).reshape(n, g, c // g, -1)
    dw = (xg @ cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(w.shape)
    db = dy.sum(axis=(0, 2, 3)) if tp.has_bias else None
    return np.ascontiguousarray(dx), dw, db


def conv_transpose1d_forward(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                             dilation=1):
    x2, w2, tp = check_conv_transpose1d(x, w, b, stride, padding, output_padding, groups, dilation)
    return _forward_t(x2, w2, b, tp)[:, :, 0, :], (x2, w2, tp)


def conv_transpose1d_backward(dy, saved):
    check_array("dy", dy, ndim=3, dtype=unpack_saved(saved)[0].dtype)
    dx, dw, db = conv_transpose2d_backward(dy[:, :, None, :], saved)
    return dx[:, :, 0, :], dw[:, :, 0, :], db
