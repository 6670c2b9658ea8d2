"""Flatten (merge dims start_dim..end_dim) and Unflatten (split one dim)."""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Sequence

from .module import Module
from ._utils import F

if TYPE_CHECKING:
    from ..._tensor import Tensor


class Flatten(Module):
    """Flattens the dimensions ``start_dim`` to ``end_dim`` (inclusive) into one.

    The default keeps the batch dimension and flattens the rest, as between the
    convolutional and the linear part of a CNN.

    Args:
        start_dim (int): the first dimension to flatten. Default: 1
        end_dim (int): the last dimension to flatten. Default: -1

    Shape:
        - Input: :math:`(*, S_{start}, ..., S_{end}, *)`, any number of dimensions.
        - Output: :math:`(*, S_{start} \\times ... \\times S_{end}, *)`.

    Example::

        >>> nn.Flatten()(fastnn.ones(32, 1, 5, 5)).shape
        (32, 25)
        >>> nn.Flatten(0, 2)(fastnn.ones(32, 1, 5, 5)).shape
        (160, 5)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return F.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands dimension ``dim`` of the input into ``unflattened_size``.

    The inverse of Flatten; the product of ``unflattened_size`` must equal the
    size of ``dim`` (one entry may be -1, inferred).

    Args:
        dim (int): the dimension to expand.
        unflattened_size (tuple or list of int): the new shape of that dimension.

    Shape:
        - Input: :math:`(*, S_{dim}, *)`
        - Output: :math:`(*, U_1, ..., U_n, *)`, with ``U = unflattened_size``
          and :math:`\\prod U_i = S_{dim}`.

    Example::

        >>> nn.Unflatten(1, (2, 5, 5))(fastnn.ones(2, 50)).shape
        (2, 2, 5, 5)
        >>> nn.Unflatten(1, (-1, 5))(fastnn.ones(2, 50)).shape
        (2, 10, 5)
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if not isinstance(dim, numbers.Integral):
            raise TypeError(f"invalid argument type for dim parameter, expected int, got {type(dim).__name__}")
        if not isinstance(unflattened_size, (tuple, list)) or \
                not all(isinstance(s, numbers.Integral) for s in unflattened_size):
            raise TypeError("unflattened_size must be a tuple of ints, "
                            f"but found type {type(unflattened_size).__name__}")
        self.dim: int = int(dim)
        self.unflattened_size: Sequence[int] = unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        shape = tuple(input.shape)
        d = self.dim + len(shape) if self.dim < 0 else self.dim
        if not 0 <= d < len(shape):
            raise IndexError(f"Unflatten: dim {self.dim} out of range for input of {len(shape)} dims")
        new_shape = shape[:d] + tuple(int(s) for s in self.unflattened_size) + shape[d + 1:]
        return input.reshape(new_shape)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


__all__ = ["Flatten", "Unflatten"]
