"""Pooling functionals (F.max_pool1d/2d, F.avg_pool2d, F.adaptive_avg_pool2d) with
PyTorch's arguments, defaults and unbatched inputs; each 2-D pool is one autograd
Function (fastnn/ops/nn.py) over the backend's pool kernel, 1-D runs as 2-D."""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, Sequence

from ... import _sizes
from ...ops import nn as _nn

if TYPE_CHECKING:
    from ..._tensor import Tensor

__all__ = ["max_pool2d", "max_pool1d", "avg_pool2d", "adaptive_avg_pool2d"]


def _batched(input: Tensor, nd: int) -> tuple[Tensor, bool]:
    return (input.unsqueeze(0), True) if input.ndim == nd + 1 else (input, False)


def max_pool2d(input: Tensor, kernel_size: int | Sequence[int],
               stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
               dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    r"""Applies 2-D max pooling over an (N, C, H, W) input.

    Args:
        input (Tensor): :math:`(N, C, H, W)` or unbatched :math:`(C, H, W)`.
        kernel_size (int or tuple): the window, one int or (kH, kW).
        stride (int or tuple, optional): step of the window. Default: ``kernel_size``
        padding (int or tuple): implicit :math:`-\infty` padding on each side, at most half
            the kernel. Default: ``0``
        dilation (int or tuple): spacing between window elements. Default: ``1``
        ceil_mode (bool): round the output size up instead of down. Default: ``False``
        return_indices (bool): also return the flat ``H * W`` index of each maximum
            (what ``max_unpool2d`` takes). Default: ``False``

    Shape:
        - Output: :math:`(N, C, H_{out}, W_{out})`, per spatial dim
          :math:`\lfloor (n + 2p - d(k - 1) - 1) / s \rfloor + 1`

    Example::

        >>> x = fastnn.arange(16.0).reshape(1, 1, 4, 4)
        >>> F.max_pool2d(x, 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
        >>> F.max_pool2d(x, 2, return_indices=True)[1]
        tensor([[[[ 5,  7],
                  [13, 15]]]])
    """
    x, unb = _batched(input, 2)
    y, idx = _nn.MaxPool2d.apply(x, kernel_size, stride if stride not in (None, ()) else None,
                                 padding, dilation, ceil_mode)
    if unb:
        y, idx = y.squeeze(0), idx.squeeze(0)
    return (y, idx) if return_indices else y


def max_pool1d(input: Tensor, kernel_size: int | Sequence[int],
               stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
               dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """Applies 1-D max pooling over an (N, C, L) input (runs as a 2-D pool of height 1).

    Args:
        input (Tensor): :math:`(N, C, L)` or unbatched :math:`(C, L)`.
        kernel_size (int): the window length.
        stride (int, optional): step of the window. Default: ``kernel_size``
        padding (int): implicit :math:`-\\infty` padding on each side. Default: ``0``
        dilation (int): spacing between window elements. Default: ``1``
        ceil_mode (bool): round the output length up instead of down. Default: ``False``
        return_indices (bool): also return the index of each maximum. Default: ``False``

    Shape:
        - Output: :math:`(N, C, L_{out})`

    Example::

        >>> F.max_pool1d(fastnn.tensor([[[1.0, 3.0, 2.0, 5.0]]]), 2)
        tensor([[[3., 5.]]])
    """
    x = input.unsqueeze(-2)

    def one(v: Any) -> tuple[int, Any]:
        return (1, v if isinstance(v, numbers.Integral) else v[0])

    p: Any = padding
    p = (0, p if isinstance(p, numbers.Integral) else p[0])
    out = max_pool2d(x, one(kernel_size), None if stride is None else one(stride), p,
                     one(dilation), ceil_mode, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool2d(input: Tensor, kernel_size: int | Sequence[int],
               stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Applies 2-D average pooling over an (N, C, H, W) input.

    Args:
        input (Tensor): :math:`(N, C, H, W)` or unbatched :math:`(C, H, W)`.
        kernel_size (int or tuple): the window, one int or (kH, kW).
        stride (int or tuple, optional): step of the window. Default: ``kernel_size``
        padding (int or tuple): implicit zero padding on each side. Default: ``0``
        ceil_mode (bool): round the output size up instead of down. Default: ``False``
        count_include_pad (bool): count padded zeros in the divisor. Default: ``True``
        divisor_override (int, optional): divide every window by this instead. Default: ``None``

    Shape:
        - Output: :math:`(N, C, H_{out}, W_{out})`

    Example::

        >>> F.avg_pool2d(fastnn.arange(16.0).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """
    x, unb = _batched(input, 2)
    y = _nn.AvgPool2d.apply(x, kernel_size, stride if stride not in (None, ()) else None, padding,
                            ceil_mode, count_include_pad, divisor_override)
    return y.squeeze(0) if unb else y


def _adaptive_sizes(x: Tensor, output_size: Any) -> tuple[int, ...] | None:
    """(oh, ow) of a well-formed output_size, None entries meaning the input's size;
    None when malformed or beyond a C int (the kernel's checks word those errors)."""
    sizes: Any
    if isinstance(output_size, numbers.Integral):
        sizes = (output_size, output_size)
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        sizes = tuple(x.shape[2 + i] if v is None else v for i, v in enumerate(output_size))
    else:
        return None
    ok = all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and 0 < int(v) < 2 ** 31
             for v in sizes)
    return tuple(int(v) for v in sizes) if ok else None


def adaptive_avg_pool2d(input: Tensor, output_size: int | Sequence[int | None]) -> Tensor:
    """Averages over windows chosen so that the output has ``output_size`` (PyTorch's
    start = floor(i * n / out), end = ceil((i + 1) * n / out) windows).

    Args:
        input (Tensor): :math:`(N, C, H, W)` or unbatched :math:`(C, H, W)`.
        output_size (int or tuple): (oH, oW), one int for both; ``None`` keeps that input size.

    Shape:
        - Output: :math:`(N, C, oH, oW)`

    Example::

        >>> F.adaptive_avg_pool2d(fastnn.arange(16.0).reshape(1, 1, 4, 4), 1)
        tensor([[[[7.5000]]]])
        >>> tuple(F.adaptive_avg_pool2d(fastnn.ones(2, 3, 7, 5), (3, None)).shape)
        (2, 3, 3, 5)
    """
    x, unb = _batched(input, 2)
    sizes = _adaptive_sizes(x, output_size) if x.ndim == 4 else None
    if sizes is not None:
        _sizes.check_alloc(f"adaptive_avg_pool2d: output_size={output_size!r}",
                           tuple(x.shape[:2]) + sizes, x._data.itemsize, like=x._data)
    y = _nn.AdaptiveAvgPool2d.apply(x, output_size)
    return y.squeeze(0) if unb else y
