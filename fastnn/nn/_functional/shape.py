"""Shape functionals: F.pad (PyTorch's modes and negative-width cropping, one autograd
Function over the backend's pad) and F.flatten."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from ... import _sizes
from ...ops import nn as _nn

if TYPE_CHECKING:
    from ..._tensor import Tensor

__all__ = ["pad", "flatten"]

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pads the last ``len(pad) // 2`` dims of ``input``.

    ``pad`` lists (left, right) widths starting from the last dim and moving forward:
    ``(1, 2)`` pads the last dim, ``(1, 1, 2, 0)`` the last two. Negative widths crop
    (constant mode only).

    Args:
        input (Tensor): the input, any shape.
        pad (tuple of int): the widths, of even length at most ``2 * input.dim()``.
        mode (str): ``'constant'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
            Default: ``'constant'``
        value (float, optional): the fill value of constant mode. Default: ``None`` (0)

    Example::

        >>> F.pad(fastnn.ones(1, 2), (1, 2))
        tensor([[0., 1., 1., 0., 0.]])
        >>> F.pad(fastnn.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
        tensor([[3., 2., 1., 2., 3., 2.]])
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: padding length must be even and at most 2 * input.dim(), got {len(pad)}")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}, got {mode!r}")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    shape = tuple(input.shape)
    for d, (lo, hi) in enumerate(widths):
        # PyTorch's rule (constant_pad_nd): negative widths crop first, and the
        # cropping may remove at most the whole dimension; the result is never negative.
        if shape[d] + min(lo, 0) + min(hi, 0) < 0:
            raise ValueError(f"pad: negative padding ({lo}, {hi}) removes more than the size "
                             f"{shape[d]} of dimension {d} of the input")
    out_shape = tuple(n + lo + hi for n, (lo, hi) in zip(shape, widths))
    _sizes.check_alloc(f"pad: pad={pad}", out_shape, input._data.itemsize, like=input._data)
    if mode != "constant":
        for d, (lo, hi) in enumerate(widths):
            if lo < 0 or hi < 0:
                raise ValueError("pad: negative padding is only supported in constant mode")
            if mode == "reflect" and (lo >= input.shape[d] or hi >= input.shape[d]):
                raise ValueError(f"pad: padding ({lo}, {hi}) must be smaller than the input size "
                                 f"{input.shape[d]} of dim {d} in reflect mode")
            if mode == "circular" and (lo > input.shape[d] or hi > input.shape[d]):
                raise ValueError("pad: circular padding may wrap around at most once")
    return _nn.Pad.apply(input, tuple(widths), mode, 0 if value is None else value)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merges dims ``start_dim`` through ``end_dim`` into one (a view where possible).

    Args:
        input (Tensor): the input, any shape.
        start_dim (int): first dim to merge. Default: ``0``
        end_dim (int): last dim to merge. Default: ``-1``

    Example::

        >>> tuple(F.flatten(fastnn.ones(2, 3, 4), 1).shape)
        (2, 12)
    """
    return input.flatten(start_dim, end_dim)
