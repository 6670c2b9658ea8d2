"""F.linear and F.bilinear: affine maps with PyTorch's (out_features, in_features) weight
layout; linear is one autograd Function (GEMM kernel), bilinear a composition of matmuls."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...ops import nn as _nn

if TYPE_CHECKING:
    from ..._tensor import Tensor

__all__ = ["linear", "bilinear"]

_Linear = _nn.Linear.apply


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    r"""Applies the affine map :math:`y = x W^T + b`.

    Args:
        input (Tensor): the input, :math:`(*, \text{in\_features})`.
        weight (Tensor): :math:`(\text{out\_features}, \text{in\_features})`.
        bias (Tensor, optional): :math:`(\text{out\_features})`. Default: ``None``

    Shape:
        - Input: :math:`(*, H_{in})`, any number of leading dims.
        - Output: :math:`(*, H_{out})`.

    Example::

        >>> x = fastnn.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> w = fastnn.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        >>> F.linear(x, w, fastnn.tensor([0.0, 0.0, 1.0]))
        tensor([[1., 2., 4.],
                [3., 4., 8.]])
    """
    return _Linear(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    r"""Applies :math:`y_o = x_1^T A_o x_2 + b_o` for each output feature :math:`o`.

    Args:
        input1 (Tensor): :math:`(N, H_{in1})`.
        input2 (Tensor): :math:`(N, H_{in2})`.
        weight (Tensor): :math:`(H_{out}, H_{in1}, H_{in2})`.
        bias (Tensor, optional): :math:`(H_{out})`. Default: ``None``

    Shape:
        - Output: :math:`(N, H_{out})`.

    Example::

        >>> y = F.bilinear(fastnn.ones(4, 2), fastnn.ones(4, 3), fastnn.ones(5, 2, 3))
        >>> tuple(y.shape), y[0, 0].item()
        ((4, 5), 6.0)
    """
    y = ((input1.unsqueeze(1).unsqueeze(-2) @ weight.unsqueeze(0)) @
         input2.unsqueeze(1).unsqueeze(-1)).reshape(input1.shape[0], weight.shape[0])
    return y if bias is None else y + bias
