"""LayerNorm: normalise over the trailing ``normalized_shape`` dims of each sample."""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, Sequence, Union

from .. import init
from .module import Module
from ._utils import F, _empty_parameter, _place

if TYPE_CHECKING:
    from ..._tensor import Tensor

_shape_t = Union[int, Sequence[int]]


class LayerNorm(Module):
    """Applies layer normalisation over the last ``len(normalized_shape)`` dimensions.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``, mean and (biased)
    variance taken over those trailing dimensions of each sample separately;
    the same in training and eval mode.

    Args:
        normalized_shape (int or sequence of int): the trailing dimensions to
            normalise over (an int: the last dimension, of that size).
        eps (float): added to the variance for numerical stability. Default: 1e-5
        elementwise_affine (bool): learn an elementwise weight (and bias) of shape
            ``normalized_shape``. Default: ``True``
        bias (bool): with ``elementwise_affine``, also learn the bias. Default: ``True``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    Shape:
        - Input: :math:`(N, *)`, whose trailing dimensions equal ``normalized_shape``.
        - Output: :math:`(N, *)`, the input's shape.

    Attributes:
        weight (Parameter): shape ``normalized_shape``, initialised to 1 (None
            without ``elementwise_affine``).
        bias (Parameter): shape ``normalized_shape``, initialised to 0 (None
            without ``elementwise_affine`` or ``bias``).

    Example::

        >>> nn.LayerNorm(2)(fastnn.tensor([[1.0, 2.0], [3.0, 6.0]]))
        tensor([[-1.0000,  1.0000],
                [-1.0000,  1.0000]], grad_fn=<LayerNormBackward0>)
        >>> nn.LayerNorm([10, 10])(fastnn.randn(20, 5, 10, 10)).shape
        (20, 5, 10, 10)
    """

    def __init__(self, normalized_shape: _shape_t, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        # int is listed for mypy's narrowing; numbers.Integral also admits NumPy ints
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, numbers.Integral)) \
            else normalized_shape
        self.normalized_shape = tuple(int(s) for s in shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            what = f"LayerNorm: normalized_shape={self.normalized_shape}"
            self.weight = _empty_parameter(self.normalized_shape, dtype, what=what)
            if bias:
                self.bias = _empty_parameter(self.normalized_shape, dtype, what=what)
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()
        _place(self, device)

    def reset_parameters(self) -> None:
        """Set weight to 1 and bias to 0."""
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


__all__ = ["LayerNorm"]
