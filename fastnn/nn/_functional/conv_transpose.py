"""F.conv_transpose1d / F.conv_transpose2d: PyTorch's arguments and defaults.

weight is (C_in, C_out // groups, *kernel); output size per spatial dim is
(L - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from ...ops.conv_transpose import ConvTranspose

if TYPE_CHECKING:
    from ..._tensor import Tensor

__all__ = ["conv_transpose1d", "conv_transpose2d"]

_ConvTranspose = ConvTranspose.apply


def _conv_transpose(nd: int, input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
                    padding: Any, output_padding: Any, groups: int, dilation: Any) -> Tensor:
    if isinstance(padding, str):
        raise ValueError(f"conv_transpose{nd}d: padding must be an int or a tuple of ints, "
                         f"got {padding!r}")
    unbatched = input.ndim == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    out = _ConvTranspose(input, weight, bias, stride, padding, output_padding, groups, dilation,
                         nd=nd)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                     output_padding: int | Sequence[int] = 0, groups: int = 1,
                     dilation: int | Sequence[int] = 1) -> Tensor:
    r"""Applies a 1-D transposed convolution (the gradient of :func:`conv1d` with respect to
    its input), over an (N, C, L) input.

    Args:
        input (Tensor): :math:`(N, C_{in}, L_{in})` or unbatched :math:`(C_{in}, L_{in})`.
        weight (Tensor): :math:`(C_{in}, C_{out} / \text{groups}, K)`.
        bias (Tensor, optional): :math:`(C_{out})`. Default: ``None``
        stride (int or tuple): step of the window. Default: ``1``
        padding (int or tuple): ``dilation * (K - 1) - padding`` zeros pad each side of the
            input. Default: ``0``
        output_padding (int or tuple): extra size added to one side of the output, less than
            stride or dilation. Default: ``0``
        groups (int): independent channel groups. Default: ``1``
        dilation (int or tuple): spacing between kernel taps. Default: ``1``

    Shape:
        - Output: :math:`(N, C_{out}, L_{out})`,
          :math:`L_{out} = (L_{in} - 1) s - 2p + d(K - 1) + \text{output\_padding} + 1`

    Example::

        >>> F.conv_transpose1d(fastnn.tensor([[[1.0, 2.0]]]), fastnn.ones(1, 1, 3), stride=2)
        tensor([[[1., 1., 3., 2., 2.]]])
    """
    return _conv_transpose(1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                     output_padding: int | Sequence[int] = 0, groups: int = 1,
                     dilation: int | Sequence[int] = 1) -> Tensor:
    r"""Applies a 2-D transposed convolution (the gradient of :func:`conv2d` with respect to
    its input), over an (N, C, H, W) input.

    Args:
        input (Tensor): :math:`(N, C_{in}, H, W)` or unbatched :math:`(C_{in}, H, W)`.
        weight (Tensor): :math:`(C_{in}, C_{out} / \text{groups}, kH, kW)`.
        bias (Tensor, optional): :math:`(C_{out})`. Default: ``None``
        stride (int or tuple): step of the window. Default: ``1``
        padding (int or tuple): removes this much from each side of the output. Default: ``0``
        output_padding (int or tuple): extra size added to one side of the output, less than
            stride or dilation. Default: ``0``
        groups (int): independent channel groups. Default: ``1``
        dilation (int or tuple): spacing between kernel taps. Default: ``1``

    Shape:
        - Output: :math:`(N, C_{out}, H_{out}, W_{out})`, per spatial dim
          :math:`(n - 1) s - 2p + d(k - 1) + \text{output\_padding} + 1`

    Example::

        >>> F.conv_transpose2d(fastnn.ones(1, 1, 2, 2), fastnn.ones(1, 1, 2, 2))
        tensor([[[[1., 2., 1.],
                  [2., 4., 2.],
                  [1., 2., 1.]]]])
        >>> x = fastnn.ones(1, 4, 5, 5)
        >>> tuple(F.conv_transpose2d(x, fastnn.ones(4, 2, 3, 3), stride=2, padding=1,
        ...                          output_padding=1).shape)
        (1, 2, 10, 10)
    """
    return _conv_transpose(2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)
