"""Checks of the transposed-convolution family and its saved context, ConvTransposeSaved.

A transposed convolution is the input gradient of a convolution, so its
normalised arguments hold that convolution's ConvParams (``conv``) beside
its own output size.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from . import Memo, check_array, check_optional_array, int_pair, int_tuple
from .conv import ConvParams, check_groups, conv_params

__all__ = ["ConvTransposeSaved", "TransposeParams", "check_conv_transpose1d",
           "check_conv_transpose2d", "check_conv_transpose_backward"]


class TransposeParams(NamedTuple):
    """A transposed convolution's normalised arguments.

    ``out_hw`` is its output's (H, W); ``conv`` the ConvParams of the
    convolution it is the input gradient of (input of y's shape, output
    (H', W') >= x's (H, W): output_padding >= stride, allowed while it is
    below dilation, makes that output bigger than x, and the extra rows and
    columns read zeros).
    """

    output_padding: tuple[int, int]
    out_hw: tuple[int, int]
    has_bias: bool
    conv: ConvParams


@dataclass(eq=False)
class ConvTransposeSaved:
    """What conv_transpose2d_forward / conv_transpose1d_forward keep for the backward.

    ``x`` and ``w`` as 4-D arrays (1-D calls: height-1 views) and their TransposeParams.
    """

    __slots__ = ("x", "w", "params")
    x: Any
    w: Any
    params: TransposeParams


def transpose_params(x_shape: tuple[int, ...], w_shape: tuple[int, ...], has_bias: bool,
                     stride: tuple[int, int], padding: tuple[int, int],
                     output_padding: tuple[int, int], groups: int, dilation: tuple[int, int],
                     name: str = "conv_transpose2d") -> TransposeParams:
    """TransposeParams from the shapes and the normalised arguments (ValueError on a mismatch)."""
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
    oh, ow = ((size - 1) * s - 2 * p + d * (k - 1) + op + 1 for size, k, s, p, d, op in
              zip((h, wd), (kh, kw), stride, padding, dilation, output_padding))
    if min(oh, ow) < 1:
        raise ValueError(f"{name}: the output size {(oh, ow)} is not positive (input {(h, wd)}, "
                         f"kernel {(kh, kw)}, stride {stride}, padding {padding})")
    conv = conv_params((n, og * groups, oh, ow), (ci, og, kh, kw), stride, padding, dilation,
                       groups, False, name)
    return TransposeParams(output_padding, (oh, ow), has_bias, conv)


_memo = Memo()


def check_conv_transpose2d(x: Any, w: Any, b: Any, stride: Any, padding: Any,
                           output_padding: Any, groups: Any, dilation: Any,
                           name: str = "conv_transpose2d") -> TransposeParams:
    """Check a conv_transpose2d call (x (N, C_in, H, W), w (C_in, C_out // groups, kH, kW));
    returns its TransposeParams."""
    dtype = check_array("x", x, ndim=4)
    check_array("w", w, ndim=4, dtype=dtype)
    check_optional_array("b", b, ndim=1, dtype=dtype)
    s = int_pair("stride", stride, 1)
    p = int_pair("padding", padding, 0)
    op = int_pair("output_padding", output_padding, 0)
    d = int_pair("dilation", dilation, 1)
    g = check_groups(groups)
    key = (tuple(x.shape), tuple(w.shape), b is not None, s, p, op, g, d, name)
    return _memo.get(key, lambda: transpose_params(*key))  # type: ignore[arg-type]


def check_conv_transpose1d(x: Any, w: Any, b: Any, stride: Any, padding: Any,
                           output_padding: Any, groups: Any,
                           dilation: Any) -> tuple[Any, Any, TransposeParams]:
    """Check a conv_transpose1d call; returns the height-1 4-D views of x and w and their
    TransposeParams."""
    dtype = check_array("x", x, ndim=3)
    check_array("w", w, ndim=3, dtype=dtype)
    s, p, op, d = (int_tuple(nm, v, 1, lo)[0] for nm, v, lo in
                   (("stride", stride, 1), ("padding", padding, 0),
                    ("output_padding", output_padding, 0), ("dilation", dilation, 1)))
    x2, w2 = x[:, :, None, :], w[:, :, None, :]
    return x2, w2, check_conv_transpose2d(x2, w2, b, (1, s), (0, p), (0, op), groups, (1, d),
                                          name="conv_transpose1d")


def _bad_saved() -> TypeError:
    return TypeError("saved: expected the ConvTransposeSaved returned by conv_transpose2d_forward "
                     "or conv_transpose1d_forward")


def check_conv_transpose_backward(dy: Any, saved: Any, array_type: Any = np.ndarray,
                                  ndim: int = 4) -> tuple[Any, Any, TransposeParams]:
    """Check a transposed-conv backward call; returns saved's (x, w, params).

    As check_conv_backward: ``saved`` is a ConvTransposeSaved of
    ``array_type`` arrays whose params are re-derived from their shapes, and
    ``dy`` (``ndim``-D) has the forward output's shape and x's dtype.
    """
    if not isinstance(saved, ConvTransposeSaved):
        raise _bad_saved()
    x, w, tp = saved.x, saved.w, saved.params
    if (not isinstance(x, array_type) or not isinstance(w, array_type)
            or type(tp) is not TransposeParams or type(tp.conv) is not ConvParams):
        raise _bad_saved()
    check_array("saved.x", x, ndim=4)
    check_array("saved.w", w, ndim=4, dtype=x.dtype)
    try:
        again = transpose_params(
            tuple(x.shape), tuple(w.shape), tp.has_bias, int_pair("", tp.conv.stride, 1),
            int_pair("", tp.conv.padding, 0), int_pair("", tp.output_padding, 0),
            check_groups(tp.conv.groups), int_pair("", tp.conv.dilation, 1))
    except (TypeError, ValueError):
        raise _bad_saved() from None
    if (again != tp or type(tp.has_bias) is not bool or type(tp.conv.has_bias) is not bool
            or not all(type(v) is int for v in tp.out_hw + tp.conv.out_hw)):
        raise _bad_saved()  # equal, yet True or 5.0 where an int belongs
    check_array("dy", dy, ndim=ndim, dtype=x.dtype)
    want = (x.shape[0], w.shape[1] * tp.conv.groups) + tp.out_hw
    got = tuple(dy.shape) if ndim == 4 else (dy.shape[0], dy.shape[1], 1, dy.shape[2])
    if got != want:
        shown = want if ndim == 4 else want[:2] + want[3:]
        raise ValueError(f"dy: expected shape {shown} (the forward output), got {tuple(dy.shape)}")
    return x, w, tp
