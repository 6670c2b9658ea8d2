"""F.conv1d / F.conv2d: PyTorch's arguments, 'same'/'valid' padding and unbatched inputs;
the convolution itself is one autograd Function (fastnn/ops/nn.py) over the backend's
conv kernel. Padding sizes are checked before anything is allocated."""
from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ... import _sizes
from ...ops import nn as _nn
from .shape import pad

if TYPE_CHECKING:
    from ..._tensor import Tensor

__all__ = ["conv1d", "conv2d"]

_Conv = _nn.Conv.apply


def _same_padding(weight: Tensor, dilation: Any, nd: int) -> tuple[tuple, tuple]:
    """(symmetric padding, extra right-side padding) for padding='same'."""
    k = weight.shape[2:]
    d = (int(dilation),) * nd if isinstance(dilation, numbers.Integral) else tuple(int(v) for v in dilation)
    total = [di * (ki - 1) for di, ki in zip(d, k)]
    return tuple(t // 2 for t in total), tuple(t - t // 2 * 2 for t in total)


def _conv(nd: int, input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
          padding: Any, dilation: Any, groups: int) -> Tensor:
    name = f"conv{nd}d"
    unbatched = input.ndim == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            s = (stride,) * nd if isinstance(stride, numbers.Integral) else tuple(stride)
            if any(v != 1 for v in s):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
            padding, extra = _same_padding(weight, dilation, nd)
            if any(extra):
                widths: list[int] = []
                for e in reversed(extra):
                    widths += [0, e]
                input = pad(input, widths)
        else:
            raise ValueError(f"{name}: invalid padding string {padding!r}, expected 'same' or 'valid'")
    _check_conv_size(name, input, weight, stride, padding, dilation, nd)
    out = _Conv(input, weight, bias, stride, padding, dilation, groups, nd=nd)
    return out.squeeze(0) if unbatched else out


def _ints(v: Any, nd: int) -> tuple[int, ...] | None:
    """An int or nd ints as a tuple, or None (malformed: the kernel's checks word that)."""
    v = (v,) * nd if isinstance(v, numbers.Integral) else v
    if isinstance(v, (tuple, list)) and len(v) == nd and all(
            isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in v):
        return tuple(int(i) for i in v)
    return None


def _check_conv_size(name: str, input: Tensor, weight: Tensor, stride: Any, padding: Any,
                     dilation: Any, nd: int) -> None:
    """Padding is the argument that makes a convolution's arrays absurd: the output
    and the zero-padded input (what the reference kernel builds) grow with it."""
    s, p, d = _ints(stride, nd), _ints(padding, nd), _ints(dilation, nd)
    if s is None or p is None or d is None or input.ndim != nd + 2 or weight.ndim != nd + 2 \
            or min(s) < 1 or min(p) < 0 or min(d) < 1:
        return
    spatial = input.shape[2:]
    padded = tuple(n + 2 * q for n, q in zip(spatial, p))
    out = tuple((n - di * (k - 1) - 1) // si + 1
                for n, k, si, di in zip(padded, weight.shape[2:], s, d))
    if min(out) < 1:
        return
    n, c = input.shape[:2]
    out_shape, padded_shape = (n, weight.shape[0]) + out, (n, c) + padded
    _sizes.check_bytes(f"{name}: padding={padding!r}",
                       (math.prod(out_shape) + math.prod(padded_shape)) * input._data.itemsize,
                       f"an output of shape {out_shape} and a padded input of shape {padded_shape}",
                       host=isinstance(input._data, np.ndarray))


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
           stride: int | Sequence[int] = 1, padding: int | Sequence[int] | str = 0,
           dilation: int | Sequence[int] = 1, groups: int = 1) -> Tensor:
    r"""Applies a 1-D convolution (cross-correlation, as PyTorch) over an (N, C, L) input.

    Args:
        input (Tensor): :math:`(N, C_{in}, L_{in})` or unbatched :math:`(C_{in}, L_{in})`.
        weight (Tensor): :math:`(C_{out}, C_{in} / \text{groups}, K)`.
        bias (Tensor, optional): :math:`(C_{out})`. Default: ``None``
        stride (int or tuple): step of the window. Default: ``1``
        padding (int, tuple or str): zeros added to both sides, or ``'valid'`` (none) or
            ``'same'`` (output as long as the input; stride 1 only). Default: ``0``
        dilation (int or tuple): spacing between kernel taps. Default: ``1``
        groups (int): split the channels into this many independent groups. Default: ``1``

    Shape:
        - Input: :math:`(N, C_{in}, L_{in})`
        - Output: :math:`(N, C_{out}, L_{out})`,
          :math:`L_{out} = \lfloor (L_{in} + 2p - d(K - 1) - 1) / s \rfloor + 1`

    Example::

        >>> x = fastnn.arange(6.0).reshape(1, 1, 6)
        >>> F.conv1d(x, fastnn.tensor([[[1.0, 1.0]]]))
        tensor([[[1., 3., 5., 7., 9.]]])
        >>> F.conv1d(x, fastnn.tensor([[[1.0, 1.0]]]), padding="same")
        tensor([[[1., 3., 5., 7., 9., 5.]]])
    """
    return _conv(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
           stride: int | Sequence[int] = 1, padding: int | Sequence[int] | str = 0,
           dilation: int | Sequence[int] = 1, groups: int = 1) -> Tensor:
    r"""Applies a 2-D convolution (cross-correlation, as PyTorch) over an (N, C, H, W) input.

    Args:
        input (Tensor): :math:`(N, C_{in}, H, W)` or unbatched :math:`(C_{in}, H, W)`.
        weight (Tensor): :math:`(C_{out}, C_{in} / \text{groups}, kH, kW)`.
        bias (Tensor, optional): :math:`(C_{out})`. Default: ``None``
        stride (int or tuple): step of the window, one int or (sH, sW). Default: ``1``
        padding (int, tuple or str): zeros added on each side, or ``'valid'`` / ``'same'``
            (stride 1 only). Default: ``0``
        dilation (int or tuple): spacing between kernel taps. Default: ``1``
        groups (int): split the channels into this many independent groups. Default: ``1``

    Shape:
        - Input: :math:`(N, C_{in}, H_{in}, W_{in})`
        - Output: :math:`(N, C_{out}, H_{out}, W_{out})`, per spatial dim
          :math:`\lfloor (n + 2p - d(k - 1) - 1) / s \rfloor + 1`

    Example::

        >>> x = fastnn.arange(16.0).reshape(1, 1, 4, 4)
        >>> F.conv2d(x, fastnn.ones(1, 1, 2, 2), stride=2)
        tensor([[[[10., 18.],
                  [42., 50.]]]])
        >>> tuple(F.conv2d(fastnn.ones(2, 3, 8, 8), fastnn.ones(4, 3, 3, 3), padding=1).shape)
        (2, 4, 8, 8)
    """
    return _conv(2, input, weight, bias, stride, padding, dilation, groups)
