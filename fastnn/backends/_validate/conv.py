"""Checks of the convolution family (conv2d, conv1d) and its saved context, ConvSaved.

Every backend's conv2d_forward calls check_conv2d (conv1d: check_conv1d then
check_conv2d) and every conv2d_backward calls check_conv_backward, so they
reject the same input with the same message, before any kernel runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from . import (Memo, check_array, check_optional_array, exact_int_pair, int_pair, int_tuple,
               plain_int_or_pair)

__all__ = ["ConvParams", "ConvSaved", "check_conv1d", "check_conv2d", "check_conv_backward",
           "conv_params"]


class ConvParams(NamedTuple):
    """The normalised arguments of one convolution and its output size, as the kernels take them."""

    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    groups: int
    out_hw: tuple[int, int]
    has_bias: bool


@dataclass(eq=False)
class ConvSaved:
    """What conv2d_forward / conv1d_forward keep for the backward, whichever backend ran.

    ``x`` and ``w`` are the 4-D input and weight (conv1d's as height-1 views),
    ``params`` their ConvParams. The backward re-derives ``params`` from the
    two shapes before any kernel indexes with it.
    """

    __slots__ = ("x", "w", "params")
    x: Any
    w: Any
    params: ConvParams


def conv_params(x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: tuple[int, int],
                padding: tuple[int, int], dilation: tuple[int, int], groups: int,
                has_bias: bool, name: str = "conv2d") -> ConvParams:
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
    return ConvParams(stride, padding, dilation, groups, (out_hw[0], out_hw[1]), has_bias)


def check_groups(groups: Any) -> int:
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"groups: expected an int, got {groups!r}")
    if groups < 1:
        raise ValueError(f"groups: must be >= 1, got {groups}")
    return int(groups)


_forward_memo = Memo()


def check_conv2d(x: Any, w: Any, b: Any, stride: Any, padding: Any, dilation: Any, groups: Any,
                 name: str = "conv2d") -> ConvParams:
    """Check a conv2d call (x (N, C, H, W), w (O, C // groups, kH, kW), b (O,) or None).

    Returns its ConvParams. Calls with plain ndarrays and plain int arguments
    are memoised by shapes, dtypes and arguments.
    """
    if (type(x) is np.ndarray and type(w) is np.ndarray and (b is None or type(b) is np.ndarray)
            and plain_int_or_pair(stride) and plain_int_or_pair(padding)
            and plain_int_or_pair(dilation) and type(groups) is int):
        key = (x.shape, x.dtype, w.shape, w.dtype, None if b is None else (b.shape, b.dtype),
               stride, padding, dilation, groups, name)
        return _forward_memo.get(
            key, lambda: _check_conv2d(x, w, b, stride, padding, dilation, groups, name))
    return _check_conv2d(x, w, b, stride, padding, dilation, groups, name)


def _check_conv2d(x: Any, w: Any, b: Any, stride: Any, padding: Any, dilation: Any, groups: Any,
                  name: str) -> ConvParams:
    dtype = check_array("x", x, ndim=4)
    check_array("w", w, ndim=4, dtype=dtype)
    check_optional_array("b", b, ndim=1, dtype=dtype)
    stride2 = int_pair("stride", stride, 1)
    padding2 = int_pair("padding", padding, 0)
    dilation2 = int_pair("dilation", dilation, 1)
    groups = check_groups(groups)
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(f"b: expected shape ({w.shape[0]},), got {tuple(b.shape)}")
    return conv_params(tuple(x.shape), tuple(w.shape), stride2, padding2, dilation2, groups,
                       b is not None, name)


def check_conv1d(x: Any, w: Any, b: Any, stride: Any, padding: Any, dilation: Any,
                 groups: Any) -> tuple[Any, Any, ConvParams]:
    """Check a conv1d call (x (N, C, L)); returns the height-1 4-D views of x and w and
    their ConvParams."""
    dtype = check_array("x", x, ndim=3)
    check_array("w", w, ndim=3, dtype=dtype)
    s, p, d = (int_tuple(nm, v, 1, lo)[0] for nm, v, lo in
               (("stride", stride, 1), ("padding", padding, 0), ("dilation", dilation, 1)))
    x2, w2 = x[:, :, None, :], w[:, :, None, :]
    return x2, w2, check_conv2d(x2, w2, b, (1, s), (0, p), (1, d), groups, name="conv1d")


def _bad_saved() -> TypeError:
    return TypeError("saved: expected the ConvSaved returned by conv2d_forward or conv1d_forward")


def _rederived(x_shape: tuple[int, ...], w_shape: tuple[int, ...], p: ConvParams) -> Any:
    """p as conv_params derives it from the shapes and p's arguments, or None if they are invalid."""
    try:
        stride = int_pair("stride", p.stride, 1)
        padding = int_pair("padding", p.padding, 0)
        dilation = int_pair("dilation", p.dilation, 1)
        if p.groups < 1:
            return None
        return conv_params(x_shape, w_shape, stride, padding, dilation, p.groups, p.has_bias)
    except (TypeError, ValueError):
        return None


_saved_memo = Memo()


def check_conv_params(x: Any, w: Any, p: Any) -> None:
    """p is the ConvParams a forward pass derives for arrays of x's and w's shapes (TypeError naming saved)."""
    if (type(p) is not ConvParams or not exact_int_pair(p.stride) or not exact_int_pair(p.padding)
            or not exact_int_pair(p.dilation) or not exact_int_pair(p.out_hw)
            or type(p.groups) is not int or type(p.has_bias) is not bool):
        raise _bad_saved()
    x_shape, w_shape = tuple(x.shape), tuple(w.shape)
    if _saved_memo.get((x_shape, w_shape, p), lambda: _rederived(x_shape, w_shape, p)) != p:
        raise _bad_saved()


def check_conv_backward(dy: Any, saved: Any, array_type: Any = np.ndarray,
                        ndim: int = 4) -> tuple[Any, Any, ConvParams]:
    """Check a conv backward call; returns saved's (x, w, params).

    ``saved`` must be a ConvSaved whose arrays are ``array_type`` (the
    backend's) and whose params belong to their shapes; ``dy`` (``ndim``-D:
    3 for conv1d) must have the forward output's shape and x's dtype.
    """
    if not isinstance(saved, ConvSaved):
        raise _bad_saved()
    x, w, p = saved.x, saved.w, saved.params
    if not isinstance(x, array_type) or not isinstance(w, array_type):
        raise _bad_saved()
    check_array("saved.x", x, ndim=4)
    check_array("saved.w", w, ndim=4, dtype=x.dtype)
    check_conv_params(x, w, p)
    check_array("dy", dy, ndim=ndim, dtype=x.dtype)
    want = (x.shape[0], w.shape[0]) + p.out_hw
    got = tuple(dy.shape) if ndim == 4 else (dy.shape[0], dy.shape[1], 1, dy.shape[2])
    if got != want:
        shown = want if ndim == 4 else want[:2] + want[3:]
        raise ValueError(f"dy: expected shape {shown} (the forward output), got {tuple(dy.shape)}")
    return x, w, p
