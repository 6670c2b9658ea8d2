"""F.cosine_similarity: a composition of Tensor ops (norm, clamp, sum), so autograd gives
the backward."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..._tensor import Tensor

__all__ = ["cosine_similarity"]


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    r"""Cosine of the angle between ``x1`` and ``x2`` along ``dim``:
    :math:`\frac{x_1 \cdot x_2}{\max(\lVert x_1 \rVert, \epsilon) \max(\lVert x_2 \rVert, \epsilon)}`.

    Args:
        x1 (Tensor): first input.
        x2 (Tensor): second input, broadcastable with ``x1``.
        dim (int): the dimension of the vectors. Default: ``1``
        eps (float): lower bound of each norm. Default: ``1e-8``

    Shape:
        - Input: :math:`(*_1, D, *_2)`; Output: :math:`(*_1, *_2)` (``dim`` removed).

    Example::

        >>> F.cosine_similarity(fastnn.tensor([[1.0, 0.0], [1.0, 1.0]]),
        ...                     fastnn.tensor([[0.0, 1.0], [2.0, 2.0]]))
        tensor([0.0000, 1.0000])
    """
    n1 = x1.norm(2, dim).clamp(min=eps)
    n2 = x2.norm(2, dim).clamp(min=eps)
    return (x1 * x2).sum(dim) / (n1 * n2)
